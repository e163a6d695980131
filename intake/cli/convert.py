"""`intake convert FILE -o DIR`: the draft converter on one file, with no mail involved."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from intake.convert import ConversionError
from intake.convert.isolated import Limits, convert_isolated
from intake.core.errors import ExitCode, IntakeError
from intake.core.filenames import safe_filename
from intake.core.models import Attachment
from intake.core.sniff import sniff
from intake.drafts.sections import find_sections
from intake.ledger.store import write_draft_folder


def convert_to_folder(source: Path, output: Path | None, limits: Limits | None = None) -> int:
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise IntakeError(f"{source}: cannot be read: {exc.strerror}") from exc
    file_type = sniff(data)
    name = safe_filename(source.name, "document")
    target = output or source.with_suffix("")
    if target.resolve() == source.resolve():
        target = source.with_name(source.name + ".draft")
    try:
        converted = convert_isolated(name, data, file_type, limits or Limits())
    except ConversionError as exc:
        print(f"intake: {source}: {exc.reason}", file=sys.stderr)
        return int(ExitCode.NEEDS_ATTENTION)
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
        print(f"intake: warning: {warning}", file=sys.stderr)
    print(f"{folder / 'draft.md'} · {sections.words} words · {len(assets)} images · "
          f"{len(warnings)} warnings")
    return int(ExitCode.OK)
