"""Which attachment is the manuscript: the best-ranked document (Word first, then other
documents), preferring files not named like a CV. Its own module, with nothing to
import but the models: a conversion worker that reads a message ahead chooses it too
(intake.convert.worker)."""

from __future__ import annotations

import re

from intake.core.filenames import names_word
from intake.core.models import Attachment, FileType

_RANK = {FileType.DOCX: 0, FileType.ODT: 1, FileType.PDF: 2, FileType.RTF: 3, FileType.OLE: 4,
         FileType.DOCM: 5, FileType.ENCRYPTED_OFFICE: 5, FileType.HTML: 6, FileType.TEXT: 7}
CV_NAME = re.compile(r"(^|[^a-z])(cv|resume|résumé|curriculum|lebenslauf)([^a-z]|$)", re.I)


def _rank(att: Attachment) -> int | None:
    if att.file_type is FileType.ZIP and names_word(att.filename):
        return _RANK[FileType.DOCX]  # a damaged Word file is still the manuscript
    if att.inline and att.file_type in (FileType.HTML, FileType.TEXT):
        return None  # a body part with a name, not a document
    return _RANK.get(att.file_type)


def choose_manuscript(attachments: tuple[Attachment, ...]) -> Attachment | None:
    ranked = [(rank, a) for a in attachments if (rank := _rank(a)) is not None]
    if not ranked:
        return None
    return min(ranked, key=lambda ra: (ra[0], bool(CV_NAME.search(ra[1].filename)),
                                       -len(ra[1].data)))[1]
