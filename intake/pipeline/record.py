"""What an outcome changes: the ledger, the data folder and the outbox, in one transaction.

The stages (stages.py) only decide; this module does. `commit_draft` is the one place a
draft is committed, whether it makes a new submission, its next revision or a retry:
the draft folder, the files it came from, the author's answer and the message's final
state, inside the caller's transaction, whose ledger row and events are its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr
from typing import TYPE_CHECKING

from intake.contests.entries import contest_answer, enter
from intake.core import languages
from intake.core.models import Classification, Draft, MessageState, ParsedMessage, Status
from intake.core.report import RunReport
from intake.drafts.frontmatter import front_matter
from intake.editors import authors
from intake.editors.decisions import language_of
from intake.ledger import Ledger, StoredMessage, Submission
from intake.ledger.events import EventName
from intake.mail.notify import notify_editors
from intake.mail.outbox import ACK, acknowledgement_template
from intake.pipeline.stages import (
    AboutOurMail,
    Decided,
    Duplicate,
    JoinsThread,
    Outcome,
    Unreadable,
    Work,
)

if TYPE_CHECKING:
    from intake.pipeline.run import Intake

log = logging.getLogger(__name__)

_FINAL = {Status.IGNORED: MessageState.IGNORED, Status.QUARANTINED: MessageState.QUARANTINED}


def record(app: Intake, work: Work, outcome: Outcome, report: RunReport) -> None:
    if isinstance(outcome, Unreadable):
        headers = (work.data if work.data and not outcome.headers_only
                   else app.headers_of(work.stored))
        quarantine_unreadable(app, work.stored, outcome.reason, report, headers=headers)
    elif isinstance(outcome, Duplicate):
        _duplicate(app, work, outcome, report)
    elif isinstance(outcome, AboutOurMail):
        _about_our_mail(app, work, outcome, report)
    elif isinstance(outcome, JoinsThread):
        app.threads.add(work.stored, work.message, outcome.submission, outcome.how, report)
    else:
        _new_submission(app, work, outcome, report)


@dataclass(frozen=True)
class Version:
    """A draft and where it goes: the submission (already in the ledger) and revision."""

    sub: Submission
    stored: StoredMessage  # the message it came from
    msg: ParsedMessage  # as the author sent it
    draft: Draft
    classification: Classification
    status: Status
    revision: int = 1
    received: str = ""  # when the submission first arrived
    revised: str | None = None  # when this revision arrived (revision > 1)


def commit_draft(app: Intake, version: Version, *, answer: str | None,
                 reason: str | None = None,
                 state: MessageState = MessageState.PROCESSED) -> str:
    """Write the draft folder (keeping the earlier revision aside when a new one replaces
    it), record the files it came from, queue the author's answer under the outbox
    purpose `answer` (None: no answer), and finish the message in `state`. Runs inside
    the caller's transaction; returns the draft folder, relative to the data folder."""
    sub, msg, draft = version.sub, version.msg, version.draft
    # The author stays the submission's, whoever sent this version.
    as_author = replace(msg, sender_name=sub.author_name or msg.sender_name,
                        sender_email=sub.author_email or msg.sender_email)
    front = front_matter(reference=sub.reference, kind=sub.kind, status=version.status,
                         msg=as_author, draft=draft, received=version.received or sub.received,
                         classification=version.classification, revision=version.revision,
                         revised=version.revised)
    if version.revision > sub.revision:  # a new version: the current one is kept aside
        app.store.snapshot(sub.reference, sub.revision)
    if sub.draft_dir:
        folder = app.store.write_revision(sub.reference, front, draft.markdown, draft.assets,
                                          draft.originals, msg.text)
    else:
        folder = app.store.write_draft(sub.reference, front, draft.markdown, draft.assets,
                                       draft.originals, msg.text)
    app.ledger.add_files(sub.id, version.revision, version.stored.id,
                         [(f.name, f.role, f.sha256) for f in draft.source_files])
    if version.status is not Status.IGNORED:  # what it says of its author, remembered
        authors.remember(app.ledger, sub.author_email, sub.author_name, draft.markdown,
                         sub.reference)
    if answer is not None and not app.acknowledge:
        app.ledger.add_event(EventName.NOT_ANSWERED_AUTOMATICALLY, submission_id=sub.id,
                             reason="taken without answering (--no-acknowledge: old mail "
                                    "taken in bulk)")
    elif answer is not None and app.settings.kind(sub.kind).acknowledge:
        sure = version.classification.sure
        template = acknowledgement_template(app.notices, sub.kind, draft, sure=sure,
                                            revision=version.revision)
        context = app.outgoing.context(sub.reference, sub.kind, msg, draft, sure=sure,
                                       revision=version.revision,
                                       language=language_of(app.settings, sub))
        template, context = contest_answer(app.ledger, app.settings, sub, template, context)
        app.outgoing.queue(sub.id, answer, template, msg, context)
    app.ledger.finish_message(version.stored.id, state, message_id=msg.message_id,
                              fingerprint=msg.fingerprint, shown=msg, reason=reason,
                              submission_id=sub.id)
    return app.store.relative(folder)


