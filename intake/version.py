"""The version, and the commit this copy of intake was built from.

A wheel carries the commit in intake/_commit.txt (written by hatch_build.py when the
wheel is built from a git checkout); a checkout run in place asks git. Either may be
missing (a source tarball): then the version alone is said.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from intake import __version__

_HERE = Path(__file__).resolve().parent


def commit() -> str:
    built = _HERE / "_commit.txt"
    try:
        return built.read_text(encoding="utf-8").strip()[:40]
    except OSError:
        pass
    if not (_HERE.parent / ".git").exists():
        return ""
    try:
        found = subprocess.run(["git", "-C", str(_HERE.parent), "rev-parse", "--short=12",  # noqa: S607
                                "HEAD"], capture_output=True, text=True, timeout=5,
                               check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return found.stdout.strip() if found.returncode == 0 else ""


def described() -> str:
    built = commit()
    return f"intake {__version__}" + (f" (commit {built})" if built else "")
