"""`intake purge`: forget what authors sent once a submission is long decided against.

For rejected and withdrawn submissions older than [review] retention_days (counted
from the decision), the raw messages, the draft folder (revisions and
correspondence too) and the bodies of the emails sent about it are deleted. The
ledger row and its history stay, so the reference still says what happened.
Files go first and the ledger is marked after: a purge cut short is finished by
the next one. Only what belongs to the submission goes: its messages' raw files and
its own draft folder, never through a link (a link is reported and left), and a
submission that cannot be purged is skipped with the reason, never the whole run.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from intake.core.models import Status
from intake.ledger import Submission, now_iso
from intake.ledger.events import EventName
from intake.pipeline.run import Intake

log = logging.getLogger(__name__)

PURGEABLE = (Status.REJECTED, Status.WITHDRAWN)


@dataclass(frozen=True)
class Purged:
    sub: Submission
    files: int
    skipped: list[str] = field(default_factory=list)  # what was left, and why


def due(app: Intake, now: datetime | None = None) -> list[Submission]:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=app.settings.review.retention_days)
    return app.ledger.decided_before(PURGEABLE, cutoff.isoformat(timespec="seconds"))


def purge(app: Intake, sub: Submission, actor: str) -> Purged:
    removed, skipped = 0, []
    raw_dir = app.store.raw_dir
    for stored in app.ledger.messages_of(sub.id):
        path = app.settings.data_dir / stored.raw_path
        why = _not_ours(path, raw_dir)
        if why:
            skipped.append(f"{path}: {why}")
        elif path.is_file():
            path.unlink()
            removed += 1
    folder = app.store.draft_dir(sub.reference)
    why = _not_ours(folder, app.store.drafts_dir)
    if why:
        skipped.append(f"{folder}: {why}")
    elif folder.is_dir():
        removed += sum(len(files) for _, _, files in os.walk(folder))  # links not followed
        shutil.rmtree(folder)  # removes a link inside, never what it points to
    with app.ledger.transaction():
        emails = app.ledger.forget_bodies(sub.id)
        app.ledger.update_submission(sub.id, purged_at=now_iso(), draft_dir=None)
        app.ledger.add_event(EventName.PURGED, submission_id=sub.id, actor=actor, files=removed,
                             email_bodies=emails, skipped=skipped,
                             retention_days=app.settings.review.retention_days)
    log.info("%s purged: %d file(s), %d email bod(ies)", sub.reference, removed, emails)
    for line in skipped:
        log.warning("%s: left %s", sub.reference, line)
    return Purged(sub, removed, skipped)


def _not_ours(path: Path, under: Path) -> str | None:
    """Why purge must not delete path: a link (someone planted it, or it leads out of the
    data folder), or a place outside the folder it should be in."""
    if path.is_symlink():
        return "a symbolic link, not intake's: not followed, not deleted"
    try:
        path.resolve().relative_to(under.resolve())
    except ValueError:
        return f"outside {under}: not deleted"
    return None
