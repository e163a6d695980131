"""Replies join their submission: revisions, duplicates, correspondence, auto-replies and
bounces of our own mail, through `intake poll` against Dovecot with aiosmtpd answering."""

from __future__ import annotations

import email
import json
import sqlite3
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from intake.demo.samples import DOCX, article_docx, text_docx
from intake.demo.samples import email as make_email
from intake.ledger.store import read_front_matter
from tests.conftest import CliResult, ImapAccount, SmtpServer

Configure = Callable[..., Path]
AUTHOR = "Ana Lima <ana@uni.example.org>"


def _mail(server: SmtpServer) -> list[EmailMessage]:
    return [email.message_from_bytes(m.data, policy=policy.default)
            for m in server.handler.messages]


def _show(cli: Callable[..., CliResult], config: Path, ref: str) -> dict[str, Any]:
    result = cli("--config", config, "show", ref, "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _poll(cli: Callable[..., CliResult], config: Path, code: int = 0) -> str:
    result = cli("--config", config, "poll")
    assert result.code == code, result.err
    return result.out.strip()


def _reply(to_ack: EmailMessage, body: str, *, sender: str = AUTHOR,
           attachments: tuple[tuple[str, str, bytes], ...] = (), message_id: str,
           subject: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    return make_email(sender, subject or f"Re: {to_ack['Subject']}", body,
                      attachments=attachments, message_id=message_id,
                      headers={"In-Reply-To": str(to_ack["Message-ID"]),
                               "References": str(to_ack["Message-ID"]), **(headers or {})})


def test_a_submissions_whole_thread(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), imap=imap.settings())
    drafts = config.parent / "var" / "drafts"
    first = article_docx("Sleep on night shifts", paragraphs=4)
    imap.append(make_email(AUTHOR, "Guest post: Sleep on night shifts",
                           "Dear editors, please find attached my guest post.",
                           attachments=(("sleep.docx", DOCX, first),),
                           message_id="<first@uni.example.org>"))
    assert _poll(cli, config).startswith("fetched 1 · new 1 · revisions 0")
    (ack,) = _mail(smtp)
    ref = str(ack["X-Intake-Reference"])
    assert ref in str(ack["Subject"])

    # An out-of-office answer to our acknowledgement: noted on the submission, no new
    # reference, no answer.
    imap.append(_reply(ack, "Ich bin bis 3. Dezember nicht im Büro.", message_id="<ooo@x>",
                       subject=f"Automatische Antwort: {ack['Subject']}",
                       sender="Ana Lima <ana@uni.example.org>"))
    assert _poll(cli, config) == ("fetched 1 · new 0 · revisions 0 · ignored 1 · "
                                  "quarantined 0 · sent 0 · pending 0")
    events = [e["event"] for e in _show(cli, config, ref)["history"]]
    assert "automatic reply received" in events
    rows = cli("--config", config, "queue", "--status", "all", "--json").out.splitlines()
    assert len(rows) == 1

    # A reply with a new version: revision 2, the first kept, the author told.
    second = article_docx("Sleep on night shifts, revised", paragraphs=5)
    imap.append(_reply(ack, "Here is the corrected version.", message_id="<second@x>",
                       attachments=(("sleep v2.docx", DOCX, second),)))
    assert _poll(cli, config).startswith("fetched 1 · new 0 · revisions 1 · ignored 0")
    mail = _mail(smtp)
    assert len(mail) == 2
    revision_ack = mail[1]
    assert str(revision_ack["Subject"]) == \
        f"[{ref}] Revision 2 received: Sleep on night shifts, revised"
    assert revision_ack["In-Reply-To"] == "<second@x>"
    assert "sleep v2.docx" in revision_ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    front = read_front_matter(drafts / ref / "draft.md")
    assert front["revision"] == 2 and front["earlier_revisions"] == ["revisions/1"]
    assert front["title"] == "Sleep on night shifts, revised"
    assert (drafts / ref / "original" / "sleep v2.docx").is_file()
    assert not (drafts / ref / "original" / "sleep.docx").exists()
    earlier = read_front_matter(drafts / ref / "revisions" / "1" / "draft.md")
    assert earlier["title"] == "Sleep on night shifts" and earlier["revision"] == 1
    assert (drafts / ref / "revisions" / "1" / "original" / "sleep.docx").is_file()
    shown = _show(cli, config, ref)
    assert shown["revision"] == 2 and shown["status"] == "queued"

    # The same file again: recognised, nothing queued, nobody emailed.
    imap.append(_reply(ack, "Sorry, sending again in case.", message_id="<again@x>",
                       attachments=(("copy of sleep v2.docx", DOCX, second),)))
    assert _poll(cli, config).endswith("already had 1")
    assert len(_mail(smtp)) == 2

    # A text-only reply: correspondence for the editor, no automatic answer.
    imap.append(_reply(revision_ack, "Thank you so much!", message_id="<thanks@x>"))
    out = _poll(cli, config)
    assert "replies 1" in out and "sent 0" in out
    assert len(_mail(smtp)) == 2
    kept = list((drafts / ref / "correspondence").iterdir())
    assert len(kept) == 1 and "Thank you so much!" in (kept[0] / "email.txt").read_text()

    # No In-Reply-To, but the reference in the subject: still the same submission.
    third = article_docx("Sleep on night shifts, final", paragraphs=5)
    imap.append(make_email(AUTHOR, f"Final version [{ref}]", "Final version attached.",
                           attachments=(("sleep final.docx", DOCX, third),),
                           message_id="<third@x>"))
    assert "revisions 1" in _poll(cli, config)
    assert len(_mail(smtp)) == 3
    assert read_front_matter(drafts / ref / "draft.md")["revision"] == 3
    assert sorted(p.name for p in (drafts / ref / "revisions").iterdir()) == ["1", "2"]

    # The third acknowledgement bounces: that email is marked bounced, nobody is answered.
    last = _mail(smtp)[2]
    imap.append(_bounce(str(last["Message-ID"]), "ana@uni.example.org"))
    out = _poll(cli, config, code=1)  # a bounce failed for good: a person should look
    assert "bounced 1" in out and "sent 0" in out
    outbox = _show(cli, config, ref)["outbox"]
    assert [o["state"] for o in outbox] == ["sent", "sent", "bounced"]
    history = _show(cli, config, ref)["history"]
    bounce = [e for e in history if e["event"] == "email bounced"]
    assert bounce and "5.1.1" in bounce[0]["reason"]
    assert len(_mail(smtp)) == 3


def _bounce(original_id: str, recipient: str) -> bytes:
    """A Postfix-style RFC 3464 report carrying the failed message's headers."""
    return (
        "From: MAILER-DAEMON@mx.uni.example.org (Mail Delivery System)\r\n"
        "To: submissions@journal.example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.uni.example.org>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system at host mx.uni.example.org.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.uni.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <ana@uni.example.org>: Recipient address "
        "rejected: User unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: Editorial team <submissions@journal.example.org>\r\n"
        f"To: {recipient}\r\nSubject: [JPMS] received\r\nMessage-ID: {original_id}\r\n"
        "\r\n--B--\r\n").encode()


def test_a_quarantined_submission_is_fixed_by_a_reply(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), imap=imap.settings())
    encrypted = (Path(__file__).parent / "data" / "password.pdf").read_bytes()
    imap.append(make_email(AUTHOR, "Guest post: locked", "My guest post is attached.",
                           attachments=(("post.pdf", "application/pdf", encrypted),),
                           message_id="<locked@x>"))
    result = cli("--config", config, "poll")
    assert result.code == 1  # quarantined: a person should know
    (ack,) = _mail(smtp)
    assert "could not open it" in ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    ref = str(ack["X-Intake-Reference"])
    assert _show(cli, config, ref)["status"] == "quarantined"

    fixed = article_docx("Unlocked at last", paragraphs=4)
    imap.append(_reply(ack, "Sorry, here it is without a password.", message_id="<fixed@x>",
                       attachments=(("post.docx", DOCX, fixed),)))
    assert "revisions 1" in _poll(cli, config)
    shown = _show(cli, config, ref)
    assert shown["status"] == "queued" and shown["reason"] is None
    assert [e["after"] for e in shown["history"] if e["event"] == "status changed"] == \
        ["queued"]
    assert "Revision 2 received" in str(_mail(smtp)[1]["Subject"])


def test_the_same_manuscript_sent_twice_is_one_submission(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), imap=imap.settings())
    doc = text_docx("On call", ["# Night one", "A long night. " * 50])
    for n in (1, 2):
        imap.append(make_email(AUTHOR, f"Guest post (attempt {n})", "Attached my article.",
                               attachments=(("on call.docx", DOCX, doc),),
                               message_id=f"<attempt{n}@x>"))
    out = _poll(cli, config)
    assert out.startswith("fetched 2 · new 1 ·") and out.endswith("already had 1")
    assert len(_mail(smtp)) == 1
    db = sqlite3.connect(config.parent / "var" / "intake.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
    db.close()
