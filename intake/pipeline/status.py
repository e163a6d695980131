"""What a monitor wants to know: how the last runs went and what is waiting.

Each poll, ingest and send ends by writing data_dir/last-run.json (atomically): when it
ran, how long it took, its exit code and counts, its problems, when a run last
succeeded and since when runs have been failing. `intake status` joins that with the
ledger (opened read-only): servers backing off, outbox mail pending or failed for good,
quarantined submissions and the oldest submission waiting for an editor.
`[intake] metrics_file` gets the same figures in Prometheus text format.
"""

from __future__ import annotations

import grp
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from intake.core.access import account_name
from intake.core.config import Settings
from intake.core.errors import SettingsError
from intake.core.models import AWAITING_EDITORS
from intake.core.report import RunReport
from intake.ledger import Ledger
from intake.ledger.store import write_atomic

RUN_FILE = "last-run.json"
log = logging.getLogger(__name__)


@dataclass
class RunRecord:
    command: str
    started: str
    finished: str
    seconds: float
    exit_code: int
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    last_success: str | None = None
    failing_since: str | None = None  # the first of the failing runs in a row, if failing


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_run(settings: Settings) -> RunRecord | None:
    try:
        data = json.loads((settings.data_dir / RUN_FILE).read_text(encoding="utf-8"))
        return RunRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def conditions_of(report: RunReport) -> list[str]:
    """What stopped part of the run and heals by itself (a server; the next run)."""
    found = [f"mail not fetched: {report.source_problem}" if report.source_problem else "",
             f"mail not delivered: {report.delivery_problem}" if report.delivery_problem else "",
             "messages taken and kept, but not yet marked done on the server (the next "
             f"run does it): {report.mark_problem}" if report.mark_problem else ""]
    return [p for p in found if p]


def problems_of(report: RunReport) -> list[str]:
    """Everything a person may need to know about the run, what stopped it first."""
    found = [p for p in (report.stopped, report.settings_problem, report.refused_problem)
             if p]
    found += conditions_of(report)
    if report.quarantined:  # one line each, up to a few, with its reason
        found += [q[:300] for q in report.quarantines[:5]]
        if report.quarantined > min(5, len(report.quarantines)):
            found.append(f"{report.quarantined - min(5, len(report.quarantines))} more "
                         "submission(s) quarantined (intake queue --status quarantined)")
    if report.failed or report.bounced:
        found.append(f"{report.failed + report.bounced} email(s) failed for good")
    return found


def record_run(settings: Settings, command: str, started: float, exit_code: int,
               report: RunReport) -> RunRecord:
    """Write last-run.json for this run, carrying when runs last succeeded and since when
    they have been failing; then the metrics file, when one is set."""
    previous = read_run(settings)
    finished = _now()
    ok = exit_code == 0
    counts = {k: v for k, v in asdict(report).items() if isinstance(v, int)}
    problems = problems_of(report)
    record = RunRecord(
        command=command,
        started=datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        finished=finished, seconds=round(time.time() - started, 3), exit_code=exit_code,
        counts=counts, problems=problems,
        last_success=finished if ok else (previous.last_success if previous else None),
        failing_since=None if ok else ((previous.failing_since or previous.started)
                                       if previous and previous.exit_code != 0 else
                                       datetime.fromtimestamp(started, UTC)
                                       .isoformat(timespec="seconds")))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(settings.data_dir / RUN_FILE,
                 json.dumps(asdict(record), indent=1).encode("utf-8"))
    if settings.intake.metrics_file is not None:
        try:
            write_metrics(settings)
        except SettingsError as exc:  # checked before the run; changed since: said, once
            log.error("%s", exc)
    return record


def check_metrics(settings: Settings) -> None:
    """Before a run: the metrics file's folder exists and this account can write it, so
    that a run that did its work does not end in a traceback."""
    path = settings.intake.metrics_file
    if path is None:
        return
    where = f"{settings.path}: [intake] metrics_file {path}"
    if not path.parent.is_dir():
        raise SettingsError(f"{where}: the folder {path.parent} does not exist: create it "
                            f"(mkdir -p {path.parent}) or set metrics_file elsewhere")
    if not os.access(path.parent, os.W_OK | os.X_OK) or (
            path.exists() and not os.access(path, os.W_OK)):
        raise SettingsError(f"{where}: {account_name()} cannot write there: give the folder to "
                            f"it (chown {account_name()} {path.parent}) or set metrics_file "
                            "elsewhere")
    if settings.intake.metrics_group is not None:
        try:
            grp.getgrnam(settings.intake.metrics_group)
        except KeyError:
            raise SettingsError(f"{settings.path}: [intake] metrics_group: there is no group "
                                f"{settings.intake.metrics_group!r} on this system") from None


def write_metrics(settings: Settings) -> None:
    """The metrics file, with its mode and group as the settings say (node_exporter reads
    it as another user)."""
    path = settings.intake.metrics_file
    assert path is not None
    try:
        write_atomic(path, prometheus(status(settings)).encode())
        path.chmod(int(settings.intake.metrics_mode, 8))
        if settings.intake.metrics_group is not None:
            os.chown(path, -1, grp.getgrnam(settings.intake.metrics_group).gr_gid)
    except (OSError, KeyError) as exc:
        raise SettingsError(f"{settings.path}: [intake] metrics_file {path}: not written "
                            f"({getattr(exc, 'strerror', None) or exc}); intake's account "
                            f"({account_name()}) must be able to write the folder"
                            + (" and be in the group metrics_group"
                               if settings.intake.metrics_group else "")) from exc


