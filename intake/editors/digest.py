"""`intake digest`: one email per editor, for a daily cron line.

Each editor is told what came in since their last digest, what waits on them,
what waits for any editor, which authors wrote back (replies kept as
correspondence get no automatic answer, so a person must see them), what waits
on authors, and what is quarantined. An
editor with nothing in any section gets no email. A digest is sent straight
away (it is about the ledger, not one submission, so it has no outbox row); one
that cannot be sent is tried again by the next run, which still covers
everything since the last digest that went out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

from intake.core.config import Editor, Settings
from intake.core.models import Status
from intake.editors.stages import stage_of, stages_of
from intake.editors.workflow import OPEN
from intake.ledger import Ledger, OutboxItem, Submission, now_iso
from intake.ledger.events import EventName
from intake.mail.templates import Notices, Rendered

log = logging.getLogger(__name__)

FIRST_DIGEST_HOURS = 24  # what "new" means for an editor's first digest


@dataclass(frozen=True)
class Digest:
    editor: Editor
    since: str
    at: str  # when it was built: the next digest's "new" starts here
    sections: list[dict[str, Any]]
    rendered: Rendered | None = None
    email: Message | None = None

    @property
    def total(self) -> int:
        """Submissions mentioned (one may be both new and waiting on you)."""
        return len({i["reference"] for s in self.sections for i in s["items"]})


def build(ledger: Ledger, settings: Settings, notices: Notices, editor: Editor,
          now: datetime | None = None) -> Digest:
    now = now or datetime.now(UTC)
    since = ledger.last_digest(editor.id) or (now - timedelta(hours=FIRST_DIGEST_HOURS)
                                              ).isoformat(timespec="seconds")

    def items(rows: list[Submission]) -> list[dict[str, Any]]:
        return [_item(settings, r, now) for r in rows]

    sections = [
        {"title": "New since your last digest",
         "items": items(ledger.submissions(OPEN, received_after=since))},
        {"title": "Waiting on you",
         "items": items(ledger.submissions((Status.QUEUED, Status.IN_REVIEW),
                                           assignee=editor.id))},
        {"title": "Waiting for an editor (nobody assigned)",
         "items": items(ledger.submissions((Status.TRIAGE, Status.QUEUED), unassigned=True))},
        {"title": "Replies from authors (kept as correspondence, not answered)",
         "items": [{**_item(settings, sub, now), "reason": "“" + str(
             event.detail.get("excerpt", "")) + "”"}
             for sub, event in ledger.with_event_since(EventName.CORRESPONDENCE, since)]},
        {"title": "Waiting on authors (changes requested)",
         "items": items(ledger.submissions((Status.CHANGES_REQUESTED,)))},
        {"title": "Quarantined: could not be processed",
         "items": items(ledger.submissions((Status.QUARANTINED,)))},
        {"title": "On their own road (sponsored articles, applications): who it waits on",
         "items": [{**_item(settings, sub, now), "reason": said}
                   for sub, said in _on_the_road(ledger, settings)]},
    ]
    at = now.isoformat(timespec="seconds")
    digest = Digest(editor, since, at, sections)
    if digest.total == 0:
        return digest
    context = {"editor_name": editor.name, "since": since[:16].replace("T", " "),
               "sections": sections, "total": digest.total, "reference": ""}
    rendered = notices.render("digest", context)
    email = notices.compose(rendered, to_name=editor.name, to_email=editor.email,
                            auto_submitted="auto-generated")
    return Digest(editor, since, at, sections, rendered, email)


# Stages that end a road: nothing waits on anyone there.
_ENDS = frozenset({"declined", "joined", "published"})


def _on_the_road(ledger: Ledger, settings: Settings) -> list[tuple[Submission, str]]:
    """Open submissions of kinds with stages, past the first and short of the end: on
    whom each waits. On the author, when the last move emailed them and they have not
    written since; else on its editor."""
    found = []
    for sub in ledger.submissions(OPEN):
        stages = stages_of(settings, sub)
        stage = stage_of(settings, sub)
        if not stages or stage is None or stage == stages[0] or stage == stages[-1] or \
                stage in _ENDS:
            continue
        moved = ledger.last_event(sub.id, EventName.STAGE_CHANGED)
        wrote = max((e.at for e in (ledger.last_event(sub.id, EventName.CORRESPONDENCE),
                                    ledger.last_event(sub.id, EventName.REVISED)) if e),
                    default="")
        on_author = moved is not None and bool(moved.detail.get("email")) and wrote < moved.at
        who = "the author" if on_author else (sub.assignee or "an editor")
        found.append((sub, f"stage {stage}: waiting on {who}"))
    return found


def _item(settings: Settings, sub: Submission, now: datetime) -> dict[str, Any]:
    try:
        label = settings.kind(sub.kind).label
    except KeyError:
        label = sub.kind
    return {"reference": sub.reference, "title": sub.title, "kind_label": label,
            "author": sub.author_name or sub.author_email, "status": sub.status.value,
            "assignee": sub.assignee or "", "age_days": sub.age_days(now),
            "reason": sub.reason or "", "warnings": len(sub.warnings)}


def as_outbox_item(digest: Digest) -> OutboxItem:
    """The shape transports deliver; a digest has no outbox row of its own."""
    assert digest.email is not None and digest.rendered is not None
    stamp = now_iso()
    return OutboxItem(id=0, submission_id=0,
                      purpose=f"digest-{digest.editor.id}-{stamp[:19].replace(':', '')}",
                      template="digest", recipient=digest.editor.email,
                      subject=digest.rendered.subject,
                      message_id=str(digest.email["Message-ID"]),
                      body=digest.email.as_bytes(), state="pending", attempts=0,
                      last_error=None, next_attempt_at=stamp, created_at=stamp, sent_at=None)
