"""What editors do to a submission from the command line; each step recorded in its history."""

from __future__ import annotations

import getpass
import os

from intake.errors import IntakeError
from intake.ledger import Submission
from intake.models import Status
from intake.pipeline import Intake
from intake.store import read_front_matter, update_front_matter


def editor_name(given: str | None) -> str:
    """Who is acting: --as, else $INTAKE_EDITOR, else the login name."""
    return given or os.environ.get("INTAKE_EDITOR") or getpass.getuser()


def find(app: Intake, reference: str) -> Submission:
    sub = app.ledger.submission(reference)
    if sub is None:
        raise IntakeError(f"no submission {reference!r} (see intake queue --status all)")
    return sub


def reclassify(app: Intake, reference: str, kind: str, actor: str) -> Submission:
    """Correct a submission's kind; one in triage joins the queue."""
    sub = find(app, reference)
    kinds = [k.name for k in app.settings.kinds]
    if kind not in kinds:
        raise IntakeError(f"unknown kind {kind!r}: the kinds in {app.settings.path} are "
                          f"{', '.join(kinds)}")
    if sub.status is Status.IGNORED:
        raise IntakeError(f"{sub.reference} was ignored as automatic mail ({sub.reason}) "
                          "and has no draft to reclassify")
    status = Status.QUEUED if sub.status is Status.TRIAGE else sub.status
    classification = {**sub.classification, "kind": kind, "sure": True, "corrected_by": actor}
    with app.ledger.transaction():
        app.ledger.update_submission(sub.id, kind=kind, status=status,
                                     classification=classification)
        app.ledger.add_event("reclassified", submission_id=sub.id, actor=actor,
                             before=sub.kind, after=kind)
        if status is not sub.status:
            app.ledger.add_event("status changed", submission_id=sub.id, actor=actor,
                                 before=sub.status.value, after=status.value)
        if sub.draft_dir:
            draft = app.settings.data_dir / sub.draft_dir / "draft.md"
            update_front_matter(draft, kind=kind, status=status.value,
                                 classification={**read_front_matter(draft).get(
                                     "classification", {}), "sure": True,
                                     "corrected_by": actor})
    return find(app, reference)
