"""The benchmark report: end-to-end time against mailbox size and batch size (measured
here, plotted), with the latest figures of every benchmark and evidence suite.

Writes bench/results/report.md and bench/results/scaling.svg. The scaling run seeds a
private Dovecot with N submissions (a ~2,000-word .docx with an image each), then
times `intake poll` from a fresh ledger for each [imap] batch_size, and the floor
(raw BODY.PEEK[] fetch + document XML parse) for each N, in the same run.

Usage: .venv/bin/python bench/report.py [--sizes 100,300,1000] [--batches 10,50,200]
       .venv/bin/python bench/report.py --assemble   (rebuild report.md and the plot
                                                      from the latest results)
Needs Dovecot, and matplotlib (pip install -e '.[bench]').
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import trustme  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from bench.poll_bench import FLOOR, INTAKE, PY, run_measured, seed_maildir, settings  # noqa: E402
from bench.poll_bench import submissions as make_submissions  # noqa: E402
from tests.conftest import SinkHandler, free_port  # noqa: E402
from tests.dovecot import PASSWORD, Dovecot, dovecot_binary  # noqa: E402

RESULTS = REPO / "bench" / "results"
SCALING = RESULTS / "scaling-latest.json"


@dataclass
class Point:
    mailbox: int
    batch: int
    seconds: float
    peak_mib: float
    floor_seconds: float


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, IndexError, ValueError):
        memory = "? GiB"
    binary = dovecot_binary()
    dovecot = (subprocess.run([binary, "--version"], capture_output=True, text=True,
                              check=False).stdout.split()[0] if binary else "not installed")
    return (f"{cpu}, {os.cpu_count()} cores, {memory}; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}; Dovecot {dovecot}")


def measure(sizes: list[int], batches: list[int]) -> list[Point]:
    env = {**os.environ, "BENCH_IMAP_PASSWORD": PASSWORD}
    server = Dovecot.start(trustme.CA())
    sink = SinkHandler()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    points: list[Point] = []
    try:
        with tempfile.TemporaryDirectory(prefix="intake-report-") as tmp:
            for n in sizes:
                user = f"size{n}"
                seed_maildir(server, user, make_submissions(n))
                floor, _, out = run_measured([PY, "-c", FLOOR, str(server.port), user,
                                              PASSWORD], env)
                assert int(out) == n, out
                for batch in batches:
                    config = settings(Path(tmp) / f"{n}-{batch}", server.port, smtp.port,
                                      user, after=f'after = "leave"\nbatch_size = {batch}')
                    before = len(sink.messages)
                    seconds, peak, out = run_measured(
                        [PY, "-c", INTAKE, "-q", "--config", str(config), "poll"], env)
                    assert len(sink.messages) - before == n, out
                    points.append(Point(n, batch, seconds, peak, floor))
                    print(f"mailbox {n:>5,} · batch {batch:>4}: {seconds:7.2f} s "
                          f"({seconds / n * 1000:5.1f} s per 1,000) · peak {peak:5.1f} MiB · "
                          f"floor {floor:5.2f} s", flush=True)
    finally:
        smtp.stop()
        server.stop()
    return points


def plot(points: list[Point], out: Path) -> None:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    sizes = sorted({p.mailbox for p in points})
    batches = sorted({p.batch for p in points})
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for batch in batches:
        row = sorted((p for p in points if p.batch == batch), key=lambda p: p.mailbox)
        left.plot([p.mailbox for p in row], [p.seconds for p in row], marker="o",
                  label=f"intake poll, batch {batch}")
    floors = {p.mailbox: p.floor_seconds for p in points}
    left.plot(sizes, [floors[s] for s in sizes], linestyle="--", color="grey",
              label="floor: raw fetch + XML parse")
    left.set(xlabel="submissions in the mailbox", ylabel="seconds, end to end",
             title="Time against mailbox size")
    left.legend(fontsize=8)
    largest = max(sizes)
    row = sorted((p for p in points if p.mailbox == largest), key=lambda p: p.batch)
    right.plot([p.batch for p in row], [p.seconds / largest * 1000 for p in row], marker="o",
               label="time")
    right.set(xscale="log", xlabel="[imap] batch_size (messages per FETCH)",
              ylabel="seconds per 1,000 submissions",
              title=f"Batch size: time and memory ({largest:,} submissions)")
    right.set_ylim(bottom=0)
    memory = right.twinx()  # what a larger batch costs instead
    memory.plot([p.batch for p in row], [p.peak_mib for p in row], marker="s",
                linestyle=":", color="tab:red", label="peak memory")
    memory.set_ylabel("peak memory, MiB", color="tab:red")
    memory.set_ylim(bottom=0)
    right.legend(handles=[*right.get_lines(), *memory.get_lines()], fontsize=8,
                 loc="lower right")
    fig.tight_layout()
    fig.savefig(out, metadata={"Date": None})  # no timestamp: the file changes only with data
    plt.close(fig)


def _section(name: str, title: str, fence: bool = True) -> list[str]:
    path = RESULTS / name
    if not path.exists():
        return [f"## {title}", "", f"Not run yet (`{name}` is missing).", ""]
    when = time.strftime("%Y-%m-%d", time.gmtime(path.stat().st_mtime))
    body = path.read_text().strip()
    if not fence:  # already Markdown: its headings one level down
        body = "\n".join("#" + line if line.startswith("# ") else line
                         for line in body.splitlines())
        return [f"## {title}", "", f"_{name}, {when}_", "", body, ""]
    return [f"## {title}", "", f"_{name}, {when}_", "", "```", body, "```", ""]


def assemble(about: str) -> str:
    lines = ["# intake: benchmark and evidence report", "",
             f"Machine: {about}.", ""]
    if SCALING.exists():
        data = json.loads(SCALING.read_text())
        points = [Point(**p) for p in data["points"]]
        lines += ["## End to end: time against mailbox size and batch size", "",
                  f"_measured {data['date']} on {data['machine']}_", "",
                  "![time against mailbox size and batch size](scaling.svg)", "",
                  "| submissions | batch size | intake poll | per 1,000 | peak memory "
                  "| floor | times the floor |", "|---:|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {p.mailbox:,} | {p.batch} | {p.seconds:.1f} s | "
                  f"{p.seconds / p.mailbox * 1000:.1f} s | {p.peak_mib:.0f} MiB | "
                  f"{p.floor_seconds:.2f} s | {p.seconds / p.floor_seconds:.1f} |"
                  for p in points]
        lines += ["", "Each run starts from an empty ledger and takes the whole mailbox: "
                  "fetch, convert, triage, draft, acknowledge over SMTP (aiosmtpd), record. "
                  "The floor fetches the same messages raw and parses each document's XML.",
                  ""]
    lines += _section("crash-latest.txt", "Crash injection (never lose, never answer twice)")
    lines += _section("faults-latest.md", "Server faults", fence=False)
    lines += _section("inputs-latest.md", "Hostile and malformed input: the corpus",
                      fence=False)
    lines += _section("properties-latest.txt", "Property and security tests (full profile)")
    lines += _section("poll-latest.txt", "Polling: throughput, memory, idle cost")
    lines += _section("convert-latest.txt", "Documents: conversion speed against peers")
    lines += _section("fidelity-latest.md", "Documents: fidelity against pandoc", fence=False)
    lines += _section("hostile-latest.txt", "Documents: hostile files and their memory")
    lines += _section("triage-latest.txt", "Triage: precision and recall, cross-validated")
    lines += _section("triage-holdout-latest.txt", "Triage: the held-out set")
    lines += _section("queue-latest.txt", "Editors' queue with 10,000 submissions")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000")
    parser.add_argument("--batches", default="10,50,200")
    parser.add_argument("--assemble", action="store_true",
                        help="only rebuild report.md from the latest results")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    about = machine()
    if not args.assemble:
        points = measure([int(s) for s in args.sizes.split(",")],
                         [int(b) for b in args.batches.split(",")])
        SCALING.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "machine": about,
                                       "points": [asdict(p) for p in points]}, indent=1))
    if SCALING.exists():
        plot([Point(**p) for p in json.loads(SCALING.read_text())["points"]],
             RESULTS / "scaling.svg")
    (RESULTS / "report.md").write_text(assemble(about) + "\n")
    print(f"wrote {RESULTS / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
