"""What a file really is, judged from its bytes, never from its name or MIME type."""

from __future__ import annotations

import io
import zipfile

from intake.core.models import FileType

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted OOXML file is an OLE container holding these streams (MS-OFFCRYPTO).
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"),
                      "EncryptionInfo".encode("utf-16-le"))
_SIGNATURES: tuple[tuple[bytes, FileType], ...] = (
    (b"%PDF-", FileType.PDF),
    (b"{\\rtf", FileType.RTF),
    (b"\x89PNG\r\n\x1a\n", FileType.PNG),
    (b"\xff\xd8\xff", FileType.JPEG),
    (b"GIF87a", FileType.GIF),
    (b"GIF89a", FileType.GIF),
    (b"II*\x00", FileType.TIFF),
    (b"MM\x00*", FileType.TIFF),
    (b"BM", FileType.BMP),
    (b"\xd7\xcd\xc6\x9a", FileType.WMF),  # placeable WMF
)


def sniff(data: bytes) -> FileType:
    if not data:
        return FileType.EMPTY
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    if data.startswith(_OLE_MAGIC):
        # The directory sectors can sit anywhere in the container: search it all.
        if any(stream in data for stream in _ENCRYPTED_STREAMS):
            return FileType.ENCRYPTED_OFFICE
        return FileType.OLE
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return FileType.WEBP
    if data[:4] == b"\x01\x00\x00\x00" and data[40:44] == b" EMF":
        return FileType.EMF
    return _sniff_text(data[:4096])


def _sniff_zip(data: bytes) -> FileType:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                # ODF stores its type uncompressed as the first member; it is tiny.
                info = zf.getinfo("mimetype")
                if info.file_size < 200:
                    mimetype = zf.read("mimetype").decode("ascii", "replace").strip()
                    if mimetype == "application/vnd.oasis.opendocument.text":
                        return FileType.ODT
            if "[Content_Types].xml" in names:
                if any(n.lower().endswith("vbaproject.bin") for n in names):
                    return FileType.DOCM
                if any(n.startswith("word/") for n in names):
                    return FileType.DOCX
                return FileType.OOXML
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # A truncated or damaged zip: still a zip, and the converter says what is wrong.
        pass
    return FileType.ZIP


def _sniff_text(head: bytes) -> FileType:
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return FileType.BINARY
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("<!doctype html", "<html", "<head", "<body", "<meta")):
        return FileType.HTML
    printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    if text and printable / len(text) > 0.95:
        return FileType.TEXT
    return FileType.BINARY


EXTENSIONS: dict[FileType, str] = {
    FileType.DOCX: ".docx", FileType.DOCM: ".docm", FileType.ODT: ".odt", FileType.PDF: ".pdf",
    FileType.RTF: ".rtf", FileType.HTML: ".html", FileType.TEXT: ".txt", FileType.PNG: ".png",
    FileType.JPEG: ".jpg", FileType.GIF: ".gif", FileType.WEBP: ".webp", FileType.TIFF: ".tif",
    FileType.BMP: ".bmp", FileType.EMF: ".emf", FileType.WMF: ".wmf",
}
