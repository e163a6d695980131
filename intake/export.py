"""A publication bundle from a draft: Markdown with front matter, images, HTML, and
optionally a Word file for teams that edit there.

The HTML is rendered by markdown-it-py and then sanitised by nh3 (Ammonia): the
draft's Markdown came from an author's file, so nothing in the page may run or
fetch anything; images are only the bundle's own.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from intake.ledger import Submission, now_iso
from intake.store import read_draft, render_draft, write_atomic

Format = Literal["markdown", "docx"]

_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
         "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "section", "strong",
         "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
_ATTRIBUTES = {"a": {"href", "id", "title"}, "img": {"src", "alt", "title"},
               "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}, "li": {"id"},
               "sup": {"id"}, "section": {"class"}, "ol": {"start"}}


def markdown_parser() -> MarkdownIt:
    # html on: the converter writes <sup>, <sub>, <br> and merged-cell tables as HTML
    # (the author's own text is escaped); nh3 removes anything else afterwards.
    return (MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
            .use(footnote_plugin))


def _only_local_images(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not value.startswith("assets/"):
        return None  # an outside image would be fetched by whoever opens the page
    return value


def render_html(markdown: str, title: str, author: str = "") -> str:
    """A page for the article; the title (and author) come from the front matter, as the
    converters take the title out of the body."""
    body = nh3.clean(markdown_parser().render(markdown), tags=_TAGS, attributes=_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"},
                     attribute_filter=_only_local_images,
                     link_rel="noopener noreferrer nofollow")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\n"
            # No scripts, no outside requests, whatever the body holds.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "img-src 'self' data:; style-src 'unsafe-inline'\">\n"
            f"<title>{html.escape(title)}</title>\n"
            "<style>body{font-family:Georgia,serif;line-height:1.6;max-width:42em;"
            "margin:2em auto;padding:0 1em}img{max-width:100%}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:.3em .6em}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n"
            + (f"<p class=\"byline\">{html.escape(author)}</p>\n" if author else "")
            + f"{body}</body>\n</html>\n")


@dataclass
class Exported:
    folder: Path
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a format could not carry


def author_of(front: dict[str, Any]) -> str:
    author = front.get("author")
    return str(author.get("name") or "") if isinstance(author, dict) else ""


def export_bundle(sub: Submission, draft_dir: Path, target: Path, formats: set[Format],
                  *, overwrite: bool = False) -> Exported:
    """Write target/<REFERENCE>/ with <REFERENCE>.md, .html, assets/ (and .docx)."""
    folder = target / sub.reference
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise FileExistsError(f"{folder} already holds an export; add --force to replace it")
    draft = draft_dir / "draft.md"
    front, body = read_draft(draft)
    front.update(status=sub.status.value, title=sub.title, exported=now_iso())
    result = Exported(folder)
    folder.mkdir(parents=True, exist_ok=True)
    assets = draft_dir / "assets"
    if assets.is_dir():
        shutil.rmtree(folder / "assets", ignore_errors=True)
        shutil.copytree(assets, folder / "assets")
        result.files.append(folder / "assets")
    if "markdown" in formats:
        md = folder / f"{sub.reference}.md"
        write_atomic(md, render_draft(front, body).encode())
        page = folder / f"{sub.reference}.html"
        write_atomic(page, render_html(body, sub.title, author_of(front)).encode())
        result.files += [md, page]
    if "docx" in formats:
        from intake.export_docx import write_docx

        docx = folder / f"{sub.reference}.docx"
        result.notes += write_docx(body, front, draft_dir, docx)
        result.files.append(docx)
    return result
