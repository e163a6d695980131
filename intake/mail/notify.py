"""Editors emailed at once, when they asked for it: a new submission of a kind they
follow, or the author of a submission assigned to them writing again. Queued in the
outbox with the change that caused it (the same transaction), sent by the same run.

At most [replies] max_notifications_per_run such emails go to one editor in one run;
past that, what happened is gathered (Batch) and goes out as one email at the end of
the run's processing: twelve forged guest posts make four emails, not twelve."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from intake.core.config import Settings
from intake.ledger import Ledger, Submission
from intake.mail.templates import Notices

Event = Literal["new", "revision", "reply"]
TEMPLATE = "notify"
BATCH_TEMPLATE = "notify_batch"


@dataclass
class Batch:
    """One run's notifications: how many each editor got, and what waits for the summary."""

    limit: int
    sent: Counter[str] = field(default_factory=Counter)
    held: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def notify_editors(ledger: Ledger, settings: Settings, notices: Notices, sub: Submission,
                   event: Event, message_row: int, detail: str = "",
                   batch: Batch | None = None) -> int:
    """Queue one email to each editor who asked for this (past the run's limit, keep it
    for the summary); how many were queued."""
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
    queued = 0
    for editor in wanted:
        context = {"reference": sub.reference, "kind": sub.kind, "kind_label": label,
                   "title": sub.title, "author_name": sub.author_name,
                   "author_email": sub.author_email, "editor_name": editor.name,
                   "event": event, "detail": detail, "link": link,
                   "word_count": sub.word_count, "revision": sub.revision,
                   "submission_id": sub.id}
        if batch is not None and batch.sent[editor.id] >= batch.limit:
            batch.held.setdefault(editor.id, []).append(context)
            continue
        if batch is not None:
            batch.sent[editor.id] += 1
        queued += 1
        rendered = notices.render(TEMPLATE, context)
        email = notices.compose(rendered, to_name=editor.name, to_email=editor.email,
                                reference=sub.reference, auto_submitted="auto-generated")
        ledger.add_outbox(submission_id=sub.id, purpose=f"notify-{editor.id}-{event}-"
                          f"{message_row}", template=TEMPLATE, recipient=editor.email,
                          subject=rendered.subject, message_id=str(email["Message-ID"]),
                          body=email.as_bytes())
    return queued


def send_held(ledger: Ledger, settings: Settings, notices: Notices, batch: Batch,
              run: str) -> int:
    """The run's held notifications, one email per editor; how many emails. The caller
    holds the transaction."""
    editors = {e.id: e for e in settings.editors}
    count = 0
    for editor_id, items in batch.held.items():
        editor = editors.get(editor_id)
        if editor is None or not items:
            continue
        base = settings.web.public_url
        context = {"editor_name": editor.name, "items": items, "total": len(items),
                   "link": f"{base.rstrip('/')}/" if base else "",
                   "limit": batch.limit}
        rendered = notices.render(BATCH_TEMPLATE, context)
        email = notices.compose(rendered, to_name=editor.name, to_email=editor.email,
                                auto_submitted="auto-generated")
        if ledger.add_outbox(submission_id=int(items[0]["submission_id"]),
                             purpose=f"notify-{editor.id}-batch-{run}",
                             template=BATCH_TEMPLATE, recipient=editor.email,
                             subject=rendered.subject, message_id=str(email["Message-ID"]),
                             body=email.as_bytes()) is not None:
            count += 1
    batch.held.clear()
    return count
