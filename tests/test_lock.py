"""Two overlapping runs never process at once: the second exits 75 at once."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from intake.core.config import load_settings
from intake.core.runlock import run_lock


def test_second_run_exits_75_promptly(make_config: Callable[..., Path], tmp_path: Path) -> None:
    config = make_config()
    inbox = tmp_path / "in"
    inbox.mkdir()
    settings = load_settings(config)
    with run_lock(settings.data_dir):
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config),
                               "ingest", str(inbox)], capture_output=True, text=True,
                              timeout=60, check=False)
        elapsed = time.monotonic() - started
    assert done.returncode == 75
    assert "another intake run holds" in done.stderr
    assert elapsed < 20  # promptly: it does not wait for the lock
    # Released with the holder: the next run goes ahead.
    after = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "ingest",
                            str(inbox)], capture_output=True, text=True, timeout=60,
                           check=False)
    assert after.returncode == 0, after.stderr
    assert after.stdout.startswith("fetched 0")
