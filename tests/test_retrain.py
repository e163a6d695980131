"""Triage learns from editors (issue 35): corrections kept with what triage read, a
model retrained on the corpus and them, installed only when not worse on the same folds,
and rolled back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from intake.demo.samples import DOCX, text_docx
from intake.demo.samples import email as make_email
from intake.ledger import Ledger
from intake.rules import retrain
from tests.conftest import CliResult, eml_folder

EDITORS = {"editors.ana": {"name": "Ana Lima", "email": "ana@journal.example.org"}}
ORGS = [("Heartwell Foundation", "a new screening programme"),
        ("NovaCare Hospitals", "its annual report on rural care"),
        ("the Lister Institute", "a vaccine awareness week"),
        ("MedAlert Network", "a partnership with three universities"),
        ("Clearview Diagnostics", "new guidance on antibiotic use"),
        ("the Pemberton Trust", "a mental health helpline"),
        ("Orion Health Alliance", "a grant for student researchers"),
        ("Sunrise Clinics", "the opening of a new wing"),
        # Never corrected: what the retrained model is tried on.
        ("the Brightwater Trust", "a bursary for nursing students"),
        ("Meridian Health", "a study of night-shift fatigue")]


def _press_release(number: int, org: str, topic: str, tag: str = "") -> bytes:
    """What a press office sends a blog: a release attached, a line in the body. The
    shipped model takes it for a guest post (a document, an article's shape)."""
    body = (f"FOR IMMEDIATE RELEASE\n\n{org} today announced {topic}. Please find the "
            f"full press release attached.\n\nMedia contact: the press office.\n\nEnds")
    document = text_docx(f"{org} announces {topic}", [
        f"{org} today announced {topic}. " * 8,
        f"About {org}: a charity founded in 1990.",
        "Notes to editors: images are available on request."])
    return make_email(f"Press Office <press{number}{tag}@org{number}.example.org>",
                      f"PRESS RELEASE: {org} announces {topic}", body,
                      attachments=((f"Press release {number}.docx", DOCX, document),),
                      message_id=f"<release{number}{tag}@example.org>")


def _kinds(cli: Callable[..., CliResult], config: Path) -> dict[str, str]:
    shown = cli("--config", config, "queue", "--status", "all", "--json")
    return {row["author_email"]: row["kind"]
            for row in map(json.loads, shown.out.splitlines())}


def test_corrections_in_a_better_model_out_and_rolled_back(
        tmp_path: Path, make_config: Callable[..., Path],
        cli: Callable[..., CliResult]) -> None:
    config = make_config(**EDITORS)
    messages = [_press_release(n, org, topic) for n, (org, topic) in enumerate(ORGS[:8])]
    assert cli("--config", config, "ingest", eml_folder(tmp_path, messages)).code == 0
    # What the shipped model says: a guest post (or an application), never "other".
    assert "other" not in _kinds(cli, config).values()

    nothing = cli("--config", config, "model", "retrain")
    assert nothing.code == 2 and "no corrections yet" in nothing.err

    for number in range(1, 9):
        done = cli("--config", config, "reclassify", f"JPMS-2026-{number:04d}", "other",
                   "--as", "ana")
        assert done.code == 0, done.err
    ledger = Ledger(config.parent / "var" / "intake.sqlite3", readonly=True)
    try:
        kept = ledger.corrections()
    finally:
        ledger.close()
    assert [(c.kind, c.actor) for c in kept] == [("other", "ana")] * 8
    assert {c.before for c in kept} <= {"guest_post", "application"}
    # With the text it was made on: the message, the document, the attachment's type.
    assert "FOR IMMEDIATE RELEASE" in kept[0].body
    assert "today announced a new screening programme" in kept[0].document
    assert kept[0].files == [{"name": "Press release 0.docx", "type": "docx",
                              "inline": False}]

    trained = cli("--config", config, "model", "retrain")
    assert trained.code == 0, trained.err
    said = trained.out
    assert "the same folds for both models" in said and "installed:" in said
    site = [line for line in said.splitlines() if line.startswith("the site's corrections")]
    assert site and site[0].endswith("new 8/8"), said
    status = cli("--config", config, "model", "status").out
    assert "var/model/triage.json" in status and "8 correction(s) of this site" in status
    assert "triage: this site's retrained model" in cli("--config", config, "doctor").out

    # Two press releases no editor corrected: the new model reads them as the site does.
    fresh = [_press_release(n, org, topic) for n, (org, topic) in enumerate(ORGS[8:], 20)]
    assert cli("--config", config, "ingest", eml_folder(tmp_path, fresh)).code == 0
    kinds = _kinds(cli, config)
    assert kinds["press20@org20.example.org"] == "other"
    assert kinds["press21@org21.example.org"] == "other"

    back = cli("--config", config, "model", "rollback")
    assert back.code == 0 and "shipped with intake is back" in back.out
    again = eml_folder(tmp_path, [_press_release(30, *ORGS[8], tag="x")])
    assert cli("--config", config, "ingest", again).code == 0
    assert _kinds(cli, config)["press30x@org30.example.org"] != "other"
    none = cli("--config", config, "model", "rollback")
    assert none.code == 2 and "nothing to roll back" in none.err


def test_a_worse_model_is_not_installed_unless_forced(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(**EDITORS)
    folder = eml_folder(tmp_path, [_press_release(0, *ORGS[0])])
    assert cli("--config", config, "ingest", folder).code == 0
    assert cli("--config", config, "reclassify", "JPMS-2026-0001", "other", "--as",
               "ana").code == 0
    def worse(found: list[Any], old_upto: int, k: int = 5) -> retrain.Comparison:
        """The comparison of the other test, made worse for the new model: this test is
        of what is done with it (compare itself is run there)."""
        labels = {e.label for e in found}
        return retrain.Comparison(k, old=[0.9] * k, new=[0.85] * k,
                                  recall_old=dict.fromkeys(labels, 0.9),
                                  recall_new=dict.fromkeys(labels, 0.85),
                                  support=dict.fromkeys(labels, 1))

    monkeypatch.setattr(retrain, "compare", worse)
    refused = cli("--config", config, "model", "retrain")
    assert refused.code == 1 and "not installed" in refused.out
    assert not (config.parent / "var" / "model" / "triage.json").exists()
    forced = cli("--config", config, "model", "retrain", "--force")
    assert forced.code == 0 and "installed (forced)" in forced.out
    assert (config.parent / "var" / "model" / "triage.json").is_file()


def test_a_damaged_site_model_stops_the_run_with_what_to_do(
        tmp_path: Path, make_config: Callable[..., Path],
        cli: Callable[..., CliResult]) -> None:
    config = make_config()
    model = config.parent / "var" / "model" / "triage.json"
    model.parent.mkdir(parents=True)
    model.write_text("{not json", encoding="utf-8")
    folder = eml_folder(tmp_path, [_press_release(0, *ORGS[0])])
    done = cli("--config", config, "ingest", folder)
    assert done.code == 2 and "intake model rollback" in done.err, done.err
    assert "Traceback" not in done.err


def test_a_reclassification_on_the_desk_is_kept_as_an_example(
        make_config: Callable[..., Path], cli: Callable[..., CliResult],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.deskhelp import fields, make_desk, sign_in

    app, config = make_desk(make_config, cli, monkeypatch, [_press_release(0, *ORGS[0])])
    client = app.test_client()
    assert sign_in(client) == 302
    page = client.get("/s/JPMS-2026-0001/").get_data(as_text=True)
    done = client.post("/s/JPMS-2026-0001/reclassify", data={
        "kind": "other", **fields(page, "reclassify")}, follow_redirects=True)
    assert "Reclassified as other." in done.get_data(as_text=True)
    ledger = Ledger(config.parent / "var" / "intake.sqlite3", readonly=True)
    try:
        kept = ledger.corrections()
    finally:
        ledger.close()
    assert [(c.before, c.kind, c.actor, c.subject) for c in kept] == [
        ("guest_post", "other", "ana", "PRESS RELEASE: Heartwell Foundation announces a new "
                                       "screening programme")]
    assert "1 not yet learned" in cli("--config", config, "model", "status").out
