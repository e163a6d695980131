"""What makes two deliveries the same message: what its sender wrote, not one header.

A message that reaches us twice (two MX hops, a list that re-delivers, a server that
re-encodes 8-bit text as quoted-printable) differs in the trace headers each hop adds
(Received, Return-Path, Delivered-To, Authentication-Results, ARC-*, X-…) and maybe in
its transfer encoding, never in what its author wrote: the origin headers and the
decoded content of each part. A Message-ID alone proves nothing: anyone can write any
Message-ID, so a different message that reuses one must still be taken as itself.
"""

from __future__ import annotations

import hashlib
from email.message import Message

from intake.mail.transfer import Irregular, decode_base64

# What the author's client wrote; hops add headers but never change these.
_ORIGIN = ("from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id",
           "in-reply-to", "references")


def fingerprint(tree: Message) -> str:
    """A sha256 of the origin headers (white space folded) and of each part's type, file
    name and decoded bytes: the same for every delivery of one message."""
    digest = hashlib.sha256()
    for name in _ORIGIN:
        for value in tree.get_all(name, []):
            digest.update(f"{name}:{' '.join(str(value).split())}\n".encode(
                "utf-8", "surrogateescape"))
    for part in tree.walk():
        if part.is_multipart():
            continue
        payload = _decoded(part)
        body = payload if isinstance(payload, bytes) else str(part.get_payload()).encode(
            "utf-8", "surrogateescape")
        if part.get_content_maintype() == "text":  # line ends are the transport's
            body = body.replace(b"\r\n", b"\n").rstrip()
        filename = part.get_filename() or ""
        digest.update(f"\0{part.get_content_type()}\0{filename}\0".encode(
            "utf-8", "surrogateescape"))
        digest.update(hashlib.sha256(body).digest())
    return digest.hexdigest()


def _decoded(part: Message) -> bytes | None:
    """The part's decoded bytes, as get_payload(decode=True) gives them; a well-formed
    base64 body is decoded a slice at a time (the stdlib holds four copies of it)."""
    payload = part.get_payload()
    if (isinstance(payload, str) and payload.isascii()
            and str(part.get("content-transfer-encoding", "")).strip().lower() == "base64"):
        try:
            return decode_base64(payload)
        except Irregular:
            pass
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else None
