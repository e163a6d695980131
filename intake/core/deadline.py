"""A total deadline for one network exchange.

A socket's timeout bounds each read, not the exchange: a server that trickles one byte
a second keeps a client waiting for ever under a 30-second timeout. A Deadline watches
from a timer thread and, when the time is up, shuts the exchange's sockets down: the
blocked read returns at once, whichever thread it is in (the cron run, a desk
request), and the caller says the server was too slow.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any


class DeadlinePassed(TimeoutError):
    """The exchange did not finish in its time."""


class Deadline:
    def __init__(self, seconds: float, what: str) -> None:
        self.seconds = seconds
        self.what = what
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._end = 0.0

    def watch(self, sock: Any) -> None:
        """A socket this exchange uses: shut down when the time is up."""
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)
                if self.expired:
                    _shut(sock)

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> Deadline:
        self._end = time.monotonic() + self.seconds
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        # Also when nothing was raised: what was read after the cut may be cut short.
        if self.expired and not isinstance(ev, DeadlinePassed):
            raise DeadlinePassed(f"{self.what} did not finish within {self.seconds:g} s "
                                 "(the server answers too slowly)") from ev


@contextmanager
def within(seconds: float, what: str) -> Iterator[Deadline]:
    with Deadline(seconds, what) as deadline:
        yield deadline


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
