"""The one way to reach a file that a draft, a page address or a stranger names.

A draft's Markdown says `assets/NAME`; a page asks for `/s/REF/assets/NAME`; both come
from strangers. Every file read because something names it goes through `inside`:
the name is refused when it holds a NUL, a backslash, an absolute part or `..`, and
the resolved path (links followed) must still be under the folder it was named in.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


class OutsideFolder(ValueError):
    """A name that would leave its folder (or cannot name a file at all)."""


def inside(base: Path, name: str) -> Path:
    """base/name, resolved, when it stays under base (itself resolved); else OutsideFolder.

    Does not say the file exists: callers check is_file() as they need.
    """
    if not name or "\x00" in name or "\\" in name:
        raise OutsideFolder(f"{name!r} is not a file name")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or any(p in ("..", "") for p in parts):
        raise OutsideFolder(f"{name!r} leaves its folder")
    root = base.resolve()
    try:
        path = (root / Path(*parts)).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a loop of links, a bad byte
        raise OutsideFolder(f"{name!r}: {exc}") from None
    if path == root or not path.is_relative_to(root):
        raise OutsideFolder(f"{name!r} leaves its folder")
    return path


def draft_file(draft_dir: Path, reference: str) -> Path:
    """A file a draft names by a relative reference such as `assets/image-001.png`."""
    return inside(draft_dir, reference)


def asset(draft_dir: Path, name: str) -> Path:
    """An image a draft names as `assets/NAME` (NAME alone, no folders)."""
    if "/" in name:
        raise OutsideFolder(f"{name!r} is not a name in assets/")
    return inside(draft_dir / "assets", name)
