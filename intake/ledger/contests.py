"""Contest entries, judges' assignments, reader links and scores in the ledger."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from intake.core.addresses import address_key
from intake.ledger.base import LedgerBase, now_iso


@dataclass(frozen=True)
class Entry:
    submission_id: int
    contest: str
    state: str  # open, early, late, over_limit
    sent_at: str
    blind_sha256: str | None  # the judges' copy an editor confirmed
    confirmed_by: str | None
    confirmed_at: str | None
    award: str | None  # winner, honourable


@dataclass(frozen=True)
class Link:
    token_hash: str
    contest: str | None  # a contest's judge…
    submission_id: int | None  # …or one submission's outside reader
    reader: str  # the reader's email, lower case
    name: str
    rubric: list[dict[str, Any]]  # an outside reader's criteria; a judge's are the contest's
    blind: bool
    expires_at: str
    revoked_at: str | None


class ContestState(LedgerBase):
    # -- entries --------------------------------------------------------------------

    def add_entry(self, submission_id: int, contest: str, state: str, sent_at: str) -> None:
        self.db.execute("INSERT INTO contest_entries (submission_id, contest, state, sent_at, "
                        "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (submission_id) DO "
                        "UPDATE SET contest = excluded.contest, state = excluded.state",
                        (submission_id, contest, state, sent_at, now_iso()))

    def entry(self, submission_id: int) -> Entry | None:
        row = self.db.execute("SELECT * FROM contest_entries WHERE submission_id = ?",
                              (submission_id,)).fetchone()
        return _entry(row) if row else None

    def entries(self, contest: str, states: tuple[str, ...] = ("open",)) -> list[Entry]:
        rows = self.db.execute(
            f"SELECT * FROM contest_entries WHERE contest = ? AND state IN "  # noqa: S608 (placeholders)
            f"({', '.join('?' * len(states))}) ORDER BY sent_at, submission_id",
            (contest, *states)).fetchall()
        return [_entry(r) for r in rows]

    def entries_by(self, contest: str, author_email: str) -> int:
        """Entries in time from this author (by mailbox) already in this contest."""
        key = address_key(author_email)
        rows = self.db.execute(
            "SELECT s.author_email FROM contest_entries e JOIN submissions s ON s.id = "
            "e.submission_id WHERE e.contest = ? AND e.state = 'open'", (contest,)).fetchall()
        return sum(address_key(r[0]) == key for r in rows)

    def confirm_blind(self, submission_id: int, sha256: str | None, editor: str | None) -> None:
        self.db.execute("UPDATE contest_entries SET blind_sha256 = ?, confirmed_by = ?, "
                        "confirmed_at = ? WHERE submission_id = ?",
                        (sha256, editor, now_iso() if sha256 else None, submission_id))

    def set_award(self, submission_id: int, award: str | None) -> None:
        self.db.execute("UPDATE contest_entries SET award = ? WHERE submission_id = ?",
                        (award, submission_id))

    # -- judges' assignments ----------------------------------------------------------

    def assign_reader(self, submission_id: int, reader: str, contest: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO judge_assignments (submission_id, reader, "
                        "contest, assigned_at) VALUES (?, ?, ?, ?)",
                        (submission_id, reader.lower(), contest, now_iso()))

    def readers_of(self, submission_id: int) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT reader FROM judge_assignments WHERE submission_id = ? ORDER BY reader",
            (submission_id,)).fetchall()]

    def assigned_to(self, contest: str, reader: str) -> list[int]:
        return [r[0] for r in self.db.execute(
            "SELECT submission_id FROM judge_assignments WHERE contest = ? AND reader = ? "
            "ORDER BY submission_id", (contest, reader.lower())).fetchall()]

    def assignment_counts(self, contest: str) -> dict[str, int]:
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT reader, count(*) FROM judge_assignments WHERE contest = ? GROUP BY reader",
            (contest,)).fetchall()}

    # -- links ------------------------------------------------------------------------

    def add_reader_link(self, token_hash: str, *, contest: str | None, submission_id: int | None,
                 reader: str, name: str, rubric: list[dict[str, Any]], blind: bool, by: str,
                 expires_at: str) -> None:
        self.db.execute(
            "INSERT INTO reader_links (token_hash, contest, submission_id, reader, name, "
            "rubric, blind, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?)", (token_hash, contest, submission_id, reader.lower(), name,
                         json.dumps(rubric), int(blind), by, now_iso(), expires_at))

    def reader_link(self, token_hash: str) -> Link | None:
        row = self.db.execute("SELECT * FROM reader_links WHERE token_hash = ?",
                              (token_hash,)).fetchone()
        return _link(row) if row else None

    def reader_links(self, *, contest: str | None = None,
              submission_id: int | None = None) -> list[Link]:
        if contest is not None:
            rows = self.db.execute("SELECT * FROM reader_links WHERE contest = ? ORDER BY "
                                   "created_at", (contest,)).fetchall()
        else:
            rows = self.db.execute("SELECT * FROM reader_links WHERE submission_id = ? "
                                   "ORDER BY created_at", (submission_id,)).fetchall()
        return [_link(r) for r in rows]

    def revoke_reader_links(self, reader: str, *, contest: str | None = None,
                     submission_id: int | None = None) -> int:
        cur = self.db.execute(
            "UPDATE reader_links SET revoked_at = ? WHERE reader = ? AND revoked_at IS NULL "
            "AND coalesce(contest, '') = ? AND coalesce(submission_id, 0) = ?",
            (now_iso(), reader.lower(), contest or "", submission_id or 0))
        return cur.rowcount

    # -- scores ---------------------------------------------------------------------------

    def save_scores(self, submission_id: int, reader: str, scores: dict[str, int],
                    comment: str) -> None:
        stamp = now_iso()
        self.db.executemany(
            "INSERT INTO scores (submission_id, reader, criterion, score, updated_at) VALUES "
            "(?, ?, ?, ?, ?) ON CONFLICT (submission_id, reader, criterion) DO UPDATE SET "
            "score = excluded.score, updated_at = excluded.updated_at",
            [(submission_id, reader.lower(), c, s, stamp) for c, s in scores.items()])
        self.db.execute(
            "INSERT INTO score_comments (submission_id, reader, comment, updated_at) VALUES "
            "(?, ?, ?, ?) ON CONFLICT (submission_id, reader) DO UPDATE SET comment = "
            "excluded.comment, updated_at = excluded.updated_at",
            (submission_id, reader.lower(), comment, stamp))

    def scores_of(self, submission_id: int) -> dict[str, dict[str, int]]:
        """reader → criterion → score."""
        found: dict[str, dict[str, int]] = {}
        for reader, criterion, score in self.db.execute(
                "SELECT reader, criterion, score FROM scores WHERE submission_id = ?",
                (submission_id,)).fetchall():
            found.setdefault(reader, {})[criterion] = int(score)
        return found

    def comments_of(self, submission_id: int) -> dict[str, tuple[str, str]]:
        """reader → (comment, when)."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT reader, comment, updated_at FROM score_comments WHERE submission_id = ?",
            (submission_id,)).fetchall()}


def _entry(row: Any) -> Entry:
    return Entry(row["submission_id"], row["contest"], row["state"], row["sent_at"],
                 row["blind_sha256"], row["confirmed_by"], row["confirmed_at"], row["award"])


def _link(row: Any) -> Link:
    return Link(row["token_hash"], row["contest"], row["submission_id"], row["reader"],
                row["name"], json.loads(row["rubric"]), bool(row["blind"]), row["expires_at"],
                row["revoked_at"])
