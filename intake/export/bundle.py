"""A publication bundle from a draft: Markdown with front matter, images, HTML, and
optionally a Word file for teams that edit there.

The HTML comes from intake.export.html (rendered, then sanitised: nothing in the
page may run or fetch anything; images are only the bundle's own).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from intake.export.html import author_of, render_html
from intake.ledger import Submission
from intake.ledger.store import read_draft, render_draft, write_atomic

Format = Literal["markdown", "docx"]

@dataclass
class Exported:
    folder: Path
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a format could not carry


def export_bundle(sub: Submission, draft_dir: Path, target: Path, formats: set[Format],
                  *, overwrite: bool = False) -> Exported:
    """Write target/<REFERENCE>/ with <REFERENCE>.md, .html, assets/ (and .docx)."""
    folder = target / sub.reference
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise FileExistsError(f"{folder} already holds an export; add --force to replace it")
    draft = draft_dir / "draft.md"
    front, body = read_draft(draft)
    front.update(status=sub.status.value, title=sub.title)
    result = Exported(folder)
    folder.mkdir(parents=True, exist_ok=True)
    assets = draft_dir / "assets"
    if assets.is_dir():
        shutil.rmtree(folder / "assets", ignore_errors=True)
        shutil.copytree(assets, folder / "assets")
        result.files.append(folder / "assets")
    if "markdown" in formats:
        md = folder / f"{sub.reference}.md"
        write_atomic(md, render_draft(front, body).encode())
        page = folder / f"{sub.reference}.html"
        write_atomic(page, render_html(body, sub.title, author_of(front)).encode())
        result.files += [md, page]
    if "docx" in formats:
        from intake.export.word import write_docx

        docx = folder / f"{sub.reference}.docx"
        result.notes += write_docx(body, front, draft_dir, docx)
        result.files.append(docx)
    return result
