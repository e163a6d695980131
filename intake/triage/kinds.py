"""Which kind of submission a message is, from the signals declared in settings.toml.

Every matching signal adds to its kind's score and is kept, in words, so an editor
can see why a message landed where it did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from intake.config import KindRule
from intake.models import Classification, ParsedMessage

ADDRESS_WEIGHT = 10  # a dedicated address is the author's own choice: it decides
SUBJECT_WEIGHT = 3
ATTACHMENT_WEIGHT = 2
BODY_WEIGHT = 1
_BODY_CHARS = 20_000  # phrases in the opening of a long body are what matter


@cache
def _phrase(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase.lower().split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def _found(phrases: Iterable[str], text: str) -> list[str]:
    return [p for p in phrases if p.strip() and _phrase(p).search(text)]


def _plus_tag(address: str) -> str:
    local = address.partition("@")[0]
    return local.partition("+")[2]


def classify(msg: ParsedMessage, rules: Iterable[KindRule], default_kind: str) -> Classification:
    subject = msg.subject.lower()
    body = msg.text[:_BODY_CHARS].lower()
    names = " ".join(a.filename.lower().replace("_", " ").replace("-", " ")
                     for a in msg.attachments)
    best: Classification | None = None
    for rule in rules:
        score, signals = 0, []
        wanted = {a.lower() for a in rule.addresses}
        for rcpt in msg.recipients:
            if rcpt in wanted or _plus_tag(rcpt) == rule.name:
                score += ADDRESS_WEIGHT
                signals.append(f"sent to {rcpt}")
        for phrase in _found(rule.subject, subject):
            score += SUBJECT_WEIGHT
            signals.append(f"subject mentions '{phrase}'")
        for word in _found(rule.attachments, names):
            score += ATTACHMENT_WEIGHT
            signals.append(f"attachment named '{word}'")
        for phrase in _found(rule.body, body):
            score += BODY_WEIGHT
            signals.append(f"body mentions '{phrase}'")
        if score and (best is None or score > best.score):
            best = Classification(rule.name, score, tuple(signals))
    return best or Classification(default_kind, 0, ("no signal matched",))
