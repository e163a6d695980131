"""Automatic mail is recognised; kinds come from the signals in settings, with reasons."""

from __future__ import annotations

import email
import json
from collections.abc import Callable
from email import policy
from pathlib import Path
from typing import Any

import pytest

from intake.core.config import load_settings
from intake.demo.samples import DOCX, article_docx, cv_docx
from intake.demo.samples import email as make_email
from intake.ledger.store import read_front_matter
from intake.mail.parse import parse_message
from intake.rules.automatic import detect
from intake.rules.kinds import classify
from tests.conftest import REPO, CliResult, SmtpServer, eml_folder

Configure = Callable[..., Path]

OWN = frozenset({"submissions@journal.example.org"})
SETTINGS = load_settings(REPO / "settings.toml")


def _kind(data: bytes) -> tuple[str, tuple[str, ...]]:
    found = classify(parse_message(data), SETTINGS.kinds, SETTINGS.triage)
    return found.kind, found.signals


@pytest.mark.parametrize(("headers", "sender", "subject", "reason"), [
    ({"Auto-Submitted": "auto-replied"}, "a@b.example", "Re: x", "Auto-Submitted: auto-replied"),
    ({"Precedence": "bulk"}, "a@b.example", "News", "Precedence: bulk"),
    ({"List-Id": "<students.lists.example>"}, "a@b.example", "Digest", "mailing list"),
    ({"Return-Path": "<>"}, "a@b.example", "x", "empty Return-Path"),
    ({"X-Autoreply": "yes"}, "a@b.example", "x", "auto-reply (x-autoreply header)"),
    ({}, "MAILER-DAEMON@mx.example", "x", "automatic sender"),
    ({}, "no-reply@platform.example", "Your receipt", "automatic sender"),
    ({}, "postmaster@b.example", "x", "automatic sender"),
    ({}, "a@b.example", "Out of Office: back Monday", "auto-reply subject"),
    ({}, "a@b.example", "Automatic reply: Guest post", "auto-reply subject"),
    ({"X-Intake-Loop": "submissions@journal.example.org"}, "a@b.example", "x", "own messages"),
    ({}, "submissions@journal.example.org", "x", "intake's own address"),
])
def test_automatic_mail_is_recognised(headers: dict[str, str], sender: str, subject: str,
                                      reason: str) -> None:
    msg = parse_message(make_email(sender, subject, "text", headers=headers))
    found = detect(msg, OWN)
    assert found is not None and reason in found.reason


def test_a_person_writing_is_not_automatic() -> None:
    msg = parse_message(make_email("Ana <ana@uni.example>", "Guest post: sleep",
                                   "Hello", headers={"Auto-Submitted": "no"}))
    assert detect(msg, OWN) is None


def test_delivery_report_is_automatic() -> None:
    raw = (b"From: Mail Delivery System <mailer@mx.example>\r\nTo: a@b.example\r\n"
           b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n"
           b"--XX\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--XX--\r\n")
    found = detect(parse_message(raw), OWN)
    assert found is not None and found.reason == "delivery report (multipart/report)"


def test_kinds_from_sample_mails() -> None:
    guest = make_email("a@u.example", "Guest post: night shifts",
                       "Please find attached my article for your consideration.")
    assert _kind(guest)[0] == "guest_post"
    sponsored = make_email("b@c.example", "Collaboration",
                           "We would like to publish an advertorial; what are your rates?")
    kind, signals = _kind(sponsored)
    assert kind == "sponsored" and "body mentions 'advertorial'" in signals
    application = make_email("c@u.example", "Joining", "Hello, see attached.",
                             attachments=(("Jane Doe CV.docx", DOCX, cv_docx("Jane")),))
    assert _kind(application)[0] == "application"  # unsure alone: 2 points, 3 needed
    contest = make_email("d@u.example", "Essay prize entry", "My entry for the contest.")
    assert _kind(contest)[0] == "contest"
    question = make_email("e@u.example", "Question", "When is the next issue out?")
    kind, signals = _kind(question)
    assert kind == "other" and "asks about dates or deadlines" in signals


def test_receiving_address_decides(tmp_path: Path) -> None:
    plus = make_email("a@u.example", "Guest post", "attached",
                      to="submissions+contest@journal.example.org")
    kind, signals = _kind(plus)
    assert kind == "contest" and signals[0] == "sent to submissions+contest@journal.example.org"


def test_phrases_match_whole_words_only() -> None:
    # "entry" must not fire inside "sentry", nor "cv" inside "cvs".
    msg = make_email("a@u.example", "Sentry duty", "Notes on cvs pharmacy rotas.")
    assert _kind(msg)[0] == "other"


# -- through the pipeline: triage, reclassify, preview --------------------------------

def _ingest(tmp_path: Path, cli: Callable[..., CliResult], config: Path,
            *messages: bytes) -> CliResult:
    return cli("--config", config, "ingest", eml_folder(tmp_path, messages))


def _rows(cli: Callable[..., CliResult], config: Path, *extra: str) -> list[dict[str, Any]]:
    out = cli("--config", config, "queue", "--json", *extra).out
    return [json.loads(line) for line in out.splitlines()]


