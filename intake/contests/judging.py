"""From a confirmed judges' copy to scores: judges given entries in balance, personal
links, invitations and reminders, and scores saved through the links.

A link is a capability, not a session: a random token (only its SHA-256 is kept),
scoped to one judge and one contest (or to one outside reader of one submission),
valid until judging closes, revocable, usable any number of times. Opening it changes
nothing, so a mail scanner that follows it first does no harm; scores are a form sent
with the page's CSRF token.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from intake.contests import blind
from intake.contests.settings import Contest, Criterion, Judge, when_said
from intake.core.config import Settings
from intake.core.errors import IntakeError
from intake.ledger import Ledger, Submission
from intake.ledger.contests import Link
from intake.ledger.events import EventName
from intake.ledger.passages import fold
from intake.ledger.store import read_draft
from intake.mail.templates import Notices

MAX_COMMENT = 5_000
log = logging.getLogger(__name__)


class NotReady(IntakeError):
    """What a step needs is not there yet (a confirmed copy, the desk's address)."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- the judges' copy ----------------------------------------------------------------------

def prepare(data_dir: Path, sub: Submission) -> blind.JudgesCopy:
    """Build and write the judges' copy for the editor to look over."""
    copy = blind.build(data_dir, sub)
    blind.write(data_dir, sub, copy)
    return copy


def confirm(ledger: Ledger, settings: Settings, sub: Submission, editor: str
            ) -> tuple[blind.JudgesCopy, list[str]]:
    """The editor has read what was removed: the copy is built again (the draft may have
    changed), confirmed if nothing still names the author, and the entry is given to its
    judges. Returns the copy and the judges it went to."""
    entry = ledger.entry(sub.id)
    contest = settings.contest(entry.contest) if entry else None
    if entry is None or contest is None:
        raise IntakeError(f"{sub.reference} is not an entry of a contest in the settings")
    if entry.state != "open":
        raise IntakeError(f"{sub.reference} is not judged: it was {_state(entry.state)}")
    from intake.editors.privacy import require_clear

    require_clear(ledger, settings, sub, "given to judges")  # they are outside readers
    copy = prepare(settings.data_dir, sub)
    if not copy.clean:
        raise IntakeError(f"the judges' copy of {sub.reference} still names its author ("
                          f"{'; '.join(copy.still_named)}): edit the draft, then confirm "
                          "again")
    with ledger.transaction():
        ledger.confirm_blind(sub.id, copy.sha256, editor)
        ledger.add_event(EventName.JUDGES_COPY_CONFIRMED, submission_id=sub.id, actor=editor,
                         removed=len(copy.removed), sha256=copy.sha256)
        judges = assign(ledger, contest, sub, _institutions(settings.data_dir, sub))
    return copy, judges


def _state(state: str) -> str:
    return {"early": "sent before the contest opened", "late": "sent after it closed",
            "over_limit": "one entry too many"}.get(state, state)


def _institutions(data_dir: Path, sub: Submission) -> list[str]:
    if not sub.draft_dir:
        return []
    folder = data_dir / sub.draft_dir
    try:
        body = (folder / "draft.md").read_text(encoding="utf-8")
        email = (folder / "email.txt").read_text(encoding="utf-8") \
            if (folder / "email.txt").is_file() else ""
    except OSError:
        return []
    return list(blind.identity(sub, body, email).institutions)


def visible(data_dir: Path, ledger: Ledger, sub: Submission) -> str | None:
    """The judges' copy as confirmed, or None: not confirmed, or changed since (a new
    version, an edit) and so not yet confirmed again."""
    entry = ledger.entry(sub.id)
    written = blind.read_written(data_dir, sub)
    if entry is None or entry.blind_sha256 is None or written is None:
        return None
    text, sha = written
    if sha != entry.blind_sha256:
        return None
    current = blind.draft_sha256(data_dir, sub)
    return text if current and blind.made_from(data_dir, sub) == current else None


# -- judges and their entries ---------------------------------------------------------------

def conflicted(judge: Judge, author_email: str, institutions: list[str]) -> bool:
    """A judge from the author's own institution (by name, or by the mail domain)."""
    mine = fold(judge.institution).strip()
    domain = author_email.rpartition("@")[2].lower()
    if domain and judge.email.lower().endswith("@" + domain):
        return True
    return bool(mine) and any(fold(i).strip() == mine or (len(mine) > 8 and mine in fold(i))
                              for i in institutions)


def assign(ledger: Ledger, contest: Contest, sub: Submission, institutions: list[str]
           ) -> list[str]:
    """judges_per_entry judges, those with fewest entries first, none from the author's
    institution; already assigned judges are kept."""
    have = ledger.readers_of(sub.id)
    counts = ledger.assignment_counts(contest.id)
    free = [j for j in contest.judges if j.key not in have and
            not conflicted(j, sub.author_email, institutions)]
    free.sort(key=lambda j: (counts.get(j.key, 0), contest.judges.index(j)))
    chosen = free[:max(0, contest.judges_per_entry - len(have))]
    for judge in chosen:
        ledger.assign_reader(sub.id, judge.key, contest.id)
    if chosen:
        ledger.add_event(EventName.JUDGES_ASSIGNED, submission_id=sub.id,
                         judges=[j.key for j in chosen])
    return [*have, *(j.key for j in chosen)]


# -- links ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """What a valid link opens."""
    link: Link
    contest: Contest | None  # a judge's contest, or None for an outside reader
    rubric: tuple[Criterion, ...]
    closes: datetime

    @property
    def open(self) -> bool:
        return datetime.now(UTC) <= self.closes


def new_link(ledger: Ledger, *, reader: str, name: str, by: str, closes: datetime,
             contest: str | None = None, submission_id: int | None = None,
             rubric: tuple[Criterion, ...] = (), is_blind: bool = True) -> str:
    token = secrets.token_urlsafe(32)
    ledger.add_reader_link(digest(token), contest=contest, submission_id=submission_id,
                           reader=reader, name=name, rubric=[
                               {"name": c.name, "weight": c.weight, "scale": c.scale}
                               for c in rubric], blind=is_blind, by=by,
                           expires_at=closes.astimezone(UTC).isoformat(timespec="seconds"))
    return token


def open_link(ledger: Ledger, settings: Settings, token: str) -> Scope | None:
    """The scope of a token, or None: unknown, revoked, past its date, or its judge or
    contest gone from the settings. Reads only."""
    if not token or len(token) > 100:
        return None
    found = ledger.reader_link(digest(token))
    if found is None or found.revoked_at is not None:
        return None
    closes = datetime.fromisoformat(found.expires_at)
    if datetime.now(UTC) > closes + timedelta(days=30):
        return None  # the scores stay readable a while after judging closes, then not
    if found.contest is not None:
        contest = settings.contest(found.contest)
        if contest is None or contest.judge(found.reader) is None:
            return None
        return Scope(found, contest, contest.rubric, closes)
    rubric = tuple(Criterion(str(c["name"]), float(c["weight"]), int(c["scale"]))
                   for c in found.rubric)
    return Scope(found, None, rubric, closes)


def shown(ledger: Ledger, data_dir: Path, scope: Scope, sub: Submission) -> str | None:
    """The Markdown (a "# title" line, then the text) a link's reader may read of a
    submission, or None: not theirs, or its copy not confirmed (or changed since)."""
    if scope.link.submission_id is not None:  # an outside reader of one submission
        if sub.id != scope.link.submission_id or sub.purged_at or not sub.draft_dir:
            return None
        if scope.link.blind:  # made as it is read: no editor confirms it
            copy = blind.build(data_dir, sub)
            return copy.text if copy.clean else None
        front, body = read_draft(data_dir / sub.draft_dir / "draft.md")
        return f"# {front.get('title') or sub.title}\n\n{body}"
    assert scope.contest is not None
    if sub.id not in ledger.assigned_to(scope.contest.id, scope.link.reader):
        return None
    return visible(data_dir, ledger, sub)


def entries_for(ledger: Ledger, data_dir: Path, scope: Scope
                ) -> list[tuple[Submission, str]]:
    """What the reader may read, each with what they are shown."""
    ids = [scope.link.submission_id] if scope.link.submission_id is not None else \
        ledger.assigned_to(scope.contest.id, scope.link.reader) if scope.contest else []
    found = []
    for number in ids:
        sub = ledger.submission_by_id(number)
        text = shown(ledger, data_dir, scope, sub)
        if text is not None:
            found.append((sub, text))
    return found


def image(data_dir: Path, scope: Scope, sub: Submission, name: str) -> Path | None:
    """The file of an image a reader's page names: the draft's own; in a confirmed
    judges' copy, the copy's; in an outside reader's copy, the draft's it was renamed
    from."""
    folder = data_dir / str(sub.draft_dir)
    if not scope.link.blind:
        return folder / "assets" / name
    if scope.contest is not None:
        return folder / "judges" / "assets" / name
    original = blind.build(data_dir, sub).images.get(name)
    return folder / "assets" / original if original else None


def save_scores(ledger: Ledger, scope: Scope, sub: Submission, form: dict[str, str]
                ) -> dict[str, int]:
    """A reader's scores and comment for one entry, checked against the rubric."""
    if not scope.open:
        raise IntakeError("judging has closed: scores can no longer be changed")
    scores: dict[str, int] = {}
    for criterion in scope.rubric:
        value = form.get(f"score_{criterion.name}", "").strip()
        if not re.fullmatch(r"\d{1,3}", value) or not 1 <= int(value) <= criterion.scale:
            raise IntakeError(f"{criterion.name.replace('_', ' ')}: a score from 1 to "
                              f"{criterion.scale}")
        scores[criterion.name] = int(value)
    comment = form.get("comment", "").replace("\r\n", "\n").strip()[:MAX_COMMENT]
    with ledger.transaction():
        ledger.save_scores(sub.id, scope.link.reader, scores, comment)
        ledger.add_event(EventName.SCORED, submission_id=sub.id,
                         actor=f"reader:{scope.link.reader}", reader=scope.link.reader)
    return scores


# -- emails to judges ------------------------------------------------------------------------

def _desk_url(settings: Settings) -> str:
    if not settings.web.public_url:
        raise NotReady("[web] public_url is not set: judges' links need the desk's address "
                       "(https://desk.example.org)")
    return settings.web.public_url.rstrip("/")


def invite(ledger: Ledger, settings: Settings, contest: Contest, by: str) -> list[str]:
    """A link for every judge of the contest who has no live one, each emailed once
    (queued; the cron run sends it). Returns who was invited."""
    base = _desk_url(settings)
    notices = Notices(settings)
    live = {link.reader for link in ledger.reader_links(contest=contest.id)
            if link.revoked_at is None}
    invited = []
    with ledger.transaction():
        for judge in contest.judges:
            if judge.key in live:
                continue
            token = new_link(ledger, reader=judge.key, name=judge.name, by=by,
                             closes=contest.judging_closes, contest=contest.id)
            _queue(ledger, notices, "judge_invite", f"judge-invite:{contest.id}:{judge.key}:"
                   f"{digest(token)[:12]}", judge, {
                       "judge_name": judge.name, "contest": contest.name,
                       "link": f"{base}/j/{token}",
                       "judging_closes": when_said(contest.judging_closes),
                       "entries": len(ledger.assigned_to(contest.id, judge.key))})
            invited.append(judge.key)
    return invited


def remind(ledger: Ledger, settings: Settings, now: datetime | None = None) -> list[str]:
    """In the last remind_days before judging closes, one reminder to each judge who has
    entries left to score, with a link of its own. Run by each cron run; each judge is
    reminded once per contest."""
    now = now or datetime.now(UTC)
    sent: list[str] = []
    if not settings.contests or not settings.web.public_url:
        return sent
    notices = Notices(settings)
    for contest in settings.contests:
        if not contest.judging_closes - timedelta(days=contest.remind_days) <= now <= \
                contest.judging_closes or not contest.remind_days:
            continue
        for judge in contest.judges:
            purpose = f"judge-reminder:{contest.id}:{judge.key}"
            if ledger.mail_queued(purpose):
                continue
            left = [n for n in ledger.assigned_to(contest.id, judge.key)
                    if not ledger.scores_of(n).get(judge.key)]
            if not left:
                continue
            with ledger.transaction():
                token = new_link(ledger, reader=judge.key, name=judge.name, by="intake",
                                 closes=contest.judging_closes, contest=contest.id)
                _queue(ledger, notices, "judge_reminder", purpose, judge, {
                    "judge_name": judge.name, "contest": contest.name,
                    "link": f"{_desk_url(settings)}/j/{token}", "left": len(left),
                    "judging_closes": when_said(contest.judging_closes)})
            sent.append(f"{contest.id}:{judge.key}")
    return sent


def revoke(ledger: Ledger, contest: Contest, email: str, by: str) -> int:
    """End a judge's links (no submission's history to record it in: the log says)."""
    with ledger.transaction():
        count = ledger.revoke_reader_links(email, contest=contest.id)
    log.info("contest %s: %d link(s) of %s revoked by %s", contest.id, count, email, by)
    return count


def _queue(ledger: Ledger, notices: Notices, template: str, purpose: str, judge: Judge,
           context: dict[str, Any]) -> None:
    rendered = notices.render(template, context)
    email = notices.compose(rendered, to_name=judge.name, to_email=judge.email,
                            auto_submitted="auto-generated")
    ledger.add_mail(purpose=purpose, template=template, recipient=judge.email,
                    subject=rendered.subject, message_id=str(email["Message-ID"]),
                    body=email.as_bytes())


def invite_reader(ledger: Ledger, settings: Settings, sub: Submission, *, name: str,
                  email: str, rubric: tuple[Criterion, ...], days: int, is_blind: bool,
                  by: str) -> str:
    """One outside reader for one submission (a doctor checking a guest post's medicine):
    a link like a judge's, valid for `days`, emailed once. Returns the reader's address."""
    from intake.core.config import _ANSWERABLE

    base = _desk_url(settings)
    if not _ANSWERABLE.fullmatch(email.strip()):
        raise IntakeError(f"{email!r} is not an email address")
    if is_blind:
        copy = blind.build(settings.data_dir, sub)
        if not copy.clean:
            raise IntakeError(f"the copy without its author still names them ("
                              f"{'; '.join(copy.still_named)}): edit the draft first")
    from intake.editors.privacy import require_clear

    require_clear(ledger, settings, sub, "sent to an outside reader")
    closes = datetime.now(UTC) + timedelta(days=days)
    notices = Notices(settings)
    with ledger.transaction():
        token = new_link(ledger, reader=email.strip(), name=name.strip(), by=by, closes=closes,
                         submission_id=sub.id, rubric=rubric, is_blind=is_blind)
        reader = Judge(name.strip(), email.strip())
        rendered = notices.render("reader_invite", {
            "judge_name": reader.name, "title": sub.title, "link": f"{base}/j/{token}",
            "closes": when_said(closes), "blind": is_blind})
        message = notices.compose(rendered, to_name=reader.name, to_email=reader.email,
                                  auto_submitted="auto-generated")
        ledger.add_mail(purpose=f"reader-invite:{sub.id}:{digest(token)[:12]}",
                        template="reader_invite", recipient=reader.email,
                        subject=rendered.subject, message_id=str(message["Message-ID"]),
                        body=message.as_bytes(), submission_id=sub.id)
        ledger.add_event(EventName.NOTED, submission_id=sub.id, actor=by,
                         text=f"Asked {reader.name} <{reader.email}> to read it"
                              + (" without its author's name" if is_blind else "")
                              + f", until {closes:%Y-%m-%d}.")
    return reader.email


def parse_rubric(text: str) -> tuple[Criterion, ...]:
    """"accuracy:5,clarity:10" → criteria (a scale each; weight 1)."""
    found = []
    for part in text.split(","):
        name, _, scale = part.strip().partition(":")
        name = name.strip().lower().replace(" ", "_")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", name) or not scale.strip().isdigit() \
                or not 2 <= int(scale) <= 100:
            raise IntakeError(f"a rubric is name:scale, separated by commas "
                              f"(accuracy:5,clarity:10), not {text!r}")
        found.append(Criterion(name, 1.0, int(scale)))
    return tuple(found)
