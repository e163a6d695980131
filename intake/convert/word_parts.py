"""The parts of a Word package beside the body: footnotes, endnotes and comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass(frozen=True)
class Comment:
    author: str
    date: str
    text: str


def related_root(part: Any, reltype: str) -> Any:
    """The XML root of the part the document relates to by reltype, or None.

    Every XML part was checked for DOCTYPE and entities before the package was opened.
    """
    for rel in part.rels.values():
        if not rel.is_external and rel.reltype == reltype:
            return etree.fromstring(rel.target_part.blob)
    return None


def notes(part: Any, kind: str) -> dict[str, Any]:
    """Note id → its w:footnote / w:endnote element; kind is "footnote" or "endnote"."""
    root = related_root(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)
    if root is None:
        return {}
    found = {}
    for note in root.iterchildren(w(kind)):
        # Separators and continuation marks are Word's furniture, not the author's notes.
        if note.get(w("type")) in (None, "normal"):
            found[note.get(w("id"), "")] = note
    return found


def comments(part: Any) -> list[Comment]:
    root = related_root(part, RT.COMMENTS)
    if root is None:
        return []
    found = []
    for comment in root.iterchildren(w("comment")):
        paragraphs = ["".join(t.text or "" for t in p.iter(w("t"))) for p in comment.iter(w("p"))]
        found.append(Comment(author=comment.get(w("author"), ""),
                             date=comment.get(w("date"), ""),
                             text="\n".join(p for p in paragraphs if p.strip())))
    return found
