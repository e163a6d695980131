"""What needs an editor now: the desk's landing page.

- submissions assigned to them whose author wrote (a message or a new version) after
  their own last step, decided ones included;
- submissions not theirs where the author answered an email they sent (a reply or a
  decision);
- versions held from an address that may not revise a submission (a co-author's),
  on submissions that are theirs or nobody's, until an editor takes one as a revision;
- new submissions nobody has, of the kinds they follow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from intake.core.models import Status
from intake.ledger import Ledger, Submission
from intake.ledger.submissions import _submission

_AUTHOR_WROTE = ("revised", "correspondence")
_MY_EMAILS = ("replied", "decided")
LIMIT = 100


@dataclass(frozen=True)
class Held:
    """A message with files, from an address that may not revise its submission."""
    submission: Submission
    message_row: int
    at: str
    sender: str
    why: str
    files: list[str]


@dataclass(frozen=True)
class Attention:
    author_wrote: list[Submission]  # assigned to me; the author wrote after my last step
    answered_me: list[Submission]  # not mine; the author answered my email
    new_to_follow: list[Submission]  # nobody's yet, of the kinds I follow
    held: list[Held]  # mine or nobody's: versions waiting to be taken as revisions

    @property
    def total(self) -> int:
        return (len(self.author_wrote) + len(self.answered_me) + len(self.new_to_follow) +
                len(self.held))


def held_versions(ledger: Ledger, *, editor: str | None = None,
                  submission_id: int | None = None) -> list[Held]:
    """Held versions not taken yet: of one submission, or of an editor's and nobody's."""
    where, values = (("s.id = ?", (submission_id,)) if submission_id is not None else
                     ("(s.assignee = ? OR s.assignee IS NULL)", (editor,)))
    rows = ledger.db.execute(
        "SELECT s.*, e.message_row AS held_row, e.at AS held_at, e.detail AS held_detail "  # noqa: S608 (two fixed clauses)
        "FROM events e JOIN submissions s ON s.id = e.submission_id WHERE "
        f"e.event = 'correspondence' AND json_extract(e.detail, '$.held') IS NOT NULL AND "
        f"e.message_row IS NOT NULL AND s.purged_at IS NULL AND {where} AND NOT EXISTS ("
        "SELECT 1 FROM events r WHERE r.submission_id = s.id AND r.event = 'revised' AND "
        "r.message_row = e.message_row) ORDER BY e.id DESC LIMIT ?",
        (*values, LIMIT)).fetchall()
    found = []
    for row in rows:
        detail = json.loads(row["held_detail"])
        found.append(Held(_submission(row), row["held_row"], row["held_at"],
                          str(detail.get("sender", "")), str(detail.get("held", "")),
                          [str(f) for f in detail.get("files", [])]))
    return found


def needs(ledger: Ledger, editor: str, follows: Sequence[str]) -> Attention:
    db = ledger.db
    wrote = db.execute(
        "SELECT s.* FROM submissions s WHERE s.assignee = ? AND EXISTS (SELECT 1 FROM "
        "events e WHERE e.submission_id = s.id AND e.event IN (?, ?) AND e.id > "
        "coalesce((SELECT max(m.id) FROM events m WHERE m.submission_id = s.id AND "
        "m.actor = ?), 0)) ORDER BY s.updated_at DESC LIMIT ?",
        (editor, *_AUTHOR_WROTE, editor, LIMIT)).fetchall()
    answered = db.execute(
        "SELECT s.* FROM submissions s WHERE coalesce(s.assignee, '') != ? AND EXISTS ("
        "SELECT 1 FROM events mine WHERE mine.submission_id = s.id AND mine.actor = ? AND "
        "mine.event IN (?, ?) AND EXISTS (SELECT 1 FROM events e WHERE e.submission_id = "
        "s.id AND e.event = 'correspondence' AND e.id > mine.id)) AND NOT EXISTS (SELECT 1 "
        "FROM events later WHERE later.submission_id = s.id AND later.actor = ? AND "
        "later.id > (SELECT max(c.id) FROM events c WHERE c.submission_id = s.id AND "
        "c.event = 'correspondence')) ORDER BY s.updated_at DESC LIMIT ?",
        (editor, editor, *_MY_EMAILS, editor, LIMIT)).fetchall()
    new: list[Submission] = []
    if follows:
        rows = db.execute(
            f"SELECT * FROM submissions WHERE assignee IS NULL AND status IN (?, ?) AND "  # noqa: S608 (placeholders only)
            f"kind IN ({', '.join('?' * len(follows))}) ORDER BY "
            "coalesce(sent_at, received), id LIMIT ?",
            (Status.QUEUED.value, Status.TRIAGE.value, *follows, LIMIT)).fetchall()
        new = [_submission(r) for r in rows]
    return Attention([_submission(r) for r in wrote], [_submission(r) for r in answered],
                     new, held_versions(ledger, editor=editor))
