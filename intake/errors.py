"""The failures intake reports to people, each with the exit code it ends a run with."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    NEEDS_ATTENTION = 1  # done, but something was quarantined or failed
    USAGE = 2  # usage or settings error
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
    pass
