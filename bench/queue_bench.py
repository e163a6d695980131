"""`intake queue` on a ledger of 10,000 submissions: how long editors wait for their list.

Builds a ledger with N submissions (mixed statuses, kinds, assignees, ages, warnings),
then times the real CLI in this process (median of several runs, output discarded)
for the filters editors use, next to the floor: the same rows fetched by bare SQL
in the same run. Also prints each query's plan, to show it uses an index. A whole
`intake queue` process (interpreter start included) is timed once per filter set.

Usage: .venv/bin/python bench/queue_bench.py [--rows 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from intake.cli import main  # noqa: E402
from intake.core.models import Classification, Status  # noqa: E402
from intake.ledger import EventName, Ledger  # noqa: E402

KINDS = ("guest_post", "sponsored", "application", "contest", "other")
EDITORS = ("ana", "ben", "cara", None)
SETTINGS = """[intake]
data_dir = "var"
[smtp]
from = "Ed <ed@journal.example.org>"
transport = "file"
file_dir = "sent"
[editors.ana]
name = "Ana"
email = "ana@journal.example.org"
[editors.ben]
name = "Ben"
email = "ben@journal.example.org"
[editors.cara]
name = "Cara"
email = "cara@journal.example.org"
"""

# (label, CLI arguments, the floor: bare SQL for the same rows)
QUERIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("default (awaiting editors)", (),
     "SELECT * FROM submissions WHERE status IN ('triage','queued','in_review','quarantined') "
     "ORDER BY received, id"),
    ("--assignee ana", ("--assignee", "ana"),
     "SELECT * FROM submissions WHERE status IN ('triage','queued','in_review','quarantined') "
     "AND assignee = 'ana' ORDER BY received, id"),
    ("--kind sponsored --older-than 30", ("--kind", "sponsored", "--older-than", "30"),
     "SELECT * FROM submissions WHERE status IN ('triage','queued','in_review','quarantined') "
     "AND kind = 'sponsored' AND received < '{cutoff}' ORDER BY received, id"),
    ("--status all --json", ("--status", "all", "--json"),
     "SELECT * FROM submissions ORDER BY received, id"),
)


def build(folder: Path, rows: int) -> Path:
    config = folder / "settings.toml"
    config.write_text(SETTINGS, encoding="utf-8")
    ledger = Ledger(folder / "var" / "intake.sqlite3")
    rng = random.Random(6)
    statuses = [s for s in Status if s is not Status.IGNORED]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with ledger.transaction():
        for n in range(rows):
            received = (start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
                        ).isoformat(timespec="seconds")
            sub = ledger.add_submission(
                reference=f"JPMS-2026-{n + 1:05d}", kind=rng.choice(KINDS),
                status=rng.choice(statuses), title=f"Article number {n}",
                author_name="A. Author", author_email=f"author{n % 900}@uni.example.org",
                subject=f"Guest post {n}", received=received, message_id=f"<m{n}@x>",
                word_count=rng.randrange(300, 4000),
                warnings=["Your article is long."] * rng.randrange(3),
                classification=Classification("guest_post", 7, ("subject",)),
                reason=None, draft_dir=f"drafts/JPMS-2026-{n + 1:05d}")
            ledger.update_submission(sub, assignee=rng.choice(EDITORS))
            for event in (EventName.RECEIVED, EventName.CLASSIFIED, EventName.DRAFTED):
                ledger.add_event(event, submission_id=sub, detail="x")
    ledger.close()
    return config


def time_cli(args: tuple[str, ...], config: Path, repeat: int) -> tuple[float, int]:
    times, lines = [], 0
    for _ in range(repeat):
        out = io.StringIO()
        began = time.perf_counter()
        with contextlib.redirect_stdout(out):
            code = main(["--config", str(config), "queue", *args])
        times.append(time.perf_counter() - began)
        assert code == 0
        lines = out.getvalue().count("\n")
    return statistics.median(times), lines


def time_sql(db: sqlite3.Connection, sql: str, repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        began = time.perf_counter()
        count = len(db.execute(sql).fetchall())
        times.append(time.perf_counter() - began)
    return statistics.median(times), count


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    cutoff = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    print(f"# intake queue with {args.rows:,} submissions")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        config = build(Path(tmp), args.rows)
        print(f"ledger built in {time.perf_counter() - began:.1f} s "
              f"({(Path(tmp) / 'var' / 'intake.sqlite3').stat().st_size / 1e6:.1f} MB)\n")
        db = sqlite3.connect(Path(tmp) / "var" / "intake.sqlite3")
        db.row_factory = sqlite3.Row
        print("| filter | rows | intake queue (in process) | floor: bare SQL | "
              "whole process |")
        print("| --- | ---: | ---: | ---: | ---: |")
        plans = []
        for label, cli_args, sql in QUERIES:
            sql = sql.format(cutoff=cutoff)
            cli_s, lines = time_cli(cli_args, config, args.repeat)
            sql_s, count = time_sql(db, sql, args.repeat)
            began = time.perf_counter()
            subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "queue",
                            *cli_args], check=True, stdout=subprocess.DEVNULL,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
            whole = time.perf_counter() - began
            print(f"| {label} | {count:,} | {cli_s * 1000:.0f} ms | {sql_s * 1000:.0f} ms | "
                  f"{whole * 1000:.0f} ms |")
            plan = " / ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql))
            plans.append(f"{label}: {plan}")
            if "--json" in cli_args:
                assert lines == count, (lines, count)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        for what, code in (("python -c pass", "pass"),
                           ("python -c 'import intake.cli'", "import intake.cli")):
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            print(f"floor of a whole process: {what}: "
                  f"{(time.perf_counter() - began) * 1000:.0f} ms")
        print("\nquery plans:")
        for line in plans:
            print(f"  {line}")
        db.close()


if __name__ == "__main__":
    main_bench()
