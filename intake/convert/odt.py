"""OpenDocument text (.odt) → Markdown: an lxml walk over content.xml.

Headings (text:h and its outline level), paragraphs, nested lists, bold and
italic from the automatic styles, links, tables, images from Pictures/ and
footnotes. The package passes the same checks as a Word file first; an
encrypted ODF file (LibreOffice's "save with password") is refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from lxml import etree

from intake.convert.markdown import escape, escape_line_start, tidy
from intake.convert.safety import ConversionError, check_package
from intake.convert.xmlsafe import parse_xml
from intake.core.models import Asset, Converted

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "#")
_ADVICE = "Please send the article again as an ordinary .docx or .odt file, or as a PDF."


def q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def convert_odt(name: str, data: bytes) -> Converted:
    check_package(data, what="OpenDocument file")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        manifest = zf.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
        if b"encryption-data" in manifest:
            raise ConversionError(f"{name} is password-protected",
                                  "Please send it again without a password.")
        try:
            content = parse_xml(zf.read("content.xml"))
        except (KeyError, etree.XMLSyntaxError) as exc:
            raise ConversionError(f"{name} is a damaged OpenDocument file ({exc})",
                                  _ADVICE) from exc
        meta = parse_xml(zf.read("meta.xml")) if "meta.xml" in names else None
        walker = _Walker(content, zf)
        body = content.find(f"{q('office', 'body')}/{q('office', 'text')}")
        blocks = walker.blocks(body) if body is not None else []
    markdown = "\n\n".join(b for b in blocks if b)
    if walker.notes:
        markdown += "\n\n" + "\n\n".join(f"[^{i}]: {text}"
                                         for i, text in enumerate(walker.notes, start=1))
    title = None
    if meta is not None:
        found = meta.find(f".//{q('dc', 'title')}")
        title = " ".join((found.text or "").split()) or None if found is not None else None
    return Converted(markdown=tidy(markdown), title=title, assets=tuple(walker.assets),
                     warnings=tuple(walker.warnings))


class _Walker:
    def __init__(self, content: Any, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.assets: list[Asset] = []
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.formats = self._formats(content)

    @staticmethod
    def _formats(content: Any) -> dict[str, str]:
        """Automatic style name → Markdown emphasis it carries ("**", "*", "***")."""
        found = {}
        for style in content.iter(q("style", "style")):
            props = style.find(q("style", "text-properties"))
            if props is None:
                continue
            bold = props.get(q("fo", "font-weight")) == "bold"
            italic = props.get(q("fo", "font-style")) == "italic"
            mark = ("**" if bold else "") + ("*" if italic else "")
            if mark:
                found[style.get(q("style", "name"), "")] = mark
        return found

    def blocks(self, parent: Any, depth: int = 0) -> list[str]:
        out: list[str] = []
        for child in parent:
            if child.tag == q("text", "h"):
                level = int(child.get(q("text", "outline-level"), "1") or 1)
                out.append("#" * min(max(level, 1), 6) + " " + self.inline(child).strip())
            elif child.tag == q("text", "p"):
                out.append(escape_line_start(self.inline(child).strip()))
            elif child.tag == q("text", "list"):
                out.append("\n".join(self._list(child, 0)))
            elif child.tag == q("table", "table"):
                out.append(self._table(child))
            elif child.tag in (q("text", "section"), q("text", "index-body")):
                out.extend(self.blocks(child, depth + 1))
            elif child.tag == q("text", "table-of-content"):
                body = child.find(q("text", "index-body"))
                if body is not None:
                    out.extend(self.blocks(body, depth + 1))
        return out

    def _list(self, node: Any, level: int) -> list[str]:
        ordered = False  # ODF keeps the kind in a list style; bullets unless numbered
        style = node.get(q("text", "style-name"), "")
        if re.search(r"num|L\d+N", style, re.I):
            ordered = True
        lines = []
        for item in node.iter(q("text", "list-item")):
            if item.getparent() is not node:
                continue
            for part in item:
                if part.tag == q("text", "list"):
                    lines.extend(self._list(part, level + 1))
                elif part.tag in (q("text", "p"), q("text", "h")):
                    text = self.inline(part).strip()
                    if text:
                        lines.append("    " * level + ("1. " if ordered else "- ") + text)
        return lines

    def _table(self, table: Any) -> str:
        rows = []
        for row in table.iter(q("table", "table-row")):
            cells = []
            for cell in row:
                if cell.tag not in (q("table", "table-cell"), q("table", "covered-table-cell")):
                    continue
                text = "<br>".join(t for t in (self.inline(p).strip()
                                               for p in cell.iter(q("text", "p"))) if t)
                cells.append(text.replace("|", "\\|"))
            rows.append(cells)
        if not rows:
            return ""
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows[1:]])

    def inline(self, node: Any) -> str:
        parts = [escape(node.text or "")]
        for child in node:
            parts.append(self._inline_child(child))
            parts.append(escape(child.tail or ""))
        return "".join(parts)

    def _inline_child(self, child: Any) -> str:
        tag = child.tag
        if tag == q("text", "span"):
            inner = self.inline(child)
            mark = self.formats.get(child.get(q("text", "style-name"), ""), "")
            core = inner.strip()
            if not mark or not core:
                return inner
            lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()):]
            return f"{lead}{mark}{core}{mark[::-1]}{trail}"
        if tag == q("text", "s"):
            return " " * int(child.get(q("text", "c"), "1") or 1)
        if tag == q("text", "tab"):
            return " "
        if tag == q("text", "line-break"):
            return "\\\n"
        if tag == q("text", "a"):
            text = self.inline(child).strip()
            href = child.get(q("xlink", "href"), "")
            if href.lower().startswith(_SAFE_SCHEMES) and text:
                return f"[{text}]({href.replace(' ', '%20').replace(')', '%29')})"
            return text
        if tag == q("text", "note"):
            body = child.find(q("text", "note-body"))
            text = " ".join(self.inline(p).strip() for p in body.iter(q("text", "p"))) \
                if body is not None else ""
            self.notes.append(text)
            return f"[^{len(self.notes)}]"
        if tag == q("draw", "frame"):
            return self._frame(child)
        if tag in (q("text", "bookmark"), q("text", "bookmark-start"),
                   q("text", "bookmark-end"), q("text", "soft-page-break")):
            return ""
        return self.inline(child)  # fields, changes-marks, ruby…: their text counts

    def _frame(self, frame: Any) -> str:
        image = frame.find(q("draw", "image"))
        box = frame.find(q("draw", "text-box"))
        if box is not None:
            return " " + " ".join(self.blocks(box)) + " "
        if image is None:
            self.warnings.append("A drawing could not be carried into the draft; see the "
                                 "original file.")
            return ""
        href = image.get(q("xlink", "href"), "")
        if "://" in href or href.startswith("/"):
            self.warnings.append(f"A linked image ({href[:80]}) was not fetched: ask the "
                                 "author for the image file.")
            return ""
        try:
            data = self.zf.read(href)
        except KeyError:
            self.warnings.append(f"An image ({href[:80]}) is missing from the file.")
            return ""
        ext = href.rsplit(".", 1)[-1].lower() if "." in href else "bin"
        name = f"image-{len(self.assets) + 1:03d}.{ext}"
        self.assets.append(Asset(name=name, data=data))
        title = frame.find(q("svg", "title"))
        desc = frame.find(q("svg", "desc"))
        alt = " ".join(((desc if desc is not None else title).text or "").split()) if (
            desc is not None or title is not None) else ""
        return f"![{alt.replace('[', '(').replace(']', ')')}](assets/{name})"
