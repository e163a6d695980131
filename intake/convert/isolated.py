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
back is bounded (MAX_OUTPUT_BYTES in intake.convert.worker, where the worker's side
lives), so the main process's memory does not grow with what a document expands to.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from intake.convert.jobs import Limits, job_key
from intake.convert.safety import SEND_AGAIN, ConversionError
from intake.core.models import Asset, Converted, FileType, ParsedMessage

_context: Any = None


def _ctx() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        # Imported once in the server, so each child starts with the converters loaded.
        _context.set_forkserver_preload(["intake.convert.worker", "intake.convert.isolated"])
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


# Two workers: they convert the next messages' documents (prefetch) while the main
# process works on this one; the machine has two cores.
_POOL_SIZE = 2
_workers: list[_Worker] = []
# Documents (and messages) asked for ahead while both workers were busy, oldest first:
# each goes to the first worker that comes free, so that no worker waits for the main
# process to return. As many as the pipeline reads ahead (pipeline.run.LOOKAHEAD).
_QUEUE_MAX = 3
_queued: dict[str, tuple[tuple[str, tuple[Any, ...]], Limits]] = {}
# Answers read from a worker before anyone asked for them (to free it), by job: one per
# message read ahead, the oldest dropped first (each may hold up to the worker's
# MAX_OUTPUT_BYTES; a message over 4 MiB is read ahead only on its own).
_READY_MAX = 3
_ready: dict[str, tuple[str, Any]] = {}
# Messages read ahead in a worker (prepare), by job, until their turn: as many as are read
# ahead, the oldest dropped first (its message is then read at its turn, as without).
_PREPARED = "message:"
_PARSED_MAX = 4
_parsed: dict[str, tuple[str, Any]] = {}


def _retire(worker: _Worker | None = None) -> None:
    """Stop one worker (or, with none named, all of them, and forget what was asked for
    ahead: the pool is shut)."""
    for each in ([worker] if worker is not None else list(_workers)):
        each.stop()
        if each in _workers:
            _workers.remove(each)
    if worker is None:
        _queued.clear()
        _ready.clear()
        _parsed.clear()


# Before multiprocessing's own exit handler (atexit runs last-registered first), which
# would only terminate the workers and leave their helpers and files behind.
atexit.register(_retire)


def _idle(limits: Limits, *, drain: bool = True) -> _Worker | None:
    """A worker with no answer pending; a new one while the pool has room. A prefetched
    answer that has arrived is read and kept, which frees its worker. drain: when every
    worker is still busy with a prefetch, wait for the oldest and keep its answer."""
    for worker in list(_workers):
        if not worker.process.is_alive() or worker.memory_mb != limits.memory_mb:
            _retire(worker)
    for worker in _workers:
        if worker.job not in (None, "asked") and worker.conn.poll(0):
            _keep(worker.job, _receive(worker, limits))
    for worker in _workers:
        if worker.job is None:
            return worker
    if len(_workers) < _POOL_SIZE:
        _workers.append(_Worker(limits.memory_mb))
        return _workers[-1]
    if not drain:
        return None
    oldest = min(_workers, key=lambda w: w.started)
    _keep(oldest.job, _receive(oldest, limits))
    if oldest in _workers and oldest.job is None:
        return oldest
    # Retired (a new one is started), or gone on to convert the manuscript of the message
    # it read ahead (then the next to finish is waited for).
    return _idle(limits, drain=oldest in _workers)


def _keep(key: str | None, outcome: tuple[str, Any]) -> None:
    if key is None or key == "asked":
        return
    kept, most = (_parsed, _PARSED_MAX) if key.startswith(_PREPARED) else (_ready, _READY_MAX)
    kept[key] = outcome  # kept for when its message asks
    while len(kept) > most:
        del kept[next(iter(kept))]


def prefetch(name: str, data: bytes, file_type: FileType, limits: Limits) -> None:
    """Start converting a document that will be asked for soon (an upcoming message's
    manuscript), so that it overlaps with the work on this one: in a free worker, or in
    the first to come free."""
    key = job_key(name, data, file_type, limits)
    if key in _ready or key in _queued or any(w.job == key for w in _workers):
        return
    if len(_queued) < _QUEUE_MAX:
        _queued[key] = (("convert", (name, data, file_type)), limits)
    _feed()


