"""A TCP proxy on 127.0.0.1 that cuts a connection after N bytes from the server, or
when the client sends a given command (before or after the server has it). The cut
settings are read as each connection opens, so a test can heal the fault in place."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Self


class _Listening:
    """A listener on 127.0.0.1 that hands each connection to _serve in a thread of its
    own, until the with-block ends."""

    port: int

    def __enter__(self) -> Self:
        self._listener = socket.socket()
        self._stop = threading.Event()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        raise NotImplementedError


@dataclass
class CuttingProxy(_Listening):
    target_port: int
    cut_after: int | None = None  # bytes from the server, per connection; None: never
    cut_on: bytes | None = None  # cut when the client sends this (e.g. b" MOVE ")
    deliver_cut_command: bool = False  # True: the server gets that command, its reply is lost
    port: int = 0
    cuts: int = 0

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        cutting = threading.Event()  # once set, the server's replies are dropped
        threading.Thread(target=self._pipe, args=(client, upstream, None, cutting,
                                                  self.cut_on), daemon=True).start()
        self._pipe(upstream, client, self.cut_after, cutting)

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None,
              cutting: threading.Event, token: bytes | None = None) -> None:
        sent = 0
        try:
            while data := src.recv(16384):
                if cutting.is_set():
                    break
                if token is not None and token in data:
                    cutting.set()
                    self.cuts += 1
                    if self.deliver_cut_command:
                        dst.sendall(data)
                        time.sleep(0.3)  # let the server act on it before the cut
                    break
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[: limit - sent])
                    self.cuts += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@dataclass
class SizeLimit(_Listening):
    """An HTTP front on 127.0.0.1 that refuses a request body over max_body with 413,
    as nginx's client_max_body_size does, and passes everything else to the server
    (one request per connection: it asks both sides to close after the answer)."""

    target_port: int
    max_body: int
    port: int = 0
    refused: int = 0

    def _serve(self, client: socket.socket) -> None:
        with client:
            client.settimeout(30)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            header, _, rest = head.partition(b"\r\n\r\n")
            length = 0
            for line in header.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip() or 0)
            if length > self.max_body:
                self.refused += 1
                client.sendall(b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: "
                               b"text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            lines = [line for line in header.split(b"\r\n")
                     if not line.lower().startswith(b"connection:")]
            request = b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + rest
            with socket.create_connection(("127.0.0.1", self.target_port), timeout=30) as up:
                up.sendall(request)
                sent = len(rest)
                while sent < length:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    up.sendall(chunk)
                    sent += len(chunk)
                while True:
                    chunk = up.recv(65536)
                    if not chunk:
                        break
                    client.sendall(chunk)
