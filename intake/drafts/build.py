"""A parsed message and its documents → the draft editors review.

The rule for the manuscript: the best-ranked document attachment (Word first,
then other documents), preferring files not named like a CV; without one, a body
of at least [drafts] min_body_words words. Nothing is dropped: every attachment
is kept under original/ and listed with the role it was given.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from intake.convert import ConversionError, is_convertible
from intake.convert.htmldoc import html_to_markdown
from intake.convert.isolated import clean_isolated, convert_isolated
from intake.convert.jobs import Limits
from intake.convert.markdown import count_words, escape, from_plain_text, tidy
from intake.core.config import DraftsSection, KindRule
from intake.core.models import (
    Asset,
    Attachment,
    Converted,
    Draft,
    FileType,
    ParsedMessage,
    SourceFile,
)
from intake.drafts.manuscript import CV_NAME, choose_manuscript
from intake.drafts.sections import BIO_LABEL, REFERENCES_LABEL, find_sections

COVER_NAME = re.compile(r"cover[ _-]?letter|motivation|covering", re.I)
_HEADSHOT_NAME = re.compile(
    r"head[ _-]?shot|portrait|profile|author[ _-]?photo|photo[ _-]?of[ _-]?me", re.I)
_HEADING = re.compile(r"^#{1,6} +(.+)$")
MAX_BODY_HTML = 2 * 1024 * 1024  # characters of a mail's HTML made into a draft
# Headings that name a part of an article, not the article.
_SECTION_NAMES = re.compile(r"^(introduction|abstract|background|summary|contents|"
                            r"table of contents|conclusions?|methods|results|discussion)$", re.I)


@dataclass(frozen=True)
class Manuscript:
    """The manuscript as read: what its conversion gave, or why it gave nothing."""

    attachment: Attachment | None
    converted: Converted = field(default_factory=lambda: Converted(markdown=""))
    problem: str | None = None
    advice: str | None = None


def conversion_limits(settings: DraftsSection) -> Limits:
    return Limits(settings.convert_seconds, settings.convert_memory_mb)


def read_manuscript(msg: ParsedMessage, settings: DraftsSection) -> Manuscript:
    """Convert the message's manuscript (in an isolated worker): before its kind is
    decided, since what the document says is the best sign of what the message is."""
    manuscript = choose_manuscript(msg.attachments)
    if manuscript is None:
        return Manuscript(None)
    limits = conversion_limits(settings)
    problem: str | None
    advice: str | None = None
    try:
        converted = convert_isolated(
            manuscript.filename, manuscript.data, manuscript.file_type, limits)
        problem = _nothing_read(manuscript, converted)
    except ConversionError as exc:
        problem, advice = exc.reason, exc.advice
        converted = Converted(markdown="")
    if problem and not advice:
        advice = _SEND_AGAIN
    return Manuscript(manuscript, converted, problem, advice)


def build_draft(msg: ParsedMessage, rule: KindRule, settings: DraftsSection,
                document: Manuscript | None = None) -> Draft:
    """document: the manuscript as read_manuscript read it, when it was (the pipeline
    reads it before deciding the kind); read here otherwise."""
    manuscript = choose_manuscript(msg.attachments)
    warnings: list[str] = []
    if msg.relayed_by:
        warnings.append(f"Sent through {msg.relayed_by} (a web form or relay): the author is "
                        f"taken from Reply-To, {msg.sender_email}, who is the one answered.")
    if msg.forwarded_by:
        warnings.append(f"Forwarded by {msg.forwarded_by}: the author is taken to be "
                        f"{msg.sender_email}, who sent the original and is the one answered.")
    assets: list[Asset] = []
    problem: str | None = None
    advice: str | None = None
    markdown = ""
    title: str | None = None
    comments: tuple[dict[str, str], ...] = ()
    equations: tuple[dict[str, str], ...] = ()

    limits = conversion_limits(settings)
    read = document if document is not None else read_manuscript(msg, settings)
    if manuscript is not None:
        converted, problem, advice = read.converted, read.problem, read.advice
        markdown = converted.markdown
        title = converted.title
        comments = converted.comments
        equations = converted.equations
        assets.extend(converted.assets)
        warnings.extend(converted.warnings)
        if not is_convertible(manuscript.file_type) and msg.text.strip():
            markdown = _body_markdown(msg)  # the body is better than nothing to read

    body_words = count_words(msg.text)
    missing = False
    if manuscript is None:
        markdown = _body_markdown(msg)
        shared = shared_links(f"{msg.text}\n{msg.html}")
        if shared:
            warnings.append("The manuscript seems to be shared as a link, which intake never "
                            "opens: " + ", ".join(shared[:5]) + ". Open it yourself, or ask "
                            "the author for the file.")
            advice = ("We do not open shared links (Google Docs, OneDrive, Dropbox…): "
                      "please attach the file itself, as a .docx or a PDF.")
        if rule.needs_manuscript and body_words < settings.min_body_words:
            missing = True
            warnings.append(f"No manuscript: nothing is attached and the message has only "
                            f"{body_words} words; the author was asked to send it.")
        elif rule.needs_manuscript:
            warnings.append("No file was attached: the message body was taken as the "
                            "manuscript.")

    taken_assets = {a.name.lower() for a in assets}
    attached: list[Asset] = []  # images beside the manuscript, not yet cleaned
    sources: list[SourceFile] = []
    images: list[str] = []
    for att in msg.attachments:
        if att is manuscript:
            role = "manuscript"
        elif att.file_type.is_document and CV_NAME.search(att.filename):
            role = "cv"
        elif att.file_type.is_document and COVER_NAME.search(att.filename):
            role = "cover letter"
        elif att.file_type.is_image and not att.inline:
            role = "headshot" if _HEADSHOT_NAME.search(att.filename) else "image"
            name = att.filename
            while name.lower() in taken_assets:
                name = "attached-" + name
            taken_assets.add(name.lower())
            attached.append(Asset(name=name, data=att.data))
            images.append(f"![{escape(att.filename)}](assets/{name})")
        elif att.inline and att.file_type.is_image:
            role = "inline image"
        else:
            role = "attachment"
            if att.file_type.is_document:
                warnings.append(f"{att.filename} was attached too; it is kept in original/ "
                                "and was not converted.")
        if role in ("cv", "cover letter"):
            warnings.append(f"{att.filename} was taken as the {'CV' if role == 'cv' else role}; "
                            "it is kept in original/.")
        if att.file_type.value != _expected_type(att.filename) and _expected_type(att.filename):
            warnings.append(f"{att.filename} is named like a {_expected_type(att.filename)} "
                            f"file but is really {att.file_type.value}.")
        sources.append(SourceFile(name=att.filename, role=role, file_type=att.file_type.value,
                                  size=len(att.data),
                                  sha256=hashlib.sha256(att.data).hexdigest()))
    if images:
        markdown = markdown.rstrip("\n") + "\n\n## Images attached to the email\n\n" + \
            "\n\n".join(images) + "\n"
    if problem:
        warnings.insert(0, f"The manuscript could not be converted: {problem}.")

    markdown, cleaned, notes = clean_isolated(markdown, tuple(attached), limits)
    assets.extend(cleaned)
    warnings.extend(notes)
    markdown = tidy(markdown)
    sections = find_sections(markdown)
    title, title_found = _title(title, markdown, msg.subject, manuscript,
                                html_body=manuscript is None and msg.html_only)
    return Draft(
        title=title,
        markdown=markdown,
        assets=tuple(assets),
        originals=msg.attachments,
        source_files=tuple(sources),
        word_count=0 if missing else sections.words,
        word_count_with_references=0 if missing else sections.words_with_references,
        author_bio=sections.author_bio,
        references=sections.references,
        warnings=tuple(warnings),
        missing_manuscript=missing,
        has_manuscript=manuscript is not None or (rule.needs_manuscript and not missing),
        title_found=title_found,
        links=sections.links,
        problem=problem,
        advice=advice,
        comments=comments,
        equations=equations,
    )


# A document that gives fewer words than this, and no image, gave nothing to review.
MIN_DOCUMENT_WORDS = 5
_DOCUMENT_FORMATS = frozenset({FileType.DOCX, FileType.ZIP, FileType.ODT, FileType.PDF,
                               FileType.RTF, FileType.OLE})
_SEND_AGAIN = ("Please send the article again as an ordinary .docx file or a PDF with its "
               "text (not a scan).")


# Where people share a document instead of attaching it.
_SHARED = re.compile(
    r"https?://(?:docs\.google\.com/(?:document|file|presentation)/[^\s<>\"')\]]{1,300}|"
    r"drive\.google\.com/[^\s<>\"')\]]{1,300}|(?:[\w-]+\.)?sharepoint\.com/[^\s<>\"')\]]"
    r"{1,300}|onedrive\.live\.com/[^\s<>\"')\]]{1,300}|1drv\.ms/[^\s<>\"')\]]{1,300}|"
    r"(?:www\.)?dropbox\.com/[^\s<>\"')\]]{1,300}|(?:www\.)?icloud\.com/(?:pages|iclouddrive)/"
    r"[^\s<>\"')\]]{1,300}|(?:app\.)?box\.com/s/[^\s<>\"')\]]{1,300}|"
    r"(?:www\.)?wetransfer\.com/[^\s<>\"')\]]{1,300}|we\.tl/[^\s<>\"')\]]{1,300})",
    re.IGNORECASE)


def shared_links(text: str) -> list[str]:
    """Links to a shared document in a message, in order, each once."""
    return list(dict.fromkeys(m.group(0) for m in _SHARED.finditer(text[:200_000])))


def _nothing_read(manuscript: Attachment, converted: Converted) -> str | None:
    """Why a converted manuscript cannot stand as the draft: it arrived cut short, or
    yielded (almost) nothing. Either is a problem for the editor and the author, never
    a silent success."""
    if manuscript.damaged:
        return (f"{manuscript.filename} arrived incomplete (its encoding in the email was "
                "cut short or garbled)")
    words = count_words(converted.markdown)
    if manuscript.file_type in _DOCUMENT_FORMATS and is_convertible(manuscript.file_type) \
            and words < MIN_DOCUMENT_WORDS and not converted.assets:
        return (f"{manuscript.filename} gave only {words} word(s): nothing of the article "
                "could be read from it")
    return None


def _body_markdown(msg: ParsedMessage) -> str:
    """The message's body as the draft: its HTML converted as an HTML attachment is
    (headings, lists, links) when it has no plain text, else the text shown as written."""
    if msg.html_only:
        return tidy(html_to_markdown(msg.html[:MAX_BODY_HTML])[0])
    return tidy(from_plain_text(msg.text))


def _title(found: str | None, markdown: str, subject: str,
           manuscript: Attachment | None, html_body: bool = False) -> tuple[str, bool]:
    """The title, and whether the manuscript gave it (rather than the email's subject).
    html_body: the article was written in the mail's HTML, whose first heading is its
    title as a document's is."""
    # A CV's title and headings are a name and "Education": the subject says more.
    from_document = html_body or (manuscript is not None and
                                  not CV_NAME.search(manuscript.filename))
    if found and from_document:
        return found, True
    # A title opens the document: a heading further down is a section's.
    first = markdown.lstrip().split("\n", 1)[0]
    heading = _HEADING.match(first) if from_document else None
    if heading:
        text = re.sub(r"\\(.)", r"\1", heading.group(1)).strip("*_ ")
        if not _SECTION_NAMES.match(text) and not REFERENCES_LABEL.match(text) \
                and not BIO_LABEL.match(text):
            return text, True
    subject = re.sub(r"^\s*((re|fwd?|aw|tr|sv)\s*:\s*)+", "", subject, flags=re.I).strip()
    subject = re.sub(r"^\s*\[[A-Z0-9]{2,10}-\d{4}-\d{4,}\]\s*", "", subject)
    return subject or "(untitled)", False


_EXTENSIONS = {".docx": "docx", ".docm": "docm", ".pdf": "pdf", ".odt": "odt", ".rtf": "rtf",
               ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif"}


def _expected_type(filename: str) -> str:
    dot = filename.rfind(".")
    return _EXTENSIONS.get(filename[dot:].lower(), "") if dot >= 0 else ""
