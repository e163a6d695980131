"""What a message and its document say, as features a linear model can weigh.

The same function feeds training (intake/rules/train.py) and classification, so the two
can never drift. Features are chosen to carry across wordings and languages:

- words of the subject, the body and the document, folded (lower case, no accents), and
  their first five letters, a stem that joins "patrocinado", "patrocinio" and
  "patrocinador", or "candidature" and "candidatura";
- pairs of words in the subject and the body ("my article", "your rates");
- the shape of things: how long the body and the document are, whether the document has
  headings, many dates (a CV), prices (a rate card), a title; what is attached and how
  it is named; a shared-document link; a question asked; the sender's mailbox name when
  it is a role ("outreach", "marketing").

Hostile text costs linear time here: only str methods and linear patterns, on the
first _BODY_WORDS and _DOC_WORDS words.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable

from intake.core import caseblind
from intake.core.models import Attachment, ParsedMessage
from intake.rules.concepts import concepts

_WORD = re.compile(r"[^\W\d_]+")
_QUOTED_REPLY = re.compile(r"^[^\S\n]*>[^\n]*$", re.MULTILINE)
# Combining marks (accents) left by NFKD, in the blocks Latin, Greek and Cyrillic use.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# A year is four digits with no digit on either side; the left side is checked after the
# match (_years), so that the pattern starts with literal digits the regex engine can
# skip to, instead of a look-behind tried at every position.
_YEAR = re.compile(r"(?:19[5-9]|20[0-4])\d(?!\d)")
_MONEY = re.compile(r"[$€£]\s?\d|\d\s?(?:[$€£]|usd|eur|gbp|dollars?|euros?|pounds)(?![a-z])",
                    re.IGNORECASE)
# What _MONEY cannot match without (a symbol, or a word in lower case): a text with none
# is cleared by str.find (core.caseblind).
_MONEY_MARKS = ("$", "€", "£", "usd", "eur", "gbp", "dollar", "pound")
_HEADING_LINE = re.compile(r"^#{1,6} ", re.MULTILINE)
_LIST_LINE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s", re.MULTILINE)
_LINK = re.compile(r"https?://", re.IGNORECASE)
_SHARED = re.compile(r"docs\.google\.com|drive\.google\.com|sharepoint\.com|onedrive|1drv\.ms|"
                     r"dropbox\.com|icloud\.com|wetransfer|we\.tl|box\.com/s/", re.IGNORECASE)
# Combining marks (accents) left by NFKD, in the blocks Latin, Greek and Cyrillic use.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_REPLY = re.compile(r"^\s*(?:re|aw|sv|rv|r)\s*:", re.IGNORECASE)
_FORWARD = re.compile(r"^\s*(?:fwd?|tr|wg|enc|rv)\s*:", re.IGNORECASE)
_BODY_WORDS = 400
_PASTED_WORDS = 120  # a body this long with nothing attached holds a text of its own
_DOC_WORDS = 600
_SUBJECT_CHARS = 300
_STEM = 5
# Mailbox names that speak for a role, not a person; the model learns what each means.
_ROLES = frozenset({
    "outreach", "marketing", "partnerships", "partnership", "partners", "sales", "seo",
    "pr", "press", "media", "ads", "advertising", "info", "contact", "hello", "team",
    "hr", "jobs", "careers", "admin", "office", "support", "billing", "accounts",
    "editor", "editors", "submissions", "growth", "content", "collab", "brand", "business",
})
# Words every message has, in the five languages: alone they say nothing about its kind
# (in pairs they may: "my article", "your fees"), and as reasons they would only puzzle.
_STOPWORD_TEXT = """
a an the and or of to in on for with at by from is are was were be been it its this that
these those i me my we our you your he she they them his her their as but not no so if
do does did have has had will would can could should may am just very also about into
than then there here what which who how all any some more most such only too s t hi
el la los las un una unos unas y o del al en por para con sin que se su sus mi mis tu
tus es son fue ser este esta esto ese esa lo le les te nos como pero mas muy ya si hay
une des et ou du au aux par pour avec sans qui sa son ses mon ma mes ton ta tes
est sont ete etre ce cet cette ces je il elle nous vous ils elles ne pas plus tres
os um uma uns umas e do da dos das ao aos em na nas com sem seu sua seus suas
meu minha meus minhas sao isso esse essa lhe mais muito ja sim nao
der die das den dem des ein eine einen einem einer und oder von zu im am an auf fur mit
ohne dass ich du er sie es wir ihr mein meine dein ist sind war sein nicht kein auch
sehr wie aber
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SIZES = ((0, "none"), (1, "few"), (30, "short"), (120, "medium"), (300, "long"),
          (900, "very long"))


def fold(text: str) -> str:
    """Lower case without accents: "Artículo" and "articulo" are one word to the model."""
    lower = text.lower()
    if lower.isascii():
        return lower
    return _COMBINING.sub("", unicodedata.normalize("NFKD", lower))


def words(text: str, limit: int) -> list[str]:
    found: list[str] = []
    # No word is longer than this on average with what separates it: only the opening of
    # a long text is folded (the folding, not the matching, is what costs).
    for match in _WORD.finditer(fold(text[:limit * 24])):
        found.append(match.group(0))
        if len(found) >= limit:
            break
    return found


def _years(text: str) -> int:
    return sum(1 for m in _YEAR.finditer(text)
               if not (m.start() and text[m.start() - 1].isdecimal()))


