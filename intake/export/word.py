"""Markdown → .docx (python-docx), for editors who work in Word.

Walks markdown-it's tokens: headings, paragraphs, emphasis, links, lists, quotes,
code, images from the draft's assets, tables (merged cells included), footnotes.
What Word cannot hold from the draft is returned as a note, never left out quietly.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Inches, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import html as lxml_html
from markdown_it.token import Token

from intake.core import confine
from intake.export.html import author_of, markdown_parser

_PICTURE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff"}
_MAX_WIDTH = Inches(6)
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z]+)")


class _Writer:
    def __init__(self, draft_dir: Path) -> None:
        self.doc = docx.Document()
        self.draft_dir = draft_dir.resolve()
        self.notes: list[str] = []
        self.lists: list[str] = []  # "bullet" | "ordered", innermost last
        self.quote = 0
        self.paragraph: Paragraph | None = None

    # -- blocks ------------------------------------------------------------------

    def write(self, tokens: list[Token]) -> None:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "heading_open":
                self.paragraph = self.doc.add_heading("", level=min(int(token.tag[1]), 9))
            elif kind == "paragraph_open":
                self.paragraph = self.doc.add_paragraph(style=self._paragraph_style())
            elif kind == "inline":
                if self.paragraph is None:  # text outside any paragraph: kept in its own
                    self.paragraph = self.doc.add_paragraph()
                self._inline(self.paragraph, token.children or [])
            elif kind in ("heading_close", "paragraph_close"):
                self.paragraph = None
            elif kind == "bullet_list_open":
                self.lists.append("bullet")
            elif kind == "ordered_list_open":
                self.lists.append("ordered")
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.quote -= 1
            elif kind in ("fence", "code_block"):
                self._code(token.content)
            elif kind == "hr":
                rule = self.doc.add_paragraph("* * *")
                rule.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif kind == "table_open":
                end = _closing(tokens, i, "table_close")
                self._markdown_table(tokens[i:end + 1])
                i = end
            elif kind == "html_block":
                self._html_block(token.content)
            elif kind == "footnote_block_open":
                self.doc.add_heading("Notes", level=2)
            elif kind == "footnote_open":
                label = int(token.meta.get("id", 0)) + 1
                self.paragraph = self.doc.add_paragraph()
                self.paragraph.add_run(f"[{label}] ")
                end = _closing(tokens, i, "footnote_close")
                self._inline_blocks(self.paragraph, tokens[i + 1:end])
                self.paragraph = None
                i = end
            i += 1

    def _paragraph_style(self) -> str | None:
        if self.lists:
            depth = min(len(self.lists), 3)
            base = "List Bullet" if self.lists[-1] == "bullet" else "List Number"
            return base if depth == 1 else f"{base} {depth}"
        return "Quote" if self.quote else None

    def _inline_blocks(self, paragraph: Paragraph, tokens: list[Token]) -> None:
        """A footnote's paragraphs, run together into one."""
        for token in tokens:
            if token.type == "inline":
                self._inline(paragraph, token.children or [])

    def _code(self, text: str) -> None:
        paragraph = self.doc.add_paragraph()
        for n, line in enumerate(text.rstrip("\n").split("\n")):
            if n:
                paragraph.add_run().add_break()
            run = paragraph.add_run(line)
            run.font.name = "Courier New"
            run.font.size = Pt(9)

    # -- inline ------------------------------------------------------------------

    def _inline(self, paragraph: Paragraph, children: list[Token]) -> None:
        style: dict[str, bool] = {}
        link: str | None = None
        for child in children:
            kind = child.type
            if kind == "text":
                self._text(paragraph, child.content, style, link)
            elif kind == "softbreak":
                self._text(paragraph, " ", style, link)
            elif kind == "hardbreak":
                paragraph.add_run().add_break()
            elif kind.endswith("_open") and kind[:-5] in ("strong", "em", "s"):
                style[kind[:-5]] = True
            elif kind.endswith("_close") and kind[:-6] in ("strong", "em", "s"):
                style[kind[:-6]] = False
            elif kind == "code_inline":
                run = paragraph.add_run(child.content)
                run.font.name = "Courier New"
            elif kind == "link_open":
                link = str(child.attrs.get("href", ""))
            elif kind == "link_close":
                link = None
            elif kind == "image":
                self._image(paragraph, str(child.attrs.get("src", "")), child.content)
            elif kind == "html_inline":
                self._html_inline(paragraph, child.content, style)
            elif kind == "footnote_ref":
                run = paragraph.add_run(f"[{int(child.meta.get('id', 0)) + 1}]")
                run.font.superscript = True
            elif kind == "footnote_anchor":
                continue
            elif child.content:
                self._text(paragraph, child.content, style, link)

    def _text(self, paragraph: Paragraph, text: str, style: dict[str, bool],
              link: str | None) -> None:
        if not text:
            return
        if link and re.match(r"(?i)(https?|mailto):", link):
            _hyperlink(paragraph, text, link)
            return
        run = paragraph.add_run(text)
        _style(run, style)

    def _html_inline(self, paragraph: Paragraph, content: str, style: dict[str, bool]) -> None:
        match = _TAG.match(content)
        if not match:
            return
        closing, tag = match.group(1) == "/", match.group(2).lower()
        if tag in ("sup", "sub"):
            style[tag] = not closing
        elif tag == "br":
            paragraph.add_run().add_break()

    def _image(self, paragraph: Paragraph, src: str, alt: str) -> None:
        try:  # only the draft's own images (core.confine), whatever the Markdown says
            path = confine.asset(self.draft_dir, src.removeprefix("assets/")) \
                if src.startswith("assets/") else None
        except confine.OutsideFolder:
            path = None
        inside = path is not None and path.is_file()
        if path is None or not inside:
            path = Path(src)
        if not inside or path.suffix.lower() not in _PICTURE_TYPES:
            why = "is not one of the draft's own files" if not inside else \
                f"({path.suffix.lstrip('.').upper() or 'no type'}) cannot be embedded in a " \
                "Word file"
            paragraph.add_run(f"[image: {alt or src}]")
            self.notes.append(f"Image {src} {why}: the .docx shows [image: {alt or src}] in "
                              "its place (the HTML and the assets folder have it).")
            return
        try:
            shape = paragraph.add_run().add_picture(str(path))
        except Exception as exc:  # python-docx cannot read every image it accepts by name
            paragraph.add_run(f"[image: {alt or src}]")
            self.notes.append(f"Image {src} could not be embedded ({type(exc).__name__}); "
                              "the .docx shows a placeholder.")
            return
        if shape.width > _MAX_WIDTH:
            shape.height = Emu(int(shape.height * _MAX_WIDTH / shape.width))
            shape.width = _MAX_WIDTH

    # -- tables ------------------------------------------------------------------

    def _markdown_table(self, tokens: list[Token]) -> None:
        rows: list[list[Token]] = []
        for token in tokens:
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline" and rows:
                rows[-1].append(token)
        width = max((len(row) for row in rows), default=1)
        table = self.doc.add_table(rows=max(len(rows), 1), cols=max(width, 1))
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, token in enumerate(row):
                paragraph = table.cell(r, c).paragraphs[0]
                self._inline(paragraph, token.children or [])
                if r == 0:  # the header row
                    for run in paragraph.runs:
                        run.bold = True

    def _html_block(self, content: str) -> None:
        try:
            fragment = lxml_html.fragment_fromstring(content, create_parent="div")
        except Exception:
            fragment = None
        tables = fragment.findall(".//table") if fragment is not None else []
        if not tables:
            text = fragment.text_content().strip() if fragment is not None else content
            if text:
                self.doc.add_paragraph(text)
            return
        for node in tables:
            grid = [[(" ".join(cell.text_content().split()), int(cell.get("colspan", 1) or 1),
                      int(cell.get("rowspan", 1) or 1)) for cell in tr.findall("./td") +
                     tr.findall("./th")] for tr in node.iter("tr")]
            self._table(grid)

    def _table(self, grid: list[list[tuple[str, int, int]]]) -> Table:
        """Cells (text, colspan, rowspan) placed on a grid, spans merged."""
        placed: dict[tuple[int, int], tuple[str, int, int]] = {}
        taken: set[tuple[int, int]] = set()
        width = 0
        for r, row in enumerate(grid):
            c = 0
            for text, colspan, rowspan in row:
                while (r, c) in taken:
                    c += 1
                colspan, rowspan = max(1, min(colspan, 50)), max(1, min(rowspan, 200))
                placed[(r, c)] = (text, colspan, rowspan)
                for dr in range(rowspan):
                    for dc in range(colspan):
                        taken.add((r + dr, c + dc))
                c += colspan
                width = max(width, c)
        height = max((r for r, _ in taken), default=-1) + 1
        table: Table = self.doc.add_table(rows=max(height, 1), cols=max(width, 1))
        table.style = "Table Grid"
        for (r, c), (text, colspan, rowspan) in placed.items():
            cell = table.cell(r, c)
            if colspan > 1 or rowspan > 1:
                cell = cell.merge(table.cell(min(r + rowspan, height) - 1,
                                             min(c + colspan, width) - 1))
            cell.text = text
        return table


