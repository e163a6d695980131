"""The ledger: SQLite (WAL), the one truth about what arrived and what was done.

Schema changes are numbered migrations, applied in order and recorded in
PRAGMA user_version. Writes happen inside `transaction()`; everything one step
does (a submission, its events, its acknowledgement) commits together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from intake.core.errors import DamagedLedger, IntakeError, is_damaged_ledger
from intake.core.models import Classification, MessageState, Status

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        origin TEXT NOT NULL,
        raw_path TEXT NOT NULL,
        size INTEGER NOT NULL,
        message_id TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        reason TEXT,
        submission_id INTEGER REFERENCES submissions(id),
        fetched_at TEXT NOT NULL,
        processed_at TEXT
    );
    CREATE INDEX messages_state ON messages(state);
    CREATE INDEX messages_message_id ON messages(message_id);

    CREATE TABLE reference_counters (
        prefix TEXT NOT NULL,
        year INTEGER NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (prefix, year)
    );

    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        title TEXT NOT NULL,
        author_name TEXT NOT NULL,
        author_email TEXT NOT NULL,
        subject TEXT NOT NULL,
        received TEXT NOT NULL,
        message_id TEXT NOT NULL,
        word_count INTEGER NOT NULL,
        warnings TEXT NOT NULL,
        classification TEXT NOT NULL,
        reason TEXT,
        draft_dir TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX submissions_status ON submissions(status, received);

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        purpose TEXT NOT NULL,
        template TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        message_id TEXT NOT NULL,
        body BLOB NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (submission_id, purpose)
    );
    CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER REFERENCES submissions(id),
        message_row INTEGER REFERENCES messages(id),
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        event TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX events_submission ON events(submission_id, id);
    """,
    # 2: IMAP polling: a cursor per mailbox, which UID became which message, and how
    # each server has been answering (for back-off).
    """
    CREATE TABLE mailboxes (
        name TEXT PRIMARY KEY,
        uidvalidity INTEGER NOT NULL,
        last_uid INTEGER NOT NULL,
        since TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE imap_uids (
        mailbox TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        message_row INTEGER NOT NULL REFERENCES messages(id),
        done_at TEXT,
        done_how TEXT,
        PRIMARY KEY (mailbox, uidvalidity, uid)
    );
    CREATE INDEX imap_uids_undone ON imap_uids(mailbox, uidvalidity, done_at);
    CREATE TABLE server_health (
        name TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_error TEXT,
        next_try_at TEXT
    );
    """,
    # 3: threads and revisions: which files each revision brought (duplicates are found
    # by hash), replies found by our own Message-IDs, bounces, acknowledgements per sender.
    """
    ALTER TABLE submissions ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE outbox ADD COLUMN bounce TEXT;
    CREATE INDEX outbox_message_id ON outbox(message_id);
    CREATE INDEX outbox_recipient ON outbox(recipient, created_at);
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        revision INTEGER NOT NULL,
        message_row INTEGER REFERENCES messages(id),
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        sha256 TEXT NOT NULL
    );
    CREATE INDEX files_sha256 ON files(sha256);
    CREATE INDEX files_submission ON files(submission_id, revision);
    """,
    # 4: the editors' side: who has a submission, when it was decided, when its files
    # were purged, and when each editor last had a digest.
    """
    ALTER TABLE submissions ADD COLUMN assignee TEXT;
    ALTER TABLE submissions ADD COLUMN decided_at TEXT;
    ALTER TABLE submissions ADD COLUMN purged_at TEXT;
    CREATE INDEX submissions_assignee ON submissions(assignee, status, received);
    CREATE INDEX submissions_kind ON submissions(kind, status, received);
    CREATE INDEX submissions_decided ON submissions(status, decided_at);
    CREATE INDEX events_recent ON events(event, at);
    CREATE TABLE digests (
        editor TEXT PRIMARY KEY,
        sent_at TEXT NOT NULL
    );
    """,
    # 5: promises under attack. A message's identity is what it says (fingerprint), not
    # its Message-ID; a message whose processing was cut short is counted (attempts); the
    # per-sender limit counts a mailbox, not its +tags (recipient_key, filled in Python);
    # who besides the author may revise a submission (authors).
    """
    ALTER TABLE messages ADD COLUMN fingerprint TEXT;
    ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX messages_fingerprint ON messages(fingerprint);
    ALTER TABLE outbox ADD COLUMN recipient_key TEXT;
    CREATE INDEX outbox_recipient_key ON outbox(recipient_key, created_at);
    CREATE TABLE authors (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        email TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (submission_id, email)
    );
    """,
)


