"""The editors' commands: queue, show, assign, review, note, decisions, open, export.

None of them takes the run lock: each change is one ledger transaction that checks
the submission is still as the editor saw it, so editors can work while a poll runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from intake.core.config import Settings, default_config_path, load_settings
from intake.core.errors import ExitCode, IntakeError
from intake.core.models import AWAITING_EDITORS, Classification, Status
from intake.editors.workflow import (
    DECISIONS,
    Actor,
    WorkflowError,
    actor_for,
    add_note,
    assign,
    find,
    find_editor,
    reclassify,
    start_review,
)
from intake.ledger import Ledger, Submission
from intake.ledger.events import EventName

if TYPE_CHECKING:
    from intake.mail.templates import Rendered


def settings_of(args: argparse.Namespace) -> Settings:
    from intake.core.access import apply_group

    settings = load_settings(args.config or default_config_path())
    apply_group(settings)
    return settings


@contextmanager
def _opened(args: argparse.Namespace, readonly: bool = False
            ) -> Iterator[tuple[Settings, Ledger]]:
    """The settings and the ledger alone: listing and simple steps need neither converters
    nor templates, which keeps an editor's command quick to start. readonly: for the
    commands that only read, which an editor in [intake] group may run."""
    from intake.editors.roster import with_invited

    settings = settings_of(args)
    ledger = Ledger(settings.data_dir / "intake.sqlite3", readonly=readonly)
    try:
        yield with_invited(settings, ledger), ledger
    finally:
        ledger.close()


# -- queue -------------------------------------------------------------------------


def queue_statuses(text: str | None) -> Sequence[Status] | None:
    """--status: one status, several separated by commas, or all; none given: what
    awaits editors."""
    if text is None:
        return AWAITING_EDITORS
    if text == "all":
        return None
    try:
        return [Status(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        raise IntakeError(f"--status {text!r}: expected one or more of "
                          f"{', '.join(s.value for s in Status)} (comma-separated), "
                          "or all") from None


def cmd_queue(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    statuses = queue_statuses(args.status)
    if args.kind and args.kind not in {k.name for k in settings.kinds}:
        raise IntakeError(f"--kind {args.kind!r}: the kinds are "
                          f"{', '.join(k.name for k in settings.kinds)}")
    assignee, unassigned = None, False
    if args.assignee == "none":
        unassigned = True
    elif args.assignee == "me":
        assignee = actor_for(settings, None).id
    elif args.assignee:
        editor = find_editor(settings, args.assignee)
        assignee = editor.id if editor else args.assignee
    now = datetime.now(UTC)

    def days_ago(days: int | None) -> str | None:
        if days is None:
            return None
        return (now - timedelta(days=days)).isoformat(timespec="seconds")

    with _opened(args, readonly=True) as (_, ledger):
        if args.search is not None:
            from intake.editors import search

            me = None
            if re.search(r"assignee:me\b", args.search, re.I):  # who "me" is, when asked
                me = actor_for(settings, None).id
            query = search.parse(args.search, me=me)
            for problem in query.problems:
                print(f"intake: not understood: {problem}", file=sys.stderr)
            hits, _total = search.run(
                ledger, query, statuses=list(statuses) if args.status and statuses else None,
                kind=args.kind, assignee="none" if unassigned else assignee,
                limit=args.limit or 100)
            rows = [h.submission for h in hits]
        else:
            rows = ledger.submissions(statuses, args.kind, assignee=assignee,
                                      unassigned=unassigned,
                                      received_before=days_ago(args.older_than),
                                      received_after=days_ago(args.newer_than),
                                      limit=args.limit)
    if args.json:
        out = sys.stdout
        for row in rows:
            data = row.as_json()
            data["age_days"] = row.age_days(now)
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        return 0
    if not rows:
        print("nothing in the queue" if args.status is None else "no submissions")
        return 0
    print(queue_table(rows, now))
    return 0


def queue_table(rows: list[Submission], now: datetime) -> str:
    head = ("REFERENCE", "KIND", "STATUS", "SENT", "AGE", "WORDS", "WARN", "ASSIGNEE",
            "AUTHOR", "TITLE")
    lines = [head]
    for r in rows:
        title = r.title if r.status is not Status.QUARANTINED else \
            f"{r.title} — {r.reason or ''}"
        # When the author sent it (never later than it arrived), not when intake read it.
        lines.append((r.reference, r.kind, r.status.value, (r.sent_at or r.received)[:10],
                      f"{r.age_days(now)}d", str(r.word_count), str(len(r.warnings)),
                      r.assignee or "-", _cut(r.author_name or r.author_email or "?", 24),
                      title))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
    # The title takes what the terminal has left (at least 20 characters).
    room = max(20, shutil.get_terminal_size((120, 24)).columns - sum(widths) - 2 * len(widths))
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=False))
                     + "  " + _cut(line[-1], room) for line in lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- show --------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    with _opened(args, readonly=True) as (settings, ledger):
        sub = find(ledger, args.reference)
        events = ledger.events_of(sub.id)
        outbox = ledger.outbox_of(sub.id)
        messages = ledger.messages_of(sub.id)
    draft = settings.data_dir / sub.draft_dir if sub.draft_dir else None
    if args.json:
        data = sub.as_json()
        data["draft"] = str(draft) if draft else None
        data["raw"] = [str(settings.data_dir / m.raw_path) for m in messages]
        data["outbox"] = [{"purpose": o.purpose, "template": o.template, "to": o.recipient,
                           "subject": o.subject, "state": o.state, "attempts": o.attempts,
                           "error": o.last_error, "bounce": o.bounce, "sent_at": o.sent_at}
                          for o in outbox]
        data["history"] = [{"at": e.at, "actor": e.actor, "event": e.event, **e.detail}
                           for e in events]
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    found = sub.classification
    out = [f"{sub.reference}  {sub.title}",
           f"  kind:      {sub.kind} ({_why(found)})",
           f"  status:    {sub.status.value}" + (f" — {sub.reason}" if sub.reason else ""),
           f"  assignee:  {sub.assignee or '(nobody)'}",
           f"  author:    {sub.author_name} <{sub.author_email}>",
           f"  subject:   {sub.subject}",
           f"  sent:      {sub.sent_at or '(unknown)'}",
           f"  received:  {sub.received}",
           f"  message:   {sub.message_id or '(no Message-ID)'}",
           f"  words:     {sub.word_count}",
           f"  revision:  {sub.revision}"]
    if sub.purged_at:
        out.append(f"  purged:    {sub.purged_at} (raw messages and drafts deleted)")
    elif draft:
        out.append(f"  draft:     {draft / 'draft.md'}")
    if not sub.purged_at:
        out.extend(f"  raw:       {settings.data_dir / m.raw_path}" for m in messages)
    if sub.warnings:
        out.append("  warnings:")
        out.extend(f"    - {w}" for w in sub.warnings)
    if outbox:
        out.append("  email:")
        out.extend(f"    - {o.purpose} ({o.template}) to {o.recipient}: {o.state}"
                   + (f" at {o.sent_at}" if o.sent_at else "")
                   + (f" ({o.bounce or o.last_error})" if o.bounce or o.last_error else "")
                   for o in outbox)
    out.append("  history:")
    for e in events:
        detail = ", ".join(f"{k}={_short(v)}" for k, v in e.detail.items()
                           if v not in (None, "", []))
        out.append(f"    {e.at}  {e.actor}: {e.event}" + (f" ({detail})" if detail else ""))
    print("\n".join(out))
    return 0


def _short(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 120 else text[:119] + "…"


# -- assign, review, note, reclassify ------------------------------------------------


def cmd_assign(args: argparse.Namespace) -> int:
    with _opened(args) as (settings, ledger):
        sub = assign(ledger, settings, args.reference, args.editor,
                     actor_for(settings, args.actor))
    print(f"{sub.reference}: assigned to {sub.assignee or 'nobody'} (status "
          f"{sub.status.value})")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    with _opened(args) as (settings, ledger):
        sub = start_review(ledger, settings, args.reference, actor_for(settings, args.actor))
    draft = settings.data_dir / sub.draft_dir / "draft.md" if sub.draft_dir else None
    print(f"{sub.reference}: in review with {sub.assignee}" + (f"; draft: {draft}" if draft
                                                                  else ""))
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    with _opened(args) as (settings, ledger):
        sub = add_note(ledger, args.reference, args.text, actor_for(settings, args.actor))
    print(f"{sub.reference}: note kept")
    return 0


def cmd_reclassify(args: argparse.Namespace) -> int:
    from intake.editors.workflow import set_article_type, set_language

    if not args.kind and not args.type and not args.language:
        raise IntakeError("give a kind, or --type, or --language, or several")
    with _opened(args) as (settings, ledger):
        before = find(ledger, args.reference)
        actor = actor_for(settings, args.actor)
        sub = reclassify(ledger, settings, args.reference, args.kind, actor) \
            if args.kind else before
        if args.type:
            sub = set_article_type(ledger, settings, args.reference, args.type, actor)
        if args.language:
            sub = set_language(ledger, settings, args.reference, args.language, actor)
    if args.language:
        print(f"{sub.reference}: answered in {args.language} from its next email "
              f"(was {before.language or settings.languages.default})")
    if args.kind:
        print(f"{sub.reference}: {before.kind} → {sub.kind} (status {sub.status.value})")
    if args.type:
        print(f"{sub.reference}: article type {before.article_type or 'none'} → "
              f"{sub.article_type or 'none'}")
    return 0


def cmd_add_author(args: argparse.Namespace) -> int:
    from intake.editors.authorship import add_author
    from intake.pipeline.run import Intake

    settings = settings_of(args)
    app = Intake(settings)
    try:
        sub = add_author(app, args.reference, args.email, actor_for(settings, args.actor))
    finally:
        app.close()
    print(f"{sub.reference}: {args.email.strip().lower()} may now send revisions")
    return 0


def cmd_take_revision(args: argparse.Namespace) -> int:
    from intake.core.runlock import run_lock
    from intake.editors.authorship import take_revision
    from intake.pipeline.run import Intake

    settings = settings_of(args)
    with run_lock(settings.data_dir):  # it converts and queues mail, as a poll does
        app = Intake(settings)
        try:
            sub = take_revision(app, args.reference, args.message,
                                actor_for(settings, args.actor))
        finally:
            app.close()
    print(f"{sub.reference}: revision {sub.revision} from message {args.message} "
          f"(status {sub.status.value})")
    return 0


# -- decisions ---------------------------------------------------------------------


def cmd_decide(args: argparse.Namespace) -> int:
    from intake.editors.decisions import commit, prepare
    from intake.mail.templates import Notices

    message = _message(args, ask=args.action == "request-changes")
    with _opened(args) as (settings, ledger):
        if args.action == "accept":
            resolve_privacy(ledger, settings, find(ledger, args.reference),
                            args.resolve_privacy, actor_for(settings, args.actor))
        prepared = prepare(ledger, settings, Notices(settings), args.reference, args.action,
                           actor_for(settings, args.actor), message=message,
                           template=args.template, reason=getattr(args, "reason", None),
                           send_email=not args.no_email)
        if prepared.email is not None and prepared.rendered is not None and not args.yes \
                and not _confirmed(prepared.sub, prepared.rendered,
                                   f"Record {prepared.sub.reference} as "
                                   f"{prepared.decision.status.value} and queue this email?",
                                   template=prepared.template or "",
                                   otherwise=", or --no-email to decide silently"):
            print("nothing recorded, no email queued", file=sys.stderr)
            return int(ExitCode.NEEDS_ATTENTION)
        sub = commit(ledger, settings, prepared)
    line = f"{sub.reference}: {prepared.decision.done} by {prepared.actor.name}"
    if prepared.email is not None:
        line += (f"; email to {sub.author_email} queued ({prepared.template}): the next "
                 "intake poll or intake send delivers it")
    else:
        line += "; no email (--no-email)"
    print(line)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from intake.editors.diff import as_text, comparison, revision_text, revisions

    with _opened(args, readonly=True) as (settings, ledger):
        sub = find(ledger, args.reference)
    kept = revisions(settings.data_dir, sub)
    if args.b is None and len(kept) < 2:
        raise IntakeError(f"{sub.reference} has one revision: nothing to compare")
    a = args.a if args.a is not None else kept[-2]
    b = args.b if args.b is not None else kept[-1]
    found = comparison(revision_text(settings.data_dir, sub, a),
                       revision_text(settings.data_dir, sub, b))
    print(f"{sub.reference}: revision {a} → {b} ([-removed-] {{+added+}})")
    print(as_text(found.pieces))
    if found.note:
        print(f"intake: note: {found.note}", file=sys.stderr)
    return 0


def cmd_reply(args: argparse.Namespace) -> int:
    from intake.editors.reply import prepare_reply, send_reply
    from intake.mail.templates import Notices

    message = _message(args, ask=True)
    with _opened(args) as (settings, ledger):
        prepared = prepare_reply(ledger, settings, Notices(settings), args.reference,
                                 actor_for(settings, args.actor), message)
        if not args.yes and not _confirmed(prepared.sub, prepared.rendered,
                                           "Queue this email?"):
            print("nothing queued", file=sys.stderr)
            return int(ExitCode.NEEDS_ATTENTION)
        sub = send_reply(ledger, prepared)
    print(f"{sub.reference}: reply to {sub.author_email} queued: the next intake poll or "
          "intake send delivers it")
    return 0


def _message(args: argparse.Namespace, ask: bool = False) -> str:
    """--message, --message-file, or (ask, on a terminal, neither given) what the editor
    writes in $VISUAL or $EDITOR, as git commit does."""
    if args.message_file is None:
        if not args.message and ask and sys.stdin.isatty() and sys.stdout.isatty():
            return _from_editor()
        return str(args.message or "")
    if args.message:
        raise IntakeError("give --message or --message-file, not both")
    if str(args.message_file) == "-":
        return sys.stdin.read()
    try:
        return Path(args.message_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IntakeError(f"--message-file {args.message_file}: cannot be read ({exc})"
                          ) from exc


_EDITOR_HINT = ("\n# Write the message to the author above. Lines starting with # are left "
                "out;\n# an empty message sends nothing.\n")


def _from_editor() -> str:
    import shlex
    import tempfile

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise IntakeError("give the message with --message TEXT or --message-file FILE "
                          "(or set $EDITOR to write it in your editor)")
    with tempfile.NamedTemporaryFile("w+", suffix=".txt", encoding="utf-8") as draft:
        draft.write(_EDITOR_HINT)
        draft.flush()
        done = subprocess.run([*shlex.split(editor), draft.name], check=False)
        if done.returncode != 0:
            raise IntakeError(f"{editor} exited with {done.returncode}: nothing was done")
        text = Path(draft.name).read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


def _confirmed(sub: Submission, rendered: Rendered, question: str, *, template: str = "",
               otherwise: str = "") -> bool:
    """Show the email on the terminal and ask; without a terminal, refuse to guess."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise WorkflowError("the email cannot be shown for confirmation without a terminal: "
                            f"add --yes to queue it unseen{otherwise}")
    print(f"To: {sub.author_name} <{sub.author_email}>\nSubject: {rendered.subject}"
          + (f"\n(template {template})\n" if template else "\n"))
    print(rendered.text)
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


