"""The privacy screen measured (issue 34): recall and precision per class on the labelled
passages, and false flags in ordinary prose. The figures are in docs/figures.md; these
tests hold the floor under them."""

from __future__ import annotations

import pytest

from bench.privacy_eval import CORPUS, per_class, prose_rate
from intake.drafts.privacy import screen


def test_recall_on_names_dates_numbers_and_phones_is_at_least_095() -> None:
    found = per_class()
    for name in ("name", "date", "number", "phone"):
        tp, _fp, fn = found[name]
        assert tp / (tp + fn) >= 0.95, (name, found[name])
    flagged = sum(tp + fp for tp, fp, _ in found.values())
    wrong = sum(fp for _, fp, _ in found.values())
    assert wrong / flagged <= 0.05, found


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the repo")
def test_ordinary_prose_gets_at_most_one_false_flag_per_1000_words() -> None:
    files, words, flags, _ = prose_rate()
    assert files >= 50 and words > 50_000
    assert 1000 * flags / words <= 1.0


def test_what_a_publication_year_or_a_dose_is_not() -> None:
    for text in ("Published in 2019, the trial enrolled 4,000 patients aged 18 to 65.",
                 "She received 2.5 mg twice daily from day 3; version 2.1.3 of the tool.",
                 "A 45-year-old woman was admitted to a tertiary hospital in 2023."):
        assert screen(text) == [], text


def test_the_authors_own_name_is_not_a_patient() -> None:
    byline = ("By Priya Raman. Priya Raman, a 24-year-old student, was on the ward when "
              "Mrs Eleanor Whitfield was admitted with jaundice.")
    matches = [f.match for f in screen(byline, "priya@med.example.edu", "Priya Raman")]
    assert "Mrs Eleanor Whitfield" in matches
    assert not any("Priya" in m for m in matches)
    assert any("Priya" in f.match for f in screen(byline))  # a stranger's name is flagged
