"""An application's papers side by side on the desk: the cover letter and the CV, each
a PDF or Word file converted as any manuscript is (in an isolated worker, within the
same time and memory limits), and the contact details in them (addresses, telephone
numbers, email addresses, postcodes: the privacy screen's finds) marked as private.

A paper is converted the first time its page is read, and kept beside the draft
(papers/SHA256.md), so that later views cost a file read. A letter written in the
draft itself (a letter taken as the manuscript, or the message's own words) stands for
the cover letter when no file is one.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from intake.convert.isolated import convert_isolated
from intake.convert.safety import ConversionError
from intake.core import confine
from intake.core.config import Settings
from intake.core.models import FileType
from intake.drafts.build import conversion_limits
from intake.drafts.privacy import screen
from intake.export.html import safe_html, with_marks
from intake.ledger import Submission
from intake.ledger.store import read_draft

ROLES = ("cover letter", "cv")
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_PHONE = re.compile(r"\+?\d[\d ()./-]{7,18}\d")
_MAX_READ = 25 * 1024 * 1024
_CONVERTING = threading.Lock()


@dataclass(frozen=True)
class Paper:
    role: str  # "cover letter" or "cv"
    name: str  # the file's name, or "the message"
    html: str  # sanitised, contact details marked
    private: int  # how many contact details are marked
    problem: str = ""  # why it could not be read


def papers(settings: Settings, sub: Submission) -> list[Paper]:
    """The cover letter first, then the CV(s)."""
    if not sub.draft_dir:
        return []
    folder = settings.data_dir / sub.draft_dir
    try:
        front, body = read_draft(folder / "draft.md")
    except (OSError, ValueError):
        return []
    found: list[Paper] = []
    for source in front.get("source_files") or []:
        if not isinstance(source, dict) or source.get("role") not in ROLES:
            continue
        found.append(_paper(settings, folder, str(source.get("role")),
                            str(source.get("name", "")), str(source.get("type", "")),
                            str(source.get("sha256", ""))))
    if not any(p.role == "cover letter" for p in found) and body.strip():
        # The draft itself: a letter taken as the manuscript, or the message's own words.
        taken = next((str(f.get("name", "")) for f in front.get("source_files") or []
                      if isinstance(f, dict) and f.get("role") == "manuscript"), "")
        found.append(_marked("cover letter", taken or "the message", body))
    return sorted(found, key=lambda p: ROLES.index(p.role))


def _paper(settings: Settings, folder: Path, role: str, name: str, kind: str,
           sha256: str) -> Paper:
    try:
        file_type = FileType(kind)
    except ValueError:
        return Paper(role, name, "", 0, f"{kind or 'this file'} cannot be read here")
    if not file_type.is_document:
        return Paper(role, name, "", 0, "not a document")
    cached = folder / "papers" / f"{re.sub(r'[^0-9a-f]', '', sha256)[:64] or 'x'}.md"
    if cached.is_file():
        return _marked(role, name, cached.read_text(encoding="utf-8"))
    try:
        path = confine.inside(folder / "original", name)
        data = path.read_bytes()[:_MAX_READ]
        with _CONVERTING:  # the worker pool is the process's, and the desk has threads
            converted = convert_isolated(name, data, file_type,
                                         conversion_limits(settings.drafts))
    except confine.OutsideFolder:
        return Paper(role, name, "", 0, "not one of the submission's own files")
    except OSError as exc:
        return Paper(role, name, "", 0, f"it cannot be read ({exc.strerror})")
    except ConversionError as exc:
        return Paper(role, name, "", 0, exc.reason)
    markdown = converted.markdown
    _keep(cached, markdown)
    return _marked(role, name, markdown)


def _marked(role: str, name: str, markdown: str) -> Paper:
    """The paper as sanitised HTML, its contact details marked."""
    found = {f.match or f.excerpt for f in screen(markdown) if f.match or f.excerpt}
    found |= set(_EMAIL.findall(markdown)) | {m.strip() for m in _PHONE.findall(markdown)}
    html = with_marks(safe_html(markdown), sorted(found))
    return Paper(role, name, html, len(found))


def _keep(path: Path, markdown: str) -> None:
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(markdown, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a cache: the next view converts again
