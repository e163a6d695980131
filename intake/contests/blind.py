"""The judges' copy of an entry: the draft without its author.

Built from the draft, never from the author's file, so it carries no document
properties, comments, tracked changes, headers, footers or image metadata (the
converters keep none of them in the body, and images were re-written with their
pixels only). What names the author is taken from the message (the sender's name and
address), the email's signature and the entry's bio section, and removed wherever it
stands in the text: the body, captions and alt text, footnotes, tables, link texts and
addresses. The bio section goes whole; image files are renamed figure-1, figure-2.

Then the copy is read again for anything left: each part of the name (with or without
accents), near spellings of it, the address, the institution. What was removed is
listed for the editor, who confirms the copy before any judge sees it; a copy that
still names its author cannot be confirmed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from intake.core.errors import IntakeError
from intake.drafts.sections import bio_span, section_label, split_blocks
from intake.ledger import Submission
from intake.ledger.passages import fold, letter_variants
from intake.ledger.store import read_draft, write_atomic

AUTHOR, INSTITUTION, CITY, EMAIL, LINK = ("\\[author\\]", "\\[institution\\]", "\\[city\\]",
                                          "\\[email\\]", "\\[link removed\\]")
_TITLES = {"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "miss", "mx", "sir",
           "dra", "sr", "sra", "mme", "m", "herr", "frau"}
_PARTICLES = {"de", "da", "do", "dos", "das", "del", "la", "le", "van", "von", "der", "den",
              "di", "du", "bin", "al", "el"}
_INSTITUTION_WORDS = (
    r"University|College|Hospital|School|Institute|Institution|Faculty|Academy|Centre|"
    r"Center|Clinic|Infirmary|Trust|Universidad|Universidade|Université|Universite|"
    r"Universität|Universitat|Università|Universita|Facultad|Faculdade|Faculté|Hôpital|"
    r"Hospital|Klinikum|Instituto|Institut|Escola|Escuela|École|Ecole|Hochschule")
_CAPITAL = r"[A-ZÀ-ÖØ-Þ][\w'\u2019.&-]*"
_CONNECT = r"(?:of|de|do|da|des|du|di|für|fur|for|the|and|y|e|del|la|le|St\.?|Saint)"
_INSTITUTION = re.compile(
    rf"(?:(?:{_CAPITAL}|{_CONNECT})[ \t]+){{0,6}}(?:{_INSTITUTION_WORDS})"
    rf"(?:[ \t]+(?:{_CONNECT}[ \t]+)*{_CAPITAL}){{0,5}}")
_CITY_AFTER = re.compile(r"\s*,\s*([A-ZÀ-ÖØ-Þ][\w'\u2019-]+(?:[ -][A-ZÀ-ÖØ-Þ][\w'\u2019-]+){0,2})")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(r"(!?)\[([^\]\n]{0,500})\]\(\s*<?([^)\s>]{0,2000})>?(?:\s+\"[^\"\n]*\")?\s*\)")
_BARE_URL = re.compile(r"(?<![(<\w])https?://[^\s)>\]]+", re.I)
_WORD = re.compile(r"[^\W\d_][\w'\u2019]*")
NEAR = 0.85  # a capitalised word this close to a part of the name is taken for it


@dataclass(frozen=True)
class Identity:
    """What names an author: from the message, the signature and the bio."""
    names: tuple[str, ...]  # full names, as written
    emails: tuple[str, ...]
    institutions: tuple[str, ...]
    cities: tuple[str, ...]

    @property
    def parts(self) -> tuple[str, ...]:
        """Each part of each name (no titles, no particles, two letters or more)."""
        found: list[str] = []
        for name in self.names:
            for whole in re.split(r"[\s.,]+", name):
                for part in (whole, *whole.split("-")) if "-" in whole else (whole,):
                    if len(part) >= 2 and fold(part) not in _TITLES | _PARTICLES and \
                            part not in found:
                        found.append(part)
        return tuple(found)


@dataclass(frozen=True)
class Removed:
    what: str  # "name", "email", "institution", "city", "bio", "link", "image name"
    text: str  # as it stood
    count: int = 1


@dataclass
class JudgesCopy:
    title: str
    markdown: str
    images: dict[str, str] = field(default_factory=dict)  # new name → the draft's name
    removed: list[Removed] = field(default_factory=list)
    still_named: list[str] = field(default_factory=list)  # what the last read still found

    @property
    def text(self) -> str:
        """The copy as written for judges (copy.md)."""
        return f"# {self.title}\n\n{self.markdown.strip()}\n"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def clean(self) -> bool:
        return not self.still_named


def identity(sub: Submission, body: str, email_text: str) -> Identity:
    names = [n for n in (sub.author_name,) if n.strip()]
    emails = [sub.author_email] if sub.author_email else []
    sources = [_bio_text(body), _signature(email_text), _signature(body)]
    for text in sources:
        emails += [e for e in _EMAIL.findall(text) if e not in emails]
        lead = re.match(r"\s*((?:[A-ZÀ-ÖØ-Þ][\w'\u2019-]+\s+){1,3}[A-ZÀ-ÖØ-Þ][\w'\u2019-]+)"
                        r"(?=\s*(?:,|is\b|was\b|\(|\n|$))", text)
        if lead and not _INSTITUTION.fullmatch(lead.group(1)) and lead.group(1) not in names:
            names.append(lead.group(1))
    institutions: list[str] = []
    cities: list[str] = []
    _beside_the_name(body, names, institutions, cities)
    for text in sources:
        for match in _INSTITUTION.finditer(text):
            place = match.group(0).strip(" ,.")
            if len(place.split()) >= 2 and place not in institutions:
                institutions.append(place)
            city = _CITY_AFTER.match(text, match.end())
            if city and city.group(1) not in cities and not _INSTITUTION.fullmatch(
                    city.group(1)):
                cities.append(city.group(1))
    return Identity(tuple(names), tuple(emails), tuple(institutions), tuple(cities))


_PLACE_AFTER = re.compile(r"\b(?:in|at|from)\s+([A-ZÀ-ÖØ-Þ][\w'\u2019-]+(?:[ -][A-ZÀ-ÖØ-Þ]"
                         r"[\w'\u2019-]+){0,2})")
_NOT_PLACES = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
               "january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december", "the", "our", "my", "this"}


def _beside_the_name(text: str, names: list[str], institutions: list[str],
                     cities: list[str]) -> None:
    """An institution or a place written just after the author's name ("Zoë Okafor,
    King's College London"; "Zoë Okafor is a student in Leeds") is the author's."""
    for name in names:
        for match in re.finditer(_pattern(name), text, re.I):
            after = text[match.end():match.end() + 160]
            for place in _INSTITUTION.finditer(after):
                found = place.group(0).strip(" ,.")
                if len(found.split()) >= 2 and found not in institutions:
                    institutions.append(found)
            for place in _PLACE_AFTER.finditer(after):
                found = place.group(1)
                if fold(found.split()[0]) not in _NOT_PLACES and not _INSTITUTION.search(
                        found) and found not in cities:
                    cities.append(found)


def _bio_text(markdown: str) -> str:
    blocks = split_blocks(markdown)
    span = bio_span(blocks)
    return "\n\n".join(blocks[span[0] + 1:span[1]]) if span else ""


def _signature(text: str) -> str:
    """The last few short lines of a text, where a signature stands."""
    lines = [line.strip() for line in text.strip().splitlines()[-8:]]
    return "\n".join(line for line in lines if 0 < len(line) <= 120)


def _pattern(text: str) -> str:
    """A name or a place, case and accents as written or not, spaces as any space."""
    variants = letter_variants()
    words = []
    for word in re.split(r"[\s.\-]+", fold(text)):
        if not word:
            continue
        words.append("".join("['\u2019]" if c in "'\u2019" else
                             variants.get(c, re.escape(c)) for c in word))
    return r"(?<!\w)" + r"[\s.\-]+".join(words) + r"(?:['\u2019]s)?(?!\w)"


def make_copy(sub: Submission, title: str, body: str, email_text: str) -> JudgesCopy:
    """The judges' copy of a draft (title and Markdown body), and what was removed."""
    who = identity(sub, body, email_text)
    copy = JudgesCopy(title, body)
    counts: dict[tuple[str, str], int] = {}

    def note(what: str, text: str) -> None:
        counts[(what, text)] = counts.get((what, text), 0) + 1

    blocks = split_blocks(copy.markdown)
    span = bio_span(blocks)
    if span is not None:
        note("bio", section_label(blocks[span[0]]))
        blocks = blocks[:span[0]] + blocks[span[1]:]
    # The title is read with the text, as its first block.
    text = "\n\n".join([title.replace("\n", " "), *blocks])
    # Image files by number; a link whose address names the author keeps its text only.
    numbered: dict[str, str] = {}

    def link(match: re.Match[str]) -> str:
        bang, label, target = match.group(1), match.group(2), match.group(3)
        if bang:
            if target.startswith("assets/"):
                old = target[len("assets/"):]
                new = numbered.get(old)
                if new is None:
                    new = f"figure-{len(numbered) + 1}{Path(old).suffix.lower()}"
                    numbered[old] = new
                    if fold(old) != fold(new):
                        note("image name", old)
                return f"![{label}](assets/{new})"
            return match.group(0)
        if target.lower().startswith("mailto:") or _names_in(target, who):
            note("link", target)
            return label
        return match.group(0)

    text = _LINK.sub(link, text)
    copy.images = {new: old for old, new in numbered.items()}

    def replace_all(pattern: str, what: str, shown: str, with_: str,
                    capital: bool = False) -> None:
        """Every match, as one removal; capital: only where it starts with a capital
        letter, as a name does ("Rose" the author, not a rose in the garden)."""
        nonlocal text
        found = 0

        def swap(match: re.Match[str]) -> str:
            nonlocal found
            if capital and not match.group(0)[:1].isupper():
                return match.group(0)
            found += 1
            return with_

        text = re.sub(pattern, swap, text, flags=re.I)
        if found:
            counts[(what, shown)] = counts.get((what, shown), 0) + found

    for address in sorted(set(_EMAIL.findall(text)) | set(who.emails), key=len, reverse=True):
        replace_all(re.escape(address), "email", address, EMAIL)
    for url in _BARE_URL.findall(text):
        if _names_in(url, who):
            replace_all(re.escape(url), "link", url, LINK)
    for place in sorted(who.institutions, key=len, reverse=True):
        replace_all(_pattern(place), "institution", place, INSTITUTION)
    for city in who.cities:
        replace_all(_pattern(city), "city", city, CITY, capital=True)
    for name in sorted(who.names, key=len, reverse=True):
        parts = [p for p in name.split() if fold(p.strip(".")) not in _TITLES]
        forms = [name]
        if len(parts) >= 2:
            first, last = parts[0], parts[-1]
            forms += [f"{last}, {first}", f"{first[0]}. {last}", f"{first[0]} {last}",
                      f"{first} {last[0]}."]
        for form in forms:
            replace_all(_pattern(form), "name", name, AUTHOR)
    for part in sorted(who.parts, key=len, reverse=True):
        replace_all(_pattern(part), "name", part, AUTHOR, capital=True)
    for word in sorted(set(_WORD.findall(text))):
        near = _near(word, who.parts)
        if near:
            replace_all(r"(?<!\w)" + re.escape(word) + r"(?!\w)", "name",
                        f"{word} (like {near})", AUTHOR, capital=True)
    copy.title, _, copy.markdown = text.partition("\n\n")
    copy.title = copy.title.replace("\\[", "[").replace("\\]", "]")
    copy.removed = [Removed(what, shown, n) for (what, shown), n in counts.items()]
    copy.still_named = still_named(f"{copy.title}\n{copy.markdown}", who)
    return copy


