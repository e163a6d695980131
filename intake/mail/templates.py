"""Jinja2 templates → the emails authors receive.

Templates are files editors may change, so they run in Jinja2's immutable
sandbox with StrictUndefined (a misspelt variable is an error, not a blank), and
HTML is autoescaped while plain text is not.

An author is answered in their language (the context's `language`): a template in
templates/LANG/ when all three of its parts are there, the English one (templates/)
otherwise. A translated template's includes and parents are looked up in its own
folder first, so a French acknowledgement is French throughout; numbers are written
as the language writes them (`thousands`).
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from email import charset as _charsets
from email import encoders
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import SMTPUTF8, Compat32
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from intake.core import languages
from intake.core.config import Settings, sender_address
from intake.core.errors import SettingsError
from intake.rules.automatic import LOOP_HEADER

PARTS = ("subject.txt", "txt", "html")
# The emails an author reads: each is shipped in every language of core.languages.NAMES
# (templates/LANG/); the editors', judges' and readers' emails are in English.
AUTHOR_TEMPLATES = (
    "received", "received_guest_post", "received_sponsored", "received_application",
    "received_contest", "received_other", "missing_manuscript", "unreadable_file",
    "revision_received", "accepted", "accepted_application", "changes_requested",
    "rejected", "rejected_application", "withdrawn", "reply", "contest_closed",
    "contest_not_open", "contest_over_limit", "contest_result", "stage_quoted",
    "stage_interview", "refused_link_buying")

# What every template may use, with believable values: for `intake doctor` and for
# whoever edits the templates (`intake preview TEMPLATE --sample NAME`).
SAMPLE_CONTEXT: dict[str, Any] = {
    "reference": "JPMS-2026-0042", "kind": "guest_post", "kind_label": "Guest post",
    "author_name": "Ana Lima", "author_email": "ana.lima@uni.example.org",
    "subject": "Guest post: Sleep on night shifts", "title": "Sleep on night shifts",
    "word_count": 1480,
    "files": [{"name": "Sleep on night shifts.docx", "role": "manuscript", "type": "docx",
               "size": 48213},
              {"name": "headshot.jpg", "role": "headshot", "type": "jpeg", "size": 120455}],
    "problem": "", "advice": "", "findings": [], "finding_groups": [], "response_days": 14,
    "revision": 1,
    # Decisions: the editor's own words, a rejection reason, who signs.
    "message": "", "reason": "", "reason_text": "", "editor_name": "Ben Okafor",
    "greets": False, "signs": False,  # the editor's words greet, sign off, themselves
    # An editor's notification: what happened, and a link to the desk when it has one.
    "event": "new", "detail": "", "link": "",
    # Notifications past the run's limit, in one email.
    "items": [{"reference": "JPMS-2026-0042", "event": "new", "kind_label": "Guest post",
               "title": "Sleep on night shifts", "author_name": "Ana Lima",
               "author_email": "ana.lima@uni.example.org", "revision": 1}],
    "limit": 3,
    # The desk's invitation and reset links.
    "editor_id": "ben", "invited_by": "Ana Lima",
    "expires": "2026-11-24 09:30 UTC",
    # The editors' digest.
    "since": "2026-11-22 07:00", "total": 1,
    "sections": [{"title": "Waiting on you", "items": [
        {"reference": "JPMS-2026-0042", "title": "Sleep on night shifts",
         "kind_label": "Guest post", "author": "Ana Lima", "status": "in_review",
         "assignee": "ben", "age_days": 3, "reason": "", "warnings": 1}]}],
    # Contests: an entry's answers, the judges' and outside readers' emails, results.
    "contest": "", "contest_state": "open", "opens": "1 December 2026, 00:00 (UTC)",
    "closes": "31 January 2027, 23:59 (UTC)", "max_entries": 1, "award": "",
    "winners": [], "judge_name": "Dr Maya Patel",
    "judging_closes": "28 February 2027, 23:59 (UTC)", "entries": 4, "left": 2,
    "blind": False,
    # The language the author is answered in (core.languages.NAMES).
    "language": "en",
    # A kind's own road ([kinds.NAME] stages): the stage, a sponsored article's price, an
    # interview's date and time (in the author's language).
    "stage": "", "price": "€400", "when": "10 December 2026, 14:00 (UTC)",
    # A sponsored enquiry's acknowledgement with the rate card attached ([kinds] terms_file).
    "terms_attached": False,
}
# Named variations on it, one per situation a template has to handle.
SAMPLES: dict[str, dict[str, Any]] = {
    "guest_post": {},
    "case_report": {
        "title": "Jaundice after a long journey: a case report", "word_count": 1480,
        "findings": ["Please add a statement that the patient (or their next of kin) gave "
                     "informed consent to publication, or say why consent could not be "
                     "obtained.", "Reference 5 is in the list but never cited in the text."],
        "finding_groups": [
            {"title": "Statements to add", "items": [
                "Please add a statement that the patient (or their next of kin) gave "
                "informed consent to publication, or say why consent could not be "
                "obtained."]},
            {"title": "References", "items": [
                "Reference 5 is in the list but never cited in the text."]}]},
    "long_article": {
        "word_count": 4180,
        "findings": ["Your article is 4,180 words; guest posts are 800-2,500 words. You can "
                     "reply to this email with a shorter version.",
                     "We could not find a short author bio. Please reply with two or three "
                     "sentences about yourself (a heading \"About the author\" helps us find "
                     "it)."]},
    "revision": {"revision": 2, "subject": "Re: [JPMS-2026-0042] Guest post received",
                 "files": [{"name": "Sleep on night shifts v2.docx", "role": "manuscript",
                            "type": "docx", "size": 50122}]},
    "sponsored": {"kind": "sponsored", "kind_label": "Sponsored article",
                  "author_name": "Claire Dubois", "title": "Paid article opportunity",
                  "subject": "Paid article opportunity", "files": [], "word_count": 0},
    "application": {"kind": "application", "kind_label": "Application to join",
                    "author_name": "Priya Raman", "response_days": 21,
                    "title": "Application to join the team as an editor",
                    "files": [{"name": "Priya Raman CV.pdf", "role": "cv", "type": "pdf",
                               "size": 80211},
                              {"name": "Cover letter.docx", "role": "cover letter",
                               "type": "docx", "size": 20480}]},
    "contest": {"kind": "contest", "kind_label": "Contest entry", "response_days": 30,
                "title": "The patient who taught me to listen",
                "contest": "JPMS International Medical Writing Contest 2026",
                "link": "https://desk.example.org/j/b7Yc2kQ9Xf1R0pLm8sTuVw3Z",
                "winners": ["The patient who taught me to listen"]},
    "contest_winner": {"kind": "contest", "kind_label": "Contest entry",
                       "title": "The patient who taught me to listen", "award": "winner",
                       "contest": "JPMS International Medical Writing Contest 2026"},
    "unsure": {"kind": "", "kind_label": "submission", "response_days": 7},
    "missing_manuscript": {"files": [], "word_count": 0,
                           "title": "AI in radiology, a student's view"},
    "unreadable": {"problem": "the Word file is password-protected",
                   "advice": "Please send it again without a password.", "word_count": 0},
    "decision_note": {"message": "Thank you for a vivid piece. Please shorten the second "
                                 "section and add two references for the statistics in it."},
    "rejected_with_reason": {"reason": "out_of_scope",
                             "reason_text": "Our blog publishes writing by and for medical "
                                            "students, and this piece falls outside that "
                                            "scope.",
                             "message": "We enjoyed your writing and hope to see more."},
}


def sample(name: str) -> dict[str, Any]:
    return {**SAMPLE_CONTEXT, **SAMPLES[name]}


def sample_for(template: str) -> str:
    """The sample that shows a template at its most typical."""
    for key, name in (("rejected", "rejected_with_reason"), ("accepted", "decision_note"),
                      ("changes", "decision_note"), ("withdrawn", "decision_note"),
                      ("revision", "revision"), ("missing", "missing_manuscript"),
                      ("unreadable", "unreadable"), ("sponsored", "sponsored"),
                      ("application", "application"), ("contest", "contest"),
                      ("judge", "contest"), ("reader", "contest")):
        if key in template:
            return name
    return "guest_post"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MAX_SUBJECT = 200
MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}>")  # printable ASCII, no < > or spaces


def bundled_templates() -> Path:
    """templates/ of a checkout, or the copy a wheel carries inside the package."""
    packaged = Path(str(resources.files("intake"))) / "_templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def templates_dir(settings: Settings) -> Path:
    return settings.intake.templates_dir or bundled_templates()


def clean_header_text(value: str, limit: int = _MAX_SUBJECT) -> str:
    """One safe header line from untrusted text: no control characters, no line breaks,
    and no RFC 2047 encoded word: the email package decodes one when it writes the
    header, line breaks and all (CVE-2024-6923, fixed only in Python 3.11.10)."""
    text = " ".join(_CONTROL.sub(" ", value).split()).replace("=?", "= ?")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Notices:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = folder = templates_dir(settings)
        if not folder.is_dir():
            raise SettingsError(f"{settings.path}: [intake] templates_dir {folder} is not a "
                                "folder")
        self._envs: dict[str, ImmutableSandboxedEnvironment] = {}
        self.env = self._env("en")
        # Listed once: a run asks for every acknowledgement, and the folder does not change.
        self.available = frozenset(self.env.list_templates())

    def _env(self, language: str) -> ImmutableSandboxedEnvironment:
        """The templates as a language sees them: its own folder first, then English."""
        if language not in self._envs:
            root = jinja2.FileSystemLoader(self.folder)
            loader: jinja2.BaseLoader = root if language == "en" else jinja2.ChoiceLoader(
                [jinja2.FileSystemLoader(self.folder / language), root])
            env = ImmutableSandboxedEnvironment(
                loader=loader,
                undefined=jinja2.StrictUndefined,
                autoescape=jinja2.select_autoescape(["html"], default_for_string=False,
                                                    default=False),
                keep_trailing_newline=True,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.filters["thousands"] = lambda n: languages.number(int(n), language)
            self._envs[language] = env
        return self._envs[language]

    def has(self, name: str) -> bool:
        return f"{name}.subject.txt" in self.available

    def names(self, language: str = "") -> list[str]:
        """Every complete template (subject, text and HTML present), in English or in
        one language's folder."""
        found, prefix = self.available, f"{language}/" if language else ""
        return sorted(n[len(prefix): -len(".subject.txt")] for n in found
                      if n.startswith(prefix) and n.endswith(".subject.txt")
                      and "/" not in n[len(prefix):] and not n[len(prefix):].startswith("_")
                      and {n.replace("subject.txt", p) for p in PARTS} <= found)

    def language_of(self, name: str, wanted: str) -> str:
        """The language name is written in for an author of `wanted`: theirs when all
        its parts are translated, else English."""
        if wanted != "en" and all(f"{wanted}/{name}.{part}" in self.available
                                  for part in PARTS):
            return wanted
        return "en"

    def render(self, name: str, context: dict[str, Any]) -> Rendered:
        language = self.language_of(name, str(context.get("language") or
                                              self.settings.languages.default))
        ctx = {"publication": self.settings.intake.publication, **_bounded(context),
               "language": language}
        env = self._env(language)
        try:
            subject, text, html = (env.get_template(f"{name}.{part}").render(ctx)
                                   for part in PARTS)
        except jinja2.TemplateNotFound as exc:
            raise SettingsError(f"template {exc.name} is missing from "
                                f"{templates_dir(self.settings)}") from exc
        except jinja2.TemplateError as exc:
            raise SettingsError(f"template {_where(exc, name)}: {exc.message or exc}") from exc
        return Rendered(clean_header_text(subject), text, html)

    def compose(self, rendered: Rendered, *, to_name: str, to_email: str,
                in_reply_to: str = "", references: tuple[str, ...] = (),
                reference: str = "", auto_submitted: str | None = "auto-replied",
                attachments: tuple[tuple[str, bytes], ...] = ()) -> Message:
        """An email in the thread of the author's message: an auto-reply (RFC 3834), a
        digest ("auto-generated"), or with None an editor's decision, which a person
        chose to send."""
        sender = sender_address(self.settings)
        msg: Message[str, str | Header]
        if to_email.isascii():
            msg = Message(policy=_WIRE)
            msg["MIME-Version"] = "1.0"
            msg["Content-Type"] = "multipart/alternative"
            msg["From"] = _address_line(sender.display_name, sender.addr_spec)
            msg["To"] = _address_line(clean_header_text(to_name, 100), to_email)
            reply_to = [_address_line(clean_header_text(name, 100), address)
                        for name, address in getaddresses([self.settings.smtp.reply_to or ""])
                        if "@" in address and address.isascii()
                        and not any(c.isspace() for c in address)]
            if reply_to:
                msg["Reply-To"] = ", ".join(reply_to)
            msg["Subject"] = _text_line(rendered.subject)
        else:
            # An address in UTF-8 (RFC 6531) can only be written as UTF-8: such an email
            # is sent only to a server that offers SMTPUTF8 (mail/smtp.py).
            msg = EmailMessage(policy=SMTPUTF8)
            msg["From"] = str(sender)
            msg["To"] = str(_address(to_name, to_email))
            if self.settings.smtp.reply_to:
                msg["Reply-To"] = self.settings.smtp.reply_to
            msg["Subject"] = rendered.subject
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = make_msgid(domain=sender.domain or None)
        if MESSAGE_ID.fullmatch(in_reply_to):
            msg["In-Reply-To"] = in_reply_to
            # The thread's latest ten ids are enough to keep it together; a hostile
            # References header must not make our reply huge.
            thread = [r for r in references if MESSAGE_ID.fullmatch(r)][-9:]
            msg["References"] = " ".join([*thread, in_reply_to])
        if auto_submitted:
            msg["Auto-Submitted"] = auto_submitted
        msg["X-Auto-Response-Suppress"] = "All"  # no out-of-office answers to us
        msg[LOOP_HEADER] = sender.addr_spec
        if reference:
            msg["X-Intake-Reference"] = _text_line(reference)
        if isinstance(msg, EmailMessage):
            msg.set_content(rendered.text)
            msg.add_alternative(rendered.html, subtype="html")
            for name, data in attachments:
                maintype, subtype = _mime(name).split("/", 1)
                msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        elif attachments:
            # multipart/mixed: the text and HTML as one alternative part, then the files.
            msg.replace_header("Content-Type", "multipart/mixed")
            body = MIMEMultipart("alternative", policy=_WIRE)
            body.attach(_text_part(rendered.text, "plain"))
            body.attach(_text_part(rendered.html, "html"))
            body.set_boundary(_boundary(rendered))
            msg.attach(body)
            for name, data in attachments:
                maintype, subtype = _mime(name).split("/", 1)
                part = MIMEBase(maintype, subtype, policy=_WIRE)
                part.set_payload(data)
                encoders.encode_base64(part)
                part.add_header("Content-Disposition", "attachment", filename=name)
                msg.attach(part)
            msg.set_boundary(_boundary(rendered))
        else:
            msg.attach(_text_part(rendered.text, "plain"))
            msg.attach(_text_part(rendered.html, "html"))
            msg.set_boundary(_boundary(rendered))
        return msg


