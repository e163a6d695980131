"""The editors' workflow: which status may follow which, and who did what.

Every change is one ledger transaction that first checks the submission is still
in the status the editor saw, so two editors acting at once cannot both win: the
second is told who was first, and nothing of theirs is recorded or sent.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, replace

from intake.core.config import Editor, Settings
from intake.core.errors import ExitCode, IntakeError
from intake.core.models import Classification, Status
from intake.ledger import Ledger, Submission
from intake.ledger.events import EventName
from intake.ledger.store import read_front_matter, update_front_matter
from intake.rules import corrections

# What may follow what. Anything else is refused with the reason and what is possible.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.TRIAGE: frozenset({Status.QUEUED, Status.REJECTED, Status.WITHDRAWN}),
    Status.QUEUED: frozenset({Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN}),
    Status.IN_REVIEW: frozenset({Status.ACCEPTED, Status.REJECTED, Status.CHANGES_REQUESTED,
                                 Status.QUEUED, Status.WITHDRAWN}),
    Status.CHANGES_REQUESTED: frozenset({Status.QUEUED, Status.IN_REVIEW, Status.REJECTED,
                                         Status.WITHDRAWN}),
    Status.QUARANTINED: frozenset({Status.QUEUED, Status.TRIAGE, Status.REJECTED,
                                   Status.WITHDRAWN}),
    Status.ACCEPTED: frozenset({Status.WITHDRAWN}),
    Status.REJECTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.IGNORED: frozenset(),
}
# What an editor can still work on: everything not decided and not automatic mail.
OPEN = (Status.TRIAGE, Status.QUEUED, Status.IN_REVIEW, Status.CHANGES_REQUESTED,
        Status.QUARANTINED)

# The way out of a status when the wanted step is not allowed from it.
_HINTS: dict[Status, str] = {
    Status.TRIAGE: "its kind is unsure: settle it first (intake reclassify {ref} KIND)",
    Status.QUEUED: "start reviewing it first (intake review {ref}, or intake assign {ref} "
                   "EDITOR)",
    Status.CHANGES_REQUESTED: "it waits for the author's revision; to go on without one, "
                              "intake review {ref}",
    Status.QUARANTINED: "it could not be processed ({reason}); fix the cause and run "
                        "intake retry {ref}, or reject it",
    Status.IGNORED: "it is automatic mail ({reason}), kept but not a submission",
}


@dataclass(frozen=True)
class DecisionType:
    status: Status
    done: str  # "accepted": how the history and the editor's terminal say it
    template: str  # the default template; TEMPLATE_KIND is preferred when it exists


DECISIONS: dict[str, DecisionType] = {
    "accept": DecisionType(Status.ACCEPTED, "accepted", "accepted"),
    "reject": DecisionType(Status.REJECTED, "rejected", "rejected"),
    "request-changes": DecisionType(Status.CHANGES_REQUESTED, "sent back for changes",
                                    "changes_requested"),
    "withdraw": DecisionType(Status.WITHDRAWN, "withdrawn", "withdrawn"),
}


class WorkflowError(IntakeError):
    """A step that is not allowed, or that someone else's step overtook."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: a declared editor, or (with no editors declared) a plain name."""

    id: str
    name: str
    email: str = ""


def actor_for(settings: Settings, given: str | None) -> Actor:
    """--as, else $INTAKE_EDITOR, else the login name; must be a declared editor when
    [editors] lists any."""
    who = (given or os.environ.get("INTAKE_EDITOR") or getpass.getuser()).strip()
    if not settings.editors:
        return Actor(who, who)
    editor = find_editor(settings, who)
    if editor is None:
        source = ("--as" if given else "INTAKE_EDITOR" if os.environ.get("INTAKE_EDITOR")
                  else "your login name")
        raise WorkflowError(f"{who!r} ({source}) is not an editor in {settings.path}; the "
                            f"editors are {_editor_list(settings)} (use --as ID or set "
                            "INTAKE_EDITOR)")
    return Actor(editor.id, editor.name, editor.email)


def find_editor(settings: Settings, who: str) -> Editor | None:
    key = who.strip().lower()
    for editor in settings.editors:
        if key in (editor.id, editor.email.lower()):
            return editor
    return None


def _editor_list(settings: Settings) -> str:
    return ", ".join(e.id for e in settings.editors) or "(none declared)"


class NoSuchSubmission(WorkflowError):
    exit_code = ExitCode.NOT_FOUND


