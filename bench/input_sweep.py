"""Hostile and malformed input: every file of the shared corpus, one at a time.

Emails (corpus/emails: .eml, .msg, mbox, broken MIME, odd charsets) go through the
real pipeline (accept, process, acknowledge to files); documents (corpus/docx and
corpus/other: .docx, .odt, .pdf, .doc, .rtf) go through what `intake convert` runs.
Each file has a time limit; the sweep counts, per kind of input:

- emails: processed, ignored, quarantined (with its reasons), duplicates;
- documents: converted, refused (with the reason an editor is given);
- crashes (an exception out of intake, or a message quarantined because intake
  itself failed on it) and hangs (over the limit): both must be zero;
- peak memory of the sweep process and of the conversion worker.

Usage: .venv/bin/python bench/input_sweep.py [--corpus DIR] [--limit SECONDS]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from intake.cli.convert import convert_to_folder  # noqa: E402
from intake.core.config import load_settings  # noqa: E402
from intake.core.report import RunReport  # noqa: E402
from intake.mail.smtp import transport_for  # noqa: E402
from intake.pipeline.run import Intake  # noqa: E402
from intake.sources.local import read_paths  # noqa: E402

CORPUS = Path(os.environ.get("INTAKE_CORPUS", REPO.parent / "shared" / "corpus"))


class Hang(Exception):
    pass


@dataclass
class Sweep:
    emails: int = 0
    messages: int = 0
    states: Counter[str] = field(default_factory=Counter)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    acknowledgements: int = 0
    documents: int = 0
    converted: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    peak_mib: float = 0.0
    worker_peak_mib: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.crashes and not self.hangs

    def report(self, limit: float) -> str:
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.states.items()))
        lines = [
            f"# hostile and malformed input: the shared corpus ({self.seconds:.0f} s)", "",
            f"- emails: {self.emails} files, {self.messages} messages → {states}; "
            f"{self.acknowledgements} acknowledgements written",
            f"- documents: {self.documents} files → converted {self.converted}, refused "
            f"{sum(self.refusals.values())}",
            f"- crashes: {len(self.crashes)} · hangs (over {limit:.0f} s): {len(self.hangs)}",
            f"- peak memory: sweep process {self.peak_mib:.0f} MiB, conversion worker "
            f"{self.worker_peak_mib:.0f} MiB",
            "- slowest: " + ", ".join(f"{name} {s:.2f} s" for s, name in
                                      sorted(self.slowest, reverse=True)[:5]),
            "", "Why messages were quarantined (what an editor reads):", "",
            *(f"- {n}: {reason}" for reason, n in self.quarantine_reasons.most_common(12)),
            "", "Why documents were refused:", "",
            *(f"- {n}: {reason}" for reason, n in self.refusals.most_common(12)),
        ]
        if self.crashes or self.hangs:
            lines += ["", "Crashes and hangs:", "", *(f"- {c}" for c in self.crashes),
                      *(f"- {h}" for h in self.hangs)]
        lines += ["", "RESULT: " + ("no crash, no hang; every file processed, ignored, "
                                    "quarantined or refused with a reason" if self.ok
                                    else "FAILED: see the crashes and hangs above")]
        return "\n".join(lines)


def _vmhwm_mib(pid: int | str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _measure(sweep: Sweep, name: str, began: float) -> None:
    sweep.slowest.append((time.monotonic() - began, name))
    for child in multiprocessing.active_children():  # the conversion worker
        sweep.worker_peak_mib = max(sweep.worker_peak_mib, _vmhwm_mib(child.pid or 0))


def sweep_emails(sweep: Sweep, files: list[Path], work: Path, limit: float) -> None:
    config = work / "settings.toml"
    config.write_text('[intake]\ndata_dir = "var"\n'
                      '[replies]\nmax_per_sender = 100000\nmax_per_run = 100000\n'
                      '[smtp]\nfrom = "Editors <submissions@journal.example.org>"\n'
                      'transport = "file"\nfile_dir = "sent"\n')
    app = Intake(load_settings(config))
    report = RunReport()
    try:
        for path in files:
            began = time.monotonic()
            try:
                with time_limit(limit):
                    for raw in read_paths([path]):
                        app.accept(raw, report)
                        sweep.messages += 1
                    app.process_pending(report)
            except Hang:
                sweep.hangs.append(f"email {path.relative_to(CORPUS)}")
            except Exception as exc:  # what the run would not survive
                sweep.crashes.append(f"email {path.relative_to(CORPUS)}: "
                                     f"{type(exc).__name__}: {exc}")
            _measure(sweep, str(path.relative_to(CORPUS)), began)
            sweep.emails += 1
        app.deliver(transport_for(app.settings), report)
    finally:
        app.close()
    db = sqlite3.connect(work / "var" / "intake.sqlite3")
    try:
        sweep.states.update(dict(db.execute(
            "SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall()))
        for (reason,) in db.execute("SELECT reason FROM messages WHERE state = 'quarantined'"):
            if str(reason).startswith("intake failed"):
                sweep.crashes.append(f"email quarantined by a bug: {reason}")
            sweep.quarantine_reasons[_gist(str(reason))] += 1
        sweep.acknowledgements = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
    finally:
        db.close()


def sweep_documents(sweep: Sweep, files: list[Path], work: Path, limit: float) -> None:
    for n, path in enumerate(files):
        began = time.monotonic()
        err = io.StringIO()
        try:
            with time_limit(limit), contextlib.redirect_stderr(err), \
                    contextlib.redirect_stdout(io.StringIO()):
                words = convert_to_folder(path, work / "drafts" / str(n))
        except Hang:
            sweep.hangs.append(f"document {path.relative_to(CORPUS)}")
        except Exception as exc:
            sweep.crashes.append(f"document {path.relative_to(CORPUS)}: "
                                 f"{type(exc).__name__}: {exc}")
        else:
            if words is not None:
                sweep.converted += 1
            else:
                said = err.getvalue().splitlines()
                reason = said[0].split(": ", 2)[-1] if said else "refused"
                sweep.refusals[_gist(reason.replace(path.name, "FILE"))] += 1
        _measure(sweep, str(path.relative_to(CORPUS)), began)
        sweep.documents += 1


def _gist(reason: str) -> str:
    """A reason without the parts that name one file, so alike reasons count together."""
    head = reason.split("; ")[0].split(" (raw message")[0]
    return head[:160]


def run(corpus: Path = CORPUS, limit: float = 120.0) -> Sweep:
    sweep = Sweep()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="intake-sweep-") as tmp:
        work = Path(tmp)
        sweep_emails(sweep, _files(corpus / "emails"), work, limit)
        sweep_documents(sweep, _files(corpus / "docx") + _files(corpus / "other"), work,
                        limit)
    sweep.peak_mib = _vmhwm_mib("self")
    sweep.seconds = time.monotonic() - began
    return sweep


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=float, default=120.0, help="seconds per file")
    args = parser.parse_args()
    if not (args.corpus / "emails").is_dir():
        raise SystemExit(f"no corpus at {args.corpus}: set INTAKE_CORPUS or --corpus")
    sweep = run(args.corpus, args.limit)
    print(sweep.report(args.limit))
    return 0 if sweep.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
