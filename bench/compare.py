"""Compare `intake poll` at two revisions, alternated, on the same mailbox and servers.

On a shared virtual machine one run's time is not a figure: the same run varies by a
quarter, and more when the host is busy. Two versions are compared only alternated,
many times, each against the floor measured just before it, and by their medians.

Each revision is exported (git archive; WORKTREE: the files as they are now) to a
folder of its own, and every run starts outside the checkout: `python -c` puts the
current folder ahead of PYTHONPATH, so a run started from the checkout would import
the working tree whatever PYTHONPATH says. Which copy each run imported is checked.

Usage: .venv/bin/python bench/compare.py [--n 500] [--rounds 8] REV_A REV_B
Needs Dovecot (apt-get install dovecot-imapd). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import trustme  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from bench.poll_bench import PY, one_round, submissions  # noqa: E402
from tests.conftest import SinkHandler, free_port  # noqa: E402
from tests.dovecot import PASSWORD, Dovecot  # noqa: E402

WORKTREE = "WORKTREE"
SHIPPED = ("intake", "templates")


def export(revision: str, into: Path) -> Path:
    """The package as it is at revision, in a folder of its own."""
    into.mkdir(parents=True)
    if revision == WORKTREE:
        for name in SHIPPED:
            shutil.copytree(REPO / name, into / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        return into
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, *SHIPPED],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def stolen() -> float:
    """Seconds of processor time the host has taken from this machine so far."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="intake-compare-"))
    os.chdir(work)  # see the module's note: never from the checkout
    trees = {rev: export(rev, work / f"tree-{n}") for n, rev in enumerate((args.a, args.b))}
    for rev, tree in trees.items():
        env = {**os.environ, "PYTHONPATH": str(tree)}
        found = subprocess.run([PY, "-c", "import intake; print(intake.__file__)"],
                               capture_output=True, text=True, env=env, check=True).stdout
        assert found.startswith(str(tree)), f"{rev} would import {found.strip()}"

    server = Dovecot.start(trustme.CA())
    sink = SinkHandler()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    times: dict[str, list[tuple[float, float]]] = {rev: [] for rev in trees}
    work_done: dict[str, list[float]] = {rev: [] for rev in trees}
    try:
        mail = submissions(args.n)
        print(f"{args.n} submissions, {args.rounds} rounds, {os.cpu_count()} cores")
        runs = 0
        for _ in range(args.rounds):
            for rev, tree in trees.items():
                runs += 1
                user = f"run{runs}"
                env = {**os.environ, "BENCH_IMAP_PASSWORD": PASSWORD, "PYTHONPATH": str(tree)}
                before = stolen()
                done = one_round(server, smtp_port, work, user, mail, sink, env)
                times[rev].append((done.poll_s, done.floor_s))
                work_done[rev].append(done.processor_s)
                print(f"{rev:>12}  floor {done.floor_s:6.2f} s  poll {done.poll_s:6.2f} s  "
                      f"({done.poll_s / done.floor_s:.1f}x)  processor "
                      f"{done.processor_s:6.2f} s  peak {done.poll_mb:5.1f} MiB  "
                      f"stolen by the host {stolen() - before:5.2f} s", flush=True)
                shutil.rmtree(work / user, ignore_errors=True)
    finally:
        controller.stop()
        server.stop()
    a, b = (times[rev] for rev in trees)
    wins = sum(pa < pb for (pa, _), (pb, _) in zip(a, b, strict=True))
    for rev, runs_of in times.items():
        polls = [p for p, _ in runs_of]
        print(f"{rev:>12}  median poll {statistics.median(polls):6.2f} s, median of "
              f"poll/floor {statistics.median(p / f for p, f in runs_of):.2f}, median "
              f"processor time {statistics.median(work_done[rev]):6.2f} s")
    print(f"{args.a} faster than {args.b} in {wins} of {len(a)} rounds")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
