"""Processing one message, as a list of small named stages.

Each stage takes the message's state (Work) and returns it, or returns an Outcome that
ends the list: the message is unreadable, a duplicate, about one of our own emails,
part of a submission's thread, or decided (ignored, quarantined, triage or queued,
with its draft). Stages only read (the message, the settings, the ledger); what an
outcome changes is done afterwards in one place (record.py), so the same list serves
a real run, a dry run (which describes the outcome instead) and a retry (which leaves
out the stages that do not apply to a message already taken).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from intake.contests.entries import (
    CONTEST_KIND,
    arrival,
    as_entry,
    check_statement,
    entry_rule,
    recognise,
    sent_time,
)
from intake.convert.isolated import prepared
from intake.core.config import KindRule
from intake.core.failpoints import failpoint
from intake.core.models import Classification, Draft, ParsedMessage, Status
from intake.drafts.build import Manuscript, build_draft, conversion_limits, read_manuscript
from intake.drafts.checks import review
from intake.ledger import OutboxItem, StoredMessage, Submission
from intake.mail.parse import ParseError, parse_message, parse_message_file
from intake.medical.review import review as medical_review
from intake.rules import link_buying
from intake.rules.automatic import Automatic, Category, denied, detect, role_sender
from intake.rules.bounces import read_bounce
from intake.rules.kinds import classify

if TYPE_CHECKING:
    from intake.pipeline.run import Intake

# An address we can write back to: no display name, no group syntax; in UTF-8 too
# (RFC 6531: sent where the server offers SMTPUTF8).
ANSWERABLE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)+")


@dataclass
class Work:
    """One message on its way through the stages."""

    stored: StoredMessage
    data: bytes = b""
    msg: ParsedMessage | None = None
    notes: tuple[str, ...] = ()  # warnings for the editor found on the way
    classification: Classification | None = None
    rule: KindRule | None = None
    document: Manuscript | None = None  # the manuscript as read, before the kind is decided
    draft: Draft | None = None
    authored: bool = False  # authorship has run: the message is as its author sent it
    contest: str | None = None  # the contest it is an entry for (contests.entries)
    ahead: bool = False  # a worker was asked to read it ahead (run.py): parse takes it there

    @property
    def message(self) -> ParsedMessage:
        assert self.msg is not None, "a stage before parse asked for the message"
        return self.msg


# -- outcomes: what ends the list --------------------------------------------------------


@dataclass(frozen=True)
class Unreadable:
    """Not read far enough to draft: kept and quarantined with the reason."""

    reason: str
    headers_only: bool = False  # only the headers were kept (too large to fetch)


@dataclass(frozen=True)
class Duplicate:
    earlier: StoredMessage


@dataclass(frozen=True)
class AboutOurMail:
    """A bounce of, or an automatic answer to, one of our emails: noted on its submission."""

    item: OutboxItem
    bounced: bool
    detail: str
    automatic: Automatic
    delayed: bool = False  # a delivery report that only says "still trying"


@dataclass(frozen=True)
class JoinsThread:
    submission: Submission
    how: str


@dataclass(frozen=True)
class Decided:
    """A new submission: its status, and what makes its draft and its answer."""

    status: Status
    reason: str | None
    classification: Classification | None = None
    draft: Draft | None = None
    acknowledge: bool = False
    quiet_reason: str | None = None  # why no automatic answer goes to a real sender
    automatic: Automatic | None = None
    contest: str | None = None  # the contest it is an entry for


Outcome = Unreadable | Duplicate | AboutOurMail | JoinsThread | Decided
Stage = Callable[["Intake", Work], "Work | Outcome"]


# -- the stages, in order ------------------------------------------------------------------


def too_large(app: Intake, work: Work) -> Work | Outcome:
    limit = app.settings.intake.max_message_bytes
    if work.stored.size <= limit:
        return work
    where = ("only its headers were fetched; the whole message is still on the server"
             if work.stored.source == "imap" else "it was kept but not read")
    return Unreadable(f"the message is {work.stored.size:,} bytes, over the {limit:,} byte "
                      f"limit ([intake] max_message_bytes): {where}", headers_only=True)


# A kept message larger than this is parsed from its file a piece at a time, never read
# whole: the parser's own copy of its largest part is then the most it costs in memory.
READ_WHOLE_BYTES = 1024 * 1024


def read(app: Intake, work: Work) -> Work | Outcome:
    if (not work.data and work.msg is None and not work.ahead
            and work.stored.size <= READ_WHOLE_BYTES):
        work.data = app.store.read_raw(work.stored.raw_path)
    return work


def parse(app: Intake, work: Work) -> Work | Outcome:
    if work.msg is not None:
        return work  # read ahead (run.py)
    failpoint("reading")
    if work.ahead:
        work.ahead = False
        work.msg = prepared(work.stored.id, conversion_limits(app.settings.drafts))
        if work.msg is not None:
            return work
    try:
        work.msg = (parse_message(work.data) if work.data else
                    parse_message_file(app.settings.data_dir / work.stored.raw_path))
    except ParseError as exc:
        return Unreadable(str(exc))
    return work


def authorship(app: Intake, work: Work) -> Work | Outcome:
    """Through a web form or relay, the person in Reply-To; as a forward, the submission
    it carries."""
    if not work.authored:
        work.msg, work.authored = app.as_sent_by_author(work.message), True
    return work


def duplicate(app: Intake, work: Work) -> Work | Outcome:
    msg = work.message
    earlier = app.duplicate_of(msg, work.stored.id)
    if earlier is not None:
        return Duplicate(earlier)
    reused = app.ledger.messages_with_id(msg.message_id, work.stored.id) \
        if msg.message_id else []
    if reused:
        work.notes += (f"This message reuses the Message-ID of message {reused[0].id}, which "
                       "says something else: it was taken as a message of its own.",)
    return work


def automatic(app: Intake, work: Work) -> Work | Outcome:
    msg = work.message
    found = detect(msg, app.own_addresses)
    if found is None:
        return work
    ours = _about_our_mail(app, work, found)
    return ours or Decided(Status.IGNORED, found.reason, automatic=found)


def deny_list(app: Intake, work: Work) -> Work | Outcome:
    entry = denied(work.message.sender_email, app.settings.triage.deny)
    if entry is None:
        return work
    return Decided(Status.IGNORED, f"the sender is on the deny list ([triage] deny: {entry})")


def thread(app: Intake, work: Work) -> Work | Outcome:
    found = app.threads.find(work.message)
    return JoinsThread(*found) if found is not None else work


def document(app: Intake, work: Work) -> Work | Outcome:
    """Read the manuscript (converted in a worker) before deciding what the message is."""
    work.document = read_manuscript(work.message, app.settings.drafts)
    return work


def kind(app: Intake, work: Work) -> Work | Outcome:
    work.classification = classify(work.message, app.settings.kinds, app.settings.triage,
                                   work.document, app.model_file)
    work.rule = app.settings.kind(work.classification.kind)
    return work


def contest(app: Intake, work: Work) -> Work | Outcome:
    """An entry for one of the contests: its kind, and the contest's length rules."""
    if not app.settings.contests or work.classification is None:
        return work
    found = recognise(app.settings.contests, work.message, work.classification.kind,
                      sent_time(work.message, arrival(work.stored)))
    if found is None:
        return work
    chosen, signal = found
    work.contest = chosen.id
    work.classification = as_entry(work.classification, chosen, signal)
    work.rule = entry_rule(app.settings.kind(CONTEST_KIND), chosen)
    return work


