"""A draft's Markdown as HTML, rendered by markdown-it-py and sanitised by nh3 (Ammonia).

The draft came from an author's file, so nothing in the page may run or fetch
anything; images are only the bundle's own. One renderer and one sanitiser for
every place a draft is shown or published.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

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
    if tag == "img" and attribute == "src" and (
            not value.startswith("assets/") or "/" in value[7:] or "\\" in value):
        return None  # an outside image would be fetched by whoever opens the page, and
        # "assets/../x" is outside the bundle's images as well
    return value


def safe_html(markdown: str) -> str:
    """The draft's Markdown as HTML that can neither run nor fetch anything: only the
    tags an article needs, links to http(s) and mailto, images from its own assets/."""
    return nh3.clean(markdown_parser().render(markdown), tags=_TAGS, attributes=_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"},
                     attribute_filter=_only_local_images,
                     link_rel="noopener noreferrer nofollow")


def with_marks(safe: str, phrases: list[str]) -> str:
    """Sanitised HTML with each phrase marked where it stands in the text (the desk's
    privacy flags). Marks wrap text only, never an attribute (a link's address stays
    whole); an image whose alt text holds a phrase is marked as a whole. The result is
    cleaned again, so a phrase can neither break nor smuggle markup."""
    wanted = sorted({p for p in phrases if p.strip()}, key=len, reverse=True)
    if not wanted:
        return safe
    marker = _Marker(re.compile("|".join(re.escape(p) for p in wanted)))
    marker.feed(safe)
    marker.close()
    return nh3.clean("".join(marker.out), tags=_TAGS | {"mark"}, attributes=_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"},
                     attribute_filter=_only_local_images,
                     link_rel="noopener noreferrer nofollow")


class _Marker(HTMLParser):
    """Re-writes sanitised HTML, wrapping each phrase found in a text node in <mark>."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.pattern = pattern
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text = self.get_starttag_text() or ""
        alt = dict(attrs).get("alt") or ""
        if tag == "img" and alt and self.pattern.search(alt):
            self.out.append(f"<mark>{text}</mark>")
        else:
            self.out.append(text)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        last = 0
        for m in self.pattern.finditer(data):
            self.out.append(html.escape(data[last:m.start()], quote=False))
            self.out.append(f"<mark>{html.escape(m.group(0), quote=False)}</mark>")
            last = m.end()
        self.out.append(html.escape(data[last:], quote=False))

    def handle_entityref(self, name: str) -> None:  # only without convert_charrefs
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")


def render_html(markdown: str, title: str, author: str = "") -> str:
    """A page for the article; the title (and author) come from the front matter, as the
    converters take the title out of the body."""
    body = safe_html(markdown)
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


def author_of(front: dict[str, Any]) -> str:
    author = front.get("author")
    return str(author.get("name") or "") if isinstance(author, dict) else ""


