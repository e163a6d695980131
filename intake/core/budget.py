"""A time budget for the processing of one message.

Every step that reads untrusted text is written to run in linear time; the budget is
the net under them all. When it runs out, the message is quarantined with a reason
and the run goes on with the next one. It is a BaseException, like KeyboardInterrupt,
so that no `except Exception` on the way swallows it; the code it passes through
cleans up as it would for an interrupt (transactions roll back, workers are retired,
temporary files are removed).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class MessageTimeout(BaseException):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"processing took longer than {seconds:g} seconds")
        self.seconds = seconds


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise MessageTimeout in this (main) thread once seconds have passed; elsewhere, or
    with no budget, do nothing."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise MessageTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
