"""What intake remembers of each author: a profile per address (ledger.authors), filled
from each submission (the sender's name; the bio from the manuscript's "About the
author" section, in five languages; an institution named in it) until an editor sets
it by hand, which no later submission overrides. Publishing uses the bio when the
article has none of its own; `intake authors export --csv` lists them."""

from __future__ import annotations

import csv
import io
import re

from intake.drafts.sections import bio_span, section_label, split_blocks
from intake.ledger import Ledger
from intake.ledger.authors import Author

_MAX_BIO = 1200
_MARKUP = re.compile(r"[*_`#>]+|!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)")
# "… at the University of Example", "Universidad de Sevilla", "Charité, Berlin": the
# first named institution in a bio, up to the next comma, full stop or "and".
_INSTITUTION = re.compile(
    r"\b((?:University|Universidad|Universidade|Université|Universität|Universita|"
    r"College|Hospital|Hospital Universitario|Centre Hospitalier|Klinikum|Faculty|"
    r"Facultad|Faculdade|Faculté|School of Medicine|Medical School|Institute|Instituto|"
    r"Institut)\b[^,.;()\n]{0,60}?)(?=\s*(?:[,.;()\n]|\band\b|\by\b|\bet\b|\bund\b|\be\b|$))")


def bio_text(markdown: str) -> str:
    """The words of the manuscript's "About the author" section, as plain text."""
    blocks = split_blocks(markdown)
    span = bio_span(blocks)
    if span is None:
        return ""
    start, end = span
    label = blocks[start]
    # "**About the author:** Sam is…": the label's block may hold the bio itself.
    own = label.strip()
    first = "" if section_label(own) and len(own) <= 80 and "\n" not in own.strip() else own
    parts = [first, *blocks[start + 1:end]]
    text = " ".join(_MARKUP.sub(lambda m: m.group(1) or "", p) for p in parts if p.strip())
    text = re.sub(r"^\s*(about the authors?|bio(graphy)?)\s*:\s*", "", " ".join(text.split()),
                  flags=re.I)
    return text[:_MAX_BIO].rstrip()


def institution_in(text: str) -> str:
    found = _INSTITUTION.search(text)
    return " ".join(found.group(1).split()).rstrip(" -\u2013") if found else ""


def remember(ledger: Ledger, email: str, name: str, markdown: str, reference: str) -> None:
    """Inside the caller's transaction: what this submission says of its author."""
    if not email or "@" not in email:
        return
    bio = bio_text(markdown)
    ledger.remember_author(email, name.strip(), bio, institution_in(bio), reference)


def as_csv(authors: list[Author], submissions: dict[str, list[tuple[str, str, str, str]]]
           ) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", "institution", "bio", "contributor", "submissions",
                     "accepted", "references", "updated_at"])
    for author in authors:
        done = submissions.get(author.address_key, [])
        writer.writerow([_cell(author.email), _cell(author.name), _cell(author.institution),
                         _cell(author.bio), "yes" if author.contributor else "no",
                         len(done), sum(status == "accepted" for _, _, status, _ in done),
                         " ".join(ref for ref, _, _, _ in done), author.updated_at])
    return out.getvalue()


def _cell(value: str) -> str:
    """A value a spreadsheet will not run: one starting = + - @ (or a tab or return)
    is a formula to Excel and LibreOffice (CSV injection), so it is quoted as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