def draft(app: Intake, work: Work) -> Work | Outcome:
    assert work.rule is not None
    rule = work.rule
    if work.classification is not None and not work.classification.sure:
        # Unsure what the message is: never tell its sender a manuscript is missing.
        rule = replace(rule, needs_manuscript=False)
    made = build_draft(work.message, rule, app.settings.drafts, work.document)
    work.draft = replace(made, warnings=(*work.notes, *made.warnings)) if work.notes else made
    return work


def checks(app: Intake, work: Work) -> Work | Outcome:
    """Guidelines and the privacy screen."""
    assert work.draft is not None and work.rule is not None
    work.draft = review(work.draft, work.rule, work.message.sender_email,
                        work.message.sender_name)
    chosen = app.settings.contest(work.contest) if work.contest else None
    if chosen is not None:
        work.draft = check_statement(work.draft, chosen, work.message)
    if work.rule.medical_checks:
        work.draft = medical_review(work.draft, app.settings.types, work.message.text)
    if work.rule.link_buying != "ignore":
        phrase = link_buying.offer(work.message.subject, work.message.text)
        if phrase is not None:
            sure = work.classification is None or work.classification.sure
            refused = work.rule.link_buying == "refuse" and sure
            note = (f"An offer to buy links (it says \"{phrase}\"): the publication does "
                    "not sell links" + ("; the sender was sent the standard refusal"
                                        if refused else ""))
            work.draft = replace(work.draft, warnings=(note, *work.draft.warnings),
                                 answer="refused_link_buying" if refused else "")
    return work


