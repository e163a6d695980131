"""Raw messages from .eml files, Maildir folders and mbox files, as `intake ingest` reads them."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

from intake.core.errors import IntakeError
from intake.core.models import RawMessage


def read_paths(paths: list[Path]) -> Iterator[RawMessage]:
    for path in paths:
        if not path.exists():
            raise IntakeError(f"{path}: no such file or folder")
    for path in paths:
        yield from _read(path)


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(5) == b"From "


def _read(path: Path) -> Iterator[RawMessage]:
    if path.is_dir():
        if _is_maildir(path):
            box = mailbox.Maildir(path, factory=None, create=False)
            for key in sorted(box.keys()):
                yield RawMessage("maildir", f"{path}#{key}", box.get_bytes(key))
            return
        for child in sorted(p for p in path.rglob("*") if p.is_file()
                            and not any(part.startswith(".") for part in
                                        p.relative_to(path).parts)):
            yield from _read(child)
    elif _is_mbox(path):
        mbox = mailbox.mbox(path, factory=None, create=False)
        for key in mbox.iterkeys():
            yield RawMessage("mbox", f"{path}#{key}", mbox.get_bytes(key))
    else:
        yield RawMessage("file", str(path), path.read_bytes())