def find(ledger: Ledger, reference: str) -> Submission:
    """A submission by its reference, or by its number alone (7 for JPMS-2026-0007) when
    only one reference has that number."""
    sub = ledger.submission(reference)
    if sub is None and reference.strip().isdigit():
        found = ledger.submissions_numbered(int(reference))
        if len(found) > 1:
            raise NoSuchSubmission(f"{reference.strip()} is the number of "
                                   f"{', '.join(s.reference for s in found)}: give one whole")
        sub = found[0] if found else None
    if sub is None:
        raise NoSuchSubmission(f"no submission {reference!r} (see intake queue --status all)")
    return sub


def check_step(sub: Submission, after: Status, doing: str) -> None:
    """Refuse a transition that is not in TRANSITIONS, saying why and what is possible."""
    if after in TRANSITIONS[sub.status]:
        return
    possible = ", ".join(sorted(s.value for s in TRANSITIONS[sub.status])) or "nothing: final"
    hint = _HINTS.get(sub.status, "")
    hint = hint.format(ref=sub.reference, reason=sub.reason or "no reason recorded")
    raise WorkflowError(f"{sub.reference} is {sub.status.value}: it cannot be {doing} "
                        f"(from {sub.status.value} it can become {possible})"
                        + (f"; {hint}" if hint else ""))


def move(ledger: Ledger, settings: Settings, sub: Submission, after: Status, actor: Actor,
         **values: object) -> None:
    """Change the status inside the caller's transaction, if nobody changed it since sub
    was read; records the change and mirrors it in the draft's front matter."""
    if not ledger.change_status(sub.id, sub.status, after, **values):
        raise overtaken(ledger, sub)
    ledger.add_event(EventName.STATUS_CHANGED, submission_id=sub.id, actor=actor.id,
                     before=sub.status.value, after=after.value)
    # One rewrite of the front matter, with the assignee when that changed too.
    mirror(settings, sub, status=after.value,
           **{k: values[k] for k in ("assignee",) if k in values})


def overtaken(ledger: Ledger, sub: Submission) -> WorkflowError:
    """The error for a step someone else's step got to first."""
    now = find(ledger, sub.reference)
    last = ledger.last_event(sub.id, EventName.STATUS_CHANGED)
    by = f" by {last.actor} at {last.at}" if last and last.detail.get("after") == \
        now.status.value else ""
    return WorkflowError(f"{sub.reference} became {now.status.value}{by} while you were "
                         "deciding: nothing of yours was recorded and no email was queued "
                         f"(intake show {sub.reference})")


def mirror(settings: Settings, sub: Submission, **changes: object) -> None:
    """Keep the draft's front matter in step with the ledger (the ledger is the truth)."""
    if not sub.draft_dir:
        return
    draft = settings.data_dir / sub.draft_dir / "draft.md"
    if draft.is_file():
        update_front_matter(draft, **changes)


def assign(ledger: Ledger, settings: Settings, reference: str, editor_id: str,
           actor: Actor) -> Submission:
    """Give a submission to an editor ("none": to nobody). A queued one goes into review;
    one in review given to nobody goes back to the queue."""
    sub = find(ledger, reference)
    if sub.status not in OPEN:
        raise WorkflowError(f"{sub.reference} is {sub.status.value}: there is nothing left to "
                            "assign")
    if editor_id.lower() == "none":
        assignee = None
    elif settings.editors:
        editor = find_editor(settings, editor_id)
        if editor is None:
            raise WorkflowError(f"{editor_id!r} is not an editor in {settings.path}; the "
                                f"editors are {_editor_list(settings)}")
        assignee = editor.id
    else:
        assignee = editor_id.strip()
    after = sub.status
    if assignee and sub.status is Status.QUEUED:
        after = Status.IN_REVIEW
    elif assignee is None and sub.status is Status.IN_REVIEW:
        after = Status.QUEUED
    with ledger.transaction():
        if after is not sub.status:
            move(ledger, settings, sub, after, actor, assignee=assignee)
        elif ledger.change_status(sub.id, sub.status, sub.status, assignee=assignee):
            mirror(settings, sub, assignee=assignee)
        else:
            raise overtaken(ledger, sub)
        ledger.add_event(EventName.ASSIGNED if assignee else EventName.UNASSIGNED,
                         submission_id=sub.id, actor=actor.id, to=assignee,
                         before=sub.assignee)
    return find(ledger, reference)


