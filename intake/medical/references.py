"""References in Vancouver style, checked without the network: every citation has an
entry and every entry is cited, numbered in the order first cited, each entry with
authors, a title and a year, each DOI well formed. A manuscript in author-year style
gets one finding, not one per citation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.drafts.sections import REFERENCES_LABEL, section_label

MAX_NUMBER = 999  # a citation number beyond this is a typo or not a citation
_ENTRY = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)]|\^?(\d{1,3})\^?\s)\s*(.+)$")
# [1], [1,2], [1-3], [1\u20133, 5]; (1), (1, 2); <sup>1</sup>, <sup>1,2</sup>
_CITE = re.compile(r"\[(\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*)\](?!\()|"
                   r"(?<![\w.])\((\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*)\)|"
                   r"<sup>\s*(\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*)\s*</sup>")
_AUTHOR_YEAR = re.compile(r"\((?:[A-Z][\w'\u2019-]+(?: et al\.?| (?:and|&) [A-Z][\w'\u2019-]+)?,? "
                          r"(?:19|20)\d\d[a-z]?(?:; ?)?)+\)")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_AUTHORS = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w'\u2019 -]{1,40} [A-Z]{1,3}\b[,.]")
_DOI = re.compile(r"\bdoi:?\s*(\S+)|https?://(?:dx\.)?doi\.org/(\S+)", re.I)
_AN_AUTHOR = re.compile(r"\b[A-Z][\w'\u2019-]+ [A-Z]{1,3}(?=[,.])")
_GOOD_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+")


@dataclass(frozen=True)
class Finding:
    editor: str
    author: str


def _numbers(group: str) -> list[int]:
    found: list[int] = []
    for part in re.split(r"\s*,\s*", group):
        ends = re.split(r"\s*[\u2013-]\s*", part)
        if len(ends) == 2 and ends[0].isdigit() and ends[1].isdigit() and \
                0 < int(ends[0]) <= int(ends[1]) <= MAX_NUMBER and \
                int(ends[1]) - int(ends[0]) < 50:
            found.extend(range(int(ends[0]), int(ends[1]) + 1))
        elif part.isdigit() and 0 < int(part) <= MAX_NUMBER:
            found.append(int(part))
    return found


def split(markdown: str) -> tuple[str, list[str]]:
    """The text before the references section, and the section's lines (entries)."""
    lines = markdown.splitlines()
    for index, line in enumerate(lines):
        label = section_label(line)
        if label and REFERENCES_LABEL.match(label):
            entries = [ln for ln in lines[index + 1:] if ln.strip()]
            end = next((i for i, ln in enumerate(entries) if ln.lstrip().startswith("#")),
                       len(entries))
            return "\n".join(lines[:index]), entries[:end]
    return markdown, []


def check(markdown: str, *, et_al_after: int | None = None) -> list[Finding]:
    body, lines = split(markdown)
    entries: dict[int, str] = {}
    for line in lines:
        match = _ENTRY.match(line.lstrip("-* "))
        if match:
            number = int(next(g for g in match.groups()[:3] if g))
            entries.setdefault(number, match.group(4).strip())
    cited: list[int] = []
    for match in _CITE.finditer(body):
        cited.extend(_numbers(next(g for g in match.groups() if g)))
    author_year = len(_AUTHOR_YEAR.findall(body))
    findings: list[Finding] = []
    if author_year >= 3 and len(cited) < author_year:
        return [Finding(
            f"References: author-year citations ({author_year}, such as "
            f"{_AUTHOR_YEAR.search(body).group(0)}); Vancouver style is wanted.",  # type: ignore[union-attr]
            "Your references are cited by author and year; we use the Vancouver style: "
            "number the references in the order you first cite them, and cite them by "
            "number, [1].")]
    if not entries and not cited:
        return []
    if cited and not entries:
        return [Finding("References: numbered citations, but no reference list was found.",
                        "Your text cites references by number, but we could not find the "
                        "reference list: please add it under a heading \"References\".")]
    missing = sorted(set(cited) - set(entries))
    if missing:
        findings.append(Finding(
            f"References: cited but not listed: {_listed(missing)}.",
            f"Your text cites {_plural(missing, 'reference')} {_listed(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not in the reference list."))
    uncited = sorted(set(entries) - set(cited)) if cited else []
    if uncited:
        findings.append(Finding(
            f"References: listed but never cited: {_listed(uncited)}.",
            f"{_plural(uncited, 'Reference').capitalize()} {_listed(uncited)} "
            f"{'is' if len(uncited) == 1 else 'are'} in the list but never cited in the text."))
    order = [n for n in dict.fromkeys(cited) if n in entries]
    expected = sorted(order)
    if order != expected:
        first_wrong = next(n for n, e in zip(order, expected, strict=True) if n != e)
        findings.append(Finding(
            f"References: not numbered in the order first cited ({first_wrong} is cited "
            f"before {expected[order.index(first_wrong)]}).",
            "In the Vancouver style, references are numbered in the order they are first "
            f"cited; reference {first_wrong} is cited before "
            f"{expected[order.index(first_wrong)]}. Please renumber them."))
    incomplete: dict[str, list[int]] = {"authors": [], "a year": [], "a title": []}
    bad_doi: list[int] = []
    for number, text in sorted(entries.items()):
        if not _AUTHORS.match(text) and "et al" not in text.lower():
            incomplete["authors"].append(number)
        if not _YEAR.search(text):
            incomplete["a year"].append(number)
        if len([p for p in re.split(r"\.\s", text) if len(p.split()) >= 2]) < 2:
            incomplete["a title"].append(number)
        for doi in _DOI.finditer(text):
            value = (doi.group(1) or doi.group(2) or "").rstrip(".,;")
            if not _GOOD_DOI.fullmatch(value):
                bad_doi.append(number)
    for what, numbers in incomplete.items():
        if numbers:
            findings.append(Finding(
                f"References: no {what.removeprefix('a ')} in {_listed(numbers)}.",
                f"{_plural(numbers, 'Reference').capitalize()} {_listed(numbers)} "
                f"{'has' if len(numbers) == 1 else 'have'} no {what.removeprefix('a ')} "
                f"that we could find; each reference needs authors, a title and a year."))
    if bad_doi:
        findings.append(Finding(
            f"References: a DOI that is not well formed in {_listed(sorted(set(bad_doi)))}.",
            f"The DOI in {_plural(bad_doi, 'reference')} {_listed(sorted(set(bad_doi)))} is "
            "not well formed (a DOI looks like 10.1000/xyz123)."))
    if et_al_after:
        long = [n for n, t in entries.items() if len(_AN_AUTHOR.findall(t)) > et_al_after]
        if long:
            findings.append(Finding(
                f"References: more than {et_al_after} authors listed in {_listed(long)}.",
                f"We list at most {et_al_after} authors, then \"et al.\": please shorten "
                f"{_plural(long, 'reference')} {_listed(long)}."))
    return findings


def _listed(numbers: list[int]) -> str:
    shown = [str(n) for n in numbers[:8]]
    more = len(numbers) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _plural(numbers: list[int], word: str) -> str:
    return word if len(set(numbers)) == 1 else word + "s"