def _names_in(address: str, who: Identity) -> bool:
    """Whether a web address spells a part of the name, or the address's mailbox."""
    plain = re.sub(r"[^a-z0-9]", "", fold(address))
    keys = [re.sub(r"[^a-z0-9]", "", fold(p)) for p in who.parts]
    keys += [re.sub(r"[^a-z0-9]", "", fold(e.split("@")[0])) for e in who.emails]
    return any(len(k) >= 3 and k in plain for k in keys)


def _near(word: str, parts: tuple[str, ...]) -> str:
    """The part of the name a capitalised word is a near spelling of, if any."""
    if len(word) < 4 or not word[0].isupper():
        return ""
    folded = fold(word)
    for part in parts:
        key = fold(part)
        if len(key) >= 4 and folded != key and abs(len(key) - len(folded)) <= 2 and \
                difflib.SequenceMatcher(a=folded, b=key).ratio() >= NEAR:
            return part
    return ""


def still_named(text: str, who: Identity) -> list[str]:
    """What in a text may still name the author: a part of the name in any case or
    accent, a near spelling, the address, the institution, a bare mailbox."""
    found: list[str] = []
    for part in who.parts:  # as a name is written: with a capital
        if any(m.group(0)[:1].isupper() for m in re.finditer(_pattern(part), text, re.I)):
            found.append(f"the name {part!r}")
    for address in who.emails:
        local = address.split("@")[0]
        if address.lower() in text.lower() or (len(local) >= 4 and re.search(
                r"(?<!\w)" + re.escape(local) + r"(?!\w)", text, re.I)):
            found.append(f"the address {address!r}")
    for place in who.institutions:
        if re.search(_pattern(place), text, re.I):
            found.append(f"the institution {place!r}")
    for word in set(_WORD.findall(text)):
        near = _near(word, who.parts)
        if near:
            found.append(f"{word!r}, close to the name {near!r}")
    return sorted(set(found))


