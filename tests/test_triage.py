"""Automatic mail is recognised; kinds come from the signals in settings, with reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.config import load_settings
from intake.parse import parse_message
from intake.samples import DOCX, cv_docx
from intake.samples import email as make_email
from intake.triage.automatic import automatic_reason
from intake.triage.kinds import classify
from tests.conftest import REPO

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
    found = automatic_reason(msg, OWN)
    assert found is not None and reason in found


def test_a_person_writing_is_not_automatic() -> None:
    msg = parse_message(make_email("Ana <ana@uni.example>", "Guest post: sleep",
                                   "Hello", headers={"Auto-Submitted": "no"}))
    assert automatic_reason(msg, OWN) is None


def test_delivery_report_is_automatic() -> None:
    raw = (b"From: Mail Delivery System <mailer@mx.example>\r\nTo: a@b.example\r\n"
           b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n"
           b"--XX\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--XX--\r\n")
    assert automatic_reason(parse_message(raw), OWN) == "delivery report (multipart/report)"


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
    assert _kind(question) == ("other", ("no signal matched",))


def test_receiving_address_decides(tmp_path: Path) -> None:
    plus = make_email("a@u.example", "Guest post", "attached",
                      to="submissions+contest@journal.example.org")
    kind, signals = _kind(plus)
    assert kind == "contest" and signals[0] == "sent to submissions+contest@journal.example.org"


def test_phrases_match_whole_words_only() -> None:
    # "entry" must not fire inside "sentry", nor "cv" inside "cvs".
    msg = make_email("a@u.example", "Sentry duty", "Notes on cvs pharmacy rotas.")
    assert _kind(msg)[0] == "other"
