"""Checks a document package must pass before any library opens it.

python-docx reads every related part into memory when a document opens, so a
small zip bomb costs gigabytes unless the zip is checked first.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO


class ConversionError(Exception):
    """A document that cannot be turned into a draft.

    reason is for editors ("the Word file is password-protected"); advice is for
    the author, in the acknowledgement ("send it again without a password").
    """

    def __init__(self, reason: str, advice: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.advice = advice


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 2_000
    max_member_bytes: int = 200 * 1024 * 1024
    max_total_bytes: int = 400 * 1024 * 1024
    max_ratio: int = 150  # uncompressed / compressed, for members over 1 MiB
    ratio_floor_bytes: int = 16 * 1024 * 1024  # the whole package's ratio counts past this


LIMITS = ZipLimits()
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_HTML_OVERRIDE = re.compile(
    rb'<Override\s+PartName="([^"]{1,300})"\s+ContentType="(?:text/html|message/rfc822|'
    rb'application/xhtml\+xml)"', re.IGNORECASE)
_CHUNK = 1024 * 1024
_LONG_PROLOG = 64 * 1024  # Word writes a few hundred bytes before the root element
SEND_AGAIN = "Please send the article again as an ordinary .docx file or as a PDF."


# What zipfile raises on damaged archives: NotImplementedError for a garbled version or
# method field, zlib.error for garbled compressed bytes, EOFError for a cut one.
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
               zlib.error)


def check_package(data: bytes, what: str = "Word file", limits: ZipLimits = LIMITS) -> None:
    """Raise ConversionError unless data is a zip that is safe to open in full."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise ConversionError(f"the {what} is damaged or incomplete ({exc})",
                              SEND_AGAIN) from exc
    with zf:
        members = zf.infolist()
        if len(members) > limits.max_members:
            raise ConversionError(
                f"the {what} has {len(members)} parts, more than the {limits.max_members} "
                "a document needs (a possible zip bomb)", SEND_AGAIN)
        total = 0
        for info in members:
            if info.flag_bits & 0x1:
                raise ConversionError(f"the {what} is password-protected",
                                      "Please send it again without a password.")
            # A macro project (vbaProject.bin) is left unread: reading a document's text
            # never runs it, and the caller warns the editor about it.
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if (info.file_size > limits.max_member_bytes
                    or (info.file_size > 1024 * 1024 and ratio > limits.max_ratio)):
                raise ConversionError(
                    f"the {what} has a part ({info.filename[:80]}) that expands to "
                    f"{info.file_size:,} bytes (a possible zip bomb)", SEND_AGAIN)
        if total > limits.max_total_bytes:
            raise ConversionError(f"the {what} expands to {total:,} bytes, more than the "
                                  f"{limits.max_total_bytes:,} allowed", SEND_AGAIN)
        # The whole package too, not only each part: hundreds of parts just under the
        # per-part threshold add up to the same bomb.
        if total > limits.ratio_floor_bytes and total / max(len(data), 1) > limits.max_ratio:
            raise ConversionError(
                f"the {what} expands {total // max(len(data), 1):,} times, to {total:,} "
                "bytes (a possible zip bomb)", SEND_AGAIN)
        html_parts = _html_parts(zf)
        for info in members:
            if info.is_dir() or info.filename.lstrip("/").lower() in html_parts:
                continue
            try:
                declared = _declares_dtd(zf, info)
            except _ZIP_ERRORS as exc:
                raise ConversionError(f"the {what} is damaged ({info.filename[:80]}: {exc})",
                                      SEND_AGAIN) from exc
            if declared:
                raise ConversionError(
                    f"the {what} has XML with a DOCTYPE or entity declarations "
                    f"({info.filename[:80]}), which Word never writes", SEND_AGAIN)


def _declares_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether a part that is XML (whatever its name) declares a DTD or an entity.

    XML allows a DOCTYPE, and with it any entity declaration, only in the prolog: before
    the root element, among comments and processing instructions. So a well-formed part
    is read up to its root element's first tag, not whole (a template's styles alone can
    be ~1 MB of XML); a parser that met a DOCTYPE later would refuse the part anyway. A
    part whose opening is anything else is searched whole, as it always was."""
    with zf.open(info) as fh:
        window = fh.read(512)
        if not window.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<"):
            return False  # an image or another binary part: not XML
        window = window.replace(b"\x00", b"")  # UTF-16 XML reads as ASCII here
        at, ended = 0, False
        while True:
            at = _skip_space(window, at)
            kind, end = _prolog_item(window, at, ended)
            if kind == "root":
                return False
            if kind == "declaration":
                return True
            if kind == "other":
                return _search_whole(fh, window)
            if end is not None:
                at = end
                continue
            if ended:
                return False  # no root element, and nothing declared
            if len(window) - at > _LONG_PROLOG:
                return _search_whole(fh, window[at:])  # linear, whatever the comment's size
            more = fh.read(_CHUNK)
            ended = not more
            window = window[at:] + more.replace(b"\x00", b"")
            at = 0


def _skip_space(window: bytes, at: int) -> int:
    while at < len(window) and window[at] in b"\xef\xbb\xbf\xff\xfe \t\r\n":
        at += 1
    return at


def _prolog_item(window: bytes, at: int, ended: bool) -> tuple[str | None, int | None]:
    """What starts at window[at]: "root" (the root element's tag), "declaration"
    (<!DOCTYPE, <!ENTITY), "other" (not what a prolog holds), or (None, end) a comment
    or processing instruction that ends at end; (None, None) when more must be read."""
    if len(window) - at < 10 and not ended:
        return None, None
    if window.startswith(b"<?", at):
        close = window.find(b"?>", at + 2)
        return None, (close + 2 if close >= 0 else None)
    if window.startswith(b"<!--", at):
        close = window.find(b"-->", at + 4)
        return None, (close + 3 if close >= 0 else None)
    if _DOCTYPE.match(window, at):
        return "declaration", None
    if window[at:at + 1] == b"<" and window[at + 1:at + 2].isalpha():
        return "root", None
    return "other", None


def _search_whole(fh: IO[bytes], window: bytes) -> bool:
    """The rest of the part searched for a declaration, in chunks that overlap by one's
    length."""
    chunk, tail = window, b""
    while chunk:
        joined = tail + chunk.replace(b"\x00", b"")
        if _DOCTYPE.search(joined):
            return True
        tail = joined[-16:]
        chunk = fh.read(_CHUNK)
    return False


def _html_parts(zf: zipfile.ZipFile) -> set[str]:
    """Parts declared HTML or MHT (Word's altChunk): a DOCTYPE is ordinary there, and
    they are read by an HTML parser, which expands no entity."""
    try:
        types = zf.read("[Content_Types].xml")
    except (KeyError, *_ZIP_ERRORS):
        return set()
    return {m.group(1).decode("utf-8", "replace").lstrip("/").lower()
            for m in _HTML_OVERRIDE.finditer(types)}
