"""Server faults: each fault is made for real, then healed, and nothing may be lost.

A private Dovecot holds the submissions and aiosmtpd takes the acknowledgements.
For each scenario, `intake poll` runs (as cron would) while the fault is on; the
run must end with a clear line naming the fault. Then the fault is healed and runs
go on until the mailbox is drained, and the suite checks: every submission has
one ledger row and one draft, every acknowledgement arrived exactly once (or, for a
permanent refusal, is recorded as failed with the server's words), nothing is left
in the inbox or waiting.

Scenarios: IMAP connection cut mid-fetch (at several byte offsets), cut mid-move
(before the server has the MOVE, and after it has done it), IMAP server down and
restarted between runs, SMTP server that never answers (timeout), 4xx, 5xx, a TLS
certificate from an unknown CA, and the data folder's disk full while drafts are
written (a small tmpfs; needs root, else reported as not run).

Usage: .venv/bin/python bench/fault_suite.py [--n 12] [--cuts 6]   (--fast: CI's form)
Needs Dovecot (apt-get install dovecot-imapd). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import trustme  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from bench.crash_suite import deliver, inbox_count, messages  # noqa: E402
from tests.conftest import SinkHandler, free_port  # noqa: E402
from tests.dovecot import PASSWORD, Dovecot  # noqa: E402
from tests.proxy import CuttingProxy  # noqa: E402


@dataclass
class Result:
    name: str
    expected_line: str  # what the fault run's output must say
    expected_code: int = 75  # and the exit code it must end with (cron's "try later")
    line: str = ""  # the line it did say
    fault_code: int | None = None
    codes: list[int] = field(default_factory=list)  # exit codes: fault run, then healing
    submissions: int = 0
    rows: int = 0
    drafts: int = 0
    acks: int = 0
    duplicates: int = 0
    failed_mail: int = 0  # refused for good, recorded with the server's words
    waiting: int = 0  # unprocessed messages, unmarked UIDs, pending mail, inbox
    skipped: str = ""

    @property
    def lost(self) -> int:
        return self.submissions - min(self.rows, self.drafts)

    @property
    def ok(self) -> bool:
        if self.skipped:
            return True
        return (bool(self.line) and self.fault_code == self.expected_code and self.lost == 0
                and self.rows == self.submissions and self.duplicates == 0 and self.waiting == 0
                and self.acks + self.failed_mail == self.submissions)

    def row(self) -> str:
        if self.skipped:
            return f"| {self.name} | not run: {self.skipped} | | | | | |"
        codes = " → ".join(str(c) for c in self.codes)
        return (f"| {self.name} | {codes} | {self.submissions} | {self.lost} | "
                f"{self.acks} + {self.failed_mail} failed | {self.duplicates} | "
                f"{'ok' if self.ok else 'FAILED'}: `{self.line[:110]}` |")


class Case:
    """One scenario's mailbox user, data folder, SMTP server and settings."""

    def __init__(self, server: Dovecot, name: str) -> None:
        self.server = server
        self.user = f"{name}-{uuid.uuid4().hex[:6]}"
        self.dir = Path(tempfile.mkdtemp(prefix=f"intake-fault-{name}-"))
        self.handler = SinkHandler()
        self.smtp = Controller(self.handler, hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        self.sent = 0
        self.mounted = False  # a tmpfs under var/ (the disk-full scenario)
        self.settings(imap_port=server.port)

    def settings(self, imap_port: int | None = None, smtp: str = "") -> None:
        smtp = smtp or f'port = {self.smtp.port}\nsecurity = "plain"'
        port = imap_port or self.server.port
        (self.dir / "settings.toml").write_text(textwrap.dedent(f"""
            [intake]
            data_dir = "var"
            [imap]
            host = "127.0.0.1"
            port = {port}
            security = "plain"
            username = "{self.user}"
            password_env = "FAULT_IMAP_PASSWORD"
            after = "move"
            batch_size = 4
            timeout = 5
            first_run_max = 100000
            [replies]
            max_per_sender = 1000
            max_per_run = 100000
            [smtp]
            host = "127.0.0.1"
            from = "Editors <submissions@journal.example.org>"
            timeout = 2
        """) + smtp + "\n")

    def deliver(self, n: int) -> None:
        deliver(self.server, self.user, self.sent, messages(self.sent, n))
        self.sent += n

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "FAULT_IMAP_PASSWORD": PASSWORD, "PYTHONPATH": str(REPO)}
        return subprocess.run([sys.executable, "-m", "intake", "--config",
                               str(self.dir / "settings.toml"), *(args or ("poll",))],
                              env=env, capture_output=True, text=True, timeout=300,
                              check=False)

    def fault_run(self, result: Result) -> None:
        done = self.run()
        result.codes.append(done.returncode)
        if result.fault_code is None:
            result.fault_code = done.returncode
        if "Traceback" in done.stderr:
            raise SystemExit(f"{result.name}: intake crashed:\n{done.stderr}")
        said = [line for line in (done.stderr + done.stdout).splitlines()
                if result.expected_line.lower() in line.lower()]
        result.line = result.line or (said[0] if said else "")
        if not said:
            print(f"{result.name}: expected a line with {result.expected_line!r}, got:\n"
                  f"{done.stdout}{done.stderr}", file=sys.stderr)

    def heal(self, result: Result) -> None:
        """Runs until nothing is left to do; the first with --now, as the operator's run
        after the fix (or cron's once the back-off has passed)."""
        result.codes.append(self.run("poll", "--now").returncode)
        for _ in range(10):
            done = self.run()
            result.codes.append(done.returncode)
            if "Traceback" in done.stderr:
                raise SystemExit(f"{result.name}: intake crashed:\n{done.stderr}")
            if self.waiting() == 0:
                break

    def waiting(self) -> int:
        db = sqlite3.connect(self.dir / "var" / "intake.sqlite3")
        try:
            return int(db.execute(
                "SELECT (SELECT COUNT(*) FROM messages WHERE state = 'fetched')"
                " + (SELECT COUNT(*) FROM imap_uids WHERE done_at IS NULL)"
                " + (SELECT COUNT(*) FROM outbox WHERE state = 'pending')").fetchone()[0]
            ) + inbox_count(self.server, self.user)
        finally:
            db.close()

    def tally(self, result: Result) -> Result:
        result.submissions = self.sent
        db = sqlite3.connect(self.dir / "var" / "intake.sqlite3")
        try:
            result.rows = db.execute("SELECT COUNT(DISTINCT author_email) FROM submissions "
                                     "WHERE status = 'queued'").fetchone()[0]
            result.failed_mail = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'failed'"
                                            " AND last_error != ''").fetchone()[0]
        finally:
            db.close()
        drafts = self.dir / "var" / "drafts"
        result.drafts = sum(1 for _ in drafts.iterdir()) if drafts.is_dir() else 0
        got = Counter(str(email.message_from_bytes(m.data, policy=policy.default)["To"])
                      for m in self.handler.messages)
        result.acks = len(got)
        result.duplicates = sum(c - 1 for c in got.values())
        result.waiting = self.waiting()
        return result

    def close(self) -> None:
        self.smtp.stop()
        if self.mounted:
            subprocess.run(["umount", str(self.dir / "var")], capture_output=True, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


# -- the scenarios -----------------------------------------------------------------

def imap_cut_mid_fetch(case: Case, n: int, cut: int) -> Result:
    result = Result(f"IMAP cut mid-fetch at byte {cut:,}", "mail not fetched")
    case.deliver(n)
    # The same address throughout, as a real network fault: the mailbox is known by it.
    with CuttingProxy(case.server.port, cut_after=cut) as proxy:
        case.settings(imap_port=proxy.port)
        case.fault_run(result)
        if not proxy.cuts:
            result.line = ""  # the cut must really have happened
        proxy.cut_after = None
        case.heal(result)
    return case.tally(result)


def imap_cut_mid_move(case: Case, n: int, server_has_it: bool) -> Result:
    when = "after the server moved them" if server_has_it else "before the server has it"
    result = Result(f"IMAP cut mid-move, {when}", "not yet marked done")
    case.deliver(n)
    with CuttingProxy(case.server.port, cut_on=b" MOVE ",
                      deliver_cut_command=server_has_it) as proxy:
        case.settings(imap_port=proxy.port)
        case.fault_run(result)
        if not proxy.cuts:
            result.line = ""
        proxy.cut_on = None
        case.heal(result)
    return case.tally(result)


def imap_restart_between_runs(case: Case, n: int) -> Result:
    result = Result("IMAP server down, restarted between runs", "mail not fetched")
    case.deliver(n // 2)
    result.codes.append(case.run().returncode)
    case.server.halt()
    try:
        case.deliver(n - n // 2)
        case.fault_run(result)
        case.fault_run(result)  # backed off: says so, tries nothing
    finally:
        case.server.resume()
    case.heal(result)
    return case.tally(result)


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for s in [*held, listener]:
            s.close()


def smtp_timeout(case: Case, n: int) -> Result:
    result = Result("SMTP server never answers (timeout)", "timed out")
    case.deliver(n)
    with silent_server() as port:
        case.settings(smtp=f'port = {port}\nsecurity = "plain"')
        case.fault_run(result)
    case.settings()
    case.heal(result)
    return case.tally(result)


def smtp_refusal(case: Case, n: int, reply: str) -> Result:
    permanent = reply.startswith("5")
    # A deferral is routine (exit 0, retried later); a refusal for good needs a person (1).
    result = Result(f"SMTP refuses with {reply[:3]}",
                    "failed for good" if permanent else "deferred", 1 if permanent else 0)
    case.deliver(n)
    case.handler.reply = reply
    case.fault_run(result)
    case.handler.reply = "250 OK"
    case.heal(result)
    return case.tally(result)


def smtp_tls_unknown_ca(case: Case, n: int, ca: trustme.CA) -> Result:
    result = Result("SMTP TLS certificate from an unknown CA", "certificate is not trusted")
    case.deliver(n)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    tls_handler = SinkHandler()
    tls = Controller(tls_handler, hostname="127.0.0.1", port=free_port(), ssl_context=context)
    tls.start()
    try:
        case.settings(smtp=f'port = {tls.port}\nsecurity = "tls"')
        case.fault_run(result)
        ca_file = case.dir / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        case.settings(smtp=f'port = {tls.port}\nsecurity = "tls"\nca_file = "{ca_file}"')
        case.heal(result)
    finally:
        tls.stop()
    case.handler.messages.extend(tls_handler.messages)
    return case.tally(result)


def disk_full(case: Case, n: int) -> Result:
    result = Result("data folder's disk full while writing drafts", "no space left")
    var = case.dir / "var"
    var.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(var)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        result.skipped = f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'not root'})"
        return result
    case.mounted = True
    case.deliver(2)
    result.codes.append(case.run().returncode)  # the ledger and two drafts: room enough
    ballast = var / "ballast"
    for chunk in (65536, 512):  # fill the disk to the last block
        with contextlib.suppress(OSError), ballast.open("ab", buffering=0) as fh:
            while True:
                fh.write(b"\0" * chunk)
    # Give back a little: the ledger can commit, the first draft cannot be written.
    size = ballast.stat().st_size
    os.truncate(ballast, size - 48 * 1024)
    case.deliver(n)
    case.fault_run(result)
    ballast.unlink()
    case.heal(result)
    return case.tally(result)


# -- running them ------------------------------------------------------------------

def run(n: int, cuts: int) -> list[Result]:
    ca = trustme.CA()
    server = Dovecot.start(ca)
    results: list[Result] = []

    def scenario(name: str, body: Callable[[Case], Result]) -> None:
        case = Case(server, name)
        try:
            results.append(body(case))
        finally:
            case.close()

    try:
        # A message is ~9 KB: spread the cuts over the first batches' FETCH responses.
        for i in range(cuts):
            scenario("fetchcut", partial(imap_cut_mid_fetch, n=n, cut=2_000 + i * 7_919))
        for server_has_it in (False, True):
            scenario("movecut", partial(imap_cut_mid_move, n=n, server_has_it=server_has_it))
        scenario("restart", lambda c: imap_restart_between_runs(c, n))
        scenario("timeout", lambda c: smtp_timeout(c, n))
        scenario("smtp4xx", lambda c: smtp_refusal(c, n, "451 4.3.0 try again later"))
        scenario("smtp5xx", lambda c: smtp_refusal(c, n, "550 5.1.1 mailbox unavailable"))
        scenario("tls", lambda c: smtp_tls_unknown_ca(c, n, ca))
        scenario("diskfull", lambda c: disk_full(c, n))
    finally:
        server.stop()
    return results


def report(results: list[Result], n: int, seconds: float) -> str:
    bad = [r.name for r in results if not r.ok]
    lines = [f"# server faults ({len(results)} scenarios, {n} submissions each, "
             f"{seconds:.0f} s)", "",
             "| fault | exit codes (fault run → healing runs) | submissions | lost "
             "| acknowledged once + refused for good | duplicates | the line it said |",
             "|---|---|---|---|---|---|---|",
             *(r.row() for r in results), "",
             "RESULT: " + ("nothing lost, nothing answered twice, every fault named"
                           if not bad else "FAILED: " + "; ".join(bad))]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=12, help="submissions per scenario")
    parser.add_argument("--cuts", type=int, default=6, help="mid-fetch cut offsets to try")
    parser.add_argument("--fast", action="store_true", help="the CI form: 5 and 2")
    args: Any = parser.parse_args(argv)
    n, cuts = (5, 2) if args.fast else (args.n, args.cuts)
    began = time.monotonic()
    results = run(n, cuts)
    print(report(results, n, time.monotonic() - began))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
