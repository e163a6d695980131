"""Benchmark `intake poll` end to end against a private Dovecot and an aiosmtpd sink.

Prints, for N submissions (each a ~2,000-word .docx with an image):
  - intake poll: submissions per second and peak memory (RSS of the process);
  - the floor, measured in the same run on the same mailbox: fetching the same
    messages raw with BODY.PEEK[] in batches and parsing each document's XML;
  - idle polls (nothing new) on mailboxes of 1,000 and 100,000 messages.

Usage: .venv/bin/python bench/poll_bench.py [--n 1000] [--idle 1000,100000]
Needs Dovecot (apt-get install dovecot-imapd). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import trustme  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from intake.demo.samples import DOCX, article_docx  # noqa: E402
from intake.demo.samples import email as make_email  # noqa: E402
from tests.conftest import SinkHandler, free_port  # noqa: E402
from tests.dovecot import PASSWORD, Dovecot  # noqa: E402

PY = sys.executable


def seed_maildir(server: Dovecot, user: str, messages: list[bytes]) -> None:
    """Write straight into Maildir/new before the first SELECT: far faster than APPEND."""
    home = server.base / "home" / user
    for sub in ("cur", "new", "tmp"):
        (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(messages):
        (home / "Maildir" / "new" / f"{1700000000 + i}.M{i}P1.bench").write_bytes(data)
    for path in [home, *home.rglob("*")]:
        os.chown(path, server.uid, server.gid)


def word_sized_styles(doc: bytes) -> bytes:
    """The same .docx with the styles part Word writes: the styles the document uses, those
    they are based on, and the defaults (18 KB here), not python-docx's whole template
    (164 styles, 349 KB). The 92 corpus documents' median is 28 KB."""
    import io
    import zipfile

    from lxml import etree

    def w(tag: str) -> str:
        return f"{{http://schemas.openxmlformats.org/wordprocessingml/2006/main}}{tag}"

    source = zipfile.ZipFile(io.BytesIO(doc))
    body = etree.fromstring(source.read("word/document.xml"))
    styles = etree.fromstring(source.read("word/styles.xml"))
    by_id = {el.get(w("styleId")): el for el in styles.iterchildren(w("style"))}
    keep = {el.get(w("val")) for tag in ("pStyle", "rStyle", "tblStyle")
            for el in body.iter(w(tag))}
    keep |= {sid for sid, el in by_id.items() if el.get(w("default")) in ("1", "true")}
    todo = list(keep)
    while todo:
        style = by_id.get(todo.pop())
        for tag in ("basedOn", "next", "link"):
            ref = style.find(w(tag)) if style is not None else None
            if ref is not None and ref.get(w("val")) not in keep:
                keep.add(ref.get(w("val")))
                todo.append(ref.get(w("val")))
    for sid, el in by_id.items():
        if sid not in keep:
            styles.remove(el)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/styles.xml":
                data = etree.tostring(styles, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            target.writestr(info, data)
    return out.getvalue()


def submissions(n: int, word_styles: bool = False) -> list[bytes]:
    docs = [article_docx(f"Article variant {v}", paragraphs=44) for v in range(8)]
    if word_styles:
        docs = [word_sized_styles(doc) for doc in docs]
    return [make_email(f"Author {i} <author{i}@uni.example>", f"Guest post {i}",
                       "Please find attached my guest post.", message_id=f"<b{i}@uni.example>",
                       attachments=((f"post{i}.docx", DOCX, docs[i % len(docs)]),))
            for i in range(n)]


def large_submission(megabytes: int) -> bytes:
    """One guest post whose .docx carries a photo-sized blob of ~`megabytes` MB (stored,
    not deflated, so the email is as large as an author's real one)."""
    import io
    import zipfile
    buffer = io.BytesIO(article_docx("A long article with large figures", paragraphs=44))
    with zipfile.ZipFile(buffer, "a") as package:
        package.writestr(zipfile.ZipInfo("word/media/figure-raw.bin"),
                         os.urandom(megabytes * 1024 * 1024), zipfile.ZIP_STORED)
    return make_email("Large Author <large@uni.example>", "Guest post with figures",
                      "Please find attached my guest post.", message_id="<large@uni.example>",
                      attachments=(("large.docx", DOCX, buffer.getvalue()),))


def small_messages(n: int) -> list[bytes]:
    return [f"From: a{i}@x.example\r\nSubject: old {i}\r\nMessage-ID: <o{i}@x>\r\n\r\nold\r\n"
            .encode() for i in range(n)]


# Peak memory is the child's own VmHWM, read as it exits: ru_maxrss would not do, as
# Linux keeps it across exec, so every child would report at least this script's size.
HWM = ("import atexit, sys\n"
       "atexit.register(lambda: sys.stderr.write('\\nVmHWM ' + open('/proc/self/status')"
       ".read().split('VmHWM:')[1].split()[0] + '\\n'))\n")
INTAKE = HWM + "from intake.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB, stdout of one child process (a python -c script)."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed:\n{done.stdout}\n{done.stderr}")
    peak_kib = int(done.stderr.rsplit("VmHWM ", 1)[1].split()[0])
    return elapsed, peak_kib / 1024, done.stdout


FLOOR = HWM + textwrap.dedent("""
    import io, sys, zipfile, email
    from email import policy
    from imapclient import IMAPClient
    from lxml import etree
    port, user, password, batch = int(sys.argv[1]), sys.argv[2], sys.argv[3], 50
    c = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=30)
    c.login(user, password)
    c.select_folder("INBOX", readonly=True)
    uids = sorted(c.search(["ALL"]))
    n = 0
    for i in range(0, len(uids), batch):
        for data in c.fetch(uids[i:i + batch], ["BODY.PEEK[]"]).values():
            msg = email.message_from_bytes(data[b"BODY[]"], policy=policy.default)
            for part in msg.iter_attachments():
                with zipfile.ZipFile(io.BytesIO(part.get_content())) as zf:
                    etree.fromstring(zf.read("word/document.xml"))
                    n += 1
    print(n)
""")

IDLE_PEER = HWM + textwrap.dedent("""
    from imapclient import IMAPClient
    port, user, password, last = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    c = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=60)
    c.login(user, password)
    c.select_folder("INBOX")
    print(len([u for u in c.search(["UID", f"{last + 1}:*"]) if u > last]))
    c.logout()
""")


def settings(folder: Path, imap_port: int, smtp_port: int, user: str,
             after: str = 'after = "leave"', extra: str = "") -> Path:
    """Settings for a run against the private servers (password in BENCH_IMAP_PASSWORD);
    after: how messages are marked done; extra: more TOML at the end. Reply limits are
    off: a benchmark sends an acknowledgement for every submission in one run."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settings.toml"
    path.write_text(textwrap.dedent(f"""
        [intake]
        data_dir = "var"
        [imap]
        host = "127.0.0.1"
        port = {imap_port}
        security = "plain"
        username = "{user}"
        password_env = "BENCH_IMAP_PASSWORD"
        {after}
        first_run_max = 1000000
        run_budget = 100000
        [smtp]
        host = "127.0.0.1"
        port = {smtp_port}
        security = "plain"
        from = "Editors <submissions@journal.example.org>"
        [replies]
        max_per_sender = 1000000
        max_per_run = 1000000
    """) + extra)
    return path


def taken_all(config: Path, server: Dovecot, user: str) -> int:
    """Leave the ledger as a run that had taken every message would: cursor at the top."""
    from imapclient import IMAPClient

    from intake.core.config import load_settings
    from intake.ledger import Ledger
    from intake.pipeline.poll import mailbox_key

    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=60)
    client.login(user, PASSWORD)
    info = client.select_folder("INBOX", readonly=True)
    top = max(client.search(["ALL"]))
    client.logout()
    loaded = load_settings(config)
    assert loaded.imap is not None
    ledger = Ledger(loaded.data_dir / "intake.sqlite3")
    with ledger.transaction():
        ledger.set_cursor(mailbox_key(loaded.imap), int(info[b"UIDVALIDITY"]), top)
    ledger.close()
    return int(top)


def busy() -> float:
    """Seconds of processor time this machine has spent working so far, on all cores
    (user, nice, system, interrupts): what a run costs, whatever the host steals or the
    other core does meanwhile. It counts everything running: intake, its workers, the
    IMAP and SMTP servers."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Round:
    floor_s: float
    floor_mb: float
    poll_s: float
    poll_mb: float
    processor_s: float  # the machine's, during the poll (busy())


def one_round(server: Dovecot, smtp_port: int, work: Path, user: str, mail: list[bytes],
              sink: SinkHandler, env: dict[str, str]) -> Round:
    """One floor run, then one intake poll, on a freshly seeded mailbox. One round is not
    a figure on a shared machine (a run varies by a quarter): report the median of
    several, alternated (main() here, and bench/compare.py)."""
    seed_maildir(server, user, mail)
    floor_s, floor_mb, floor_out = run_measured(
        [PY, "-c", FLOOR, str(server.port), user, PASSWORD], env)
    assert int(floor_out) == len(mail), floor_out
    config = settings(work / user, server.port, smtp_port, user)
    sent = len(sink.messages)
    started = busy()
    poll_s, poll_mb, poll_out = run_measured(
        [PY, "-c", INTAKE, "-q", "--config", str(config), "poll"], env)
    processor_s = busy() - started
    assert len(sink.messages) - sent == len(mail), poll_out
    return Round(floor_s, floor_mb, poll_s, poll_mb, processor_s)


def _rounds(count: int, server: Dovecot, smtp_port: int, work: Path, name: str,
            mail: list[bytes], sink: SinkHandler, env: dict[str, str]) -> list[Round]:
    done = []
    for n in range(count):
        done.append(one_round(server, smtp_port, work, f"{name}{n}", mail, sink, env))
        print(f"  round {name}{n}: floor {done[-1].floor_s:6.2f} s, intake poll "
              f"{done[-1].poll_s:6.2f} s ({done[-1].poll_s / done[-1].floor_s:.1f}x)",
              flush=True)
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3,
                        help="floor and poll runs alternated, for the end-to-end figures")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--idle", default="1000,100000")
    parser.add_argument("--word-styles", type=int, default=1,
                        help="also run with Word-sized styles parts (1) or not (0)")
    parser.add_argument("--large-mb", type=int, default=21,
                        help="size of the .docx in the one-large-message run (0: skip)")
    args = parser.parse_args()
    env = {**os.environ, "BENCH_IMAP_PASSWORD": PASSWORD}
    server = Dovecot.start(trustme.CA())
    sink = SinkHandler()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    work = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    try:
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        if args.n:
            mail = submissions(args.n)
            size = sum(len(m) for m in mail) / len(mail) / 1024
            print(f"{args.n} submissions of {size:.0f} KiB each; {args.rounds} rounds, each "
                  "poll against the floor measured just before it, on a mailbox of its own")
            rounds = _rounds(args.rounds, server, smtp_port, work, "e2e", mail, sink, env)
            floor_s, floor_mb, poll_s, poll_mb = (
                statistics.median(getattr(r, f) for r in rounds)
                for f in ("floor_s", "floor_mb", "poll_s", "poll_mb"))
            ratios = sorted(r.poll_s / r.floor_s for r in rounds)
            print(f"floor (raw BODY.PEEK[] fetch + document XML parse): {floor_s:6.2f} s  "
                  f"{args.n / floor_s:7.1f} msg/s  peak {floor_mb:6.1f} MiB")
            print(f"intake poll (fetch, draft, acknowledge by SMTP):    {poll_s:6.2f} s  "
                  f"{args.n / poll_s:7.1f} msg/s  peak {poll_mb:6.1f} MiB  "
                  f"({statistics.median(ratios):.1f}x the floor; {ratios[0]:.1f}x to "
                  f"{ratios[-1]:.1f}x in {len(ratios)} rounds; medians)")
        if args.n and args.word_styles:
            # The documents above come from python-docx's template, whose styles part
            # (349 KB) intake's converter must parse; Word's own are ~12x smaller.
            mail = submissions(args.n, word_styles=True)
            rounds = _rounds(args.rounds, server, smtp_port, work, "word", mail, sink, env)
            floor_s, poll_s, poll_mb = (statistics.median(getattr(r, f) for r in rounds)
                                        for f in ("floor_s", "poll_s", "poll_mb"))
            ratios = sorted(r.poll_s / r.floor_s for r in rounds)
            print(f"the same with Word-sized styles parts (18 KB, not 349 KB): floor "
                  f"{floor_s:6.2f} s, intake poll {poll_s:6.2f} s  peak {poll_mb:6.1f} MiB  "
                  f"({statistics.median(ratios):.1f}x the floor; {ratios[0]:.1f}x to "
                  f"{ratios[-1]:.1f}x in {len(ratios)} rounds; medians)")

        for count in (int(c) for c in args.idle.split(",") if c):
            user = f"idle{count}"
            seed_maildir(server, user, small_messages(count))
            config = settings(work / user, server.port, smtp_port, user)
            top = taken_all(config, server, user)
            # Dovecot indexes a freshly written Maildir on its first SELECT: not ours to time.
            run_measured([PY, "-c", IDLE_PEER, str(server.port), user, PASSWORD, str(top)], env)
            peer = [run_measured([PY, "-c", IDLE_PEER, str(server.port), user, PASSWORD,
                                  str(top)], env) for _ in range(3)]
            idle = [run_measured([PY, "-c", INTAKE, "--config", str(config), "poll"], env)
                    for _ in range(3)]
            assert idle[0][2].startswith("fetched 0"), idle[0][2]
            print(f"idle, {count:>7,} messages: intake poll {min(r[0] for r in idle):6.3f} s "
                  f"peak {idle[0][1]:5.1f} MiB | bare SELECT + UID SEARCH "
                  f"{min(r[0] for r in peer):6.3f} s peak {peer[0][1]:5.1f} MiB")
        if args.large_mb:
            large = large_submission(args.large_mb)
            seed_maildir(server, "large", [large])
            config = settings(work / "large", server.port, smtp_port, "large")
            _, large_peak, large_out = run_measured(
                [PY, "-c", INTAKE, "--config", str(config), "poll"], env)
            assert large_out.startswith("fetched 1"), large_out
            _, idle_peak, idle_out = run_measured(
                [PY, "-c", INTAKE, "--config", str(config), "poll"], env)
            assert idle_out.startswith("fetched 0"), idle_out
            mib = len(large) / 2**20
            print(f"one message of {mib:.1f} MiB (a {args.large_mb} MB .docx): intake poll "
                  f"peak {large_peak:5.1f} MiB, idle poll {idle_peak:5.1f} MiB: "
                  f"{(large_peak - idle_peak) / mib:.1f}x the message above idle")
        baseline, base_mb, _ = run_measured([PY, "-c", HWM + "import intake.cli"], env)
        print(f"python start + import intake.cli alone: {baseline:6.3f} s  "
              f"peak {base_mb:5.1f} MiB")
    finally:
        controller.stop()
        server.stop()


if __name__ == "__main__":
    main()
