"""Similarity (issue 34): the same article under another name, a resubmission after a
rejection, and a revision of the same submission, which is not a match."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.demo.samples import DOCX, text_docx
from intake.demo.samples import email as make_email
from intake.medical.similarity import signature
from tests.conftest import CliResult, eml_folder

Cli = Callable[..., CliResult]
ESSAY = [
    "Night shifts change how medical students sleep, eat and learn on the wards.",
    "On my first night on call I learned that a ward at three in the morning has its own "
    "rhythm: the quiet beeps, the nurse who knows every patient, the registrar who answers "
    "the phone before it rings twice. " * 3,
    "What I would tell a student starting nights is simple: eat before you are hungry, "
    "write everything down, and never be afraid to ask for help when a patient worries "
    "you. " * 3,
    "Sleep after a night shift is a skill, and it can be learned with dark curtains, a "
    "fixed routine and a phone left in another room. " * 3,
]
OTHER = ["Statins in young adults remain controversial, and the trials say less than "
         "their headlines. " * 12]


def _mail(sender: str, subject: str, paragraphs: list[str], mid: str) -> bytes:
    return make_email(sender, subject, "My article is attached.", message_id=mid,
                      attachments=(("article.docx", DOCX, text_docx(subject, paragraphs)),))


def _show(cli: Cli, config: Path, ref: str) -> dict[str, object]:
    done = cli("--config", config, "show", ref, "--json")
    assert done.code == 0, done.err
    found: dict[str, object] = json.loads(done.out)
    return found


def test_the_same_article_under_another_name_is_matched(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    changed = [p.replace("simple", "easy") for p in ESSAY]
    mail = [_mail("Priya Raman <priya@med.example.edu>", "Guest post: nights", ESSAY, "<s1@x>"),
            _mail("Pat Doe <pat@other.example.com>", "Guest post: on call", changed, "<s2@x>"),
            _mail("Sam Lee <sam@uni.example.org>", "Guest post: statins", OTHER, "<s3@x>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    second = _show(cli, config, "JPMS-2026-0002")
    assert any("Similar to JPMS-2026-0001" in str(w) for w in second["warnings"])  # type: ignore[attr-defined]
    third = _show(cli, config, "JPMS-2026-0003")
    assert not any("Similar to" in str(w) for w in third["warnings"])  # type: ignore[attr-defined]


def test_a_resubmission_after_a_rejection_is_matched_and_a_revision_is_not(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config(**{"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org"}})
    first = [_mail("Priya Raman <priya@med.example.edu>", "Guest post: nights", ESSAY,
                   "<r1@x>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, first)).code == 0
    # A revision of the same submission is not a match.
    revision = [_mail("Priya Raman <priya@med.example.edu>", "[JPMS-2026-0001] new version",
                      [*ESSAY, "A closing line added."], "<r2@x>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, revision)).code == 0
    shown = _show(cli, config, "JPMS-2026-0001")
    assert shown["revision"] == 2
    assert not any("Similar to" in str(w) for w in shown["warnings"])  # type: ignore[attr-defined]
    for step in (("review", "JPMS-2026-0001"), ("reject", "JPMS-2026-0001", "--yes")):
        assert cli("--config", config, *step, "--as", "ana").code == 0
    again = [_mail("Priya Raman <priya.r@gmail.example.com>", "Guest post: nights again",
                   [*ESSAY, "A closing line added."], "<r3@x>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, again)).code == 0
    warnings = _show(cli, config, "JPMS-2026-0002")["warnings"]
    assert any("Similar to JPMS-2026-0001 (rejected)" in str(w) for w in warnings)  # type: ignore[attr-defined]


def test_a_short_text_is_not_compared() -> None:
    assert signature("Too short to tell anything. " * 5) is None
    assert signature(" ".join(ESSAY)) is not None


def test_the_desk_links_the_two(make_config: Callable[..., Path], cli: Cli,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.deskhelp import make_desk, sign_in

    mail = [_mail("Priya Raman <priya@med.example.edu>", "Guest post: nights", ESSAY, "<d1@x>"),
            _mail("Pat Doe <pat@other.example.com>", "Guest post: on call", ESSAY, "<d2@x>")]
    app, _ = make_desk(make_config, cli, monkeypatch, mail)
    client = app.test_client()
    assert sign_in(client) == 302
    page = client.get("/s/JPMS-2026-0002/").get_data(as_text=True)
    assert 'Similar to another submission' in page
    assert '<a href="/s/JPMS-2026-0001/">JPMS-2026-0001</a> (queued): about 100%' in page
