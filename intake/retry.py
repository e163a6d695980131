"""`intake retry REF`: process a quarantined message again, after its cause was fixed.

The submission keeps its reference and history; a retry that works gives it a
draft and sends the author the acknowledgement they would have had (unless they
were already sent that very one); one that fails again says why, and keeps it
quarantined.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from intake.budget import MessageTimeout, time_budget
from intake.errors import IntakeError
from intake.frontmatter import front_matter
from intake.ledger import StoredMessage, Submission
from intake.models import Classification, MessageState, Status
from intake.outgoing import ACK, acknowledgement_template
from intake.parse import ParseError, parse_message
from intake.pipeline import Intake
from intake.workflow import Actor, WorkflowError, find, overtaken

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retried:
    sub: Submission
    ok: bool
    detail: str


def retry(app: Intake, reference: str, actor: Actor) -> Retried:
    ledger, settings = app.ledger, app.settings
    sub = find(ledger, reference)
    if sub.status is not Status.QUARANTINED:
        raise WorkflowError(f"{sub.reference} is {sub.status.value}, not quarantined: there "
                            "is nothing to retry")
    stored = _first_message(app, sub)
    data = app.store.read_raw(stored.raw_path)
    limit = settings.intake.max_message_bytes
    if stored.size > limit:
        where = ("only its headers were fetched, so the whole message must be fetched again: "
                 "move it back to the inbox on the server" if len(data) < stored.size else
                 "raise [intake] max_message_bytes")
        return _still(app, sub, actor, f"the message is {stored.size:,} bytes, over the "
                      f"{limit:,} byte limit: {where}")
    seconds = settings.intake.message_seconds
    try:
        with time_budget(seconds):
            msg = app.as_sent_by_author(parse_message(data), data)
            verdict = app.assess(msg, follow_threads=False)
    except ParseError as exc:
        return _still(app, sub, actor, str(exc))
    except MessageTimeout:
        return _still(app, sub, actor, f"processing it took longer than {seconds:g} seconds "
                      "([intake] message_seconds)")
    if verdict.status in (Status.QUARANTINED, Status.IGNORED) or verdict.draft is None:
        return _still(app, sub, actor, verdict.reason or "no draft could be made")
    draft, found = verdict.draft, verdict.classification or Classification(
        settings.default_kind, 0, (), sure=True)
    status = verdict.status
    classification = {"kind": found.kind, "score": found.score, "signals": list(found.signals),
                      "sure": found.sure}
    with ledger.transaction():
        if not ledger.change_status(sub.id, Status.QUARANTINED, status, kind=found.kind,
                                    title=draft.title, word_count=draft.word_count,
                                    warnings=list(draft.warnings),
                                    classification=classification, reason=None,
                                    author_name=msg.sender_name,
                                    author_email=msg.sender_email, subject=msg.subject,
                                    message_id=msg.message_id):
            raise overtaken(ledger, sub)
        front = front_matter(reference=sub.reference, kind=found.kind, status=status, msg=msg,
                             draft=draft, received=sub.received, classification=found,
                             revision=sub.revision)
        folder = app.store.write_revision(sub.reference, front, draft.markdown, draft.assets,
                                          draft.originals, msg.text)
        ledger.update_submission(sub.id, draft_dir=app.store.relative(folder))
        ledger.add_files(sub.id, sub.revision, stored.id,
                         [(f.name, f.role, f.sha256) for f in draft.source_files])
        ledger.add_event("retried", submission_id=sub.id, message_row=stored.id,
                         actor=actor.id, result="drafted", words=draft.word_count,
                         warnings=len(draft.warnings))
        ledger.add_event("classified", submission_id=sub.id, kind=found.kind,
                         score=found.score, signals=list(found.signals), sure=found.sure)
        ledger.add_event("status changed", submission_id=sub.id, actor=actor.id,
                         before=Status.QUARANTINED.value, after=status.value)
        ledger.finish_message(stored.id, MessageState.PROCESSED, message_id=msg.message_id,
                              fingerprint=msg.fingerprint, submission_id=sub.id)
        if verdict.acknowledge and settings.kind(found.kind).acknowledge:
            template = acknowledgement_template(app.notices, found.kind, draft, sure=found.sure)
            if template not in {o.template for o in ledger.outbox_of(sub.id)}:
                retries = ledger.count_events(sub.id, "retried")
                purpose = ACK if not ledger.outbox_of(sub.id) else f"{ACK}-retry-{retries}"
                context = app.outgoing.context(sub.reference, found.kind, msg, draft,
                                               sure=found.sure)
                app.outgoing.queue(sub.id, purpose, template, msg, context)
    log.info("%s: retried, now %s", sub.reference, status.value)
    return Retried(find(ledger, reference), True, f"drafted: {draft.word_count} words, "
                   f"{len(draft.warnings)} warning(s), status {status.value}")


def _first_message(app: Intake, sub: Submission) -> StoredMessage:
    """The message that was quarantined (the first of the submission's own)."""
    for stored in app.ledger.messages_of(sub.id):
        if stored.state is MessageState.QUARANTINED:
            return stored
    if app.ledger.last_event(sub.id, "revised") is not None:
        # A revision that could not be read: the author's next version fixes it.
        raise IntakeError(f"{sub.reference} was quarantined by a revision that could not be "
                          "read; ask the author to send it again (their reply becomes the "
                          f"next revision), or reject it (intake show {sub.reference})")
    raise IntakeError(f"{sub.reference} has no quarantined message to retry (intake show "
                      f"{sub.reference})")


def _still(app: Intake, sub: Submission, actor: Actor, reason: str) -> Retried:
    with app.ledger.transaction():
        if not app.ledger.change_status(sub.id, Status.QUARANTINED, Status.QUARANTINED,
                                        reason=reason):
            raise overtaken(app.ledger, sub)
        app.ledger.add_event("retried", submission_id=sub.id, actor=actor.id,
                             result="still quarantined", reason=reason)
    return Retried(find(app.ledger, sub.reference), False, reason)
