"""`intake retry REF`: process a quarantined message again, after its cause was fixed.

The submission keeps its reference and history; a retry that works gives it a
draft and sends the author the acknowledgement they would have had (unless they
were already sent that very one); one that fails again says why, and keeps it
quarantined.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from intake.core.budget import MessageTimeout, time_budget
from intake.core.errors import IntakeError
from intake.core.models import Classification, MessageState, Status
from intake.editors.workflow import Actor, WorkflowError, find, overtaken
from intake.ledger import StoredMessage, Submission
from intake.ledger.events import EventName
from intake.mail.outbox import ACK, acknowledgement_template
from intake.pipeline.record import Version, commit_draft
from intake.pipeline.run import Intake
from intake.pipeline.stages import RETRY_STAGES, Decided, Unreadable, Work, run_stages

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
    work = Work(stored, data=data)
    try:
        with time_budget(seconds):
            outcome = run_stages(app, work, RETRY_STAGES)
    except MessageTimeout:
        return _still(app, sub, actor, f"processing it took longer than {seconds:g} seconds "
                      "([intake] message_seconds)")
    if isinstance(outcome, Unreadable):
        return _still(app, sub, actor, outcome.reason)
    if not isinstance(outcome, Decided) or outcome.draft is None \
            or outcome.status in (Status.QUARANTINED, Status.IGNORED):
        reason = outcome.reason if isinstance(outcome, Decided) else None
        return _still(app, sub, actor, reason or "no draft could be made")
    msg, draft, status = work.message, outcome.draft, outcome.status
    found = outcome.classification or Classification(settings.default_kind, 0, (), sure=True)
    with ledger.transaction():
        if not ledger.change_status(sub.id, Status.QUARANTINED, status, kind=found.kind,
                                    title=draft.title, word_count=draft.word_count,
                                    warnings=list(draft.warnings), classification=found,
                                    reason=None, author_name=msg.sender_name,
                                    author_email=msg.sender_email, subject=msg.subject,
                                    message_id=msg.message_id):
            raise overtaken(ledger, sub)
        sub = ledger.submission_by_id(sub.id)
        answer = None
        if outcome.acknowledge:
            template = acknowledgement_template(app.notices, found.kind, draft, sure=found.sure)
            if template not in {o.template for o in ledger.outbox_of(sub.id)}:
                retries = ledger.count_events(sub.id, EventName.RETRIED)
                answer = ACK if not ledger.outbox_of(sub.id) else f"{ACK}-retry-{retries}"
        folder = commit_draft(app, Version(sub, stored, msg, draft, found, status,
                                           revision=sub.revision), answer=answer)
        ledger.update_submission(sub.id, draft_dir=folder)
        ledger.add_event(EventName.RETRIED, submission_id=sub.id, message_row=stored.id,
                         actor=actor.id, result="drafted", words=draft.word_count,
                         warnings=len(draft.warnings))
        ledger.add_event(EventName.CLASSIFIED, submission_id=sub.id, kind=found.kind,
                         score=found.score, signals=list(found.signals), sure=found.sure)
        ledger.add_event(EventName.STATUS_CHANGED, submission_id=sub.id, actor=actor.id,
                         before=Status.QUARANTINED.value, after=status.value)
    log.info("%s: retried, now %s", sub.reference, status.value)
    return Retried(find(ledger, reference), True, f"drafted: {draft.word_count} words, "
                   f"{len(draft.warnings)} warning(s), status {status.value}")


def _first_message(app: Intake, sub: Submission) -> StoredMessage:
    """The message that was quarantined (the first of the submission's own)."""
    for stored in app.ledger.messages_of(sub.id):
        if stored.state is MessageState.QUARANTINED:
            return stored
    if app.ledger.last_event(sub.id, EventName.REVISED) is not None:
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
        app.ledger.add_event(EventName.RETRIED, submission_id=sub.id, actor=actor.id,
                             result="still quarantined", reason=reason)
    return Retried(find(app.ledger, sub.reference), False, reason)
