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

from intake.budget import MessageTimeout, time_budget
from intake.config import Settings, sender_address
from intake.drafts import build_draft
from intake.errors import SettingsError, StorageFull, is_storage_full
from intake.failpoints import failpoint
from intake.frontmatter import front_matter
from intake.ledger import Ledger, OutboxItem, StoredMessage, Submission, now_iso
from intake.mailer import DeliveryError, Transport, TransportUnavailable
from intake.models import Classification, Draft, MessageState, ParsedMessage, RawMessage, Status
from intake.notices import Notices
from intake.outgoing import ACK, Outgoing, acknowledgement_template
from intake.parse import ParseError, forwarded_message, parse_message
from intake.report import RunReport
from intake.store import Store
from intake.threads import Threads
from intake.triage.automatic import (
    Automatic,
    Category,
    denied,
    detect,
    relayed_author,
    role_sender,
)
from intake.triage.bounces import read_bounce
from intake.triage.checks import review
from intake.triage.kinds import classify

__all__ = ["Assessment", "Intake", "RunReport"]

# A message whose processing was cut short this often (the run crashed, was killed or
# hung) is quarantined at the next start instead of being tried again, so the mail
# behind it keeps flowing (Mailman's shunt queue).
MAX_ATTEMPTS = 2

log = logging.getLogger(__name__)

_ANSWERABLE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
ImapPlace = tuple[str, int, int]  # mailbox key, UIDVALIDITY, UID


@dataclass(frozen=True)
class Assessment:
    status: Status
    reason: str | None
    classification: Classification | None
    draft: Draft | None
    acknowledge: bool
    automatic: Automatic | None = None
    thread: tuple[Submission, str] | None = None  # the submission it continues, and how
    quiet_reason: str | None = None  # why no automatic answer goes to a real sender