def _new_submission(app: Intake, work: Work, verdict: Decided, report: RunReport) -> None:
    """A new reference, its draft, its events and its acknowledgement, together."""
    stored, msg = work.stored, work.message
    made, status, reason = verdict.draft, verdict.status, verdict.reason
    found = verdict.classification or Classification(app.settings.default_kind, 0, (),
                                                     sure=True)
    title = made.title if made else (msg.subject or "(no subject)")
    with app.ledger.transaction():
        reference = app.ledger.next_reference(app.settings.intake.reference_prefix,
                                              datetime.now(UTC).year)
        sub_id = app.ledger.add_submission(
            reference=reference, kind=found.kind, status=status, title=title,
            author_name=msg.sender_name, author_email=msg.sender_email,
            subject=msg.subject, received=stored.fetched_at, message_id=msg.message_id,
            word_count=made.word_count if made else 0,
            warnings=list(made.warnings) if made else [],
            classification=verdict.classification,
            reason=reason, draft_dir=None)
        # Automatic mail is never answered: its language is not worth the detector.
        offered = app.settings.languages.offered if status is not Status.IGNORED else ()
        told = languages.detect(msg.text, made.markdown if made else "", offered,
                                app.settings.languages.default)
        app.ledger.update_submission(sub_id, sent_at=_sent_at(msg, stored.fetched_at),
                                     article_type=made.article_type if made else None,
                                     language=told.language)
        app.ledger.add_event(EventName.RECEIVED, submission_id=sub_id, message_row=stored.id,
                             origin=stored.origin, sender=msg.sender_email,
                             forwarded_by=msg.forwarded_by or None,
                             relayed_by=msg.relayed_by or None)
        if status is Status.IGNORED:
            app.ledger.add_event(EventName.IGNORED, submission_id=sub_id, reason=reason)
        else:
            app.ledger.add_event(EventName.CLASSIFIED, submission_id=sub_id, kind=found.kind,
                                 score=found.score, signals=list(found.signals),
                                 sure=found.sure, language=told.language,
                                 language_from=told.source)
        if status is Status.QUARANTINED:
            app.ledger.add_event(EventName.QUARANTINED, submission_id=sub_id, reason=reason)
        elif made is not None:
            app.ledger.add_event(EventName.DRAFTED, submission_id=sub_id, words=made.word_count,
                                 warnings=len(made.warnings))
        if verdict.quiet_reason:
            app.ledger.add_event(EventName.NOT_ANSWERED_AUTOMATICALLY, submission_id=sub_id,
                                 reason=verdict.quiet_reason)
        if verdict.contest and status is not Status.IGNORED:
            enter(app.ledger, app.settings, sub_id, verdict.contest, msg, stored)
        if made is not None and status is not Status.IGNORED and \
                app.settings.kind(found.kind).medical_checks:
            before, made = made, compared(app.ledger, sub_id, made)
            if made is not before:
                app.ledger.update_submission(sub_id, warnings=list(made.warnings))
        if made is None:
            app.ledger.finish_message(stored.id, _FINAL.get(status, MessageState.PROCESSED),
                                      message_id=msg.message_id, fingerprint=msg.fingerprint,
                                      shown=msg, reason=reason, submission_id=sub_id)
        else:
            sub = app.ledger.submission_by_id(sub_id)
            folder = commit_draft(app, Version(sub, stored, msg, made, found, status),
                                  answer=ACK if verdict.acknowledge else None, reason=reason,
                                  state=_FINAL.get(status, MessageState.PROCESSED))
            app.ledger.update_submission(sub_id, draft_dir=folder)
            if status in (Status.QUEUED, Status.TRIAGE) and app.acknowledge:
                # Old mail taken in bulk notifies no editor either: the queue shows it.
                notify_editors(app.ledger, app.settings, app.notices,
                               app.ledger.submission_by_id(sub_id), "new", stored.id,
                               batch=app.notified)
    fields = {"event": "submission", "reference": reference, "message_id": msg.message_id,
              "kind": found.kind, "status": status.value}
    if status is Status.IGNORED:
        report.ignored += 1
        log.info("%s ignored: %s", reference, reason, extra={**fields, "error": reason})
    elif status is Status.QUARANTINED:
        report.quarantined += 1
        report.quarantines.append(f"{reference} quarantined: {reason}")
        log.warning("%s quarantined: %s", reference, reason, extra={**fields, "error": reason})
    else:
        report.new += 1
        log.info("%s %s%s from %s: %s", reference, found.kind,
                 "" if found.sure else " (unsure: triage)", msg.sender_email, title,
                 extra=fields)


def compared(ledger: Ledger, submission_id: int, draft: Draft) -> Draft:
    """A draft compared with every earlier submission (medical.similarity), and kept for
    the next: each match a warning for the editor, and an event that links the two on
    the desk. For a new submission and a revision alike (never against itself)."""
    from intake.medical.similarity import check, warnings

    matches = check(ledger, submission_id, draft.markdown)
    if not matches:
        return draft
    ledger.add_event(EventName.SIMILAR, submission_id=submission_id, matches=[
        {"reference": m.reference, "similarity": round(m.similarity, 2), "status": m.status}
        for m in matches])
    return replace(draft, warnings=(*draft.warnings, *warnings(matches)))


