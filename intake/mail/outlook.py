"""An Outlook .msg file (an OLE compound file of MAPI properties) as the email it holds.

Outlook users forward a message by attaching it as .msg, and some send the .msg itself;
both are read as the RFC 5322 message Outlook saved: its transport headers when they
were kept (From, Date, Message-ID as sent), else the MAPI properties, its plain or
HTML body, and its attached files. olefile (BSD) reads the container; what a property
means follows Microsoft's [MS-OXMSG] and [MS-OXPROPS]. A stranger wrote the file: sizes
are bounded by the message limit upstream, every text is decoded with replacement, and
anything unreadable gives None (the file then stays an ordinary attachment).
"""

from __future__ import annotations

import contextlib
import io
import re
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP, compat32
from email.utils import format_datetime

import olefile

from intake.core.expansion import Expansion, TooMuch, ole_claims_fit

_MAX_ATTACHMENTS = 100
_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# (MAPI property tag, type) for the fields a message needs.
_SUBJECT, _BODY, _HTML, _HEADERS = "0037", "1000", "1013", "007D"
_SENDER_NAME, _SENDER_EMAIL, _SENDER_SMTP = "0C1A", "0C1F", "5D01"
_DISPLAY_TO, _DISPLAY_CC, _MESSAGE_ID = "0E04", "0E03", "1035"
_LONG_NAME, _SHORT_NAME, _DATA, _MIME = "3707", "3704", "3701", "370E"


def is_msg(data: bytes) -> bool:
    """An OLE compound file with the streams Outlook writes for a message."""
    return data.startswith(b"\xd0\xcf\x11\xe0") and b"_\x00_\x00s\x00u\x00b\x00s\x00t\x00g" \
        in data[:1 << 20]


class UnreadableMsg(ValueError):
    """A .msg that cannot be read, with the reason for an editor."""


def msg_to_eml(data: bytes) -> bytes | None:
    """The email an Outlook .msg holds, as RFC 5322 bytes; None when it cannot be read."""
    try:
        return read_msg(data)
    except UnreadableMsg:
        return None


def read_msg(data: bytes) -> bytes:
    """The email an Outlook .msg holds; UnreadableMsg says why not.

    The header's claims are checked against the file before olefile reads it, and every
    stream read is counted against a bound in proportion to the file (core.expansion):
    streams shared by many entries are counted each time."""
    problem = ole_claims_fit(data)
    if problem:
        raise UnreadableMsg(f"the Outlook file is damaged or crafted: {problem}")
    budget = Expansion(len(data))
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            found = _message(ole, budget)
    except TooMuch as exc:
        raise UnreadableMsg(f"the Outlook file {exc}") from None
    except Exception as exc:  # olefile raises many kinds on damaged containers
        raise UnreadableMsg(f"the Outlook file could not be read ({type(exc).__name__})"
                            ) from None
    if found is None:
        raise UnreadableMsg("the Outlook file holds no message")
    return found


def _stream(ole: olefile.OleFileIO, path: str, budget: Expansion) -> bytes | None:
    if not ole.exists(path):
        return None
    budget.take(ole.get_size(path), "the Outlook file")
    with ole.openstream(path) as stream:
        return bytes(stream.read())


def _text(ole: olefile.OleFileIO, folder: str, tag: str, budget: Expansion) -> str:
    """A string property: UTF-16 (type 001F) or the message's 8-bit code page (001E)."""
    raw = _stream(ole, f"{folder}__substg1.0_{tag}001F", budget)
    if raw is not None:
        return raw.decode("utf-16-le", "replace").rstrip("\x00")
    raw = _stream(ole, f"{folder}__substg1.0_{tag}001E", budget)
    return raw.decode("cp1252", "replace").rstrip("\x00") if raw is not None else ""


def _one_line(value: str) -> str:
    return " ".join(_HEADER.sub(" ", value).split())[:998]


def _message(ole: olefile.OleFileIO, budget: Expansion) -> bytes | None:
    if not any(e[0].startswith("__substg1.0_") for e in ole.listdir()):
        return None
    msg = EmailMessage(policy=SMTP)
    kept = _text(ole, "", _HEADERS, budget)
    original = BytesHeaderParser(policy=compat32).parsebytes(
        kept.encode("utf-8", "replace")) if kept else None
    for name in ("From", "To", "Cc", "Date", "Message-ID", "Reply-To", "In-Reply-To",
                 "References"):
        value = original.get(name) if original is not None else None
        if value:
            with contextlib.suppress(ValueError, TypeError):
                msg[name] = _one_line(str(value))
    if "From" not in msg:
        address = (_text(ole, "", _SENDER_SMTP, budget)
                   or _text(ole, "", _SENDER_EMAIL, budget))
        name = _text(ole, "", _SENDER_NAME, budget)
        if "@" in address:
            with contextlib.suppress(ValueError, TypeError):
                msg["From"] = _one_line(f"{name} <{address}>" if name else address)
    shown_to = _text(ole, "", _DISPLAY_TO, budget) if "To" not in msg else ""
    if shown_to:
        with contextlib.suppress(ValueError, TypeError):
            msg["To"] = _one_line(shown_to)
    sent_id = _text(ole, "", _MESSAGE_ID, budget) if "Message-ID" not in msg else ""
    if sent_id:
        msg["Message-ID"] = _one_line(sent_id)
    if "Date" not in msg:
        modified = ole.root.getmtime() if ole.root is not None else None
        if modified is not None:
            msg["Date"] = format_datetime(modified)
    msg["Subject"] = _one_line(_text(ole, "", _SUBJECT, budget))
    body = _text(ole, "", _BODY, budget)
    html = _stream(ole, f"__substg1.0_{_HTML}0102", budget)
    if body:
        msg.set_content(body)
    elif html:
        msg.set_content(html.decode("utf-8", "replace"), subtype="html")
    else:
        msg.set_content("")
    folders = sorted({e[0] for e in ole.listdir() if e[0].startswith("__attach_version1.0_")})
    for folder in folders[:_MAX_ATTACHMENTS]:
        prefix = folder + "/"
        data = _stream(ole, f"{prefix}__substg1.0_{_DATA}0102", budget)
        if data is None:
            continue  # an embedded message or an OLE object: not a file to keep here
        name = (_text(ole, prefix, _LONG_NAME, budget)
                or _text(ole, prefix, _SHORT_NAME, budget)
                or "attachment")
        mime = _text(ole, prefix, _MIME, budget) or "application/octet-stream"
        maintype, _, subtype = mime.partition("/")
        if not subtype or any(c in mime for c in "\r\n;"):
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(data, maintype=maintype, subtype=subtype,
                           filename=_one_line(name))
    return msg.as_bytes()
