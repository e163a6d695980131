"""A submission's correspondence in order: every message received (its own words, the
quoted earlier ones folded away) and every email sent, with its state. Values only;
the desk shows them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

from intake.core.models import MessageState
from intake.ledger import Ledger, StoredMessage, Submission
from intake.mail.parse import ParseError, parse_message

# Where the quoted part of a reply starts: "> …", or a client's attribution line.
_QUOTE_START = re.compile(
    r"^(>|On .{0,200} wrote:\s*$|Le .{0,200} a écrit\s*:\s*$|El .{0,200} escribió:\s*$|"
    r"Am .{0,200} schrieb .{0,200}:\s*$|Em .{0,200} escreveu:\s*$|-{2,}\s*Original Message|"
    r"-{2,}\s*Forwarded message|From: .{0,200}$)", re.M)
_MAX_CHARS = 20_000  # of one message's text on the page; the raw message has it all
_READ_AGAIN_BYTES = 256 * 1024


@dataclass(frozen=True)
class Entry:
    at: str
    direction: str  # "received" or "sent"
    who: str
    subject: str
    text: str  # its own words
    quoted: str  # the earlier messages it quotes, folded on the page
    state: str = ""  # sent: pending, sent, failed, bounced


def thread(data_dir: Path, ledger: Ledger, sub: Submission) -> list[Entry]:
    entries: list[Entry] = []
    for stored in ledger.messages_of(sub.id):
        if stored.state is MessageState.DUPLICATE:
            continue
        kept = ledger.shown_message(stored.id) or _read_again(data_dir, stored)
        if kept is None:
            entries.append(Entry(stored.fetched_at, "received", "", "",
                                 "(this message was kept before intake stored its text for "
                                 "the desk, and is too large to read again here: intake show "
                                 f"{sub.reference} names its raw file)", ""))
            continue
        own, quoted = split_quoted(kept["text"])
        entries.append(Entry(stored.fetched_at, "received", kept["who"], kept["subject"],
                             own, quoted))
    for item in ledger.outbox_of(sub.id):
        text = ""
        if item.body:
            email = message_from_bytes(item.body, policy=policy.default)
            part = email.get_body(("plain",))
            text = str(part.get_content()) if part is not None else ""
        own, quoted = split_quoted(text)
        entries.append(Entry(item.sent_at or item.created_at, "sent", item.recipient,
                             item.subject, own or "(the body was purged)", quoted,
                             item.state))
    return sorted(entries, key=lambda e: e.at)


def _read_again(data_dir: Path, stored: StoredMessage) -> dict[str, str] | None:
    """A message processed before its text was kept: read again only when it is small
    and plain (no Outlook container), so that a page view costs little whatever it is."""
    if stored.size > _READ_AGAIN_BYTES:
        return None
    try:
        data = (data_dir / stored.raw_path).read_bytes()
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            return None
        msg = parse_message(data)
    except (OSError, ParseError):
        return {"who": "", "subject": "", "text": "(this message could not be read again)"}
    who = f"{msg.sender_name} <{msg.sender_email}>" if msg.sender_name else msg.sender_email
    return {"who": who, "subject": msg.subject, "text": msg.text}


def split_quoted(text: str) -> tuple[str, str]:
    """(its own words, what it quotes), each cut to what a page shows."""
    text = text.replace("\r\n", "\n")
    found = _QUOTE_START.search(text)
    own, quoted = (text[:found.start()], text[found.start():]) if found else (text, "")
    return own.strip()[:_MAX_CHARS], quoted.strip()[:_MAX_CHARS]