# -- on disk: drafts/REF/judges/ ------------------------------------------------------------

def build(data_dir: Path, sub: Submission) -> JudgesCopy:
    """The judges' copy of a submission's current draft (not written)."""
    if not sub.draft_dir or sub.purged_at:
        raise IntakeError(f"{sub.reference} has no draft to make a judges' copy from")
    folder = data_dir / sub.draft_dir
    front, body = read_draft(folder / "draft.md")
    email = folder / "email.txt"
    email_text = email.read_text(encoding="utf-8", errors="replace") if email.is_file() else ""
    return make_copy(sub, str(front.get("title") or sub.title), body, email_text)


def write(data_dir: Path, sub: Submission, copy: JudgesCopy) -> Path:
    """drafts/REF/judges/: copy.md (title and text), assets/ renamed, removed.json."""
    assert sub.draft_dir
    folder = data_dir / sub.draft_dir
    target = folder / "judges"
    (target / "assets").mkdir(parents=True, exist_ok=True)
    for stale in (target / "assets").iterdir():
        stale.unlink()
    for new, old in copy.images.items():
        source = folder / "assets" / old
        if source.is_file() and not source.is_symlink():
            write_atomic(target / "assets" / new, source.read_bytes(), durable=False)
    write_atomic(target / "copy.md", copy.text.encode(), durable=False)
    write_atomic(target / "removed.json", json.dumps(
        {"sha256": copy.sha256, "draft_sha256": draft_sha256(data_dir, sub),
         "removed": [asdict(r) for r in copy.removed],
         "still_named": copy.still_named}, indent=2).encode(), durable=False)
    return target