def status(settings: Settings) -> dict[str, Any]:
    """Everything `intake status` says, as data."""
    run = read_run(settings)
    found: dict[str, Any] = {"last_run": asdict(run) if run else None}
    path = settings.data_dir / "intake.sqlite3"
    if not path.exists():
        found.update(servers=[], outbox={}, submissions={}, oldest_waiting=None)
        return found
    ledger = Ledger(path, readonly=True)
    try:
        now = _now()
        servers = []
        current = _server_names(settings)
        for name in ledger.server_names():
            if name not in current:
                continue  # a server the settings no longer name (poll forgets it)
            health = ledger.health(name)
            if health.failures:
                servers.append({"server": name, "failures": health.failures,
                                "last_error": health.last_error,
                                "next_try_at": health.next_try_at,
                                "backing_off": bool(health.next_try_at and
                                                    now < health.next_try_at)})
        found["servers"] = servers
        found["outbox"] = ledger.outbox_counts()
        found["submissions"] = ledger.status_counts()
        oldest = ledger.oldest_with_status(AWAITING_EDITORS)
        found["oldest_waiting"] = None if oldest is None else {
            "reference": oldest.reference, "status": oldest.status.value,
            "received": oldest.sent_at or oldest.received,
            "age_days": oldest.age_days(datetime.now(UTC))}
    finally:
        ledger.close()
    return found


def _server_names(settings: Settings) -> set[str]:
    """The servers the settings name, as their back-off is kept."""
    imap = settings.imap
    return {f"imap:{imap.host}:{imap.port}"} if imap is not None else set()


def _stamp(iso: str | None) -> float:
    if not iso:
        return 0.0
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


def prometheus(found: dict[str, Any]) -> str:
    """The figures in Prometheus text exposition format (textfile collector)."""
    lines: list[str] = []

    def metric(name: str, help_: str, value: float, labels: str = "",
               kind: str = "gauge") -> None:
        if not any(line.startswith(f"# HELP {name} ") for line in lines):
            lines.extend([f"# HELP {name} {help_}", f"# TYPE {name} {kind}"])
        lines.append(f"{name}{labels} {_number(value)}")

    run = found.get("last_run") or {}
    metric("intake_last_run_timestamp_seconds", "When the last run finished.",
           _stamp(run.get("finished")))
    metric("intake_last_run_exit_code", "The last run's exit code (0: done).",
           float(run.get("exit_code", 0)))
    metric("intake_last_run_duration_seconds", "How long the last run took.",
           float(run.get("seconds", 0.0)))
    metric("intake_last_success_timestamp_seconds", "When a run last succeeded (0: never).",
           _stamp(run.get("last_success")))
    metric("intake_failing_since_timestamp_seconds",
           "When the runs now failing began to fail (0: not failing).",
           _stamp(run.get("failing_since")))
    for key, value in sorted((run.get("counts") or {}).items()):
        metric("intake_last_run_messages", "What the last run counted, by what.",
               float(value), f'{{what="{key}"}}')
    for server in found.get("servers", []):
        metric("intake_server_backing_off", "1 while intake waits before trying a server "
               "that failed.", float(server["backing_off"]), f'{{server="{server["server"]}"}}')
    for state, count in sorted(found.get("outbox", {}).items()):
        metric("intake_outbox_emails", "Emails in the outbox, by state.", float(count),
               f'{{state="{state}"}}')
    for state, count in sorted(found.get("submissions", {}).items()):
        metric("intake_submissions", "Submissions, by status.", float(count),
               f'{{status="{state}"}}')
    oldest = found.get("oldest_waiting")
    metric("intake_oldest_waiting_days", "Age of the oldest submission waiting for an "
           "editor, in days (0: none).", float(oldest["age_days"]) if oldest else 0.0)
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    """A sample value at full precision: a timestamp to the second (1796537161, not
    1.79654e+09, which is 10,000 s coarse), a duration as Python writes it."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def describe(found: dict[str, Any]) -> list[str]:
    """`intake status` for a person: one line per fact."""
    run = found.get("last_run")
    lines = []
    if run is None:
        lines.append("last run: none recorded yet")
    else:
        verdict = "ok" if run["exit_code"] == 0 else f"exit {run['exit_code']}"
        lines.append(f"last run: {run['command']} at {run['finished']} ({verdict}, "
                     f"{run['seconds']:.1f} s)")
        lines.append(f"last success: {run['last_success'] or 'never'}")
        if run.get("failing_since"):
            lines.append(f"failing since: {run['failing_since']}")
        lines.extend(f"problem: {p}" for p in run.get("problems", []))
    for server in found.get("servers", []):
        state = (f"backing off until {server['next_try_at']}" if server["backing_off"]
                 else "will be tried at the next run")
        lines.append(f"server {server['server']}: failed {server['failures']} time(s) in a "
                     f"row ({server['last_error']}); {state}")
    outbox = found.get("outbox", {})
    lines.append(f"outbox: {outbox.get('pending', 0)} pending, {outbox.get('failed', 0)} "
                 f"failed for good, {outbox.get('sent', 0)} sent")
    subs = found.get("submissions", {})
    lines.append("submissions: " + (", ".join(f"{n} {s}" for s, n in sorted(subs.items()))
                                    or "none"))
    oldest = found.get("oldest_waiting")
    lines.append("oldest waiting for an editor: " + (
        f"{oldest['reference']} ({oldest['status']}, received {oldest['received'][:10]}, "
        f"{oldest['age_days']} days)" if oldest else "none"))
    return lines


def needs_attention(found: dict[str, Any]) -> bool:
    run = found.get("last_run") or {}
    return bool(run.get("exit_code") or found.get("outbox", {}).get("failed")
                or found.get("submissions", {}).get("quarantined"))
