"""Decisions an editor sends to the author: accept, reject, request changes, withdraw.

A decision is prepared first (checked, its email rendered, so the editor can read
it), then committed: the status change, the history and the email in the outbox go
into one transaction, so the author gets the email exactly once, and only if the
decision stood.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from typing import Any

from intake.core.config import Settings
from intake.core.models import DECIDED, MessageState, Status
from intake.editors.privacy import require_clear
from intake.editors.workflow import (
    DECISIONS,
    Actor,
    DecisionType,
    WorkflowError,
    check_step,
    find,
    move,
)
from intake.ledger import Ledger, Submission, now_iso
from intake.ledger.events import EventName
from intake.mail.framing import greets, signs
from intake.mail.templates import Notices, Rendered


@dataclass(frozen=True)
class Prepared:
    sub: Submission
    decision: DecisionType
    actor: Actor
    message: str
    reason: str | None
    template: str | None  # None: decided without an email
    rendered: Rendered | None
    email: Message | None


def prepare(ledger: Ledger, settings: Settings, notices: Notices, reference: str,
            action: str, actor: Actor, *, message: str = "", template: str | None = None,
            reason: str | None = None, send_email: bool = True) -> Prepared:
    """Check the decision is allowed and render its email; changes nothing."""
    decision = DECISIONS[action]
    sub = find(ledger, reference)
    check_step(sub, decision.status, decision.done)
    if decision.status is Status.ACCEPTED:
        require_clear(ledger, settings, sub, decision.done)
    reason_text = ""
    if reason is not None and reason not in settings.reasons:
        known = ", ".join(settings.reasons) or "none: add them under [reasons]"
        raise WorkflowError(f"no rejection reason {reason!r} in {settings.path}; the "
                            f"reasons are {known}")
    if not send_email:
        return Prepared(sub, decision, actor, message.strip(), reason, None, None, None)
    if not sub.author_email or "@" not in sub.author_email:
        raise WorkflowError(f"{sub.reference} has no author address to write to; decide "
                            "with --no-email and answer by hand if you can")
    name = template or _default_template(notices, decision, sub.kind)
    if not notices.has(name):
        raise WorkflowError(f"no template {name!r}; templates: {', '.join(notices.names())}")
    language = notices.language_of(name, language_of(settings, sub))
    if reason is not None:
        reason_text = settings.reason_translations.get(reason, {}).get(
            language, settings.reasons[reason])
    context = decision_context(settings, sub, actor, message.strip(), reason, reason_text)
    rendered = notices.render(name, {**context, "language": language})
    in_reply_to, references = thread_of(ledger, sub)
    email = notices.compose(rendered, to_name=sub.author_name, to_email=sub.author_email,
                            in_reply_to=in_reply_to, references=references,
                            reference=sub.reference, auto_submitted=None)
    return Prepared(sub, decision, actor, message.strip(), reason, name, rendered, email)


def commit(ledger: Ledger, settings: Settings, prepared: Prepared) -> Submission:
    """Record the decision and queue its email, if the submission is still as it was."""
    sub, decision, actor = prepared.sub, prepared.decision, prepared.actor
    with ledger.transaction():
        if decision.status is Status.ACCEPTED:  # again: a revision may have come since
            require_clear(ledger, settings, sub, decision.done)
        number = ledger.count_events(sub.id, EventName.DECIDED) + 1
        extra: dict[str, Any] = {"reason": prepared.reason}
        if decision.status in DECIDED:
            extra["decided_at"] = now_iso()
        move(ledger, settings, sub, decision.status, actor, **extra)
        ledger.add_event(EventName.DECIDED, submission_id=sub.id, actor=actor.id,
                         decision=decision.status.value, reason=prepared.reason,
                         message=prepared.message or None, template=prepared.template,
                         email=prepared.email is not None)
        if prepared.email is not None and prepared.rendered is not None:
            queued = ledger.add_outbox(
                submission_id=sub.id, purpose=f"decision-{number}-{decision.status.value}",
                template=prepared.template or "", recipient=sub.author_email,
                subject=prepared.rendered.subject,
                message_id=str(prepared.email["Message-ID"]), body=prepared.email.as_bytes())
            if queued is None:  # the status check above makes this unreachable
                raise WorkflowError(f"{sub.reference}: decision {number} already has an email")
            ledger.add_event(EventName.EMAIL_QUEUED, submission_id=sub.id, actor=actor.id,
                             template=prepared.template, to=sub.author_email)
    return find(ledger, sub.reference)


def decision_context(settings: Settings, sub: Submission, actor: Actor, message: str,
                     reason: str | None, reason_text: str) -> dict[str, Any]:
    """What a decision template is told; the acknowledgement's keys are all there too, so
    an editor may choose any template with --template."""
    try:
        rule = settings.kind(sub.kind)
        label, days = rule.label, rule.response_days
    except KeyError:  # a kind since removed from the settings
        label, days = sub.kind, 0
    kind = sub.kind
    if sub.classification is not None and not sub.classification.sure:
        label, kind = "submission", ""  # an unsure kind is not named, as in the ack
    return {
        "reference": sub.reference, "kind": kind, "kind_label": label,
        "author_name": sub.author_name, "author_email": sub.author_email,
        "subject": sub.subject, "title": sub.title, "word_count": sub.word_count,
        "files": [], "problem": "", "advice": "", "findings": [], "response_days": days,
        "revision": sub.revision, "message": message, "reason": reason or "",
        "reason_text": reason_text, "editor_name": actor.name,
        # The editor's words greet or sign off themselves: the frame does not again.
        "greets": greets(message), "signs": signs(message),
        "language": language_of(settings, sub),
    }


def language_of(settings: Settings, sub: Submission) -> str:
    """The language its author is answered in: theirs if still offered, else the
    default."""
    offered = settings.languages.offered
    return sub.language if sub.language in offered else settings.languages.default


def _default_template(notices: Notices, decision: DecisionType, kind: str) -> str:
    specific = f"{decision.template}_{kind}"
    return specific if notices.has(specific) else decision.template


def thread_of(ledger: Ledger, sub: Submission) -> tuple[str, tuple[str, ...]]:
    """Answer the author's latest message, with the earlier ones as references."""
    # Its own messages only: not an out-of-office or a duplicate filed with it.
    ids = [m.message_id for m in ledger.messages_of(sub.id)
           if m.message_id and m.state in (MessageState.PROCESSED, MessageState.QUARANTINED)]
    if not ids and sub.message_id:
        ids = [sub.message_id]
    if not ids:
        return "", ()
    return ids[-1], tuple(dict.fromkeys(ids[:-1]))