class Intake:
    def __init__(self, settings: Settings, readonly: bool = False) -> None:
        self.settings = settings
        self.store = Store(settings.data_dir)
        self.ledger = Ledger(settings.data_dir / "intake.sqlite3", readonly=readonly)
        self.notices = Notices(settings)
        self.outgoing = Outgoing(settings, self.ledger, self.notices)
        self.threads = Threads(settings, self.ledger, self.store, self.outgoing)
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
        swept = self.store.sweep_leftovers()  # a killed run's half-written files
        if swept:
            log.info("removed %d half-written file(s) left by an interrupted run", swept)
        for stored in self.ledger.messages_in_state(MessageState.FETCHED, limit):
            if stored.attempts >= MAX_ATTEMPTS:
                self._quarantine_unreadable(
                    stored, f"processing this message was cut short {stored.attempts} times "
                    "(the run crashed, was killed or ran out of time); it is kept and not "
                    "tried again by itself: intake retry REF once the cause is fixed", report,
                    headers=self._headers_of(stored))
                continue
            self.ledger.begin_attempt(stored.id)
            seconds = self.settings.intake.message_seconds
            try:
                with time_budget(seconds):
                    self.process(stored, report)
                failpoint("mid-process")
            except MessageTimeout:
                if self.ledger.message_state(stored.id) is MessageState.FETCHED:
                    self._quarantine_unreadable(
                        stored, f"processing this message took longer than {seconds:g} "
                        "seconds ([intake] message_seconds; a hostile or damaged message?); "
                        "it is kept and can be retried (intake retry REF)", report,
                        headers=self._headers_of(stored))
            except SettingsError:
                raise  # a broken template or setting: stop, the message stays to be done
            except Exception as exc:
                if is_storage_full(exc):  # not the message's fault: stop, it stays to be done
                    raise StorageFull(exc) from exc
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
        msg = self.as_sent_by_author(msg, data)
        failpoint("processing")

        earlier = self.duplicate_of(msg, stored.id)
        if earlier is not None:
            with self.ledger.transaction():
                self.ledger.finish_message(
                    stored.id, MessageState.DUPLICATE, message_id=msg.message_id,
                    fingerprint=msg.fingerprint,
                    reason=f"the same message as message {earlier.id}",
                    submission_id=earlier.submission_id)
                self.ledger.add_event("duplicate received",
                                      submission_id=earlier.submission_id,
                                      message_row=stored.id, origin=stored.origin)
            report.duplicates += 1
            return

        verdict = self.assess(msg)
        reused = self.ledger.messages_with_id(msg.message_id, stored.id) \
            if msg.message_id else []
        if reused and verdict.draft is not None:
            note = (f"This message reuses the Message-ID of message {reused[0].id}, which "
                    "says something else: it was taken as a message of its own.")
            verdict = replace(verdict, draft=replace(
                verdict.draft, warnings=(note, *verdict.draft.warnings)))
        if verdict.automatic is not None and self._about_our_mail(stored, msg, data,
                                                                  verdict.automatic, report):
            return
        if verdict.thread is not None:
            self.threads.add(stored, msg, *verdict.thread, report)
            return
        self._record(stored, msg, verdict, report)

    def _headers_of(self, stored: StoredMessage) -> bytes:
        """The start of a kept message, enough for who sent it and about what."""
        try:
            with (self.settings.data_dir / stored.raw_path).open("rb") as fh:
                return fh.read(256 * 1024)
        except OSError:
            return b""

    def duplicate_of(self, msg: ParsedMessage, other_than: int = -1) -> StoredMessage | None:
        """An earlier message that is this one again, by what it says (intake.identity):
        a Message-ID alone is a claim anyone can make."""
        earlier = self.ledger.message_by_fingerprint(msg.fingerprint, other_than)
        if earlier is not None or not msg.message_id:
            return earlier
        for candidate in self.ledger.messages_with_id(msg.message_id, other_than):
            if candidate.fingerprint is not None:
                continue  # compared above
            # Kept before fingerprints: read what it says from its raw file.
            path = self.settings.data_dir / candidate.raw_path
            try:
                theirs = parse_message(path.read_bytes()).fingerprint
            except (OSError, ParseError):
                return candidate  # nothing to compare: taken once, as before
            if theirs == msg.fingerprint:
                return candidate
        return None

    def as_sent_by_author(self, msg: ParsedMessage, data: bytes) -> ParsedMessage:
        """The message as its author sent it: through a web form or relay, the person
        in Reply-To; as a forward, the submission it carries."""
        if relayed_author(msg, self.own_addresses):
            msg = replace(msg, sender_name=msg.reply_to_name, sender_email=msg.reply_to_email,
                          relayed_by=msg.sender_email)
        return self.unwrap_forward(msg, data)

    def unwrap_forward(self, msg: ParsedMessage, data: bytes) -> ParsedMessage:
        """A person's forward of a submission stands for the submission it carries
        (its author, files and Message-ID); a bounce carrying our own mail does not."""
        if detect(msg, self.own_addresses) is not None:
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

    def assess(self, msg: ParsedMessage, *, follow_threads: bool = True) -> Assessment:
        """What should become of a message: reads the ledger, changes nothing, so a dry
        run can ask it too. follow_threads=False: take it as a new submission (a retry,
        which must not find itself)."""
        automatic = detect(msg, self.own_addresses)
        if automatic is not None:
            return Assessment(Status.IGNORED, automatic.reason, None, None, acknowledge=False,
                              automatic=automatic)
        entry = denied(msg.sender_email, self.settings.triage.deny)
        if entry is not None:
            return Assessment(Status.IGNORED, f"the sender is on the deny list ([triage] deny: "
                              f"{entry})", None, None, acknowledge=False)
        thread = self.threads.find(msg) if follow_threads else None
        if thread is not None:
            return Assessment(Status.QUEUED, None, None, None, acknowledge=False, thread=thread)
        found = classify(msg, self.settings.kinds, self.settings.triage)
        rule = self.settings.kind(found.kind)
        draft = review(build_draft(msg, rule, self.settings.drafts), rule, msg.sender_email)
        status = Status.QUEUED if found.sure else Status.TRIAGE
        reason = draft.problem
        answerable = bool(_ANSWERABLE.fullmatch(msg.sender_email))
        if draft.problem or not answerable:
            status = Status.QUARANTINED
            reason = reason or (f"the sender address {msg.sender_email!r} cannot be answered"
                                if msg.sender_email else "the message has no sender address")
        quiet = role_sender(msg)
        return Assessment(status, reason, found, draft, acknowledge=answerable and not quiet,
                          quiet_reason=quiet)

    def _about_our_mail(self, stored: StoredMessage, msg: ParsedMessage, data: bytes,
                        automatic: Automatic, report: RunReport) -> bool:
        """A bounce of, or an auto-reply to, one of our emails: recorded on its submission
        (a bounce marks the email bounced), with no new reference. False: not about ours."""
        if automatic.category is Category.BOUNCE:
            bounce = read_bounce(data)
            ids, detail = list(bounce.message_ids), bounce.diagnostic
        elif automatic.category is Category.AUTO_REPLY:
            ids, detail = [msg.in_reply_to, *reversed(msg.references)], automatic.reason
        else:
            return False
        item = self.ledger.outbox_with_id([i for i in ids if i])
        if item is None:
            return False
        bounced = automatic.category is Category.BOUNCE
        with self.ledger.transaction():
            if bounced:
                self.ledger.outbox_bounced(item.id, detail)
                self.ledger.add_event("email bounced", submission_id=item.submission_id,
                                      message_row=stored.id, purpose=item.purpose,
                                      to=item.recipient, reason=detail)
            else:
                self.ledger.add_event("automatic reply received",
                                      submission_id=item.submission_id,
                                      message_row=stored.id, sender=msg.sender_email,
                                      reason=detail)
            self.ledger.finish_message(stored.id, MessageState.IGNORED,
                                       message_id=msg.message_id, reason=automatic.reason,
                                       fingerprint=msg.fingerprint,
                                       submission_id=item.submission_id)
        report.ignored += 1
        if bounced:
            report.bounced += 1
            log.warning("our %s to %s bounced: %s (see intake show for the submission)",
                        item.purpose, item.recipient, detail)
        else:
            log.info("automatic reply from %s to our %s: %s", msg.sender_email, item.purpose,
                     detail)
        return True

    def _record(self, stored: StoredMessage, msg: ParsedMessage, verdict: Assessment,
                report: RunReport) -> None:
        """Commit the submission, its draft folder, its events and its acknowledgement."""
        draft, status, reason = verdict.draft, verdict.status, verdict.reason
        found = verdict.classification or Classification(self.settings.default_kind, 0, (),
                                                         sure=True)
        kind = found.kind
        classification = {"kind": kind, "score": found.score, "signals": list(found.signals),
                          "sure": found.sure}
        title = draft.title if draft else (msg.subject or "(no subject)")
        warnings = list(draft.warnings) if draft else []
        with self.ledger.transaction():
            reference = self.ledger.next_reference(self.settings.intake.reference_prefix,
                                                   datetime.now(UTC).year)
            draft_dir = None
            if draft is not None:
                front = front_matter(reference=reference, kind=kind, status=status, msg=msg,
                                     draft=draft, received=stored.fetched_at,
                                     classification=found)
                folder = self.store.write_draft(reference, front, draft.markdown,
                                                draft.assets, draft.originals, msg.text)
                draft_dir = self.store.relative(folder)
            sub = self.ledger.add_submission(
                reference=reference, kind=kind, status=status, title=title,
                author_name=msg.sender_name, author_email=msg.sender_email,
                subject=msg.subject, received=stored.fetched_at, message_id=msg.message_id,
                word_count=draft.word_count if draft else 0, warnings=warnings,
                classification=classification if verdict.classification else {},
                reason=reason, draft_dir=draft_dir)
            self.ledger.add_event("received", submission_id=sub, message_row=stored.id,
                                  origin=stored.origin, sender=msg.sender_email,
                                  forwarded_by=msg.forwarded_by or None,
                                  relayed_by=msg.relayed_by or None)
            if status is Status.IGNORED:
                self.ledger.add_event("ignored", submission_id=sub, reason=reason)
            else:
                self.ledger.add_event("classified", submission_id=sub, kind=kind,
                                      score=found.score, signals=list(found.signals),
                                      sure=found.sure)
            if status is Status.QUARANTINED:
                self.ledger.add_event("quarantined", submission_id=sub, reason=reason)
            elif draft is not None:
                self.ledger.add_event("drafted", submission_id=sub, words=draft.word_count,
                                      warnings=len(draft.warnings))
            if draft is not None:
                self.ledger.add_files(sub, 1, stored.id,
                                      [(f.name, f.role, f.sha256) for f in draft.source_files])
            if verdict.quiet_reason:
                self.ledger.add_event("not answered automatically", submission_id=sub,
                                      reason=verdict.quiet_reason)
            if draft is not None and verdict.acknowledge and self.settings.kind(kind).acknowledge:
                template = acknowledgement_template(self.notices, kind, draft, sure=found.sure)
                context = self.outgoing.context(reference, kind, msg, draft, sure=found.sure)
                self.outgoing.queue(sub, ACK, template, msg, context)
            state = {Status.IGNORED: MessageState.IGNORED,
                     Status.QUARANTINED: MessageState.QUARANTINED}.get(status,
                                                                      MessageState.PROCESSED)
            self.ledger.finish_message(stored.id, state, message_id=msg.message_id,
                                       fingerprint=msg.fingerprint, reason=reason,
                                       submission_id=sub)
        if status is Status.IGNORED:
            report.ignored += 1
            log.info("%s ignored: %s", reference, reason)
        elif status is Status.QUARANTINED:
            report.quarantined += 1
            log.warning("%s quarantined: %s", reference, reason)
        else:
            report.new += 1
            log.info("%s %s%s from %s: %s", reference, kind,
                     "" if found.sure else " (unsure: triage)", msg.sender_email, title)

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

    def deliver(self, transport: Transport, report: RunReport, *, now: bool = False) -> None:
        """Send what is due; now: everything pending, back-off or not (the server is fixed)."""
        due = self.ledger.due_outbox("9999-12-31T23:59:59+00:00" if now else now_iso())
        # Automatic answers are capped per run (backscatter): the rest wait, in order.
        cap = self.settings.replies.max_per_run
        held = {i.id for i in [i for i in due if i.purpose.startswith(ACK)][cap:]}
        if held:
            due = [i for i in due if i.id not in held]
            log.warning("%d acknowledgement(s) wait for the next run: one run sends at most "
                        "%d ([replies] max_per_run); a flood of submissions?", len(held), cap)
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
