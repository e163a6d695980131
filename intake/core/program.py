"""How to name this program in a hint the user can paste and run."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def program(absolute: bool = False) -> str:
    """"intake" when that is what the shell runs; otherwise the path that was run (such
    as .venv/bin/intake before the virtual environment is activated). absolute: a path
    that works from any folder (cron starts in $HOME with a short PATH)."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    on_path = shutil.which("intake")
    if started is None or started.name != "intake":
        if on_path and absolute:
            return str(Path(on_path).resolve())
        return "intake" if on_path else f"{sys.executable} -m intake"
    if absolute:
        return str(started.resolve())
    if on_path and Path(on_path).resolve() == started.resolve():
        return "intake"
    try:
        shown = os.path.relpath(started)
    except ValueError:
        shown = str(started)
    return shown if shown.startswith((".", "/")) else f"./{shown}"
