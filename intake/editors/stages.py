"""Each kind's own road after intake ([kinds.NAME] stages): a sponsored article is
quoted, agreed, paid, its manuscript received, published; an application is
shortlisted, interviewed, offered, joined or declined.

A stage is the editors' record of where a submission stands on that road, beside its
review status: an editor moves it (any stage, in any order: roads have detours), each
move goes into its history, and a stage with a template (stage_quoted: the price;
stage_interview: the date and time) can email the author in their language, through
the outbox, once. Like a decision, a move is prepared first (its email rendered, for
the editor to read) and then committed in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message

from intake.core import languages
from intake.core.config import Settings
from intake.editors.decisions import decision_context, language_of, thread_of
from intake.editors.workflow import Actor, WorkflowError, find, overtaken
from intake.ledger import Ledger, Submission
from intake.ledger.events import EventName
from intake.mail.templates import Notices, Rendered


def stages_of(settings: Settings, sub: Submission) -> tuple[str, ...]:
    try:
        return settings.kind(sub.kind).stages
    except KeyError:  # a kind since removed from the settings
        return ()


def stage_of(settings: Settings, sub: Submission) -> str | None:
    """Where it stands: the stage set, else its road's first; None: a kind with no road."""
    stages = stages_of(settings, sub)
    return sub.stage or (stages[0] if stages else None)


def template_for(stage: str) -> str:
    return "stage_" + stage.replace(" ", "_")


@dataclass(frozen=True)
class PreparedStage:
    sub: Submission
    stage: str
    actor: Actor
    message: str
    when: str  # the interview's date and time, as the author reads it ("" if none)
    price: str
    template: str | None  # None: moved without an email
    rendered: Rendered | None
    email: Message | None


def parse_when(text: str) -> datetime:
    """"2026-12-10 14:00" (UTC unless an offset is given), for an interview."""
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise WorkflowError(f"{text!r} is not a date and time: write it as "
                            "2026-12-10 14:00 (UTC), or with an offset, 2026-12-10 "
                            "14:00+01:00") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def prepare_stage(ledger: Ledger, settings: Settings, notices: Notices, reference: str,
                  stage: str, actor: Actor, *, message: str = "", when: str = "",
                  price: str = "", send_email: bool = False) -> PreparedStage:
    """Check the move and render its email; changes nothing."""
    sub = find(ledger, reference)
    stages = stages_of(settings, sub)
    if not stages:
        raise WorkflowError(f"{sub.reference} is a {sub.kind.replace('_', ' ')}, whose kind "
                            f"has no stages ([kinds.{sub.kind}] stages in {settings.path})")
    if stage not in stages:
        raise WorkflowError(f"no stage {stage!r} for a {sub.kind.replace('_', ' ')}: its "
                            f"stages are {', '.join(stages)}")
    moment = parse_when(when) if when.strip() else None
    language = language_of(settings, sub)
    template = template_for(stage) if send_email else None
    if template is not None:
        if not notices.has(template):
            raise WorkflowError(f"no email for the stage {stage!r} (a template {template} "
                                "would be one): move it without an email, or reply to the "
                                "author")
        if template == "stage_quoted" and not price.strip():
            raise WorkflowError("a quote needs its price: --price \"€400\"")
        if template == "stage_interview" and moment is None:
            raise WorkflowError("an interview needs its date and time: --when \"2026-12-10 "
                                "14:00\"")
        if not sub.author_email or "@" not in sub.author_email:
            raise WorkflowError(f"{sub.reference} has no author address to write to")
        language = notices.language_of(template, language)  # English if not translated
    said_when = languages.when(moment, language) if moment is not None else ""
    if template is None:
        return PreparedStage(sub, stage, actor, message.strip(), said_when, price.strip(),
                             None, None, None)
    context = {**decision_context(settings, sub, actor, message.strip(), None, ""),
               "stage": stage, "when": said_when, "price": price.strip(),
               "language": language}
    rendered = notices.render(template, context)
    in_reply_to, references = thread_of(ledger, sub)
    email = notices.compose(rendered, to_name=sub.author_name, to_email=sub.author_email,
                            in_reply_to=in_reply_to, references=references,
                            reference=sub.reference, auto_submitted=None)
    return PreparedStage(sub, stage, actor, message.strip(), said_when, price.strip(),
                         template, rendered, email)


def commit_stage(ledger: Ledger, prepared: PreparedStage) -> Submission:
    """Record the move and queue its email, if the submission is as it was prepared."""
    sub = prepared.sub
    with ledger.transaction():
        if find(ledger, sub.reference).version != sub.version:
            raise overtaken(ledger, sub)
        ledger.update_submission(sub.id, stage=prepared.stage)
        number = ledger.count_events(sub.id, EventName.STAGE_CHANGED) + 1
        ledger.add_event(EventName.STAGE_CHANGED, submission_id=sub.id,
                         actor=prepared.actor.id, before=sub.stage, after=prepared.stage,
                         when=prepared.when or None, price=prepared.price or None,
                         message=prepared.message or None,
                         email=prepared.email is not None)
        if prepared.email is not None and prepared.rendered is not None:
            ledger.add_outbox(
                submission_id=sub.id, purpose=f"stage-{number}-{prepared.template}",
                template=prepared.template or "", recipient=sub.author_email,
                subject=prepared.rendered.subject,
                message_id=str(prepared.email["Message-ID"]), body=prepared.email.as_bytes())
            ledger.add_event(EventName.EMAIL_QUEUED, submission_id=sub.id,
                             actor=prepared.actor.id, template=prepared.template,
                             to=sub.author_email)
    return find(ledger, sub.reference)
