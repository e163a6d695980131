"""The failures intake reports to people, each with the exit code it ends a run with."""

from __future__ import annotations

import errno
import sqlite3
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    NEEDS_ATTENTION = 1  # done, but something was quarantined or failed
    USAGE = 2  # usage or settings error
    DAMAGED = 3  # the ledger or data folder is damaged: an operator must repair it
    NOT_FOUND = 4  # no submission by that reference (a typo, or purged from another ledger)
    TEMPORARY = 75  # EX_TEMPFAIL: server unreachable, another run holds the lock


class IntakeError(Exception):
    """A failure with a message meant for the operator, never a traceback."""

    exit_code = ExitCode.USAGE


class SettingsError(IntakeError):
    exit_code = ExitCode.USAGE


class TemporaryFailure(IntakeError):
    """Try again later: cron's next run will."""

    exit_code = ExitCode.TEMPORARY


class LockHeld(TemporaryFailure):
    since: str | None = None  # when the holder took the lock, as it wrote it


class StorageFull(TemporaryFailure):
    """The disk under the data folder is full: stop the run; nothing stored is lost."""

    def __init__(self, exc: BaseException) -> None:
        detail = str(exc)
        if isinstance(exc, OSError) and exc.strerror:
            detail = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
        super().__init__(
            f"no space left for the data folder ({detail}): this run stopped. Nothing is "
            "lost: mail not yet stored stays on the server and stored mail waits in the "
            "ledger; free some space (df -h) and the next run carries on")


class DamagedLedger(IntakeError):
    """The ledger file is not a database any more, or SQLite found it corrupt."""

    exit_code = ExitCode.DAMAGED

    def __init__(self, path: object, exc: BaseException) -> None:
        super().__init__(
            f"the ledger {path} is damaged ({exc}): intake stopped. Raw mail is safe in "
            f"the data folder's raw/. Restore the ledger from a backup, or recover "
            f"what SQLite can: sqlite3 {path} .recover | sqlite3 recovered.sqlite3, then "
            "put recovered.sqlite3 in its place")


def is_damaged_ledger(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and getattr(
        exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def is_storage_full(exc: BaseException) -> bool:
    """Out of disk or quota: writing files (ENOSPC, EDQUOT) or the ledger (SQLITE_FULL)."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, sqlite3.Error):
        return exc.sqlite_errorcode == sqlite3.SQLITE_FULL
    return False
