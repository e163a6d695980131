"""What runs in a conversion worker: one document after another, under the limits the
main process set (intake.convert.isolated starts the workers and reads their answers).

Importing this loads every converter and the libraries they use (python-docx, pypdf,
lxml, Pillow): the fork server does it once for all workers; the main process never
needs to.
"""

from __future__ import annotations

import logging
import os
import resource
import tempfile
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from intake.convert.dispatch import convert
from intake.convert.images import clean_assets
from intake.convert.jobs import Limits, job_key
from intake.convert.safety import SEND_AGAIN, ConversionError
from intake.core.failpoints import failpoint
from intake.core.models import Asset, Converted
from intake.core.visible import one_line
from intake.drafts.manuscript import choose_manuscript
from intake.mail.parse import parse_message_file
from intake.rules.features import document_features

# What one document may bring back to the draft: its text and images together. An
# article with a dozen photos is a few MB; past this, images are left out (and said so).
MAX_OUTPUT_BYTES = 64 * 1024 * 1024

# How far a worker stands back for the processor (os.nice: 0 to 19).
NICENESS = 10


def serve(conn: Connection, memory_mb: int, scratch: str) -> None:
    """Answer jobs from the main process until it closes the pipe or a job fails."""
    os.setpgrp()  # a group of its own: stopping it stops its helpers too
    # Behind the rest of the machine for the processor: a hostile document may use its
    # whole time limit, and the mail server beside intake should not feel it.
    os.nice(NICENESS)
    tempfile.tempdir = scratch
    os.environ["TMPDIR"] = scratch
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # What the libraries say while reading a document (pypdf: "incorrect startxref") is
    # a note about that document, for its draft; never a line on the run's stderr, where
    # it would break -q and JSON logs.
    root = logging.getLogger()
    root.handlers[:] = [_NOTED]
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    while True:
        try:
            job, args = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone or done: quietly
        if job == "prepare":
            try:
                result = _prepare(conn, *args)
            except (BrokenPipeError, ConnectionResetError):  # the parent is gone
                return
            if result is None:
                continue  # the message had no manuscript to convert
        else:
            result = _run(job, args)
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("memory", None))
        except OSError:  # BrokenPipeError, ConnectionResetError: the parent was killed
            return
        if result[0] not in ("ok", "refused"):
            return  # the parent replaces a worker that failed


def _prepare(conn: Connection, path: str, limits: Limits) -> tuple[str, Any] | None:
    """Read a kept message ahead of its turn: parse it and send it back ("parsed", with
    the job its manuscript's conversion goes by), then convert the manuscript as that
    job, whose answer follows. None when nothing follows. A message that cannot be read
    is answered "unparsed": the main process then reads it itself at its turn, and says
    why it cannot."""
    failpoint("reading-ahead")
    try:
        msg = parse_message_file(Path(path))
        manuscript = choose_manuscript(msg.attachments)
        key = (job_key(manuscript.filename, manuscript.data, manuscript.file_type, limits)
               if manuscript is not None else None)
        conn.send(("parsed", (msg, key)))  # pickled whole before anything is written
    except MemoryError:
        return "memory", None
    except (BrokenPipeError, ConnectionResetError):
        raise  # the pipe to the parent: serve() ends quietly
    except Exception as exc:  # ParseError, or a bug: the main process meets it itself
        conn.send(("unparsed", f"{type(exc).__name__}: {exc}"))
        return None
    if manuscript is None:
        return None
    return _run("convert", (manuscript.filename, manuscript.data, manuscript.file_type))


def _run(job: str, args: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        if job == "images":
            markdown, assets, notes = clean_assets(*args)
            return "ok", Converted(markdown=markdown, assets=assets, warnings=notes)
        _NOTED.lines.clear()
        converted = bounded(_finished(convert(*args)))
        if _NOTED.lines:
            noted = list(dict.fromkeys(_NOTED.lines))
            converted = replace(converted, warnings=(*converted.warnings, *(
                f"The reader of {args[0]!r} noted: {line}" for line in noted[:3])))
        # Worked out here, beside the conversion, not in the main process: it is the
        # busier of the two, and this is a function of the document alone.
        return "ok", replace(converted, features=document_features(converted.markdown,
                                                                   converted.title))
    except ConversionError as exc:
        return "refused", (exc.reason, exc.advice)
    except MemoryError:
        return "memory", None
    except RecursionError:
        return "error", "the document is nested too deeply"
    except Exception as exc:  # a converter bug: reported, never fatal to the run
        return "error", f"{type(exc).__name__}: {exc}"


class _Noted(logging.Handler):
    """The libraries' warnings about the document being read, kept for its draft."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.lines) < 20:
            self.lines.append(one_line(record.getMessage())[:300])


_NOTED = _Noted()


def _finished(converted: Converted) -> Converted:
    markdown, assets, notes = clean_assets(converted.markdown, converted.assets)
    return replace(converted, markdown=markdown, assets=assets,
                   warnings=(*converted.warnings, *notes))


def bounded(converted: Converted) -> Converted:
    """At most MAX_OUTPUT_BYTES back to the parent: images beyond it are left out (the
    largest first), and a text larger than it all is refused."""
    text = len(converted.markdown.encode("utf-8"))
    if text > MAX_OUTPUT_BYTES:
        raise ConversionError(f"the document's text is {text:,} bytes, more than the "
                              f"{MAX_OUTPUT_BYTES:,} an article can need (a hostile file?)",
                              SEND_AGAIN)
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
