"""A stranger's text as a terminal or a text log may show it: control characters as
visible escapes.

A PDF's title, a reply's text or a file name can hold ESC and BEL sequences: colours,
a changed window title, OSC 52 (which writes the clipboard in some terminals), a line
that erases the one before. Printed as they are, they act on the operator's terminal
and forge lines in a log. Shown as `\\x1b`, they are only text. New lines and tabs stay
in what intake prints (a diff, a message), and are escaped inside a log line.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the characters that reorder or hide text (bidirectional
# overrides and isolates, the line and paragraph separators).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_BREAK = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    # \u form from DEL up: the same escape a JSON string has, so a JSON line that
    # passes through stays JSON (json.dumps leaves those characters as they are).
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x7f else f"\\u{code:04x}"


def visible(text: str) -> str:
    """Every control character but new line and tab as an escape."""
    return _CONTROL.sub(_escaped, text)


def one_line(text: str) -> str:
    """Every control character, new lines and tabs too, as an escape: a log line."""
    return _CONTROL_OR_BREAK.sub(_escaped, text)
