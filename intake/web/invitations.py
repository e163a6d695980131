"""Invitation and reset links, emailed at once from the desk (not through the outbox,
whose rows belong to submissions): the admin learns there and then whether the email
went, and is shown the link to pass on when it did not."""

from __future__ import annotations

from intake.core.config import Editor, Settings
from intake.ledger import OutboxItem, now_iso
from intake.mail.smtp import DeliveryError, TransportUnavailable, transport_for
from intake.mail.templates import Notices

TEMPLATES = {"invite": "desk_invite", "reset": "desk_reset"}


def send_link(settings: Settings, who: Editor, by: Editor, purpose: str, link: str,
              expires: str) -> str | None:
    """Email the link; None when the server took it, else what went wrong."""
    notices = Notices(settings)
    template = TEMPLATES[purpose]
    rendered = notices.render(template, {
        "editor_name": who.name, "editor_id": who.id, "invited_by": by.name, "link": link,
        "expires": f"{expires[:10]} {expires[11:16]} UTC"})
    email = notices.compose(rendered, to_name=who.name, to_email=who.email,
                            auto_submitted="auto-generated")
    stamp = now_iso()
    item = OutboxItem(id=0, submission_id=0,
                      purpose=f"{template}-{who.id}-{stamp[:19].replace(':', '')}",
                      template=template, recipient=who.email, subject=rendered.subject,
                      message_id=str(email["Message-ID"]), body=email.as_bytes(),
                      state="pending", attempts=0, last_error=None, next_attempt_at=stamp,
                      created_at=stamp, sent_at=None)
    try:
        with transport_for(settings) as transport:
            transport.send(item)
    except (DeliveryError, TransportUnavailable) as exc:
        return str(exc)
    return None