def start_review(ledger: Ledger, settings: Settings, reference: str,
                 actor: Actor) -> Submission:
    """Take a submission into review; it is assigned to the actor unless someone has it."""
    sub = find(ledger, reference)
    if sub.status is Status.IN_REVIEW:
        raise WorkflowError(f"{sub.reference} is already in review"
                            + (f" with {sub.assignee}" if sub.assignee else ""))
    check_step(sub, Status.IN_REVIEW, "taken into review")
    assignee = sub.assignee or actor.id
    with ledger.transaction():
        move(ledger, settings, sub, Status.IN_REVIEW, actor, assignee=assignee)
        if assignee != sub.assignee:
            ledger.add_event(EventName.ASSIGNED, submission_id=sub.id, actor=actor.id, to=assignee,
                             before=sub.assignee)
    return find(ledger, reference)


def add_note(ledger: Ledger, reference: str, text: str, actor: Actor) -> Submission:
    sub = find(ledger, reference)
    if not text.strip():
        raise WorkflowError("an empty note says nothing: give the text to keep")
    with ledger.transaction():
        ledger.add_event(EventName.NOTED, submission_id=sub.id, actor=actor.id, text=text.strip())
    return sub


def reclassify(ledger: Ledger, settings: Settings, reference: str, kind: str,
               actor: Actor) -> Submission:
    """Correct a submission's kind; one in triage joins the queue."""
    sub = find(ledger, reference)
    kinds = [k.name for k in settings.kinds]
    if kind not in kinds:
        raise WorkflowError(f"unknown kind {kind!r}: the kinds in {settings.path} are "
                            f"{', '.join(kinds)}")
    if sub.status is Status.IGNORED:
        raise WorkflowError(f"{sub.reference} was ignored as automatic mail ({sub.reason}) "
                            "and has no draft to reclassify")
    earlier = sub.classification or Classification(kind, 0, ())
    classification = replace(earlier, kind=kind, sure=True, corrected_by=actor.id)
    with ledger.transaction():
        if sub.status is Status.TRIAGE:
            move(ledger, settings, sub, Status.QUEUED, actor, kind=kind,
                 classification=classification)
        elif not ledger.change_status(sub.id, sub.status, sub.status, kind=kind,
                                      classification=classification):
            raise overtaken(ledger, sub)
        ledger.add_event(EventName.RECLASSIFIED, submission_id=sub.id, actor=actor.id,
                         before=sub.kind, after=kind)
        # A labelled example for `intake model retrain`, with what triage read.
        corrections.keep(ledger, settings, sub, kind, actor.id)
        if sub.draft_dir:
            draft = settings.data_dir / sub.draft_dir / "draft.md"
            if draft.is_file():
                update_front_matter(draft, kind=kind, classification={
                    **read_front_matter(draft).get("classification", {}), "sure": True,
                    "corrected_by": actor.id})
    return find(ledger, reference)


def set_language(ledger: Ledger, settings: Settings, reference: str, language: str,
                 actor: Actor) -> Submission:
    """Correct the language its author is answered in, from the next email on."""
    sub = find(ledger, reference)
    if language not in settings.languages.offered:
        raise WorkflowError(f"{language!r} is not offered: the languages in {settings.path} "
                            f"are {', '.join(settings.languages.offered)}")
    with ledger.transaction():
        ledger.update_submission(sub.id, language=language)
        ledger.add_event(EventName.LANGUAGE_CHANGED, submission_id=sub.id, actor=actor.id,
                         before=sub.language, after=language)
    return find(ledger, reference)


def set_article_type(ledger: Ledger, settings: Settings, reference: str, article_type: str,
                     actor: Actor) -> Submission:
    """Correct a manuscript's article type ("none": not one of the types); the checks of
    its new type apply to its next version, and a type set so stays set."""
    from intake.medical.types import TYPES

    sub = find(ledger, reference)
    if article_type not in (*TYPES, "none"):
        raise WorkflowError(f"unknown article type {article_type!r}: the types are "
                            f"{', '.join(TYPES)}, or none")
    after = None if article_type == "none" else article_type
    with ledger.transaction():
        ledger.update_submission(sub.id, article_type=after)
        ledger.add_event(EventName.TYPE_CHANGED, submission_id=sub.id, actor=actor.id,
                         before=sub.article_type, after=after)
        if sub.draft_dir:
            draft = settings.data_dir / sub.draft_dir / "draft.md"
            if draft.is_file():
                update_front_matter(draft, article_type=after)
    return find(ledger, reference)
