"""Raw bytes → ParsedMessage, with mail-parser; attachments decoded and sniffed."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.feedparser import BytesFeedParser
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from pathlib import Path
from typing import Any

import mailparser
import tnefparse

from intake.convert.htmldoc import html_to_text
from intake.core.expansion import Expansion
from intake.core.filenames import safe_filename, unique
from intake.core.models import Attachment, ParsedMessage
from intake.core.sniff import EXTENSIONS, sniff
from intake.mail.identity import fingerprint
from intake.mail.outlook import UnreadableMsg, is_msg, msg_to_eml, read_msg
from intake.mail.transfer import Irregular, decode_base64

# No controls: a Message-ID is echoed in our replies' In-Reply-To and References.
_MSGID = re.compile(r"<[^<>\s\x00-\x1f\x7f]+>")
# Decoding a header costs the square of its encoded words (email.header.decode_header,
# which mail-parser calls on every header), so no header value reaches a decoder longer
# than this: 16 KiB holds 16 lines of RFC 5322's 998 characters and any real header.
MAX_HEADER_CHARS = 16 * 1024
# Parts in one message, nested ones counted: a submission has a handful; thousands only
# cost memory and time.
MAX_PARTS = 500
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]+")


class ParseError(Exception):
    """The bytes cannot be read as an email; the reason is for an editor."""


_OLE = b"\xd0\xcf\x11\xe0"


def parse_message(data: bytes) -> ParsedMessage:
    if data.startswith(_OLE):
        # An Outlook .msg saved from Outlook (not an email as sent): the email it holds.
        if not is_msg(data):
            raise ParseError("this is an Outlook .msg file that could not be read: open it "
                             "in Outlook and forward it, or save it as .eml")
        try:
            data = read_msg(data)
        except UnreadableMsg as exc:
            raise ParseError(f"{exc}: open it in Outlook and forward it, or save it as "
                             ".eml") from None
    view = memoryview(data)
    return _parse(bytes(view[start:start + _FEED]) for start in range(0, len(view), _FEED))


def parse_message_file(path: Path) -> ParsedMessage:
    """parse_message() of a kept message, read from its file a piece at a time: a large
    message is never in memory whole beside what the parser makes of it."""
    with path.open("rb") as fh:
        if fh.read(len(_OLE)) == _OLE:
            return parse_message(path.read_bytes())
        fh.seek(0)
        return _parse(iter(lambda: fh.read(_FEED), b""))


def _parse(chunks: Iterator[bytes]) -> ParsedMessage:
    try:
        tree = _tree(chunks)
        parts = sum(1 for _ in tree.walk())
        if parts > MAX_PARTS:
            raise ParseError(f"the message has {parts:,} MIME parts, more than the "
                             f"{MAX_PARTS} intake reads in one message")
        _bound_headers(tree)
        identity = fingerprint(tree)
        forwarded = _forwarded(tree)
        mail = mailparser.MailParser(tree)
    except ParseError:
        raise
    except Exception as exc:  # mail-parser raises many kinds on broken input
        raise ParseError(f"the message could not be read as email ({type(exc).__name__}: "
                         f"{exc})") from exc
    message: Message | None = mail.message
    if message is None or len(message.keys()) == 0:
        raise ParseError("the message has no headers: it is not an email")
    headers = {k.lower(): _header_str(v) for k, v in reversed(message.items())}

    sender_name, sender_email = _first_address(mail.from_)
    reply_to = getattr(mail, "reply_to", None) or []
    reply_name, reply_email = _first_address(reply_to) if len(reply_to) == 1 else ("", "")
    if not sender_email:
        sender_name, sender_email = _first_address(reply_to)
    recipients = tuple(
        dict.fromkeys(
            addr.lower()
            for header in ("to", "cc", "delivered-to", "x-original-to")
            for _, addr in _addresses(mail, header)
            if addr
        )
    )
    attachments = _attachments(mail.attachments)
    files = [a for a in attachments if not a.inline]
    if forwarded is None and len(files) == 1 and is_msg(files[0].data):
        # A message forwarded the Outlook way: attached as .msg, read as the message.
        forwarded = msg_to_eml(files[0].data)
    text = "\n\n".join(t.strip("\r\n") for t in mail.text_plain).strip()
    html = "\n".join(mail.text_html)
    html_only = not text and bool(html.strip())
    if html_only:
        text = html_to_text(html)
    return ParsedMessage(
        sender_name=_clean(_header_str(sender_name)),  # an encoded word mail-parser left
        sender_email=sender_email.strip().lower(),
        recipients=recipients,
        subject=_clean(mail.subject or ""),
        date=_utc(mail.date),
        message_id=_msgid(headers.get("message-id", "")),
        in_reply_to=_msgid(headers.get("in-reply-to", "")),
        references=tuple(_MSGID.findall(headers.get("references", ""))),
        text=text,
        html=html,
        attachments=attachments,
        headers=headers,
        content_type=message.get_content_type(),
        defects=tuple(sorted(mail.defects_categories)),
        reply_to_name=_clean(_header_str(reply_name)),
        reply_to_email=reply_email.strip().lower(),
        fingerprint=identity,
        forwarded=forwarded,
        html_only=html_only,
    )


# Fed in pieces: the stdlib parser given a whole message first decodes it to one string
# and splits all of it into lines at once, 8x the message in memory; fed 64 KiB at a
# time it holds only the lines of the part being read.
_FEED = 64 * 1024


def _tree(chunks: Iterator[bytes]) -> Message:
    parser = BytesFeedParser(policy=compat32)
    for chunk in chunks:
        parser.feed(chunk)
    return parser.close()


def _forwarded(outer: Message) -> bytes | None:
    """The message inside, when this one only forwards a message as an attachment.

    "Only": one message/rfc822 part and no other attached file; the forwarder's own
    text beside it is a covering note. A report (bounce) is never unwrapped.
    """
    if not outer.is_multipart() or outer.get_content_type() == "multipart/report":
        return None
    inner: list[Message] = []
    for part in outer.walk():
        payload = part.get_payload()
        if part.get_content_type() == "message/rfc822" and isinstance(payload, list) and payload:
            inner.extend(m for m in payload[:1] if isinstance(m, Message))
    if len(inner) != 1:
        return None
    inside = {id(part) for part in inner[0].walk()}
    if any(not part.is_multipart() and part.get_filename() and id(part) not in inside
           for part in outer.walk()):
        return None  # files of the forwarder's own: this is not just a forward
    return inner[0].as_bytes(policy=compat32)


def _bound_headers(tree: Message) -> None:
    """Cut every header value of every part to MAX_HEADER_CHARS, in place and in order.
    References keeps its end: the newest message it names is the one a reply answers."""
    for part in tree.walk():
        items = part.items()
        if all(len(str(value)) <= MAX_HEADER_CHARS for _, value in items):
            continue
        for name in {name for name, _ in items}:
            del part[name]
        for name, value in items:
            text = str(value)
            if len(text) > MAX_HEADER_CHARS:
                text = (text[-MAX_HEADER_CHARS:] if name.lower() == "references"
                        else text[:MAX_HEADER_CHARS])
            part[name] = text


def _header_str(value: Any) -> str:
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:  # an undecodable encoded-word: keep it as written
        return str(value)


def _clean(value: str) -> str:
    """One line of display text: no control characters, white space folded."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def _msgid(value: str) -> str:
    found = _MSGID.search(value)
    return found.group(0) if found else "".join(_clean(value).split())[:250]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # mail-parser gives UTC
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _addresses(mail: Any, header: str) -> list[tuple[str, str]]:
    try:
        value = getattr(mail, header.replace("-", "_"))
    except Exception:
        return []
    return [(str(n), str(a)) for n, a in value] if isinstance(value, list) else []


