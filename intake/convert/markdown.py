"""Markdown text helpers shared by the converters."""

from __future__ import annotations

import functools
import re

# Authors' text is untrusted: every pattern here runs in linear time on any input. A
# repeated run may not cross the place where the next attempt could start (a newline
# for ^, a bracket for links), or is only tried at the start of its run (a look-behind).
# "$" too: a renderer with math support would read "$5 and $10" as an equation.
_INLINE = re.compile(r"([\\`*_\[\]<$])")
_LINE_START = re.compile(r"^([^\S\n]*)([#>+=|-])", re.MULTILINE)
_ORDERED_START = re.compile(r"^([^\S\n]*\d+)([.)])", re.MULTILINE)
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_IMAGE = re.compile(r"!\[[^\[\]]*\]\([^()\[\]]*\)")
_LINK_TARGET = re.compile(r"\]\([^()\[\]]*\)")
_TRAILING_SPACE = re.compile(r"(?<![ \t])[ \t]+\n")
_BLANK_RUN = re.compile(r"\n{3,}")


def escape(text: str) -> str:
    """Text that reads back as itself: Markdown characters escaped."""
    return _INLINE.sub(r"\\\1", text)


def escape_line_start(text: str) -> str:
    """Escape what would turn a paragraph into a heading, quote or list item."""
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return _ORDERED_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)  # 1\. not \1.


def from_plain_text(text: str) -> str:
    """Plain text (an email body, a .txt file) as Markdown that shows exactly it: nothing
    in it becomes markup, and no `<script>`, `<iframe>` or `onerror=` in it becomes HTML
    when a web page or a publishing system renders the draft."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return escape_line_start(escape(text))


@functools.lru_cache(maxsize=16)  # a draft's text is counted by several checks in turn
def count_words(markdown: str) -> int:
    """Words a reader sees: image references and link targets are not words."""
    text = _LINK_TARGET.sub("]", _IMAGE.sub(" ", markdown))
    return len(_WORD.findall(text))


def tidy(markdown: str) -> str:
    """At most one blank line between blocks, a single trailing newline."""
    text = markdown
    # Each pattern only where it can match: a draft is tidied when converted and again
    # when built, and the second time there is seldom anything to do.
    if " \n" in text or "\t\n" in text:
        text = _TRAILING_SPACE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUN.sub("\n\n", text)
    text = text.strip("\n")
    return text + "\n" if text else ""
