"""Conversion in a child process with a memory and a time limit.

Documents are hostile until proven otherwise, and a converter bug must cost one
submission a trip to quarantine, never the run: the worker has an address-space
limit (RLIMIT_AS), each document a deadline, and anything that goes wrong comes
back as a ConversionError with a reason an editor can read. Workers come from a
forkserver, a clean single-threaded process, so no lock held by another thread
of the parent (an SMTP test server, a log handler) can be inherited mid-use.

Nothing outlives its limit: each worker leads its own process group, so the helper
programs it starts (antiword, unrtf) die with it, and writes its temporary files in
a folder of its own, removed when it is retired (also at exit). What a worker sends
back is bounded (MAX_OUTPUT_BYTES), so the main process's memory does not grow with
what a document expands to.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import multiprocessing
import os
import resource
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from intake.convert import convert_document
from intake.convert.images import clean_assets
from intake.convert.safety import ConversionError
from intake.core.models import Asset, Converted, FileType

# What one document may bring back to the draft: its text and images together. An
# article with a dozen photos is a few MB; past this, images are left out (and said so).
MAX_OUTPUT_BYTES = 64 * 1024 * 1024

# How far a worker stands back for the processor (os.nice: 0 to 19).
_NICENESS = 10

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


def warm_up() -> None:
    """Start the fork server now, so that it has loaded the converters (~0.3 s) by the
    time the first document asks for a worker: spent beside the fetching of new mail
    instead of before the first conversion. Only when there is new mail to convert."""
    from multiprocessing import forkserver

    _ctx()
    forkserver.ensure_running()


class _Worker:
    """A child that converts one document after another under the memory limit.

    Starting a process per document costs ~10 ms; a worker is started once and
    replaced whenever a document times out, runs out of memory or crashes it, so
    a hostile file never shares a process with the next one.
    """

    def __init__(self, memory_mb: int) -> None:
        ctx = _ctx()
        self.memory_mb = memory_mb
        self.job: str | None = None  # what its pending answer is for
        self.started = 0.0  # when that job was sent
        self.scratch = tempfile.mkdtemp(prefix="intake-worker-")
        self.conn, child_end = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child_end, memory_mb, self.scratch),
                                   daemon=True)
        self.process.start()
        child_end.close()

    def stop(self) -> None:
        self.conn.close()
        pid = self.process.pid
        if pid is not None:
            # The worker and every helper program it started.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        shutil.rmtree(self.scratch, ignore_errors=True)


# Two workers at most: one converts the next message's document (prefetch) while the
# main process finishes this one; the machine has two cores.
_POOL_SIZE = 2
_workers: list[_Worker] = []
# Answers read from a worker before anyone asked for them (to free it), by job: a few,
# the oldest dropped first.
_ready: dict[str, tuple[str, Any]] = {}


def _retire(worker: _Worker | None = None) -> None:
    """Stop one worker (or, with none named, all of them)."""
    for each in ([worker] if worker is not None else list(_workers)):
        each.stop()
        if each in _workers:
            _workers.remove(each)


# Before multiprocessing's own exit handler (atexit runs last-registered first), which
# would only terminate the workers and leave their helpers and files behind.
atexit.register(_retire)


def _key(name: str, data: bytes, file_type: FileType, limits: Limits) -> str:
    digest = hashlib.sha256(data if isinstance(data, bytes) else repr(data).encode())
    return f"{digest.hexdigest()}:{file_type.value}:{limits}:{name}"


def _idle(limits: Limits, *, drain: bool = True) -> _Worker | None:
    """A worker with no answer pending; a new one while the pool has room. drain: when
    every worker holds a prefetched answer nobody asked for, read the oldest and drop it."""
    for worker in list(_workers):
        if not worker.process.is_alive() or worker.memory_mb != limits.memory_mb:
            _retire(worker)
    for worker in _workers:
        if worker.job is None:
            return worker
    if len(_workers) < _POOL_SIZE:
        _workers.append(_Worker(limits.memory_mb))
        return _workers[-1]
    if not drain:
        return None
    oldest = min(_workers, key=lambda w: w.started)
    key = oldest.job
    outcome = _receive(oldest, limits)
    if key is not None and key != "asked":
        _ready[key] = outcome  # kept for when its message asks
        while len(_ready) > _POOL_SIZE:
            del _ready[next(iter(_ready))]
    return oldest if oldest in _workers else _idle(limits, drain=False)


def prefetch(name: str, data: bytes, file_type: FileType, limits: Limits) -> None:
    """Start converting a document that will be asked for soon (the next message's
    manuscript) in a free worker, so that it overlaps with the work on this one."""
    key = _key(name, data, file_type, limits)
    if key in _ready or any(w.job == key for w in _workers):
        return
    worker = _idle(limits, drain=False)
    if worker is None:
        return
    try:
        worker.conn.send(("convert", (name, data, file_type)))
    except (OSError, ValueError):
        _retire(worker)
        return
    worker.job, worker.started = key, time.monotonic()


def convert_isolated(name: str, data: bytes, file_type: FileType, limits: Limits) -> Converted:
    """One document → Markdown and clean images, in a worker (its answer may already be
    on its way, when it was prefetched)."""
    key = _key(name, data, file_type, limits)
    if key in _ready:
        return _outcome(_ready.pop(key), name, limits)
    ahead = next((w for w in _workers if w.job == key), None)
    if ahead is not None:
        return _answer(ahead, name, limits)
    return _ask(name, ("convert", (name, data, file_type)), limits)


def clean_isolated(markdown: str, assets: tuple[Asset, ...], limits: Limits
                   ) -> tuple[str, tuple[Asset, ...], tuple[str, ...]]:
    """Images attached beside a manuscript, cleaned in the worker (see images.py)."""
    if not assets:
        return markdown, assets, ()
    try:
        done = _ask("the attached images", ("images", (markdown, assets)), limits)
    except ConversionError as exc:  # every image left out rather than one uncleaned
        return markdown, (), tuple(f"Image {a.name} was left out of the draft: {exc.reason}."
                                   for a in assets)
    return done.markdown, done.assets, done.warnings


def _ask(name: str, job: tuple[str, tuple[Any, ...]], limits: Limits) -> Converted:
    worker = _idle(limits)
    assert worker is not None
    try:
        worker.conn.send(job)
    except (OSError, ValueError):
        _retire(worker)
        raise ConversionError(f"the converter could not be started for {name}",
                              _SEND_AGAIN) from None
    worker.job, worker.started = "asked", time.monotonic()
    return _answer(worker, name, limits)


def _answer(worker: _Worker, name: str, limits: Limits) -> Converted:
    """Wait for the worker's answer to the job it holds, within the job's time limit
    (counted from when it was sent)."""
    return _outcome(_receive(worker, limits), name, limits)


def _receive(worker: _Worker, limits: Limits) -> tuple[str, Any]:
    """The worker's raw answer to the job it holds; a worker that did not answer well is
    retired, so only a clean answer leaves a worker fit for the next document."""
    left = max(0.0, limits.seconds - (time.monotonic() - worker.started))
    try:
        if worker.conn.poll(left):
            outcome, payload = worker.conn.recv()
        else:
            outcome, payload = "timeout", None
    except (EOFError, OSError):
        worker.process.join(5)
        outcome, payload = "crashed", worker.process.exitcode
    except BaseException:  # interrupted mid-document: the worker's state is unknown
        _retire(worker)
        raise
    worker.job = None
    if outcome not in ("ok", "refused"):
        _retire(worker)
    return outcome, payload


def _outcome(answer: tuple[str, Any], name: str, limits: Limits) -> Converted:
    outcome, payload = answer
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


def _serve(conn: Connection, memory_mb: int, scratch: str) -> None:
    os.setpgrp()  # a group of its own: stopping it stops its helpers too
    # Behind the rest of the machine for the processor: a hostile document may use its
    # whole time limit, and the mail server beside intake should not feel it.
    os.nice(_NICENESS)
    tempfile.tempdir = scratch
    os.environ["TMPDIR"] = scratch
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            job, args = conn.recv()
        except EOFError:
            return  # the parent is gone or done
        result = _run(job, args)
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("memory", None))
        if result[0] not in ("ok", "refused"):
            return  # the parent replaces a worker that failed


def _run(job: str, args: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        if job == "images":
            markdown, assets, notes = clean_assets(*args)
            return "ok", Converted(markdown=markdown, assets=assets, warnings=notes)
        return "ok", _bounded(_finished(convert_document(*args)))
    except ConversionError as exc:
        return "refused", (exc.reason, exc.advice)
    except MemoryError:
        return "memory", None
    except RecursionError:
        return "error", "the document is nested too deeply"
    except Exception as exc:  # a converter bug: reported, never fatal to the run
        return "error", f"{type(exc).__name__}: {exc}"


def _finished(converted: Converted) -> Converted:
    markdown, assets, notes = clean_assets(converted.markdown, converted.assets)
    return replace(converted, markdown=markdown, assets=assets,
                   warnings=(*converted.warnings, *notes))


def _bounded(converted: Converted) -> Converted:
    """At most MAX_OUTPUT_BYTES back to the parent: images beyond it are left out (the
    largest first), and a text larger than it all is refused."""
    text = len(converted.markdown.encode("utf-8"))
    if text > MAX_OUTPUT_BYTES:
        raise ConversionError(f"the document's text is {text:,} bytes, more than the "
                              f"{MAX_OUTPUT_BYTES:,} an article can need (a hostile file?)",
                              _SEND_AGAIN)
    room = MAX_OUTPUT_BYTES - text
    kept: list[Asset] = []
    left: list[str] = []
    for asset in sorted(converted.assets, key=lambda a: len(a.data)):
        if len(asset.data) <= room:
            kept.append(asset)
            room -= len(asset.data)
        else:
            left.append(asset.name)
    if not left:
        return converted
    order = {a.name: n for n, a in enumerate(converted.assets)}
    note = (f"{len(left)} image(s) ({', '.join(left[:5])}{'…' if len(left) > 5 else ''}) "
            f"were left out of the draft: together the images are more than "
            f"{MAX_OUTPUT_BYTES // (1024 * 1024)} MB; the original file has them.")
    return replace(converted, assets=tuple(sorted(kept, key=lambda a: order[a.name])),
                   warnings=(*converted.warnings, note))