def _sent_at(msg: ParsedMessage, arrived: str) -> str:
    """When the author sent it: the Date header, never later than it arrived (a wrong
    clock or a forged date in the future is not believed)."""
    if msg.date is None:
        return arrived
    sent = msg.date.isoformat(timespec="seconds")
    return min(sent, arrived) if sent[:4] >= "1990" else arrived


def _duplicate(app: Intake, work: Work, outcome: Duplicate, report: RunReport) -> None:
    msg, earlier = work.message, outcome.earlier
    with app.ledger.transaction():
        app.ledger.finish_message(work.stored.id, MessageState.DUPLICATE,
                                  message_id=msg.message_id, fingerprint=msg.fingerprint, shown=msg,
                                  reason=f"the same message as message {earlier.id}",
                                  submission_id=earlier.submission_id)
        app.ledger.add_event(EventName.DUPLICATE_RECEIVED, submission_id=earlier.submission_id,
                             message_row=work.stored.id, origin=work.stored.origin)
    report.duplicates += 1


def _about_our_mail(app: Intake, work: Work, outcome: AboutOurMail,
                    report: RunReport) -> None:
    """A bounce of one of our emails marks it bounced; an automatic answer to one is
    noted. Either on its submission, with no new reference."""
    msg, item = work.message, outcome.item
    with app.ledger.transaction():
        if outcome.delayed:
            app.ledger.add_event(EventName.DELIVERY_DELAYED, submission_id=item.submission_id,
                                 message_row=work.stored.id, purpose=item.purpose,
                                 to=item.recipient, reason=outcome.detail)
        elif outcome.bounced:
            app.ledger.outbox_bounced(item.id, outcome.detail)
            app.ledger.add_event(EventName.EMAIL_BOUNCED, submission_id=item.submission_id,
                                 message_row=work.stored.id, purpose=item.purpose,
                                 to=item.recipient, reason=outcome.detail)
        else:
            app.ledger.add_event(EventName.AUTOMATIC_REPLY_RECEIVED,
                                 submission_id=item.submission_id,
                                 message_row=work.stored.id, sender=msg.sender_email,
                                 reason=outcome.detail)
        app.ledger.finish_message(work.stored.id, MessageState.IGNORED,
                                  message_id=msg.message_id, reason=outcome.automatic.reason,
                                  fingerprint=msg.fingerprint, shown=msg,
                                  submission_id=item.submission_id)
    report.ignored += 1
    if outcome.delayed:
        log.info("our %s to %s is delayed, the server still tries: %s", item.purpose,
                 item.recipient, outcome.detail)
    elif outcome.bounced:
        report.bounced += 1
        log.warning("our %s to %s bounced: %s (see intake show for the submission)",
                    item.purpose, item.recipient, outcome.detail)
    else:
        log.info("automatic reply from %s to our %s: %s", msg.sender_email, item.purpose,
                 outcome.detail)


def quarantine_unreadable(app: Intake, stored: StoredMessage, reason: str, report: RunReport,
                          headers: bytes = b"") -> None:
    """Quarantine a message that could not be read far enough to draft it."""
    sender, subject = _sender_and_subject(headers)
    with app.ledger.transaction():
        reference = app.ledger.next_reference(app.settings.intake.reference_prefix,
                                              datetime.now(UTC).year)
        sub = app.ledger.add_submission(
            reference=reference, kind=app.settings.default_kind,
            status=Status.QUARANTINED, title=subject or "(unreadable message)",
            author_name=sender[0], author_email=sender[1], subject=subject,
            received=stored.fetched_at, message_id="",
            word_count=0, warnings=[], classification=None, reason=reason, draft_dir=None)
        app.ledger.add_event(EventName.RECEIVED, submission_id=sub, message_row=stored.id,
                             origin=stored.origin)
        app.ledger.add_event(EventName.QUARANTINED, submission_id=sub, reason=reason,
                             raw=stored.raw_path)
        app.ledger.finish_message(stored.id, MessageState.QUARANTINED, reason=reason,
                                  submission_id=sub)
    report.quarantined += 1
    report.quarantines.append(f"{reference} quarantined: {reason} (intake show {reference})")
    log.warning("%s quarantined: %s (raw message kept at %s)", reference, reason,
                stored.raw_path)


def _sender_and_subject(data: bytes) -> tuple[tuple[str, str], str]:
    """Who sent it and about what, from the headers alone (cheap on any size)."""
    if not data:
        return ("", ""), ""
    headers = BytesHeaderParser(policy=compat32).parsebytes(data[:256 * 1024])
    name, addr = parseaddr(str(headers.get("From", "")))
    subject = " ".join(str(headers.get("Subject", "")).split())[:200]
    return (name, addr.lower()), subject
