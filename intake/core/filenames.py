"""File names from untrusted mail made safe to write: plain, short, unique basenames."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")
_MAX_LEN = 120
# Bytes, as file systems count (NAME_MAX 255): room left for " (2)" and the temporary
# ".NAME.<32 hex>.tmp" an atomic write makes beside it.
_MAX_BYTES = 180
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def safe_filename(name: str | None, fallback: str) -> str:
    """A basename with no path, control or reserved characters, at most 120 characters
    and 180 bytes of UTF-8; a long name keeps its extension."""
    raw = unicodedata.normalize("NFC", name or "")
    # Both separators: "..\\..\\x" and "../../x" must both reduce to "x".
    raw = raw.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in raw if unicodedata.category(c)[0] != "C" or c in "\t\n\r")
    cleaned = _UNSAFE.sub("_", cleaned).strip(" .")
    if not cleaned or _RESERVED.match(cleaned):
        cleaned = fallback
    if len(cleaned) > _MAX_LEN or len(cleaned.encode("utf-8")) > _MAX_BYTES:
        stem, dot, ext = cleaned.rpartition(".")
        if not (dot and 0 < len(ext) <= 10):
            stem, ext = cleaned, ""
        suffix = "." + ext if ext else ""
        stem = stem[: _MAX_LEN - len(suffix)]
        while len((stem + suffix).encode("utf-8")) > _MAX_BYTES:
            stem = stem[:-1]
        cleaned = (stem.rstrip(" .") + suffix) or fallback
    return cleaned


def unique(name: str, taken: set[str]) -> str:
    """name, or name (2), name (3)… if a file of that name (any case) is already taken."""
    candidate, n = name, 1
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
    taken.add(candidate.lower())
    return candidate


def names_word(name: str) -> bool:
    """Named as a Word document (whatever its bytes are)."""
    return name.lower().endswith((".docx", ".docm", ".dotx"))