def _money(text: str) -> bool:
    return caseblind.has_any(text, _MONEY_MARKS) and _MONEY.search(text) is not None


def _size(count: int) -> str:
    label = "none"
    for floor, name in _SIZES:
        if count >= floor:
            label = name
    return label


def _words_of(prefix: str, tokens: Iterable[str], out: dict[str, float]) -> None:
    for token in tokens:
        if len(token) < 2 or token in STOPWORDS:
            continue
        out[f"{prefix}:{token}"] = 1.0
        if len(token) > _STEM:
            out[f"{prefix}5:{token[:_STEM]}"] = 1.0


def _pairs(prefix: str, tokens: list[str], out: dict[str, float]) -> None:
    for first, second in itertools.pairwise(tokens):
        out[f"{prefix}2:{first}_{second}"] = 1.0


def _name_tokens(attachment: Attachment) -> list[str]:
    stem = attachment.original_name.rsplit(".", 1)[0] or attachment.filename.rsplit(".", 1)[0]
    return words(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem), 12)


def message_features(msg: ParsedMessage, document: str | None = None,
                     document_title: str | None = None,
                     of_document: tuple[str, ...] | None = None) -> dict[str, float]:
    """The features of one message; document: the manuscript's text as converted;
    of_document: document_features(document, document_title), when already known."""
    out: dict[str, float] = {}
    subject = msg.subject[:_SUBJECT_CHARS]
    if _REPLY.match(subject):
        out["f:reply"] = 1.0
    if _FORWARD.match(subject):
        out["f:forward"] = 1.0
    subject_words = words(subject, 40)
    _words_of("s", subject_words, out)
    _pairs("s", subject_words, out)
    if not subject_words:
        out["f:no_subject"] = 1.0

    body = _QUOTED_REPLY.sub("", msg.text[:20_000])
    body_words = words(body, _BODY_WORDS)
    _words_of("b", body_words, out)
    _pairs("b", body_words, out)
    for concept in concepts(subject_words):
        out[f"ks:{concept}"] = 1.0
    named = sorted(concepts(subject_words + body_words))
    for concept in named:
        out[f"k:{concept}"] = 1.0
    # Ideas together say more than each alone: a contest and a sponsor is an offer to
    # sponsor the prize, not an entry; writing and a status question is not a submission.
    for first, second in itertools.combinations(named, 2):
        out[f"kk:{first}+{second}"] = 1.0
    out[f"f:body_{_size(len(body_words))}"] = 1.0
    if "?" in body[:3000]:
        out["f:question"] = 1.0
    if _money(body[:20_000]) or _money(subject):
        out["f:money"] = 1.0
    if _SHARED.search(f"{msg.text[:20_000]} {msg.html[:50_000]}"):
        out["f:shared_link"] = 1.0
    elif _LINK.search(body):
        out["f:link"] = 1.0

    local = msg.sender_email.partition("@")[0]
    base = re.split(r"[.+_-]", local)[0]
    if base in _ROLES:
        out[f"r:{base}"] = 1.0
        out["f:role_sender"] = 1.0

    files = [a for a in msg.attachments if not a.inline]
    documents = [a for a in files if a.file_type.is_document]
    images = [a for a in files if a.file_type.is_image]
    out[f"f:documents_{min(len(documents), 3)}"] = 1.0
    # Nothing attached, and a text of its own in the body: an article or a pitch.
    if not documents and len(body_words) >= _PASTED_WORDS:
        out["f:pasted_text"] = 1.0
    if images and not documents:
        out["f:images_only"] = 1.0
    for attachment in files:
        out[f"t:{attachment.file_type.value}"] = 1.0
        named = _name_tokens(attachment)
        _words_of("n", named, out)
        for concept in concepts(named):
            out[f"kn:{concept}"] = 1.0

    if document is not None:
        if of_document is None:
            of_document = document_features(document, document_title)
        out.update(dict.fromkeys(of_document, 1.0))
    return out


def document_features(text: str, title: str | None) -> tuple[str, ...]:
    """The features of a manuscript's text and title (each worth 1.0). A function of the
    document alone: a conversion worker works them out beside the conversion
    (intake.convert.worker), off the main process."""
    out: dict[str, float] = {}
    _document(text, title, out)
    return tuple(out)


def _document(text: str, title: str | None, out: dict[str, float]) -> None:
    head = text[:60_000]
    doc_words = words(head, _DOC_WORDS)
    for concept in concepts(doc_words):
        out[f"kd:{concept}"] = 1.0
    total = len(_WORD.findall(head))  # all of the opening, not only the words kept
    out[f"f:doc_{_size(total)}"] = 1.0
    headings = len(_HEADING_LINE.findall(head))
    out[f"f:doc_headings_{min(headings, 4)}"] = 1.0
    years = _years(head)
    if years >= 4:
        out["f:doc_many_years"] = 1.0
    lines = [line for line in head.splitlines() if line.strip()]
    if lines:
        listed = len(_LIST_LINE.findall(head)) / len(lines)
        if listed > 0.3:
            out["f:doc_mostly_lists"] = 1.0
        average = total / len(lines)
        out["f:doc_long_paragraphs" if average > 40 else "f:doc_short_lines"] = 1.0
    if _money(head):
        out["f:doc_money"] = 1.0
    if title:
        out["f:doc_title"] = 1.0
        for concept in concepts(words(title, 20)):
            out[f"kt:{concept}"] = 1.0
