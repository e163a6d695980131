"""Winners and honourable mentions, and one email to every entrant with their result."""

from __future__ import annotations

from intake.contests.results import AWARDS, rank
from intake.contests.settings import Contest
from intake.core.config import Settings
from intake.core.errors import IntakeError
from intake.editors.decisions import language_of
from intake.ledger import Ledger, Submission
from intake.ledger.events import EventName
from intake.mail.templates import Notices


def award(ledger: Ledger, contest: Contest, sub: Submission, what: str, editor: str) -> None:
    """Mark an entry a winner or an honourable mention ("none" takes it back)."""
    entry = ledger.entry(sub.id)
    if entry is None or entry.contest != contest.id or entry.state != "open":
        raise IntakeError(f"{sub.reference} is not a judged entry of {contest.name}")
    if what not in (*AWARDS, "none"):
        raise IntakeError(f"an award is one of {', '.join(AWARDS)} or none, not {what!r}")
    with ledger.transaction():
        ledger.set_award(sub.id, None if what == "none" else what)
        ledger.add_event(EventName.AWARDED, submission_id=sub.id, actor=editor,
                         contest=contest.id, award=what)


def announce(ledger: Ledger, settings: Settings, contest: Contest, editor: str) -> int:
    """Every judged entrant's result, queued once each (an entrant told before is not
    told again). Returns how many were queued now."""
    rows = rank(ledger, contest)
    winners = [r.submission.title for r in rows if r.award == "winner"]
    if not winners:
        raise IntakeError(f"no winner is marked in {contest.name}: mark one before the "
                          "results are sent")
    notices = Notices(settings)
    queued = 0
    with ledger.transaction():
        for row in rows:
            sub = row.submission
            rendered = notices.render("contest_result", {
                "reference": sub.reference, "title": sub.title, "author_name": sub.author_name,
                "contest": contest.name, "award": row.award or "", "winners": winners,
                "language": language_of(settings, sub)})
            email = notices.compose(rendered, to_name=sub.author_name,
                                    to_email=sub.author_email, in_reply_to=sub.message_id,
                                    reference=sub.reference, auto_submitted=None)
            if ledger.add_outbox(submission_id=sub.id, purpose=f"contest-result:{contest.id}",
                                 template="contest_result", recipient=sub.author_email,
                                 subject=rendered.subject,
                                 message_id=str(email["Message-ID"]),
                                 body=email.as_bytes()) is None:
                continue
            ledger.add_event(EventName.RESULT_SENT, submission_id=sub.id, actor=editor,
                             contest=contest.id, award=row.award or "none")
            queued += 1
    return queued
