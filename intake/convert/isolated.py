"""Conversion in a child process with a memory and a time limit.

Documents are hostile until proven otherwise, and a converter bug must cost one
submission a trip to quarantine, never the run: the worker has an address-space
limit (RLIMIT_AS), each document a deadline, and anything that goes wrong comes
back as a ConversionError with a reason an editor can read. Workers come from a
forkserver, a clean single-threaded process, so no lock held by another thread
of the parent (an SMTP test server, a log handler) can be inherited mid-use.
"""

from __future__ import annotations

import multiprocessing
import resource
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from intake.convert import convert_document
from intake.convert.safety import ConversionError
from intake.models import Converted, FileType

_SEND_AGAIN = "Please send the article again as an ordinary .docx file or as a PDF."


@dataclass(frozen=True)
class Limits:
    seconds: float = 60.0
    memory_mb: int = 1024


_context: Any = None


def _ctx() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        # Imported once in the server, so each child starts with the converters loaded.
        _context.set_forkserver_preload(["intake.convert", "intake.convert.isolated"])
    return _context


class _Worker:
    """A child that converts one document after another under the memory limit.

    Starting a process per document costs ~10 ms; a worker is started once and
    replaced whenever a document times out, runs out of memory or crashes it, so
    a hostile file never shares a process with the next one.
    """

    def __init__(self, memory_mb: int) -> None:
        ctx = _ctx()
        self.memory_mb = memory_mb
        self.conn, child_end = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child_end, memory_mb), daemon=True)
        self.process.start()
        child_end.close()

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


_worker: _Worker | None = None


def _worker_for(limits: Limits) -> _Worker:
    global _worker
    if _worker is None or _worker.memory_mb != limits.memory_mb or not _worker.process.is_alive():
        _retire()
        _worker = _Worker(limits.memory_mb)
    return _worker


def _retire() -> None:
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None


def convert_isolated(name: str, data: bytes, file_type: FileType, limits: Limits) -> Converted:
    worker = _worker_for(limits)
    try:
        worker.conn.send((name, data, file_type))
        if worker.conn.poll(limits.seconds):
            outcome, payload = worker.conn.recv()
        else:
            outcome, payload = "timeout", None
    except (EOFError, OSError):
        worker.process.join(5)
        outcome, payload = "crashed", worker.process.exitcode
    except BaseException:  # interrupted mid-document: the worker's state is unknown
        _retire()
        raise
    if outcome not in ("ok", "refused"):
        _retire()  # only a clean answer leaves the worker fit for the next document
    if outcome == "ok":
        converted: Converted = payload
        return converted
    if outcome == "refused":
        raise ConversionError(*payload)
    if outcome == "timeout":
        raise ConversionError(f"{name} took longer than {limits.seconds:.0f} seconds to "
                              "convert (a damaged or hostile file?)", _SEND_AGAIN)
    if outcome == "memory":
        raise ConversionError(f"{name} needs more than {limits.memory_mb} MB of memory to "
                              "convert (a damaged or hostile file?)", _SEND_AGAIN)
    if outcome == "crashed":
        raise ConversionError(f"the converter stopped on {name} (exit code {payload})",
                              _SEND_AGAIN)
    raise ConversionError(f"the converter failed on {name} ({payload})", _SEND_AGAIN)


def _serve(conn: Connection, memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            name, data, file_type = conn.recv()
        except EOFError:
            return  # the parent is gone or done
        result = _convert(name, data, file_type)
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("memory", None))
        if result[0] not in ("ok", "refused"):
            return  # the parent replaces a worker that failed


def _convert(name: str, data: bytes, file_type: FileType) -> tuple[str, Any]:
    try:
        return "ok", convert_document(name, data, file_type)
    except ConversionError as exc:
        return "refused", (exc.reason, exc.advice)
    except MemoryError:
        return "memory", None
    except RecursionError:
        return "error", "the document is nested too deeply"
    except Exception as exc:  # a converter bug: reported, never fatal to the run
        return "error", f"{type(exc).__name__}: {exc}"
