"""PDF → Markdown text with pypdf: the words and paragraphs, not the layout.

A PDF keeps where glyphs go, not what they are; headings, lists and tables are
not recovered, and the draft says so. An encrypted PDF that opens without a
password (owner restrictions only) is read; one that needs a password is refused.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from intake.convert.markdown import escape, escape_line_start
from intake.convert.safety import ConversionError
from intake.core.models import Converted

MAX_PAGES = 500
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")
_SEND_AGAIN = "Please send the article as a .docx file, or as a PDF without a password."


def convert_pdf(name: str, data: bytes) -> Converted:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConversionError(f"{name} is a password-protected PDF",
                                  "Please send it again without a password.")
        pages = list(reader.pages)
    except ConversionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ConversionError(f"{name} is a damaged PDF ({type(exc).__name__}: {exc})",
                              _SEND_AGAIN) from exc
    warnings = ["Converted from PDF: the text and its paragraphs only. Headings, lists, "
                "tables, footnotes and images were not recovered; compare with the original."]
    if len(pages) > MAX_PAGES:
        warnings.append(f"{name} has {len(pages)} pages; only the first {MAX_PAGES} were "
                        "read.")
        pages = pages[:MAX_PAGES]
    paragraphs: list[str] = []
    images = 0
    for page in pages:
        try:
            text = page.extract_text() or ""
            images += len(page.images)
        except Exception as exc:  # pypdf raises many kinds on damaged pages
            warnings.append(f"A page of {name} could not be read ({type(exc).__name__}).")
            continue
        paragraphs.extend(_paragraphs(text))
    if images:
        warnings.append(f"The PDF holds {images} image(s), not carried into the draft; see "
                        "the original.")
    if not paragraphs:
        warnings.append(f"{name} has no text layer (a scan?): nothing could be read from it.")
    title = None
    try:
        meta = reader.metadata
        title = " ".join(str(meta.title).split()) if meta and meta.title else None
    except Exception:  # damaged metadata costs the title, nothing else
        title = None
    body = "\n\n".join(escape_line_start(escape(p)) for p in paragraphs)
    return Converted(markdown=body + "\n" if body else "", title=title or None,
                     warnings=tuple(warnings))


_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
                            "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"})


def _paragraphs(text: str) -> list[str]:
    text = text.translate(_LIGATURES)
    text = _HYPHEN_BREAK.sub(r"\1\2", text.replace("\r\n", "\n"))
    blocks = re.split(r"\n\s*\n", text)
    if len(blocks) == 1:
        # No blank lines (common): a short line ending in a full stop ends a paragraph.
        blocks = re.split(r"(?<=[.!?:])\n(?=[A-Z0-9\"“(])", text)
    return [" ".join(b.split()) for b in blocks if b.strip()]
