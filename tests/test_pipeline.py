"""The whole pipeline through `intake ingest`: drafts, quarantine, ignoring, no duplicates."""

from __future__ import annotations

import email
import json
import mailbox
from collections.abc import Callable
from email import policy
from pathlib import Path
from typing import Any

import pytest

from intake.demo.samples import DOCX, article_docx, cv_docx, demo_messages
from intake.demo.samples import email as make_email
from intake.ledger.store import read_front_matter
from tests.conftest import CliResult


def _inbox(tmp_path: Path, messages: dict[str, bytes], name: str = "inbox") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for filename, data in messages.items():
        (folder / filename).write_bytes(data)
    return folder


def _queue(cli: Callable[..., CliResult], config: Path, *extra: str) -> list[dict[str, Any]]:
    result = cli("--config", config, "queue", "--json", *extra)
    assert result.code == 0, result.err
    return [json.loads(line) for line in result.out.splitlines()]


def _sent(config: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((config.parent / "sent").glob("*.eml"))]


def test_each_kind_gets_a_draft_and_one_acknowledgement(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    config = make_config()
    result = cli("--config", config, "ingest", _inbox(tmp_path, demo_messages()))
    assert result.code == 0, result.err
    assert result.out.strip() == ("fetched 6 · new 4 · revisions 1 · ignored 1 · "
                                  "quarantined 0 · sent 5 · pending 0")
    rows = {r["author_email"]: r for r in _queue(cli, config, "--status", "all")}
    assert {e: r["kind"] for e, r in rows.items()} == {
        "sam.okafor@uni.example.ac.uk": "guest_post",
        "claire@medsupply.example.com": "sponsored",
        "priya.raman@uni.example.edu": "application",
        "j.weber@hospital.example.de": "other",
        "tomas.ortega@mail.example.com": "guest_post",
    }
    assert rows["j.weber@hospital.example.de"]["status"] == "ignored"
    guest = rows["sam.okafor@uni.example.ac.uk"]
    assert guest["reference"] == "JPMS-2026-0001" or str(guest["reference"]).startswith("JPMS-")
    folder = config.parent / "var" / str(guest["draft_dir"])
    front = read_front_matter(folder / "draft.md")
    for key in ("reference", "kind", "status", "title", "author", "received", "message_id",
                "source_files", "word_count", "warnings"):
        assert key in front, key
    assert front["title"] == "Surviving your first clinical rotation"
    assert front["author"] == {"name": "Sam Okafor", "email": "sam.okafor@uni.example.ac.uk"}
    assert front["source_files"][0]["role"] == "manuscript"
    assert (folder / "original" / "First rotation - final.docx").is_file()
    assert (folder / "assets" / "image-001.png").is_file()
    assert front["word_count"] > 300
    # The first email had no article; the reply in its thread brought it: revision 2.
    forgot = rows["tomas.ortega@mail.example.com"]
    assert forgot["revision"] == 2 and forgot["title"] == "AI in radiology, a student's view"
    assert not any("No manuscript" in w for w in forgot["warnings"])
    forgot_dir = config.parent / "var" / str(forgot["draft_dir"])
    assert any("No manuscript" in w for w in
               read_front_matter(forgot_dir / "revisions" / "1" / "draft.md")["warnings"])

    sent = _sent(config)
    assert sorted(str(m["To"]) for m in sent) == sorted([
        "Sam Okafor <sam.okafor@uni.example.ac.uk>", "Claire Dubois <claire@medsupply.example.com>",
        "Priya Raman <priya.raman@uni.example.edu>",
        "Tomás Ortega <tomas.ortega@mail.example.com>",
        "Tomás Ortega <tomas.ortega@mail.example.com>"])
    by_to = {m["To"].addresses[0].addr_spec: m for m in sent[:4]}
    ack = by_to["sam.okafor@uni.example.ac.uk"]
    assert ack["In-Reply-To"] == "<demo-guest-post@uni.example.ac.uk>"
    assert ack["Auto-Submitted"] == "auto-replied"
    # Unfolding may leave the space that followed "Subject:"; readers strip it.
    assert str(ack["Subject"]).strip().startswith(f"[{guest['reference']}]")
    text = ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "First rotation - final.docx" in text and "taken as manuscript" in text
    assert "did not arrive" in str(by_to["tomas.ortega@mail.example.com"]["Subject"])


def test_reingesting_creates_nothing_new(tmp_path: Path, make_config: Callable[..., Path],
                                        cli: Callable[..., CliResult]) -> None:
    config = make_config()
    inbox = _inbox(tmp_path, demo_messages())
    cli("--config", config, "ingest", inbox)
    again = cli("--config", config, "ingest", inbox)
    assert again.out.strip().startswith("fetched 6 · new 0")
    assert "already had 6" in again.out
    # Same Message-ID, different bytes (a resend through another server): still one.
    resent = {"resent.eml": b"Received: by relay.example\r\n"
              + demo_messages()["01-guest-post.eml"]}
    third = cli("--config", config, "ingest", _inbox(tmp_path, resent, "resent"))
    assert "new 0" in third.out and "already had 1" in third.out
    assert len(_queue(cli, config, "--status", "all")) == 5
    assert len(_sent(config)) == 5


def test_broken_documents_and_malformed_mail_are_quarantined_and_the_run_goes_on(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    good = article_docx("Fine article")
    messages = {
        "1-broken.eml": make_email("Ana <ana@uni.example>", "Guest post: broken",
                                   "Attached my guest post.",
                                   attachments=(("article.docx", DOCX, good[:3000]),)),
        "2-not-mail.eml": b"\x00\x01\x02 this is not an email at all",
        "3-good.eml": make_email("Ben <ben@uni.example>", "Guest post: fine",
                                 "Attached my guest post.",
                                 attachments=(("fine.docx", DOCX, good),)),
        "4-no-sender.eml": b"Subject: who am I\r\n\r\nA message with no From at all.\r\n",
    }
    config = make_config()
    result = cli("--config", config, "ingest", _inbox(tmp_path, messages))
    assert result.code == 1  # done, but a person must look
    assert "new 1" in result.out and "quarantined 3" in result.out
    quarantined = _queue(cli, config, "--status", "quarantined")
    reasons = sorted(str(r["reason"]) for r in quarantined)
    assert any("damaged or incomplete" in r for r in reasons)
    assert any("no headers" in r for r in reasons)
    assert any("no sender address" in r for r in reasons)
    # The broken Word file's author is told what to send instead; nobody else is.
    sent = _sent(config)
    assert sorted(m["To"].addresses[0].addr_spec for m in sent) == ["ana@uni.example",
                                                                     "ben@uni.example"]
    ana = next(m for m in sent if m["To"].addresses[0].addr_spec == "ana@uni.example")
    assert "could not open" in str(ana["Subject"])
    # Quarantined is what awaits editors too, so the default queue shows it.
    assert len(_queue(cli, config)) == 4
    # Nothing lost: every raw message is kept.
    assert len(list((config.parent / "var" / "raw").rglob("*.eml"))) == 4


def test_maildir_and_mbox_sources(tmp_path: Path, make_config: Callable[..., Path],
                                  cli: Callable[..., CliResult]) -> None:
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    mbox = mailbox.mbox(tmp_path / "archive.mbox", create=True)
    for i in range(2):
        maildir.add(make_email(f"m{i}@u.example", f"Question {i}", "Hello"))
        mbox.add(make_email(f"x{i}@u.example", f"Guest post {i}", "Hi",
                            attachments=(("a.docx", DOCX, cv_docx(f"N{i}")),)))
    maildir.close()
    mbox.close()
    config = make_config()
    result = cli("--config", config, "ingest", tmp_path / "Maildir", tmp_path / "archive.mbox")
    assert result.code == 0, result.err
    assert result.out.startswith("fetched 4 · new 4")
    assert cli("--config", config, "ingest", tmp_path / "nope").code == 2


def test_references_count_up_per_year_and_show_tells_the_story(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    config = make_config()
    cli("--config", config, "ingest", _inbox(tmp_path, demo_messages()))
    refs = [r["reference"] for r in _queue(cli, config, "--status", "all")]
    year = str(refs[0]).split("-")[1]
    assert sorted(refs) == [f"JPMS-{year}-000{i}" for i in range(1, 6)]
    shown = cli("--config", config, "show", f"jpms-{year}-0001")
    assert shown.code == 0
    for event in ("received", "classified", "drafted", "acknowledgement queued",
                  "email delivered"):
        assert f": {event}" in shown.out
    data = json.loads(cli("--config", config, "show", f"JPMS-{year}-0001", "--json").out)
    assert data["outbox"][0]["state"] == "sent"
    assert cli("--config", config, "show", "JPMS-1999-0001").code == 4  # no such submission
    assert cli("--config", config, "queue", "--status", "bogus").code == 2
    table = cli("--config", config, "queue").out
    assert table.splitlines()[0].split()[:3] == ["REFERENCE", "KIND", "STATUS"]


@pytest.mark.parametrize("subject", ["Guest post\x00\x07 with\x1b[31m controls",
                                     "=?utf-8?q?Guest_post=0D=0ABcc:_victim@evil.example?="])
def test_untrusted_subjects_cannot_inject_headers(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult],
        subject: str) -> None:
    config = make_config()
    raw = make_email("Ana <ana@uni.example>", "placeholder", "a guest post, attached",
                     attachments=(("a.docx", DOCX, article_docx("T", image=False)),))
    raw = raw.replace(b"Subject: placeholder", b"Subject: " + subject.encode("latin-1"))
    cli("--config", config, "ingest", _inbox(tmp_path, {"a.eml": raw}))
    (sent,) = (config.parent / "sent").glob("*.eml")
    data = sent.read_bytes()
    headers = data.split(b"\r\n\r\n", 1)[0]
    assert b"Bcc" not in headers and b"\x00" not in headers and b"\x1b" not in headers
    msg = email.message_from_bytes(data, policy=policy.default)
    assert msg["Bcc"] is None


def test_quiet_runs_print_only_when_a_person_must_look(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    config = make_config()
    calm = cli("-q", "--config", config, "ingest", _inbox(tmp_path, demo_messages()))
    assert calm.code == 0 and calm.out == "" and calm.err == ""
    bad = cli("--config", config, "-q", "ingest",
              _inbox(tmp_path, {"x.eml": b"not an email"}, "bad"))
    assert bad.code == 1 and bad.out == ""
    # One problem, one line: which submission, and why.
    assert bad.err.count("\n") == 1 and "quarantined: the message has no headers" in bad.err


def test_json_logs_are_one_object_per_line(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    config = make_config()
    inbox = _inbox(tmp_path, {**demo_messages(), "bad.eml": b"not an email"})
    result = cli("--log-format", "json", "--config", config, "ingest", inbox)
    entries = [json.loads(line) for line in result.err.splitlines()]
    assert {e["level"] for e in entries} == {"info", "warning"}
    assert any("quarantined" in e["message"] for e in entries if e["level"] == "warning")
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)


def _forward(inner: bytes, extra_file: bool = False) -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP

    outer = EmailMessage(policy=SMTP)
    outer["From"] = "Dr Editor <ed@journal.example.org>"
    outer["To"] = "submissions@journal.example.org"
    outer["Subject"] = "Fwd: sent to me directly"
    outer["Message-ID"] = "<fwd-1@journal.example.org>"
    outer.set_content("This came to my own address; over to the queue.")
    outer.add_attachment(email.message_from_bytes(inner, policy=SMTP))
    if extra_file:
        outer.add_attachment(b"notes", maintype="text", subtype="plain", filename="mine.txt")
    return outer.as_bytes()


def test_a_forwarded_submission_is_taken_as_the_one_it_contains(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    original = demo_messages()["01-guest-post.eml"]
    config = make_config()
    result = cli("--config", config, "ingest", _inbox(tmp_path, {"f.eml": _forward(original)}))
    assert result.code == 0, result.err
    (row,) = _queue(cli, config)
    assert row["author_email"] == "sam.okafor@uni.example.ac.uk"
    assert row["kind"] == "guest_post" and row["title"] == "Surviving your first clinical rotation"
    assert row["message_id"] == "<demo-guest-post@uni.example.ac.uk>"
    assert any("Forwarded by ed@journal.example.org" in w for w in row["warnings"])
    (ack,) = _sent(config)
    assert ack["To"].addresses[0].addr_spec == "sam.okafor@uni.example.ac.uk"
    assert ack["In-Reply-To"] == "<demo-guest-post@uni.example.ac.uk>"
    # The author also wrote to us directly: the same submission, not a second one.
    again = cli("--config", config, "ingest", _inbox(tmp_path, {"o.eml": original}, "direct"))
    assert "new 0" in again.out and "already had 1" in again.out


def test_a_forward_with_files_of_its_own_is_not_unwrapped(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    original = demo_messages()["02-sponsored.eml"]
    config = make_config()
    cli("--config", config, "ingest", _inbox(tmp_path, {"f.eml": _forward(original, True)}))
    (row,) = _queue(cli, config)
    assert row["author_email"] == "ed@journal.example.org"


def _tnef(files: list[tuple[str, bytes]]) -> bytes:
    """A minimal winmail.dat: TNEF signature, version, then each file's attributes."""
    import struct

    def attr(level: int, ident: int, data: bytes) -> bytes:
        return (struct.pack("<BII", level, ident, len(data)) + data
                + struct.pack("<H", sum(data) & 0xFFFF))

    out = struct.pack("<IH", 0x223E9F78, 0x0001) + attr(1, 0x00089006, b"\x00\x00\x01\x00")
    for name, data in files:
        out += attr(2, 0x00069002, b"\x01\x00\xff\xff\xff\xff" + b"\x00" * 8)
        out += attr(2, 0x00018010, name.encode() + b"\x00")
        out += attr(2, 0x0006800F, data)
    return out


def test_winmail_dat_is_unpacked_and_its_document_becomes_the_draft(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    article = article_docx("Outlook article", image=False)
    raw = make_email("Ana <ana@hospital.example>", "Guest post", "Please find attached my guest "
                     "post.", attachments=(("winmail.dat", "application/ms-tnef",
                                           _tnef([("Outlook article.docx", article)])),))
    config = make_config()
    assert cli("--config", config, "ingest", _inbox(tmp_path, {"w.eml": raw})).code == 0
    (row,) = _queue(cli, config)
    assert row["title"] == "Outlook article"
    folder = config.parent / "var" / row["draft_dir"]
    assert (folder / "original" / "winmail.dat").is_file()
    assert (folder / "original" / "Outlook article.docx").read_bytes() == article


def test_an_outlook_msg_is_read_as_the_email_it_holds(tmp_path: Path) -> None:
    """Sent on its own (saved from Outlook) or forwarded the Outlook way (attached as
    .msg): either is read as the message Outlook kept, headers and files included."""
    from intake.demo.samples import email as make_email
    from intake.mail.parse import parse_message

    data = (Path(__file__).parent / "data" / "outlook-newsletter.msg").read_bytes()
    alone = parse_message(data)
    assert alone.sender_email == "nueblingv@w-vwa.de"
    assert alone.message_id == "<20170918100018.6AE0948009C@www.w-vwa.de>"
    assert alone.subject.startswith("Newsletter Prüfung Personalwesen")
    assert "Sehr geehrte Frau Gaiser-Schönenborn" in alone.text
    assert len(alone.attachments) == 5
    forward = make_email("Ana <ana@uni.example>", "FW: the newsletter", "See below.",
                         attachments=(("newsletter.msg", "application/vnd.ms-outlook", data),))
    wrapped = parse_message(forward)
    assert wrapped.forwarded is not None
    inner = parse_message(wrapped.forwarded)
    assert inner.message_id == alone.message_id and len(inner.attachments) == 5
    # Not a message at all: refused with a reason, as before.
    from intake.mail.parse import ParseError

    with pytest.raises(ParseError, match=r"Outlook \.msg file that could not be read"):
        parse_message(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
