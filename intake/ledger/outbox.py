"""Email to send and sent (acknowledgements, decisions), and the editors' digests."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from intake.core.addresses import address_key
from intake.ledger.base import LedgerBase, now_iso


@dataclass(frozen=True)
class OutboxItem:
    id: int
    submission_id: int | None  # None: an email about no one submission (a judge's)
    purpose: str
    template: str
    recipient: str
    subject: str
    message_id: str
    body: bytes
    state: str  # pending, sent, failed, bounced
    attempts: int
    last_error: str | None
    next_attempt_at: str
    created_at: str
    sent_at: str | None
    bounce: str | None = None



class Outbox(LedgerBase):
    def add_outbox(self, *, submission_id: int, purpose: str, template: str, recipient: str,
                   subject: str, message_id: str, body: bytes) -> int | None:
        """Queue one email; None when this submission already has one for this purpose."""
        stamp = now_iso()
        cur = self.db.execute(
            "INSERT INTO outbox (submission_id, purpose, template, recipient, subject, "
            "message_id, body, state, next_attempt_at, created_at, recipient_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) "
            "ON CONFLICT (submission_id, purpose) DO NOTHING",
            (submission_id, purpose, template, recipient, subject, message_id, body, stamp,
             stamp, address_key(recipient)))
        return cur.lastrowid if cur.rowcount else None

    def add_mail(self, *, purpose: str, template: str, recipient: str, subject: str,
                 message_id: str, body: bytes, submission_id: int | None = None) -> int | None:
        """Queue an email once per purpose (a judge's invitation, a reminder): None when
        one for this purpose is queued already."""
        if submission_id is not None:
            return self.add_outbox(submission_id=submission_id, purpose=purpose,
                                   template=template, recipient=recipient, subject=subject,
                                   message_id=message_id, body=body)
        stamp = now_iso()
        cur = self.db.execute(
            "INSERT INTO outbox (submission_id, purpose, template, recipient, subject, "
            "message_id, body, state, next_attempt_at, created_at, recipient_key) "
            "VALUES (NULL, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING",
            (purpose, template, recipient, subject, message_id, body, stamp, stamp,
             address_key(recipient)))
        return cur.lastrowid if cur.rowcount else None

    def mail_queued(self, purpose: str) -> bool:
        return self.db.execute("SELECT 1 FROM outbox WHERE purpose = ? LIMIT 1",
                               (purpose,)).fetchone() is not None

    def due_outbox(self, now: str, limit: int = -1) -> list[OutboxItem]:
        """Pending emails due by now, oldest first; limit: at most that many (-1: all)."""
        rows = self.db.execute(
            "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id "
            "LIMIT ?", (now, limit)).fetchall()
        return [_outbox(r) for r in rows]

    def outbox_of(self, submission_id: int) -> list[OutboxItem]:
        rows = self.db.execute("SELECT * FROM outbox WHERE submission_id = ? ORDER BY id",
                               (submission_id,)).fetchall()
        return [_outbox(r) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        return {r[0]: r[1] for r in rows}

    def outbox_sent(self, item: int) -> None:
        self.db.execute("UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1,"
                        " last_error = NULL WHERE id = ?", (now_iso(), item))

    def outbox_retry(self, item: int, error: str, next_attempt_at: str) -> None:
        self.db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                        "next_attempt_at = ? WHERE id = ?", (error, next_attempt_at, item))

    def outbox_with_id(self, message_ids: Sequence[str]) -> OutboxItem | None:
        for mid in message_ids:
            row = self.db.execute("SELECT * FROM outbox WHERE message_id = ?",
                                  (mid,)).fetchone()
            if row is not None:
                return _outbox(row)
        return None

    def outbox_bounced(self, item: int, diagnostic: str) -> None:
        self.db.execute("UPDATE outbox SET state = 'bounced', bounce = ? WHERE id = ?",
                        (diagnostic, item))

    def outbox_failed(self, item: int, error: str) -> None:
        self.db.execute("UPDATE outbox SET state = 'failed', attempts = attempts + 1, "
                        "last_error = ? WHERE id = ?", (error, item))

    def emails_to(self, recipient: str, since: str) -> int:
        """How many emails were queued for this mailbox since then (any purpose), however
        its address was spelt (see address_key)."""
        row = self.db.execute("SELECT COUNT(*) FROM outbox WHERE recipient_key = ? "
                              "AND created_at >= ?", (address_key(recipient), since)).fetchone()
        return int(row[0])

    def forget_bodies(self, submission_id: int) -> int:
        """Blank the bodies of a submission's delivered or given-up emails (they quote the
        author); the rows stay, so the history still says what was sent when."""
        cur = self.db.execute("UPDATE outbox SET body = X'' WHERE submission_id = ? AND "
                              "state != 'pending'", (submission_id,))
        return cur.rowcount

    def notifications(self, editor: str) -> tuple[tuple[str, ...], bool] | None:
        """What the editor chose on the desk (kinds followed, assigned work); None when
        they never chose, and settings.toml decides."""
        row = self.db.execute("SELECT follows, notify_assigned FROM notifications WHERE "
                              "editor = ?", (editor,)).fetchone()
        return (tuple(json.loads(row[0])), bool(row[1])) if row else None

    def set_notifications(self, editor: str, follows: Sequence[str],
                          notify_assigned: bool) -> None:
        self.db.execute(
            "INSERT INTO notifications (editor, follows, notify_assigned, changed_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (editor) DO UPDATE SET follows = "
            "excluded.follows, notify_assigned = excluded.notify_assigned, "
            "changed_at = excluded.changed_at",
            (editor, json.dumps(list(follows)), int(notify_assigned), now_iso()))

    def last_digest(self, editor: str) -> str | None:
        row = self.db.execute("SELECT sent_at FROM digests WHERE editor = ?",
                              (editor,)).fetchone()
        return str(row[0]) if row else None

    def digest_sent(self, editor: str, at: str) -> None:
        self.db.execute("INSERT INTO digests (editor, sent_at) VALUES (?, ?) ON CONFLICT "
                        "(editor) DO UPDATE SET sent_at = excluded.sent_at", (editor, at))



def _outbox(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"], submission_id=row["submission_id"], purpose=row["purpose"],
        template=row["template"], recipient=row["recipient"], subject=row["subject"],
        message_id=row["message_id"], body=bytes(row["body"]), state=row["state"],
        attempts=row["attempts"], last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"], created_at=row["created_at"],
        sent_at=row["sent_at"], bounce=row["bounce"])

