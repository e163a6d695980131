"""What the full-text index holds for one submission, and how a person's words become an
FTS5 query: no ledger class here, so that the schema's migration can index with it."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from intake.ledger.store import read_body

MAX_FIELD = 200_000  # characters of one field indexed: a long draft is indexed in part


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
            body = read_body(ledger.parent / draft_dir / "draft.md")[:MAX_FIELD]
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


_SAFE = re.compile(r"[^\w@.+-]+")
# A shorter word is matched whole: "ba" as a prefix is most of the dictionary, and costs
# the index a hundred times a word's time (bench/desk_bench.py).
PREFIX = 3


def fts_terms(words: list[str], phrases: list[str]) -> str:
    """An FTS5 query that matches every word (as a prefix, from PREFIX letters) and every
    phrase: each one a quoted string, so nothing a person types is read as FTS5 syntax."""
    parts = [f'"{w.replace(chr(34), "")}"' + ("*" if len(_SAFE.sub("", w)) >= PREFIX else "")
             for w in words if _SAFE.sub("", w)]
    parts += [f'"{p.replace(chr(34), "")}"' for p in phrases if p.strip()]
    return " ".join(parts)
