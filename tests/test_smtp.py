"""Acknowledgements over a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
import json
import sqlite3
from collections.abc import Callable
from email import policy
from pathlib import Path
from typing import Any

import pytest

from intake.demo.samples import DOCX, article_docx
from intake.demo.samples import email as make_email
from tests.conftest import SMTP_USER, CliResult, SmtpServer


def _submission(folder: Path, name: str = "a.eml", message_id: str = "<a@x.example>") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(make_email(
        "Ana Lima <ana@uni.example.org>", "Guest post: Sleep on night shifts",
        "Dear editors, please find attached my guest post.",
        # Each message its own article: the same file twice would be a duplicate.
        attachments=(("sleep.docx", DOCX, article_docx(f"Sleep on night shifts {name}")),),
        message_id=message_id))
    return path


def _outbox(config: Path) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(config.parent / "var" / "intake.sqlite3")
    try:
        return db.execute("SELECT recipient, state, attempts, last_error FROM outbox").fetchall()
    finally:
        db.close()


@pytest.mark.parametrize(("security", "auth"), [("tls", True), ("starttls", True),
                                                ("plain", False)])
def test_acknowledgement_delivered(smtp_factory: Callable[..., SmtpServer],
                                   make_config: Callable[..., Path], cli: Callable[..., CliResult],
                                   tmp_path: Path, security: str, auth: bool) -> None:
    server = smtp_factory(security, auth)
    config = make_config(smtp=server.settings())
    result = cli("--config", config, "ingest", _submission(tmp_path / "in"))
    assert result.code == 0, result.err
    assert "new 1" in result.out and "sent 1" in result.out and "pending 0" in result.out
    assert len(server.handler.messages) == 1
    got = server.handler.messages[0]
    assert got.rcpt_tos == ["ana@uni.example.org"]
    assert got.mail_from == SMTP_USER
    msg = email.message_from_bytes(got.data, policy=policy.default)
    assert msg["In-Reply-To"] == "<a@x.example>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert "[JPMS-" in msg["Subject"]
    assert _outbox(config) == [("ana@uni.example.org", "sent", 1, None)]


def test_wrong_smtp_password_leaves_mail_pending(smtp_factory: Callable[..., SmtpServer],
                                                 make_config: Callable[..., Path],
                                                 cli: Callable[..., CliResult], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp_factory("tls", auth=True)
    monkeypatch.setenv("INTAKE_TEST_SMTP_PASSWORD", "wrong")
    config = make_config(smtp=server.settings())
    result = cli("--config", config, "ingest", _submission(tmp_path / "in"))
    # A wrong password is not temporary: a settings error (exit 2), said at once.
    assert result.code == 2
    assert "login as submissions@journal.example.org refused (535" in result.err
    assert "wrong" not in result.err  # the password never appears
    assert _outbox(config) == [("ana@uni.example.org", "pending", 0, None)]
    quiet = cli("--config", config, "-q", "send")  # cron's first run: one line
    assert quiet.code == 2 and quiet.out == ""
    assert quiet.err.count("\n") == 1 and "refused (535" in quiet.err
    status = cli("--config", config, "status", "--json")
    assert '"exit_code": 2' in status.out  # recorded as what it was


def test_smtp_down_then_send_delivers_once(smtp_factory: Callable[..., SmtpServer],
                                           make_config: Callable[..., Path],
                                           cli: Callable[..., CliResult], tmp_path: Path) -> None:
    server = smtp_factory("starttls", auth=True)
    config = make_config(smtp=server.settings())
    server.stop()
    result = cli("--config", config, "ingest", _submission(tmp_path / "in"))
    assert result.code == 75
    assert "connection refused" in result.err
    assert "pending 1" in result.out
    assert _outbox(config)[0][1] == "pending"

    again = smtp_factory("starttls", auth=True)
    config = make_config(smtp=again.settings())
    first = cli("--config", config, "send")
    assert first.code == 0, first.err
    assert first.out.strip() == "sent 1 · pending 0 · failed 0"
    second = cli("--config", config, "send")
    assert second.out.strip() == "sent 0 · pending 0 · failed 0"
    assert len(again.handler.messages) == 1


def test_temporary_refusal_is_retried_and_permanent_one_fails(
        smtp_factory: Callable[..., SmtpServer], make_config: Callable[..., Path],
        cli: Callable[..., CliResult], tmp_path: Path) -> None:
    server = smtp_factory("plain")
    server.handler.reply = "451 4.3.0 try again later"
    config = make_config(smtp=server.settings())
    result = cli("--config", config, "ingest", _submission(tmp_path / "in"))
    assert result.code == 0
    _, state, attempts, error = _outbox(config)[0]
    assert (state, attempts) == ("pending", 1)
    assert error.startswith("451")

    # Not due yet: the back-off keeps the next run from hammering the server.
    server.handler.reply = "250 OK"
    assert cli("--config", config, "send").out.strip() == "sent 0 · pending 1 · failed 0"
    db = sqlite3.connect(config.parent / "var" / "intake.sqlite3")
    db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'")
    db.commit()
    db.close()
    assert cli("--config", config, "send").out.strip() == "sent 1 · pending 0 · failed 0"
    assert len(server.handler.messages) == 1

    server.handler.reply = "550 5.1.1 mailbox unavailable"
    bounced = cli("--config", config, "ingest", _submission(tmp_path / "in2", "b.eml", "<b@x>"))
    assert bounced.code == 1  # a person must look
    assert "failed 1" in bounced.out
    assert _outbox(config)[1][1] == "failed"
    shown = cli("--config", config, "show", "JPMS-2026-0002")
    assert "delivery failed" in shown.out and "550" in shown.out


@pytest.mark.parametrize("utf8", [True, False])
def test_an_internationalised_author_is_answered_over_smtputf8_or_told_why_not(
        utf8: bool, tmp_path: Path, make_config: Callable[..., Path],
        cli: Callable[..., CliResult]) -> None:
    """RFC 6531: jdöe@mächine.example is queued, never quarantined; answered where the
    server offers SMTPUTF8, and otherwise the history says why no answer went out."""
    from aiosmtpd.controller import Controller

    from tests.conftest import SinkHandler, eml_folder, free_port

    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=utf8)
    controller.start()
    try:
        config = make_config(smtp={"host": "127.0.0.1", "port": port, "security": "plain",
                                   "timeout": 5})
        # As a client that speaks SMTPUTF8 writes it: the address raw, in UTF-8.
        message = make_email("Placeholder <placeholder@example.org>",
                             "Guest post: Nachtdienst", "Anbei mein Artikel.",
                             message_id="<utf8@example.org>",
                             attachments=(("artikel.docx", DOCX, article_docx("Nachtdienst")),)
                             ).replace(b"Placeholder <placeholder@example.org>",
                                       "Jürgen Döe <jdöe@mächine.example>".encode())
        result = cli("--config", config, "ingest", eml_folder(tmp_path, [message]))
        assert result.code == (0 if utf8 else 1), result.err
        rows = [json.loads(line) for line in
                cli("--config", config, "queue", "--json").out.splitlines()]
        assert [r["status"] for r in rows] == ["queued"]
        if utf8:
            (received,) = handler.messages
            assert received.rcpt_tos == ["jdöe@mächine.example"]
            assert "jdöe@mächine.example" in received.data.decode("utf-8")
        else:
            assert handler.messages == []
            shown = json.loads(cli("--config", config, "show", rows[0]["reference"],
                                   "--json").out)
            assert "SMTPUTF8" in shown["outbox"][0]["error"]
    finally:
        controller.stop()
