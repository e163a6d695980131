"""Received messages: their kept bytes, what they say (fingerprint), their state."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from intake.core.models import MessageState, ParsedMessage
from intake.ledger.base import LedgerBase, now_iso

MAX_SHOWN = 40_000  # characters of a message's text kept for the desk's thread


@dataclass(frozen=True)
class StoredMessage:
    id: int
    sha256: str
    source: str
    origin: str
    raw_path: str
    size: int
    message_id: str
    state: MessageState
    reason: str | None
    submission_id: int | None
    fetched_at: str
    fingerprint: str | None = None
    attempts: int = 0



class Messages(LedgerBase):
    def message_by_sha(self, sha256: str) -> StoredMessage | None:
        row = self.db.execute("SELECT * FROM messages WHERE sha256 = ?", (sha256,)).fetchone()
        return _message(row) if row else None

    def message_by_fingerprint(self, fingerprint: str, other_than: int = -1
                               ) -> StoredMessage | None:
        """The first message dealt with that says exactly this (see intake.mail.identity)."""
        row = self.db.execute("SELECT * FROM messages WHERE fingerprint = ? AND id != ? "
                              "ORDER BY id LIMIT 1", (fingerprint, other_than)).fetchone()
        return _message(row) if row else None

    def add_message(self, *, sha256: str, source: str, origin: str, raw_path: str,
                    size: int, state: MessageState = MessageState.FETCHED,
                    reason: str | None = None) -> int:
        cur = self.db.execute(
            "INSERT INTO messages (sha256, source, origin, raw_path, size, state, reason, "
            "fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sha256, source, origin, raw_path, size, state.value, reason, now_iso()))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def begin_attempt(self, message: int, step: int = 1) -> None:
        """Count a start of work on a message (step=-1: a piece of it ended well), committed
        before it begins: a run that dies (crash, kill, time limit) leaves the count behind
        for the next run to see. It must survive a killed process, not a power cut, so it
        is committed without waiting for the disk."""
        self.db.execute("PRAGMA synchronous=OFF")
        try:
            with self.transaction():
                self.db.execute("UPDATE messages SET attempts = attempts + ? WHERE id = ?",
                                (step, message))
        finally:
            self.db.execute("PRAGMA synchronous=FULL")

    def messages_in_state(self, state: MessageState, limit: int | None = None
                          ) -> list[StoredMessage]:
        rows = self.db.execute("SELECT * FROM messages WHERE state = ? ORDER BY id LIMIT ?",
                               (state.value, -1 if limit is None else limit)).fetchall()
        return [_message(r) for r in rows]

    def messages_with_id(self, message_id: str, other_than: int) -> list[StoredMessage]:
        """Earlier messages with this Message-ID that were already dealt with, oldest first
        (a Message-ID is a claim, not an identity: see intake.mail.identity)."""
        rows = self.db.execute(
            "SELECT * FROM messages WHERE message_id = ? AND id != ? AND state IN (?, ?, ?) "
            "ORDER BY id LIMIT 20",
            (message_id, other_than, MessageState.PROCESSED.value, MessageState.IGNORED.value,
             MessageState.QUARANTINED.value)).fetchall()
        return [_message(r) for r in rows]

    def message_state(self, message: int) -> MessageState:
        row = self.db.execute("SELECT state FROM messages WHERE id = ?", (message,)).fetchone()
        return MessageState(row[0])

    def finish_message(self, message: int, state: MessageState, *, message_id: str = "",
                       reason: str | None = None, submission_id: int | None = None,
                       fingerprint: str | None = None,
                       shown: ParsedMessage | None = None) -> None:
        """shown: the message as read, whose sender, subject and text the desk shows in
        the thread: kept here, so that no page view parses a stranger's message again."""
        kept = json.dumps({
            "who": (f"{shown.sender_name} <{shown.sender_email}>" if shown.sender_name
                    else shown.sender_email)[:400],
            "subject": shown.subject[:400], "text": shown.text[:MAX_SHOWN]},
            ensure_ascii=False) if shown is not None else None
        self.db.execute(
            "UPDATE messages SET state = ?, message_id = ?, reason = ?, submission_id = ?, "
            "processed_at = ?, fingerprint = coalesce(?, fingerprint), "
            "shown = coalesce(?, shown) WHERE id = ?",
            (state.value, message_id, reason, submission_id, now_iso(), fingerprint, kept,
             message))
        if submission_id is not None and kept is not None:
            self._dirty.add(submission_id)  # its text is searched

    def shown_message(self, message: int) -> dict[str, str] | None:
        """What finish_message kept of it for the thread; None for a message processed
        before intake kept it (or one never read)."""
        row = self.db.execute("SELECT shown FROM messages WHERE id = ?",
                              (message,)).fetchone()
        if row is None or not row[0]:
            return None
        found = json.loads(row[0])
        return {k: str(found.get(k, "")) for k in ("who", "subject", "text")}

    def messages_of(self, submission_id: int) -> list[StoredMessage]:
        rows = self.db.execute("SELECT * FROM messages WHERE submission_id = ? ORDER BY id",
                               (submission_id,)).fetchall()
        return [_message(r) for r in rows]



def _message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(
        id=row["id"], sha256=row["sha256"], source=row["source"], origin=row["origin"],
        raw_path=row["raw_path"], size=row["size"], message_id=row["message_id"],
        state=MessageState(row["state"]), reason=row["reason"],
        submission_id=row["submission_id"], fetched_at=row["fetched_at"],
        fingerprint=row["fingerprint"], attempts=row["attempts"])

