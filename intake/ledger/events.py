"""Each submission's history: what happened, when, and who did it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from intake.ledger.base import LedgerBase, now_iso
from intake.ledger.submissions import Submission, _submission


class EventName(StrEnum):
    """What can happen to a submission, as its history names it."""

    RECEIVED = "received"
    CLASSIFIED = "classified"
    RECLASSIFIED = "reclassified"
    DRAFTED = "drafted"
    IGNORED = "ignored"
    QUARANTINED = "quarantined"
    DUPLICATE_RECEIVED = "duplicate received"
    SAME_FILES_RECEIVED_AGAIN = "same files received again"
    REVISED = "revised"
    CORRESPONDENCE = "correspondence"
    AUTHOR_ADDED = "author added"
    AUTOMATIC_REPLY_RECEIVED = "automatic reply received"
    NOT_ANSWERED_AUTOMATICALLY = "not answered automatically"
    ACKNOWLEDGEMENT_QUEUED = "acknowledgement queued"
    ACKNOWLEDGEMENT_WITHHELD = "acknowledgement withheld"
    EMAIL_QUEUED = "email queued"
    EMAIL_DELIVERED = "email delivered"
    EMAIL_BOUNCED = "email bounced"
    DELIVERY_DEFERRED = "delivery deferred"
    DELIVERY_FAILED = "delivery failed"
    DELIVERY_DELAYED = "delivery delayed"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    NOTED = "noted"
    STATUS_CHANGED = "status changed"
    DECIDED = "decided"
    REPLIED = "replied"
    RETRIED = "retried"
    EXPORTED = "exported"
    PUBLISHED = "published"
    PUBLISH_PENDING = "publish pending"
    PURGED = "purged"
    EDITED = "edited"
    PRIVACY_RESOLVED = "privacy flag resolved"
    CONTEST_ENTRY = "contest entry"
    JUDGES_COPY_CONFIRMED = "judges' copy confirmed"
    JUDGES_ASSIGNED = "judges assigned"
    SCORED = "scored"
    AWARDED = "awarded"
    RESULT_SENT = "result sent"
    TYPE_CHANGED = "article type changed"
    SIMILAR = "similar to another"
    LANGUAGE_CHANGED = "language changed"
    STAGE_CHANGED = "stage changed"
    PROFILE_EDITED = "author profile edited"


# What changes the text search reads (a draft, a message, a note): the submission is
# indexed again before the transaction commits (ledger.search).
SEARCHED = frozenset({
    EventName.RECEIVED, EventName.DRAFTED, EventName.REVISED, EventName.CORRESPONDENCE,
    EventName.NOTED, EventName.EDITED, EventName.RETRIED, EventName.PURGED,
    EventName.QUARANTINED, EventName.IGNORED, EventName.RECLASSIFIED,
})
# What an editor's open page can be overtaken by: each raises the submission's version.
# Not notes, exports or the mail's delivery, which change nothing an editor decides on.
VERSIONED = frozenset({
    EventName.RECLASSIFIED, EventName.REVISED, EventName.CORRESPONDENCE,
    EventName.AUTHOR_ADDED, EventName.ASSIGNED, EventName.UNASSIGNED,
    EventName.STATUS_CHANGED, EventName.DECIDED, EventName.REPLIED, EventName.RETRIED,
    EventName.PURGED, EventName.EDITED, EventName.PRIVACY_RESOLVED, EventName.PUBLISHED,
    EventName.JUDGES_COPY_CONFIRMED, EventName.AWARDED, EventName.TYPE_CHANGED,
    EventName.LANGUAGE_CHANGED, EventName.STAGE_CHANGED,
})


@dataclass(frozen=True)
class Event:
    at: str
    actor: str
    event: str
    detail: dict[str, Any]



class Events(LedgerBase):
    def add_event(self, event: EventName, *, submission_id: int | None = None,
                  message_row: int | None = None, actor: str = "intake",
                  **detail: Any) -> None:
        self.db.execute(
            "INSERT INTO events (submission_id, message_row, at, actor, event, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (submission_id, message_row, now_iso(), actor, event,
             json.dumps(detail, default=str)))
        if submission_id is not None and event in VERSIONED:
            self.db.execute("UPDATE submissions SET version = version + 1 WHERE id = ?",
                            (submission_id,))
        if submission_id is not None and event in SEARCHED:
            self._dirty.add(submission_id)

    def last_versioned_event(self, submission_id: int) -> Event | None:
        """The latest change that raised the submission's version: who did what, when."""
        names = sorted(VERSIONED)
        row = self.db.execute(
            f"SELECT * FROM events WHERE submission_id = ? AND event IN "  # noqa: S608 (placeholders only)
            f"({', '.join('?' * len(names))}) ORDER BY id DESC LIMIT 1",
            (submission_id, *names)).fetchone()
        return _event(row) if row else None

    def activity(self, submission_ids: Sequence[int]) -> dict[int, tuple[str, bool]]:
        """For each submission: when anything last happened, and whether its author
        replied or sent a new version after an editor last acted on it."""
        if not submission_ids:
            return {}
        rows = self.db.execute(
            "SELECT submission_id, MAX(at), MAX(CASE WHEN actor != 'intake' THEN at END), "
            "MAX(CASE WHEN event IN (?, ?) THEN at END) FROM events WHERE submission_id IN "
            "(SELECT value FROM json_each(?)) GROUP BY submission_id",
            (EventName.REVISED.value, EventName.CORRESPONDENCE.value,
             json.dumps(list(submission_ids))))
        return {int(r[0]): (str(r[1]), bool(r[3] and (r[2] is None or r[3] > r[2])))
                for r in rows.fetchall()}

    def events_of(self, submission_id: int) -> list[Event]:
        rows = self.db.execute("SELECT * FROM events WHERE submission_id = ? ORDER BY id",
                               (submission_id,)).fetchall()
        return [_event(r) for r in rows]

    def newest_event_at(self) -> str | None:
        """When the ledger last recorded anything (a clock that went back shows here)."""
        row = self.db.execute("SELECT max(at) FROM events").fetchone()
        return str(row[0]) if row and row[0] else None

    def count_events(self, submission_id: int, event: EventName) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM events WHERE submission_id = ? AND "
                              "event = ?", (submission_id, event)).fetchone()
        return int(row[0])

    def last_event(self, submission_id: int, event: EventName) -> Event | None:
        row = self.db.execute("SELECT * FROM events WHERE submission_id = ? AND event = ? "
                              "ORDER BY id DESC LIMIT 1", (submission_id, event)).fetchone()
        return _event(row) if row else None

    def with_event_since(self, event: EventName, since: str) -> list[tuple[Submission, Event]]:
        """Submissions with this event since then, each with its latest such event."""
        rows = self.db.execute(
            "SELECT s.*, e.at AS e_at, e.actor AS e_actor, e.detail AS e_detail "
            "FROM events e JOIN submissions s ON s.id = e.submission_id "
            "WHERE e.event = ? AND e.at >= ? AND e.id = (SELECT max(id) FROM events "
            "WHERE submission_id = s.id AND event = e.event) ORDER BY e.at",
            (event, since)).fetchall()
        return [(_submission(r), Event(r["e_at"], r["e_actor"], event,
                                       json.loads(r["e_detail"]))) for r in rows]



def _event(row: sqlite3.Row) -> Event:
    return Event(row["at"], row["actor"], row["event"], json.loads(row["detail"]))

