"""The command line: thin commands over the library, one exit code each (README, "Exit codes")."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intake.cli.contest import add_contest_commands, add_reader_commands
from intake.cli.desk import add_desk_commands
from intake.cli.editors import add_editor_commands
from intake.cli.model import add_model_commands
from intake.cli.privacy import add_privacy_commands
from intake.cli.progress import progress_bar
from intake.cli.roads import add_road_commands
from intake.cli.setup import add_setup_commands
from intake.cli.upkeep import add_upkeep_commands
from intake.core.config import Settings, default_config_path, load_settings
from intake.core.errors import (
    DamagedLedger,
    ExitCode,
    IntakeError,
    StorageFull,
    is_damaged_ledger,
    is_storage_full,
)
from intake.core.report import RunReport
from intake.core.visible import one_line, visible
from intake.version import described

if TYPE_CHECKING:
    from intake.pipeline.run import Intake
    from intake.pipeline.status import RunRecord

log = logging.getLogger("intake")

Command = Callable[[argparse.Namespace], int]


PRIVATE_UMASK = 0o077


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, args.quiet, args.log_format)
    # Manuscripts may describe patients: what intake creates (data folder, ledger, raw
    # mail, drafts, exports) is its account's alone. Put back for callers in-process.
    umask = os.umask(PRIVATE_UMASK)
    try:
        with _visible_output():
            return int(args.handler(args))
    except _Silent as silent:
        return silent.code
    except IntakeError as exc:
        if args.log_format == "json":  # every line JSON, this one too
            print(json.dumps({"level": "error", "event": "error", "message": str(exc),
                              "exit_code": int(exc.exit_code)}, ensure_ascii=False),
                  file=sys.stderr)
        else:
            print(f"intake: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except BrokenPipeError:
        # The reader (| head) has gone: nothing more to say, and nothing went wrong.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
    except KeyboardInterrupt:
        print("intake: interrupted; the next run continues where this one stopped",
              file=sys.stderr)
        return 130
    except Exception as exc:
        if is_damaged_ledger(exc):  # found corrupt mid-run, not at opening
            damaged = DamagedLedger("intake.sqlite3 (in the data folder)", exc)
            print(f"intake: {damaged}", file=sys.stderr)
            return int(ExitCode.DAMAGED)
        if not is_storage_full(exc):
            raise
        print(f"intake: {StorageFull(exc)}", file=sys.stderr)
        return int(ExitCode.TEMPORARY)
    finally:
        os.umask(umask)


def _setup_logging(verbose: bool, quiet: bool, log_format: str) -> None:
    # -q (cron): the log says nothing; the run's problems, one line each, are all that
    # is printed (cli._said), so one problem is one line.
    level = logging.DEBUG if verbose else logging.CRITICAL if quiet else logging.INFO
    handler = _StderrHandler()
    # On the handler too: a library that sets its own logger's level (to INFO, say)
    # still says nothing under -q.
    handler.setLevel(level)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Python's warnings (a library's DeprecationWarning, pypdf's) go through the same
    # handler and format: nothing reaches stderr around it, so -q and JSON hold.
    logging.captureWarnings(True)
    # Libraries speak only when something is wrong; what they say of a document is a
    # warning on its draft (convert.worker), not a line for cron to mail.
    for noisy in ("mailparser", "imapclient", "pypdf", "PIL", "olefile", "docx",
                  "tnefparse", "py.warnings", "waitress", "flask_wtf"):
        logging.getLogger(noisy).setLevel(logging.ERROR if not verbose else logging.DEBUG)


class _TextFormatter(logging.Formatter):
    """intake: LEVEL: message, with a stranger's control characters (and new lines) as
    visible escapes: a log line cannot colour, retitle or forge what follows it."""

    def __init__(self) -> None:
        super().__init__("intake: %(levelname)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)


class _VisibleStream:
    """A text stream that writes a stranger's control characters as escapes (new lines
    and tabs stay): what intake prints cannot act on the terminal."""

    def __init__(self, stream: Any) -> None:
        self.raw_stream = stream  # for the progress bar, whose escapes are its own

    def write(self, text: str) -> int:
        self.raw_stream.write(visible(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw_stream, name)


@contextmanager
def _visible_output() -> Iterator[None]:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _VisibleStream(out), _VisibleStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


class _JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    # Fields a log line may carry (logging's extra=), for a collector to filter on.
    FIELDS = ("event", "reference", "message_id", "kind", "status", "duration", "error",
              "recipient", "counts", "exit_code", "command")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(), "logger": record.name,
            "event": getattr(record, "event", record.name.rsplit(".", 1)[-1]),
            "message": record.getMessage()}
        for name in self.FIELDS[1:]:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time, as print(file=sys.stderr) does."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _parser() -> argparse.ArgumentParser:
    def common_options(suppress: bool) -> argparse.ArgumentParser:
        # Allowed before or after the command; a subcommand's copy must not reset a value
        # given before it, so its defaults are SUPPRESS.
        def default(value: object) -> object:
            return argparse.SUPPRESS if suppress else value

        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--config", type=Path, default=default(None),
                            help="settings file (default: $INTAKE_CONFIG, then "
                                 "./settings.toml)")
        common.add_argument("-v", "--verbose", action="store_true", default=default(False),
                            help="say more")
        common.add_argument("-q", "--quiet", action="store_true", default=default(False),
                            help="only problems")
        common.add_argument("--log-format", choices=("text", "json"),
                            default=default("text"),
                            help="log lines on stderr: text for people, json for collectors")
        return common

    parser = argparse.ArgumentParser(
        prog="intake", parents=[common_options(suppress=False)],
        description="Turns emailed submissions into drafts for review and answers authors.")
    parser.add_argument("--version", action="version", version=described())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Command, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common_options(suppress=True)], help=help,
                           description=help)
        p.set_defaults(handler=handler)
        return p

    p = add("ingest", cmd_ingest, "process local .eml files, Maildir folders or mbox files")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--no-send", action="store_true", help="queue acknowledgements, send none")
    p.add_argument("--since", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="take only messages sent on or after this date (their Date header)")
    p.add_argument("--no-acknowledge", action="store_true",
                   help="old mail in bulk: record each as received, email nobody (said in "
                        "each submission's history)")

    p = add("poll", cmd_poll, "one cron run: fetch new mail over IMAP, process it, send "
            "pending mail, mark messages done on the server")
    p.add_argument("--since", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="take only messages that arrived on or after this date (kept for "
                        "later runs)")
    p.add_argument("--limit", type=_positive, default=None, metavar="N",
                   help="fetch and process at most N messages this run")
    p.add_argument("--dry-run", action="store_true",
                   help="read and report what would happen; change nothing anywhere")
    p.add_argument("--now", action="store_true",
                   help="ignore the back-offs after failures (the server is fixed)")
    p.add_argument("--no-acknowledge", action="store_true",
                   help="old mail in bulk: record what is taken as received, email nobody "
                        "(said in each submission's history)")
    p.add_argument("--json", action="store_true",
                   help="the run's summary as one JSON object on stdout")

    p = add("send", cmd_send, "deliver pending outbox messages only")
    p.add_argument("--now", action="store_true",
                   help="also what is waiting out a back-off (after the mail server is fixed)")

    p = add("status", cmd_status, "how the last run went and what is waiting: back-offs, "
            "outbox, quarantine, the oldest submission waiting (exit 1 when a person "
            "should look)")
    p.add_argument("--json", action="store_true", help="as one JSON object")

    add("doctor", cmd_doctor, "check settings, the data folder, every template, and the IMAP "
        "and SMTP logins")

    add_setup_commands(add)
    add_editor_commands(add)
    add_privacy_commands(add)
    add_contest_commands(add)
    add_reader_commands(add)
    add_model_commands(add)
    add_road_commands(add)
    add_upkeep_commands(add)
    add_desk_commands(add)

    p = add("preview", cmd_preview, "render an email template with sample data, for whoever "
            "edits the templates")
    p.add_argument("template", nargs="?", help="a template name, such as received_guest_post")
    p.add_argument("--sample", default=None,
                   help="which sample data (default: the one that suits the template); "
                        "--list shows them")
    p.add_argument("--part", choices=("all", "subject", "text", "html"), default="all")
    p.add_argument("--language", default="en", metavar="CODE",
                   help="the author's language: en (default), es, fr, pt or de")
    p.add_argument("--list", action="store_true", help="list templates and samples")

    p = add("convert", cmd_convert, "convert documents (files, or folders of them) into "
            "draft folders, no mail; several at once, with a summary")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="one FILE: the draft folder to write; several, or a folder: where "
                        "their draft folders go (default: beside each file, named after it)")

    p = add("demo", cmd_demo, "a self-contained run on sample submissions, no server needed")
    p.add_argument("--dir", type=Path, default=Path("intake-demo"),
                   help="folder for the demo's settings and data (default: ./intake-demo)")
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-01") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)


def _settings(args: argparse.Namespace) -> Settings:
    from intake.core.access import apply_group

    settings = load_settings(args.config or default_config_path())
    apply_group(settings)
    return settings


def _finish(settings: Settings, command: str, started: float, report: RunReport,
            args: argparse.Namespace) -> int:
    """Record the run (last-run.json, metrics), then say what a person needs to know:
    one line per problem on stderr, the summary on stdout (as JSON with --json)."""
    from intake.pipeline.status import record_run

    code = report.exit_code()
    record = record_run(settings, command, started, int(code), report)
    log.info("%s finished: %s", command, report.summary(),
             extra={"event": "run", "command": command, "exit_code": int(code),
                    "duration": record.seconds, "counts": record.counts})
    return _said(settings, command, code, report, record, args, report.summary())


def _said(settings: Settings, command: str, code: ExitCode, report: RunReport,
          record: RunRecord, args: argparse.Namespace, summary: str) -> int:
    """What a run prints: with --json or JSON logs, one JSON line; with -q (cron), one
    line per problem and nothing else, and nothing at all for a condition that heals by
    itself and has not lasted quiet_minutes; else the summary, and the conditions."""
    from intake.pipeline.status import conditions_of

    if getattr(args, "json", False) or args.log_format == "json":
        print(json.dumps({"command": command, "exit_code": int(code),
                          "seconds": record.seconds, **record.counts,
                          "problems": record.problems, "summary": summary},
                         ensure_ascii=False))
        return int(code)
    if args.quiet:
        if code == ExitCode.TEMPORARY and _young(record.failing_since, settings):
            return int(code)  # heals by itself, and has not lasted long: cron mails nothing
        for problem in record.problems:
            print(f"intake: {problem}", file=sys.stderr)
        return int(code)
    print(summary)
    for condition in [p for p in (report.settings_problem,) if p] + conditions_of(report):
        print(f"intake: {condition}", file=sys.stderr)
    return int(code)


@contextmanager
def _recorded(settings: Settings, command: str, started: float,
              report: RunReport) -> Iterator[None]:
    """A run that ends in an error (a refused login, a folder it cannot write) is recorded
    too: status and the metrics show that run, not the last good one."""
    from intake.core.errors import LockHeld
    from intake.pipeline.status import record_run

    try:
        yield
    except (LockHeld, _Silent):
        raise  # another run is at work: it records itself
    except IntakeError as exc:
        report.stopped = str(exc)
        with contextlib.suppress(Exception):  # the error itself is what must be said
            record_run(settings, command, started, int(exc.exit_code), report)
        raise


def _run_settings(args: argparse.Namespace) -> Settings:
    """Settings for a run that writes (poll, ingest, send): what would fail only after
    the work is done (the metrics file's folder) is checked first."""
    from intake.pipeline.status import check_metrics

    settings = _settings(args)
    check_metrics(settings)
    return settings


def _publish_waiting(app: Intake, settings: Settings) -> None:
    """Articles an editor published while the blog was down go out now."""
    if settings.wordpress is not None:
        from intake.editors.publish import publish_pending

        publish_pending(app.ledger, settings)


@contextmanager
def _locked(settings: Settings, args: argparse.Namespace) -> Iterator[None]:
    """The run lock; with -q, another run holding it for less than quiet_minutes (a long
    run overlapping the next cron start) ends this one silently, exit code unchanged."""
    from intake.core.errors import LockHeld
    from intake.core.runlock import run_lock

    try:
        with run_lock(settings.data_dir):
            yield
    except LockHeld as exc:
        if args.quiet and _young(exc.since, settings):
            raise _Silent(int(ExitCode.TEMPORARY)) from exc
        raise


class _Silent(Exception):
    """End the command with this exit code and print nothing."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _young(since: str | None, settings: Settings) -> bool:
    """Whether a failing condition began less than [intake] quiet_minutes ago."""
    from datetime import UTC, datetime

    if not since:
        return True
    try:
        began = datetime.fromisoformat(since)
    except ValueError:
        return False
    return (datetime.now(UTC) - began).total_seconds() < settings.intake.quiet_minutes * 60


def cmd_ingest(args: argparse.Namespace) -> int:
    from intake.mail.smtp import transport_for
    from intake.pipeline.run import Intake
    from intake.sources.local import read_paths

    settings = _run_settings(args)
    report = RunReport()
    started = time.time()
    with _locked(settings, args), _recorded(settings, "ingest", started, report):
        app = Intake(settings, acknowledge=not args.no_acknowledge)
        try:
            # Each message is kept on disk as it is read, and its bytes let go: a large
            # one need not stay in memory while the others are processed.
            for raw in read_paths(args.paths, args.since):
                app.accept(raw, report)
                del raw
            with progress_bar(args) as app.progress:
                app.process_pending(report)
            if not args.no_send:
                app.deliver(transport_for(settings), report)
            else:
                report.pending = app.ledger.outbox_counts().get("pending", 0)
        finally:
            app.close()
    return _finish(settings, "ingest", started, report, args)


def cmd_poll(args: argparse.Namespace) -> int:
    from intake.pipeline.poll import PollOptions, dry_run, poll, terminal_ask
    from intake.pipeline.run import Intake

    settings = _settings(args) if args.dry_run else _run_settings(args)
    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    options = PollOptions(since=args.since, limit=args.limit, dry_run=args.dry_run,
                          interactive=interactive, now=args.now,
                          ask=terminal_ask if interactive else None)
    if args.dry_run:
        report = dry_run(settings, options, print)
        print("dry run, nothing changed: " + report.summary())
        return int(ExitCode.OK)
    report = RunReport()
    started = time.time()
    with _locked(settings, args), _recorded(settings, "poll", started, report):
        app = Intake(settings, acknowledge=not args.no_acknowledge)
        try:
            with progress_bar(args) as app.progress:
                poll(app, options, report)
            _publish_waiting(app, settings)
        finally:
            app.close()
    return _finish(settings, "poll", started, report, args)


def cmd_send(args: argparse.Namespace) -> int:
    from intake.mail.smtp import transport_for
    from intake.pipeline.run import Intake
    from intake.pipeline.status import record_run

    settings = _run_settings(args)
    report = RunReport()
    started = time.time()
    with _locked(settings, args), _recorded(settings, "send", started, report):
        app = Intake(settings)
        try:
            app.deliver(transport_for(settings), report, now=args.now)
            _publish_waiting(app, settings)
        finally:
            app.close()
    code = report.exit_code()
    record = record_run(settings, "send", started, int(code), report)
    return _said(settings, "send", code, report, record, args,
                 f"sent {report.sent} · pending {report.pending} · failed {report.failed}")


def cmd_status(args: argparse.Namespace) -> int:
    from intake.pipeline.status import describe, needs_attention, status

    found = status(_settings(args))
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=1))
    else:
        print("\n".join(describe(found)))
    return int(ExitCode.NEEDS_ATTENTION if needs_attention(found) else ExitCode.OK)


def cmd_preview(args: argparse.Namespace) -> int:
    from intake.core import languages
    from intake.mail.templates import SAMPLES, Notices, sample, sample_for

    notices = Notices(_settings(args))
    if args.list or not args.template:
        print("templates: " + ", ".join(notices.names()))
        print("samples:   " + ", ".join(SAMPLES))
        return 0 if args.list else int(ExitCode.USAGE)
    if not notices.has(args.template):
        print(f"intake: no template {args.template!r}; templates: "
              f"{', '.join(notices.names())}", file=sys.stderr)
        return int(ExitCode.USAGE)
    name = args.sample or sample_for(args.template)
    if name not in SAMPLES:
        print(f"intake: no sample {name!r}; samples: {', '.join(SAMPLES)}", file=sys.stderr)
        return int(ExitCode.USAGE)
    if args.language not in languages.NAMES:
        print(f"intake: no language {args.language!r}; languages: "
              f"{', '.join(languages.NAMES)}", file=sys.stderr)
        return int(ExitCode.USAGE)
    rendered = notices.render(args.template, {**sample(name), "language": args.language})
    shown = notices.language_of(args.template, args.language)
    if shown != args.language:
        print(f"intake: {args.template} has no {args.language} version: it is sent "
              "in English", file=sys.stderr)
    parts = {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}
    if args.part != "all":
        print(parts[args.part], end="" if args.part != "subject" else "\n")
        return 0
    print(f"Subject: {rendered.subject}\n(sample: {name})\n\n{rendered.text}")
    print("----- HTML part -----")
    print(rendered.html, end="")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from intake.cli.doctor import run_checks

    failed = 0
    for check in run_checks(_settings(args)):
        print(check.line(), flush=True)
        failed += not check.ok
    print(f"{failed} problem(s)" if failed else "all good")
    return int(ExitCode.NEEDS_ATTENTION if failed else ExitCode.OK)


def cmd_convert(args: argparse.Namespace) -> int:
    from intake.cli.convert import convert_many

    return convert_many(args.files, args.output)


def cmd_demo(args: argparse.Namespace) -> int:
    from intake.demo import run_demo

    return run_demo(args.dir)


if __name__ == "__main__":
    raise SystemExit(main())
