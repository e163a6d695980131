"""The stage list, stage by stage: what each one decides, with no document to convert and
nothing written (the outcomes are recorded elsewhere, by record.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from intake.core.config import load_settings
from intake.core.models import RawMessage, Status
from intake.core.report import RunReport
from intake.demo.samples import email as make_email
from intake.mail.parse import parse_message
from intake.pipeline.run import Intake, unsaved
from intake.pipeline.stages import (
    PREPARE_STAGES,
    STAGES,
    AboutOurMail,
    Decided,
    Duplicate,
    JoinsThread,
    Unreadable,
    Work,
    run_stages,
    run_until,
)

AUTHOR = "Ana Lima <ana@uni.example.org>"
ARTICLE = "A paragraph of the article, long enough to be one. " * 60


@pytest.fixture
def app(make_config: Callable[..., Path]) -> Iterator[Intake]:
    pipeline = Intake(load_settings(make_config(triage={"deny": ["spam.example"]})))
    yield pipeline
    pipeline.close()


def _work(data: bytes) -> Work:
    return Work(unsaved(data), data=data)


def test_the_list_is_in_the_documented_order() -> None:
    assert [s.__name__ for s in STAGES] == [
        "too_large", "read", "parse", "authorship", "duplicate", "automatic", "deny_list",
        "thread", "document", "kind", "contest", "draft", "checks", "decide"]
    assert [s.__name__ for s in PREPARE_STAGES] == ["too_large", "read", "parse", "authorship"]


def test_prepare_reads_without_deciding(app: Intake) -> None:
    work = _work(make_email(AUTHOR, "Guest post: on wards", ARTICLE))
    assert run_until(app, work, PREPARE_STAGES) is None
    assert work.message.sender_email == "ana@uni.example.org" and work.authored


def test_an_unreadable_message_ends_the_list_at_parse(app: Intake) -> None:
    outcome = run_stages(app, _work(b"\xd0\xcf\x11\xe0 an Outlook file"), STAGES)
    assert isinstance(outcome, Unreadable) and "Outlook" in outcome.reason


def test_automatic_mail_and_the_deny_list_are_decided_ignored(app: Intake) -> None:
    ooo = parse_message(make_email(AUTHOR, "Out of office", "Back on Monday.",
                                   headers={"Auto-Submitted": "auto-replied"}))
    outcome = app.assess(ooo)
    assert isinstance(outcome, Decided) and outcome.status is Status.IGNORED
    assert outcome.automatic is not None and outcome.draft is None

    denied = parse_message(make_email("Spam <win@spam.example>", "Guest post", ARTICLE))
    outcome = app.assess(denied)
    assert isinstance(outcome, Decided) and outcome.status is Status.IGNORED
    assert "deny list" in str(outcome.reason)


def test_a_new_message_is_decided_with_its_draft_and_answer(app: Intake) -> None:
    outcome = app.assess(parse_message(make_email(AUTHOR, "Guest post: on wards", ARTICLE)))
    assert isinstance(outcome, Decided) and outcome.status is Status.QUEUED
    assert outcome.draft is not None and outcome.draft.word_count > 500
    assert outcome.classification is not None and outcome.classification.kind == "guest_post"
    assert outcome.acknowledge


def test_an_unanswerable_sender_is_quarantined(app: Intake) -> None:
    outcome = app.assess(parse_message(make_email("x <not an address>", "Guest post", ARTICLE)))
    assert isinstance(outcome, Decided) and outcome.status is Status.QUARANTINED
    assert not outcome.acknowledge


def test_duplicates_threads_and_our_own_mail_need_the_ledger(app: Intake) -> None:
    """Once a message is recorded, the same message again is a duplicate, a reply with
    its reference joins it, and a bounce of our answer is about our mail."""
    first = make_email(AUTHOR, "Guest post: on wards", ARTICLE, message_id="<one@uni>")
    stored = app.accept(RawMessage("file", "test", first), RunReport())
    assert stored is not None
    app.process_pending(RunReport())
    (sub,) = app.ledger.submissions(None)
    again = b"Received: by mx2.example\r\n" + first
    assert isinstance(run_stages(app, _work(again), STAGES), Duplicate)

    reply = make_email(AUTHOR, f"Re: [{sub.reference}] thanks", "Thank you!",
                       message_id="<two@uni>")
    outcome = run_stages(app, _work(reply), STAGES)
    assert isinstance(outcome, JoinsThread) and outcome.submission.id == sub.id

    (ack,) = app.ledger.outbox_of(sub.id)
    bounce = make_email("Mail Delivery System <mailer-daemon@uni.example.org>",
                        "Undelivered Mail Returned to Sender",
                        f"Your message {ack.message_id} could not be delivered.",
                        headers={"In-Reply-To": ack.message_id,
                                 "Auto-Submitted": "auto-replied"})
    outcome = run_stages(app, _work(bounce), STAGES)
    assert isinstance(outcome, AboutOurMail) and outcome.item.id == ack.id


def _report(ack_id: str, action: str, status: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.uni.example.org>\r\n"
        "To: submissions@journal.example.org\r\nSubject: Delivery Status Notification\r\n"
        f"Message-ID: <dsn-{action}@mx.uni.example.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nThis is an automatic notice.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.uni.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; ana@uni.example.org\r\nAction: {action}\r\n"
        f"Status: {status}\r\nDiagnostic-Code: smtp; still trying\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {ack_id}\r\nSubject: Received\r\n--r--\r\n").encode()


def test_a_delay_notice_is_a_note_and_only_a_failure_is_a_bounce(app: Intake) -> None:
    first = make_email(AUTHOR, "Guest post: on wards", ARTICLE, message_id="<d1@uni>")
    assert app.accept(RawMessage("file", "t", first), RunReport()) is not None
    app.process_pending(RunReport())
    (sub,) = app.ledger.submissions(None)
    (ack,) = app.ledger.outbox_of(sub.id)

    delay = run_stages(app, _work(_report(ack.message_id, "delayed", "4.4.7")), STAGES)
    assert isinstance(delay, AboutOurMail) and delay.delayed and not delay.bounced
    failure = run_stages(app, _work(_report(ack.message_id, "failed", "5.1.1")), STAGES)
    assert isinstance(failure, AboutOurMail) and failure.bounced and not failure.delayed

    assert app.accept(RawMessage("file", "d", _report(ack.message_id, "delayed", "4.4.7")),
                      RunReport()) is not None
    app.process_pending(RunReport())
    (after,) = app.ledger.outbox_of(sub.id)
    assert after.state != "bounced"
    assert [e.event for e in app.ledger.events_of(sub.id)][-1] == "delivery delayed"


def test_an_empty_return_path_hides_no_submission_and_is_never_answered(app: Intake) -> None:
    from intake.demo.samples import DOCX, article_docx

    manuscript = b"Return-Path: <>\r\n" + make_email(
        AUTHOR, "Guest post: a case", "My article is attached.", message_id="<rp@uni>",
        attachments=(("case.docx", DOCX, article_docx("A case")),))
    outcome = app.assess(parse_message(manuscript))
    assert isinstance(outcome, Decided) and outcome.status is Status.QUEUED
    assert not outcome.acknowledge and "empty Return-Path" in str(outcome.quiet_reason)

    notice = b"Return-Path: <>\r\n" + make_email(AUTHOR, "Your message", "Thank you.")
    outcome = app.assess(parse_message(notice))
    assert isinstance(outcome, Decided) and outcome.status is Status.IGNORED


def test_a_shared_document_reaches_its_author_with_the_link_for_the_editor(
        app: Intake) -> None:
    link = "https://docs.google.com/document/d/1AbCdEf/edit?usp=sharing"
    share = make_email("Ana Lima (via Google Docs) <drive-shares-dm-noreply@google.com>",
                       'Document shared with you: "Nights on the ward"',
                       f"Ana Lima shared a document with you.\n\nNights on the ward\n{link}\n"
                       "Please consider it as a guest post for the blog.",
                       headers={"Reply-To": AUTHOR})
    work = _work(share)
    outcome = run_stages(app, work, STAGES)
    assert isinstance(outcome, Decided) and outcome.draft is not None
    assert work.message.sender_email == "ana@uni.example.org"  # answered, not no-reply
    assert outcome.acknowledge
    assert any(link in w for w in outcome.draft.warnings)
    assert "attach the file itself" in str(outcome.draft.advice)


def test_a_batch_is_recorded_once_each_and_a_half_written_raw_file_is_rewritten(
        app: Intake) -> None:
    """accept_batch: the same bytes twice in one batch make one row; a raw file left at
    its place by a run killed before its sync (right size, wrong bytes) is written again
    rather than trusted."""
    import hashlib

    first = make_email(AUTHOR, "Guest post: one", ARTICLE, message_id="<b1@uni>")
    second = make_email(AUTHOR, "Guest post: two", ARTICLE, message_id="<b2@uni>")
    place = app.store.raw_path(hashlib.sha256(second).hexdigest())
    place.parent.mkdir(parents=True, exist_ok=True)
    place.write_bytes(b"\0" * len(second))
    report = RunReport()
    taken = app.accept_batch([(RawMessage("file", "a", first), None),
                              (RawMessage("file", "b", first), None),
                              (RawMessage("file", "c", second), None)], report)
    assert [t is not None for t in taken] == [True, False, True]
    assert (report.fetched, report.known) == (3, 1)
    assert place.read_bytes() == second


def test_a_large_kept_message_is_parsed_from_its_file_not_read_whole(app: Intake) -> None:
    """Above READ_WHOLE_BYTES the read stage leaves the bytes on disk and parse streams
    them from the file: the same message as parsed from memory."""
    import os

    from intake.demo.samples import DOCX
    from intake.pipeline.stages import READ_WHOLE_BYTES

    blob = os.urandom(READ_WHOLE_BYTES)
    data = make_email(AUTHOR, "Guest post: large", ARTICLE, message_id="<large@uni>",
                      attachments=(("post.docx", DOCX, blob),))
    stored = app.accept(RawMessage("file", "large", data), RunReport())
    assert stored is not None and stored.size > READ_WHOLE_BYTES
    work = Work(stored)
    assert run_until(app, work, PREPARE_STAGES) is None
    assert work.data == b""
    whole = parse_message(data)
    assert work.message.attachments[0].data == blob == whole.attachments[0].data
    assert (work.message.subject, work.message.text, work.message.fingerprint) == (
        whole.subject, whole.text, whole.fingerprint)


def test_two_messages_are_read_ahead_unless_large(app: Intake) -> None:
    """The next two messages are read ahead (their documents then convert beside this
    one): a small one by a conversion worker, a large one here, from its file; a second
    one only while the two are small together."""
    from intake.convert import isolated
    from intake.core.models import MessageState
    from intake.demo.samples import DOCX, article_docx
    from intake.drafts.build import conversion_limits
    from intake.pipeline.run import READ_AHEAD_BYTES

    isolated._retire()
    report = RunReport()
    padding = "x" * (READ_AHEAD_BYTES + 1)
    for n, body in enumerate(["Hello.", "Hello.", "Hello.", padding, "Hello."]):
        app.accept(RawMessage("local", f"m{n}", make_email(
            AUTHOR, f"Guest post {n}", body,
            attachments=(("p.docx", DOCX, article_docx(f"Post {n}")),))), report)
    todo = app.ledger.messages_in_state(MessageState.FETCHED)
    ids = [m.id for m in todo]
    ahead: dict[int, Work] = {}

    def look_ahead(start: int) -> list[int]:
        app._look_ahead(todo[start:], ahead)
        return sorted(ahead)

    assert look_ahead(1) == ids[1:3]
    assert all(w.ahead and w.msg is None for w in ahead.values())  # in the workers
    assert len(isolated._workers) == 2  # both messages are being read and converted
    for n in (1, 2):
        msg = isolated.prepared(ids[n], conversion_limits(app.settings.drafts))
        assert msg is not None and msg.subject == f"Guest post {n}"
    assert look_ahead(2) == ids[1:3]  # the large one is not held beside another
    del ahead[ids[1]], ahead[ids[2]]
    assert look_ahead(3) == [ids[3]]  # read on its own, and nothing beside it
    assert ahead[ids[3]].msg is not None and not ahead[ids[3]].ahead  # parsed here
    isolated._retire()  # what was asked for ahead is for no one


def test_messages_read_ahead_are_parsed_by_the_workers_not_here(
        app: Intake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the first message of a run is parsed by the main process; the others were
    read ahead by the conversion workers, and come out as they would have here. One the
    workers cannot read is read again at its turn, which says why it cannot."""
    from intake.core.models import MessageState
    from intake.demo.samples import DOCX, article_docx
    from intake.pipeline import stages

    report = RunReport()
    mail = [make_email(AUTHOR, f"Guest post {n}", "Hello.", message_id=f"<p{n}@uni>",
                       attachments=(("p.docx", DOCX, article_docx(f"Post {n}")),))
            for n in range(4)]
    mail.insert(2, b"\xd0\xcf\x11\xe0 an Outlook file")
    for n, data in enumerate(mail):
        app.accept(RawMessage("local", f"m{n}", data), report)
    parsed_here: list[str] = []
    for name in ("parse_message", "parse_message_file"):
        original = getattr(stages, name)

        def counting(source: object, _original: Callable[..., object] = original) -> object:
            parsed_here.append(str(source)[:20])
            return _original(source)

        monkeypatch.setattr(stages, name, counting)
    app.process_pending(report)
    assert len(parsed_here) == 2  # the first, and the one the workers could not read
    subs = app.ledger.submissions()
    assert sorted(s.title for s in subs if s.status is not Status.QUARANTINED) == [
        f"Post {n}" for n in range(4)]
    broken = [s for s in subs if s.status is Status.QUARANTINED]
    assert len(broken) == 1 and "Outlook" in (broken[0].reason or "")
    assert app.ledger.messages_in_state(MessageState.FETCHED) == []
