"""Base64 bodies decoded a slice at a time.

The stdlib decodes a base64 part by copying its text to bytes, splitting it into lines
and joining them again: four copies of a 20 MB attachment at once. Decoding 1 MiB of
text at a time holds the result and one slice, whatever the size of the part. Only
well-formed text is decoded this way; damaged text (padding before the end, a length
that is not whole) raises Irregular, and the caller takes its usual, tolerant path.
"""

from __future__ import annotations

import binascii
import io
from collections.abc import Iterator

_SLICE = 1024 * 1024


class Irregular(ValueError):
    """The text is not plain, whole base64."""


def base64_chunks(text: str) -> Iterator[bytes]:
    """The bytes a well-formed base64 text holds, in slices."""
    carry = ""
    ended = False
    for start in range(0, len(text), _SLICE):
        # Line breaks and spaces go; any other stranger makes a2b_base64 (strict) refuse.
        piece = carry + "".join(text[start:start + _SLICE].split())
        if not piece:
            continue
        if ended:
            raise Irregular("data after the padding")
        whole = len(piece) - len(piece) % 4
        quads, carry = piece[:whole], piece[whole:]
        if "=" in quads.rstrip("=") or "=" in carry.rstrip("="):
            raise Irregular("padding before the end of the data")
        if quads.endswith("="):
            ended = True
            if carry:
                raise Irregular("data after the padding")
        if quads:
            try:
                yield binascii.a2b_base64(quads, strict_mode=True)
            except (binascii.Error, ValueError) as exc:  # ValueError: not ASCII
                raise Irregular(str(exc)) from exc
    if carry:
        raise Irregular("the data is cut short")


def decode_base64(text: str) -> bytes:
    """The bytes a well-formed base64 text holds; Irregular when it is not."""
    out = io.BytesIO()
    for chunk in base64_chunks(text):
        out.write(chunk)
    return out.getvalue()
