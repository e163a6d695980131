"""Emails to authors: which template, what it is told, and the limits that keep us polite.

Every email is queued in the outbox inside the caller's transaction, so it exists
exactly when the ledger change it reports does; delivery happens later.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from intake.core.config import MAX_TERMS_BYTES, Settings
from intake.core.models import Draft, ParsedMessage
from intake.ledger import Ledger
from intake.ledger.events import EventName
from intake.mail.templates import Notices

log = logging.getLogger(__name__)

ACK = "acknowledgement"


def acknowledgement_template(notices: Notices, kind: str, draft: Draft, *, sure: bool = True,
                             revision: int = 1) -> str:
    if draft.problem:
        return "unreadable_file"
    if draft.answer and revision == 1 and notices.has(draft.answer):
        return draft.answer  # a check chose the answer (rules.link_buying: a refusal)
    if draft.missing_manuscript and sure:  # unsure of the kind: not sure one is missing
        return "missing_manuscript"
    if revision > 1:
        return "revision_received"
    if sure and notices.has(f"received_{kind}"):
        return f"received_{kind}"
    return "received"


class Outgoing:
    def __init__(self, settings: Settings, ledger: Ledger, notices: Notices) -> None:
        self.settings = settings
        self.ledger = ledger
        self.notices = notices

    def context(self, reference: str, kind: str, msg: ParsedMessage, draft: Draft, *,
                sure: bool = True, revision: int = 1, language: str | None = None
                ) -> dict[str, Any]:
        rule = self.settings.kind(kind)
        return {
            "language": language or self.settings.languages.default,
            "reference": reference,
            "kind": kind if sure else "",
            # Unsure of the kind: say "submission" rather than guess wrong to the author.
            "kind_label": rule.label if sure else "submission",
            "author_name": msg.sender_name,
            "author_email": msg.sender_email,
            "subject": msg.subject,
            "title": draft.title,
            "word_count": draft.word_count,
            "files": [{"name": f.name, "role": f.role, "type": f.file_type, "size": f.size}
                      for f in draft.source_files],
            "problem": draft.problem or "",
            "advice": draft.advice or "",
            # Another kind's guidelines may not apply: unsure, the editor judges first.
            "findings": list(draft.for_author) if sure else [],
            # The same, grouped under headings, most important first (medical.review).
            "finding_groups": [{"title": title, "items": list(items)}
                               for title, items in draft.finding_groups] if sure else [],
            "response_days": rule.response_days,
            "revision": revision,
            "contest": "",  # an entry's contest and dates: contests.entries.contest_answer
        }

    def terms(self, template: str, kind: str) -> tuple[tuple[str, bytes], ...]:
        """The kind's rate card and terms ([kinds.NAME] terms_file), for its first
        acknowledgement only."""
        if not kind or not template.startswith("received"):
            return ()
        try:
            path = self.settings.kind(kind).terms_file
        except KeyError:
            return ()
        if path is None:
            return ()
        try:
            data = path.read_bytes()[:MAX_TERMS_BYTES + 1]
        except OSError as exc:
            log.warning("[kinds.%s] terms_file %s cannot be read (%s): the acknowledgement "
                        "goes without it", kind, path, exc.strerror)
            return ()
        return ((path.name, data),) if len(data) <= MAX_TERMS_BYTES else ()

    def queue(self, sub: int, purpose: str, template: str, msg: ParsedMessage,
              context: dict[str, Any]) -> bool:
        """Queue one email in reply to msg; False when it was withheld (or already queued)."""
        limits = self.settings.replies
        since = (datetime.now(UTC) - timedelta(hours=limits.period_hours)).isoformat(
            timespec="seconds")
        already = self.ledger.emails_to(msg.sender_email, since)
        if already >= limits.max_per_sender:
            reason = (f"{msg.sender_email} was sent {already} emails in the last "
                      f"{limits.period_hours} hours ([replies] max_per_sender = "
                      f"{limits.max_per_sender})")
            self.ledger.add_event(EventName.ACKNOWLEDGEMENT_WITHHELD, submission_id=sub,
                                  template=template, reason=reason)
            log.warning("%s: no %s sent: %s", context.get("reference", sub), purpose, reason)
            return False
        attachments = self.terms(template, str(context.get("kind") or ""))
        rendered = self.notices.render(template, {**context,
                                                  "terms_attached": bool(attachments)})
        email = self.notices.compose(rendered, to_name=msg.sender_name,
                                     to_email=msg.sender_email, in_reply_to=msg.message_id,
                                     references=msg.references,
                                     reference=str(context.get("reference", "")),
                                     attachments=attachments)
        queued = self.ledger.add_outbox(
            submission_id=sub, purpose=purpose, template=template, recipient=msg.sender_email,
            subject=rendered.subject, message_id=str(email["Message-ID"]),
            body=email.as_bytes())
        if queued is None:
            return False
        self.ledger.add_event(EventName.ACKNOWLEDGEMENT_QUEUED, submission_id=sub,
                              template=template, to=msg.sender_email)
        return True
