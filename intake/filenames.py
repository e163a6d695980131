"""File names from untrusted mail made safe to write: plain, short, unique basenames."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")
_MAX_LEN = 120
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def safe_filename(name: str | None, fallback: str) -> str:
    """A basename with no path, control or reserved characters, at most 120 characters."""
    raw = unicodedata.normalize("NFC", name or "")
    # Both separators: "..\\..\\x" and "../../x" must both reduce to "x".
    raw = raw.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", raw).strip(" .")
    cleaned = "".join(c for c in cleaned if unicodedata.category(c)[0] != "C")
    if not cleaned or _RESERVED.match(cleaned):
        cleaned = fallback
    if len(cleaned) > _MAX_LEN:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            cleaned = stem[: _MAX_LEN - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:_MAX_LEN]
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
