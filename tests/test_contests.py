"""Writing contests (issue 33): entries recognised and answered by their dates and rules,
a judges' copy without the author, judges who score through a personal link, a ranking
fair to harsh and lenient judges, results told to every entrant once."""

from __future__ import annotations

import json
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.conftest import CliResult, eml_folder
from tests.contesthelp import NOW, contest_settings, entry, with_contests

Cli = Callable[..., CliResult]
ESSAY = ["As a fourth-year medical student I learned that night shifts teach patience. "
         "The ward at night is quiet, and every decision weighs more than by day. " * 4]


def _sent(config: Path) -> list[EmailMessage]:
    folder = config.parent / "sent"
    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.is_dir() else []


def _text(email: EmailMessage) -> str:
    part = email.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _show(cli: Cli, config: Path, ref: str) -> dict[str, Any]:
    done = cli("--config", config, "show", ref, "--json")
    assert done.code == 0, done.err
    found: dict[str, Any] = json.loads(done.out)
    return found


def test_an_entry_is_recognised_and_told_the_contest_and_its_closing_date(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    mail = [entry("Priya Raman <priya@med.example.edu>", "Entry for the writing contest",
                  ESSAY, "<e1@med>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    shown = _show(cli, config, "JPMS-2026-0001")
    assert shown["kind"] == "contest"
    (ack,) = _sent(config)
    assert "JPMS Medical Writing Contest 2026: entry received" in ack["Subject"]
    text = _text(ack)
    assert "registered for the JPMS Medical Writing Contest 2026, which closes on" in text
    assert f"{(NOW.year)}" in text


def test_an_entry_after_the_contest_closed_is_told_so(
        make_config: Callable[..., Path], cli: Cli) -> None:
    late = with_contests(make_config, contest_settings(opens=-20, closes=-1, judging=10))
    mail = [entry("Sam Lee <sam@uni.example.org>", "writing contest entry", ESSAY, "<l1@u>")]
    assert cli("--config", late, "ingest", eml_folder(late.parent, mail)).code == 0
    (closed,) = _sent(late)
    assert "entries closed" in closed["Subject"]
    assert "closed on" in _text(closed)


def test_an_entry_before_the_contest_opens_is_told_when_it_does(
        make_config: Callable[..., Path], cli: Cli) -> None:
    early = with_contests(make_config, contest_settings(opens=3, closes=20, judging=30))
    mail = [entry("Sam Lee <sam@uni.example.org>", "writing contest entry", ESSAY, "<e1@u>")]
    assert cli("--config", early, "ingest", eml_folder(early.parent, mail)).code == 0
    (not_yet,) = [m for m in _sent(early) if "not open yet" in m["Subject"]]
    assert "takes entries from" in _text(not_yet)


def test_a_second_entry_from_the_same_author_is_not_entered_and_said_so(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    mail = [entry("Sam Lee <sam@uni.example.org>", "writing contest entry", ESSAY, "<a1@u>"),
            entry("Sam Lee <SAM@uni.example.org>", "my second writing contest entry",
                  ["Another essay entirely, about the wards and the people there. " * 8],
                  "<a2@u>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    first, second = _sent(config)
    assert "entry received" in first["Subject"]
    assert "not entered (1 per author)" in second["Subject"]


def test_an_entry_without_the_required_statement_is_told_what_to_add(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    plain = ["Night shifts teach patience, and the ward at night is quiet. " * 8]
    mail = [entry("Ana Ruiz <ana@uni.example.org>", "writing contest entry", plain, "<s1@u>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    (ack,) = _sent(config)
    assert "ask you to state that you are a medical student" in \
        _text(ack)
