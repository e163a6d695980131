"""A saved reply filled in for one submission, in the email templates' sandbox."""

from __future__ import annotations

from flask import flash

from intake.core.config import Settings
from intake.editors.workflow import Actor
from intake.ledger import Submission
from intake.mail.templates import Notices


def fill_saved(settings: Settings, sub: Submission, actor: Actor, text: str) -> str:
    """A saved reply with the template variables filled for this submission, in the same
    sandbox as the email templates; one that names an unknown variable is left as it is,
    with the problem said."""
    import jinja2

    from intake.editors.decisions import decision_context

    notices = Notices(settings)
    try:
        return notices.env.from_string(text).render(
            {"publication": settings.intake.publication,
             **decision_context(settings, sub, actor, "", None, "")})
    except jinja2.TemplateError as exc:
        flash(f"The saved reply has a problem ({exc}): it was inserted as written.", "error")
        return text
