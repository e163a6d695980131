"""Outside addresses a Word file would fetch when opened: the remote-template trick.

A .docx can name its template by URL (word/_rels/settings.xml.rels, type
attachedTemplate, TargetMode="External"); Word fetches it on opening, and a macro-
enabled template delivers macros, or leaks the reader's address and credentials. The
same goes for frames, sub-documents and linked objects. Hyperlinks are not fetched and
are left alone.

`remote_references` says what a package would fetch (a warning on the draft and the
desk); `without_remote` is the copy the desk serves: the template reference removed,
and any other such address replaced by one that fetches nothing.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from intake.convert.xmlsafe import parse_xml

_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Relationship types (their last path part) Word follows on opening, with what to call them.
_FETCHED = {
    "attachedTemplate": "a template",
    "frame": "a frame",
    "subDocument": "a sub-document",
    "oleObject": "a linked object",
    "package": "a linked object",
    "image": "a linked image",
    "externalLinkPath": "a linked workbook",
}
_MAX_RELS = 1024 * 1024  # a relationships part larger than this is not read
_NOWHERE = "about:blank"


@dataclass(frozen=True)
class Remote:
    part: str  # the relationships part that names it
    what: str  # "a template", …
    target: str  # the address, as written (for the editor; never fetched)

    def warning(self) -> str:
        return (f"The Word file names {self.what} on another server "
                f"({self.target[:120]}): Word fetches it when the file is opened, which is "
                "how macros and trackers are smuggled in. The draft does not use it; open "
                "the original only from the desk's cleaned copy.")


def remote_references(source: bytes | Path) -> list[Remote]:
    """What the package (its bytes, or a file: only its relationship parts are read) would
    fetch from elsewhere; [] for anything that is not a zip."""
    found: list[Remote] = []
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".rels") or info.file_size > _MAX_RELS:
                    continue
                for rel in _relationships(zf.read(info)):
                    kind = rel.get("Type", "").rsplit("/", 1)[-1]
                    if rel.get("TargetMode") == "External" and kind in _FETCHED:
                        found.append(Remote(info.filename, _FETCHED[kind],
                                            rel.get("Target", "")))
    except (zipfile.BadZipFile, OSError, ValueError, etree.XMLSyntaxError):
        return found
    return found


def without_remote(data: bytes) -> bytes:
    """The package with no outside address Word would fetch: the template reference
    removed (relationship and settings element), other such targets pointed nowhere."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zf, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        template_ids: set[str] = set()
        contents: dict[str, bytes] = {}
        for info in zf.infolist():
            blob = zf.read(info)
            if info.filename.endswith(".rels") and info.file_size <= _MAX_RELS:
                blob, removed = _cleaned_rels(blob)
                if info.filename == "word/_rels/settings.xml.rels":
                    template_ids |= removed
            contents[info.filename] = blob
        if template_ids and "word/settings.xml" in contents:
            contents["word/settings.xml"] = _without_template(contents["word/settings.xml"])
        for info in zf.infolist():
            target.writestr(info, contents[info.filename])
    return out.getvalue()


def _relationships(blob: bytes) -> list[etree._Element]:
    root = parse_xml(blob)
    return list(root.iter(f"{{{_REL_NS}}}Relationship"))


def _cleaned_rels(blob: bytes) -> tuple[bytes, set[str]]:
    """The part rewritten, and the ids of the template relationships taken out."""
    try:
        root = parse_xml(blob)
    except etree.XMLSyntaxError:
        return blob, set()
    removed: set[str] = set()
    changed = False
    for rel in list(root.iter(f"{{{_REL_NS}}}Relationship")):
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        if rel.get("TargetMode") != "External" or kind not in _FETCHED:
            continue
        changed = True
        if kind == "attachedTemplate":
            removed.add(rel.get("Id", ""))
            parent = rel.getparent()
            if parent is not None:
                parent.remove(rel)
        else:
            rel.set("Target", _NOWHERE)
    if not changed:
        return blob, removed
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                          standalone=True), removed


def _without_template(blob: bytes) -> bytes:
    try:
        root = parse_xml(blob)
    except etree.XMLSyntaxError:
        return blob
    for element in list(root.iter(f"{{{_W}}}attachedTemplate")):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    written: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                    standalone=True)
    return written
