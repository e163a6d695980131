"""Documents → Markdown. One entry point, chosen by what the bytes are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intake.convert.legacy import antiword_available, unrtf_available
from intake.convert.safety import ConversionError
from intake.core.models import FileType

if TYPE_CHECKING:
    from intake.core.models import Converted

__all__ = ["ConversionError", "convert_document", "is_convertible"]


def is_convertible(file_type: FileType) -> bool:
    return file_type in {FileType.DOCX, FileType.ODT, FileType.PDF, FileType.TEXT,
                         FileType.HTML} or (file_type is FileType.OLE and antiword_available()) or (
        file_type is FileType.RTF and unrtf_available())


def convert_document(name: str, data: bytes, file_type: FileType) -> Converted:
    """Convert one document; raise ConversionError when it cannot or must not be read.

    The converters are imported when first used: a poll's main process only hands
    documents to its workers, and starts without python-docx, pypdf and the rest."""
    from intake.convert.dispatch import convert

    return convert(name, data, file_type)
