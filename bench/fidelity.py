"""Fidelity report: intake's Markdown against pandoc's, document by document.

For every .docx in a folder (default: ../shared/corpus/docx) it counts, in both
outputs: words, headings, list items, links, images, tables and footnotes. A
row is marked where intake recovers fewer words or fewer of a structure than
pandoc. pandoc (Debian's package) is the reference only; it is not a dependency.

Usage: .venv/bin/python bench/fidelity.py [FOLDER] [--markdown-out FILE]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, fields
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from intake.convert import ConversionError, convert_document  # noqa: E402
from intake.convert.markdown import count_words  # noqa: E402
from intake.core.sniff import sniff  # noqa: E402

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|<img\b", re.I)
_LINK = re.compile(r"(?<!!)\[[^\]]+\]\((?!assets/|media/)[^)]+\)|<a\s[^>]*href=", re.I)
_HEADING = re.compile(r"^#{1,6}\s+\S", re.M)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.M)
_TABLE = re.compile(r"^\|?\s*:?-{3,}.*\|\s*$|<table\b", re.M | re.I)
_FOOTNOTE = re.compile(r"^\[\^[^\]]+\]:", re.M)
_HTML_TAG = re.compile(r"<[^>]+>")


@dataclass
class Counts:
    words: int = 0
    headings: int = 0
    list_items: int = 0
    links: int = 0
    images: int = 0
    tables: int = 0
    footnotes: int = 0

    @classmethod
    def of(cls, markdown: str) -> Counts:
        text = _HTML_TAG.sub(" ", markdown)
        return cls(words=count_words(text), headings=len(_HEADING.findall(markdown)),
                   list_items=len(_LIST_ITEM.findall(markdown)),
                   links=len(_LINK.findall(markdown)), images=len(_IMAGE.findall(markdown)),
                   tables=len(_TABLE.findall(markdown)),
                   footnotes=len(_FOOTNOTE.findall(markdown)))

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def pandoc(path: Path) -> str | None:
    done = subprocess.run(["pandoc", "-f", "docx", "-t", "gfm", "--wrap=none", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    return done.stdout if done.returncode == 0 else None


def intake(path: Path) -> str | None:
    """The draft as an editor sees it: the title (front matter) above the body."""
    data = path.read_bytes()
    try:
        result = convert_document(path.name, data, sniff(data))
    except ConversionError:
        return None
    return f"{result.title}\n\n{result.markdown}" if result.title else result.markdown


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", type=Path,
                        default=REPO.parent / "shared" / "corpus" / "docx")
    parser.add_argument("--markdown-out", type=Path, default=None,
                        help="also write the report as Markdown to this file")
    args = parser.parse_args()
    if shutil.which("pandoc") is None:
        raise SystemExit("pandoc is needed for the comparison: apt-get install pandoc")
    names = [f.name for f in fields(Counts)]
    lines = ["| file | " + " | ".join(f"{n} (intake/pandoc)" for n in names) + " |",
             "|---" * (len(names) + 1) + "|"]
    total_i, total_p = Counts(), Counts()
    both = behind = only_intake = only_pandoc = 0
    behind_files: list[str] = []
    for path in sorted(args.folder.rglob("*.docx")):
        mine, theirs = intake(path), pandoc(path)
        label = f"{path.parent.name}/{path.name}"
        if mine is None or theirs is None:
            only_intake += mine is not None and theirs is None
            only_pandoc += theirs is not None and mine is None
            lines.append(f"| {label} | " + ("intake refused" if mine is None else "")
                         + ("pandoc failed" if theirs is None else "") + " |")
            continue
        both += 1
        ci, cp = Counts.of(mine), Counts.of(theirs)
        total_i.add(ci)
        total_p.add(cp)
        short = [n for n in names if getattr(ci, n) < getattr(cp, n)]
        if short:
            behind += 1
            behind_files.append(f"{label}: {', '.join(short)}")
        cells = [f"{getattr(ci, n)}/{getattr(cp, n)}{' ◀' if n in short else ''}"
                 for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| **total** | " + " | ".join(
        f"**{getattr(total_i, n)}/{getattr(total_p, n)}**" for n in names) + " |")
    summary = [
        f"{both} files read by both; intake refused {only_pandoc} that pandoc read, pandoc "
        f"failed on {only_intake} that intake read.",
        f"Files where intake recovers less than pandoc of something (◀): {behind}.",
        *[f"  - {f}" for f in behind_files],
    ]
    report = "\n".join([*lines, "", *summary])
    print(report)
    if args.markdown_out:
        args.markdown_out.parent.mkdir(parents=True, exist_ok=True)
        args.markdown_out.write_text("# Fidelity: intake against pandoc "
                                     f"{_pandoc_version()}\n\n{report}\n")


def _pandoc_version() -> str:
    done = subprocess.run(["pandoc", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.split("\n", 1)[0].removeprefix("pandoc ")


if __name__ == "__main__":
    main()
