"""Replies that continue a submission: new versions, correspondence, files sent twice.

A message joins an existing submission when it answers one of our emails or one of
the submission's own messages (In-Reply-To, References), when its subject carries
the reference, or when it brings, from the same author, a manuscript we already
have. Then:

- a document not seen before in this submission, from its author (the address the
  acknowledgement went to, or one an editor added), becomes a new revision while the
  submission is open: the current draft moves to revisions/N, the new one takes its
  place, and the author is told it arrived;
- a new document from anyone else (references are easy to guess, threads easy to
  join), or after the decision, changes nothing by itself: it is kept as
  correspondence, held for an editor, who can take it as a revision
  (`intake take-revision REF MESSAGE`);
- the same files again are a duplicate: recorded, nothing queued, nobody emailed;
- anything else (a text reply, a new headshot) is kept as correspondence for the
  editor, without an automatic answer: an author's "thank you" must not start a
  conversation with a robot.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from intake.convert.markdown import count_words
from intake.core.models import DECIDED, Classification, MessageState, ParsedMessage, Status
from intake.core.report import RunReport
from intake.drafts.build import build_draft
from intake.drafts.checks import review
from intake.drafts.manuscript import choose_manuscript
from intake.editors.stages import stage_of, stages_of
from intake.ledger import StoredMessage, Submission, address_key, now_iso
from intake.ledger.events import EventName
from intake.mail.notify import notify_editors
from intake.mail.outbox import ACK
from intake.medical.review import review as medical_review
from intake.pipeline.record import Version, commit_draft, compared
from intake.rules.automatic import role_sender

if TYPE_CHECKING:
    from intake.pipeline.run import Intake

log = logging.getLogger(__name__)

# Waiting for the author, or unreadable before: a new version puts it back in the queue.
_BACK_TO_QUEUE = (Status.QUEUED, Status.CHANGES_REQUESTED, Status.QUARANTINED)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Threads:
    def __init__(self, app: Intake) -> None:
        self.app = app
        self.settings = app.settings
        self.ledger = app.ledger
        self.store = app.store
        prefix = re.escape(app.settings.intake.reference_prefix)
        self.reference_in_subject = re.compile(rf"\b({prefix}-\d{{4}}-\d{{4,}})\b", re.I)

    def find(self, msg: ParsedMessage) -> tuple[Submission, str] | None:
        """The submission this message continues, and how that was known."""
        found = self.ledger.thread_of([*msg.references, msg.in_reply_to])
        if found is not None:
            return self.ledger.submission_by_id(found), "a reply in its thread"
        match = self.reference_in_subject.search(msg.subject)
        if match:
            sub = self.ledger.submission(match.group(1))
            if sub is not None and sub.status is not Status.IGNORED:
                return sub, f"its reference {sub.reference} in the subject"
        manuscript = choose_manuscript(tuple(a for a in msg.attachments if not a.inline))
        if manuscript is not None and msg.sender_email:
            found = self.ledger.submission_with_manuscript(_sha(manuscript.data),
                                                           msg.sender_email)
            if found is not None:
                return self.ledger.submission_by_id(found), "the same manuscript sent again"
        return None

    def add(self, stored: StoredMessage, msg: ParsedMessage, sub: Submission, how: str,
            report: RunReport) -> None:
        known = self.ledger.file_hashes(sub.id)
        files = [a for a in msg.attachments if not a.inline]
        new = [a for a in files if _sha(a.data) not in known]
        rule = self.settings.kind(sub.kind)
        manuscript = choose_manuscript(tuple(new))
        body_is_article = (rule.needs_manuscript and sub.word_count == 0 and not files
                           and count_words(msg.text) >= self.settings.drafts.min_body_words)
        if manuscript is not None or body_is_article:
            held = self.held_because(sub, msg.sender_email)
            if held is None:
                self.revise(stored, msg, sub, how, report)
            else:
                self._correspond(stored, msg, sub, how, report, held=held)
        elif files and not new:
            with self.ledger.transaction():
                self.ledger.add_event(EventName.SAME_FILES_RECEIVED_AGAIN, submission_id=sub.id,
                                      message_row=stored.id, sender=msg.sender_email, how=how,
                                      files=[a.filename for a in files])
                self.ledger.finish_message(
                    stored.id, MessageState.PROCESSED, message_id=msg.message_id,
                    fingerprint=msg.fingerprint, shown=msg,
                    reason="the same files as before: nothing new", submission_id=sub.id)
            report.duplicates += 1
            log.info("%s: the same files again from %s", sub.reference, msg.sender_email)
        else:
            self._correspond(stored, msg, sub, how, report)

    def may_revise(self, sub: Submission, sender: str) -> bool:
        """The author (as answered) or an address an editor added: compared by mailbox."""
        key = address_key(sender)
        return key == address_key(sub.author_email) or key in {
            address_key(a) for a in self.ledger.authors_of(sub.id)}

    def held_because(self, sub: Submission, sender: str) -> str | None:
        """Why a new version may not replace the draft by itself; None when it may."""
        if not self.may_revise(sub, sender):
            return (f"a new version from {sender or 'an unknown sender'}, who is not the "
                    f"author ({sub.author_email})")
        if sub.status in DECIDED:
            return f"a new version after the decision ({sub.status.value})"
        entry = self.ledger.entry(sub.id)
        contest = self.settings.contest(entry.contest) if entry else None
        if contest is not None and datetime.now(UTC) > contest.closes:
            return (f"a new version after the {contest.name} closed: kept for the "
                    "editors, not judged")
        return None

    def revise(self, stored: StoredMessage, msg: ParsedMessage, sub: Submission, how: str,
               report: RunReport, actor: str | None = None) -> None:
        """Make msg's document the submission's next revision. actor: the editor who took
        it (from correspondence), when it did not qualify by itself."""
        known = self.ledger.file_hashes(sub.id)
        if actor is not None:  # its files were recorded as correspondence, not a version
            known -= {_sha(a.data) for a in msg.attachments}
        rule = self.settings.kind(sub.kind)
        fresh = replace(msg, attachments=tuple(a for a in msg.attachments
                                               if a.inline or _sha(a.data) not in known))
        draft = review(build_draft(fresh, rule, self.settings.drafts), rule, sub.author_email,
                       sub.author_name)
        if rule.medical_checks:  # a type an editor chose stays chosen
            chosen = sub.article_type if self.ledger.last_event(
                sub.id, EventName.TYPE_CHANGED) else None
            draft = medical_review(draft, self.settings.types, msg.text, chosen=chosen)
        revision = sub.revision + 1
        extra = []
        if msg.sender_email != sub.author_email:
            extra.append(f"Revision {revision} was sent by {msg.sender_email}, not by the "
                         f"author ({sub.author_email})"
                         + (f"; {actor} took it as a revision." if actor else "."))
        if sub.status in DECIDED:
            extra.append(f"Revision {revision} arrived after the decision "
                         f"({sub.status.value})"
                         + (f"; {actor} took it as a revision." if actor else "."))
        draft = replace(draft, warnings=(*extra, *draft.warnings))
        with self.ledger.transaction():
            # Read again under the lock: an editor may have decided while this converted.
            sub = self.ledger.submission_by_id(sub.id)
            if draft.problem:
                status, reason = Status.QUARANTINED, draft.problem
            elif sub.status in _BACK_TO_QUEUE:
                status, reason = Status.QUEUED, None
            else:
                status, reason = sub.status, sub.reason
            role = role_sender(msg)
            if role is not None:
                self.ledger.add_event(EventName.NOT_ANSWERED_AUTOMATICALLY, submission_id=sub.id,
                                      reason=role)
            if rule.medical_checks and not draft.problem:  # never against itself
                draft = compared(self.ledger, sub.id, draft)
            version = Version(sub, stored, msg, draft,
                              sub.classification or Classification(sub.kind, 0, ()), status,
                              revision=revision, revised=stored.fetched_at)
            folder = commit_draft(self.app, version,
                                  answer=None if role else f"{ACK}-revision-{revision}",
                                  reason=f"revision {revision} of {sub.reference}")
            self.ledger.update_submission(
                sub.id, title=draft.title, word_count=draft.word_count,
                warnings=list(draft.warnings), revision=revision, status=status,
                reason=reason, draft_dir=folder, article_type=draft.article_type)
            self.ledger.add_event(EventName.REVISED, submission_id=sub.id, message_row=stored.id,
                                  actor=actor or "intake",
                                  revision=revision, sender=msg.sender_email, how=how,
                                  files=[f.name for f in draft.source_files],
                                  words=draft.word_count, warnings=len(draft.warnings))
            if status is not sub.status:
                self.ledger.add_event(EventName.STATUS_CHANGED, submission_id=sub.id,
                                      before=sub.status.value, after=status.value)
            if any(f.role == "manuscript" for f in draft.source_files):
                self._manuscript_arrived(sub)
            notify_editors(self.ledger, self.settings, self.app.notices,
                           self.ledger.submission_by_id(sub.id), "revision", stored.id,
                           batch=self.app.notified)
        report.revisions += 1
        log.info("%s: revision %d from %s", sub.reference, revision, msg.sender_email)

    def _manuscript_arrived(self, sub: Submission) -> None:
        """A kind whose road has "manuscript received" (a sponsored article) reaches it
        when the manuscript comes; never moved back from a later stage."""
        stages = stages_of(self.settings, sub)
        if "manuscript received" not in stages:
            return
        now = stage_of(self.settings, sub)
        if now is not None and stages.index(now) >= stages.index("manuscript received"):
            return
        self.ledger.update_submission(sub.id, stage="manuscript received")
        self.ledger.add_event(EventName.STAGE_CHANGED, submission_id=sub.id, actor="intake",
                              before=sub.stage, after="manuscript received", email=False)

    def _correspond(self, stored: StoredMessage, msg: ParsedMessage, sub: Submission,
                    how: str, report: RunReport, held: str | None = None) -> None:
        """Keep a reply for the editor. held: why the new version it brings waits for an
        editor instead of becoming a revision."""
        files = [a for a in msg.attachments if not a.inline]
        name = f"{now_iso()[:10]}-message-{stored.id}"
        header = (f"From: {msg.sender_name} <{msg.sender_email}>\n"
                  f"Date: {msg.date.isoformat() if msg.date else '(none)'}\n"
                  f"Subject: {msg.subject}\n\n")
        with self.ledger.transaction():
            folder = self.store.keep_correspondence(sub.reference, name, header + msg.text,
                                                    files)
            self.ledger.add_event(EventName.CORRESPONDENCE, submission_id=sub.id,
                                  message_row=stored.id, sender=msg.sender_email, how=how,
                                  excerpt=" ".join(msg.text.split())[:200],
                                  files=[a.filename for a in files],
                                  kept=self.store.relative(folder),
                                  **({"held": held, "take": f"intake take-revision "
                                      f"{sub.reference} {stored.id}"} if held else {}))
            self.ledger.finish_message(stored.id, MessageState.PROCESSED,
                                       message_id=msg.message_id,
                                       fingerprint=msg.fingerprint, shown=msg,
                                       reason=f"a reply about {sub.reference}, kept as "
                                              "correspondence", submission_id=sub.id)
            if self.may_revise(sub, msg.sender_email):  # the author wrote
                notify_editors(self.ledger, self.settings, self.app.notices, sub, "reply",
                               stored.id, detail=" ".join(msg.text.split())[:500],
                               batch=self.app.notified)
        report.replies += 1
        if held:
            log.warning("%s: %s, kept for an editor (intake take-revision %s %d takes it)",
                        sub.reference, held, sub.reference, stored.id)
        else:
            log.info("%s: reply from %s kept as correspondence", sub.reference,
                     msg.sender_email)
