"""`intake poll`: the cron run against the IMAP mailbox.

fetch (raw bytes and ledger rows committed, cursor advanced per batch) →
process (and deliver the answers already recorded while documents convert) →
deliver → mark (move or flag on the server). Each step is safe to repeat, so a
run killed anywhere is completed by the next one.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from intake.convert.isolated import warm_up
from intake.core.budget import MessageTimeout, time_budget
from intake.core.config import ImapSection, Settings
from intake.core.errors import SettingsError
from intake.core.failpoints import failpoint
from intake.core.models import RawMessage, Status
from intake.mail.smtp import transport_for
from intake.pipeline.delivery import Delivery
from intake.pipeline.run import Intake, RunReport, unsaved
from intake.pipeline.stages import (
    STAGES,
    AboutOurMail,
    Duplicate,
    JoinsThread,
    Unreadable,
    Work,
    run_stages,
)
from intake.sources.imap import Fetched, FolderRefused, ImapUnavailable, Mailbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollOptions:
    since: date | None = None
    limit: int | None = None
    dry_run: bool = False
    interactive: bool = False  # a person at a terminal: may be asked, ignores back-off
    now: bool = False  # ignore the back-offs (IMAP and mail): the operator fixed the server
    ask: Callable[[str], bool] | None = None


class FirstRunRefused(SettingsError):
    pass


def imap_section(settings: Settings) -> ImapSection:
    if settings.imap is None:
        raise SettingsError(f"{settings.path}: [imap] is missing: intake poll reads mail "
                            "from an IMAP mailbox (see the example settings.toml)")
    return settings.imap


def mailbox_key(section: ImapSection) -> str:
    # No port: the same mailbox reached another way (993 with TLS instead of 143 with
    # STARTTLS) is the same mailbox; were it another, its UIDVALIDITY would say so.
    return f"{section.username}@{section.host}/{section.folder}"


def _earlier_key(app: Intake, section: ImapSection) -> str | None:
    """The name a mailbox's cursor had in ledgers that put the port in it, if any:
    the current port's first, else the one polled last."""
    if app.ledger.cursor(mailbox_key(section)) is not None:
        return None
    pattern = re.compile(re.escape(f"{section.username}@{section.host}:") + r"\d+"
                         + re.escape(f"/{section.folder}"))
    names = [n for n in app.ledger.mailbox_names() if pattern.fullmatch(n)]
    current = f"{section.username}@{section.host}:{section.port}/{section.folder}"
    return current if current in names else next(iter(names), None)


def poll(app: Intake, options: PollOptions, report: RunReport) -> None:
    section = imap_section(app.settings)
    key = mailbox_key(section)
    if earlier := _earlier_key(app, section):
        app.ledger.rename_mailbox(earlier, key)
    server = f"imap:{section.host}:{section.port}"
    if any(name != server for name in app.ledger.server_names()):
        with app.ledger.transaction():
            app.ledger.forget_servers_except(server)
    health = app.ledger.health(server)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if (health.next_try_at and now < health.next_try_at and not options.interactive
            and not options.now):
        report.source_problem = (f"IMAP {section.host}:{section.port} failed {health.failures} "
                                 f"run(s) in a row ({health.last_error}); next try after "
                                 f"{health.next_try_at}")
    else:
        try:
            with Mailbox(section) as box, box.talking("fetching new mail"):
                _fetch_new(app, box, section, key, options, report)
        except ImapUnavailable as exc:
            report.source_problem = str(exc)
            delay = timedelta(minutes=min(5 * 2 ** health.failures, 60))
            with app.ledger.transaction():
                app.ledger.server_failed(server, str(exc), (datetime.now(UTC) + delay)
                                         .isoformat(timespec="seconds"))
        else:
            if health.failures:
                with app.ledger.transaction():
                    app.ledger.server_ok(server)
    failpoint("after-fetch")
    if app.settings.contests:  # judges with entries left hear before judging closes
        from intake.contests.judging import remind

        for reminded in remind(app.ledger, app.settings):
            log.info("contest %s: reminder queued", reminded)
    delivery = Delivery(app, transport_for(app.settings), report, now=options.now)
    try:
        app.process_pending(report, limit=options.limit, delivery=delivery)
    except BaseException:
        delivery.close()  # what was sent is recorded; the rest waits for the next run
        raise
    delivery.finish()
    failpoint("before-mark")
    if report.source_problem is None:
        try:
            _mark_done(app, section, key)
        except ImapUnavailable as exc:
            # Nothing lost: the ledger knows; the next run moves them.
            report.mark_problem = str(exc)
        except FolderRefused as exc:
            # Nothing lost either, and nothing taken twice; but no later run will do
            # better until a person changes the folder's rights or the settings.
            report.refused_problem = (f"{exc}; the messages are taken and kept, and stay "
                                      "in the folder until this is fixed ([imap] "
                                      "processed_folder, or after)")


