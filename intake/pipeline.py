"""One run: accept raw messages → process them → deliver the outbox.

Each phase is restartable on its own. accept() makes a message durable (bytes
on disk, then a ledger row) before anything else happens to it; process()
commits a submission, its draft and its acknowledgement together; deliver()
sends what is due and records each delivery as it happens.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr
from typing import Any

from intake.config import Settings, sender_address
from intake.drafts import build_draft
from intake.errors import ExitCode, SettingsError
from intake.failpoints import failpoint
from intake.ledger import Ledger, OutboxItem, StoredMessage, now_iso
from intake.mailer import DeliveryError, Transport, TransportUnavailable
from intake.models import Draft, MessageState, ParsedMessage, RawMessage, Status
from intake.notices import Notices
from intake.parse import ParseError, forwarded_message, parse_message
from intake.store import Store
from intake.triage.automatic import automatic_reason
from intake.triage.kinds import classify

log = logging.getLogger(__name__)

_ANSWERABLE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
ACK = "acknowledgement"
ImapPlace = tuple[str, int, int]  # mailbox key, UIDVALIDITY, UID


@dataclass(frozen=True)
class Assessment:
    status: Status
    reason: str | None
    classification: dict[str, Any] | None
    draft: Draft | None
    acknowledge: bool


@dataclass
class RunReport:
    fetched: int = 0  # messages read from the source
    known: int = 0  # read before (same bytes): nothing new
    new: int = 0  # new submissions
    revisions: int = 0
    duplicates: int = 0  # same Message-ID as one already taken
    ignored: int = 0
    quarantined: int = 0
    sent: int = 0
    failed: int = 0  # deliveries given up this run
    pending: int = 0
    delivery_problem: str | None = None
    source_problem: str | None = None  # the mailbox could not be read this run

    def summary(self) -> str:
        parts = [f"fetched {self.fetched}", f"new {self.new}", f"revisions {self.revisions}",
                 f"ignored {self.ignored}", f"quarantined {self.quarantined}",
                 f"sent {self.sent}", f"pending {self.pending}"]
        if self.known or self.duplicates:
            parts.append(f"already had {self.known + self.duplicates}")
        if self.failed:
            parts.append(f"failed {self.failed}")
        return " · ".join(parts)

    def exit_code(self) -> ExitCode:
        if self.quarantined or self.failed:
            return ExitCode.NEEDS_ATTENTION
        if self.delivery_problem or self.source_problem:
            return ExitCode.TEMPORARY
        return ExitCode.OK


class Intake:
    def __init__(self, settings: Settings, readonly: bool = False) -> None:
        self.settings = settings
        self.store = Store(settings.data_dir)
        self.ledger = Ledger(settings.data_dir / "intake.sqlite3", readonly=readonly)
        self.notices = Notices(settings)
        own = {sender_address(settings).addr_spec.lower()}
        if settings.imap and settings.imap.username and "@" in settings.imap.username:
            own.add(settings.imap.username.lower())
        self.own_addresses = frozenset(own)

    def close(self) -> None:
        self.ledger.close()

    # -- phase 1: accept ------------------------------------------------------

    def accept(self, raw: RawMessage, report: RunReport,
               imap: ImapPlace | None = None) -> StoredMessage | None:
        """Keep the bytes and record them; None when these exact bytes were taken before.

        imap: where the message sits on the server, linked to its row in the same
        transaction, so the mark phase can later move it whatever became of it.
        """
        report.fetched += 1
        sha = hashlib.sha256(raw.data).hexdigest()
        # Only the headers of a message too large to fetch: it stays on the server.
        left = "left: too large" if raw.size else None
        known = self.ledger.message_by_sha(sha)
        if known is not None:
            report.known += 1
            if imap is not None:
                with self.ledger.transaction():
                    self.ledger.link_uid(*imap, known.id, done_how=left)
            return None
        path = self.store.keep_raw(sha, raw.data)  # durable before the row points at it
        with self.ledger.transaction():
            row = self.ledger.add_message(sha256=sha, source=raw.source, origin=raw.origin,
                                          raw_path=self.store.relative(path),
                                          size=raw.size or len(raw.data))
            if imap is not None:
                self.ledger.link_uid(*imap, row, done_how=left)
        stored = self.ledger.message_by_sha(sha)
        assert stored is not None and stored.id == row
        return stored

    # -- phase 2: process -----------------------------------------------------

    def process_pending(self, report: RunReport, limit: int | None = None) -> None:
        for stored in self.ledger.messages_in_state(MessageState.FETCHED, limit):
            try:
                self.process(stored, report)
                failpoint("mid-process")
            except SettingsError:
                raise  # a broken template or setting: stop, the message stays to be done
            except Exception as exc:
                # A bug must cost one message a trip to quarantine, never the run.
                log.exception("processing message %s (%s) failed", stored.id, stored.origin)
                self._quarantine_unreadable(
                    stored, f"intake failed on this message ({type(exc).__name__}: {exc}); "
                    "it is kept and can be retried once fixed", report)

    def process(self, stored: StoredMessage, report: RunReport) -> None:
        limit = self.settings.intake.max_message_bytes
        if stored.size > limit:
            where = ("only its headers were fetched; the whole message is still on the server"
                     if stored.source == "imap" else "it was kept but not read")
            self._quarantine_unreadable(
                stored, f"the message is {stored.size:,} bytes, over the {limit:,} byte limit "
                f"([intake] max_message_bytes): {where}", report,
                headers=self.store.read_raw(stored.raw_path))
            return
        data = self.store.read_raw(stored.raw_path)
        try:
            msg = parse_message(data)
        except ParseError as exc:
            self._quarantine_unreadable(stored, str(exc), report)
            return
        msg = self._unwrap_forward(msg, data)

        if msg.message_id:
            earlier = self.ledger.message_with_id(msg.message_id, stored.id)
            if earlier is not None:
                with self.ledger.transaction():
                    self.ledger.finish_message(
                        stored.id, MessageState.DUPLICATE, message_id=msg.message_id,
                        reason=f"same Message-ID as message {earlier.id}",
                        submission_id=earlier.submission_id)
                    self.ledger.add_event("duplicate received",
                                          submission_id=earlier.submission_id,
                                          message_row=stored.id, origin=stored.origin)
                report.duplicates += 1
                return

        verdict = self.assess(msg)
        self._record(stored, msg, verdict.draft, verdict.status, verdict.reason, report,
                     acknowledge=verdict.acknowledge, classification=verdict.classification)

    def _unwrap_forward(self, msg: ParsedMessage, data: bytes) -> ParsedMessage:
        """A person's forward of a submission stands for the submission it carries
        (its author, files and Message-ID); a bounce carrying our own mail does not."""
        if automatic_reason(msg, self.own_addresses) is not None:
            return msg
        inner = forwarded_message(data)
        if inner is None:
            return msg
        try:
            forwarded = parse_message(inner)
        except ParseError:
            return msg
        if not forwarded.sender_email:
            return msg
        # Triage still sees where it was sent: the receiving address is a signal.
        return replace(forwarded, forwarded_by=msg.sender_email,
                       recipients=tuple(dict.fromkeys(msg.recipients + forwarded.recipients)))

    def assess(self, msg: ParsedMessage) -> Assessment:
        """What should become of a message: pure, so a dry run can ask it too."""
        automatic = automatic_reason(msg, self.own_addresses)
        if automatic is not None:
            return Assessment(Status.IGNORED, automatic, None, None, acknowledge=False)
        found = classify(msg, self.settings.kinds, self.settings.default_kind)
        draft = build_draft(msg, self.settings.kind(found.kind), self.settings.drafts)
        status, reason = Status.QUEUED, draft.problem
        answerable = bool(_ANSWERABLE.fullmatch(msg.sender_email))
        if draft.problem or not answerable:
            status = Status.QUARANTINED
            reason = reason or (f"the sender address {msg.sender_email!r} cannot be answered"
                                if msg.sender_email else "the message has no sender address")
        classification = {"kind": found.kind, "score": found.score,
                          "signals": list(found.signals)}
        return Assessment(status, reason, classification, draft, acknowledge=answerable)

    def _record(self, stored: StoredMessage, msg: ParsedMessage, draft: Draft | None,
                status: Status, reason: str | None, report: RunReport, *,
                acknowledge: bool = False,
                classification: dict[str, Any] | None = None) -> None:
        """Commit the submission, its draft folder, its events and its acknowledgement."""
        kind = classification["kind"] if classification else self.settings.default_kind
        classification = classification or {"kind": kind, "score": 0, "signals": []}
        title = draft.title if draft else (msg.subject or "(no subject)")
        warnings = list(draft.warnings) if draft else []
        with self.ledger.transaction():
            reference = self.ledger.next_reference(self.settings.intake.reference_prefix,
                                                   datetime.now(UTC).year)
            draft_dir = None
            if draft is not None:
                front = self._front_matter(reference, kind, status, msg, draft, stored,
                                           classification)
                folder = self.store.write_draft(reference, front, draft.markdown,
                                                draft.assets, draft.originals, msg.text)
                draft_dir = self.store.relative(folder)
            sub = self.ledger.add_submission(
                reference=reference, kind=kind, status=status, title=title,
                author_name=msg.sender_name, author_email=msg.sender_email,
                subject=msg.subject, received=stored.fetched_at, message_id=msg.message_id,
                word_count=draft.word_count if draft else 0, warnings=warnings,
                classification=classification, reason=reason, draft_dir=draft_dir)
            self.ledger.add_event("received", submission_id=sub, message_row=stored.id,
                                  origin=stored.origin, sender=msg.sender_email,
                                  forwarded_by=msg.forwarded_by or None)
            if status is Status.IGNORED:
                self.ledger.add_event("ignored", submission_id=sub, reason=reason)
            else:
                self.ledger.add_event("classified", submission_id=sub, **classification)
            if status is Status.QUARANTINED:
                self.ledger.add_event("quarantined", submission_id=sub, reason=reason)
            elif draft is not None:
                self.ledger.add_event("drafted", submission_id=sub, words=draft.word_count,
                                      warnings=len(draft.warnings))
            if draft is not None and acknowledge and self.settings.kind(kind).acknowledge:
                self._queue_acknowledgement(sub, reference, kind, msg, draft)
            state = {Status.IGNORED: MessageState.IGNORED,
                     Status.QUARANTINED: MessageState.QUARANTINED}.get(status,
                                                                      MessageState.PROCESSED)
            self.ledger.finish_message(stored.id, state, message_id=msg.message_id,
                                       reason=reason, submission_id=sub)
        if status is Status.IGNORED:
            report.ignored += 1
            log.info("%s ignored: %s", reference, reason)
        elif status is Status.QUARANTINED:
            report.quarantined += 1
            log.warning("%s quarantined: %s", reference, reason)
        else:
            report.new += 1
            log.info("%s %s from %s: %s", reference, kind, msg.sender_email, title)

    def _queue_acknowledgement(self, sub: int, reference: str, kind: str,
                               msg: ParsedMessage, draft: Draft) -> None:
        if draft.problem:
            template = "unreadable_file"
        elif draft.missing_manuscript:
            template = "missing_manuscript"
        elif self.notices.has(f"received_{kind}"):
            template = f"received_{kind}"
        else:
            template = "received"
        rendered = self.notices.render(template, self.ack_context(reference, kind, msg, draft))
        email = self.notices.compose(rendered, to_name=msg.sender_name,
                                     to_email=msg.sender_email, in_reply_to=msg.message_id,
                                     references=msg.references, reference=reference)
        queued = self.ledger.add_outbox(
            submission_id=sub, purpose=ACK, template=template, recipient=msg.sender_email,
            subject=rendered.subject, message_id=str(email["Message-ID"]),
            body=email.as_bytes())
        if queued is not None:
            self.ledger.add_event("acknowledgement queued", submission_id=sub,
                                  template=template, to=msg.sender_email)

    def ack_context(self, reference: str, kind: str, msg: ParsedMessage,
                    draft: Draft) -> dict[str, Any]:
        rule = self.settings.kind(kind)
        return {
            "reference": reference,
            "kind": kind,
            "kind_label": rule.label,
            "author_name": msg.sender_name,
            "author_email": msg.sender_email,
            "subject": msg.subject,
            "title": draft.title,
            "word_count": draft.word_count,
            "files": [{"name": f.name, "role": f.role, "type": f.file_type, "size": f.size}
                      for f in draft.source_files],
            "problem": draft.problem or "",
            "advice": draft.advice or "",
        }

    def _front_matter(self, reference: str, kind: str, status: Status, msg: ParsedMessage,
                      draft: Draft, stored: StoredMessage,
                      classification: dict[str, Any]) -> dict[str, Any]:
        return {
            "reference": reference,
            "kind": kind,
            "status": status.value,
            "title": draft.title,
            "author": {"name": msg.sender_name, "email": msg.sender_email},
            "received": stored.fetched_at,
            "sent": msg.date.isoformat() if msg.date else None,
            "subject": msg.subject,
            "message_id": msg.message_id,
            "source_files": [{"name": f.name, "role": f.role, "type": f.file_type,
                              "size": f.size, "sha256": f.sha256}
                             for f in draft.source_files],
            "word_count": draft.word_count,
            "word_count_with_references": draft.word_count_with_references,
            "sections": {"author_bio": draft.author_bio, "references": draft.references},
            "warnings": list(draft.warnings),
            "comments": list(draft.comments),
            "classification": {"score": classification["score"],
                               "signals": classification["signals"]},
        }

    def _quarantine_unreadable(self, stored: StoredMessage, reason: str,
                               report: RunReport, headers: bytes = b"") -> None:
        """Quarantine a message that could not be read far enough to draft it."""
        sender, subject = _sender_and_subject(headers)
        with self.ledger.transaction():
            reference = self.ledger.next_reference(self.settings.intake.reference_prefix,
                                                   datetime.now(UTC).year)
            sub = self.ledger.add_submission(
                reference=reference, kind=self.settings.default_kind,
                status=Status.QUARANTINED, title=subject or "(unreadable message)",
                author_name=sender[0], author_email=sender[1], subject=subject,
                received=stored.fetched_at, message_id="",
                word_count=0, warnings=[], classification={}, reason=reason, draft_dir=None)
            self.ledger.add_event("received", submission_id=sub, message_row=stored.id,
                                  origin=stored.origin)
            self.ledger.add_event("quarantined", submission_id=sub, reason=reason,
                                  raw=stored.raw_path)
            self.ledger.finish_message(stored.id, MessageState.QUARANTINED, reason=reason,
                                       submission_id=sub)
        report.quarantined += 1
        log.warning("%s quarantined: %s (raw message kept at %s)", reference, reason,
                    stored.raw_path)

    # -- phase 3: deliver -----------------------------------------------------

    def deliver(self, transport: Transport, report: RunReport) -> None:
        due = self.ledger.due_outbox(now_iso())
        if due:
            try:
                with transport as connection:
                    for item in due:
                        self._deliver_one(connection, item, report)
            except TransportUnavailable as exc:
                report.delivery_problem = str(exc)
                log.error("mail not delivered, will retry next run: %s", exc)
        report.pending = self.ledger.outbox_counts().get("pending", 0)

    def _deliver_one(self, transport: Transport, item: OutboxItem, report: RunReport) -> None:
        try:
            transport.send(item)
        except DeliveryError as exc:
            attempts = item.attempts + 1
            with self.ledger.transaction():
                if exc.temporary and attempts < self.settings.smtp.max_attempts:
                    delay = timedelta(minutes=min(5 * 2 ** (attempts - 1), 6 * 60))
                    retry_at = (datetime.now(UTC) + delay).isoformat(timespec="seconds")
                    self.ledger.outbox_retry(item.id, str(exc), retry_at)
                    self.ledger.add_event("delivery deferred", submission_id=item.submission_id,
                                          to=item.recipient, error=str(exc), retry_at=retry_at)
                    log.warning("delivery to %s deferred (%s); retry after %s", item.recipient,
                                exc, retry_at)
                else:
                    self.ledger.outbox_failed(item.id, str(exc))
                    self.ledger.add_event("delivery failed", submission_id=item.submission_id,
                                          to=item.recipient, error=str(exc), attempts=attempts)
                    report.failed += 1
                    log.error("delivery to %s failed for good: %s", item.recipient, exc)
            return
        # The window between the server's acceptance and this commit is the one place a
        # crash can send an email twice; it is as short as one local transaction.
        failpoint("after-smtp")
        with self.ledger.transaction():
            self.ledger.outbox_sent(item.id)
            self.ledger.add_event("email delivered", submission_id=item.submission_id,
                                  purpose=item.purpose, to=item.recipient,
                                  message_id=item.message_id)
        report.sent += 1


def _sender_and_subject(data: bytes) -> tuple[tuple[str, str], str]:
    """Who sent it and about what, from the headers alone (cheap on any size)."""
    if not data:
        return ("", ""), ""
    headers = BytesHeaderParser(policy=compat32).parsebytes(data[:256 * 1024])
    name, addr = parseaddr(str(headers.get("From", "")))
    subject = " ".join(str(headers.get("Subject", "")).split())[:200]
    return (name, addr.lower()), subject
