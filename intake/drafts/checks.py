"""A draft's checks before it reaches editors: its kind's guidelines and the privacy screen."""

from __future__ import annotations

from dataclasses import replace

from intake.core.config import KindRule
from intake.core.models import Draft
from intake.drafts.guidelines import check
from intake.drafts.privacy import screen


def review(draft: Draft, rule: KindRule, author_email: str, author_name: str = "") -> Draft:
    findings = check(draft, rule)
    flags = screen(draft.markdown, author_email, author_name) \
        if draft.markdown.strip() else []
    return replace(
        draft,
        warnings=(*draft.warnings, *(f.editor for f in findings),
                  *(f.sentence() for f in flags)),
        for_author=tuple(f.author for f in findings),
        privacy=tuple(f.as_dict() for f in flags))
