"""Submissions, the files each revision came from, and who may revise them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from intake.core.models import Classification, Status
from intake.ledger.base import LedgerBase, now_iso


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
    sent_at: str | None = None  # the mail's Date, no later than it arrived
    article_type: str | None = None  # medical.types (case_report…), read or set
    language: str | None = None  # what the author is answered in (None: the default)
    stage: str | None = None  # on its kind's own road ([kinds.NAME] stages); None: the first
    # Raised by every change an editor could act on (events.VERSIONED): a form carries
    # the version its page showed, and a change made since refuses it.
    version: int = 1

    def age_days(self, now: datetime) -> int:
        """Whole days since its author sent it (or, unknown, since intake received it)."""
        try:
            return max(0, (now - datetime.fromisoformat(self.sent_at or self.received)).days)
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
            "purged_at": self.purged_at, "sent_at": self.sent_at, "version": self.version,
            "article_type": self.article_type, "language": self.language,
            "stage": self.stage,
        }



# The queue's columns an editor may sort by, and what each sorts on.
SORTS = {
    "reference": "reference", "kind": "kind", "title": "lower(title)",
    "author": "lower(coalesce(nullif(author_name, ''), author_email))",
    "sent": "coalesce(sent_at, received)", "status": "status",
    "assignee": "coalesce(assignee, '')", "received": "received",
}


class Submissions(LedgerBase):
    _UPDATABLE = frozenset({"kind", "status", "title", "word_count", "warnings",
                            "classification", "reason", "draft_dir", "revision", "assignee",
                            "decided_at", "purged_at", "author_name", "author_email",
                            "subject", "message_id", "sent_at", "article_type",
                            "language", "stage"})


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

    def update_submission(self, submission_id: int, **values: Any) -> None:
        unknown = set(values) - self._UPDATABLE
        assert not unknown, unknown
        encoded = {k: json.dumps(list(v)) if k == "warnings" else
                   json.dumps(v.as_dict() if v else {}) if k == "classification" else
                   v.value if isinstance(v, Status) else v for k, v in values.items()}
        columns = ", ".join(f"{k} = ?" for k in encoded)
        self.db.execute(f"UPDATE submissions SET {columns}, updated_at = ? WHERE id = ?",  # noqa: S608 (names from _UPDATABLE)
                        (*encoded.values(), now_iso(), submission_id))
        if values.keys() & {"title", "author_name", "author_email", "draft_dir",
                            "purged_at", "revision"}:
            self._dirty.add(submission_id)

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

    def submissions_numbered(self, number: int) -> list[Submission]:
        """Submissions whose reference ends in this number (PREFIX-YEAR-NNNN)."""
        rows = self.db.execute("SELECT * FROM submissions WHERE reference LIKE ? ORDER BY id",
                               (f"%-{number:04d}",)).fetchall()
        return [_submission(r) for r in rows
                if r["reference"].rsplit("-", 1)[-1].lstrip("0") == str(number)]

    def submissions(self, statuses: Sequence[Status] | None = None,
                    kind: str | None = None, *, assignee: str | None = None,
                    unassigned: bool = False, received_before: str | None = None,
                    received_after: str | None = None,
                    limit: int | None = None, offset: int = 0,
                    order: str = "", descending: bool = False) -> list[Submission]:
        """Oldest first, or by `order` (a key of SORTS); every filter is a column of an
        index (words: ledger.search)."""
        sql, args = self._where(statuses, kind, assignee, unassigned, received_before,
                                received_after)
        by = SORTS.get(order, "received")
        way = "DESC" if descending else "ASC"
        sql = (f"SELECT * FROM submissions WHERE {sql} ORDER BY {by} {way}, id {way} "  # noqa: S608 (from SORTS, not input)
               "LIMIT ? OFFSET ?")
        args.extend((-1 if limit is None else limit, offset))
        return [_submission(r) for r in self.db.execute(sql, args).fetchall()]

    def count_submissions(self, statuses: Sequence[Status] | None = None,
                          kind: str | None = None, *, assignee: str | None = None,
                          unassigned: bool = False) -> int:
        where, args = self._where(statuses, kind, assignee, unassigned, None, None)
        row = self.db.execute(f"SELECT COUNT(*) FROM submissions WHERE {where}",  # noqa: S608
                              args).fetchone()
        return int(row[0])

    def _where(self, statuses: Sequence[Status] | None, kind: str | None,
               assignee: str | None, unassigned: bool, received_before: str | None,
               received_after: str | None) -> tuple[str, list[Any]]:
        sql, args = "1=1", list[Any]()
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
        return sql, args

    def status_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM submissions GROUP BY status")
        return {r[0]: int(r[1]) for r in rows.fetchall()}

    def oldest_with_status(self, statuses: Sequence[Status]) -> Submission | None:
        """The submission in one of these statuses that arrived first."""
        row = self.db.execute(
            f"SELECT * FROM submissions WHERE status IN ({', '.join('?' * len(statuses))}) "  # noqa: S608 (placeholders only)
            "ORDER BY coalesce(sent_at, received), id LIMIT 1",
            tuple(s.value for s in statuses)).fetchone()
        return _submission(row) if row is not None else None

    def decided_before(self, statuses: Sequence[Status], cutoff: str) -> list[Submission]:
        """Decided (in one of these statuses) before cutoff and not purged yet."""
        rows = self.db.execute(
            f"SELECT * FROM submissions WHERE status IN ({', '.join('?' * len(statuses))}) "  # noqa: S608 (placeholders only)
            "AND coalesce(decided_at, updated_at) < ? AND purged_at IS NULL ORDER BY id",
            (*(s.value for s in statuses), cutoff)).fetchall()
        return [_submission(r) for r in rows]

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
        decided_at=row["decided_at"], purged_at=row["purged_at"], sent_at=row["sent_at"],
        version=row["version"], article_type=row["article_type"], language=row["language"],
        stage=row["stage"])

