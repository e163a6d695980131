"""Full-text search over everything an editor reads: the reference, the title, the
author, the draft, the authors' messages and the editors' notes.

SQLite FTS5, accents and case ignored (`unicode61 remove_diacritics 2`: "zoe" finds
"Zoë"). The index is brought up to date in the same transaction as the change it
reflects: each change that touches what is indexed marks its submission, and the
transaction indexes the marked ones just before it commits (base.transaction), when
the draft it names is on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.ledger.base import LedgerBase
from intake.ledger.fulltext import index_text
from intake.ledger.passages import END, START, passage
from intake.ledger.submissions import Submission, _submission

# bm25 weights, in the table's column order: reference, title, author, body, messages,
# notes. A word in the title counts more than one deep in the draft.
_WEIGHTS = "10.0, 5.0, 3.0, 1.0, 1.0, 1.0"
__all__ = ["END", "START", "Hit", "Search"]


@dataclass(frozen=True)
class Hit:
    submission: Submission
    passage: str  # the best matching passage, matched words between START and END
    rank: float


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
        (on the submissions table, alias s), best first, each with its passage (found
        for these rows only: ledger.passages says why not by snippet())."""
        rows = self.db.execute(
            f"SELECT s.*, bm25(search, {_WEIGHTS}) AS rank FROM search JOIN submissions s "  # noqa: S608 (fixed parts; `where` is built from fixed parts by editors.search)
            f"ON s.id = search.rowid WHERE search MATCH ? AND {where} ORDER BY rank, s.id "
            "LIMIT ? OFFSET ?", (words, *args, limit, offset)).fetchall()
        texts = {r[0]: (r[1], r[2], r[3]) for r in self.db.execute(
            f"SELECT rowid, body, messages, notes FROM search WHERE rowid IN "  # noqa: S608 (placeholders only)
            f"({', '.join('?' * len(rows))})", [r["id"] for r in rows]).fetchall()}
        return [Hit(_submission(r), passage(texts.get(r["id"], ()), words), float(r["rank"]))
                for r in rows]

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
