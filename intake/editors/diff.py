"""Revisions of a submission, and a word-level comparison of any two.

Revision N's draft is kept at drafts/REF/revisions/N/ when a newer one replaces it;
the current one is drafts/REF/draft.md. The comparison is of the words an editor
reads (the Markdown body, front matter left out), by difflib; a text too long to
compare word by word in reasonable time is refused with a reason, not ground through.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from intake.core.errors import IntakeError
from intake.ledger import Submission
from intake.ledger.store import read_draft

MAX_WORDS = 60_000  # each side; an article has a few thousand


@dataclass(frozen=True)
class Piece:
    kind: Literal["same", "added", "removed"]
    text: str


def revisions(data_dir: Path, sub: Submission) -> list[int]:
    """The revisions whose drafts are kept, oldest first."""
    if not sub.draft_dir:
        return []
    folder = data_dir / sub.draft_dir
    kept = [n for n in range(1, sub.revision) if (folder / "revisions" / str(n) /
                                                   "draft.md").is_file()]
    return [*kept, sub.revision] if (folder / "draft.md").is_file() else kept


def revision_text(data_dir: Path, sub: Submission, number: int) -> str:
    if not sub.draft_dir:
        raise IntakeError(f"{sub.reference} has no draft")
    folder = data_dir / sub.draft_dir
    path = folder / "draft.md" if number == sub.revision else \
        folder / "revisions" / str(number) / "draft.md"
    if number < 1 or number > sub.revision or not path.is_file():
        raise IntakeError(f"{sub.reference} has no revision {number}; its revisions are "
                          f"{', '.join(map(str, revisions(data_dir, sub))) or 'none'}")
    return read_draft(path)[1]


def compare(before: str, after: str) -> list[Piece]:
    """The words of `after` against `before`: unchanged runs, removed and added ones."""
    old, new = before.split(), after.split()
    if len(old) > MAX_WORDS or len(new) > MAX_WORDS:
        raise IntakeError(f"too long to compare word by word (over {MAX_WORDS:,} words)")
    pieces: list[Piece] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("removed", " ".join(old[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("added", " ".join(new[j1:j2])))
    return pieces


def as_text(pieces: list[Piece]) -> str:
    """For a terminal, as wdiff writes it: [-removed-] {+added+}."""
    marks = {"same": "{}", "removed": "[-{}-]", "added": "{{+{}+}}"}
    return " ".join(marks[p.kind].format(p.text) for p in pieces)
