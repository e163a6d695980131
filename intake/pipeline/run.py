"""One run: accept raw messages → process them → deliver the outbox.

Each phase is restartable on its own. accept() makes a message durable (bytes
on disk, then a ledger row) before anything else happens to it; process()
commits a submission, its draft and its acknowledgement together; deliver()
sends what is due and records each delivery as it happens.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from intake.convert.isolated import converting, prefetch, prepare
from intake.core.budget import MessageTimeout, time_budget
from intake.core.config import Settings, sender_address
from intake.core.errors import SettingsError, StorageFull, is_storage_full
from intake.core.failpoints import failpoint
from intake.core.models import MessageState, ParsedMessage, RawMessage
from intake.core.report import RunReport
from intake.drafts.build import conversion_limits
from intake.drafts.manuscript import choose_manuscript
from intake.editors.roster import with_invited
from intake.ledger import Ledger, StoredMessage, now_iso
from intake.ledger.store import Store
from intake.mail.notify import Batch, send_held
from intake.mail.outbox import Outgoing
from intake.mail.parse import ParseError, parse_message
from intake.mail.smtp import Transport
from intake.mail.templates import Notices
from intake.pipeline.delivery import Delivery
from intake.pipeline.record import quarantine_unreadable, record
from intake.pipeline.stages import (
    ASSESS_STAGES,
    PREPARE_STAGES,
    READ_WHOLE_BYTES,
    STAGES,
    Outcome,
    Work,
    run_stages,
    run_until,
)
from intake.pipeline.threads import Threads
from intake.rules.automatic import detect, relayed_author
from intake.rules.learned import ModelError, cached
from intake.rules.site_model import model_path

__all__ = ["Intake", "RunReport"]

# A message whose processing was cut short this often (the run crashed, was killed or
# hung) is quarantined at the next start instead of being tried again, so the mail
# behind it keeps flowing (Mailman's shunt queue).
MAX_ATTEMPTS = 2
# Messages read ahead of the one being processed, so that they are read and their
# documents converted meanwhile: since the workers read them, three keep both workers
# busy (7% faster than two in 9 alternated rounds; four measured no faster). Beyond the
# first, only while the messages read ahead are small together: a large message is held
# parsed only on its own.
LOOKAHEAD = 3
READ_AHEAD_BYTES = 4 * 1024 * 1024

log = logging.getLogger(__name__)

ImapPlace = tuple[str, int, int]  # mailbox key, UIDVALIDITY, UID


class Intake:
    def __init__(self, settings: Settings, readonly: bool = False,
                 acknowledge: bool = True, ledger: Ledger | None = None) -> None:
        self.settings = settings
        # False: old mail taken in bulk (--no-acknowledge); recorded, and nobody emailed.
        self.acknowledge = acknowledge
        # Told (done, total) after each message processed: a terminal's progress bar.
        self.progress: Callable[[int, int], None] | None = None
        self.store = Store(settings.data_dir)
        # ledger: a connection the caller holds (the desk's, inside its guarded step),
        # left open at close().
        self._own_ledger = ledger is None
        self.ledger = ledger or Ledger(settings.data_dir / "intake.sqlite3", readonly=readonly)
        # Editors invited on the desk are notified and digested as declared ones are.
        settings = self.settings = with_invited(settings, self.ledger)
        self.notices = Notices(settings)
        # The model triage uses: the site's retrained one once installed (rules.retrain).
        self.model_file = model_path(settings)
        if self.model_file is not None:
            try:
                cached(self.model_file)
            except ModelError as exc:
                raise SettingsError(f"{exc}: `intake model rollback` puts back the one "
                                    "before it") from exc
        # Editors' notifications of this run: a few each, the rest in one summary.
        self.notified = Batch(settings.replies.max_notifications_per_run)
        self.outgoing = Outgoing(settings, self.ledger, self.notices)
        self.threads = Threads(self)
        own = {sender_address(settings).addr_spec.lower()}
        if settings.imap and settings.imap.username and "@" in settings.imap.username:
            own.add(settings.imap.username.lower())
        self.own_addresses = frozenset(own)

    def close(self) -> None:
        if self._own_ledger:
            self.ledger.close()

    # -- phase 1: accept ------------------------------------------------------

    def accept(self, raw: RawMessage, report: RunReport,
               imap: ImapPlace | None = None) -> StoredMessage | None:
        """Keep the bytes and record them; None when these exact bytes were taken before.

        imap: where the message sits on the server, linked to its row in the same
        transaction, so the mark phase can later move it whatever became of it.
        """
        return self.accept_batch([(raw, imap)], report)[0]

    def accept_batch(self, batch: Sequence[tuple[RawMessage, ImapPlace | None]],
                     report: RunReport) -> list[StoredMessage | None]:
        """accept() for a batch (a fetch's worth): every file written, the filesystem
        synced once, then one transaction records them all. Bytes are durable before
        any row points at them, as when taken one at a time."""
        fresh: dict[str, Path] = {}  # written in this batch, by digest
        entries: list[tuple[RawMessage, ImapPlace | None, str, StoredMessage | None]] = []
        for raw, imap in batch:
            report.fetched += 1
            sha = hashlib.sha256(raw.data).hexdigest()
            known = self.ledger.message_by_sha(sha)
            if known is not None or sha in fresh:
                report.known += 1
            else:
                fresh[sha] = self.store.keep_raw(sha, raw.data)
            entries.append((raw, imap, sha, known))
        if fresh:
            self.store.sync()
        rows: dict[str, int] = {}
        taken: list[str | None] = []
        with self.ledger.transaction():
            for raw, imap, sha, known in entries:
                new = known is None and sha not in rows
                if new:
                    rows[sha] = self.ledger.add_message(
                        sha256=sha, source=raw.source, origin=raw.origin,
                        raw_path=self.store.relative(fresh[sha]),
                        size=raw.size or len(raw.data))
                if imap is not None:
                    # Only the headers of a message too large to fetch: it stays on the
                    # server.
                    left = "left: too large" if raw.size else None
                    self.ledger.link_uid(*imap, known.id if known else rows[sha],
                                         done_how=left)
                taken.append(sha if new else None)
        return [self.ledger.message_by_sha(sha) if sha else None for sha in taken]

    # -- phase 2: process -----------------------------------------------------

    def process_pending(self, report: RunReport, limit: int | None = None,
                        delivery: Delivery | None = None) -> None:
        """delivery: where to send the acknowledgements already recorded while the next
        messages' documents convert (the main process would only wait for them)."""
        swept = self.store.sweep_leftovers()  # a killed run's half-written files
        if swept:
            log.info("removed %d half-written file(s) left by an interrupted run", swept)
        todo = self.ledger.messages_in_state(MessageState.FETCHED, limit)
        ahead: dict[int, Work] = {}
        for index, stored in enumerate(todo):
            if self.progress is not None:
                self.progress(index, len(todo))
            self._look_ahead(todo[index + 1:index + 1 + LOOKAHEAD], ahead)
            work = ahead.pop(stored.id, None) or Work(stored)
            if stored.attempts >= MAX_ATTEMPTS:
                quarantine_unreadable(
                    self, stored, f"processing this message was cut short {stored.attempts} times "
                    "(the run crashed, was killed or ran out of time); it is kept and not "
                    "tried again by itself: intake retry REF once the cause is fixed", report,
                    headers=self.headers_of(stored))
                continue
            self.ledger.begin_attempt(stored.id)
            seconds = self.settings.intake.message_seconds
            try:
                with time_budget(seconds):
                    self.process(stored, report, work)
                failpoint("mid-process")
            except MessageTimeout:
                if self.ledger.message_state(stored.id) is MessageState.FETCHED:
                    quarantine_unreadable(
                        self, stored, f"processing this message took longer than {seconds:g} "
                        "seconds ([intake] message_seconds; a hostile or damaged message?); "
                        "it is kept and can be retried (intake retry REF)", report,
                        headers=self.headers_of(stored))
            except SettingsError:
                raise  # a broken template or setting: stop, the message stays to be done
            except Exception as exc:
                if is_storage_full(exc):  # not the message's fault: stop, it stays to be done
                    raise StorageFull(exc) from exc
                # A bug must cost one message a trip to quarantine, never the run.
                log.exception("processing message %s (%s) failed", stored.id, stored.origin)
                quarantine_unreadable(
                    self, stored, f"intake failed on this message ({type(exc).__name__}: {exc}); "
                    "it is kept and can be retried once fixed", report)
            if delivery is not None:
                delivery.send_while(converting)
        if self.notified.held:
            with self.ledger.transaction():
                send_held(self.ledger, self.settings, self.notices, self.notified,
                          run=now_iso()[:19].replace(":", ""))

    def process(self, stored: StoredMessage, report: RunReport,
                work: Work | None = None) -> None:
        """The stages decide (stages.py), then the outcome is recorded (record.py). work:
        the message as read ahead, when it was."""
        work = work if work is not None and work.stored.id == stored.id else Work(stored)
        outcome = run_stages(self, work, STAGES)
        failpoint("processing")
        record(self, work, outcome, report)

    def _look_ahead(self, upcoming: Sequence[StoredMessage], ahead: dict[int, Work]) -> None:
        """Read the next messages and send their manuscripts to be converted, so that
        conversion runs beside this message's processing."""
        room = READ_AHEAD_BYTES
        for position, stored in enumerate(upcoming[:LOOKAHEAD]):
            if position and stored.size > room:
                return
            room -= stored.size
            if stored.id not in ahead:
                ahead[stored.id] = self._read_ahead(stored)

    def _read_ahead(self, stored: StoredMessage) -> Work:
        """Read a message before its turn and start converting its manuscript, beside this
        message's processing. A small one is read by a conversion worker (prepare), off
        the main process, which only takes the result at its turn. A larger one is parsed
        here, from its file (it never crosses a pipe whole), counted as an attempt while
        it is, so that a message that kills the run here is the one charged, not the one
        being processed. Anything that goes wrong is left for the message's turn, which
        does it all again and reports it."""
        work = Work(stored)
        if stored.attempts >= MAX_ATTEMPTS or stored.size > self.settings.intake.max_message_bytes:
            return work
        limits = conversion_limits(self.settings.drafts)
        if stored.size <= READ_WHOLE_BYTES:
            prepare(stored.id, self.settings.data_dir / stored.raw_path, limits)
            work.ahead = True
            return work
        self.ledger.begin_attempt(stored.id)
        try:
            with time_budget(self.settings.intake.message_seconds):
                if run_until(self, work, PREPARE_STAGES) is not None:
                    return Work(stored)
        except (MessageTimeout, Exception):
            return Work(stored)
        finally:
            self.ledger.begin_attempt(stored.id, -1)
        manuscript = choose_manuscript(work.message.attachments)
        if manuscript is not None:
            prefetch(manuscript.filename, manuscript.data, manuscript.file_type, limits)
        return work

    def headers_of(self, stored: StoredMessage) -> bytes:
        """The start of a kept message, enough for who sent it and about what."""
        try:
            with (self.settings.data_dir / stored.raw_path).open("rb") as fh:
                return fh.read(256 * 1024)
        except OSError:
            return b""

    def duplicate_of(self, msg: ParsedMessage, other_than: int = -1) -> StoredMessage | None:
        """An earlier message that is this one again, by what it says (intake.mail.identity):
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

    def as_sent_by_author(self, msg: ParsedMessage) -> ParsedMessage:
        """The message as its author sent it: through a web form or relay, the person
        in Reply-To; as a forward, the submission it carries."""
        if relayed_author(msg, self.own_addresses):
            msg = replace(msg, sender_name=msg.reply_to_name, sender_email=msg.reply_to_email,
                          relayed_by=msg.sender_email)
        return self.unwrap_forward(msg)

    def unwrap_forward(self, msg: ParsedMessage) -> ParsedMessage:
        """A person's forward of a submission stands for the submission it carries
        (its author, files and Message-ID); a bounce carrying our own mail does not."""
        if detect(msg, self.own_addresses) is not None:
            return msg
        if msg.forwarded is None:
            return msg
        try:
            forwarded = parse_message(msg.forwarded)
        except ParseError:
            return msg
        if not forwarded.sender_email:
            return msg
        # Triage still sees where it was sent: the receiving address is a signal.
        return replace(forwarded, forwarded_by=msg.sender_email,
                       recipients=tuple(dict.fromkeys(msg.recipients + forwarded.recipients)))

    def assess(self, msg: ParsedMessage) -> Outcome:
        """What would become of a message already parsed: reads the ledger, changes
        nothing (the stages from automatic mail on)."""
        return run_stages(self, Work(unsaved(b"", msg.message_id), msg=msg), ASSESS_STAGES)

    # -- phase 3: deliver -----------------------------------------------------

    def deliver(self, transport: Transport, report: RunReport, *, now: bool = False) -> None:
        """Send what is due; now: everything pending, back-off or not (the server is fixed)."""
        Delivery(self, transport, report, now=now).finish()


def unsaved(data: bytes, message_id: str = "") -> StoredMessage:
    """A message not (yet) in the ledger, for a dry run or an assessment."""
    return StoredMessage(id=-1, sha256="", source="", origin="", raw_path="",
                         size=len(data), message_id=message_id, state=MessageState.FETCHED,
                         reason=None,
                         submission_id=None, fetched_at=now_iso())
