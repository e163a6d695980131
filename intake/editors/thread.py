"""A submission's correspondence in order: every message received (its own words, the
quoted earlier ones folded away) and every email sent, with its state. Values only;
the desk shows them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

from intake.core.models import MessageState
from intake.ledger import Ledger, Submission
from intake.mail.parse import ParseError, parse_message

# Where the quoted part of a reply starts: "> …", or a client's attribution line.
_QUOTE_START = re.compile(
    r"^(>|On .{0,200} wrote:\s*$|Le .{0,200} a écrit\s*:\s*$|El .{0,200} escribió:\s*$|"
    r"Am .{0,200} schrieb .{0,200}:\s*$|Em .{0,200} escreveu:\s*$|-{2,}\s*Original Message|"
    r"-{2,}\s*Forwarded message|From: .{0,200}$)", re.M)
_MAX_CHARS = 20_000  # of one message's text on the page; the raw message has it all


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
        try:
            msg = parse_message((data_dir / stored.raw_path).read_bytes())
        except (OSError, ParseError):
            entries.append(Entry(stored.fetched_at, "received", "", "",
                                 "(this message could not be read again)", ""))
            continue
        own, quoted = split_quoted(msg.text)
        who = f"{msg.sender_name} <{msg.sender_email}>" if msg.sender_name else \
            msg.sender_email
        entries.append(Entry(stored.fetched_at, "received", who, msg.subject, own, quoted))
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


def split_quoted(text: str) -> tuple[str, str]:
    """(its own words, what it quotes), each cut to what a page shows."""
    text = text.replace("\r\n", "\n")
    found = _QUOTE_START.search(text)
    own, quoted = (text[:found.start()], text[found.start():]) if found else (text, "")
    return own.strip()[:_MAX_CHARS], quoted.strip()[:_MAX_CHARS]
