"""Revisions of a submission, and a word-level comparison of any two.

Revision N's draft is kept at drafts/REF/revisions/N/ when a newer one replaces it;
the current one is drafts/REF/draft.md. The comparison is of the words an editor
reads (the Markdown body, front matter left out), by difflib: paragraph by paragraph
first, then word by word within what changed, while a time budget lasts; a text too
long to compare is refused with a reason, not ground through.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from intake.core.errors import IntakeError
from intake.ledger import Submission
from intake.ledger.store import read_draft

MAX_WORDS = 60_000  # each side; an article has a few thousand
BUDGET_SECONDS = 2.0  # for the word-by-word part of one comparison
PAIR_WORDS = 4_000  # a changed run longer than this is shown whole


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


@dataclass(frozen=True)
class Comparison:
    pieces: list[Piece]
    coarse: bool = False  # the time budget ran out: what follows is paragraph by paragraph

    @property
    def note(self) -> str:
        return ("Part of this comparison is shown paragraph by paragraph, not word by "
                f"word: comparing it word by word would take over {BUDGET_SECONDS:g} s."
                if self.coarse else "")


def compare(before: str, after: str, *, seconds: float | None = None) -> list[Piece]:
    """The words of `after` against `before`: unchanged runs, removed and added ones."""
    return comparison(before, after, seconds=seconds).pieces


def comparison(before: str, after: str, *, seconds: float | None = None) -> Comparison:
    """Paragraphs (and a table's rows, a list's items: each line) first, then the words
    within the ones that changed, while the time budget lasts; past it, the changed
    paragraphs are shown whole. Neither step is square in the text's length: what the
    two share at the start and the end is set aside first (linear), lines repeated more
    than a few times are not anchors (difflib's autojunk), and a changed run is compared
    word by word only up to PAIR_WORDS words."""
    old, new = _units(before), _units(after)
    if sum(len(u.split()) for u in old) > MAX_WORDS or \
            sum(len(u.split()) for u in new) > MAX_WORDS:
        raise IntakeError(f"too long to compare word by word (over {MAX_WORDS:,} words)")
    deadline = time.monotonic() + (BUDGET_SECONDS if seconds is None else seconds)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    pieces: list[Piece] = []
    _add(pieces, "same", " ".join(old[:head]))
    coarse = False
    a, b = old[head:len(old) - tail], new[head:len(new) - tail]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes():
        removed, added = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if op == "equal":
            _add(pieces, "same", removed)
            continue
        if op == "replace" and not coarse and time.monotonic() < deadline and \
                len(removed.split()) + len(added.split()) <= PAIR_WORDS:
            for piece in _words(removed, added):
                _add(pieces, piece.kind, piece.text)
            continue
        coarse = coarse or (op == "replace" and time.monotonic() >= deadline)
        _add(pieces, "removed", removed)
        _add(pieces, "added", added)
    _add(pieces, "same", " ".join(old[len(old) - tail:]) if tail else "")
    return Comparison(pieces, coarse)


def _units(text: str) -> list[str]:
    """Each non-empty line, its spaces made single: a paragraph, a heading, a list item
    or a table's row."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _words(before: str, after: str) -> list[Piece]:
    old, new = before.split(), after.split()
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


def _add(pieces: list[Piece], kind: Literal["same", "added", "removed"], text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1].kind == kind:
        pieces[-1] = Piece(kind, f"{pieces[-1].text} {text}")
    else:
        pieces.append(Piece(kind, text))


def as_text(pieces: list[Piece]) -> str:
    """For a terminal, as wdiff writes it: [-removed-] {+added+}."""
    marks = {"same": "{}", "removed": "[-{}-]", "added": "{{+{}+}}"}
    return " ".join(marks[p.kind].format(p.text) for p in pieces)
