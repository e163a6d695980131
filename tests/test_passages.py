"""The passage under a search hit, found by intake rather than FTS5's snippet()."""

from __future__ import annotations

import re

from intake.ledger.fulltext import fts_terms
from intake.ledger.passages import END, START, passage


def shown(texts: list[str], words: list[str], phrases: tuple[str, ...] = ()) -> str:
    return passage(texts, fts_terms(words, list(phrases))).replace(START, "[").replace(END, "]")


def test_accents_and_case_are_ignored_as_the_index_ignores_them() -> None:
    assert "[Zoë]" in shown(["A note about Zoë Okafor."], ["zoe"])
    assert "[ZOË]" in shown(["A note about ZOË OKAFOR."], ["Zoë"])
    assert "[Ångström]" in shown(["Measured in Ångström units."], ["angstrom"])
    assert "[naïve]" in shown(["A naïve question."], ["naive"])


def test_a_word_matches_where_words_begin_and_a_phrase_as_a_whole() -> None:
    assert shown(["Prejaundice is not jaundice."], ["jaund"]) == "Prejaundice is not [jaundice]."
    text = "Neonatal care. The neonatal jaundice resolved."
    assert shown([text], [], ("neonatal jaundice",)) == \
        "Neonatal care. The [neonatal jaundice] resolved."
    assert shown(["Seen in the ward rounds."], [], ("ward round",)) == ""  # whole words


def test_a_short_word_is_matched_whole() -> None:
    assert fts_terms(["ba"], []) == '"ba"'
    assert fts_terms(["bas"], []) == '"bas"*'


def test_the_window_with_most_of_the_words_is_shown_with_context() -> None:
    filler = " ".join(f"w{n}" for n in range(60))
    text = f"jaundice alone {filler} then jaundice and sepsis together {filler}"
    found = shown([text], ["jaundice", "sepsis"])
    assert found.startswith("…") and found.endswith("…")
    assert "[jaundice] and [sepsis] together" in found
    assert len(found.split()) <= 6 + 1 + 8 + 2


def test_the_first_text_with_a_match_is_used_and_none_gives_nothing() -> None:
    assert shown(["no match here", "the notes mention sepsis"], ["sepsis"]) == \
        "the notes mention [sepsis]"
    assert shown(["nothing", ""], ["sepsis"]) == ""


def test_a_huge_text_costs_a_bounded_number_of_matches() -> None:
    text = "sepsis " * 200_000
    found = shown([text], ["sepsis"])
    assert found.startswith("[sepsis]") and found.endswith("…")
    assert len(re.findall(r"\[sepsis\]", found)) <= 10  # the match and 9 words after
