"""Conversion speed and memory: intake against pandoc and mammoth, on the same documents.

Every .docx in the folder (default ../shared/corpus/docx) that all three read is
converted by:
  - intake in one process (how the pipeline converts),
  - intake through its isolated worker process (what a poll run really does),
  - mammoth's Python API in one process (docx → Markdown),
  - pandoc, one process per document, as a user would run it.
Each runs in its own child process; peak memory is that child's (VmHWM, or for
pandoc the largest of its processes).

Usage: .venv/bin/python bench/convert_bench.py [FOLDER] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable

HWM = ("import atexit, sys\n"
       "atexit.register(lambda: sys.stderr.write('\\nVmHWM ' + open('/proc/self/status')"
       ".read().split('VmHWM:')[1].split()[0] + '\\n'))\n")

RUNNERS = {
    "intake (in process)": HWM + textwrap.dedent("""
        import json
        from intake.convert import convert_document
        from intake.core.sniff import sniff
        for path in json.load(sys.stdin):
            data = open(path, "rb").read()
            convert_document(path, data, sniff(data))
    """),
    "intake (isolated worker)": HWM + textwrap.dedent("""
        import json
        from intake.convert.isolated import convert_isolated
        from intake.convert.jobs import Limits
        from intake.core.sniff import sniff
        for path in json.load(sys.stdin):
            data = open(path, "rb").read()
            convert_isolated(path, data, sniff(data), Limits())
    """),
    "mammoth (in process)": HWM + textwrap.dedent("""
        import json, mammoth
        for path in json.load(sys.stdin):
            with open(path, "rb") as fh:
                mammoth.convert_to_markdown(fh)
    """),
    "pandoc (a process per document)": textwrap.dedent("""
        import json, resource, subprocess, sys
        for path in json.load(sys.stdin):
            subprocess.run(["pandoc", "-f", "docx", "-t", "gfm", "--wrap=none", path],
                           stdout=subprocess.DEVNULL, check=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        sys.stderr.write(f"\\nVmHWM {peak}\\n")
    """),
}


def readable_by_all(folder: Path) -> list[str]:
    """Documents every converter reads, so all are timed on the same work."""
    probe = textwrap.dedent("""
        import json, subprocess, sys, mammoth
        from intake.convert import ConversionError, convert_document
        from intake.core.sniff import sniff
        ok = []
        for path in json.load(sys.stdin):
            data = open(path, "rb").read()
            try:
                convert_document(path, data, sniff(data))
                with open(path, "rb") as fh:
                    mammoth.convert_to_markdown(fh)
            except (ConversionError, Exception):
                continue
            done = subprocess.run(["pandoc", "-f", "docx", "-t", "gfm", path],
                                  capture_output=True, check=False)
            if done.returncode == 0:
                ok.append(path)
        print(json.dumps(ok))
    """)
    paths = [str(p) for p in sorted(folder.rglob("*.docx"))]
    done = subprocess.run([PY, "-c", probe], input=json.dumps(paths), capture_output=True,
                          text=True, cwd=REPO, check=True)
    found: list[str] = json.loads(done.stdout)
    return found


def measure(script: str, paths: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    done = subprocess.run([PY, "-c", script], input=json.dumps(paths), capture_output=True,
                          text=True, cwd=REPO, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return elapsed, int(done.stderr.rsplit("VmHWM ", 1)[1].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", type=Path,
                        default=REPO.parent / "shared" / "corpus" / "docx")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    if shutil.which("pandoc") is None:
        raise SystemExit("pandoc is needed for the comparison: apt-get install pandoc")
    paths = readable_by_all(args.folder)
    size = sum(Path(p).stat().st_size for p in paths) / 1024 / 1024
    print(f"{len(paths)} documents read by all three ({size:.1f} MiB), best of {args.rounds}")
    for name, script in RUNNERS.items():
        runs = [measure(script, paths) for _ in range(args.rounds)]
        seconds = min(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        print(f"{name:<34} {seconds:7.2f} s  {len(paths) / seconds:7.1f} docs/s  "
              f"peak {peak:6.1f} MiB")


if __name__ == "__main__":
    main()