# Most replies go to an ASCII address: they are built with the classic (compat32) email
# API, a third of the cost of EmailMessage's, whose header objects parse every value we
# set. The values are ours or cleaned (clean_header_text): nothing there needs parsing.
# A line of printable ASCII words, one space apart: what most of a reply's header values
# are, and what Header's folding (the costliest part of writing an email) leaves as it is
# when it fits on the line.
_PLAIN_LINE = re.compile(r"[!-~]+(?: [!-~]+)*")


class _Wire(Compat32):
    """compat32 on the wire (CRLF, 78 characters), writing a short plain line as it is,
    without the folding machinery that would give it back unchanged (a property test
    holds the two equal)."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (isinstance(value, str) and len(name) + 2 + len(value) <= 78
                and _PLAIN_LINE.fullmatch(value)):
            return f"{name}: {value}\r\n".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _Wire(linesep="\r\n", max_line_length=78)
_QP = _charsets.Charset("utf-8")
_QP.body_encoding = _charsets.QP  # readable in any client's source view, unlike base64


def _address_line(name: str, address: str) -> str:
    """Name <address>, the name quoted or RFC 2047-encoded as it needs."""
    return formataddr((name, address), charset="utf-8")


def _text_line(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _boundary(rendered: Rendered) -> str:
    """A boundary the parts cannot hold: "=_" never stands in quoted-printable, and the
    rest is random; checked against the text all the same. (Left to the generator, it is
    checked by a pattern compiled anew for each email.)"""
    while True:
        boundary = f"=_intake_{secrets.token_hex(16)}"
        if boundary not in rendered.text and boundary not in rendered.html:
            return boundary


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _text_part(body: str, subtype: str) -> Message:
    part = MIMENonMultipart("text", subtype)
    plain = body.isascii() and all(len(line) <= 78 for line in body.splitlines())
    part.set_payload(body, "us-ascii" if plain else _QP)  # us-ascii: 7bit, as written
    return part


def _where(exc: jinja2.TemplateError, name: str) -> str:
    """file:line of a template error; Jinja puts template frames in the traceback."""
    filename, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if not filename:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if Path(frame.filename).name.startswith(name + "."):
                filename, line = frame.filename, frame.lineno
                break
    return f"{Path(filename).name}:{line}" if filename and line else name


def _address(name: str, email: str) -> Address:
    user, _, domain = email.partition("@")
    return Address(display_name=clean_header_text(name, 100), username=user, domain=domain)




# What an email may repeat of text that came from a stranger (a subject, a title, a name,
# a file name): enough to recognise it, never enough to turn an acknowledgement into a
# copy of a 4 MB subject. An editor's own words (message) are theirs, and kept whole.
MAX_REPEATED_CHARS = 300
_WHOLE = frozenset({"message"})


def _bounded(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        if key in _WHOLE or len(value) <= MAX_REPEATED_CHARS:
            return value
        return value[:MAX_REPEATED_CHARS - 1].rstrip() + "…"
    if isinstance(value, dict):
        return {k: _bounded(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bounded(v, key) for v in value]
    return value
