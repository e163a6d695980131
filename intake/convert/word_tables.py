"""Word tables → GitHub-flavoured Markdown, or HTML when GFM cannot hold them.

GFM tables have no merged or nested cells; rather than lose text, such tables
are written as HTML with colspan/rowspan, which Markdown renderers pass through.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intake.convert.markdown import escape_line_start
from intake.convert.word_parts import w

_MD_ESCAPE = re.compile(r"\\(.)")


@dataclass
class _Cell:
    text: str  # Markdown, paragraphs joined by <br> (for GFM)
    html: str  # the same as HTML (for the fallback), nested tables included
    colspan: int = 1
    rowspan: int = 1
    continues: bool = False  # the lower part of a vertical merge: no cell of its own


def render_table(tbl: Any, render_paragraph: Callable[[Any], str], html: bool = False) -> str:
    rows = _rows(tbl, render_paragraph)
    if not rows:
        return ""
    nested = any(tc.find(f".//{w('tbl')}") is not None for tc in _own(tbl, "tc"))
    merged = any(c.colspan > 1 or c.rowspan > 1 or c.continues for row in rows for c in row)
    if html or nested or merged:
        return _html(rows)
    return _gfm(rows)


def _own(tbl: Any, tag: str) -> list[Any]:
    """Elements of this table, not of a table nested inside one of its cells."""
    return [el for el in tbl.iter(w(tag)) if _nearest_table(el) is tbl]


def _nearest_table(node: Any) -> Any:
    parent = node.getparent()
    while parent is not None and parent.tag != w("tbl"):
        parent = parent.getparent()
    return parent


def _rows(tbl: Any, render_paragraph: Callable[[Any], str]) -> list[list[_Cell]]:
    rows: list[list[_Cell]] = []
    for tr in _own(tbl, "tr"):
        cells = []
        for tc in _row_cells(tr):
            props = tc.find(w("tcPr"))
            span = props.find(w("gridSpan")) if props is not None else None
            vmerge = props.find(w("vMerge")) if props is not None else None
            markdown, markup = [], []
            for block in _cell_blocks(tc):
                if block.tag == w("tbl"):  # a table in the cell stays a table, in HTML
                    nested = render_table(block, render_paragraph, html=True)
                    markdown.append(nested)
                    markup.append(nested)
                else:
                    text = render_paragraph(block).replace("\\\n", "<br>")
                    markdown.append(text)
                    markup.append(_html_text(text))
            cells.append(_Cell(
                text="<br>".join(p for p in markdown if p),
                html="<br>".join(p for p in markup if p),
                colspan=int(span.get(w("val"), "1")) if span is not None else 1,
                continues=vmerge is not None and vmerge.get(w("val"), "continue") != "restart",
            ))
        rows.append(cells)
    _count_rowspans(rows)
    return rows


def _row_cells(row: Any) -> list[Any]:
    """A row's cells in order, looking through content controls (w:sdt) and custom XML
    that wrap a cell: skipping them would drop its text and move the cells after it one
    column left."""
    return _through_controls(row, (w("tc"),))


def _cell_blocks(tc: Any) -> list[Any]:
    """A cell's paragraphs and tables, in order, looking through content controls."""
    return _through_controls(tc, (w("p"), w("tbl")))


def _through_controls(parent: Any, tags: tuple[str, ...]) -> list[Any]:
    """parent's children with one of tags, in order, and those inside the content
    controls and custom XML elements that wrap them."""
    found = []
    for child in parent:
        if child.tag in tags:
            found.append(child)
        elif child.tag in (w("sdt"), w("customXml")):
            content = child.find(w("sdtContent")) if child.tag == w("sdt") else child
            if content is not None:
                found.extend(_through_controls(content, tags))
    return found


def _count_rowspans(rows: list[list[_Cell]]) -> None:
    """Give each merge's first cell the number of rows it covers (by grid column)."""
    starts: dict[int, _Cell] = {}
    for row in rows:
        column = 0
        for cell in row:
            if cell.continues and column in starts:
                starts[column].rowspan += 1
            elif not cell.continues:
                starts[column] = cell
            column += cell.colspan


def _gfm(rows: list[list[_Cell]]) -> str:
    width = max(len(r) for r in rows)
    texts = [[escape_line_start(c.text).replace("|", "\\|") for c in r] + [""] * (width - len(r))
             for r in rows]
    lines = ["| " + " | ".join(texts[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in texts[1:]]
    return "\n".join(lines)


def _html(rows: list[list[_Cell]]) -> str:
    out = ["<table>"]
    for index, row in enumerate(rows):
        tag = "th" if index == 0 else "td"
        cells = []
        for cell in row:
            if cell.continues:
                continue
            attrs = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + (
                f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "")
            # Cell text is already Markdown-escaped; in HTML only &, < and > matter.
            cells.append(f"<{tag}{attrs}>{cell.html}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _html_text(markdown: str) -> str:
    parts = markdown.split("<br>")
    return "<br>".join(html.escape(_MD_ESCAPE.sub(r"\1", p), quote=False) for p in parts)
