"""Files people open: raw messages and draft folders, written atomically under data_dir.

A single file is written tmp → fsync → rename → fsync(dir), so a crash leaves either
the old state or the new one, never half a file. A draft folder, or a batch of raw
messages, is written whole and renamed into place, then made durable with one sync of
the filesystem (syncfs) instead of one fsync per file and folder: nothing points at
these files until the ledger commits after that sync, and what a crash leaves before
it is replaced whole by the next run (checked by content for raw messages).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from intake.core.models import Asset, Attachment

# libyaml's emitter when PyYAML was built with it (the wheels are): the same YAML, ten
# times faster; safe either way (plain data only).
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    """libc's syncfs, found when first needed: the running program's own symbols hold
    libc's (no search for the library, which would start a process on every command)."""
    try:
        syncfs: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
        return syncfs
    except (OSError, AttributeError):  # not Linux: os.sync() instead
        return None


def sync_filesystem(path: Path) -> None:
    """Everything written under path's filesystem is on disk when this returns (Linux's
    syncfs, which also reports a failed write since 5.8; os.sync elsewhere)."""
    syncfs = _syncfs()
    if syncfs is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"syncing {path}: {os.strerror(error)}")
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, durable: bool = True,
                 mode: int | None = None) -> None:
    """durable=False: renamed into place but not synced; the caller syncs the filesystem
    (sync_filesystem) before anything points at the file. mode: the file's permissions
    whatever the umask (a secret: 0o600), from the moment it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     0o666 if mode is None else mode)
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir
        self.raw_dir = data_dir / "raw"
        self.drafts_dir = data_dir / "drafts"

    def sweep_leftovers(self) -> int:
        """Remove the half-written temporaries a killed run leaves (".NAME.HEX.tmp"): only
        runs that hold the run lock write them, and the caller holds it."""
        found = [*self.drafts_dir.glob(".*.tmp"), *self.drafts_dir.glob("*/.*.tmp"),
                 *self.drafts_dir.glob("*/revisions/.*.tmp"), *self.raw_dir.glob("*/.*.tmp")]
        for path in found:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return len(found)

    def raw_path(self, sha256: str) -> Path:
        return self.raw_dir / sha256[:2] / f"{sha256}.eml"

    def keep_raw(self, sha256: str, data: bytes) -> Path:
        """Write the message as received; content-addressed, so a rewrite is harmless.
        Renamed into place but not yet durable: the caller syncs (sync()) a batch of
        them before the ledger records any."""
        path = self.raw_path(sha256)
        if not (path.exists() and path.stat().st_size == len(data) and _holds(path, sha256)):
            write_atomic(path, data, durable=False)
        return path

    def sync(self) -> None:
        """Make what was written under the data folder durable (see keep_raw)."""
        sync_filesystem(self.root)

    def read_raw(self, relpath: str) -> bytes:
        return (self.root / relpath).read_bytes()

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def draft_dir(self, reference: str) -> Path:
        return self.drafts_dir / reference

    def write_draft(
        self,
        reference: str,
        front_matter: dict[str, Any],
        markdown: str,
        assets: Iterable[Asset],
        originals: Iterable[Attachment],
        email_text: str,
    ) -> Path:
        return write_draft_folder(self.draft_dir(reference), front_matter, markdown, assets,
                                  originals, email_text)


    def snapshot(self, reference: str, revision: int) -> None:
        """Copy the current draft to revisions/N before a new revision replaces it.

        Built aside and renamed into place, and skipped when already there, so a run
        that crashed half-way through a revision simply does it again.
        """
        folder = self.draft_dir(reference)
        target = folder / "revisions" / str(revision)
        if not folder.is_dir() or target.exists():
            return
        tmp = folder / "revisions" / f".{revision}.{uuid.uuid4().hex}.tmp"
        try:
            shutil.copytree(folder, tmp, ignore=shutil.ignore_patterns(
                "revisions", "correspondence", ".*"))
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync_dir(target.parent)

    def write_revision(self, reference: str, front_matter: dict[str, Any], markdown: str,
                       assets: Iterable[Asset], originals: Iterable[Attachment],
                       email_text: str) -> Path:
        """Replace the current draft, keeping revisions/ and correspondence/ beside it.

        Each part is swapped in by a rename; the earlier revision is already safe in
        revisions/ (snapshot), and a crash part-way is repaired by the retry.
        """
        folder = self.draft_dir(reference)
        if not folder.is_dir():
            return self.write_draft(reference, front_matter, markdown, assets, originals,
                                    email_text)
        for stale in folder.glob(".next.*"):
            shutil.rmtree(stale, ignore_errors=True)
        nxt = write_draft_folder(folder / f".next.{uuid.uuid4().hex}", front_matter, markdown,
                                 assets, originals, email_text)
        for name in ("draft.md", "assets", "original", "email.txt"):
            old = folder / name
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink(missing_ok=True)
            if (nxt / name).exists():
                (nxt / name).rename(old)
        shutil.rmtree(nxt)
        fsync_dir(folder)
        return folder

    def keep_correspondence(self, reference: str, name: str, text: str,
                            attachments: Iterable[Attachment]) -> Path:
        """A reply that is not a new version: its text and files, under correspondence/."""
        final = self.draft_dir(reference) / "correspondence" / name
        final.parent.mkdir(parents=True, exist_ok=True)
        return write_draft_folder(final, {}, "", (), attachments, text, bare=True)


def write_draft_folder(
    final: Path,
    front_matter: dict[str, Any],
    markdown: str,
    assets: Iterable[Asset],
    originals: Iterable[Attachment],
    email_text: str = "",
    bare: bool = False,
) -> Path:
    """Build the whole folder beside its place, swap it in with one rename, then sync
    the filesystem once: durable when this returns.

    bare: only the email's text and its files (correspondence), no draft.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.{uuid.uuid4().hex}.tmp"
    (tmp / "assets").mkdir(parents=True)
    (tmp / "original").mkdir()
    try:
        if not bare:
            _write_new(tmp / "draft.md", render_draft(front_matter, markdown).encode())
        for asset in assets:
            _write_new(tmp / "assets" / asset.name, asset.data)
        for att in originals:
            _write_new(tmp / "original" / att.filename, att.data)
        if email_text.strip():
            _write_new(tmp / "email.txt", email_text.encode("utf-8"))
        if bare:
            (tmp / "assets").rmdir()
        if final.exists():
            # Left by a run that crashed before its ledger commit (the ledger never saw
            # it), or an earlier `intake convert` of the same file: replaced whole.
            shutil.rmtree(final)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    sync_filesystem(final)
    return final


