"""Contest rules that need a ledger of their own: ties, late versions, notes and tracked
changes that name the author."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from intake.contests.results import rank
from intake.contests.settings import Contest, Criterion, Judge
from intake.core.models import Classification, Status
from intake.ledger import Ledger
from tests.conftest import CliResult, eml_folder
from tests.contesthelp import contest_settings, entry, with_contests

Cli = Callable[..., CliResult]
ESSAY = ["As a medical student I learned that night shifts teach patience. " * 8]


def _contest(tie_break: tuple[str, ...]) -> Contest:
    return Contest(id="essay", name="Essay prize", opens=datetime(2026, 1, 1, tzinfo=UTC),
                   closes=datetime(2026, 2, 1, tzinfo=UTC),
                   judging_closes=datetime(2026, 3, 1, tzinfo=UTC),
                   rubric=(Criterion("originality", 1, 10), Criterion("clarity", 1, 10)),
                   judges=(Judge("A", "a@x.org"), Judge("B", "b@x.org")),
                   tie_break=tie_break)


def _ledger(tmp_path: Path, scores: dict[int, dict[str, dict[str, int]]]) -> Ledger:
    ledger = Ledger(tmp_path / "intake.sqlite3")
    with ledger.transaction():
        for n, by_judge in scores.items():
            sub = ledger.add_submission(
                reference=f"JPMS-2026-000{n}", kind="contest", status=Status.QUEUED,
                title=f"Entry {n}", author_name=f"Author {n}",
                author_email=f"author{n}@uni.example.org", subject="entry",
                received=f"2026-01-1{n}T10:00:00+00:00", message_id=f"<{n}@x>",
                word_count=900, warnings=[], classification=Classification("contest", 5, ()),
                reason=None, draft_dir=None)
            ledger.add_entry(sub, "essay", "open", f"2026-01-1{n}T10:00:00+00:00")
            for judge, given in by_judge.items():
                ledger.assign_reader(sub, judge, "essay")
                ledger.save_scores(sub, judge, given, "")
    return ledger


def test_equal_scores_are_ordered_by_the_declared_rule_and_say_so(tmp_path: Path) -> None:
    # The same total from both judges, but entry 2 is the more original.
    ledger = _ledger(tmp_path, {
        1: {"a@x.org": {"originality": 5, "clarity": 9}, "b@x.org": {"originality": 5,
                                                                     "clarity": 9}},
        2: {"a@x.org": {"originality": 9, "clarity": 5}, "b@x.org": {"originality": 9,
                                                                     "clarity": 5}},
        3: {"a@x.org": {"originality": 2, "clarity": 2}, "b@x.org": {"originality": 2,
                                                                     "clarity": 2}}})
    by_originality = rank(ledger, _contest(("criterion:originality", "earliest")))
    assert [r.submission.reference for r in by_originality] == [
        "JPMS-2026-0002", "JPMS-2026-0001", "JPMS-2026-0003"]
    assert by_originality[0].tie == "tie broken by originality"
    earliest = rank(ledger, _contest(("earliest",)))
    assert [r.submission.reference for r in earliest][:2] == ["JPMS-2026-0001",
                                                              "JPMS-2026-0002"]
    assert earliest[1].tie == "tie broken by the earlier entry"
    assert earliest[2].tie == ""


def test_a_harsh_judge_and_a_lenient_one_weigh_alike(tmp_path: Path) -> None:
    # Judge A gives everything 2 points less than judge B: the order is the same as
    # either judge alone, and each entry's z-scores agree.
    ledger = _ledger(tmp_path, {
        n: {"a@x.org": {"originality": q - 2, "clarity": q - 2},
            "b@x.org": {"originality": q, "clarity": q}}
        for n, q in ((1, 6), (2, 10), (3, 8))})
    rows = rank(ledger, _contest(("earliest",)))
    assert [r.submission.reference for r in rows] == ["JPMS-2026-0002", "JPMS-2026-0003",
                                                      "JPMS-2026-0001"]
    for row in rows:
        assert abs(row.z["a@x.org"] - row.z["b@x.org"]) < 1e-9
        assert row.spread > 20  # the raw scores stay in view, and apart


def test_a_version_after_the_closing_date_is_held_not_judged(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    first = entry("Sam Lee <sam@uni.example.org>", "Writing contest: nights", ESSAY, "<v1@x>")
    assert cli("--config", config, "ingest", eml_folder(config.parent, [first])).code == 0
    # The contest has closed since (the same data folder, settings with its dates past).
    config = with_contests(make_config, contest_settings(opens=-20, closes=-1, judging=10))
    second = entry("Sam Lee <sam@uni.example.org>", "[JPMS-2026-0001] corrected entry",
                   ["A corrected version. " + ESSAY[0]], "<v2@x>")
    assert cli("--config", config, "ingest", eml_folder(config.parent, [second])).code == 0
    shown = cli("--config", config, "show", "JPMS-2026-0001", "--json")
    assert '"revision": 1' in shown.out
    assert "closed: kept for the editors, not judged" in shown.out


def test_a_footnote_a_comment_and_a_tracked_deletion_never_reach_judges(
        make_config: Callable[..., Path], cli: Cli) -> None:
    from intake.demo.samples import DOCX
    from intake.demo.samples import email as make_email
    from tests.contesthelp import NOW
    from tests.docgen import para, run, with_parts

    body = (para(run(ESSAY[0]), '<w:r><w:footnoteReference w:id="1"/></w:r>')
            + para(run("Kept words. "),
                   '<w:del w:id="9" w:author="Zoë Okafor"><w:r><w:delText>Written by Zoë '
                   "Okafor</w:delText></w:r></w:del>"))
    document = with_parts(body, footnotes={"1": "Personal notes of Zoë Okafor, 2026."},
                          comments=[("Zoë Okafor", "Note to self: Okafor family story")])
    config = with_contests(make_config, contest_settings())
    mail = [make_email("Zoë Okafor <zoe@kcl.example.ac.uk>", "Writing contest entry",
                       "Attached.", message_id="<f1@x>", date=NOW,
                       attachments=(("entry.docx", DOCX, document),))]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    assert cli("--config", config, "contest", "copy", "JPMS-2026-0001").code == 0
    copy = (config.parent / "var" / "drafts" / "JPMS-2026-0001" / "judges" / "copy.md"
            ).read_text(encoding="utf-8")
    assert "Personal notes of \\[author\\]" in copy  # the footnote, kept without the name
    assert "Okafor" not in copy and "Zoë" not in copy and "Written by" not in copy
    assert "Kept words." in copy
