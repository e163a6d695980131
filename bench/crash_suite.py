"""Crash injection: SIGKILL `intake poll` at random moments until the mailbox is drained.

A private Dovecot receives submissions in batches of N and aiosmtpd receives the
acknowledgements. Each trial starts `intake poll` and kills it with SIGKILL, either
after a random delay (seeded) or at one of intake's named failpoints (after-fetch,
mid-process, after-smtp, before-mark); for a random kill, the phase the run had
reached is read from the ledger. When a run gets through a batch unkilled, the
next batch arrives, until the trials are done; then plain runs go on until the
inbox is empty. Then it checks:

- every submission has exactly one ledger row and one draft folder;
- every acknowledgement reached the SMTP server, and how many arrived twice (only
  a kill between the server's acceptance and intake's commit can cause that);
- nothing is left unprocessed: no message waiting in the ledger, none unmarked
  on the server, no email pending.

Usage: .venv/bin/python bench/crash_suite.py [--n 60] [--trials 120] [--seed 7]
       (--fast: the form CI runs, batches of 15 and 16 trials)
Needs Dovecot (apt-get install dovecot-imapd). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import email
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import trustme  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from bench.poll_bench import settings  # noqa: E402
from intake.demo.samples import DOCX, text_docx  # noqa: E402
from intake.demo.samples import email as make_email  # noqa: E402
from tests.conftest import SinkHandler, free_port  # noqa: E402
from tests.dovecot import PASSWORD, Dovecot  # noqa: E402

FAILPOINTS = {"after-fetch": "fetch", "mid-process": "process", "after-smtp": "send",
              "before-mark": "mark"}  # each point, and the phase it interrupts
PHASES = ("start-up", "fetch", "process", "send", "mark")


@dataclass
class Outcome:
    submissions: int = 0
    batches: int = 0
    trials: int = 0
    kills_by_phase: Counter[str] = field(default_factory=Counter)
    failpoints: Counter[str] = field(default_factory=Counter)
    random_send_kills: int = 0  # random kills while sending: some may land in the window
    clean_runs: int = 0
    shunted: int = 0  # killed twice while processing: quarantined, then retried
    rows: int = 0
    distinct_authors: int = 0
    draft_folders: int = 0
    acks_received: int = 0
    acks_distinct: int = 0
    duplicates: int = 0
    missing_acks: int = 0
    unprocessed: int = 0
    unmarked: int = 0
    pending_mail: int = 0
    left_in_inbox: int = 0
    seconds: float = 0.0

    @property
    def duplicates_allowed(self) -> int:
        """Only a kill between the SMTP server's acceptance and intake's commit can send
        an email twice, and each such kill at most one."""
        return self.failpoints["after-smtp"] + self.random_send_kills

    @property
    def ok(self) -> bool:
        return (self.duplicates <= self.duplicates_allowed
                and self.rows == self.distinct_authors == self.draft_folders == self.submissions
                and self.missing_acks == 0 and self.unprocessed == 0 and self.unmarked == 0
                and self.pending_mail == 0 and self.left_in_inbox == 0)

    def report(self) -> str:
        phases = ", ".join(f"{p} {self.kills_by_phase[p]}" for p in PHASES)
        points = ", ".join(f"{p} {self.failpoints[p]}" for p in FAILPOINTS)
        return "\n".join([
            f"submissions {self.submissions} in {self.batches} batches · kill trials "
            f"{self.trials} · clean runs to drain {self.clean_runs} · shunted after two "
            f"kills and retried {self.shunted} · {self.seconds:.0f} s",
            f"killed during: {phases}",
            f"of which at a failpoint: {points}",
            f"ledger rows {self.rows} (distinct authors {self.distinct_authors}) · draft "
            f"folders {self.draft_folders}",
            f"acknowledgements received {self.acks_received} for {self.acks_distinct} "
            f"submissions · missing {self.missing_acks} · duplicates {self.duplicates} "
            f"(at most {self.duplicates_allowed} possible: kills at after-smtp, and random "
            "kills while sending)",
            f"unprocessed {self.unprocessed} · unmarked on the server {self.unmarked} · "
            f"pending mail {self.pending_mail} · left in the inbox {self.left_in_inbox}",
            "RESULT: " + ("nothing lost, nothing left, duplicates only from the window"
                          if self.ok else "FAILED: see the counts above"),
        ])


def messages(first: int, n: int) -> list[bytes]:
    # Small documents: the suite is about when the kill lands, not about conversion.
    return [make_email(f"Author {i} <author{i}@uni.example>", f"Guest post {i}",
                       "Please find attached my guest post.", message_id=f"<c{i}@uni.example>",
                       attachments=((f"post{i}.docx", DOCX,
                                     text_docx(f"Article {i}", [f"Paragraph about {i}."] * 20)),))
            for i in range(first, first + n)]


def deliver(server: Dovecot, user: str, first: int, batch: list[bytes]) -> None:
    """Deliver into Maildir/new as a local delivery agent would (unique names)."""
    home = server.base / "home" / user
    for sub in ("cur", "new", "tmp"):
        (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(batch, start=first):
        tmp = home / "Maildir" / "tmp" / f"{1700000000 + i}.M{i}P1.crash"
        tmp.write_bytes(data)
        os.chown(tmp, server.uid, server.gid)
        tmp.rename(home / "Maildir" / "new" / tmp.name)
    for path in [home, *home.rglob("*")]:
        os.chown(path, server.uid, server.gid)


def counters(ledger: Path) -> dict[str, int]:
    """What the runs have done so far, by phase."""
    if not ledger.exists():
        return dict.fromkeys(PHASES[1:], 0)
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=30)
    try:
        def one(sql: str) -> int:
            try:
                return int(db.execute(sql).fetchone()[0])
            except sqlite3.OperationalError:  # not migrated yet
                return 0

        return {"fetch": one("SELECT COUNT(*) FROM messages"),
                "process": one("SELECT COUNT(*) FROM messages WHERE state != 'fetched'"),
                "send": one("SELECT COUNT(*) FROM outbox WHERE state = 'sent'"),
                "mark": one("SELECT COUNT(*) FROM imap_uids WHERE done_at IS NOT NULL")}
    finally:
        db.close()


def phase_reached(before: dict[str, int], after: dict[str, int]) -> str:
    moved = [p for p in PHASES[1:] if after[p] != before[p]]
    return moved[-1] if moved else "start-up"


def inbox_count(server: Dovecot, user: str) -> int:
    from imapclient import IMAPClient

    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=30)
    client.login(user, PASSWORD)
    count = int(client.select_folder("INBOX", readonly=True)[b"EXISTS"])
    client.logout()
    return count


def run(n: int, trials: int, seed: int, max_delay: float = 1.5) -> Outcome:
    rng = random.Random(seed)
    began = time.monotonic()
    server = Dovecot.start(trustme.CA())
    handler = SinkHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    outcome = Outcome()
    try:
        user = f"crash{seed}"
        with tempfile.TemporaryDirectory() as tmp:
            config = settings(Path(tmp), server.port, smtp.port, user,
                              after='after = "move"\nbatch_size = 10')
            ledger = Path(tmp) / "var" / "intake.sqlite3"
            env = {**os.environ, "BENCH_IMAP_PASSWORD": PASSWORD,
                   "PYTHONPATH": str(REPO)}
            argv = [sys.executable, "-m", "intake", "-q", "--config", str(config), "poll"]
            while outcome.trials < trials and outcome.batches < 100:
                deliver(server, user, outcome.submissions, messages(outcome.submissions, n))
                outcome.submissions += n
                outcome.batches += 1
                while outcome.trials < trials:
                    if not kill_trial(argv, env, ledger, rng, max_delay, outcome):
                        break  # a run got through unkilled: the batch is done
            for _ in range(50):  # drain: plain runs until nothing is left anywhere
                done = subprocess.run(argv, env=env, capture_output=True, text=True,
                                      timeout=600, check=False)
                outcome.clean_runs += 1
                if done.returncode not in (0, 1):
                    raise SystemExit(f"a clean run failed ({done.returncode}): {done.stderr}")
                if inbox_count(server, user) == 0 and drained(ledger):
                    break
            # A message whose processing was killed twice is shunted to quarantine (kept,
            # not tried a third time); the operator retries it, and a run delivers.
            for reference in shunted(ledger):
                outcome.shunted += 1
                retried = subprocess.run([*argv[:-1], "retry", reference, "--as", "operator"],
                                         env=env, capture_output=True, text=True,
                                         timeout=600, check=False)
                if retried.returncode != 0:
                    raise SystemExit(f"retry {reference} failed: {retried.stdout}"
                                     f"{retried.stderr}")
            if outcome.shunted:
                subprocess.run(argv, env=env, capture_output=True, timeout=600, check=False)
            check(outcome, ledger, Path(tmp) / "var" / "drafts", handler, server, user)
    finally:
        smtp.stop()
        server.stop()
    outcome.seconds = time.monotonic() - began
    return outcome


def kill_trial(argv: list[str], env: dict[str, str], ledger: Path, rng: random.Random,
               max_delay: float, outcome: Outcome) -> bool:
    """One run, killed at a failpoint or after a random delay; False if it finished."""
    before = counters(ledger)
    point = rng.choice(sorted(FAILPOINTS)) if rng.random() < 0.4 else None
    proc = subprocess.Popen(argv, env={**env, "INTAKE_FAILPOINT": point} if point else env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if point is None:
        time.sleep(rng.uniform(0.05, max_delay))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    if proc.wait(timeout=300) != -signal.SIGKILL:
        return False
    outcome.trials += 1
    if point:
        outcome.failpoints[point] += 1
        outcome.kills_by_phase[FAILPOINTS[point]] += 1
    else:
        phase = phase_reached(before, counters(ledger))
        outcome.kills_by_phase[phase] += 1
        outcome.random_send_kills += phase == "send"
    return True


def shunted(ledger: Path) -> list[str]:
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        return [r[0] for r in db.execute(
            "SELECT reference FROM submissions WHERE status = 'quarantined' AND reason LIKE "
            "'%cut short%'")]
    finally:
        db.close()


def drained(ledger: Path) -> bool:
    now = counters(ledger)
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        pending = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
                             ).fetchone()[0]
    finally:
        db.close()
    return now["process"] == now["fetch"] and pending == 0


def check(outcome: Outcome, ledger: Path, drafts: Path, handler: SinkHandler,
          server: Dovecot, user: str) -> None:
    db = sqlite3.connect(ledger)
    try:
        outcome.rows, outcome.distinct_authors = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT author_email) FROM submissions").fetchone()
        outcome.unprocessed = db.execute(
            "SELECT COUNT(*) FROM messages WHERE state = 'fetched'").fetchone()[0]
        outcome.unmarked = db.execute(
            "SELECT COUNT(*) FROM imap_uids WHERE done_at IS NULL").fetchone()[0]
        outcome.pending_mail = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE state != 'sent'").fetchone()[0]
        references = {r[0] for r in db.execute("SELECT reference FROM submissions")}
    finally:
        db.close()
    # Every entry counts: a half-written temporary left behind would show here.
    outcome.draft_folders = sum(1 for _ in drafts.iterdir()) if drafts.is_dir() else 0
    received = Counter(
        str(email.message_from_bytes(m.data, policy=policy.default)["X-Intake-Reference"])
        for m in handler.messages)
    outcome.acks_received = sum(received.values())
    outcome.acks_distinct = len(received)
    outcome.duplicates = sum(c - 1 for c in received.values())
    outcome.missing_acks = len(references - set(received))
    outcome.left_in_inbox = inbox_count(server, user)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="submissions per batch")
    parser.add_argument("--trials", type=int, default=120, help="kills to make")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fast", action="store_true", help="the CI form: 15 and 16")
    args = parser.parse_args()
    n, trials = (15, 16) if args.fast else (args.n, args.trials)
    outcome = run(n, trials, args.seed)
    print(f"# crash injection (seed {args.seed})")
    print(outcome.report())
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
