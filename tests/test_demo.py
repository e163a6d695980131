"""`intake demo` from the real entry point: drafts and acknowledgements, nothing twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _demo(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "intake", "demo", "--dir", str(folder)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_demo_shows_drafts_and_acknowledgements(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    first = _demo(folder)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == ("fetched 6 · new 4 · revisions 1 · ignored 1 · "
                                            "quarantined 0 · sent 5 · pending 0")
    drafts = sorted((folder / "var" / "drafts").glob("*/draft.md"))
    assert len(drafts) == 4
    assert all(str(d) in first.stdout for d in drafts)
    sent = sorted((folder / "var" / "sent").glob("*.eml"))
    assert len(sent) == 5
    assert "Auto-Submitted: auto-replied" in sent[0].read_text()
    assert "ignored" in first.stdout and "Auto-Submitted: auto-replied" in first.stdout

    second = _demo(folder)
    assert second.returncode == 0, second.stderr
    assert "new 0" in second.stdout and "sent 0" in second.stdout
    assert len(list((folder / "var" / "sent").glob("*.eml"))) == 5
