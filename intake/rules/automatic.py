"""Recognise mail no person wrote: bounces, auto-replies, lists, no-reply senders, our own.

Each rule is a small named check; the first that fires gives the category and the
reason, which is kept in the ledger so an editor can see why a message was not
answered. Role addresses (info@, support@) are a milder case: a person may have
written, so the message is drafted, but it is not answered automatically, because
such addresses are often ticket systems that answer back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from intake.core.models import ParsedMessage

LOOP_HEADER = "X-Intake-Loop"


class Category(StrEnum):
    OUR_OWN = "our own"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto-reply"
    BULK = "list or newsletter"
    AUTOMATIC_SENDER = "automatic sender"


@dataclass(frozen=True)
class Automatic:
    category: Category
    reason: str


_AUTOMATIC_LOCALPARTS = re.compile(
    r"^(mailer-daemon|mailerdaemon|postmaster|mail-?delivery|mailer|daemon|no[-_.]?reply|"
    r"do[-_.]?not[-_.]?reply|dont[-_.]?reply|bounces?|notifications?|notify|alerts?|"
    r"newsletters?|digest|listserv|majordomo|auto[-_.]?reply|auto[-_.]?responder|"
    r"owner-.+|.+-(request|bounces|owner))([+].*)?$",
    re.IGNORECASE,
)
_ROLE_LOCALPARTS = re.compile(
    r"^(info|contact|admin|administrator|office|support|help|helpdesk|service|sales|"
    r"marketing|hello|team|enquiries|inquiries|billing|accounts|webmaster|hostmaster|abuse|"
    r"security|press|media|careers|jobs|hr|reception)([+].*)?$",
    re.IGNORECASE,
)
# Role addresses that are usually a help desk's queue, which answers whatever it gets.
_TICKET_LOCALPARTS = re.compile(
    r"^(support|help|helpdesk|service|servicedesk|customerservice|customer-service|"
    r"tickets?|billing|accounts|abuse|security|webmaster|hostmaster|admin|administrator)"
    r"([+].*)?$", re.IGNORECASE)
# What a ticket system's mail carries: its own headers, or its wording.
_TICKET_HEADERS = ("x-ticket-id", "x-zendesk-from-account-id", "x-freshdesk-ticket-id",
                   "x-helpscout-conversation-id", "x-otrs-loop", "x-rt-ticket",
                   "rt-ticket", "x-request-tracker", "x-servicedesk", "x-jira-fingerprint")
_TICKET_WORDS = re.compile(
    r"\b(ticket|case|request|incident)\s?(#|no\.?|number)\s?:?\s?\d{2,}|"
    r"type your reply above this line|do not (reply|write) below this line|"
    r"your (request|ticket|case) (has been|was) (received|created|logged|opened)",
    re.IGNORECASE)
# Senders that send on a person's behalf and name that person in Reply-To: web forms
# (WordPress sends as wordpress@ unless told otherwise), no-reply relays. Not the
# senders of delivery failures (mailer-daemon, postmaster, bounces).
_RELAY_LOCALPARTS = re.compile(
    r"^(([a-z0-9]+[-_.])*(no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply)"
    r"([-_.][a-z0-9]+)*|notifications?|notify|"
    r"wordpress|wp|forms?|web[-_.]?forms?|formmail|form[-_.]?submissions?|www[-_.]?data|"
    r"nobody|website|web)([+].*)?$",
    re.IGNORECASE,
)
# Subjects servers give delivery failures, in the languages our authors' servers speak.
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|undelivered message|delivery status notification|"
    r"mail delivery (failed|failure|system)|returned mail|delivery failure|failure notice|"
    r"delivery has failed|message not delivered|could not be delivered|"
    r"delivery notification|delayed mail|warning: could not send|mail system error|"
    r"non remis|non distribuable|unzustellbar|nicht zustellbar|no se puede entregar|"
    r"no entregado|não entregue|não foi possível entregar|non recapitabile|"
    r"impossibile recapitare|onbestelbaar|niet bezorgd)",
    re.IGNORECASE,
)
# Out-of-office subjects in English, French, German, Spanish, Portuguese, Italian, Dutch.
_AUTOREPLY_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|auto:|autoreply|"
    r"auto[- ]?response|automatic response|away from (the )?office|on (annual )?leave|"
    r"absence du bureau|absent du bureau|absente du bureau|hors du bureau|"
    r"r[ée]ponse automatique|message d'absence|en cong[ée]s?\b|"
    r"abwesenheitsnotiz|abwesenheit|automatische antwort|au(ß|ss)er haus|nicht im b[üu]ro|"
    r"respuesta autom[áa]tica|fuera de (la )?oficina|ausente de la oficina|"
    r"resposta autom[áa]tica|fora do escrit[óo]rio|aus[êe]ncia tempor[áa]ria|"
    r"aus[êe]ncia|de f[ée]rias|em f[ée]rias|"
    r"risposta automatica|fuori (ufficio|sede)|assente dall'ufficio|"
    r"automatisch antwoord|afwezig(heid)?|niet aanwezig|buiten kantoor)",
    re.IGNORECASE,
)
# Opening words of plain-text bounces from servers that send no multipart/report.
_BOUNCE_BODY = re.compile(
    r"(this is the mail system at host|i'm afraid i wasn't able to deliver|"
    r"this message was created automatically by mail delivery software|"
    r"delivery to the following recipients? failed|delivery has failed to these recipients|"
    r"your message (to .{1,200} )?couldn't be delivered|"
    r"the following message to <[^>]+> was undeliverable|"
    r"could not be delivered to one or more recipients)",
    re.IGNORECASE,
)
_BULK_HEADERS = ("list-id", "list-unsubscribe", "list-post", "feedback-id", "x-campaign",
                 "x-campaignid", "x-mailchimp-campaign", "x-mc-user", "x-newsletter")
_AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated",
                      "x-auto-reply", "x-mail-autoreply", "x-autoreply-from",
                      "x-ms-exchange-generated-message-source")
_BOUNCE_HEADERS = ("x-failed-recipients", "x-ms-exchange-message-is-ndr")

Check = Callable[[ParsedMessage, frozenset[str]], Automatic | None]


def _our_own(msg: ParsedMessage, own: frozenset[str]) -> Automatic | None:
    if LOOP_HEADER.lower() in msg.headers:
        return Automatic(Category.OUR_OWN, "one of intake's own messages came back")
    if msg.sender_email and msg.sender_email in own:
        return Automatic(Category.OUR_OWN, f"sent from intake's own address {msg.sender_email}")
    return None


def _delivery_report(msg: ParsedMessage, _: frozenset[str]) -> Automatic | None:
    if msg.content_type == "multipart/report":
        return Automatic(Category.BOUNCE, "delivery report (multipart/report)")
    for header in _BOUNCE_HEADERS:
        if header in msg.headers:
            return Automatic(Category.BOUNCE, f"delivery report ({header} header)")
    return None


def _auto_submitted(msg: ParsedMessage, _: frozenset[str]) -> Automatic | None:
    value = msg.headers.get("auto-submitted", "").strip().lower()
    if value and not value.startswith("no"):
        return Automatic(_bounce_or(msg, Category.AUTO_REPLY), f"Auto-Submitted: {value}")
    return None


def _empty_return_path(msg: ParsedMessage, _: frozenset[str]) -> Automatic | None:
    # Not a verdict on its own: a person's manuscript can arrive so (a UTF-8 envelope
    # sender stored that way); then it is drafted, and never answered (no_answer).
    if _null_sender(msg) and not _carries_document(msg):
        return Automatic(_bounce_or(msg, Category.AUTO_REPLY),
                         "empty Return-Path (a bounce or automatic notice)")
    return None


def _null_sender(msg: ParsedMessage) -> bool:
    return "return-path" in msg.headers and msg.headers["return-path"].strip() in {"<>", ""}


def _carries_document(msg: ParsedMessage) -> bool:
    return msg.content_type != "multipart/report" and any(
        a.file_type.is_document and not a.inline for a in msg.attachments)


def _autoreply_headers(msg: ParsedMessage, _: frozenset[str]) -> Automatic | None:
    for header in _AUTOREPLY_HEADERS:
        if header in msg.headers:
            return Automatic(Category.AUTO_REPLY, f"auto-reply ({header} header)")
    return None


def _precedence(msg: ParsedMessage, _: frozenset[str]) -> Automatic | None:
    value = msg.headers.get("precedence", "").strip().lower()
    if value == "auto_reply":
        return Automatic(Category.AUTO_REPLY, "Precedence: auto_reply")
    if value in {"bulk", "junk", "list"}:
        return Automatic(Category.BULK, f"Precedence: {value}")
    return None


def _bulk(msg: ParsedMessage, _: frozenset[str]) -> Automatic | None:
    for header in _BULK_HEADERS:
        if header in msg.headers:
            return Automatic(Category.BULK, f"mailing list or newsletter ({header} header)")
    return None


def _automatic_sender(msg: ParsedMessage, _: frozenset[str]) -> Automatic | None:
    local = msg.sender_email.partition("@")[0]
    if local and _AUTOMATIC_LOCALPARTS.match(local):
        return Automatic(_bounce_or(msg, Category.AUTOMATIC_SENDER),
                         f"automatic sender {msg.sender_email}")
    return None


def _says_bounce(msg: ParsedMessage) -> bool:
    """A delivery failure says so in its subject or the opening of its text."""
    return bool(_BOUNCE_SUBJECT.match(msg.subject) or _BOUNCE_BODY.search(msg.text[:3000]))


def _subject(msg: ParsedMessage, _: frozenset[str]) -> Automatic | None:
    if _BOUNCE_SUBJECT.match(msg.subject):
        return Automatic(Category.BOUNCE, f"delivery failure subject {msg.subject[:60]!r}")
    # A real submission may be titled "Out of office hours..."; an auto-reply carries no
    # document, so the subject alone decides only for messages without one.
    if _AUTOREPLY_SUBJECT.match(msg.subject) and not any(
            a.file_type.is_document and not a.inline for a in msg.attachments):
        return Automatic(Category.AUTO_REPLY, f"auto-reply subject {msg.subject[:60]!r}")
    return None


def _bounce_text(msg: ParsedMessage, _: frozenset[str]) -> Automatic | None:
    if _BOUNCE_BODY.search(msg.text[:3000]):
        return Automatic(Category.BOUNCE, "delivery failure notice (text of the message)")
    return None


def _bounce_or(msg: ParsedMessage, other: Category) -> Category:
    return Category.BOUNCE if _says_bounce(msg) else other


# In order: the first that fires names the category and the reason.
RULES: tuple[Check, ...] = (
    _our_own, _delivery_report, _auto_submitted, _empty_return_path, _autoreply_headers,
    _precedence, _bulk, _automatic_sender, _subject, _bounce_text,
)


def detect(msg: ParsedMessage, own_addresses: frozenset[str]) -> Automatic | None:
    """What kind of automatic mail this is, or None when a person seems to have sent it."""
    for check in RULES:
        found = check(msg, own_addresses)
        if found:
            return found
    return None


def role_sender(msg: ParsedMessage) -> str | None:
    """Why the sender should not get an automatic answer though a person may have written."""
    if _null_sender(msg):
        return ("the message came with an empty Return-Path, as automatic mail does: an "
                "automatic answer could loop or bounce, so none was sent; an editor may "
                "reply by hand")
    # Companies write from marketing@, info@, partnerships@: they are answered, unless
    # the address or the message is a help desk's, which would answer back (the loop
    # protections stop a conversation between robots in any case).
    local = msg.sender_email.partition("@")[0]
    if local and _ROLE_LOCALPARTS.match(local) and (
            _TICKET_LOCALPARTS.match(local)
            or any(h in msg.headers for h in _TICKET_HEADERS)
            or _TICKET_WORDS.search(f"{msg.subject}\n{msg.text[:5000]}")):
        return (f"{msg.sender_email} looks like a help desk's address (a ticket system that "
                "answers back): not answered automatically; an editor may reply by hand")
    return None


def denied(sender: str, deny: tuple[str, ...]) -> str | None:
    """The deny-list entry that covers this sender: the address itself, or its domain
    (subdomains included)."""
    sender = sender.lower()
    domain = sender.rpartition("@")[2]
    for entry in deny:
        entry = entry.strip().lower()
        if "@" in entry and sender == entry:
            return entry
        if "@" not in entry and (domain == entry or domain.endswith("." + entry)):
            return entry
    return None


def relayed_author(msg: ParsedMessage, own: frozenset[str]) -> bool:
    """A web form or a no-reply relay (or our own address, which a website's form may
    send as) forwarding a person's message, the person named in Reply-To: that person is
    the author. Never our own mail coming back, and never a Reply-To that is itself an
    automatic or our own address."""
    person = msg.reply_to_email
    if not person or person == msg.sender_email or LOOP_HEADER.lower() in msg.headers:
        return False
    sender_local = msg.sender_email.partition("@")[0]
    if not (msg.sender_email in own or _RELAY_LOCALPARTS.match(sender_local)):
        return False
    return person not in own and not _AUTOMATIC_LOCALPARTS.match(person.partition("@")[0])
