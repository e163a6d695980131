"""Markdown text helpers shared by the converters."""

from __future__ import annotations

import re

_INLINE = re.compile(r"([\\`*_\[\]<])")
_LINE_START = re.compile(r"^(\s*)([#>+=|-])", re.MULTILINE)
_ORDERED_START = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def escape(text: str) -> str:
    """Text that reads back as itself: Markdown characters escaped."""
    return _INLINE.sub(r"\\\1", text)


def escape_line_start(text: str) -> str:
    """Escape what would turn a paragraph into a heading, quote or list item."""
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return _ORDERED_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)  # 1\. not \1.


def count_words(markdown: str) -> int:
    """Words a reader sees: image references and link targets are not words."""
    text = _LINK_TARGET.sub("]", _IMAGE.sub(" ", markdown))
    return len(_WORD.findall(text))


def tidy(markdown: str) -> str:
    """At most one blank line between blocks, a single trailing newline."""
    text = re.sub(r"[ \t]+\n", "\n", markdown)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text + "\n" if text else ""