def _fetch_new(app: Intake, box: Mailbox, section: ImapSection, key: str,
               options: PollOptions, report: RunReport) -> None:
    state = box.select(section.folder)
    cursor = app.ledger.cursor(key)
    since = options.since or (cursor.since if cursor else None) or section.since
    last_uid = 0
    if cursor is not None and cursor.uidvalidity == state.uidvalidity:
        last_uid = cursor.last_uid
    elif cursor is not None:
        with app.ledger.transaction():
            closed = app.ledger.supersede_uids(key, cursor.uidvalidity, state.uidvalidity)
        log.warning("%s: UIDVALIDITY changed (%s → %s): reading the folder again; messages "
                    "already taken are recognised and not answered twice%s", box.where,
                    cursor.uidvalidity, state.uidvalidity,
                    f" ({closed} not yet moved are found again by content and moved by "
                    "their new UIDs)" if closed else "")
    else:
        _first_run_check(app, box, section, state.exists, since, options)
    if cursor is None or cursor.uidvalidity != state.uidvalidity or (
            since and cursor.since != since):
        with app.ledger.transaction():
            app.ledger.set_cursor(key, state.uidvalidity, last_uid, since)

    uids = box.uids_above(last_uid, since)
    if options.limit is not None:
        uids = uids[: options.limit]
    if not uids:
        return
    warm_up()  # the converters load while the mail is fetched
    sizes = box.sizes(uids)
    limit = app.settings.intake.max_message_bytes
    started = time.monotonic()
    for start in range(0, len(uids), section.batch_size):
        chunk = uids[start:start + section.batch_size]
        small = [u for u in chunk if sizes.get(u, 0) <= limit]
        for uid in chunk:
            if uid not in small and uid in sizes:
                # Too large to read safely: keep the headers, leave the message on the
                # server, and quarantine it for an editor.
                raw = RawMessage("imap", _origin(section, state.uidvalidity, uid),
                                 box.headers(uid), size=sizes[uid])
                app.accept(raw, report, imap=(key, state.uidvalidity, uid))
        for batch in box.fetch(small, section.batch_size, sizes):
            app.accept_batch([(_raw(section, state.uidvalidity, item),
                               (key, state.uidvalidity, item.uid)) for item in batch], report)
        with app.ledger.transaction():
            app.ledger.set_cursor(key, state.uidvalidity, chunk[-1])
        if time.monotonic() - started > section.run_budget:
            log.info("%s: run budget of %.0f s spent; %d message(s) left for the next run",
                     box.where, section.run_budget, len(uids) - start - len(chunk))
            break


def _first_run_check(app: Intake, box: Mailbox, section: ImapSection, exists: int,
                     since: date | None, options: PollOptions) -> None:
    if since is not None or exists <= section.first_run_max or not app.acknowledge:
        return
    question = (f"{box.where}: this is the first run, and {section.folder} already holds "
                f"{exists} messages. Take and acknowledge all of them?")
    if options.interactive and options.ask is not None:
        if options.ask(question):
            return
        if options.ask("Take all of them without answering anyone (recorded as received, "
                       "no email: for old mail)?"):
            app.acknowledge = False
            return
    raise FirstRunRefused(
        f"first run: {section.folder} already holds {exists} messages (more than "
        f"[imap] first_run_max = {section.first_run_max}), and intake will not answer old "
        "mail without being told. Run `intake poll --since YYYY-MM-DD` once (or set [imap] "
        "since) to take only newer mail, `intake poll --no-acknowledge` to take it all "
        "without answering anyone, or run `intake poll` on a terminal to choose.")


def _mark_done(app: Intake, section: ImapSection, key: str) -> None:
    cursor = app.ledger.cursor(key)
    if cursor is None:
        return
    uids = app.ledger.uids_to_mark(key, cursor.uidvalidity)
    if not uids:
        return
    how = section.after
    if how != "leave":
        with Mailbox(section) as box, box.talking("marking messages done"):
            state = box.select(section.folder)
            if state.uidvalidity != cursor.uidvalidity:
                return  # the folder changed under us; the next fetch re-reads it
            if how == "move":
                box.ensure_folder(section.processed_folder)
                box.move(uids, section.processed_folder)
            elif state.keywords_allowed:
                box.flag(uids, section.keyword)
            else:
                log.warning("%s does not allow keywords: messages are left as they are "
                            "(set [imap] after = \"move\")", box.where)
                how = "leave"
    with app.ledger.transaction():
        app.ledger.uids_marked(key, cursor.uidvalidity, uids, how)
    log.info("%d message(s) marked done on the server (%s)", len(uids), how)


