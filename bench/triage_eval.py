"""Triage on the labelled corpus: precision and recall per kind, cross-validated,
through the real pipeline.

The corpus (tests/labelled/*.yaml, intake.rules.corpus) is split into K folds, each
fold's kinds spread like the whole's. For each fold, a model is trained on the other
folds only (intake.rules.train) and every message of the fold goes through intake's
own accept and process steps (automatic-mail rules, the document read, drafts, checks,
acknowledgements written to files) with the kinds of a settings file (default: the
repository's settings.toml) and that model. No message is ever scored by a model
that saw it.

A message sent to triage (an unsure decision) counts as a miss for recall and is
reported on its own line; it never counts against precision. The confidence the
model gave is compared with how often it was right (calibration).

Usage: .venv/bin/python bench/triage_eval.py [--folds 5] [--config settings.toml]
       [--corpus tests/labelled] [--holdout] [--shipped]
  --holdout: the shipped model on tests/labelled/holdout/, never trained or tuned on;
  --shipped: the shipped model on its own training set (a check of the file, not a
  figure).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from intake.core.config import settings_from_dict  # noqa: E402
from intake.core.models import RawMessage, Status  # noqa: E402
from intake.pipeline.run import Intake, RunReport  # noqa: E402
from intake.rules import corpus, train  # noqa: E402

LABELLED = REPO / "tests" / "labelled"
TRIAGE = "(triage)"


@dataclass
class Evaluation:
    labels: list[str]
    pairs: list[tuple[str, str, str]] = field(default_factory=list)  # subject, truth, guess
    # (confidence the model gave, whether its kind was right), for the calibration table
    confidences: list[tuple[int, bool]] = field(default_factory=list)

    def accuracy(self) -> float:
        return sum(p[1] == p[2] for p in self.pairs) / len(self.pairs) if self.pairs else 0.0

    def precision(self, label: str) -> float:
        guessed = [p for p in self.pairs if p[2] == label]
        return sum(p[1] == label for p in guessed) / len(guessed) if guessed else 1.0

    def recall(self, label: str) -> float:
        actual = [p for p in self.pairs if p[1] == label]
        return sum(p[2] == label for p in actual) / len(actual) if actual else 1.0

    def support(self, label: str) -> int:
        return sum(p[1] == label for p in self.pairs)

    @property
    def triaged(self) -> list[tuple[str, str, str]]:
        return [p for p in self.pairs if p[2] == TRIAGE]

    @property
    def wrong(self) -> list[tuple[str, str, str]]:
        return [p for p in self.pairs if p[2] not in (p[1], TRIAGE)]

    def report(self) -> str:
        lines = [f"{'label':<12} {'n':>3} {'precision':>9} {'recall':>7}"]
        for label in self.labels:
            lines.append(f"{label:<12} {self.support(label):>3} "
                         f"{self.precision(label):>9.2f} {self.recall(label):>7.2f}")
        kinds = [lb for lb in self.labels if lb != "ignored"]
        macro_p = sum(self.precision(k) for k in kinds) / len(kinds)
        macro_r = sum(self.recall(k) for k in kinds) / len(kinds)
        lines.append(f"{'kinds (mean)':<12} {sum(self.support(k) for k in kinds):>3} "
                     f"{macro_p:>9.2f} {macro_r:>7.2f}")
        lines.append(f"sent to triage for an editor: {len(self.triaged)} of {len(self.pairs)}")
        lines.extend(f"  triage: {s!r} (is {t})" for s, t, _ in self.triaged)
        lines.extend(f"  wrong:  {s!r} is {t}, taken as {g}" for s, t, g in self.wrong)
        return "\n".join(lines)


def _settings(config: Path, tmp: Path, model: Path | None) -> dict[str, Any]:
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    data.pop("imap", None)
    data["intake"] = {**data.get("intake", {}), "data_dir": str(tmp / "var"),
                      "templates_dir": str(REPO / "templates")}
    data["smtp"] = {"transport": "file", "file_dir": str(tmp / "sent"),
                    "from": data.get("smtp", {}).get("from", "Editors <ed@example.org>")}
    data["replies"] = {"max_per_sender": 1000, "max_per_run": 100000}
    if model is not None:
        data["triage"] = {**data.get("triage", {}), "model": str(model)}
    return data


def evaluate(config: Path = REPO / "settings.toml", labelled: Path = LABELLED,
             model: Path | None = None, only: set[int] | None = None,
             into: Evaluation | None = None) -> Evaluation:
    """Run the messages numbered in only (default: all) through the pipeline."""
    entries, bank = corpus.load(labelled)
    chosen = [n for n in range(len(entries)) if only is None or n in only]
    with tempfile.TemporaryDirectory() as tmp:
        data = _settings(config, Path(tmp), model)
        app = Intake(settings_from_dict(data, Path(tmp) / "settings.toml"))
        try:
            report = RunReport()
            for number in chosen:
                app.accept(RawMessage("file", f"labelled#{number}",
                                      corpus.build(entries[number], number, bank)), report)
            app.process_pending(report)
            guesses = {s.message_id: s for s in app.ledger.submissions()}
        finally:
            app.close()
    result = into or Evaluation(list(dict.fromkeys(e["label"] for e in entries)))
    for number in chosen:
        entry = entries[number]
        sub = guesses.get(f"<labelled-{number}@test>")
        if sub is None:
            guess = "(lost)"
        elif sub.status is Status.IGNORED:
            guess = "ignored"
        elif sub.status is Status.TRIAGE:
            guess = TRIAGE
        else:
            guess = sub.kind
        result.pairs.append((entry["subject"] or "(no subject)", entry["label"], guess))
        found = sub.classification if sub is not None else None
        if found is not None and any("sure, from what" in s for s in found.signals):
            result.confidences.append((found.score, found.kind == entry["label"]))
    return result


def crossvalidate(k: int = 5, config: Path = REPO / "settings.toml",
                  labelled: Path = LABELLED, c: float = train.C) -> Evaluation:
    entries, _ = corpus.load(labelled)
    examples = {number: (label, feats) for number, label, feats in train.examples(labelled)}
    result = Evaluation(list(dict.fromkeys(e["label"] for e in entries)))
    with tempfile.TemporaryDirectory() as tmp:
        for index, held in enumerate(train.folds([e["label"] for e in entries], k)):
            kept = [examples[n] for n in sorted(examples) if n not in held]
            data = train.fit([label for label, _ in kept], [f for _, f in kept], c)
            path = Path(tmp) / f"fold-{index}.json"
            path.write_text(json.dumps(data), encoding="utf-8")
            evaluate(config, labelled, path, held, into=result)
    return result


def calibration(result: Evaluation) -> list[str]:
    """How often the model was right at each level of confidence it gave."""
    lines = ["confidence   n  right"]
    for low, high in ((0, 50), (50, 70), (70, 90), (90, 101)):
        band = [right for score, right in result.confidences if low <= score < high]
        if band:
            lines.append(f"{low:>3}-{min(high, 100):<3}%  {len(band):>4}  "
                         f"{sum(band) / len(band):5.0%}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "settings.toml")
    parser.add_argument("--corpus", type=Path, default=LABELLED)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=train.C)
    parser.add_argument("--shipped", action="store_true",
                        help="score the shipped model on the corpus it was trained on")
    parser.add_argument("--holdout", action="store_true",
                        help="score the shipped model on the held-out set (tests/labelled/"
                             "holdout/), which nothing was trained or tuned on")
    args = parser.parse_args()
    shown = args.corpus.relative_to(REPO) if args.corpus.is_relative_to(REPO) else args.corpus
    if args.holdout:
        held = args.corpus / "holdout"
        result = evaluate(args.config, held)
        print(f"shipped model on the held-out set {shown}/holdout/ ({len(result.pairs)} "
              f"messages, never trained or tuned on), kinds from {args.config.name}")
    elif args.shipped:
        result = evaluate(args.config, args.corpus)
        print(f"shipped model on {shown}/ ({len(result.pairs)} messages, its own training "
              f"set: not a figure), kinds from {args.config.name}")
    else:
        result = crossvalidate(args.folds, args.config, args.corpus, args.c)
        print(f"triage on {shown}/ ({len(result.pairs)} messages), {args.folds}-fold "
              f"cross-validation (each message scored by a model that never saw it), "
              f"kinds from {args.config.name}")
    print(result.report())
    print(f"accuracy (triage counted wrong): {result.accuracy():.2f}")
    print("\n".join(calibration(result)))


if __name__ == "__main__":
    main()