def decide(app: Intake, work: Work) -> Work | Outcome:
    msg, found, made = work.message, work.classification, work.draft
    assert found is not None and made is not None
    status = Status.QUEUED if found.sure else Status.TRIAGE
    reason = made.problem
    answerable = bool(ANSWERABLE.fullmatch(msg.sender_email))
    if made.problem or not answerable:
        status = Status.QUARANTINED
        reason = reason or (f"the sender address {msg.sender_email!r} cannot be answered"
                            if msg.sender_email else "the message has no sender address")
    quiet = role_sender(msg)
    return Decided(status, reason, found, made, acknowledge=answerable and not quiet,
                   quiet_reason=quiet, contest=work.contest)


# A message as it arrives; a retry (a message already taken, quarantined) leaves out the
# stages that would find it again: the duplicate check and its own thread.
STAGES: tuple[Stage, ...] = (too_large, read, parse, authorship, duplicate, automatic,
                             deny_list, thread, document, kind, contest, draft, checks,
                             decide)
RETRY_STAGES: tuple[Stage, ...] = tuple(s for s in STAGES
                                        if s not in (too_large, duplicate, thread))
# What can be done ahead for the next messages while this one is processed: nothing
# here reads the ledger, so the order of messages cannot change its result.
PREPARE_STAGES: tuple[Stage, ...] = (too_large, read, parse, authorship)
# A message already parsed (tests, and triage's evaluation).
ASSESS_STAGES: tuple[Stage, ...] = (automatic, deny_list, thread, document, kind, contest, draft,
                                    checks, decide)


def run_stages(app: Intake, work: Work, stages: Sequence[Stage]) -> Outcome:
    outcome = run_until(app, work, stages)
    if outcome is None:
        raise AssertionError(f"the stages ended without an outcome "
                             f"({[s.__name__ for s in stages]})")
    return outcome


def run_until(app: Intake, work: Work, stages: Sequence[Stage]) -> Outcome | None:
    """Run stages in order; the outcome that ended the list, or None if none did."""
    for stage in stages:
        result = stage(app, work)
        if not isinstance(result, Work):
            return result
        work = result
    return None


def _about_our_mail(app: Intake, work: Work, found: Automatic) -> AboutOurMail | None:
    msg = work.message
    delayed = False
    if found.category is Category.BOUNCE:
        bounce = read_bounce(work.data or app.store.read_raw(work.stored.raw_path))
        ids, detail, delayed = list(bounce.message_ids), bounce.diagnostic, bounce.delayed
    elif found.category is Category.AUTO_REPLY:
        ids, detail = [msg.in_reply_to, *reversed(msg.references)], found.reason
    else:
        return None
    item = app.ledger.outbox_with_id([i for i in ids if i])
    if item is None:
        return None
    return AboutOurMail(item, found.category is Category.BOUNCE and not delayed, detail,
                        found, delayed)
