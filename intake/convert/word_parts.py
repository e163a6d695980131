"""The parts of a Word package beside the body: opening the package, footnotes, endnotes
and comments."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.package import Unmarshaller
from docx.opc.packuri import PACKAGE_URI
from docx.opc.part import Part, PartFactory
from docx.opc.phys_pkg import PhysPkgReader
from docx.opc.pkgreader import PackageReader, _ContentTypeMap
from docx.package import Package
from docx.parts.styles import StylesPart

from intake.convert.xmlsafe import parse_xml

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


# Parts python-docx would parse on opening and the walk never reads: kept as bytes.
_KEPT_AS_BYTES = {CT.WML_STYLES, CT.WML_SETTINGS, CT.WML_FONT_TABLE, CT.WML_WEB_SETTINGS}
# Parts nothing reads once the package is open (its safety was checked on every part
# before): not even decompressed. Word 2010's styles-with-effects copy of the styles part
# alone is larger than the rest of a document together.
_UNREAD = frozenset({CT.WML_SETTINGS, CT.WML_FONT_TABLE, CT.WML_WEB_SETTINGS, CT.OFC_THEME,
                     CT.OFC_EXTENDED_PROPERTIES, CT.OFC_CUSTOM_XML_PROPERTIES,
                     "application/vnd.ms-word.stylesWithEffects+xml"})


class _Skipping:
    """python-docx's physical package reader, except that the parts of a type in _UNREAD
    read as empty."""

    def __init__(self, phys: Any, content_types: Any) -> None:
        self.phys = phys
        self.content_types = content_types

    def blob_for(self, partname: Any) -> bytes:
        try:
            unread = self.content_types[partname] in _UNREAD
        except KeyError:  # python-docx says so itself, as it would have
            unread = False
        return b"" if unread else bytes(self.phys.blob_for(partname))

    def rels_xml_for(self, partname: Any) -> Any:
        return self.phys.rels_xml_for(partname)


def _read_package(data: bytes) -> Any:
    """PackageReader.from_file, through _Skipping."""
    reader: Any = PackageReader  # python-docx leaves these untyped
    types: Any = _ContentTypeMap
    physical: Any = PhysPkgReader
    phys = physical(io.BytesIO(data))
    try:
        content_types = types.from_xml(phys.content_types_xml)
        package_rels = reader._srels_for(phys, PACKAGE_URI)
        parts = reader._load_serialized_parts(_Skipping(phys, content_types), package_rels,
                                              content_types)
    finally:
        phys.close()
    return reader(content_types, package_rels, parts)


def _part(partname: Any, content_type: str, reltype: str, blob: bytes, package: Any) -> Any:
    if content_type in _KEPT_AS_BYTES:
        return Part.load(partname, content_type, blob, package)
    return PartFactory(partname, content_type, reltype, blob, package)


def open_document(data: bytes) -> Any:
    """docx.Document(data), except that the styles part (and the settings, font table and
    web settings, which the walk never reads) stays bytes: the walk reads only the styles
    it meets (word_styles), and a template's styles part can be larger than the rest of
    the document together. The same errors as docx.Document for a package it refuses."""
    package = Package()
    unmarshaller: Any = Unmarshaller  # python-docx leaves it untyped
    unmarshaller.unmarshal(_read_package(data), package, _part)
    part = package.main_document_part
    if part.content_type != CT.WML_DOCUMENT_MAIN:
        raise ValueError(f"not a Word file: the content type is {part.content_type!r}")
    return part.document


def styles_xml(document_part: Any) -> bytes:
    """The styles part's bytes; python-docx's default styles for a document without one,
    as python-docx itself reads such a document."""
    try:
        return bytes(document_part.part_related_by(RT.STYLES).blob)
    except KeyError:
        default: Any = StylesPart  # untyped in python-docx
        return bytes(default._default_styles_xml())


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