def _first_address(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    for name, addr in pairs:
        if addr and "@" in addr:
            return str(name or ""), str(addr)
    return "", ""


TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"


def _unpack_tnef(data: bytes) -> list[tuple[str, bytes]]:
    """The files inside an Outlook winmail.dat; none when it cannot be read."""
    try:
        container = tnefparse.TNEF(data)
        budget = Expansion(len(data))
        found = []
        for att in container.attachments:
            if att.data:
                budget.take(len(att.data), "the winmail.dat")
                found.append((str(att.long_filename() or att.name or ""), bytes(att.data)))
        return found
    except Exception:  # damaged or crafted (TooMuch): it stays an attachment, as received
        return []


def _base64(payload: str) -> tuple[bytes, bool]:
    """The bytes a base64 payload holds, and whether it was damaged (cut short or
    garbled): then what is whole is decoded, never the encoded text taken for the file."""
    try:
        return decode_base64(payload), False
    except Irregular:
        pass
    try:
        return base64.b64decode(payload), False
    except (binascii.Error, ValueError):
        whole = _NOT_BASE64.sub("", payload)
        return base64.b64decode(whole[:len(whole) - len(whole) % 4]), True


def _attachments(items: list[dict[str, Any]]) -> tuple[Attachment, ...]:
    taken: set[str] = set()
    found: list[Attachment] = []
    for index, item in enumerate(items, start=1):
        payload = item.get("payload") or ""
        damaged = False
        if item.get("binary"):
            data, damaged = _base64(payload)
        else:
            data = payload.encode("utf-8", "surrogateescape")
        file_type = sniff(data)
        original = _clean(str(item.get("filename") or ""))
        fallback = f"attachment-{index}{EXTENSIONS.get(file_type, '.bin')}"
        name = unique(safe_filename(item.get("safe_filename") or original, fallback), taken)
        disposition = str(item.get("content-disposition") or "").lower()
        found.append(
            Attachment(
                filename=name,
                original_name=original or name,
                declared_type=str(item.get("mail_content_type") or "application/octet-stream"),
                file_type=file_type,
                data=data,
                inline=disposition.startswith("inline"),
                content_id=str(item.get("content-id") or "").strip("<>"),
                damaged=damaged,
            )
        )
        if data.startswith(TNEF_SIGNATURE):
            for inner_name, inner in _unpack_tnef(data):
                inner_type = sniff(inner)
                fallback = f"winmail-{len(found)}{EXTENSIONS.get(inner_type, '.bin')}"
                found.append(Attachment(
                    filename=unique(safe_filename(inner_name, fallback), taken),
                    original_name=_clean(inner_name) or fallback,
                    declared_type="application/ms-tnef", file_type=inner_type, data=inner))
    return tuple(found)
