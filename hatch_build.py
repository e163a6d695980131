"""Build hook: a wheel built from a git checkout carries the commit it was built from
(intake/_commit.txt), which `intake --version` says. Editable installs ask git instead."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        try:
            found = subprocess.run(["git", "-C", self.root, "rev-parse", "--short=12",  # noqa: S607
                                    "HEAD"], capture_output=True, text=True, timeout=10,
                                   check=False)
        except (OSError, subprocess.TimeoutExpired):
            return
        if found.returncode != 0:
            return
        dirty = subprocess.run(["git", "-C", self.root, "status", "--porcelain",  # noqa: S607
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=10, check=False).stdout.strip()
        note = Path(tempfile.mkdtemp()) / "_commit.txt"
        note.write_text(found.stdout.strip() + (" with local changes" if dirty else "")
                        + "\n", encoding="utf-8")
        build_data["force_include"][str(note)] = "intake/_commit.txt"
