"""The YAML front matter of draft.md: what editors and scripts read about a submission."""

from __future__ import annotations

from typing import Any

from intake.core.models import Classification, Draft, ParsedMessage, Status


def front_matter(*, reference: str, kind: str, status: Status, msg: ParsedMessage,
                 draft: Draft, received: str, classification: Classification,
                 revision: int = 1, revised: str | None = None) -> dict[str, Any]:
    matter: dict[str, Any] = {
        "reference": reference,
        "kind": kind,
        "status": status.value,
        "title": draft.title,
        "author": {"name": msg.sender_name, "email": msg.sender_email},
        "received": received,
        "sent": msg.date.isoformat() if msg.date else None,
        "subject": msg.subject,
        "message_id": msg.message_id,
        "revision": revision,
    }
    if revision > 1:
        matter["revised"] = revised
        matter["earlier_revisions"] = [f"revisions/{n}" for n in range(1, revision)]
    matter.update({
        "source_files": [{"name": f.name, "role": f.role, "type": f.file_type,
                          "size": f.size, "sha256": f.sha256}
                         for f in draft.source_files],
        "article_type": draft.article_type,
        "word_count": draft.word_count,
        "word_count_with_references": draft.word_count_with_references,
        "sections": {"author_bio": draft.author_bio, "references": draft.references},
        "links": draft.links,
        "warnings": list(draft.warnings),
        "privacy": [dict(flag) for flag in draft.privacy],
        "comments": list(draft.comments),
        **({"equations": [dict(e) for e in draft.equations]} if draft.equations else {}),
        "classification": {"score": classification.score,
                           "signals": list(classification.signals),
                           "sure": classification.sure},
    })
    return matter
