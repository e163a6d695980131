"""The language an author writes in, told offline, so that they are answered in it.

lingua (lingua-language-detector) in its high-accuracy mode, built for the offered
languages only: it tells a one-line message ("Ci-joint mon CV.") where lighter
detectors and its own low-accuracy mode guess (docs/figures.md). Its models cost about
140 MiB once loaded, so they are loaded only when more than one language is offered,
and at most once a process.

The author's own words in the message decide; when they are too few to tell (an empty
body beside an attachment, "CV attached"), the document's first paragraphs do. When
neither is clear, the default language: a wrong guess would answer a German author in
Portuguese, which is worse than English.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# The languages intake has templates for, by ISO 639-1 code, each in its own name
# (as the desk offers them, and as a reader of that language would look for it).
NAMES: dict[str, str] = {"en": "English", "es": "Español", "fr": "Français",
                         "pt": "Português", "de": "Deutsch"}
_LINGUA_NAMES = {"en": "ENGLISH", "es": "SPANISH", "fr": "FRENCH", "pt": "PORTUGUESE",
                 "de": "GERMAN"}

# Enough of a text to tell its language; more only costs time.
_SAMPLE_CHARS = 2000
# Fewer letters than this say too little (an emoji, "CV", a name and a number).
_MIN_LETTERS = 8
# How sure the detector must be of the first language, and how far ahead of the second.
_MIN_CONFIDENCE = 0.5
_MIN_LEAD = 0.2

# What is not the author's writing: quoted lines, a forwarded message's header block,
# the signature after "-- ", addresses and links.
_QUOTED = re.compile(r"^\s*>.*$", re.M)
_FORWARDED = re.compile(r"^-{2,}\s*(forwarded|original|mensaje|message|nachricht|"
                        r"mensagem)\b.*", re.I | re.M | re.S)
_SIGNATURE = re.compile(r"^-- ?$.*", re.M | re.S)
_NOISE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\[[^\]]*\]\([^)]*\)|[#*_`|>]+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Detected:
    language: str  # an offered code
    confidence: float  # 0 to 1; 0 when it fell back to the default
    source: str  # "message", "document" or "default"


def detect(own_words: str, document: str, offered: tuple[str, ...], default: str) -> Detected:
    """The language to answer in: the message's if it tells, else the document's, else
    the default."""
    if len(offered) < 2:
        return Detected(default, 0.0, "default")
    for source, text in (("message", own_words_of(own_words)),
                         ("document", _clean(document))):
        found = _tell(text, offered)
        if found is not None:
            return Detected(found[0], found[1], source)
    return Detected(default, 0.0, "default")


def own_words_of(body: str) -> str:
    """The author's writing in a message body: no quotes, forwards or signature."""
    text = _FORWARDED.sub("", _SIGNATURE.sub("", body.replace("\r\n", "\n")))
    return _clean(_QUOTED.sub("", text))


def _clean(text: str) -> str:
    return " ".join(_NOISE.sub(" ", text[: _SAMPLE_CHARS * 2]).split())[:_SAMPLE_CHARS]


def _tell(text: str, offered: tuple[str, ...]) -> tuple[str, float] | None:
    if len(_LETTER.findall(text)) < _MIN_LETTERS:
        return None
    values = _detector(tuple(sorted(offered))).compute_language_confidence_values(text)
    if not values:
        return None
    best = values[0]
    runner_up = values[1].value if len(values) > 1 else 0.0
    if best.value < _MIN_CONFIDENCE or best.value - runner_up < _MIN_LEAD:
        return None
    code = next(c for c, name in _LINGUA_NAMES.items() if best.language.name == name)
    return code, round(best.value, 3)


_LOCK = threading.Lock()  # the desk's threads share one detector
_DETECTORS: dict[tuple[str, ...], LanguageDetector] = {}


def _detector(offered: tuple[str, ...]) -> LanguageDetector:
    with _LOCK:
        if offered not in _DETECTORS:
            from lingua import Language, LanguageDetectorBuilder

            languages = [getattr(Language, _LINGUA_NAMES[code]) for code in offered]
            _DETECTORS[offered] = LanguageDetectorBuilder.from_languages(*languages).build()
        return _DETECTORS[offered]


# Each language's locale for dates and numbers (babel, CLDR): British English, as the
# templates are written; Brazilian Portuguese, CLDR's "pt".
LOCALES = {"en": "en_GB", "es": "es_ES", "fr": "fr_FR", "pt": "pt", "de": "de_DE"}


def number(value: int | float, language: str) -> str:
    """1,480 / 1 480 / 1.480, as a reader of the language writes it."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=LOCALES.get(language, "en_GB"))


def when(moment: datetime, language: str) -> str:
    """A date and time as an author's email says it: "31 January 2027, 23:59 (UTC)",
    "31 janvier 2027, 23:59 (UTC)", "31. Januar 2027, 23:59 (UTC)"."""
    from babel.dates import format_date

    day = format_date(moment, format="long", locale=LOCALES.get(language, "en_GB"))
    return f"{day}, {moment:%H:%M} ({moment.tzname() or 'UTC'})"
