"""How much a container may give out: the bytes taken from an Outlook .msg, a winmail.dat
or any other container are bounded in total, in proportion to the container.

A container can name the same data many times (a hundred .msg attachments pointing at
one sector chain), so every read is counted, shared or not: a 1.6 MB file cannot make
the run hold or write 145 MB. An honest container holds its contents once, so twice
its size and a margin is room enough.
"""

from __future__ import annotations

RATIO = 2
SLACK = 1024 * 1024


class TooMuch(ValueError):
    """A container that would give out more than its bound."""


class Expansion:
    def __init__(self, container_bytes: int, cap: int | None = None) -> None:
        bound = RATIO * container_bytes + SLACK
        self.limit = min(bound, cap) if cap is not None else bound
        self.taken = 0

    def take(self, size: int, what: str = "") -> None:
        """Count size more bytes taken out; TooMuch past the bound."""
        self.taken += max(0, size)
        if self.taken > self.limit:
            raise TooMuch(f"{what or 'the container'} would give out more than "
                          f"{self.limit // (1024 * 1024)} MB, far more than it holds: "
                          "its parts point at the same data again and again")


def ole_claims_fit(data: bytes) -> str | None:
    """Whether an OLE compound file's header claims fit in the file: None when they do,
    else why not. olefile trusts the counts (a 5 KB file claiming a million FAT sectors
    keeps it busy for minutes); these are checked first, against the bytes there are."""
    if len(data) < 512 or not data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "it is not an OLE compound file"
    shift = int.from_bytes(data[30:32], "little")
    if shift not in (9, 12):
        return f"its sector size (2^{shift}) is not one Outlook writes"
    sector = 1 << shift
    sectors = max(1, (len(data) - 512) // sector + 1)
    fat = int.from_bytes(data[44:48], "little")
    mini_fat = int.from_bytes(data[64:68], "little")
    difat = int.from_bytes(data[72:76], "little")
    for name, count in (("FAT", fat), ("mini FAT", mini_fat), ("DIFAT", difat)):
        if count > sectors:
            return (f"its header claims {count:,} {name} sectors, but the file has room for "
                    f"{sectors:,}")
    return None
