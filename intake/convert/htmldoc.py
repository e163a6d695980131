"""HTML from mail and attachments → Markdown that keeps what a reader needs.

Headings, paragraphs, emphasis, links (web and mail only), lists and line breaks
come through; scripts, styles, forms and everything else active are dropped, and
remote images are named, never fetched.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from intake.convert.markdown import escape, escape_line_start

_BLOCKS = {"p", "div", "section", "article", "header", "footer", "table", "tr", "blockquote",
           "pre", "hr", "center", "main", "aside", "figure", "figcaption", "address"}
_SKIP = {"script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe",
         "form", "select", "textarea", "button", "canvas", "math"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_EMPHASIS = {"b": "**", "strong": "**", "i": "*", "em": "*", "s": "~~", "strike": "~~",
             "del": "~~"}
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_EDGES = re.compile(r"^((?:\s|\\\n)*)(.*?)((?:\s|\\\n)*)$", re.DOTALL)


class _Markdown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.lists: list[str] = []  # "ul" / "ol", innermost last
        self.links: list[str | None] = []
        self.open_marks: list[int] = []  # where each open emphasis marker stands in out
        self.remote_images = 0

    def _block(self) -> None:
        self.out.append("\n\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping or tag in _SKIP:
            self.skipping += tag in _SKIP
            return
        values = {k: v or "" for k, v in attrs}
        if tag in _BLOCKS:
            self._block()
        elif tag in _HEADINGS:
            self.out.append("\n\n" + "#" * _HEADINGS[tag] + " ")
        elif tag == "br":
            self.out.append("\\\n")
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
            if len(self.lists) == 1:
                self.out.append("\n")
        elif tag == "li":
            marker = "1." if self.lists and self.lists[-1] == "ol" else "-"
            self.out.append("\n" + "    " * max(len(self.lists) - 1, 0) + marker + " ")
        elif tag in _EMPHASIS:
            self.open_marks.append(len(self.out))
            self.out.append(_EMPHASIS[tag])
        elif tag == "a":
            href = values.get("href", "").strip()
            safe = href if href.lower().startswith(_SAFE_SCHEMES) else None
            self.links.append(safe)
            if safe:
                self.out.append("[")
        elif tag == "img":
            alt = " ".join(values.get("alt", "").split())
            if values.get("src", "").lower().startswith(("http:", "https:", "//")):
                self.remote_images += 1
            self.out.append(f"[image: {escape(alt)}]" if alt else "[image]")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            self.skipping -= tag in _SKIP
            return
        if tag in _BLOCKS or tag in _HEADINGS:
            self._block()
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._block()
        elif tag in _EMPHASIS and self.open_marks:
            start = self.open_marks.pop()
            content = "".join(self.out[start + 1:])
            lead, core, trail = _EDGES.match(content).groups()  # type: ignore[union-attr]
            mark = _EMPHASIS[tag]
            # Markers hug the text: spaces and breaks at either end go outside them,
            # and emphasis around nothing is no emphasis at all.
            self.out[start:] = [lead, mark, core, mark, trail] if core else [content]
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.out.append(f"]({href.replace(' ', '%20').replace(')', '%29')})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(re.sub(r"\s+", " ", data)))


def html_to_markdown(html: str) -> tuple[str, int]:
    """(Markdown, how many remote images were named rather than fetched)."""
    parser = _Markdown()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    lines = [line.strip() if not re.match(r"\s*([-]|1\.) ", line) else line.rstrip()
             for line in text.splitlines()]
    blocks = [re.sub(r"(?<!\\)\\$", "", b.rstrip()).rstrip()  # no break ends a block
              for b in re.split(r"\n{2,}", "\n".join(lines))]
    cleaned = [b if b.startswith("#") or re.match(r"\s*([-]|1\.) ", b) else escape_line_start(b)
               for b in (b.strip("\n") for b in blocks) if b.strip()]
    return "\n\n".join(cleaned).strip(), parser.remote_images


def html_to_text(html: str) -> str:
    """Readable text for a body that came only as HTML."""
    return html_to_markdown(html)[0]
