"""Mail servers as hosting providers set them up (issue 31): a personal namespace with a
prefix (the whole poll suite runs against it too: tests/conftest.py's two layouts), a
server that refuses what the settings ask, and doctor checking what it promises."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from tests.conftest import CliResult, ImapAccount, SmtpServer
from tests.dovecot import PASSWORD, Dovecot
from tests.test_poll import _guest

Configure = Callable[..., Path]


@pytest.fixture
def refusing(ca: trustme.CA, dovecot: Dovecot,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapAccount]:
    """A Dovecot whose ACL lets the account read and take its mail, but neither create
    folders, nor expunge, nor set keywords (rights lrsti): what a hosting provider's
    restricted mailbox answers."""
    acl = Path(tempfile.mkdtemp(prefix="intake-acl-")) / "global-acl"
    acl.parent.chmod(0o755)
    acl.write_text("* owner lrsti\n")
    acl.chmod(0o644)
    server = Dovecot.start(ca, extra=f"""mail_plugins = $mail_plugins acl
protocol imap {{
  mail_plugins = $mail_plugins imap_acl
}}
plugin {{
  acl = vfile:{acl}
}}
""", layout="prefixed" if dovecot.prefix else "flat")
    monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", PASSWORD)
    yield ImapAccount(server, "editorial", PASSWORD)
    server.stop()


def test_a_refused_create_exits_1_with_one_line_and_takes_nothing_twice(
        refusing: ImapAccount, smtp_factory: Callable[..., SmtpServer],
        make_config: Configure, cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), imap=refusing.settings())
    refusing.append(_guest(1), _guest(2))
    first = cli("--config", config, "-q", "poll", "--since", "2026-01-01")
    assert first.code == 1, first.err
    assert first.out == "" and first.err.count("\n") == 1, first.err
    name = refusing.server.folder("Intake/Processed")
    assert f"refused to create the folder {name!r}" in first.err
    assert "Permission denied" in first.err  # what the server said
    assert len(smtp.handler.messages) == 2
    assert "refused to create the folder" in cli("--config", config, "status").out
    again = cli("--config", config, "poll")
    assert again.code == 1 and again.out.startswith("fetched 0 · new 0")
    assert len(smtp.handler.messages) == 2  # nobody answered twice
    assert refusing.count("INBOX") == 2  # still there, for a person


def test_doctor_checks_creating_the_folder_and_keywords_as_the_run_would(
        refusing: ImapAccount, imap: ImapAccount, make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    refused = cli("--config", make_config(imap=refusing.settings()), "doctor")
    assert refused.code == 1
    assert "FAIL  processed_folder Intake/Processed: IMAP" in refused.out
    assert "refused to create the folder" in refused.out
    keyword = cli("--config", make_config(imap=refusing.settings(after="keyword")), "doctor")
    assert "FAIL  keyword" in keyword.out and "allows no custom keywords" in keyword.out
    # Dovecot as it comes allows keywords: asked the way the run asks (SELECT), doctor
    # says so (EXAMINE would have reported PERMANENTFLAGS ()).
    allowed = cli("--config", make_config(imap=imap.settings(after="keyword")), "doctor")
    assert "ok    keyword" in allowed.out and "allowed" in allowed.out, allowed.out


def test_a_prefixed_namespace_is_read_and_a_name_with_the_prefix_is_kept(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    given = "INBOX.Done" if imap.server.prefix else "Done"
    config = make_config(smtp=smtp.settings(),
                         imap=imap.settings(processed_folder=given))
    imap.append(_guest(1))
    done = cli("--config", config, "poll", "--since", "2026-01-01")
    assert done.code == 0, done.err
    assert imap.count("INBOX") == 0
    c = imap.client()
    names = [str(n) for _flags, _sep, n in c.list_folders()]
    c.logout()
    assert ("INBOX.Done" if imap.server.prefix else "Done") in names, names
    assert not any(n.startswith("INBOX.INBOX") for n in names)


def test_rows_left_behind_by_a_uidvalidity_change_are_closed(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    import sqlite3
    import time

    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), imap=imap.settings(folder="Submissions"))
    imap.append(_guest(1), _guest(2), folder="Submissions")
    assert cli("--config", config, "poll", "--since", "2026-01-01").code == 0
    ledger = config.parent / "var" / "intake.sqlite3"
    with sqlite3.connect(ledger) as db:  # as if the run had been cut before the move
        db.execute("UPDATE imap_uids SET done_at = NULL, done_how = NULL")
    c = imap.client()
    c.delete_folder(imap.server.folder("Intake/Processed"))
    c.delete_folder(imap.server.folder("Submissions"))
    c.logout()
    time.sleep(1.1)  # UIDVALIDITY is the creation second
    imap.append(_guest(1), _guest(2), folder="Submissions")
    again = cli("--config", config, "poll")
    assert again.code == 0, again.err
    assert again.out.startswith("fetched 2 · new 0")
    with sqlite3.connect(ledger) as db:
        left = db.execute("SELECT count(*) FROM imap_uids WHERE done_at IS NULL").fetchone()
        closed = db.execute("SELECT count(*) FROM imap_uids WHERE done_how LIKE "
                            "'superseded%'").fetchone()
    assert left == (0,) and closed == (2,)
    assert imap.count("Submissions") == 0 and len(smtp.handler.messages) == 2


def test_a_dry_run_follows_the_batch_in_order(
        imap: ImapAccount, make_config: Configure, cli: Callable[..., CliResult]) -> None:
    from intake.demo.samples import DOCX, article_docx
    from intake.demo.samples import email as make_email

    config = make_config(imap=imap.settings())
    first = make_email("Sam <sam@uni.example.org>", "Guest post: nights", "Attached.",
                       attachments=(("a.docx", DOCX, article_docx("Nights")),),
                       message_id="<first@uni>")
    reply = make_email("Sam <sam@uni.example.org>", "Re: Guest post: nights",
                       "Here is the better version.", message_id="<second@uni>",
                       attachments=(("b.docx", DOCX, article_docx("Nights", 8)),),
                       headers={"In-Reply-To": "<first@uni>"})
    imap.append(first, reply)
    dry = cli("--config", config, "poll", "--dry-run", "--since", "2026-01-01")
    assert dry.code == 0, dry.err
    lines = [line for line in dry.out.splitlines() if line.startswith("UID")]
    assert "would take guest_post" in lines[0]
    assert "would add to the submission UID 1 would make" in lines[1], lines
    assert "new 1 · revisions 1" in dry.out
