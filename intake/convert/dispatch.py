"""Which converter reads which kind of document (intake.convert.convert_document).

Importing this loads every converter and the libraries they use (python-docx, pypdf,
lxml): done in the conversion workers, never needed in the main process."""

from __future__ import annotations

from dataclasses import replace

from intake.convert.htmldoc import html_to_markdown
from intake.convert.legacy import convert_doc, convert_rtf
from intake.convert.markdown import from_plain_text
from intake.convert.odt import convert_odt
from intake.convert.pdf import convert_pdf
from intake.convert.safety import ConversionError
from intake.convert.word import convert_docx
from intake.core.filenames import names_word
from intake.core.models import Converted, FileType


def convert(name: str, data: bytes, file_type: FileType) -> Converted:
    """Convert one document; raise ConversionError when it cannot or must not be read."""
    if file_type is FileType.DOCX or (file_type is FileType.ZIP and names_word(name)):
        # A zip named .docx that is not a readable Word package: let the Word converter
        # say what is wrong with it ("damaged or incomplete"), not "not a document".
        return convert_docx(data)
    if file_type is FileType.OLE:
        return convert_doc(name, data)
    if file_type is FileType.RTF:
        return convert_rtf(name, data)
    if file_type is FileType.ODT:
        return convert_odt(name, data)
    if file_type is FileType.PDF:
        return convert_pdf(name, data)
    if file_type is FileType.TEXT:
        return Converted(markdown=from_plain_text(_decode(data).strip()) + "\n")
    if file_type is FileType.HTML:
        markdown, remote = html_to_markdown(_decode(data))
        warnings = (f"{name} refers to {remote} image(s) on the web, which were not fetched; "
                    "ask the author for the image files.",) if remote else ()
        return Converted(markdown=markdown + "\n", warnings=warnings)
    if file_type is FileType.DOCM:
        # Its text is read like any .docx; its macros are never run nor even parsed.
        converted = convert_docx(data)
        return replace(converted, warnings=(
            f"{name} contains macros (VBA). intake never runs them: the draft holds only "
            "the text. The original in original/ still has them: do not open it in Word "
            "with macros enabled.", *converted.warnings))
    if file_type is FileType.ENCRYPTED_OFFICE:
        raise ConversionError(f"{name} is password-protected",
                              "Please send it again without a password.")
    raise ConversionError(f"{name} is not a document we can read ({file_type.value})",
                          "Please send the article as a .docx file or a PDF.")


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")  # what Windows editors write
