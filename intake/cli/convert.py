"""`intake convert FILE... [-o DIR]`: the draft converter on files and folders, no mail.

Many files are converted in one process, two at a time: each document goes to one of
the isolated workers (the same limits as a poll) while the next is read and sent to
the other. A summary ends the run.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

from intake.convert import ConversionError
from intake.convert.isolated import convert_isolated, prefetch
from intake.convert.jobs import Limits
from intake.core.errors import ExitCode, IntakeError
from intake.core.filenames import safe_filename
from intake.core.models import Attachment, FileType
from intake.core.sniff import sniff
from intake.drafts.sections import find_sections
from intake.ledger.store import write_draft_folder

# What a folder is searched for: documents, by their names (a folder's other files
# are not authors' manuscripts).
DOCUMENT_SUFFIXES = (".docx", ".docm", ".dotx", ".dotm", ".doc", ".odt", ".rtf", ".pdf",
                     ".txt", ".html", ".htm")


def documents_in(sources: list[Path]) -> list[Path]:
    """The files named, and the documents in the folders named (recursively, in order)."""
    found: list[Path] = []
    for source in sources:
        if source.is_dir():
            found.extend(sorted(p for p in source.rglob("*") if p.is_file()
                                and p.suffix.lower() in DOCUMENT_SUFFIXES
                                and not any(part.startswith(".") for part in
                                            p.relative_to(source).parts)))
        elif source.exists():
            found.append(source)
        else:
            raise IntakeError(f"{source}: no such file or folder")
    return found


def convert_many(sources: list[Path], output: Path | None, limits: Limits | None = None
                 ) -> int:
    """Convert every document named or found; one FILE with -o DIR writes DIR itself,
    as it always has. Exit 1 when any was refused."""
    files = documents_in(sources)
    if not files:
        raise IntakeError("no documents found (" + ", ".join(map(str, sources)) + ")")
    single = len(sources) == 1 and len(files) == 1 and not sources[0].is_dir()
    limits = limits or Limits()
    started = time.monotonic()
    refused = words = 0
    taken: set[Path] = set()
    job = _load(files[0])
    for index, source in enumerate(files):
        upcoming = _load(files[index + 1]) if index + 1 < len(files) else None
        if upcoming is not None:
            prefetch(*upcoming, limits)  # the other worker starts on it now
        target = output if single and output else _target(source, output, taken)
        result = convert_to_folder(source, target, limits, job)
        refused += result is None
        words += result or 0
        job = upcoming
    if not single:
        seconds = time.monotonic() - started
        print(f"converted {len(files) - refused} of {len(files)} document(s) · {words:,} "
              f"words · refused {refused} · {seconds:.1f} s "
              f"({len(files) / max(seconds, 1e-6):.1f} documents/s)")
    return int(ExitCode.NEEDS_ATTENTION if refused else ExitCode.OK)


_Job = tuple[str, bytes, FileType]  # a document's safe name, bytes and type


def _load(source: Path) -> _Job | None:
    """The document read, or None when it cannot be (said when its turn comes)."""
    try:
        data = source.read_bytes()
    except OSError:
        return None
    return safe_filename(source.name, "document"), data, sniff(data)


def _target(source: Path, output: Path | None, taken: set[Path]) -> Path:
    """Where a document's draft folder goes: beside it, or under output, never twice."""
    base = (output / source.stem) if output else source.with_suffix("")
    if base.resolve() == source.resolve():
        base = source.with_name(source.name + ".draft")
    target, n = base, 1
    while target in taken:
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    taken.add(target)
    return target


def convert_to_folder(source: Path, output: Path | None, limits: Limits | None = None,
                      job: _Job | None = None) -> int | None:
    """One document to its draft folder (job: the document as already read); its word
    count, or None when it was refused."""
    job = job or _load(source)
    if job is None:
        print(f"intake: {source}: cannot be read", file=sys.stderr)
        return None
    name, data, file_type = job
    target = output or source.with_suffix("")
    if target.resolve() == source.resolve():
        target = source.with_name(source.name + ".draft")
    try:
        converted = convert_isolated(name, data, file_type, limits or Limits())
    except ConversionError as exc:
        print(f"intake: {source}: {exc.reason}", file=sys.stderr)
        return None
    # The same finishing as a submission's draft (its images were cleaned in the worker).
    sections = find_sections(converted.markdown)
    assets = converted.assets
    warnings = list(converted.warnings)
    front = {
        "title": converted.title or source.stem,
        "source_files": [{"name": name, "role": "manuscript", "type": file_type.value,
                          "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}],
        "word_count": sections.words,
        "word_count_with_references": sections.words_with_references,
        "sections": {"author_bio": sections.author_bio, "references": sections.references},
        "warnings": warnings,
        "comments": list(converted.comments),
    }
    original = Attachment(filename=name, original_name=source.name, declared_type="",
                          file_type=file_type, data=data)
    folder = write_draft_folder(target, front, converted.markdown, assets, [original])
    for warning in warnings:
        print(f"intake: warning: {source.name}: {warning}", file=sys.stderr)
    print(f"{folder / 'draft.md'} · {sections.words} words · {len(assets)} images · "
          f"{len(warnings)} warnings")
    return sections.words
