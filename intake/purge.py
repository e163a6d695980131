"""`intake purge`: forget what authors sent once a submission is long decided against.

For rejected and withdrawn submissions older than [review] retention_days (counted
from the decision), the raw messages, the draft folder (revisions and
correspondence too) and the bodies of the emails sent about it are deleted. The
ledger row and its history stay, so the reference still says what happened.
Files go first and the ledger is marked after: a purge cut short is finished by
the next one.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from intake.ledger import Submission, now_iso
from intake.models import Status
from intake.pipeline import Intake

log = logging.getLogger(__name__)

PURGEABLE = (Status.REJECTED, Status.WITHDRAWN)


@dataclass(frozen=True)
class Purged:
    sub: Submission
    files: int


def due(app: Intake, now: datetime | None = None) -> list[Submission]:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=app.settings.review.retention_days)
    return app.ledger.decided_before(PURGEABLE, cutoff.isoformat(timespec="seconds"))


def purge(app: Intake, sub: Submission, actor: str) -> Purged:
    removed = 0
    for stored in app.ledger.messages_of(sub.id):
        path = app.settings.data_dir / stored.raw_path
        if path.is_file():
            path.unlink()
            removed += 1
    folder = app.store.draft_dir(sub.reference)
    if folder.is_dir():
        removed += sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
    with app.ledger.transaction():
        emails = app.ledger.forget_bodies(sub.id)
        app.ledger.update_submission(sub.id, purged_at=now_iso(), draft_dir=None)
        app.ledger.add_event("purged", submission_id=sub.id, actor=actor, files=removed,
                             email_bodies=emails,
                             retention_days=app.settings.review.retention_days)
    log.info("%s purged: %d file(s), %d email bod(ies)", sub.reference, removed, emails)
    return Purged(sub, removed)