# -- open ----------------------------------------------------------------------------


def cmd_open(args: argparse.Namespace) -> int:
    with _opened(args) as (settings, ledger):
        sub = find(ledger, args.reference)
    if sub.purged_at:
        raise IntakeError(f"{sub.reference} was purged on {sub.purged_at[:10]}: its draft is "
                          "gone (the history stays: intake show)")
    if not sub.draft_dir:
        raise IntakeError(f"{sub.reference} has no draft ({sub.status.value}"
                          + (f": {sub.reason}" if sub.reason else "") + ")")
    path = settings.data_dir / sub.draft_dir / "draft.md"
    if not path.is_file():
        raise IntakeError(f"{sub.reference}: the draft {path} is missing on disk")
    print(path)
    if args.view:
        viewer = shutil.which("xdg-open") or shutil.which("open")
        if viewer is None:
            raise IntakeError("no system viewer found (xdg-open or open): open the path "
                              "above yourself")
        opened = subprocess.run([viewer, str(path)], check=False, timeout=30,
                                capture_output=True, text=True)
        if opened.returncode != 0:
            detail = (opened.stderr.strip().splitlines() or ["no reason given"])[-1]
            raise IntakeError(f"{viewer} could not open the draft (exit "
                              f"{opened.returncode}: {detail}): open the path above yourself")
    return 0


