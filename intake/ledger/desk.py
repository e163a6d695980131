"""What the desk keeps to be trusted: sessions, forms already used, invitation and reset
links, editors invited from the desk, and the privacy flags an editor chose to keep.

Tokens are never stored, only their SHA-256: the ledger may be readable by the
editors' group, and a hash of 32 random bytes opens nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from intake.ledger.base import LedgerBase, now_iso


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class DeskSession:
    token_hash: str
    editor: str
    created_at: str
    seen_at: str
    address: str
    agent: str
    second_factor: bool
    ended_at: str | None
    ended_why: str | None

    @property
    def key(self) -> str:
        """A short public name for the session (the desk's "end this one" button)."""
        return self.token_hash[:16]


@dataclass(frozen=True)
class DeskLink:
    editor: str
    purpose: str  # "invite" or "reset"
    created_by: str
    created_at: str
    expires_at: str
    used_at: str | None


@dataclass(frozen=True)
class InvitedEditor:
    id: str
    name: str
    email: str
    invited_by: str
    invited_at: str


@dataclass(frozen=True)
class KeptFlag:
    flag: str
    what: str
    excerpt: str
    reason: str
    editor: str
    kept_at: str


class DeskState(LedgerBase):
    # -- sessions --------------------------------------------------------------------

    def start_session(self, token: str, editor: str, address: str, agent: str,
                      second_factor: bool) -> None:
        stamp = now_iso()
        self.db.execute(
            "INSERT INTO desk_sessions (token_hash, editor, created_at, seen_at, address, "
            "agent, second_factor) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_hash(token), editor, stamp, stamp, address[:64], agent[:200],
             int(second_factor)))

    def session(self, token: str) -> DeskSession | None:
        row = self.db.execute("SELECT * FROM desk_sessions WHERE token_hash = ?",
                              (token_hash(token),)).fetchone()
        return _session(row) if row else None

    def touch_session(self, hashed: str) -> None:
        self.db.execute("UPDATE desk_sessions SET seen_at = ? WHERE token_hash = ? AND "
                        "ended_at IS NULL", (now_iso(), hashed))

    def pass_second_factor(self, hashed: str) -> None:
        self.db.execute("UPDATE desk_sessions SET second_factor = 1, seen_at = ? WHERE "
                        "token_hash = ? AND ended_at IS NULL", (now_iso(), hashed))

    def end_session(self, hashed: str, why: str) -> bool:
        cur = self.db.execute("UPDATE desk_sessions SET ended_at = ?, ended_why = ? WHERE "
                              "token_hash = ? AND ended_at IS NULL", (now_iso(), why, hashed))
        return cur.rowcount > 0

    def end_sessions_of(self, editor: str, why: str, keep: str | None = None) -> int:
        """End every open session of an editor (but `keep`, a token hash): how many."""
        cur = self.db.execute(
            "UPDATE desk_sessions SET ended_at = ?, ended_why = ? WHERE editor = ? AND "
            "ended_at IS NULL AND token_hash != ?", (now_iso(), why, editor, keep or ""))
        return cur.rowcount

    def sessions_of(self, editor: str) -> list[DeskSession]:
        """An editor's open sessions, the most recently used first."""
        rows = self.db.execute("SELECT * FROM desk_sessions WHERE editor = ? AND ended_at "
                               "IS NULL ORDER BY seen_at DESC", (editor,)).fetchall()
        return [_session(r) for r in rows]

    def forget_sessions(self, before: str) -> None:
        """Sessions ended or unused since before: kept no longer than they matter."""
        self.db.execute("DELETE FROM desk_sessions WHERE coalesce(ended_at, seen_at) < ?",
                        (before,))

    # -- forms used once -------------------------------------------------------------

    def use_form(self, token: str, editor: str, submission_id: int | None,
                 action: str) -> str | None:
        """Record a form's one-time token; None the first time, else when it was used."""
        row = self.db.execute("SELECT used_at FROM form_uses WHERE token = ?",
                              (token_hash(token),)).fetchone()
        if row is not None:
            return str(row[0])
        self.db.execute("INSERT INTO form_uses (token, editor, submission_id, action, "
                        "used_at) VALUES (?, ?, ?, ?, ?)",
                        (token_hash(token), editor, submission_id, action, now_iso()))
        return None

    # -- invitation and reset links --------------------------------------------------

    def add_link(self, token: str, editor: str, purpose: str, created_by: str,
                 hours: int) -> str:
        expires = (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds")
        # A new link replaces the editor's earlier unused ones of the same purpose.
        self.db.execute("UPDATE desk_links SET used_at = ? WHERE editor = ? AND purpose = ? "
                        "AND used_at IS NULL", (now_iso(), editor, purpose))
        self.db.execute(
            "INSERT INTO desk_links (token_hash, editor, purpose, created_by, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (token_hash(token), editor, purpose, created_by, now_iso(), expires))
        return expires

    def link(self, token: str) -> DeskLink | None:
        """A link that is unused and not expired, else None."""
        row = self.db.execute(
            "SELECT * FROM desk_links WHERE token_hash = ? AND used_at IS NULL AND "
            "expires_at > ?", (token_hash(token), now_iso())).fetchone()
        if row is None:
            return None
        return DeskLink(row["editor"], row["purpose"], row["created_by"], row["created_at"],
                        row["expires_at"], row["used_at"])

    def use_link(self, token: str) -> bool:
        cur = self.db.execute("UPDATE desk_links SET used_at = ? WHERE token_hash = ? AND "
                              "used_at IS NULL AND expires_at > ?",
                              (now_iso(), token_hash(token), now_iso()))
        return cur.rowcount > 0

    # -- editors invited from the desk -----------------------------------------------

    def add_invited_editor(self, editor_id: str, name: str, email: str,
                           invited_by: str) -> bool:
        cur = self.db.execute(
            "INSERT INTO desk_editors (id, name, email, invited_by, invited_at) VALUES "
            "(?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (editor_id, name, email, invited_by, now_iso()))
        return cur.rowcount > 0

    def invited_editors(self) -> list[InvitedEditor]:
        rows = self.db.execute("SELECT * FROM desk_editors ORDER BY invited_at").fetchall()
        return [InvitedEditor(r["id"], r["name"], r["email"], r["invited_by"],
                              r["invited_at"]) for r in rows]

    # -- privacy flags kept ----------------------------------------------------------

    def keep_flag(self, submission_id: int, flag: str, what: str, excerpt: str,
                  reason: str, editor: str) -> None:
        self.db.execute(
            "INSERT INTO privacy_kept (submission_id, flag, what, excerpt, reason, editor, "
            "kept_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (submission_id, flag) DO "
            "UPDATE SET reason = excluded.reason, editor = excluded.editor, "
            "kept_at = excluded.kept_at", (submission_id, flag, what, excerpt, reason,
                                           editor, now_iso()))

    def kept_flags(self, submission_id: int) -> dict[str, KeptFlag]:
        rows = self.db.execute("SELECT * FROM privacy_kept WHERE submission_id = ?",
                               (submission_id,)).fetchall()
        return {r["flag"]: KeptFlag(r["flag"], r["what"], r["excerpt"], r["reason"],
                                    r["editor"], r["kept_at"]) for r in rows}


@dataclass(frozen=True)
class SavedReply:
    id: int
    owner: str | None  # None: shared by every editor
    name: str
    text: str
    created_by: str


class SavedReplies(LedgerBase):
    def add_saved_reply(self, owner: str | None, name: str, text: str, by: str) -> None:
        self.db.execute("INSERT INTO saved_replies (owner, name, text, created_by, "
                        "created_at) VALUES (?, ?, ?, ?, ?)",
                        (owner, name, text, by, now_iso()))

    def saved_replies(self, editor: str) -> list[SavedReply]:
        """The shared ones and this editor's own, by name."""
        rows = self.db.execute("SELECT * FROM saved_replies WHERE owner IS NULL OR owner = ? "
                               "ORDER BY lower(name), id", (editor,)).fetchall()
        return [SavedReply(r["id"], r["owner"], r["name"], r["text"], r["created_by"])
                for r in rows]

    def delete_saved_reply(self, reply_id: int, editor: str) -> bool:
        """An editor's own, or a shared one: never another editor's own."""
        cur = self.db.execute("DELETE FROM saved_replies WHERE id = ? AND (owner IS NULL OR "
                              "owner = ?)", (reply_id, editor))
        return cur.rowcount > 0


@dataclass(frozen=True)
class SavedView:
    id: int
    name: str
    query: str  # the queue's address after "?": its search, filters and order


class SavedViews(LedgerBase):
    MOST = 50  # an editor's views: a list to choose from, not a store

    def save_view(self, owner: str, name: str, query: str) -> bool:
        """Keep (or, under a name already kept, replace) a view; False past MOST."""
        known = self.db.execute("SELECT count(*), sum(name = ?) FROM saved_views WHERE "
                                "owner = ?", (name, owner)).fetchone()
        if known[0] >= self.MOST and not known[1]:
            return False
        self.db.execute("INSERT INTO saved_views (owner, name, query, created_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (owner, name) DO UPDATE SET "
                        "query = excluded.query", (owner, name, query, now_iso()))
        return True

    def saved_views(self, owner: str) -> list[SavedView]:
        rows = self.db.execute("SELECT id, name, query FROM saved_views WHERE owner = ? "
                               "ORDER BY lower(name), id", (owner,)).fetchall()
        return [SavedView(r["id"], r["name"], r["query"]) for r in rows]

    def delete_saved_view(self, view_id: int, owner: str) -> bool:
        """Only the editor's own."""
        return self.db.execute("DELETE FROM saved_views WHERE id = ? AND owner = ?",
                               (view_id, owner)).rowcount > 0


def _session(row: sqlite3.Row) -> DeskSession:
    return DeskSession(row["token_hash"], row["editor"], row["created_at"], row["seen_at"],
                       row["address"], row["agent"], bool(row["second_factor"]),
                       row["ended_at"], row["ended_why"])
