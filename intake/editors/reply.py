"""A free-form email from an editor to a submission's author, in its thread.

Not a decision: the status stays as it is. It goes through the outbox like every
email (sent by the next run, once), answers the author's latest message, and carries
no Auto-Submitted header (a person wrote it); the author's answer joins the
submission, as any reply in its thread does.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from intake.core.config import Settings
from intake.editors.decisions import decision_context, thread_of
from intake.editors.workflow import Actor, WorkflowError, find
from intake.ledger import Ledger, Submission
from intake.ledger.events import EventName
from intake.mail.templates import Notices, Rendered

TEMPLATE = "reply"


@dataclass(frozen=True)
class PreparedReply:
    sub: Submission
    actor: Actor
    message: str
    rendered: Rendered
    email: Message


def prepare_reply(ledger: Ledger, settings: Settings, notices: Notices, reference: str,
                  actor: Actor, message: str) -> PreparedReply:
    """Render the email; changes nothing."""
    sub = find(ledger, reference)
    if not message.strip():
        raise WorkflowError("an empty reply says nothing: write the message to send")
    if not sub.author_email or "@" not in sub.author_email:
        raise WorkflowError(f"{sub.reference} has no author address to write to")
    context = decision_context(settings, sub, actor, message.strip(), None, "")
    rendered = notices.render(TEMPLATE, context)
    in_reply_to, references = thread_of(ledger, sub)
    email = notices.compose(rendered, to_name=sub.author_name, to_email=sub.author_email,
                            in_reply_to=in_reply_to, references=references,
                            reference=sub.reference, auto_submitted=None)
    return PreparedReply(sub, actor, message.strip(), rendered, email)


def send_reply(ledger: Ledger, prepared: PreparedReply) -> Submission:
    """Queue the reply and record it in the history, in one transaction."""
    sub, actor = prepared.sub, prepared.actor
    with ledger.transaction():
        number = ledger.count_events(sub.id, EventName.REPLIED) + 1
        ledger.add_outbox(submission_id=sub.id, purpose=f"reply-{number}", template=TEMPLATE,
                          recipient=sub.author_email, subject=prepared.rendered.subject,
                          message_id=str(prepared.email["Message-ID"]),
                          body=prepared.email.as_bytes())
        ledger.add_event(EventName.REPLIED, submission_id=sub.id, actor=actor.id,
                         to=sub.author_email, message=prepared.message)
    return find(ledger, sub.reference)
