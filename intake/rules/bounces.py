"""What a bounce is about: the Message-IDs of the mail that failed, and why it failed.

Standard delivery reports (RFC 3464) carry the failed message, or its headers, in a
message/rfc822 or text/rfc822-headers part and the reason in message/delivery-status.
Servers that send plain-text bounces (qmail, some Exim and Exchange set-ups) quote
the original headers in the text, so the text is searched too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

_QUOTED_ID = re.compile(r"^\s*>?\s*Message-ID:\s*(<[^<>\s]{1,250}>)", re.IGNORECASE | re.MULTILINE)
_MAX_PARTS = 200


@dataclass(frozen=True)
class Bounce:
    message_ids: tuple[str, ...]  # of the mail that could not be delivered
    recipient: str
    diagnostic: str  # the server's words, for the editor
    delayed: bool = False  # only a delay ("Action: delayed", 4.x.x): still being retried


def read_bounce(data: bytes) -> Bounce:
    top = message_from_bytes(data, policy=compat32)
    own_id = str(top.get("Message-ID", "")).strip()
    ids: list[str] = []
    recipient, diagnostic = "", ""
    actions: list[str] = []
    for index, part in enumerate(top.walk()):
        if index > _MAX_PARTS:
            break
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            recipient, diagnostic = _status(part) or (recipient, diagnostic)
            actions.extend(_actions(part))
        elif ctype == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message) and inner.get("Message-ID"):
                ids.append(str(inner["Message-ID"]).strip())
        elif ctype == "text/rfc822-headers":
            text = _text(part)
            headers = HeaderParser(policy=compat32).parsestr(text, headersonly=True)
            if headers.get("Message-ID"):
                ids.append(str(headers["Message-ID"]).strip())
        elif ctype == "text/plain":
            ids.extend(_QUOTED_ID.findall(_text(part)[:200_000]))
            if not diagnostic:
                diagnostic = _first_reason(_text(part))
    if not ids:
        # A report whose MIME structure is broken (no boundary, a missing start line):
        # the failed message's headers are still somewhere in the text.
        body = data.partition(b"\r\n\r\n" if b"\r\n\r\n" in data else b"\n\n")[2]
        ids.extend(_QUOTED_ID.findall(body[:1_000_000].decode("utf-8", "replace")))
    in_reply_to = str(top.get("In-Reply-To", "")).strip()
    if in_reply_to:
        ids.append(in_reply_to)
    found = tuple(dict.fromkeys(i for i in ids if i and i != own_id))
    # A failure is a bounce; a report whose every recipient is only delayed (or was
    # delivered, relayed) is a note: the mail may still arrive.
    delayed = "delayed" in actions and "failed" not in actions
    return Bounce(found, recipient, diagnostic or "the server gave no reason", delayed)


def _actions(part: Message) -> list[str]:
    payload = part.get_payload()
    groups = payload if isinstance(payload, list) else []
    found = []
    for group in groups:
        if isinstance(group, Message) and group.get("Action"):
            action = str(group.get("Action", "")).strip().lower()
            status = str(group.get("Status", "")).strip()
            found.append("delayed" if action == "delayed" or (
                action not in ("failed", "delivered", "relayed", "expanded")
                and status.startswith("4.")) else action)
    return found


def _status(part: Message) -> tuple[str, str] | None:
    payload = part.get_payload()
    groups = payload if isinstance(payload, list) else []
    for group in groups[1:] or groups:  # the first group is about the reporting server
        if not isinstance(group, Message):
            continue
        recipient = str(group.get("Final-Recipient") or group.get("Original-Recipient") or "")
        recipient = recipient.partition(";")[2].strip() or recipient.strip()
        reason = " ".join(str(group.get("Diagnostic-Code", "")).split())
        status = str(group.get("Status", "")).strip()
        action = str(group.get("Action", "")).strip()
        words = "; ".join(w for w in (action, status, reason.partition(";")[2].strip()
                                      or reason) if w)
        if recipient or words:
            return recipient, words[:500]
    return None


def _text(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return raw.decode(part.get_content_charset() or "utf-8", errors="replace")
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""


def _first_reason(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if re.match(r"^(\d{3}[ -]|\d\.\d\.\d|.*(does not exist|unknown user|user unknown|"
                    r"mailbox (is )?(full|unavailable)|no such user|rejected))", line, re.I):
            return line[:300]
    return ""
