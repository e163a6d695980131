"""`intake poll` against a real Dovecot and a real SMTP server, both on 127.0.0.1."""

from __future__ import annotations

import email
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from email import policy
from pathlib import Path
from typing import Any

import pytest
import trustme

from intake.demo.samples import DOCX, article_docx, demo_messages
from intake.demo.samples import email as make_email
from tests.conftest import CliResult, ImapAccount, SmtpServer
from tests.dovecot import PASSWORD, Dovecot

Configure = Callable[..., Path]


def _setup(imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
           **imap_overrides: Any) -> tuple[Path, SmtpServer]:
    server = smtp_factory("plain")
    config = make_config(smtp=server.settings(), imap=imap.settings(**imap_overrides))
    return config, server


def _guest(n: int, words: int = 3) -> bytes:
    return make_email(f"Author {n} <author{n}@uni.example>", f"Guest post {n}: on wards",
                      "Please find attached my guest post.", message_id=f"<gp{n}@uni.example>",
                      attachments=((f"post{n}.docx", DOCX,
                                    article_docx(f"Article {n}", paragraphs=words,
                                                 image=False)),))


def _db(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "var" / "intake.sqlite3")


def _acks_by_recipient(server: SmtpServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in server.handler.messages:
        for r in m.rcpt_tos:
            counts[r] = counts.get(r, 0) + 1
    return counts


def test_first_poll_then_nothing_new_then_new_mail(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config)
    demo = demo_messages()
    imap.append(demo["01-guest-post.eml"], demo["02-sponsored.eml"], demo["04-out-of-office.eml"])

    first = cli("--config", config, "poll")
    assert first.code == 0, first.err
    assert first.out.strip() == ("fetched 3 · new 2 · revisions 0 · ignored 1 · "
                                 "quarantined 0 · sent 2 · pending 0")
    assert imap.count("INBOX") == 0 and imap.count("Intake/Processed") == 3
    assert sorted(_acks_by_recipient(smtp)) == ["claire@medsupply.example.com",
                                                "sam.okafor@uni.example.ac.uk"]

    second = cli("--config", config, "poll")
    assert second.out.startswith("fetched 0 · new 0")

    imap.append(_guest(1))
    third = cli("--config", config, "poll")
    assert third.out.startswith("fetched 1 · new 1")
    assert imap.count("Intake/Processed") == 4
    assert len(smtp.handler.messages) == 3
    msg = email.message_from_bytes(smtp.handler.messages[-1].data, policy=policy.default)
    assert msg["In-Reply-To"] == "<gp1@uni.example>"


# A document that takes a worker long enough to still be converting when the message
# before it is done.
HEAVY = 600


def test_acknowledgements_go_out_while_the_next_documents_convert(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config)
    imap.append(*(_guest(n, words=HEAVY) for n in range(6)))
    result = cli("--config", config, "poll")
    assert result.code == 0, result.err
    assert "new 6" in result.out and "sent 6 · pending 0" in result.out
    assert sorted(_acks_by_recipient(smtp).values()) == [1] * 6  # each once
    with _db(config) as db:
        delivered, received = (
            [row[0] for row in db.execute("SELECT id FROM events WHERE event = ? ORDER BY id",
                                          (name,))]
            for name in ("email delivered", "received"))
    assert delivered[0] < received[-1]  # the first answer did not wait for the last message
    assert smtp.handler.sessions == 1  # one connection for the run

    # A connection left idle is closed and opened again, not used after the server
    # may have dropped it.
    monkeypatch.setattr("intake.pipeline.delivery.IDLE_SECONDS", -1.0)
    imap.append(*(_guest(n, words=HEAVY) for n in range(6, 9)))
    assert "sent 3 · pending 0" in cli("--config", config, "poll").out
    assert smtp.handler.sessions == 1 + 3


def test_the_cap_on_answers_per_run_counts_those_sent_while_converting(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    server = smtp_factory("plain")
    config = make_config(smtp=server.settings(), imap=imap.settings(),
                         replies={"max_per_run": 2})
    imap.append(*(_guest(n, words=HEAVY) for n in range(5)))
    result = cli("--config", config, "poll")
    assert "new 5" in result.out and "sent 2 · pending 3" in result.out, result.out
    assert len(server.handler.messages) == 2
    assert "sent 2 · pending 1" in cli("--config", config, "poll").out


def test_keyword_and_leave_modes_keep_messages_in_place(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    config, _ = _setup(imap, smtp_factory, make_config, after="keyword")
    imap.append(_guest(1), _guest(2))
    assert cli("--config", config, "poll").code == 0
    assert imap.count("INBOX") == 2
    c = imap.client()
    c.select_folder("INBOX", readonly=True)
    assert c.search(["KEYWORD", "$IntakeDone"]) == c.search(["ALL"])
    assert c.search(["SEEN"]) == []  # BODY.PEEK[] leaves \Seen to the people
    c.logout()
    assert cli("--config", config, "poll").out.startswith("fetched 0")


def test_dry_run_changes_nothing(imap: ImapAccount, smtp_factory: Callable[..., SmtpServer],
                                 make_config: Configure, cli: Callable[..., CliResult]) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config)
    demo = demo_messages()
    imap.append(demo["01-guest-post.eml"], demo["04-out-of-office.eml"])
    result = cli("--config", config, "poll", "--dry-run")
    assert result.code == 0, result.err
    assert "would take guest_post from sam.okafor@uni.example.ac.uk" in result.out
    assert "would ignore (Auto-Submitted: auto-replied)" in result.out
    assert "dry run, nothing changed: fetched 2 · new 1 · revisions 0 · ignored 1" in result.out
    assert not (config.parent / "var").exists()
    assert imap.count("INBOX") == 2 and smtp.handler.messages == []
    c = imap.client()
    c.select_folder("INBOX", readonly=True)
    assert c.search(["SEEN"]) == []
    c.logout()


def test_first_run_refuses_old_mail_until_told(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config, first_run_max=3)
    old = datetime(2024, 3, 1, 12, 0)
    imap.append(*(_guest(n) for n in range(5)), when=old)
    imap.append(_guest(99))
    refused = cli("--config", config, "poll")
    assert refused.code == 2
    assert "first run: INBOX already holds 6 messages" in refused.err
    assert "--since" in refused.err
    assert smtp.handler.messages == []
    taken = cli("--config", config, "poll", "--since", "2026-01-01")
    assert taken.code == 0, taken.err
    assert taken.out.startswith("fetched 1 · new 1")
    assert list(_acks_by_recipient(smtp)) == ["author99@uni.example"]
    # The floor is remembered: old mail stays untouched by later runs.
    imap.append(_guest(7), when=old)
    assert cli("--config", config, "poll").out.startswith("fetched 0")
    assert imap.count("INBOX") == 6


def test_old_mail_taken_in_bulk_without_answering_anyone(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config, first_run_max=3)
    imap.append(*(_guest(n) for n in range(5)), when=datetime(2024, 3, 1, 12, 0))
    refused = cli("--config", config, "poll")
    assert refused.code == 2 and "--no-acknowledge" in refused.err
    taken = cli("--config", config, "poll", "--no-acknowledge")
    assert taken.code == 0, taken.err
    assert taken.out.startswith("fetched 5 · new 5")
    assert smtp.handler.messages == []  # no author, no editor emailed
    ref = json.loads(cli("--config", config, "queue", "--json").out.splitlines()[0])["reference"]
    shown = cli("--config", config, "show", ref).out
    assert "--no-acknowledge" in shown  # the history says why nobody was answered
    # Later runs answer new mail as usual.
    imap.append(_guest(9))
    assert cli("--config", config, "poll").code == 0
    assert list(_acks_by_recipient(smtp)) == ["author9@uni.example"]


def test_limit_spreads_work_over_runs(imap: ImapAccount, smtp_factory: Callable[..., SmtpServer],
                                      make_config: Configure,
                                      cli: Callable[..., CliResult]) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config)
    imap.append(_guest(1), _guest(2), _guest(3))
    assert cli("--config", config, "poll", "--limit", "2").out.startswith("fetched 2 · new 2")
    assert cli("--config", config, "poll").out.startswith("fetched 1 · new 1")
    assert len(smtp.handler.messages) == 3


def test_too_large_message_is_quarantined_and_left_on_the_server(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    server = smtp_factory("plain")
    config = make_config(smtp=server.settings(), imap=imap.settings(),
                         intake={"max_message_bytes": 20_000})
    big = _guest(1, words=400)
    assert len(big) > 20_000
    imap.append(big, demo_messages()["02-sponsored.eml"])
    result = cli("--config", config, "poll")
    assert result.code == 1
    assert "new 1" in result.out and "quarantined 1" in result.out
    (row,) = [r for r in (cli("--config", config, "queue", "--json").out.splitlines())
              if "quarantined" in r]
    assert "over the 20,000 byte limit" in row and "author1@uni.example" in row
    assert imap.count("INBOX") == 1  # the big one stays where a person can find it
    assert imap.count("Intake/Processed") == 1


def test_uidvalidity_change_takes_nothing_twice(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config, folder="Submissions",
                          after="leave")
    imap.append(_guest(1), _guest(2), folder="Submissions")
    assert cli("--config", config, "poll").out.startswith("fetched 2 · new 2")
    before = _db(config).execute("SELECT uidvalidity FROM mailboxes").fetchone()[0]
    c = imap.client()
    c.delete_folder(imap.server.folder("Submissions"))
    c.logout()
    import time

    time.sleep(1.1)  # UIDVALIDITY is the creation second: wait for a new one
    imap.append(_guest(1), _guest(2), _guest(3), folder="Submissions")
    again = cli("--config", config, "poll")
    assert again.code == 0, again.err
    assert again.out.startswith("fetched 3 · new 1")
    assert _db(config).execute("SELECT uidvalidity FROM mailboxes").fetchone()[0] != before
    assert sorted(_acks_by_recipient(smtp).values()) == [1, 1, 1]


def test_wrong_password_is_a_settings_error(imap: ImapAccount,
                                            smtp_factory: Callable[..., SmtpServer],
                                            make_config: Configure,
                                            cli: Callable[..., CliResult],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = _setup(imap, smtp_factory, make_config)
    monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", "not-the-password")
    result = cli("--config", config, "poll")
    assert result.code == 2
    assert f"login as {imap.user} refused" in result.err
    assert "not-the-password" not in result.err and "Traceback" not in result.err


def test_unreachable_server_exits_75_and_backs_off(
        smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import free_port

    port = free_port()
    monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", "x")
    server = smtp_factory("plain")
    config = make_config(smtp=server.settings(), imap={
        "host": "127.0.0.1", "port": port, "security": "plain", "username": "u",
        "password_env": "INTAKE_TEST_IMAP_PASSWORD", "timeout": 3})
    first = cli("--config", config, "poll")
    assert first.code == 75
    assert f"IMAP 127.0.0.1:{port} (plain): connection refused" in first.err
    second = cli("--config", config, "poll")
    assert second.code == 75
    assert "failed 1 run(s) in a row" in second.err and "next try after" in second.err


def test_tls_with_a_private_ca(imap: ImapAccount, smtp_factory: Callable[..., SmtpServer],
                               make_config: Configure, cli: Callable[..., CliResult]) -> None:
    port = imap.server.tls_port
    config, _ = _setup(imap, smtp_factory, make_config, security="tls", port=port,
                       ca_file=str(imap.server.ca_file))
    imap.append(_guest(1))
    result = cli("--config", config, "poll")
    assert result.code == 0, result.err
    assert result.out.startswith("fetched 1 · new 1")
    # Without the CA the certificate cannot be verified, and intake says so.
    config, _ = _setup(imap, smtp_factory, make_config, security="tls", port=port)
    refused = cli("--config", config, "poll")
    assert refused.code == 75
    assert "TLS failed" in refused.err and "certificate is not trusted" in refused.err
    assert "set ca_file" in refused.err


def test_same_mailbox_over_another_port_is_the_same_mailbox(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    """Moving from STARTTLS on 143 to TLS on 993 must not make intake take the mailbox
    for a new one (a first-run refusal, or everything read again), including in a ledger
    written when the port was part of the mailbox's name."""
    smtp = smtp_factory("plain")
    plain = imap.settings(after="keyword", first_run_max=2)
    config = make_config(smtp=smtp.settings(), imap=plain)
    imap.append(_guest(1), _guest(2))
    assert cli("--config", config, "poll").out.startswith("fetched 2 · new 2")
    with _db(config) as db:  # as such a ledger had it
        earlier = f"{imap.user}@127.0.0.1:{imap.server.port}/INBOX"
        db.execute("UPDATE mailboxes SET name = ?", (earlier,))
        db.execute("UPDATE imap_uids SET mailbox = ?", (earlier,))
    imap.append(_guest(3))  # the folder now holds more than first_run_max
    make_config(smtp=smtp.settings(), imap=dict(
        plain, security="tls", port=imap.server.tls_port, ca_file=str(imap.server.ca_file)))
    dry = cli("--config", config, "poll", "--dry-run")
    assert "fetched 1 · new 1" in dry.out and "first run" not in dry.out, dry.out
    moved = cli("--config", config, "poll")
    assert moved.code == 0, moved.err
    assert moved.out.startswith("fetched 1 · new 1"), moved.out
    with _db(config) as db:
        names = [r[0] for r in db.execute("SELECT name FROM mailboxes")]
        assert names == [f"{imap.user}@127.0.0.1/INBOX"]
        assert db.execute("SELECT count(*) FROM imap_uids WHERE mailbox = ?",
                          (names[0],)).fetchone()[0] == 3
    assert len(smtp.handler.messages) == 3


def test_overlapping_poll_exits_75(imap: ImapAccount, smtp_factory: Callable[..., SmtpServer],
                                   make_config: Configure) -> None:
    from intake.core.config import load_settings
    from intake.core.runlock import run_lock

    config, _ = _setup(imap, smtp_factory, make_config)
    with run_lock(load_settings(config).data_dir):
        done = _run_poll(config, {})
    assert done.returncode == 75 and "another intake run holds" in done.stderr


def _run_poll(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "poll",
                           *args], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **env})


@pytest.mark.parametrize("point", ["after-fetch", "mid-process", "after-smtp", "before-mark"])
def test_kill_9_anywhere_loses_nothing_and_drafts_once(
        point: str, imap: ImapAccount, smtp_factory: Callable[..., SmtpServer],
        make_config: Configure) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config)
    imap.append(*(_guest(n) for n in range(4)))
    killed = _run_poll(config, {"INTAKE_FAILPOINT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    for _ in range(3):
        done = _run_poll(config, {})
        assert done.returncode == 0, done.stderr
    db = _db(config)
    drafts = db.execute("SELECT COUNT(*), COUNT(DISTINCT author_email) FROM submissions"
                        ).fetchone()
    states = db.execute("SELECT DISTINCT state FROM outbox").fetchall()
    unmarked = db.execute("SELECT COUNT(*) FROM imap_uids WHERE done_at IS NULL").fetchone()
    db.close()
    assert drafts == (4, 4)  # every submission exactly once
    assert len(list((config.parent / "var" / "drafts").iterdir())) == 4
    assert states == [("sent",)] and unmarked == (0,)
    assert imap.count("INBOX") == 0 and imap.count("Intake/Processed") == 4
    counts = _acks_by_recipient(smtp)
    assert len(counts) == 4
    # Only a kill between the SMTP server's 250 and our commit can send one twice.
    expected_twice = 1 if point == "after-smtp" else 0
    assert sum(c - 1 for c in counts.values()) == expected_twice


def test_connection_dropped_mid_fetch_is_completed_next_run(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    from tests.proxy import CuttingProxy

    imap.append(*(_guest(n, words=40) for n in range(6)))
    # Each message is ~40 KB: the cut lands inside the bodies' FETCH response.
    with CuttingProxy(imap.server.port, cut_after=90_000) as proxy:
        config, smtp = _setup(imap, smtp_factory, make_config, port=proxy.port,
                              batch_size=2)
        dropped = cli("--config", config, "poll")
        assert proxy.cuts >= 1
    assert dropped.code == 75
    assert "IMAP 127.0.0.1" in dropped.err and "mail not fetched" in dropped.err
    taken_before = dropped.out.split(" · ")[1]  # what was safely taken before the cut
    config, smtp2 = _setup(imap, smtp_factory, make_config)
    after = cli("--config", config, "poll")
    assert after.code == 0, after.err
    db = _db(config)
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT author_email) FROM submissions"
                      ).fetchone() == (6, 6)
    db.close()
    acks = {**_acks_by_recipient(smtp), **_acks_by_recipient(smtp2)}
    assert len(acks) == 6 and set(acks.values()) == {1}
    assert imap.count("INBOX") == 0
    assert taken_before != "new 6"


def test_smtp_refusals_through_poll(imap: ImapAccount, smtp_factory: Callable[..., SmtpServer],
                                    make_config: Configure,
                                    cli: Callable[..., CliResult]) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config)
    smtp.handler.reply = "451 4.7.1 greylisted, try again"
    imap.append(_guest(1))
    first = cli("--config", config, "poll")
    assert first.code == 0 and "sent 0 · pending 1" in first.out
    smtp.handler.reply = "250 OK"
    db = _db(config)
    db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'")
    db.commit()
    assert "sent 1 · pending 0" in cli("--config", config, "poll").out
    smtp.handler.reply = "550 5.1.1 no such user"
    imap.append(_guest(2))
    refused = cli("--config", config, "poll")
    assert refused.code == 1 and "failed 1" in refused.out
    assert db.execute("SELECT state FROM outbox ORDER BY id").fetchall() == [("sent",),
                                                                            ("failed",)]
    db.close()
    assert len(smtp.handler.messages) == 1


def test_doctor_checks_everything_and_names_each_problem(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    smtp = smtp_factory("starttls", auth=True)
    config = make_config(smtp=smtp.settings(), imap=imap.settings())
    good = cli("--config", config, "doctor")
    assert good.code == 0, good.out
    assert f"ok    IMAP 127.0.0.1:{imap.server.port} (plain): logged in as {imap.user}" in good.out
    assert "ok    folder INBOX: 0 message(s)" in good.out
    # Not a promise but a check: created and removed again, named as the server names it.
    server_name = imap.server.folder("Intake/Processed")
    assert (f"ok    processed_folder Intake/Processed ({server_name!r} on the server): can "
            "be created (tried and removed again)") in good.out
    assert imap.count("Intake/Processed") == 0  # removed again
    if imap.server.prefix:
        assert "personal namespace: folders are under 'INBOX.'" in good.out
    assert f"ok    SMTP 127.0.0.1:{smtp.port} (starttls): logged in as" in good.out
    assert "ok    editors: none declared, so any --as name is accepted" in good.out
    from intake.mail.templates import SAMPLES

    assert (f"ok    template received_guest_post: renders with all {len(SAMPLES)} samples: "
            "[JPMS-2026-0042]"
            in good.out)
    assert good.out.strip().endswith("all good")

    templates = tmp_path / "my-templates"
    templates.mkdir()
    for part in ("subject.txt", "txt", "html"):
        (templates / f"received.{part}").write_text("{{ reference }} {{ titel }}")
    config = make_config(smtp=smtp.settings(), imap=imap.settings(),
                         intake={"templates_dir": str(templates)})
    monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", "wrong")
    bad = cli("--config", config, "doctor")
    assert bad.code == 1
    assert (f"FAIL  IMAP 127.0.0.1:{imap.server.port} (plain): login as {imap.user} refused: "
            "[AUTHENTICATIONFAILED]") in bad.out
    assert "FAIL  template received: template received.subject.txt:1: 'titel' is undefined" \
        in bad.out
    assert bad.out.strip().endswith("2 problem(s)")


def test_messages_moved_by_a_person_before_the_mark(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure) -> None:
    config, smtp = _setup(imap, smtp_factory, make_config)
    imap.append(_guest(1), _guest(2), _guest(3))
    killed = _run_poll(config, {"INTAKE_FAILPOINT": "before-mark"})
    assert killed.returncode == -signal.SIGKILL
    # An editor files two of them away by hand before the next run.
    c = imap.client()
    c.create_folder(imap.server.folder("Archive"))
    c.select_folder("INBOX")
    c.move(sorted(c.search(["ALL"]))[:2], imap.server.folder("Archive"))
    c.logout()
    done = _run_poll(config, {})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("fetched 0 · new 0")
    assert (imap.count("INBOX"), imap.count("Archive"), imap.count("Intake/Processed")) == \
        (0, 2, 1)
    db = _db(config)
    assert db.execute("SELECT COUNT(*) FROM imap_uids WHERE done_at IS NULL").fetchone() == (0,)
    db.close()
    assert sorted(_acks_by_recipient(smtp).values()) == [1, 1, 1]


def test_oauth2_login_with_a_token_command(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult], tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(imap.password + "\n")
    settings = imap.settings(oauth2_token_command=f"cat {token}")
    del settings["password_env"]
    server = smtp_factory("plain")
    config = make_config(smtp=server.settings(), imap=settings)
    imap.append(_guest(1))
    result = cli("--config", config, "poll")
    assert result.code == 0, result.err
    assert result.out.startswith("fetched 1 · new 1")
    token.write_text("expired-token\n")
    refused = cli("--config", config, "poll")
    assert refused.code == 2 and f"login as {imap.user} refused" in refused.err
    assert "expired-token" not in refused.err


# Dovecot's capabilities without MOVE (RFC 6851), and then without UIDPLUS too, as
# older or hosted servers still answer; the rest is what intake and imapclient use.
_FEW_CAPABILITIES = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN"


@pytest.fixture(params=["UIDPLUS", ""], ids=["copy-and-uid-expunge", "copy-and-flag"])
def imap_without_move(request: pytest.FixtureRequest, ca: trustme.CA, dovecot: Dovecot,
                      monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapAccount]:
    server = Dovecot.start(ca, extra=f"imap_capability = {_FEW_CAPABILITIES} {request.param}")
    monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", PASSWORD)
    yield ImapAccount(server, "editorial", PASSWORD)
    server.stop()


def test_servers_without_move_get_copy_then_delete(
        imap_without_move: ImapAccount, smtp_factory: Callable[..., SmtpServer],
        make_config: Configure, cli: Callable[..., CliResult]) -> None:
    imap = imap_without_move
    c = imap.client()
    capabilities = c.capabilities()
    c.logout()
    assert b"MOVE" not in capabilities
    uidplus = b"UIDPLUS" in capabilities
    config, smtp = _setup(imap, smtp_factory, make_config)
    doctor = cli("--config", config, "doctor")
    assert ("copied, then removed with UID EXPUNGE" if uidplus
            else "neither MOVE nor UIDPLUS") in doctor.out, doctor.out
    # A person's message marked \\Deleted, not yet expunged by their client, must not be
    # expunged by intake's run while it is not intake's to remove: only UID EXPUNGE of
    # intake's own UIDs is safe. --limit keeps it out of the first run.
    imap.append(_guest(1), _guest(2), _guest(3))
    c = imap.client()
    c.select_folder("INBOX")
    theirs = sorted(c.search(["ALL"]))[-1:]
    c.add_flags(theirs, [b"\\Deleted"])
    c.logout()

    first = cli("--config", config, "poll", "--limit", "2")
    assert first.code == 0, first.err
    assert first.out.startswith("fetched 2 · new 2"), first.out
    assert imap.count("Intake/Processed") == 2
    c = imap.client()
    c.select_folder("INBOX", readonly=True)
    left = c.search(["ALL"])
    if uidplus:
        assert left == theirs  # intake's two are gone; the person's is untouched
    else:
        assert len(left) == 3 and c.search(["DELETED"]) == left  # left for an expunge
    c.logout()
    rest = cli("--config", config, "poll")
    assert rest.out.startswith("fetched 1 · new 1"), rest.out
    again = cli("--config", config, "poll")
    assert again.out.startswith("fetched 0 · new 0"), again.out
    assert imap.count("Intake/Processed") == 3
    assert len(smtp.handler.messages) == 3


def test_message_contents_never_reach_the_imap_debug_log(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        caplog: pytest.LogCaptureFixture) -> None:
    """IMAPClient turns imaplib's debug output on, which formats every message it reads
    (its whole text, whether or not anyone logs it); intake turns that off (imap.py).
    IMAPClient's own lines still reach the debug log."""
    import logging

    from intake.core.config import load_settings
    from intake.sources.imap import Mailbox

    config, _ = _setup(imap, smtp_factory, make_config)
    imap.append(make_email("Ana Lima <ana@uni.example>", "Guest post",
                           "A case I will not forget: the words xq7-secret-body.",
                           message_id="<secret@uni.example>"))
    section = load_settings(config).imap
    assert section is not None
    with caplog.at_level(logging.DEBUG, logger="imapclient"), Mailbox(section) as box:
        box.select("INBOX")
        fetched = [item for batch in box.fetch(box.uids_above(0), 10) for item in batch]
    assert b"xq7-secret-body" in fetched[0].data
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Logged in as" in logged  # IMAPClient's own log is still there
    assert "xq7-secret-body" not in logged
