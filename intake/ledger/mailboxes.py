"""IMAP mailboxes: cursors, which UID became which message, the health of servers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from intake.core.models import MessageState
from intake.ledger.base import LedgerBase, now_iso


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



class Mailboxes(LedgerBase):
    def link_uid(self, mailbox: str, uidvalidity: int, uid: int, message_row: int,
                 done_how: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO imap_uids (mailbox, uidvalidity, uid, message_row, done_at, done_how) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (mailbox, uidvalidity, uid, message_row, now_iso() if done_how else None,
             done_how))

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

    def supersede_uids(self, mailbox: str, uidvalidity: int, now_valid: int) -> int:
        """Messages taken under an earlier UIDVALIDITY and not yet marked done: their old
        UIDs name nothing now. Each is found again by its content under the new one (and
        marked done by that UID); the old rows are closed, saying so: how many."""
        cur = self.db.execute(
            "UPDATE imap_uids SET done_at = ?, done_how = ? WHERE mailbox = ? AND "
            "uidvalidity = ? AND done_at IS NULL",
            (now_iso(), f"superseded: UIDVALIDITY became {now_valid}", mailbox, uidvalidity))
        return cur.rowcount

    def health(self, server: str) -> Health:
        row = self.db.execute("SELECT * FROM server_health WHERE name = ?",
                              (server,)).fetchone()
        if row is None:
            return Health(0, None, None)
        return Health(row["failures"], row["last_error"], row["next_try_at"])

    def server_names(self) -> list[str]:
        """Servers with failures on record (a server that answers has no row)."""
        return [r[0] for r in self.db.execute(
            "SELECT name FROM server_health ORDER BY name").fetchall()]

    def forget_servers_except(self, keep: str) -> None:
        """Back-off kept for servers the settings no longer name: gone."""
        self.db.execute("DELETE FROM server_health WHERE name != ?", (keep,))

    def server_failed(self, server: str, error: str, next_try_at: str) -> int:
        row = self.db.execute(
            "INSERT INTO server_health (name, failures, last_error, next_try_at) "
            "VALUES (?, 1, ?, ?) ON CONFLICT (name) DO UPDATE SET failures = failures + 1, "
            "last_error = excluded.last_error, next_try_at = excluded.next_try_at "
            "RETURNING failures", (server, error, next_try_at)).fetchone()
        return int(row[0])

    def server_ok(self, server: str) -> None:
        self.db.execute("DELETE FROM server_health WHERE name = ?", (server,))


