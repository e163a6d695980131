"""Which contest an entry is for, whether it came in time and within the rules, and what
its author is told.

A contest is recognised as kinds are (an address or plus-tag, phrases of the subject
or body, and the contest's own name); a message triage took for a contest entry with no
contest named goes to the one contest open when it was sent, if there is exactly one.
The time that decides is when the author sent it (the Date header), unless that is more
than a day before the mail arrived: an entry cannot be made on time by its own header.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from intake.contests.settings import Contest, when_said
from intake.core.config import KindRule, Settings
from intake.core.models import Classification, Draft, ParsedMessage
from intake.ledger import Ledger, StoredMessage, Submission
from intake.ledger.events import EventName
from intake.rules.kinds import _found, _plus_tag

CONTEST_KIND = "contest"
LATEST_BACKDATE = timedelta(days=1)  # how far before its arrival an entry's Date may be

# What the entry's state means for its author's answer (a template each).
ANSWERS = {"early": "contest_not_open", "late": "contest_closed",
           "over_limit": "contest_over_limit"}


def recognise(contests: tuple[Contest, ...], msg: ParsedMessage, kind: str,
              when: datetime) -> tuple[Contest, str] | None:
    """The contest the message is an entry for, and the signal that says so."""
    subject, body = msg.subject.lower(), msg.text[:20_000].lower()
    best: tuple[int, Contest, str] | None = None
    for contest in contests:
        points, signal = 0, ""
        for rcpt in msg.recipients:
            if rcpt in contest.addresses or _plus_tag(rcpt) == contest.id:
                points, signal = 3, f"sent to {rcpt}"
        named = _found((contest.name, *contest.subject), subject)
        if named and points < 2:
            points, signal = 2, f"subject mentions '{named[0]}'"
        said = _found((contest.name, *contest.body), body)
        if said and points < 1:
            points, signal = 1, f"body mentions '{said[0]}'"
        if points and (best is None or points > best[0]):
            best = (points, contest, signal)
    if best is not None and (best[0] >= 2 or kind == CONTEST_KIND):
        return best[1], best[2]
    if kind != CONTEST_KIND:
        return None
    if len(contests) == 1:
        return contests[0], f"the one contest, {contests[0].name}"
    running = [c for c in contests if c.window(when) == "open"]
    return (running[0], f"the one contest open, {running[0].name}") if len(running) == 1 \
        else None


def as_entry(found: Classification, contest: Contest, signal: str) -> Classification:
    if found.kind == CONTEST_KIND:
        return replace(found, signals=(*found.signals, signal)) \
            if signal not in found.signals else found
    return Classification(CONTEST_KIND, found.score, (signal,), sure=True)


def entry_rule(rule: KindRule, contest: Contest) -> KindRule:
    """The contest kind's guidelines, with the contest's own length."""
    return replace(rule, min_words=contest.min_words or rule.min_words,
                   max_words=contest.max_words or rule.max_words)


def arrival(stored: StoredMessage) -> datetime:
    """When intake took the message (the ledger's time, UTC)."""
    return datetime.fromisoformat(stored.fetched_at).astimezone(UTC)


def sent_time(msg: ParsedMessage, arrived: datetime) -> datetime:
    if msg.date is None:
        return arrived
    sent = msg.date if msg.date.tzinfo else msg.date.replace(tzinfo=arrived.tzinfo)
    return sent if arrived - LATEST_BACKDATE <= sent <= arrived else arrived


def check_statement(draft: Draft, contest: Contest, msg: ParsedMessage) -> Draft:
    """The statement the contest asks for (that the author is a medical student, say):
    found in the entry or in the email, or said to be missing."""
    if not contest.statement_phrases:
        return draft
    text = f"{draft.markdown}\n{msg.text}".lower()
    if any(re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, p.lower().split())) + r"(?!\w)",
                     text) for p in contest.statement_phrases):
        return draft
    said = contest.statement or "the statement the rules ask for"
    return replace(draft,
                   warnings=(*draft.warnings,
                             f"No statement {said} was found ({contest.name})."),
                   for_author=(*draft.for_author,
                               f"The rules of the {contest.name} ask you to state {said}; "
                               "we could not find it in your entry. Please reply with it "
                               "before the closing date."))


def entry_context(contest: Contest, state: str, language: str = "en") -> dict[str, Any]:
    """What the author's answer says about the contest, its dates in their language."""
    return {"contest": contest.name, "contest_state": state,
            "opens": when_said(contest.opens, language),
            "closes": when_said(contest.closes, language),
            "max_entries": contest.max_entries}


def enter(ledger: Ledger, settings: Settings, submission_id: int, contest_id: str,
          msg: ParsedMessage, stored: StoredMessage) -> str:
    """Record a new submission as an entry: in time, early, late, or one too many."""
    contest = settings.contest(contest_id)
    if contest is None:
        return ""
    sent = sent_time(msg, arrival(stored))
    state = contest.window(sent)
    if state == "open" and ledger.entries_by(contest.id, msg.sender_email) >= \
            contest.max_entries:
        state = "over_limit"
    ledger.add_entry(submission_id, contest.id, state, sent.isoformat(timespec="seconds"))
    ledger.add_event(EventName.CONTEST_ENTRY, submission_id=submission_id,
                     contest=contest.id, state=state)
    return state


def contest_answer(ledger: Ledger, settings: Settings, sub: Submission, template: str,
                   context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An entry's answer: the contest named, with its dates; an entry too early, too
    late or one too many gets the answer that says so instead of an acknowledgement."""
    found = ledger.entry(sub.id) if sub.kind == CONTEST_KIND else None
    contest = settings.contest(found.contest) if found else None
    if found is None or contest is None:
        return template, context
    if found.state in ANSWERS and template.startswith("received"):
        template = ANSWERS[found.state]
    language = str(context.get("language") or "en")
    return template, {**context, **entry_context(contest, found.state, language)}
