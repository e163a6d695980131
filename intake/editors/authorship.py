"""Who may change a submission, and an editor's way to let a held version in.

Only the submission's author (the address its acknowledgement went to) and the
addresses an editor adds may revise it; anything else that joins its thread is kept
as correspondence and held. `take_revision` is how an editor turns such a held
message (or any correspondence) into the next revision.
"""

from __future__ import annotations

from intake.core.budget import MessageTimeout, time_budget
from intake.core.errors import IntakeError
from intake.core.models import MessageState
from intake.core.report import RunReport
from intake.editors.workflow import Actor, WorkflowError, find
from intake.ledger import Submission
from intake.ledger.events import EventName
from intake.mail.parse import ParseError, parse_message
from intake.pipeline.run import Intake

_ADDRESS_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-@")


def add_author(app: Intake, reference: str, email: str, actor: Actor) -> Submission:
    """Let another address revise the submission (a co-author, the author's new address)."""
    sub = find(app.ledger, reference)
    address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    if not (at and local and "." in domain) or not set(address) <= _ADDRESS_CHARS:
        raise WorkflowError(f"{email!r} is not an email address (name@example.org)")
    with app.ledger.transaction():
        if app.ledger.add_author(sub.id, address, actor.id):
            app.ledger.add_event(EventName.AUTHOR_ADDED, submission_id=sub.id, actor=actor.id,
                                 email=address)
    return sub


def take_revision(app: Intake, reference: str, message_row: int, actor: Actor) -> Submission:
    """Make a message kept as the submission's correspondence its next revision."""
    sub = find(app.ledger, reference)
    stored = next((m for m in app.ledger.messages_of(sub.id) if m.id == message_row), None)
    if stored is None or stored.state is not MessageState.PROCESSED:
        raise WorkflowError(f"message {message_row} is not one of {sub.reference}'s (intake "
                            f"show {sub.reference} lists them, as message_row)")
    try:
        data = app.store.read_raw(stored.raw_path)
    except OSError as exc:
        raise IntakeError(f"message {message_row} is no longer kept ({exc})") from exc
    seconds = app.settings.intake.message_seconds
    try:
        with time_budget(seconds):
            msg = app.as_sent_by_author(parse_message(data))
            app.threads.revise(stored, msg, sub, f"taken as a revision by {actor.id}",
                               RunReport(), actor=actor.id)
    except ParseError as exc:
        raise IntakeError(f"message {message_row} cannot be read: {exc}") from exc
    except MessageTimeout as exc:
        raise IntakeError(f"message {message_row}: {exc}") from None
    return find(app.ledger, reference)