def _closing(tokens: list[Token], start: int, kind: str) -> int:
    for j in range(start, len(tokens)):
        if tokens[j].type == kind:
            return j
    return len(tokens) - 1


def _style(run: Run, style: dict[str, bool]) -> None:
    run.bold = style.get("strong") or None
    run.italic = style.get("em") or None
    if style.get("s"):
        run.font.strike = True
    if style.get("sup"):
        run.font.superscript = True
    if style.get("sub"):
        run.font.subscript = True


def _hyperlink(paragraph: Paragraph, text: str, url: str) -> None:
    """python-docx has no hyperlink API: the w:hyperlink element with its relationship."""
    rid = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    props.append(style)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    run.append(props)
    node = OxmlElement("w:t")
    node.text = text
    node.set(qn("xml:space"), "preserve")
    run.append(node)
    link.append(run)
    paragraph._p.append(link)


def write_docx(markdown: str, front: dict[str, Any], draft_dir: Path, target: Path) -> list[str]:
    """Write target; returns notes on what the .docx could not carry."""
    writer = _Writer(draft_dir)
    props = writer.doc.core_properties
    title, author = str(front.get("title") or ""), author_of(front)
    props.title, props.author = title[:255], author[:255]
    props.comments = str(front.get("reference") or "")
    if title:  # the converters take the title out of the body into the front matter
        writer.doc.add_heading(title, level=0)
    if author:
        writer.doc.add_paragraph(author).runs[0].italic = True
    writer.write(markdown_parser().parse(markdown))
    packed = io.BytesIO()
    writer.doc.save(packed)
    tmp = target.with_suffix(".docx.tmp")
    tmp.write_bytes(_without_times(packed.getvalue()))
    tmp.replace(target)
    return writer.notes


def _without_times(package: bytes) -> bytes:
    """The same package with every member dated 1980-01-01: the same draft exports to
    the same bytes, from the command line and from the desk alike."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info))
    return out.getvalue()