def address_key(address: str) -> str:
    """One key per mailbox: case folded and the +tag dropped (victim+1@ and victim+2@
    reach one person), so limits count people, not spellings."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return domain
    return f"{local.split('+', 1)[0] or local}@{domain}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


@dataclass(frozen=True)
class Submission:
    id: int
    reference: str
    kind: str
    status: Status
    title: str
    author_name: str
    author_email: str
    subject: str
    received: str
    message_id: str
    word_count: int
    warnings: tuple[str, ...]
    classification: Classification | None  # None: never classified (automatic, unreadable)
    reason: str | None
    draft_dir: str | None
    created_at: str
    updated_at: str
    revision: int = 1
    assignee: str | None = None
    decided_at: str | None = None
    purged_at: str | None = None

    def age_days(self, now: datetime) -> int:
        """Whole days since intake received it."""
        try:
            return max(0, (now - datetime.fromisoformat(self.received)).days)
        except ValueError:
            return 0

    def as_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference, "kind": self.kind, "status": self.status.value,
            "title": self.title, "author_name": self.author_name,
            "author_email": self.author_email, "subject": self.subject,
            "received": self.received, "message_id": self.message_id,
            "word_count": self.word_count, "warnings": list(self.warnings),
            "reason": self.reason, "draft_dir": self.draft_dir,
            "classification": self.classification.as_dict() if self.classification else {},
            "revision": self.revision,
            "assignee": self.assignee, "decided_at": self.decided_at,
            "purged_at": self.purged_at,
        }


@dataclass(frozen=True)
class OutboxItem:
    id: int
    submission_id: int
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


@dataclass(frozen=True)
class Cursor:
    uidvalidity: int
    last_uid: int
    since: date | None


@dataclass(frozen=True)
class Health:
    failures: int
    last_error: str | None
    next_try_at: str | None


@dataclass(frozen=True)
class Event:
    at: str
    actor: str
    event: str
    detail: dict[str, Any]


class LedgerError(IntakeError):
    pass


class Ledger:
    def __init__(self, path: Path, readonly: bool = False) -> None:
        """readonly (dry runs): read the ledger if there is one, write nothing anywhere."""
        try:
            self._open(path, readonly)
        except sqlite3.DatabaseError as exc:
            if is_damaged_ledger(exc):
                raise DamagedLedger(path, exc) from exc
            raise

    def _open(self, path: Path, readonly: bool) -> None:
        self.path = path
        if readonly:
            # No ledger yet: an empty one in memory answers every question the same way.
            target = f"file:{path}?mode=ro" if path.exists() else ":memory:"
            self.db = sqlite3.connect(target, uri=True, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            if target == ":memory:":
                self._migrate()
            elif self.db.execute("PRAGMA user_version").fetchone()[0] != len(MIGRATIONS):
                raise LedgerError(f"{path}: the ledger needs upgrading; run intake once "
                                  "without --dry-run")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE.
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a committed row survives power loss
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise LedgerError(
                f"{self.path}: the ledger is at schema {version}, newer than this intake "
                f"understands ({len(MIGRATIONS)}): upgrade intake")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                if number == 3:
                    self._files_from_drafts()
                if number == 5:
                    self._recipient_keys()
                self.db.execute(f"PRAGMA user_version = {number}")

    def _files_from_drafts(self) -> None:
        """Migration 3 brought `files`, by which a manuscript sent again is recognised:
        fill it for earlier submissions from the sha256 their drafts' front matter kept.
        Data folders sit next to the ledger; a draft missing or unreadable is skipped
        (that submission is still found by the headers of a reply)."""
        from intake.ledger.store import read_front_matter

        rows = self.db.execute(
            "SELECT s.id, s.draft_dir, min(m.id) FROM submissions s LEFT JOIN messages m "
            "ON m.submission_id = s.id WHERE s.draft_dir IS NOT NULL GROUP BY s.id")
        for submission_id, draft_dir, message_row in rows.fetchall():
            try:
                front = read_front_matter(self.path.parent / draft_dir / "draft.md")
            except (OSError, ValueError, yaml.YAMLError):
                continue
            sources = front.get("source_files")
            self.add_files(submission_id, 1, message_row, [
                (str(f.get("name", "")), str(f.get("role", "")), str(f["sha256"]))
                for f in (sources if isinstance(sources, list) else [])
                if isinstance(f, dict) and f.get("sha256")])

    def _recipient_keys(self) -> None:
        """Migration 5: the per-sender limit counts by mailbox (see address_key)."""
        rows = self.db.execute("SELECT id, recipient FROM outbox").fetchall()
        self.db.executemany("UPDATE outbox SET recipient_key = ? WHERE id = ?",
                            [(address_key(r["recipient"]), r["id"]) for r in rows])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- messages ------------------------------------------------------------

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

    def begin_attempt(self, message: int) -> None:
        """Count a start of processing, committed before it begins: a run that dies
        (crash, kill, time limit) leaves the count behind for the next run to see."""
        with self.transaction():
            self.db.execute("UPDATE messages SET attempts = attempts + 1 WHERE id = ?",
                            (message,))

    def messages_in_state(self, state: MessageState, limit: int | None = None
                          ) -> list[StoredMessage]:
        rows = self.db.execute("SELECT * FROM messages WHERE state = ? ORDER BY id LIMIT ?",
                               (state.value, -1 if limit is None else limit)).fetchall()
        return [_message(r) for r in rows]

    def link_uid(self, mailbox: str, uidvalidity: int, uid: int, message_row: int,
                 done_how: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO imap_uids (mailbox, uidvalidity, uid, message_row, done_at, done_how) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (mailbox, uidvalidity, uid, message_row, now_iso() if done_how else None,
             done_how))

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
                       fingerprint: str | None = None) -> None:
        self.db.execute(
            "UPDATE messages SET state = ?, message_id = ?, reason = ?, submission_id = ?, "
            "processed_at = ?, fingerprint = coalesce(?, fingerprint) WHERE id = ?",
            (state.value, message_id, reason, submission_id, now_iso(), fingerprint,
             message))

    def messages_of(self, submission_id: int) -> list[StoredMessage]:
        rows = self.db.execute("SELECT * FROM messages WHERE submission_id = ? ORDER BY id",
                               (submission_id,)).fetchall()
        return [_message(r) for r in rows]

    # -- IMAP ----------------------------------------------------------------

    def cursor(self, mailbox: str) -> Cursor | None:
        row = self.db.execute("SELECT * FROM mailboxes WHERE name = ?", (mailbox,)).fetchone()
        if row is None:
            return None
        since = date.fromisoformat(row["since"]) if row["since"] else None
        return Cursor(row["uidvalidity"], row["last_uid"], since)

    def mailbox_names(self) -> list[str]:
        """Every mailbox with a cursor, the most recently polled first."""
        rows = self.db.execute("SELECT name FROM mailboxes ORDER BY updated_at DESC")
        return [str(r[0]) for r in rows]

    def rename_mailbox(self, old: str, new: str) -> None:
        """Carry a cursor and the UIDs it took over to another name, together."""
        with self.transaction():
            self.db.execute("UPDATE mailboxes SET name = ? WHERE name = ?", (new, old))
            self.db.execute("UPDATE imap_uids SET mailbox = ? WHERE mailbox = ?", (new, old))

    def set_cursor(self, mailbox: str, uidvalidity: int, last_uid: int,
                   since: date | None = None) -> None:
        """Move the cursor forward (never back, unless UIDVALIDITY changed)."""
        self.db.execute(
            "INSERT INTO mailboxes (name, uidvalidity, last_uid, since, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "last_uid = CASE WHEN uidvalidity = excluded.uidvalidity "
            "THEN max(last_uid, excluded.last_uid) ELSE excluded.last_uid END, "
            "uidvalidity = excluded.uidvalidity, since = coalesce(excluded.since, since), "
            "updated_at = excluded.updated_at",
            (mailbox, uidvalidity, last_uid, since.isoformat() if since else None, now_iso()))

    def uids_to_mark(self, mailbox: str, uidvalidity: int) -> list[int]:
        """UIDs whose messages are dealt with but not yet moved or flagged on the server."""
        rows = self.db.execute(
            "SELECT u.uid FROM imap_uids u JOIN messages m ON m.id = u.message_row "
            "WHERE u.mailbox = ? AND u.uidvalidity = ? AND u.done_at IS NULL "
            "AND m.state != ? ORDER BY u.uid",
            (mailbox, uidvalidity, MessageState.FETCHED.value)).fetchall()
        return [r[0] for r in rows]

    def uids_marked(self, mailbox: str, uidvalidity: int, uids: Sequence[int],
                    how: str) -> None:
        stamp = now_iso()
        self.db.executemany(
            "UPDATE imap_uids SET done_at = ?, done_how = ? WHERE mailbox = ? AND "
            "uidvalidity = ? AND uid = ?", [(stamp, how, mailbox, uidvalidity, u) for u in uids])

    def health(self, server: str) -> Health:
        row = self.db.execute("SELECT * FROM server_health WHERE name = ?",
                              (server,)).fetchone()
        if row is None:
            return Health(0, None, None)
        return Health(row["failures"], row["last_error"], row["next_try_at"])

    def server_failed(self, server: str, error: str, next_try_at: str) -> int:
        row = self.db.execute(
            "INSERT INTO server_health (name, failures, last_error, next_try_at) "
            "VALUES (?, 1, ?, ?) ON CONFLICT (name) DO UPDATE SET failures = failures + 1, "
            "last_error = excluded.last_error, next_try_at = excluded.next_try_at "
            "RETURNING failures", (server, error, next_try_at)).fetchone()
        return int(row[0])

    def server_ok(self, server: str) -> None:
        self.db.execute("DELETE FROM server_health WHERE name = ?", (server,))

    # -- submissions ---------------------------------------------------------

    def next_reference(self, prefix: str, year: int) -> str:
        """PREFIX-YEAR-NNNN; the counter only ever grows, so no reference is reused."""
        row = self.db.execute(
            "INSERT INTO reference_counters (prefix, year, last) VALUES (?, ?, 1) "
            "ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1 RETURNING last",
            (prefix, year)).fetchone()
        return f"{prefix}-{year}-{row[0]:04d}"

    def add_submission(self, *, reference: str, kind: str, status: Status, title: str,
                       author_name: str, author_email: str, subject: str, received: str,
                       message_id: str, word_count: int, warnings: Sequence[str],
                       classification: Classification | None, reason: str | None,
                       draft_dir: str | None) -> int:
        stamp = now_iso()
        cur = self.db.execute(
            "INSERT INTO submissions (reference, kind, status, title, author_name, "
            "author_email, subject, received, message_id, word_count, warnings, "
            "classification, reason, draft_dir, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (reference, kind, status.value, title, author_name, author_email, subject,
             received, message_id, word_count, json.dumps(list(warnings)),
             json.dumps(classification.as_dict() if classification else {}), reason, draft_dir,
             stamp, stamp))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def submission_by_id(self, submission_id: int) -> Submission:
        row = self.db.execute("SELECT * FROM submissions WHERE id = ?",
                              (submission_id,)).fetchone()
        return _submission(row)

    _UPDATABLE = frozenset({"kind", "status", "title", "word_count", "warnings",
                            "classification", "reason", "draft_dir", "revision", "assignee",
                            "decided_at", "purged_at", "author_name", "author_email",
                            "subject", "message_id"})

    def update_submission(self, submission_id: int, **values: Any) -> None:
        unknown = set(values) - self._UPDATABLE
        assert not unknown, unknown
        encoded = {k: json.dumps(list(v)) if k == "warnings" else
                   json.dumps(v.as_dict() if v else {}) if k == "classification" else
                   v.value if isinstance(v, Status) else v for k, v in values.items()}
        columns = ", ".join(f"{k} = ?" for k in encoded)
        self.db.execute(f"UPDATE submissions SET {columns}, updated_at = ? WHERE id = ?",  # noqa: S608 (names from _UPDATABLE)
                        (*encoded.values(), now_iso(), submission_id))

    def change_status(self, submission_id: int, before: Status, after: Status,
                      **values: Any) -> bool:
        """Move a submission from one status to another, only if it is still in the first:
        False when someone else changed it meanwhile (the caller's view is stale)."""
        row = self.db.execute("SELECT status FROM submissions WHERE id = ?",
                              (submission_id,)).fetchone()
        if row is None or row[0] != before.value:
            return False
        self.update_submission(submission_id, status=after, **values)
        return True

    def thread_of(self, message_ids: Sequence[str]) -> int | None:
        """The submission a reply belongs to: one of our emails, or one of its own messages,
        among the ids it answers (the latest answered first)."""
        for mid in reversed([m for m in message_ids if m]):
            row = self.db.execute("SELECT submission_id FROM outbox WHERE message_id = ? "
                                  "ORDER BY id DESC LIMIT 1", (mid,)).fetchone()
            if row is None:
                row = self.db.execute(
                    "SELECT m.submission_id FROM messages m JOIN submissions s "
                    "ON s.id = m.submission_id WHERE m.message_id = ? AND s.status != ? "
                    # The first to claim a Message-ID keeps it: a later message that
                    # reuses it cannot draw the thread's replies away.
                    "ORDER BY m.id LIMIT 1", (mid, Status.IGNORED.value)).fetchone()
            if row is not None:
                return int(row[0])
        return None

    def add_files(self, submission_id: int, revision: int, message_row: int,
                  files: Sequence[tuple[str, str, str]]) -> None:
        """files: (name, role, sha256) of each attachment this revision brought."""
        self.db.executemany(
            "INSERT INTO files (submission_id, revision, message_row, name, role, sha256) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(submission_id, revision, message_row, n, r, h) for n, r, h in files])

    def file_hashes(self, submission_id: int) -> set[str]:
        rows = self.db.execute("SELECT sha256 FROM files WHERE submission_id = ?",
                               (submission_id,)).fetchall()
        return {r[0] for r in rows}

    def submission_with_manuscript(self, sha256: str, author_email: str) -> int | None:
        """A submission from this author that already has this exact manuscript."""
        row = self.db.execute(
            "SELECT f.submission_id FROM files f JOIN submissions s ON s.id = f.submission_id "
            "WHERE f.sha256 = ? AND f.role = 'manuscript' AND s.author_email = ? "
            "ORDER BY f.id LIMIT 1", (sha256, author_email)).fetchone()
        return int(row[0]) if row else None

    def submission(self, reference: str) -> Submission | None:
        row = self.db.execute("SELECT * FROM submissions WHERE reference = ?",
                              (reference.strip().upper(),)).fetchone()
        return _submission(row) if row else None

    def submissions(self, statuses: Sequence[Status] | None = None,
                    kind: str | None = None, *, assignee: str | None = None,
                    unassigned: bool = False, received_before: str | None = None,
                    received_after: str | None = None,
                    limit: int | None = None) -> list[Submission]:
        """Oldest first; every filter is a column of an index."""
        sql, args = "SELECT * FROM submissions WHERE 1=1", list[Any]()
        if statuses is not None:
            sql += f" AND status IN ({', '.join('?' * len(statuses))})"
            args.extend(s.value for s in statuses)
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        if assignee:
            sql += " AND assignee = ?"
            args.append(assignee)
        elif unassigned:
            sql += " AND assignee IS NULL"
        if received_before:
            sql += " AND received < ?"
            args.append(received_before)
        if received_after:
            sql += " AND received >= ?"
            args.append(received_after)
        sql += " ORDER BY received, id LIMIT ?"
        args.append(-1 if limit is None else limit)
        return [_submission(r) for r in self.db.execute(sql, args).fetchall()]

    def decided_before(self, statuses: Sequence[Status], cutoff: str) -> list[Submission]:
        """Decided (in one of these statuses) before cutoff and not purged yet."""
        rows = self.db.execute(
            f"SELECT * FROM submissions WHERE status IN ({', '.join('?' * len(statuses))}) "  # noqa: S608 (placeholders only)
            "AND coalesce(decided_at, updated_at) < ? AND purged_at IS NULL ORDER BY id",
            (*(s.value for s in statuses), cutoff)).fetchall()
        return [_submission(r) for r in rows]

    def count_events(self, submission_id: int, event: str) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM events WHERE submission_id = ? AND "
                              "event = ?", (submission_id, event)).fetchone()
        return int(row[0])

    def last_event(self, submission_id: int, event: str) -> Event | None:
        row = self.db.execute("SELECT * FROM events WHERE submission_id = ? AND event = ? "
                              "ORDER BY id DESC LIMIT 1", (submission_id, event)).fetchone()
        return _event(row) if row else None

    def with_event_since(self, event: str, since: str) -> list[tuple[Submission, Event]]:
        """Submissions with this event since then, each with its latest such event."""
        rows = self.db.execute(
            "SELECT s.*, e.at AS e_at, e.actor AS e_actor, e.detail AS e_detail "
            "FROM events e JOIN submissions s ON s.id = e.submission_id "
            "WHERE e.event = ? AND e.at >= ? AND e.id = (SELECT max(id) FROM events "
            "WHERE submission_id = s.id AND event = e.event) ORDER BY e.at",
            (event, since)).fetchall()
        return [(_submission(r), Event(r["e_at"], r["e_actor"], event,
                                       json.loads(r["e_detail"]))) for r in rows]

    # -- digests -------------------------------------------------------------

    def last_digest(self, editor: str) -> str | None:
        row = self.db.execute("SELECT sent_at FROM digests WHERE editor = ?",
                              (editor,)).fetchone()
        return str(row[0]) if row else None

    def digest_sent(self, editor: str, at: str) -> None:
        self.db.execute("INSERT INTO digests (editor, sent_at) VALUES (?, ?) ON CONFLICT "
                        "(editor) DO UPDATE SET sent_at = excluded.sent_at", (editor, at))

    # -- purge ---------------------------------------------------------------

    def forget_bodies(self, submission_id: int) -> int:
        """Blank the bodies of a submission's delivered or given-up emails (they quote the
        author); the rows stay, so the history still says what was sent when."""
        cur = self.db.execute("UPDATE outbox SET body = X'' WHERE submission_id = ? AND "
                              "state != 'pending'", (submission_id,))
        return cur.rowcount

    # -- events --------------------------------------------------------------

    def add_event(self, event: str, *, submission_id: int | None = None,
                  message_row: int | None = None, actor: str = "intake",
                  **detail: Any) -> None:
        self.db.execute(
            "INSERT INTO events (submission_id, message_row, at, actor, event, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (submission_id, message_row, now_iso(), actor, event,
             json.dumps(detail, default=str)))

    def events_of(self, submission_id: int) -> list[Event]:
        rows = self.db.execute("SELECT * FROM events WHERE submission_id = ? ORDER BY id",
                               (submission_id,)).fetchall()
        return [_event(r) for r in rows]

    # -- outbox --------------------------------------------------------------

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

    def due_outbox(self, now: str) -> list[OutboxItem]:
        rows = self.db.execute(
            "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id",
            (now,)).fetchall()
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

    def emails_to(self, recipient: str, since: str) -> int:
        """How many emails were queued for this mailbox since then (any purpose), however
        its address was spelt (see address_key)."""
        row = self.db.execute("SELECT COUNT(*) FROM outbox WHERE recipient_key = ? "
                              "AND created_at >= ?", (address_key(recipient), since)).fetchone()
        return int(row[0])

    def emails_queued_since(self, since: str) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM outbox WHERE created_at >= ?",
                              (since,)).fetchone()
        return int(row[0])

    # -- who may revise ------------------------------------------------------

    def add_author(self, submission_id: int, email: str, added_by: str) -> bool:
        cur = self.db.execute(
            "INSERT INTO authors (submission_id, email, added_by, added_at) VALUES "
            "(?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (submission_id, email.strip().lower(), added_by, now_iso()))
        return cur.rowcount > 0

    def authors_of(self, submission_id: int) -> list[str]:
        """The addresses an editor added to the author's (who may also revise)."""
        rows = self.db.execute("SELECT email FROM authors WHERE submission_id = ? "
                               "ORDER BY added_at", (submission_id,)).fetchall()
        return [r[0] for r in rows]

    def outbox_failed(self, item: int, error: str) -> None:
        self.db.execute("UPDATE outbox SET state = 'failed', attempts = attempts + 1, "
                        "last_error = ? WHERE id = ?", (error, item))


def _message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(
        id=row["id"], sha256=row["sha256"], source=row["source"], origin=row["origin"],
        raw_path=row["raw_path"], size=row["size"], message_id=row["message_id"],
        state=MessageState(row["state"]), reason=row["reason"],
        submission_id=row["submission_id"], fetched_at=row["fetched_at"],
        fingerprint=row["fingerprint"], attempts=row["attempts"])


def _submission(row: sqlite3.Row) -> Submission:
    return Submission(
        id=row["id"], reference=row["reference"], kind=row["kind"],
        status=Status(row["status"]), title=row["title"], author_name=row["author_name"],
        author_email=row["author_email"], subject=row["subject"], received=row["received"],
        message_id=row["message_id"], word_count=row["word_count"],
        warnings=tuple(json.loads(row["warnings"])),
        classification=Classification.from_dict(json.loads(row["classification"]),
                                                row["kind"]),
        reason=row["reason"],
        draft_dir=row["draft_dir"], created_at=row["created_at"],
        updated_at=row["updated_at"], revision=row["revision"], assignee=row["assignee"],
        decided_at=row["decided_at"], purged_at=row["purged_at"])


def _event(row: sqlite3.Row) -> Event:
    return Event(row["at"], row["actor"], row["event"], json.loads(row["detail"]))


def _outbox(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"], submission_id=row["submission_id"], purpose=row["purpose"],
        template=row["template"], recipient=row["recipient"], subject=row["subject"],
        message_id=row["message_id"], body=bytes(row["body"]), state=row["state"],
        attempts=row["attempts"], last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"], created_at=row["created_at"],
        sent_at=row["sent_at"], bounce=row["bounce"])
