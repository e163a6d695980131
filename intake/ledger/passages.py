"""The passage shown under a search hit: where its words are, with them marked.

FTS5's snippet() tokenises each matched document again, all of it, for every row it is
asked about, and is evaluated before the rows are ranked and cut to a page: about
0.4 ms for each 2,000-word draft that matches, and seconds for a short prefix that
matches thousands of words (bench/desk_bench.py). So the index only ranks, and the
passage is found here, on the page's rows only, by a regular expression that ignores
case and accents as the index does (`unicode61 remove_diacritics 2`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

START, END = "\x02", "\x03"  # around each matched word in a passage (then escaped)
BEFORE, AFTER = 6, 8  # words of context either side of the first matched word
MAX_MATCHES = 200  # matches weighed in one text: a passage, not an analysis
_QUERY_PART = re.compile(r'"([^"]*)"(\*?)')
_TAIL = re.compile(rf"\s*(?:\S+\s+){{0,{AFTER}}}\S*")


def fold(text: str) -> str:
    """Case and accents away, as the index reads words: "Zoë" is "zoe"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=1)
def letter_variants() -> dict[str, str]:
    """Each lower-case letter, and the lower-case letters (Latin-1 to Latin Extended-B)
    that fold to it."""
    found: dict[str, set[str]] = {}
    for point in range(0xC0, 0x250):
        char = chr(point).lower()
        base = fold(char)
        if len(base) == 1 and base.isalpha() and base != char:
            found.setdefault(base, {base}).add(char)
    return {base: "[" + "".join(sorted(chars)) + "]" for base, chars in found.items()}


def _word(folded: str, accents: bool) -> str:
    variants = letter_variants() if accents else {}
    return "".join(variants.get(c, re.escape(c)) for c in folded)


@lru_cache(maxsize=256)
def patterns(fts_query: str) -> tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]:
    """Each word of an FTS5 query as intake writes it (ledger.fulltext.fts_terms):
    "word"* a word that starts so, "a phrase" those words in a row. Two patterns each,
    for text in lower case: one for plain ASCII (a literal, which the regex engine finds
    fast), one that lets each letter carry an accent. Neither starts with \\b, which
    would cost the engine its fast scan for the first letters (forty times slower on a
    draft): passage() checks where a word starts itself."""
    found = []
    for text, prefix in _QUERY_PART.findall(fts_query):
        words = fold(text).split()
        if not words:
            continue
        both = []
        for accents in (False, True):
            if prefix:
                both.append(re.compile(rf"{_word(words[0], accents)}\w*"))
            else:
                both.append(re.compile(r"\W+".join(_word(w, accents) for w in words) + r"\b"))
        found.append((both[0], both[1]))
    return tuple(found)


def passage(texts: Sequence[str], fts_query: str) -> str:
    """The best passage of the first text that has one (the window with the most
    different words of the query), about BEFORE + AFTER words, matches between START
    and END; "" when none of the texts has a match."""
    terms = patterns(fts_query)
    for text in texts:
        lowered = text.lower()
        if len(lowered) != len(text):  # a letter whose lower case is longer: rare
            lowered = "".join(c.lower()[:1] for c in text)
        plain = text.isascii()
        matches: list[tuple[int, int, int]] = []
        for number, (ascii_only, accented) in enumerate(terms):
            found = 0
            for match in (ascii_only if plain else accented).finditer(lowered):
                at = match.start()
                if at and (lowered[at - 1].isalnum() or lowered[at - 1] == "_"):
                    continue  # inside a word, not at its start
                matches.append((at, match.end(), number))
                found += 1
                if found >= MAX_MATCHES:
                    break
        if matches:
            matches.sort()
            return _window(text, matches[:MAX_MATCHES])
    return ""


def _window(text: str, matches: list[tuple[int, int, int]]) -> str:
    best, best_score = 0, 0
    ahead = 0
    for i, (at, _, _) in enumerate(matches):  # the matches within 80 characters after
        ahead = max(ahead, i)
        while ahead + 1 < len(matches) and matches[ahead + 1][0] - at < 80:
            ahead += 1
        score = len({m[2] for m in matches[i:ahead + 1]})
        if score > best_score:
            best, best_score = i, score
    first_start, first_end, _ = matches[best]
    offset = max(0, first_start - 300)
    starts = [m.start() for m in re.finditer(r"\S+", text[offset:first_start])]
    start = offset + starts[-BEFORE] if len(starts) >= BEFORE else \
        (offset + starts[0] if starts and offset else 0)
    tail = _TAIL.match(text, first_end, first_end + 300)
    end = tail.end() if tail else first_end
    out, at = [], start
    for match_start, match_end, _ in matches:
        if match_start < at or match_end > end:
            continue
        out += [text[at:match_start], START, text[match_start:match_end], END]
        at = match_end
    out.append(text[at:end])
    shown = " ".join("".join(out).split())
    return ("…" if start > 0 else "") + shown + ("…" if end < len(text) else "")
