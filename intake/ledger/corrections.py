"""Editors' corrections of a kind, each with what triage read: the site's own labelled
examples, for `intake model retrain` (intake.rules.retrain)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from intake.ledger.base import LedgerBase, now_iso

# What a correction keeps of a message: as much as triage reads of it (features.py
# reads the first 20,000 characters of a body and 60,000 of a document).
MAX_BODY = 20_000
MAX_DOCUMENT = 60_000


@dataclass(frozen=True)
class Correction:
    id: int
    submission_id: int | None
    before: str  # the kind triage gave
    kind: str  # the kind an editor gave
    subject: str
    body: str
    document: str  # the manuscript's text, as converted ("" when none was read)
    title: str  # the manuscript's own title ("" when none)
    files: list[dict[str, Any]]  # each attachment: name, type (core.sniff), inline
    sender: str
    actor: str
    created_at: str


class Corrections(LedgerBase):
    def add_correction(self, *, submission_id: int, before: str, kind: str, subject: str,
                       body: str, document: str, title: str, files: list[dict[str, Any]],
                       sender: str, actor: str) -> None:
        """Keep one correction; a later one of the same submission replaces it (the
        editor's last word is its label)."""
        self.db.execute("DELETE FROM corrections WHERE submission_id = ?", (submission_id,))
        self.db.execute(
            "INSERT INTO corrections (submission_id, before, kind, subject, body, document, "
            "title, files, sender, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (submission_id, before, kind, subject[:1000], body[:MAX_BODY],
             document[:MAX_DOCUMENT], title[:1000], json.dumps(files[:50]), sender, actor,
             now_iso()))

    def corrections(self) -> list[Correction]:
        rows = self.db.execute("SELECT * FROM corrections ORDER BY id").fetchall()
        return [Correction(
            id=row["id"], submission_id=row["submission_id"], before=row["before"],
            kind=row["kind"], subject=row["subject"], body=row["body"],
            document=row["document"], title=row["title"], files=json.loads(row["files"]),
            sender=row["sender"], actor=row["actor"], created_at=row["created_at"])
            for row in rows]