# -- publish ---------------------------------------------------------------------------


def cmd_publish(args: argparse.Namespace) -> int:
    from intake.editors.publish import publish

    with _opened(args) as (settings, ledger):
        actor = actor_for(settings, args.actor)
        resolve_privacy(ledger, settings, find(ledger, args.reference), args.resolve_privacy,
                        actor)
        done = publish(ledger, settings, args.reference, actor)
    how = "updated" if done.updated else "made"
    print(f"{args.reference}: post {done.post_id} {how} on WordPress ({done.status}, "
          f"{done.uploaded} image(s) uploaded): {done.link}")
    return 0


# -- export ----------------------------------------------------------------------------


@contextmanager
def _writing_to(to: Path) -> Iterator[None]:
    """An export's failures in words: an earlier one there, or a folder not writable."""
    try:
        yield
    except FileExistsError as exc:
        raise IntakeError(str(exc)) from None
    except OSError as exc:
        raise IntakeError(f"cannot write the export to {to}: {exc}") from exc


def cmd_export(args: argparse.Namespace) -> int:
    from intake.editors.privacy import require_clear
    from intake.export.bundle import Format, export_bundle

    formats: set[Format] = {"markdown"} if args.format == "markdown" else \
        {"docx"} if args.format == "docx" else {"markdown", "docx"}
    with _opened(args) as (settings, ledger):
        actor = actor_for(settings, args.actor)
        sub = find(ledger, args.reference)
        if sub.purged_at or not sub.draft_dir:
            raise IntakeError(f"{sub.reference} has no draft to export ("
                              + ("purged" if sub.purged_at else sub.status.value) + ")")
        resolve_privacy(ledger, settings, sub, args.resolve_privacy, actor)
        require_clear(ledger, settings, sub, "exported")
        if args.for_judges:
            return _export_for_judges(ledger, settings, sub, args, actor)
        with _writing_to(args.to):
            result = export_bundle(sub, settings.data_dir / sub.draft_dir, args.to, formats,
                                   overwrite=args.force)
        with ledger.transaction():
            ledger.add_event(EventName.EXPORTED, submission_id=sub.id, actor=actor.id,
                             to=str(result.folder.resolve()), formats=sorted(formats),
                             notes=result.notes or None)
    if sub.status is not Status.ACCEPTED:
        print(f"intake: note: {sub.reference} is {sub.status.value}, not accepted",
              file=sys.stderr)
    for note in result.notes:
        print(f"intake: note: {note}", file=sys.stderr)
    print(result.folder)
    for path in result.files:
        print(f"  {path.relative_to(result.folder)}")
    return 0


