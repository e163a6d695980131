"""The parts of a Word package beside the body: footnotes, endnotes and comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT

from intake.convert.xmlsafe import parse_xml

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass(frozen=True)
class Comment:
    author: str
    date: str
    text: str


def related(part: Any, reltype: str) -> tuple[Any, Any]:
    """(part, XML root) of the part the document relates to by reltype, or (None, None).

    Every XML part was checked for DOCTYPE and entities before the package was opened.
    """
    for rel in part.rels.values():
        if not rel.is_external and rel.reltype == reltype:
            return rel.target_part, parse_xml(rel.target_part.blob)
    return None, None


def notes(part: Any, kind: str) -> tuple[Any, dict[str, Any]]:
    """The notes part (its links and images resolve against it) and note id → element;
    kind is "footnote" or "endnote"."""
    notes_part, root = related(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)
    if root is None:
        return None, {}
    found = {}
    for note in root.iterchildren(w(kind)):
        # Separators and continuation marks are Word's furniture, not the author's notes.
        if note.get(w("type")) in (None, "normal"):
            found[note.get(w("id"), "")] = note
    return notes_part, found


def comments(part: Any) -> list[Comment]:
    _, root = related(part, RT.COMMENTS)
    if root is None:
        return []
    found = []
    for comment in root.iterchildren(w("comment")):
        paragraphs = ["".join(t.text or "" for t in p.iter(w("t"))) for p in comment.iter(w("p"))]
        found.append(Comment(author=comment.get(w("author"), ""),
                             date=comment.get(w("date"), ""),
                             text="\n".join(p for p in paragraphs if p.strip())))
    return found