def test_signals_plus_address_and_attachments_together(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings())
    result = _ingest(tmp_path, cli, config,
                     make_email("a@u.example", "Hello", "See attached.",
                                to="submissions+sponsored@journal.example.org",
                                message_id="<plus@x>"),
                     make_email("b@u.example", "Hello", "Please see the files.",
                                attachments=(("B CV.docx", DOCX, cv_docx("B")),
                                             ("B cover letter.docx", DOCX, cv_docx("B"))),
                                message_id="<together@x>"))
    assert result.code == 0, result.err
    rows = {r["author_email"]: r for r in _rows(cli, config)}
    plus = rows["a@u.example"]
    assert plus["kind"] == "sponsored" and plus["status"] == "queued"
    assert "sent to submissions+sponsored@journal.example.org" in \
        plus["classification"]["signals"]
    together = rows["b@u.example"]
    assert together["kind"] == "application" and together["status"] == "queued"
    assert "attachments include cv and cover" in together["classification"]["signals"]
    assert len(smtp.handler.messages) == 2


def test_an_unsure_decision_waits_in_triage_until_an_editor_reclassifies_it(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    # A model sure of nothing: every decision waits for an editor.
    config = make_config(smtp=smtp.settings(), triage={"min_confidence": 100})
    bare = make_email("Kim <kim@u.example>", "Hello", "Hi, attached.",
                      attachments=(("doc.docx", DOCX, article_docx("Night shifts")),),
                      message_id="<bare@x>")
    assert _ingest(tmp_path, cli, config, bare).code == 0
    (row,) = _rows(cli, config)  # the default queue lists triage
    assert row["status"] == "triage" and row["kind"] == "guest_post"
    assert not row["classification"]["sure"]
    assert any(s.startswith("unsure:") for s in row["classification"]["signals"])
    # The author is answered, without a guess at the kind.
    ack = email.message_from_bytes(smtp.handler.messages[0].data, policy=policy.default)
    text = ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Thank you for your submission" in text and "guest post" not in text.lower()

    ref = row["reference"]
    wrong = cli("--config", config, "reclassify", ref, "essay")
    assert wrong.code == 2 and "unknown kind 'essay'" in wrong.err
    done = cli("--config", config, "reclassify", ref, "contest", "--as", "Dr Rivera")
    assert done.code == 0, done.err
    assert done.out.strip() == f"{ref}: guest_post → contest (status queued)"
    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    assert shown["kind"] == "contest" and shown["status"] == "queued"
    event = next(e for e in shown["history"] if e["event"] == "reclassified")
    assert (event["actor"], event["before"], event["after"]) == \
        ("Dr Rivera", "guest_post", "contest")
    front = read_front_matter(config.parent / "var" / shown["draft_dir"] / "draft.md")
    assert front["kind"] == "contest" and front["status"] == "queued"
    assert front["classification"]["corrected_by"] == "Dr Rivera"
    assert "Night shifts" in (config.parent / "var" / shown["draft_dir"] / "draft.md"
                              ).read_text()
    assert len(smtp.handler.messages) == 1  # a correction sends nothing


def test_preview_renders_every_template_with_every_sample(
        make_config: Configure, cli: Callable[..., CliResult]) -> None:
    config = make_config()
    listed = cli("--config", config, "preview", "--list")
    assert listed.code == 0
    templates = listed.out.splitlines()[0].removeprefix("templates: ").split(", ")
    samples = listed.out.splitlines()[1].removeprefix("samples:   ").split(", ")
    assert {"received", "revision_received", "missing_manuscript", "unreadable_file",
            "received_application", "received_sponsored"} <= set(templates)
    assert {"long_article", "revision", "unreadable"} <= set(samples)
    for template in templates:
        for sample in samples:
            shown = cli("--config", config, "preview", template, "--sample", sample)
            assert shown.code == 0, (template, sample, shown.err)
            # Emails to authors carry the reference; the editors' digest lists it inside.
            assert shown.out.startswith("Subject: [JPMS-2026-0042]") or (
                template == "digest" and "JPMS-2026-0042" in shown.out) or (
                template.startswith("desk_") and "Dear Ben Okafor" in shown.out) or (
                template == "notify_batch" and "[JPMS-2026-0042]" in shown.out) or (
                # Judges and outside readers are written to about no one submission.
                template.startswith(("judge_", "reader_")) and "Dear Dr Maya Patel" in
                shown.out)
            assert "----- HTML part -----" in shown.out and "</html>" in shown.out
    long = cli("--config", config, "preview", "received_guest_post", "--sample",
               "long_article", "--part", "text").out
    assert "Your article is 4,180 words; guest posts are 800-2,500 words." in long
    subject = cli("--config", config, "preview", "revision_received", "--part", "subject")
    assert subject.out == "[JPMS-2026-0042] Revision 2 received: Sleep on night shifts\n"
    assert cli("--config", config, "preview", "nope").code == 2
    assert cli("--config", config, "preview", "received", "--sample", "nope").code == 2
