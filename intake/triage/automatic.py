"""Recognise mail no person wrote: bounces, auto-replies, lists, no-reply senders, our own.

Each rule is a small named check; the first that fires gives the reason, which is
kept in the ledger so an editor can see why a message was not answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from intake.models import ParsedMessage

LOOP_HEADER = "X-Intake-Loop"

_AUTOMATIC_LOCALPARTS = re.compile(
    r"^(mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|"
    r"notifications?|auto[-_.]?reply)([+-].*)?$",
    re.IGNORECASE,
)
_AUTOREPLY_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|auto:|autoreply|"
    r"undeliverable|undelivered mail|delivery status notification|mail delivery failed|"
    r"returned mail|delivery failure|failure notice)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[[ParsedMessage, frozenset[str]], str | None]


def _auto_submitted(msg: ParsedMessage, _: frozenset[str]) -> str | None:
    value = msg.headers.get("auto-submitted", "").strip().lower()
    if value and not value.startswith("no"):
        return f"Auto-Submitted: {value}"
    return None


def _precedence(msg: ParsedMessage, _: frozenset[str]) -> str | None:
    value = msg.headers.get("precedence", "").strip().lower()
    if value in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {value}"
    return None


def _mailing_list(msg: ParsedMessage, _: frozenset[str]) -> str | None:
    for header in ("list-id", "list-unsubscribe", "list-post"):
        if header in msg.headers:
            return f"mailing list ({header} header)"
    return None


def _empty_return_path(msg: ParsedMessage, _: frozenset[str]) -> str | None:
    if "return-path" in msg.headers and msg.headers["return-path"].strip() in {"<>", ""}:
        return "empty Return-Path (a bounce or automatic notice)"
    return None


def _autoreply_headers(msg: ParsedMessage, _: frozenset[str]) -> str | None:
    for header in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if header in msg.headers:
            return f"auto-reply ({header} header)"
    return None


def _delivery_report(msg: ParsedMessage, _: frozenset[str]) -> str | None:
    if msg.content_type == "multipart/report":
        return "delivery report (multipart/report)"
    return None


def _automatic_sender(msg: ParsedMessage, _: frozenset[str]) -> str | None:
    local = msg.sender_email.partition("@")[0]
    if local and _AUTOMATIC_LOCALPARTS.match(local):
        return f"automatic sender {msg.sender_email}"
    return None


def _our_own(msg: ParsedMessage, own: frozenset[str]) -> str | None:
    if LOOP_HEADER.lower() in msg.headers:
        return "one of intake's own messages came back"
    if msg.sender_email and msg.sender_email in own:
        return f"sent from intake's own address {msg.sender_email}"
    return None


def _autoreply_subject(msg: ParsedMessage, _: frozenset[str]) -> str | None:
    if _AUTOREPLY_SUBJECT.match(msg.subject):
        return f"auto-reply subject {msg.subject[:60]!r}"
    return None


RULES: tuple[Rule, ...] = (
    Rule("our-own", _our_own),
    Rule("auto-submitted", _auto_submitted),
    Rule("delivery-report", _delivery_report),
    Rule("empty-return-path", _empty_return_path),
    Rule("precedence", _precedence),
    Rule("mailing-list", _mailing_list),
    Rule("autoreply-headers", _autoreply_headers),
    Rule("automatic-sender", _automatic_sender),
    Rule("autoreply-subject", _autoreply_subject),
)


def automatic_reason(msg: ParsedMessage, own_addresses: frozenset[str]) -> str | None:
    """Why this message is automatic mail, or None when a person seems to have sent it."""
    for rule in RULES:
        reason = rule.check(msg, own_addresses)
        if reason:
            return reason
    return None
