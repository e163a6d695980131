"""Image metadata (EXIF with GPS, XMP, IPTC, comments) removed before images reach drafts.

A phone photo can carry where and when it was taken; in a medical publication
that can point to a patient. Pixels are never touched: only metadata segments
and chunks are dropped, so no imaging library is needed. original/ keeps the
files as received.
"""

from __future__ import annotations

import struct
import zlib

from intake.models import FileType

# JPEG: APP1 (Exif, XMP), APP12 (Ducky), APP13 (IPTC/Photoshop), COM. APP0 (JFIF),
# APP2 (ICC colour profile) and APP14 (Adobe colour transform) are needed to show
# the colours right and are kept.
_JPEG_DROP = {0xE1, 0xEC, 0xED, 0xFE}
# PNG: text, compressed text, international text, EXIF, modification time.
_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def strip_metadata(data: bytes, file_type: FileType) -> tuple[bytes, bool]:
    """(cleaned bytes, whether the format was understood). Unknown formats come back as is."""
    try:
        if file_type is FileType.JPEG:
            return _jpeg(data), True
        if file_type is FileType.PNG:
            return _png(data), True
    except (ValueError, struct.error, IndexError):
        return data, False
    if file_type in (FileType.GIF, FileType.BMP):
        return data, True  # no EXIF in these formats
    return data, False


def _jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out = bytearray(data[:2])
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise ValueError("lost the marker chain")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:  # start of scan / end: the rest is image data
            out += data[pos:]
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out += data[pos:pos + 2]
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        segment = data[pos:pos + 2 + length]
        if len(segment) < 2 + length:
            raise ValueError("truncated segment")
        if marker not in _JPEG_DROP:
            out += segment
        pos += 2 + length
    return bytes(out)


def _png(data: bytes) -> bytes:
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        raise ValueError("not a PNG")
    out = bytearray(signature)
    pos = len(signature)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise ValueError("truncated chunk")
        if kind not in _PNG_DROP:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            break
    return bytes(out)


def png_with_text(png: bytes, key: str, value: str) -> bytes:
    """A PNG with one tEXt chunk added (for tests and the demo)."""
    body = b"tEXt" + key.encode("latin-1") + b"\x00" + value.encode("latin-1")
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return png[:33] + chunk + png[33:]
