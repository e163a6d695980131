"""A progress bar (count, rate, time left) for long runs on a terminal, from rich.

Only when a person watches: stderr is a terminal, neither -q nor JSON logs, and the run
has more than a handful of messages; cron and log collectors never see it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_WORTH_SHOWING = 20  # messages: fewer than this are done before a bar would help


@contextmanager
def progress_bar(args: argparse.Namespace) -> Iterator[Callable[[int, int], None] | None]:
    if args.quiet or args.log_format == "json" or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("processing"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                   console=Console(file=getattr(sys.stderr, "raw_stream", sys.stderr)),
                   transient=True)
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if total < _WORTH_SHOWING:
            return
        if task is None:
            bar.start()
            task = bar.add_task("processing", total=total, rate="")
        speed = bar.tasks[0].speed
        bar.update(task, completed=done, total=total,
                   rate=f"{speed:.1f} msg/s" if speed else "")

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()
