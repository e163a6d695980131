"""Conversion in a child process with a memory and a time limit.

Documents are hostile until proven otherwise, and a converter bug must cost one
submission a trip to quarantine, never the run: the child gets an address-space
limit (RLIMIT_AS) and a deadline, and anything it does wrong comes back as a
ConversionError with a reason an editor can read. Children come from a
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


def convert_isolated(name: str, data: bytes, file_type: FileType, limits: Limits) -> Converted:
    ctx = _ctx()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, name, data, file_type, limits.memory_mb),
                        daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(limits.seconds):
            raise ConversionError(f"{name} took longer than {limits.seconds:.0f} seconds to "
                                  "convert (a damaged or hostile file?)", _SEND_AGAIN)
        try:
            outcome, payload = receive.recv()
        except EOFError:
            child.join(5)
            raise ConversionError(f"the converter stopped on {name} (exit code "
                                  f"{child.exitcode})", _SEND_AGAIN) from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if outcome == "ok":
        converted: Converted = payload
        return converted
    if outcome == "refused":
        raise ConversionError(*payload)
    if outcome == "memory":
        raise ConversionError(f"{name} needs more than {limits.memory_mb} MB of memory to "
                              "convert (a damaged or hostile file?)", _SEND_AGAIN)
    raise ConversionError(f"the converter failed on {name} ({payload})", _SEND_AGAIN)


def _child(send: Connection, name: str, data: bytes, file_type: FileType,
           memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result: tuple[str, Any] = ("ok", convert_document(name, data, file_type))
    except ConversionError as exc:
        result = ("refused", (exc.reason, exc.advice))
    except MemoryError:
        result = ("memory", None)
    except RecursionError:
        result = ("error", "the document is nested too deeply")
    except Exception as exc:  # a converter bug: reported, never fatal to the run
        result = ("error", f"{type(exc).__name__}: {exc}")
    try:
        send.send(result)
    except MemoryError:
        send.send(("memory", None))
    send.close()