def prepare(message: int, path: Path, limits: Limits) -> None:
    """Have a worker read a kept message ahead of its turn (a small one: it comes back
    whole): parse it, then convert its manuscript, so that neither costs the main
    process; prepared() takes the message at its turn, and the conversion is found
    as prefetch() would have left it."""
    key = f"{_PREPARED}{message}"
    if key in _parsed or key in _queued or any(w.job == key for w in _workers):
        return
    if len(_queued) < _QUEUE_MAX:
        _queued[key] = (("prepare", (str(path), limits)), limits)
    _feed()


def prepared(message: int, limits: Limits) -> ParsedMessage | None:
    """The message prepare() had read; None when it was not, or could not be (the caller
    then reads it itself, and meets whatever stopped the worker)."""
    key = f"{_PREPARED}{message}"
    _queued.pop(key, None)  # not started yet: the caller reads it sooner itself
    try:
        answer = _parsed.pop(key, None)
        if answer is None:
            worker = next((w for w in _workers if w.job == key), None)
            if worker is None:
                return None
            answer = _receive(worker, limits)
    finally:
        _feed()
    outcome, payload = answer
    if outcome != "parsed":
        return None
    msg: ParsedMessage = payload[0]
    return msg


def _feed() -> None:
    """Hand queued documents to the workers that are free."""
    while _queued:
        key, (job, limits) = next(iter(_queued.items()))
        worker = _idle(limits, drain=False)
        if worker is None:
            return
        del _queued[key]
        try:
            worker.conn.send(job)
        except (OSError, ValueError):
            _retire(worker)
            continue  # converted when its message asks
        worker.job, worker.started = key, time.monotonic()


def converting() -> bool:
    """Whether a document asked for ahead is still being converted: time in which the
    main process would otherwise wait for it. Answers that have come are taken in
    (their workers go on to the next queued document)."""
    for worker in _workers:
        if worker.job not in (None, "asked") and worker.conn.poll(0):
            # The answer is there: the time limit (of the Limits given) is not waited on.
            _keep(worker.job, _receive(worker, Limits()))
    _feed()
    return bool(_queued) or any(w.job not in (None, "asked") for w in _workers)


def convert_isolated(name: str, data: bytes, file_type: FileType, limits: Limits) -> Converted:
    """One document → Markdown and clean images, in a worker (its answer may already be
    on its way, when it was prefetched)."""
    key = job_key(name, data, file_type, limits)
    _queued.pop(key, None)  # asked for now: converted now
    try:
        if key in _ready:
            return _outcome(_ready.pop(key), name, limits)
        ahead = next((w for w in _workers if w.job == key), None)
        if ahead is not None:
            return _answer(ahead, name, limits)
        return _ask(name, ("convert", (name, data, file_type)), limits)
    finally:
        _feed()  # the worker that answered goes on to the next document at once


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
                              SEND_AGAIN) from None
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
    if outcome == "parsed" and payload[1] is not None:
        # A message read ahead: its manuscript's conversion follows, as a job of its own.
        worker.job, worker.started = payload[1], time.monotonic()
    elif outcome not in ("ok", "refused", "parsed", "unparsed"):
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
                              "convert (a damaged or hostile file?)", SEND_AGAIN)
    if outcome == "memory":
        raise ConversionError(f"{name} needs more than {limits.memory_mb} MB of memory to "
                              "convert (a damaged or hostile file?)", SEND_AGAIN)
    if outcome == "crashed":
        raise ConversionError(f"the converter stopped on {name} (exit code {payload})",
                              SEND_AGAIN)
    raise ConversionError(f"the converter failed on {name} ({payload})", SEND_AGAIN)


def _serve(conn: Connection, memory_mb: int, scratch: str) -> None:
    """The worker's life (intake.convert.worker), started in the child: the fork server
    has loaded the converters, and the main process never does."""
    from intake.convert.worker import serve

    serve(conn, memory_mb, scratch)
