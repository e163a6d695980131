"""Two revisions of a draft, rendered as the draft is, with what changed marked.

Each revision is rendered and sanitised as the submission page renders it (markdown-it
and nh3), then cut into its top-level blocks: paragraphs, headings, lists, tables,
figures. The blocks are aligned (difflib over the blocks), a changed block is marked
word by word within itself (lxml's htmldiff, which keeps the markup whole), a table
of the same shape cell by cell, and a block removed in one place and found again in
another is shown as moved, not as a deletion and an addition.

Every piece comes from an author, so the result is sanitised again; only the wrappers
this module writes around whole blocks carry a class.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote

import nh3
from lxml import etree
from lxml import html as lxml_html
from lxml.html.diff import htmldiff

from intake.core.errors import IntakeError
from intake.editors.diff import BUDGET_SECONDS, MAX_WORDS, PAIR_WORDS, revision_text
from intake.export.html import _ATTRIBUTES, _TAGS, safe_html
from intake.ledger import Submission

RowKind = Literal["same", "changed", "added", "removed", "moved_from", "moved_to"]

PAIRING = 0.5  # blocks at least this alike are one block changed, not one out, one in
MOVED = 0.8  # a block found again elsewhere at least this alike has moved
MAX_PAIRS = 2_500  # block pairs weighed by difflib (pairing past MAX_CELLS, and moves)
MAX_CELLS = 40_000  # blocks by blocks aligned for the most likeness; ~200 changed each side
_NAME = re.compile(r"[^/\\?#\x00]+")  # a file directly in the folder, unquoted
_SRC = re.compile(r"(?:revisions/\d{1,6}/)?assets/[^/\\?#]+")


@dataclass(frozen=True)
class Side:
    """One revision: its Markdown, and where its images are kept and served from."""
    markdown: str
    assets: Path  # the folder of its images on disk
    url: str  # the same folder, relative to the compare page ("assets/" or "revisions/N/assets/")


@dataclass(frozen=True)
class Row:
    kind: RowKind
    # Sanitised HTML, which the page shows as it is:
    before: str  # the left column on a wide screen: the earlier revision
    after: str  # the right column, and the only one on a phone: the later one


@dataclass
class Rendered:
    rows: list[Row] = field(default_factory=list)
    coarse: bool = False  # the time budget ran out: later changes are shown whole

    @property
    def note(self) -> str:
        return ("Part of this comparison marks whole paragraphs, not words: a paragraph "
                f"is over {PAIR_WORDS:,} words, or marking every word would take over "
                f"{BUDGET_SECONDS:g} s." if self.coarse else "")

    @property
    def changed(self) -> int:
        return sum(r.kind != "same" and r.kind != "moved_from" for r in self.rows)


@dataclass
class _Block:
    html: str  # sanitised, images pointing at their own revision
    key: str  # what makes two blocks the same: the markup, images by content
    words: tuple[str, ...]  # what makes two blocks alike
    tag: str

    @cached_property
    def bag(self) -> Counter[str]:
        return Counter(self.words)


def side(data_dir: Path, sub: Submission, number: int) -> Side:
    """Revision `number` of a submission, as the compare page shows it."""
    markdown = revision_text(data_dir, sub, number)  # refuses a revision not kept
    folder = data_dir / (sub.draft_dir or "")
    if number == sub.revision:
        return Side(markdown, folder / "assets", "assets/")
    return Side(markdown, folder / "revisions" / str(number) / "assets",
                f"revisions/{number}/assets/")


def render(before: Side, after: Side, *, seconds: float | None = None) -> Rendered:
    for side in (before, after):
        if len(side.markdown.split()) > MAX_WORDS:
            raise IntakeError(f"too long to compare (over {MAX_WORDS:,} words)")
    deadline = time.monotonic() + (BUDGET_SECONDS if seconds is None else seconds)
    known = _image_index(after.assets, after.url)
    old = _blocks(before, known)
    new = _blocks(after, known)
    result = Rendered()
    pairs = _aligned(old, new)
    moves = _moves(pairs)
    for number, (was, now) in enumerate(pairs):
        if number in moves:
            result.rows.append(_moved(number, moves[number], pairs, deadline, result))
        elif was is None and now is not None:
            result.rows.append(_added(now))
        elif now is None and was is not None:
            result.rows.append(_removed(was))
        elif was is not None and now is not None:
            result.rows.append(Row("same", now.html, now.html) if was.key == now.key
                               else _changed(was, now, deadline, result))
    return result


# -- the blocks of one revision ---------------------------------------------------------

def _image_index(folder: Path, url: str) -> dict[str, str]:
    """The later revision's images by content, so that an image an editor did not change
    is the same image on both sides, wherever each revision keeps its copy."""
    found: dict[str, str] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir())[:500]:
            if path.is_file() and not path.is_symlink():
                found.setdefault(_digest(path), url + quote(path.name))
    return found


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _blocks(side: Side, known: dict[str, str]) -> list[_Block]:
    cleaned = safe_html(side.markdown)
    if not cleaned.strip():
        return []
    blocks: list[_Block] = []
    for part in lxml_html.fragments_fromstring(cleaned):
        if isinstance(part, str):  # text outside any block: markdown-it writes none
            if part.strip():
                text = html.escape(part.strip(), quote=False)
                blocks.append(_Block(f"<p>{text}</p>", text, tuple(part.split()), "p"))
            continue
        if not isinstance(part, etree.ElementBase) or not isinstance(part.tag, str):
            continue
        part.tail = None
        key_parts: list[str] = []
        for image in part.iter("img"):
            name = (image.get("src") or "").removeprefix("assets/")
            on_disk = unquote(name)
            if not _NAME.fullmatch(on_disk) or on_disk.startswith(".") or "/" in name:
                image.set("src", "")
                continue
            path = side.assets / on_disk
            digest = _digest(path) if path.is_file() else ""
            image.set("src", known.get(digest) or side.url + name)
            key_parts.extend([digest or name, *(image.get("alt") or "").split()])
        markup = lxml_html.tostring(part, encoding="unicode")
        words = tuple(part.text_content().split()) + tuple(key_parts)
        key = re.sub(r'\ssrc="[^"]*"', "", " ".join(markup.split())) + " ".join(key_parts)
        blocks.append(_Block(markup, key, words, part.tag))
    return blocks


# -- aligning them ----------------------------------------------------------------------

Pair = tuple[_Block | None, _Block | None]  # (earlier, later): one row


def _aligned(old: list[_Block], new: list[_Block]) -> list[Pair]:
    """The two revisions' blocks in rows. What they share at the start and the end is
    set aside first; the rest is aligned for the most likeness in order (each block with
    at most one other, at least PAIRING alike), or, past MAX_CELLS, around the blocks
    that are the same (difflib), which is cheaper but pairs less well."""
    head = 0
    while head < min(len(old), len(new)) and old[head].key == new[head].key:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail].key == new[-1 - tail].key:
        tail += 1
    a, b = old[head:len(old) - tail], new[head:len(new) - tail]
    middle: list[Pair] = []
    if len(a) * len(b) <= MAX_CELLS:
        middle = _best(a, b)
    else:
        matcher = difflib.SequenceMatcher(a=[x.key for x in a], b=[x.key for x in b],
                                          autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            middle.extend(zip(a[i1:i2], b[j1:j2], strict=True) if op == "equal" else
                          _paired(a[i1:i2], b[j1:j2]))
    return ([(x, y) for x, y in zip(old[:head], new[:head], strict=True)] + middle +
            [(x, y) for x, y in zip(old[len(old) - tail:], new[len(new) - tail:],
                                    strict=True)])


def _likeness(a: _Block, b: _Block) -> float:
    """1 for the same block; else how many words two blocks of one kind share (Dice),
    if at least PAIRING; else 0."""
    if a.key == b.key:
        return 1.0
    if a.tag != b.tag or not a.words or not b.words:
        return 0.0
    shared = sum((a.bag & b.bag).values())
    found = 2 * shared / (len(a.words) + len(b.words))
    return min(found, 0.999) if found >= PAIRING else 0.0


def _best(a: list[_Block], b: list[_Block]) -> list[Pair]:
    """The alignment with the most likeness in all (a longest common subsequence,
    weighted), removals before additions where a stretch has both."""
    like = [[_likeness(x, y) for y in b] for x in a]
    score = [[0.0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            best = max(score[i - 1][j], score[i][j - 1])
            if like[i - 1][j - 1]:
                best = max(best, score[i - 1][j - 1] + like[i - 1][j - 1])
            score[i][j] = best
    pairs: list[Pair] = []
    i, j = len(a), len(b)
    while i or j:
        if i and j and like[i - 1][j - 1] and \
                score[i][j] == score[i - 1][j - 1] + like[i - 1][j - 1]:
            pairs.append((a[i - 1], b[j - 1]))
            i, j = i - 1, j - 1
        elif j and score[i][j] == score[i][j - 1]:
            pairs.append((None, b[j - 1]))
            j -= 1
        else:
            pairs.append((a[i - 1], None))
            i -= 1
    return pairs[::-1]


def _alike(a: _Block, b: _Block) -> float:
    if a.tag != b.tag:
        return 0.0
    matcher = difflib.SequenceMatcher(a=a.words, b=b.words, autojunk=False)
    return matcher.ratio() if matcher.quick_ratio() >= PAIRING else 0.0


def _paired(old: list[_Block], new: list[_Block]) -> list[Pair]:
    """A changed stretch as rows, in order: each earlier block paired with the first
    later block at least PAIRING alike that keeps the order, the rest out or in."""
    if len(old) * len(new) > MAX_PAIRS:
        return [(x, None) for x in old] + [(None, y) for y in new]
    pairs: list[Pair] = []
    j = 0
    for was in old:
        match = next((k for k in range(j, len(new)) if _alike(was, new[k]) >= PAIRING), None)
        if match is None:
            pairs.append((was, None))
            continue
        pairs.extend((None, y) for y in new[j:match])
        pairs.append((was, new[match]))
        j = match + 1
    return pairs + [(None, y) for y in new[j:]]


def _moves(pairs: list[Pair]) -> dict[int, int]:
    """Rows that are one block moved: each removal's row to its addition's, and back."""
    removed = [n for n, (was, now) in enumerate(pairs) if now is None]
    added = [n for n, (was, now) in enumerate(pairs) if was is None]
    if len(removed) * len(added) > MAX_PAIRS:
        return {}
    moves: dict[int, int] = {}
    for out in removed:
        was = pairs[out][0]
        assert was is not None
        for into in added:
            now = pairs[into][1]
            assert now is not None
            if into not in moves and (was.key == now.key or _alike(was, now) >= MOVED):
                moves[out], moves[into] = into, out
                break
    return moves


# -- the rows -----------------------------------------------------------------------------

def _note(text: str) -> str:
    return f'<p class="moved-note">{text}</p>'


def _added(block: _Block) -> Row:
    return Row("added", (""), (f'<ins class="block">{block.html}</ins>'))


def _removed(block: _Block) -> Row:
    gone = (f'<del class="block">{block.html}</del>')
    return Row("removed", gone, gone)


def _changed(was: _Block, now: _Block, deadline: float, result: Rendered) -> Row:
    """A block changed: marked word by word while the budget lasts and the block is not
    too long to compare so (htmldiff is not linear), else shown out and in whole."""
    if time.monotonic() >= deadline or len(was.words) + len(now.words) > PAIR_WORDS:
        result.coarse = True
        both = (f'<del class="block">{was.html}</del><ins class="block">{now.html}</ins>')
        return Row("changed", both, both)
    marked = _clean(_table_diff(was.html, now.html) if was.tag == "table" else
                    htmldiff(was.html, now.html))
    return Row("changed", marked, marked)


def _moved(number: int, other: int, rows: list[Pair],
           deadline: float, result: Rendered) -> Row:
    direction = "below" if other > number else "above"
    leaving = rows[number][1] is None  # this row is where the block was
    was = rows[number][0] if leaving else rows[other][0]
    now = rows[other][1] if leaving else rows[number][1]
    assert was is not None and now is not None
    if leaving:
        return Row("moved_from", f'<div class="moved">{was.html}</div>',
                   _note(f"A paragraph moved from here to {direction}."))
    inner = now.html if was.key == now.key else _changed(was, now, deadline, result).after
    note = _note(f"Moved here from {direction}.")
    return Row("moved_to", note, note + f'<div class="moved">{inner}</div>')


def _table_diff(before: str, after: str) -> str:
    """A table of the same shape, cell by cell; any other change of a table, whole."""
    old, new = lxml_html.fragment_fromstring(before), lxml_html.fragment_fromstring(after)
    old_cells = list(old.iter("td", "th"))
    new_cells = list(new.iter("td", "th"))
    shape = [len(r) for r in old.iter("tr")] == [len(r) for r in new.iter("tr")]
    if not shape or len(old_cells) != len(new_cells):
        return f"<del>{before}</del><ins>{after}</ins>"
    for was, now in zip(old_cells, new_cells, strict=True):
        inner_was, inner_now = _inner(was), _inner(now)
        if inner_was == inner_now:
            continue
        marked = htmldiff(inner_was, inner_now)
        for child in list(now):
            now.remove(child)
        now.text = None
        for piece in lxml_html.fragments_fromstring(marked):
            if isinstance(piece, str):
                if len(now):
                    now[-1].tail = (now[-1].tail or "") + piece
                else:
                    now.text = (now.text or "") + piece
            else:
                now.append(piece)
    return str(lxml_html.tostring(new, encoding="unicode"))


def _inner(cell: lxml_html.HtmlElement) -> str:
    return html.escape(cell.text or "", quote=False) + "".join(
        lxml_html.tostring(child, encoding="unicode") for child in cell)


def _only_compared_images(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and (not _SRC.fullmatch(value) or ".." in value):
        return None
    return value


def _clean(marked: str) -> str:
    """htmldiff's output sanitised again: it is made of an author's words."""
    return (nh3.clean(marked, tags=_TAGS | {"ins", "del"}, attributes=_ATTRIBUTES,
                            url_schemes={"http", "https", "mailto"},
                            attribute_filter=_only_compared_images,
                            link_rel="noopener noreferrer nofollow"))
