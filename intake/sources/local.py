"""Raw messages from .eml files, Maildir folders and mbox files, as `intake ingest` reads them."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from datetime import date
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path

from intake.core.errors import IntakeError
from intake.core.models import RawMessage


def read_paths(paths: list[Path], since: date | None = None) -> Iterator[RawMessage]:
    """Every message under paths; with since, only those sent on or after that day (by
    their Date header; a message without a readable one is taken)."""
    for path in paths:
        if not path.exists():
            raise IntakeError(f"{path}: no such file or folder")
    for path in paths:
        for raw in _read(path):
            if since is None or not _sent_before(raw.data, since):
                yield raw


def _sent_before(data: bytes, since: date) -> bool:
    headers = BytesHeaderParser(policy=compat32).parsebytes(data[:64 * 1024])
    try:
        sent = parsedate_to_datetime(str(headers.get("date", "")))
    except (TypeError, ValueError, IndexError):
        return False
    return sent.date() < since


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