def _export_for_judges(ledger: Ledger, settings: Settings, sub: Submission,
                       args: argparse.Namespace, actor: Actor) -> int:
    """--for-judges: the judges' copy (contests.blind), refused while it names its author."""
    from intake.contests import blind

    copy = blind.build(settings.data_dir, sub)
    for removed in copy.removed:
        print(f"removed {removed.what}: {removed.text}", file=sys.stderr)
    if not copy.clean:
        raise IntakeError(f"the judges' copy of {sub.reference} still names its author ("
                          f"{'; '.join(copy.still_named)}): edit the draft (intake edit)")
    with _writing_to(args.to):
        files = blind.export(settings.data_dir, sub, copy, args.to, overwrite=args.force)
    with ledger.transaction():
        ledger.add_event(EventName.EXPORTED, submission_id=sub.id, actor=actor.id,
                         to=str(files[0].parent.resolve()), formats=["judges"])
    print(files[0].parent)
    for path in files:
        print(f"  {path.relative_to(files[0].parent)}")
    return 0


# -- the parser ----------------------------------------------------------------------


Command = Callable[[argparse.Namespace], int]
Register = Callable[[str, Command, str], argparse.ArgumentParser]


def resolve_privacy(ledger: Ledger, settings: Settings, sub: Submission,
                    given: Sequence[Sequence[str]] | None, actor: Actor) -> None:
    """--resolve-privacy FLAG REASON, each kept before the step it was given with."""
    from intake.editors.privacy import keep

    for which, reason in given or ():
        flag = keep(ledger, settings, sub.reference, which, reason, actor)
        print(f"{sub.reference}: privacy flag {flag.number} ({flag.what}) kept by "
              f"{actor.name}", file=sys.stderr)