def _write_new(path: Path, data: bytes) -> None:
    with path.open("xb") as fh:
        fh.write(data)


def _holds(path: Path, sha256: str) -> bool:
    """Whether a file left at a raw message's place has its content: one renamed there
    by a run killed before its sync may not."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def render_draft(front_matter: dict[str, Any], markdown: str) -> str:
    header = yaml.dump(front_matter, Dumper=_DUMPER, sort_keys=False, allow_unicode=True,
                       width=100)
    return f"---\n{header}---\n\n{markdown}"


def read_draft(path: Path) -> tuple[dict[str, Any], str]:
    """A draft.md's front matter and Markdown body, from one read."""
    text = path.read_text(encoding="utf-8")
    end = text.find("\n---\n", 4) if text.startswith("---\n") else -1
    if end < 0:
        return {}, text
    loaded = yaml.safe_load(text[4:end])
    return (loaded if isinstance(loaded, dict) else {}), text[end + 5:].lstrip("\n")


def read_body(path: Path) -> str:
    """A draft.md's Markdown body alone: its front matter skipped, not parsed (YAML is
    most of the cost of reading a draft)."""
    text = path.read_text(encoding="utf-8")
    end = text.find("\n---\n", 4) if text.startswith("---\n") else -1
    return text if end < 0 else text[end + 5:].lstrip("\n")


def read_front_matter(path: Path) -> dict[str, Any]:
    return read_draft(path)[0]


def update_front_matter(path: Path, **changes: Any) -> None:
    """Change some front matter keys of a draft.md; the Markdown body is kept as it is."""
    front, body = read_draft(path)
    write_atomic(path, render_draft({**front, **changes}, body).encode())
