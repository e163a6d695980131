"""Editors emailed at once, when they asked for it: a new submission of a kind they
follow, or the author of a submission assigned to them writing again. Queued in the
outbox with the change that caused it (the same transaction), sent by the same run."""

from __future__ import annotations

from typing import Literal

from intake.core.config import Settings
from intake.ledger import Ledger, Submission
from intake.mail.templates import Notices

Event = Literal["new", "revision", "reply"]
TEMPLATE = "notify"


def notify_editors(ledger: Ledger, settings: Settings, notices: Notices, sub: Submission,
                   event: Event, message_row: int, detail: str = "") -> int:
    """Queue one email to each editor who asked for this; how many were queued."""
    wanted = []
    for editor in settings.editors:
        # What the editor chose on the desk, else what settings.toml says.
        follows, assigned = ledger.notifications(editor.id) or (editor.follows,
                                                                 editor.notify_assigned)
        if (event == "new" and sub.kind in follows) or (
                event != "new" and assigned and sub.assignee == editor.id):
            wanted.append(editor)
    try:
        label = settings.kind(sub.kind).label
    except KeyError:
        label = sub.kind
    base = settings.web.public_url
    link = f"{base.rstrip('/')}/s/{sub.reference}/" if base else ""
    for editor in wanted:
        context = {"reference": sub.reference, "kind": sub.kind, "kind_label": label,
                   "title": sub.title, "author_name": sub.author_name,
                   "author_email": sub.author_email, "editor_name": editor.name,
                   "event": event, "detail": detail, "link": link,
                   "word_count": sub.word_count, "revision": sub.revision}
        rendered = notices.render(TEMPLATE, context)
        email = notices.compose(rendered, to_name=editor.name, to_email=editor.email,
                                reference=sub.reference, auto_submitted="auto-generated")
        ledger.add_outbox(submission_id=sub.id, purpose=f"notify-{editor.id}-{event}-"
                          f"{message_row}", template=TEMPLATE, recipient=editor.email,
                          subject=rendered.subject, message_id=str(email["Message-ID"]),
                          body=email.as_bytes())
    return len(wanted)
