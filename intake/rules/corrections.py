"""An editor's correction of a kind as a labelled example: what triage read of the
submission (its first message and document), kept in the ledger when the kind is set by
hand, and turned back into the features it had (intake.rules.retrain)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from intake.core.config import Settings
from intake.core.models import Attachment, FileType, ParsedMessage
from intake.ledger import Ledger, Submission
from intake.ledger.corrections import Correction
from intake.ledger.store import read_draft
from intake.rules.features import message_features

_DOCUMENTS = {t.value for t in FileType if t.is_document}


def keep(ledger: Ledger, settings: Settings, sub: Submission, kind: str, actor: str) -> bool:
    """Keep the correction of sub to kind, inside the caller's transaction; False when
    nothing triage read is left (a submission with no draft, or one purged)."""
    if not sub.draft_dir or sub.purged_at:
        return False
    folder = settings.data_dir / sub.draft_dir
    first = folder / "revisions" / "1"  # what was classified: the first version
    read_from = first if (first / "draft.md").is_file() else folder
    try:
        front, markdown = read_draft(read_from / "draft.md")
        body = _text(read_from / "email.txt")
    except (OSError, ValueError, yaml.YAMLError):
        return False
    files = [{"name": str(f.get("name", "")), "type": str(f.get("type", "")),
              "inline": f.get("role") == "inline image"}
             for f in front.get("source_files") or [] if isinstance(f, dict)]
    read = any(f.get("role") == "manuscript" and str(f.get("type")) in _DOCUMENTS
               for f in front.get("source_files") or [] if isinstance(f, dict))
    ledger.add_correction(
        submission_id=sub.id, before=sub.kind, kind=kind, subject=sub.subject, body=body,
        document=markdown if read else "", title=str(front.get("title") or "") if read else "",
        files=files, sender=sub.author_email, actor=actor)
    return True


def features(correction: Correction) -> dict[str, float]:
    """The features triage had of the message, as intake.rules.features makes them."""
    msg = ParsedMessage(
        sender_name="", sender_email=correction.sender, recipients=(),
        subject=correction.subject, date=None, message_id="", in_reply_to="",
        references=(), text=correction.body, html="",
        attachments=tuple(_attachment(f) for f in correction.files))
    document = correction.document or None
    return message_features(msg, document, correction.title or None if document else None)


def _attachment(described: dict[str, Any]) -> Attachment:
    name = str(described.get("name") or "attachment")
    try:
        file_type = FileType(str(described.get("type")))
    except ValueError:
        file_type = FileType.BINARY
    return Attachment(filename=name, original_name=name, declared_type="",
                      file_type=file_type, data=b"", inline=bool(described.get("inline")))


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""  # a message with no text