def draft_sha256(data_dir: Path, sub: Submission) -> str:
    """The draft the copy was made from, to tell when it has changed since."""
    try:
        return hashlib.sha256((data_dir / str(sub.draft_dir) / "draft.md").read_bytes()
                              ).hexdigest()
    except OSError:
        return ""


def made_from(data_dir: Path, sub: Submission) -> str:
    """The draft.md sha256 the written copy was made from ("" if none)."""
    try:
        found = json.loads((data_dir / str(sub.draft_dir) / "judges" / "removed.json"
                            ).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(found.get("draft_sha256", "")) if isinstance(found, dict) else ""


def read_written(data_dir: Path, sub: Submission) -> tuple[str, str] | None:
    """The copy as written (drafts/REF/judges/copy.md): its text and its sha256."""
    if not sub.draft_dir:
        return None
    try:
        data = (data_dir / sub.draft_dir / "judges" / "copy.md").read_bytes()
    except OSError:
        return None
    return data.decode("utf-8", "replace"), hashlib.sha256(data).hexdigest()


def export(data_dir: Path, sub: Submission, copy: JudgesCopy, to: Path, *,
           overwrite: bool = False) -> list[Path]:
    """The judges' copy as files for judges outside the desk: TO/REF-judges/ with the
    Markdown, a page of HTML and the renamed images; no author, no original file."""
    from intake.export.html import render_html

    folder = to / f"{sub.reference}-judges"
    if folder.exists() and not overwrite:
        raise FileExistsError(f"{folder} exists (--force replaces it)")
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    written = [folder / "entry.md", folder / "entry.html"]
    write_atomic(written[0], copy.text.encode(), durable=False)
    write_atomic(written[1], render_html(copy.markdown, copy.title).encode(), durable=False)
    for new, old in copy.images.items():
        source = data_dir / str(sub.draft_dir) / "assets" / old
        if source.is_file() and not source.is_symlink():
            write_atomic(folder / "assets" / new, source.read_bytes(), durable=False)
            written.append(folder / "assets" / new)
    return written
