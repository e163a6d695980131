"""A contest's ranking: fair to harsh and lenient judges, with the raw scores in view.

Each judge's score of an entry is the weighted mean of the rubric's criteria, as a
percentage of the scale. Within each judge those percentages are standardised
(z-scores: how far above or below that judge's own average, in that judge's spread),
and an entry's score is the mean of its judges' z-scores, so a harsh judge costs no
entry more than a lenient one gains another. Judges further apart than the contest's
`spread` (percentage points) on one entry flag it for the editors. Equal scores are
ordered by the declared tie-break rules, and the result says which rule decided.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import dataclass, field
from typing import Any

from intake.contests.settings import Contest
from intake.ledger import Ledger, Submission

AWARDS = ("winner", "honourable")


@dataclass
class Ranked:
    submission: Submission
    sent_at: str
    raw: dict[str, float]  # judge → weighted score, % of the scale
    by_criterion: dict[str, float]  # criterion → the judges' mean, % of its scale
    z: dict[str, float] = field(default_factory=dict)
    score: float | None = None  # the mean z-score; None: no judge has scored it
    place: int = 0
    tie: str = ""  # the rule that ordered it against an equal score
    award: str | None = None
    judges: int = 0  # judges given the entry

    @property
    def mean_raw(self) -> float | None:
        return statistics.fmean(self.raw.values()) if self.raw else None

    @property
    def spread(self) -> float:
        return max(self.raw.values()) - min(self.raw.values()) if len(self.raw) > 1 else 0.0


def weighted(contest: Contest, scores: dict[str, int]) -> float | None:
    """One judge's scores of one entry as a percentage (None when incomplete)."""
    if any(c.name not in scores for c in contest.rubric):
        return None
    total = sum(c.weight for c in contest.rubric)
    return 100 * sum(c.weight * (scores[c.name] - 1) / (c.scale - 1)
                     for c in contest.rubric) / total


def rank(ledger: Ledger, contest: Contest) -> list[Ranked]:
    rows: list[Ranked] = []
    for entry in ledger.entries(contest.id):
        sub = ledger.submission_by_id(entry.submission_id)
        scores = ledger.scores_of(sub.id)
        raw = {judge: value for judge, given in scores.items()
               if contest.judge(judge) is not None
               and (value := weighted(contest, given)) is not None}
        criteria = {c.name: statistics.fmean(100 * (given[c.name] - 1) / (c.scale - 1)
                                             for given in scores.values() if c.name in given)
                    for c in contest.rubric if any(c.name in g for g in scores.values())}
        rows.append(Ranked(sub, entry.sent_at, raw, criteria, award=entry.award,
                           judges=len(ledger.readers_of(sub.id))))
    by_judge: dict[str, list[float]] = {}
    for row in rows:
        for judge, value in row.raw.items():
            by_judge.setdefault(judge, []).append(value)
    for row in rows:
        for judge, value in row.raw.items():
            values = by_judge[judge]
            spread = statistics.pstdev(values) if len(values) > 1 else 0.0
            row.z[judge] = (value - statistics.fmean(values)) / spread if spread else 0.0
        row.score = statistics.fmean(row.z.values()) if row.z else None
    rows.sort(key=lambda r: _order(r, contest))
    for place, row in enumerate(rows, 1):
        row.place = place
        before = rows[place - 2] if place > 1 else None
        if before is not None and row.score is not None and before.score is not None and \
                abs(row.score - before.score) < 1e-9:
            row.tie = _decided_by(before, row, contest)
            before.tie = before.tie or row.tie
    return rows


def _order(row: Ranked, contest: Contest) -> tuple[Any, ...]:
    keys: list[Any] = [row.score is None, -(round(row.score, 9) if row.score is not None
                                            else 0)]
    for rule in contest.tie_break:
        if rule.startswith("criterion:"):
            keys.append(-row.by_criterion.get(rule.removeprefix("criterion:"), 0.0))
        elif rule == "earliest":
            keys.append(row.sent_at)
        elif rule == "most_judges":
            keys.append(-len(row.raw))
    return (*keys, row.submission.id)


def _decided_by(a: Ranked, b: Ranked, contest: Contest) -> str:
    for rule in contest.tie_break:
        if rule.startswith("criterion:"):
            name = rule.removeprefix("criterion:")
            if abs(a.by_criterion.get(name, 0) - b.by_criterion.get(name, 0)) > 1e-9:
                return f"tie broken by {name.replace('_', ' ')}"
        elif rule == "earliest" and a.sent_at != b.sent_at:
            return "tie broken by the earlier entry"
        elif rule == "most_judges" and len(a.raw) != len(b.raw):
            return "tie broken by the number of judges"
    return "tied"


def flagged(row: Ranked, contest: Contest) -> bool:
    return row.spread > contest.spread


def as_records(rows: list[Ranked], contest: Contest) -> list[dict[str, Any]]:
    return [{"place": r.place, "reference": r.submission.reference,
             "title": r.submission.title, "author": r.submission.author_name,
             "email": r.submission.author_email,
             "score": None if r.score is None else round(r.score, 3),
             "mean_raw": None if r.mean_raw is None else round(r.mean_raw, 1),
             "raw": {j: round(v, 1) for j, v in sorted(r.raw.items())},
             "spread": round(r.spread, 1), "flagged": flagged(r, contest),
             "judges_scored": len(r.raw), "judges_given": r.judges,
             "tie": r.tie, "award": r.award or ""} for r in rows]


def as_json(rows: list[Ranked], contest: Contest) -> str:
    return json.dumps({"contest": contest.id, "name": contest.name,
                       "results": as_records(rows, contest)}, indent=2, ensure_ascii=False)


def as_csv(rows: list[Ranked], contest: Contest) -> str:
    out = io.StringIO()
    columns = ["place", "reference", "title", "author", "email", "score", "mean_raw",
               "spread", "flagged", "judges_scored", "judges_given", "tie", "award", "raw"]
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for record in as_records(rows, contest):
        record["raw"] = "; ".join(f"{j}={v}" for j, v in record["raw"].items())
        writer.writerow({k: _cell(v) for k, v in record.items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A spreadsheet reads a cell that starts with = + - @ as a formula: not from us."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
