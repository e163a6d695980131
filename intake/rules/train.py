"""Train triage's model from the labelled corpus: `make model` (needs scikit-learn).

Every labelled message goes through intake's own parser and converter, so the model
learns from the same features (intake.rules.features) it will see in a run. The model
is a multinomial logistic regression (scikit-learn), L2-regularised; its weights are
written as JSON that intake reads with the standard library alone (intake.rules.learned).

Usage: python -m intake.rules.train [--corpus tests/labelled] [--out FILE] [--c 1.0]
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from intake.core.config import DraftsSection
from intake.drafts.build import read_manuscript
from intake.mail.parse import parse_message
from intake.rules import corpus
from intake.rules.features import message_features
from intake.rules.learned import BUILTIN

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "labelled"
# The model's kinds: what the shipped settings declare. Automatic mail ("ignored") is
# recognised by rules before a kind is decided, and never reaches the model.
LABELS = ("guest_post", "sponsored", "application", "contest", "other")
# A feature seen in fewer messages than this is a name or a typo, not a pattern.
MIN_COUNT = 2
C = 1.0


def examples(folder: Path = CORPUS) -> list[tuple[int, str, dict[str, float]]]:
    """(number in the corpus, label, features) of every message the model learns from."""
    entries, bank = corpus.load(folder)
    drafts = DraftsSection()
    found = []
    for number, entry in enumerate(entries):
        if entry["label"] not in LABELS:
            continue
        msg = parse_message(corpus.build(entry, number, bank))
        document = read_manuscript(msg, drafts)
        text = title = None
        if document.attachment is not None and not document.problem:
            text, title = document.converted.markdown, document.converted.title
        found.append((number, str(entry["label"]), message_features(msg, text, title)))
    return found


def folds(labels: Sequence[str], k: int, seed: int = 7) -> list[set[int]]:
    """k sets of example numbers, each label dealt out evenly (stratified); the same for
    the same labels, so that two models can be scored on the same folds."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for number, label in enumerate(labels):
        by_label[label].append(number)
    rng = random.Random(seed)  # noqa: S311 - deals folds, no secret
    dealt: list[set[int]] = [set() for _ in range(k)]
    turn = 0
    for label in sorted(by_label):
        numbers = by_label[label]
        rng.shuffle(numbers)
        for number in numbers:
            dealt[turn % k].add(number)
            turn += 1
    return dealt


def fit(labels: Sequence[str], features: Sequence[dict[str, float]], c: float = C,
        about: str = "") -> dict[str, Any]:
    """The model as JSON data: labels, intercepts and one weight per label per feature."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    seen = Counter(name for feats in features for name in feats)
    kept = [{k: v for k, v in feats.items() if seen[k] >= MIN_COUNT} for feats in features]
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(kept)
    model = LogisticRegression(C=c, max_iter=10_000)
    model.fit(matrix, list(labels))
    classes = [str(label) for label in model.classes_]
    weights = {}
    for column, name in enumerate(vectorizer.feature_names_):
        row = [float(model.coef_[i, column]) for i in range(len(classes))]
        if max(abs(w) for w in row) >= 0.01:
            weights[str(name)] = [round(w, 4) for w in row]
    return {"about": about, "labels": classes,
            "intercept": [round(float(b), 4) for b in model.intercept_],
            "weights": dict(sorted(weights.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=BUILTIN)
    parser.add_argument("--c", type=float, default=C, help="inverse regularisation strength")
    args = parser.parse_args(argv)
    found = examples(args.corpus)
    counts = Counter(label for _, label, _ in found)
    about = (f"multinomial logistic regression (C={args.c}) on {len(found)} labelled messages "
             f"of {args.corpus.name}/: " + ", ".join(f"{k} {counts[k]}" for k in LABELS))
    data = fit([label for _, label, _ in found], [f for _, _, f in found], args.c, about)
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n",
                        encoding="utf-8")
    print(f"{args.out}: {about}; {len(data['weights'])} features kept")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