def _origin(section: ImapSection, uidvalidity: int, uid: int) -> str:
    return f"imap://{section.host}/{section.folder};UIDVALIDITY={uidvalidity};UID={uid}"


def _raw(section: ImapSection, uidvalidity: int, item: Fetched) -> RawMessage:
    return RawMessage("imap", _origin(section, uidvalidity, item.uid), item.data)


def dry_run(settings: Settings, options: PollOptions, out: Callable[[str], None]
            ) -> RunReport:
    """Read and report: no ledger, draft, server or mail change of any kind."""
    section = imap_section(settings)
    report = RunReport()
    app = Intake(settings, readonly=True)
    key = _earlier_key(app, section) or mailbox_key(section)
    try:
        with Mailbox(section) as box, box.talking("reading mail"):
            state = box.select(section.folder, readonly=True)
            cursor = app.ledger.cursor(key)
            since = options.since or (cursor.since if cursor else None) or section.since
            last = cursor.last_uid if cursor and cursor.uidvalidity == state.uidvalidity else 0
            if cursor is None and since is None and state.exists > section.first_run_max:
                out(f"first run: {section.folder} holds {state.exists} messages; a real run "
                    "would ask first (on a terminal) or need --since (in cron)")
            uids = box.uids_above(last, since)[: options.limit]
            earlier: dict[str, int] = {}  # Message-IDs a real run would have taken, by UID
            for batch in box.fetch(uids, section.batch_size):
                for item in batch:
                    report.fetched += 1
                    try:
                        with time_budget(settings.intake.message_seconds):
                            out(_describe(app, item, report, earlier))
                    except MessageTimeout as exc:
                        report.quarantined += 1
                        out(f"UID {item.uid}: would quarantine: {exc}")
    finally:
        app.close()
    return report


def _describe(app: Intake, item: Fetched, report: RunReport,
              earlier: dict[str, int] | None = None) -> str:
    """What a real run would do with this message: the same stages, described, not done.
    earlier: what this dry run has already described as new, by Message-ID, so that a
    reply to it later in the same batch reads as the real run would take it (the ledger
    a dry run reads does not have it)."""
    head = f"UID {item.uid}:"
    if app.ledger.message_by_sha(hashlib.sha256(item.data).hexdigest()) is not None:
        report.known += 1
        return f"{head} already taken"
    work = Work(unsaved(item.data), data=item.data)
    outcome = run_stages(app, work, STAGES)
    sender = work.msg.sender_email if work.msg else "?"
    if isinstance(outcome, Unreadable):
        report.quarantined += 1
        return f"{head} would quarantine: {outcome.reason}"
    if isinstance(outcome, Duplicate):
        report.duplicates += 1
        return f"{head} already taken (the same message)"
    if isinstance(outcome, AboutOurMail):
        report.ignored += 1
        what = ("bounce of" if outcome.bounced else "delay notice about" if outcome.delayed
                else "automatic reply to")
        return f"{head} would note a {what} our {outcome.item.purpose} from {sender}"
    if isinstance(outcome, JoinsThread):
        report.revisions += 1
        return (f"{head} would add to {outcome.submission.reference} ({outcome.how}) "
                f"from {sender}")
    kind = outcome.classification.kind if outcome.classification else "-"
    if outcome.status is Status.IGNORED:
        report.ignored += 1
        return f"{head} would ignore ({outcome.reason}) from {sender}"
    if outcome.reason:
        report.quarantined += 1
        return f"{head} would quarantine {kind} from {sender}: {outcome.reason}"
    answered = [earlier[m] for m in (work.msg.in_reply_to, *work.msg.references)
                if earlier is not None and m in earlier] if work.msg else []
    if answered:
        report.revisions += 1
        return (f"{head} would add to the submission UID {answered[-1]} would make (a reply "
                f"in its thread) from {sender}")
    if earlier is not None and work.msg is not None and work.msg.message_id:
        earlier[work.msg.message_id] = item.uid
    report.new += 1
    title = outcome.draft.title if outcome.draft else work.message.subject
    return f"{head} would take {kind} from {sender}: {title}"


def terminal_ask(question: str) -> bool:
    print(question + " [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        return input().strip().lower() in {"y", "yes"}
    except EOFError:
        return False
