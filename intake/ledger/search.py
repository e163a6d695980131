"""Full-text search over everything an editor reads: the reference, the title, the
author, the draft, the authors' messages and the editors' notes.

SQLite FTS5, accents and case ignored (`unicode61 remove_diacritics 2`: "zoe" finds
"Zoë"). The index is brought up to date in the same transaction as the change it
reflects: each change that touches what is indexed marks its submission, and the
transaction indexes the marked ones just before it commits (base.transaction), when
the draft it names is on disk.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from intake.ledger.base import LedgerBase
from intake.ledger.store import read_draft
from intake.ledger.submissions import Submission, _submission

MAX_FIELD = 200_000  # characters of one field indexed: a long draft is indexed in part
# bm25 weights, in the table's column order: reference, title, author, body, messages,
# notes. A word in the title counts more than one deep in the draft.
_WEIGHTS = "10.0, 5.0, 3.0, 1.0, 1.0, 1.0"
START, END = "\x02", "\x03"  # around each matched word in a snippet (then escaped)


@dataclass(frozen=True)
class Hit:
    submission: Submission
    passage: str  # the best matching passage, matched words between START and END
    rank: float


def index_text(db: sqlite3.Connection, ledger: Path, submission_id: int) -> None:
    """(Re)index one submission from the ledger and its draft on disk."""
    row = db.execute("SELECT reference, title, author_name, author_email, draft_dir, "
                     "purged_at FROM submissions WHERE id = ?", (submission_id,)).fetchone()
    db.execute("DELETE FROM search WHERE rowid = ?", (submission_id,))
    if row is None:
        return
    reference, title, name, email, draft_dir, purged = row
    body = ""
    if draft_dir and not purged:
        try:
            body = read_draft(ledger.parent / draft_dir / "draft.md")[1][:MAX_FIELD]
        except (OSError, ValueError):
            body = ""
    messages = " \n".join(
        str(json.loads(r[0]).get("text", "")) for r in db.execute(
            "SELECT shown FROM messages WHERE submission_id = ? AND shown IS NOT NULL "
            "ORDER BY id", (submission_id,)).fetchall())[:MAX_FIELD]
    notes = " \n".join(
        str(json.loads(r[0]).get("text", "")) for r in db.execute(
            "SELECT detail FROM events WHERE submission_id = ? AND event = 'noted' "
            "ORDER BY id", (submission_id,)).fetchall())[:MAX_FIELD]
    db.execute("INSERT INTO search (rowid, reference, title, author, body, messages, notes) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
               (submission_id, reference, title, f"{name} {email}", body, messages, notes))


class Search(LedgerBase):
    def mark_for_search(self, submission_id: int) -> None:
        self._dirty.add(submission_id)

    def _before_commit(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for submission_id in sorted(dirty):
            index_text(self.db, self.path, submission_id)

    def search(self, words: str, where: str = "1=1", args: tuple[object, ...] = (),
               limit: int = 50, offset: int = 0) -> list[Hit]:
        """Submissions matching the FTS5 query `words` and the SQL condition `where`
        (on the submissions table, alias s), best first."""
        rows = self.db.execute(
            f"SELECT s.*, snippet(search, -1, ?, ?, '…', 14) AS passage, "  # noqa: S608 (fixed parts; `where` is built from fixed parts by editors.search)
            f"bm25(search, {_WEIGHTS}) AS rank FROM search JOIN submissions s ON "
            f"s.id = search.rowid WHERE search MATCH ? AND {where} ORDER BY rank, s.id "
            "LIMIT ? OFFSET ?", (START, END, words, *args, limit, offset)).fetchall()
        return [Hit(_submission(r), str(r["passage"] or ""), float(r["rank"])) for r in rows]

    def count_search(self, words: str, where: str = "1=1",
                     args: tuple[object, ...] = ()) -> int:
        row = self.db.execute(
            f"SELECT count(*) FROM search JOIN submissions s ON s.id = search.rowid "  # noqa: S608
            f"WHERE search MATCH ? AND {where}", (words, *args)).fetchone()
        return int(row[0])

    def filtered(self, where: str, args: tuple[object, ...], limit: int = 50,
                 offset: int = 0) -> list[Submission]:
        """Submissions matching the condition alone (a search of fields, no words)."""
        rows = self.db.execute(
            f"SELECT * FROM submissions s WHERE {where} ORDER BY "  # noqa: S608
            "coalesce(s.sent_at, s.received) DESC, s.id DESC LIMIT ? OFFSET ?",
            (*args, limit, offset)).fetchall()
        return [_submission(r) for r in rows]

    def count_filtered(self, where: str, args: tuple[object, ...]) -> int:
        row = self.db.execute(f"SELECT count(*) FROM submissions s WHERE {where}",  # noqa: S608
                              args).fetchone()
        return int(row[0])


_SAFE = re.compile(r"[^\w@.+-]+")


def fts_terms(words: list[str], phrases: list[str]) -> str:
    """An FTS5 query that matches every word (as a prefix) and every phrase: each one a
    quoted string, so nothing a person types is read as FTS5 syntax."""
    parts = [f'"{w.replace(chr(34), "")}"*' for w in words if _SAFE.sub("", w)]
    parts += [f'"{p.replace(chr(34), "")}"' for p in phrases if p.strip()]
    return " ".join(parts)