FLAG_HELP = ("settle a privacy flag first: keep flag FLAG (its number in intake privacy "
             "REF, or its key) for REASON; may be given more than once")


def add_editor_commands(register: Register) -> None:
    """Register the editors' commands with cli._parser's add(name, handler, help)."""

    def actor_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--as", dest="actor", default=None, metavar="EDITOR",
                       help="who is acting (default: $INTAKE_EDITOR, then the login name)")

    p = register("queue", cmd_queue, "list submissions, oldest first (by default, what "
                 "awaits editors)")
    p.add_argument("--status", default=None,
                   help=f"one or more of {', '.join(s.value for s in Status)} "
                        "(comma-separated), or all")
    p.add_argument("--kind", default=None, help="only this kind")
    p.add_argument("--assignee", default=None, metavar="EDITOR",
                   help="only those assigned to EDITOR; me: to you; none: to nobody")
    p.add_argument("--older-than", type=_days, default=None, metavar="DAYS",
                   help="only those received more than DAYS days ago")
    p.add_argument("--newer-than", type=_days, default=None, metavar="DAYS",
                   help="only those received within the last DAYS days")
    p.add_argument("--limit", type=_days, default=None, metavar="N", help="at most N rows")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--search", default=None, metavar="QUERY",
                   help="find submissions of any status (unless --status is given), best "
                        "first: words and \"phrases\" anywhere in the draft, the messages "
                        "and the notes, and from:, kind:, status:, assignee:me, before:, "
                        "after: (as on the desk)")

    p = register("show", cmd_show, "one submission: metadata, warnings, files, emails, "
                 "history")
    p.add_argument("reference")
    p.add_argument("--json", action="store_true", help="as one JSON object")

    p = register("assign", cmd_assign, "give a submission to an editor (none: to nobody); "
                 "a queued one goes into review")
    p.add_argument("reference")
    p.add_argument("editor", help="an editor's id from [editors], or none")
    actor_option(p)

    p = register("review", cmd_review, "take a submission into review (assigned to you "
                 "unless someone has it)")
    p.add_argument("reference")
    actor_option(p)

    p = register("note", cmd_note, "add a note to a submission's history")
    p.add_argument("reference")
    p.add_argument("text")
    actor_option(p)

    p = register("diff", cmd_diff, "compare two revisions word by word (by default the last "
                 "two)")
    p.add_argument("reference")
    p.add_argument("a", type=int, nargs="?", default=None, help="the earlier revision")
    p.add_argument("b", type=int, nargs="?", default=None, help="the later revision")

    p = register("reply", cmd_reply, "a free-form email to the author, in the submission's "
                 "thread (the status stays as it is)")
    p.add_argument("reference")
    p.add_argument("--message", "-m", default="", metavar="TEXT", help="what to write")
    p.add_argument("--message-file", type=Path, default=None, metavar="PATH",
                   help="read the message from a file (- for standard input)")
    p.add_argument("--yes", "-y", action="store_true",
                   help="queue it without showing it first (needed without a terminal)")
    actor_option(p)

    p = register("add-author", cmd_add_author, "let another address send revisions of a "
                 "submission (a co-author, the author's new address)")
    p.add_argument("reference")
    p.add_argument("email")
    actor_option(p)

    p = register("take-revision", cmd_take_revision, "make a message kept as a "
                 "submission's correspondence (a version held for an editor) its next "
                 "revision")
    p.add_argument("reference")
    p.add_argument("message", type=int, help="the message's number (message_row in "
                   "intake show)")
    actor_option(p)

    p = register("reclassify", cmd_reclassify, "correct a submission's kind (one in triage "
                 "then joins the queue), its article type, or the language its author is "
                 "answered in; kept in its history")
    p.add_argument("reference")
    p.add_argument("kind", nargs="?", default="")
    p.add_argument("--type", default="", metavar="TYPE",
                   help="the article type: original_article, review_article, case_report, "
                        "letter, news, clinical_image, perspective, elective_report, or none")
    p.add_argument("--language", default="", metavar="CODE",
                   help="the language the author's emails are written in: en, es, fr, pt "
                        "or de (those [languages] offered)")
    actor_option(p)

    helps = {"accept": "accept a submission in review and email the author",
             "reject": "reject a submission and email the author",
             "request-changes": "ask the author for changes (their revision puts it back "
                                "in the queue)",
             "withdraw": "record that the author withdrew it, and confirm by email"}
    for action in DECISIONS:
        p = register(action, cmd_decide, helps[action])
        p.set_defaults(action=action)
        p.add_argument("reference")
        p.add_argument("--message", "-m", default="", metavar="TEXT",
                       help="your words to the author, put into the email")
        p.add_argument("--message-file", type=Path, default=None, metavar="PATH",
                       help="the same, read from a file (- for standard input)")
        p.add_argument("--template", default=None, metavar="NAME",
                       help="another template from templates/ (intake preview --list)")
        if action == "accept":
            p.add_argument("--resolve-privacy", nargs=2, action="append",
                           metavar=("FLAG", "REASON"), help=FLAG_HELP)
        if action == "reject":
            p.add_argument("--reason", default=None, metavar="NAME",
                           help="a reason from [reasons] in the settings, worded for the "
                                "author")
        p.add_argument("--yes", "-y", action="store_true",
                       help="queue the email without showing it for confirmation")
        p.add_argument("--no-email", action="store_true",
                       help="record the decision without writing to the author")
        actor_option(p)

    p = register("export", cmd_export, "write a publication bundle: Markdown with front "
                 "matter, images and HTML (--format docx: a Word file)")
    p.add_argument("reference")
    p.add_argument("--to", type=Path, required=True, metavar="DIR",
                   help="the bundle goes into DIR/REFERENCE/")
    p.add_argument("--format", choices=("markdown", "docx", "all"), default="markdown",
                   help="markdown: .md, .html and assets/ (default); docx: a Word file and "
                        "assets/; all: both")
    p.add_argument("--force", action="store_true", help="replace an earlier export")
    p.add_argument("--for-judges", action="store_true",
                   help="the judges' copy instead: the author's name, address, institution "
                        "and bio removed (DIR/REFERENCE-judges/); refused if it still names "
                        "the author")
    p.add_argument("--resolve-privacy", nargs=2, action="append", metavar=("FLAG", "REASON"),
                   help=FLAG_HELP)
    actor_option(p)

    p = register("publish", cmd_publish, "publish an accepted submission to WordPress as a "
                 "draft post (again: the same post, updated)")
    p.add_argument("reference")
    p.add_argument("--resolve-privacy", nargs=2, action="append", metavar=("FLAG", "REASON"),
                   help=FLAG_HELP)
    actor_option(p)

    p = register("open", cmd_open, "print the path of a submission's draft")
    p.add_argument("reference")
    p.add_argument("--view", action="store_true",
                   help="also open it with the system viewer (xdg-open)")


def _days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def _why(found: Classification | None) -> str:
    """The classification's reasons; the model's first says how sure it was."""
    if found is None:
        return "never classified"
    signals = "; ".join(found.signals) or "no signals"
    if found.signals and "sure, from what" in found.signals[0]:
        return signals
    return f"score {found.score}: {signals}"
