"""The values that flow between stages: frozen, typed, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class MessageState(StrEnum):
    """Where one received message stands in the pipeline."""

    FETCHED = "fetched"  # raw bytes kept and recorded; not yet processed
    PROCESSED = "processed"
    IGNORED = "ignored"  # automatic mail: kept, never answered
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"  # the same bytes or Message-ID were taken before


class Status(StrEnum):
    """A submission's place in the editors' workflow (see CONTRACT.md)."""

    TRIAGE = "triage"  # the kind is unsure: an editor decides (intake reclassify)
    QUEUED = "queued"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    QUARANTINED = "quarantined"
    IGNORED = "ignored"


# What `intake queue` lists when no --status is given: what awaits editors.
AWAITING_EDITORS = (Status.TRIAGE, Status.QUEUED, Status.IN_REVIEW, Status.QUARANTINED)
# Decided by an editor: nothing an author sends changes it by itself.
DECIDED = (Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN)


class FileType(StrEnum):
    """What a file is, judged from its bytes."""

    DOCX = "docx"
    DOCM = "docm"  # macro-enabled Word
    ODT = "odt"
    OOXML = "ooxml"  # another Office Open XML package (xlsx, pptx)
    ZIP = "zip"
    PDF = "pdf"
    ENCRYPTED_OFFICE = "encrypted-office"  # password-protected OOXML, an OLE container
    OLE = "ole"  # legacy .doc / .xls / .msg
    RTF = "rtf"
    HTML = "html"
    TEXT = "text"
    PNG = "png"
    JPEG = "jpeg"
    GIF = "gif"
    WEBP = "webp"
    TIFF = "tiff"
    BMP = "bmp"
    EMF = "emf"
    WMF = "wmf"
    EMPTY = "empty"
    BINARY = "binary"

    @property
    def is_image(self) -> bool:
        return self in _IMAGES

    @property
    def is_document(self) -> bool:
        return self in _DOCUMENTS


_IMAGES = frozenset({FileType.PNG, FileType.JPEG, FileType.GIF, FileType.WEBP, FileType.TIFF,
                     FileType.BMP, FileType.EMF, FileType.WMF})
_DOCUMENTS = frozenset({FileType.DOCX, FileType.DOCM, FileType.ODT, FileType.PDF,
                        FileType.ENCRYPTED_OFFICE, FileType.OLE, FileType.RTF, FileType.HTML,
                        FileType.TEXT})


@dataclass(frozen=True)
class RawMessage:
    """A message exactly as a source delivered it."""

    source: str  # e.g. "file", "maildir", "mbox", "imap"
    origin: str  # where it came from: a path, "path#3", "INBOX;UID=42"
    data: bytes
    size: int = 0  # the size on the server, when only the headers were fetched (too large)


@dataclass(frozen=True)
class Attachment:
    filename: str  # safe: a plain basename, unique within the message
    original_name: str  # as the sender wrote it, for display only
    declared_type: str  # the MIME type the sender claimed
    file_type: FileType  # what the bytes are
    data: bytes
    inline: bool = False
    content_id: str = ""
    damaged: bool = False  # its transfer encoding was cut short or garbled


@dataclass(frozen=True)
class ParsedMessage:
    sender_name: str
    sender_email: str
    recipients: tuple[str, ...]  # To, Cc and Delivered-To addresses, lower-case
    subject: str
    date: datetime | None
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    text: str  # the plain-text body (or text recovered from HTML)
    html: str
    attachments: tuple[Attachment, ...]
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name → first value
    content_type: str = "text/plain"
    defects: tuple[str, ...] = ()
    forwarded_by: str = ""  # who forwarded it to us, when it came as an attachment
    reply_to_name: str = ""  # the Reply-To address, when it names exactly one
    reply_to_email: str = ""
    relayed_by: str = ""  # the web form or relay it came through; the author is Reply-To
    fingerprint: str = ""  # what the message says, for telling deliveries apart (identity.py)
    forwarded: bytes | None = None  # the message it only forwards, as an attachment
    html_only: bool = False  # no text/plain part: `text` was made from the HTML


@dataclass(frozen=True)
class Classification:
    kind: str
    score: int
    signals: tuple[str, ...]  # why, in words an editor can check
    sure: bool = True  # False: too weak or too close a call; an editor decides (triage)
    corrected_by: str = ""  # the editor who set the kind by hand (intake reclassify)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"kind": self.kind, "score": self.score,
                                 "signals": list(self.signals), "sure": self.sure}
        if self.corrected_by:
            found["corrected_by"] = self.corrected_by
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any], kind: str) -> Classification | None:
        """As the ledger keeps it; None for a submission never classified."""
        if not data:
            return None
        return cls(str(data.get("kind") or kind), int(data.get("score", 0)),
                   tuple(str(s) for s in data.get("signals", ())), bool(data.get("sure", True)),
                   str(data.get("corrected_by") or ""))


@dataclass(frozen=True)
class Asset:
    name: str  # file name under assets/
    data: bytes


@dataclass(frozen=True)
class Converted:
    """One document as Markdown, with what the conversion could not carry over."""

    markdown: str
    title: str | None = None
    assets: tuple[Asset, ...] = ()
    warnings: tuple[str, ...] = ()
    comments: tuple[dict[str, str], ...] = ()  # reviewers' comments: author, date, text
    equations: tuple[dict[str, str], ...] = ()  # each equation: its LaTeX and linear text
    # What the text and title tell triage (rules.features.document_features), when the
    # conversion worker has worked it out already; None: not yet.
    features: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SourceFile:
    """An attachment as the draft records it."""

    name: str
    role: str  # manuscript, attachment, image, kept
    file_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Draft:
    title: str
    markdown: str
    assets: tuple[Asset, ...]
    originals: tuple[Attachment, ...]
    source_files: tuple[SourceFile, ...]
    word_count: int  # the text's words, references left out (what guidelines count)
    warnings: tuple[str, ...]
    word_count_with_references: int = 0
    author_bio: str | None = None  # the label of the author's bio section, when found
    references: int = 0  # entries in the references section
    missing_manuscript: bool = False
    has_manuscript: bool = False  # a document, or a body long enough to be the article
    title_found: bool = False  # the manuscript carries its own title (not the subject's)
    links: int = 0  # links to web pages, references left out
    comments: tuple[dict[str, str], ...] = ()
    equations: tuple[dict[str, str], ...] = ()  # LaTeX in the text; here with linear text
    problem: str | None = None  # why the submission must be quarantined, for an editor
    advice: str | None = None  # what the author should send instead, when there is a problem
    for_author: tuple[str, ...] = ()  # guideline findings, in words for the author
    # The same, grouped for the acknowledgement (medical.review): (heading, lines).
    finding_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    article_type: str | None = None  # medical.types: case_report, original_article, …
    answer: str = ""  # a template a check chose instead of the acknowledgement
    privacy: tuple[dict[str, str], ...] = ()  # possible patient identifiers: what, where
