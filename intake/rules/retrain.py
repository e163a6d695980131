"""`intake model retrain` and `rollback`: triage learns from the site's own corrections.

The new model is trained, as the shipped one was (intake.rules.train), on the labelled
corpus shipped with intake plus every correction editors made (intake.rules.corrections).
Before it is installed it is compared with the installed one by cross-validation on the
same folds: the corpus and the corrections are dealt into K folds (each kind spread
evenly), and for each fold both recipes are trained on the other folds (the installed
model's recipe: the corpus and the corrections it was trained with; the new: the
corpus and every correction) and scored on that fold. The new model is installed only
if its mean accuracy is not lower, or when forced; the model it replaces is kept for
`intake model rollback`.

The site's model lives in the data folder (model/triage.json, model/previous.json),
and is what [triage] model = "builtin" uses once there. Training needs scikit-learn
(`pip install 'intake[train]'`); classifying never does.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intake.core.config import Settings
from intake.core.errors import IntakeError
from intake.ledger import Ledger
from intake.ledger.store import fsync_dir
from intake.rules import corrections, train
from intake.rules.learned import BUILTIN, Model, ModelError, load
from intake.rules.site_model import installed, model_path, previous


@dataclass(frozen=True)
class Example:
    label: str
    features: dict[str, float]
    correction: int = 0  # the correction's id; 0: from the shipped corpus


@dataclass
class Comparison:
    folds: int
    old: list[float] = field(default_factory=list)  # accuracy per fold
    new: list[float] = field(default_factory=list)
    # Each correction's fold test: (truth, old guess, new guess).
    site: list[tuple[str, str, str]] = field(default_factory=list)
    recall_old: dict[str, float] = field(default_factory=dict)
    recall_new: dict[str, float] = field(default_factory=dict)
    support: dict[str, int] = field(default_factory=dict)

    @property
    def old_mean(self) -> float:
        return sum(self.old) / len(self.old)

    @property
    def new_mean(self) -> float:
        return sum(self.new) / len(self.new)

    @property
    def not_worse(self) -> bool:
        return round(self.new_mean, 4) >= round(self.old_mean, 4)

    def lines(self) -> list[str]:
        out = [f"{self.folds}-fold cross-validation, the same folds for both models "
               "(the model alone, without the settings' phrases):",
               "fold  installed  new",
               *(f"{n:>4}  {o:9.3f}  {w:.3f}" for n, (o, w) in
                 enumerate(zip(self.old, self.new, strict=True), start=1)),
               f"mean  {self.old_mean:9.3f}  {self.new_mean:.3f}",
               "recall by kind (installed → new):"]
        out.extend(f"  {label:<12} {self.support[label]:>4}  {self.recall_old[label]:.2f} → "
                   f"{self.recall_new[label]:.2f}" for label in sorted(self.support))
        if self.site:
            right_old = sum(t == o for t, o, _ in self.site)
            right_new = sum(t == n for t, _, n in self.site)
            out.append(f"the site's corrections, each scored by models trained without it: "
                       f"installed {right_old}/{len(self.site)}, new "
                       f"{right_new}/{len(self.site)}")
        return out


def examples(ledger: Ledger) -> tuple[list[Example], list[str]]:
    """The shipped corpus and the site's corrections, as labelled features; and what was
    left out, in words."""
    found = [Example(label, feats) for _, label, feats in train.examples(corpus_folder())]
    skipped: Counter[str] = Counter()
    for correction in ledger.corrections():
        if correction.kind not in train.LABELS:
            skipped[correction.kind] += 1
            continue
        found.append(Example(correction.kind, corrections.features(correction),
                             correction.id))
    notes = [f"{count} correction(s) to {kind} left out: the model learns only "
             f"{', '.join(train.LABELS)}" for kind, count in sorted(skipped.items())]
    return found, notes


def corpus_folder() -> Path:
    """tests/labelled/ of a checkout, or the copy a wheel carries inside the package."""
    packaged = Path(__file__).resolve().parents[1] / "_labelled"
    return packaged if packaged.is_dir() else train.CORPUS


def compare(found: list[Example], old_upto: int, k: int = 5) -> Comparison:
    """Cross-validated accuracy of the installed recipe (corrections up to old_upto) and
    the new one (all of them), trained and scored on the same folds."""
    result = Comparison(k)
    hits_old: Counter[str] = Counter()
    hits_new: Counter[str] = Counter()
    result.support = dict(Counter(e.label for e in found))
    for held in train.folds([e.label for e in found], k):
        train_new = [e for i, e in enumerate(found) if i not in held]
        train_old = [e for e in train_new if e.correction <= old_upto]
        old, new = (_fitted(chosen) for chosen in (train_old, train_new))
        tested = [found[i] for i in sorted(held)]
        guesses = [(e, _guess(old, e), _guess(new, e)) for e in tested]
        result.old.append(sum(e.label == o for e, o, _ in guesses) / len(tested))
        result.new.append(sum(e.label == n for e, _, n in guesses) / len(tested))
        for e, o, n in guesses:
            hits_old[e.label] += e.label == o
            hits_new[e.label] += e.label == n
            if e.correction:
                result.site.append((e.label, o, n))
    result.recall_old = {lb: hits_old[lb] / n for lb, n in result.support.items()}
    result.recall_new = {lb: hits_new[lb] / n for lb, n in result.support.items()}
    return result


@dataclass(frozen=True)
class Retrained:
    comparison: Comparison
    installed: bool
    corrections: int
    notes: list[str]


def retrain(settings: Settings, ledger: Ledger, *, force: bool = False,
            k: int = 5) -> Retrained:
    if settings.triage.model != "builtin":
        raise IntakeError(f"{settings.path}: [triage] model is {settings.triage.model!r}; "
                          "a retrained model is used only with model = \"builtin\": set it "
                          "so, or train your own file with `make model`")
    found, notes = examples(ledger)
    site = [e for e in found if e.correction]
    if not site and not force:
        raise IntakeError("no corrections yet: reclassify submissions on the desk or with "
                          "`intake reclassify` first (each is a labelled example)")
    labels = Counter(e.label for e in found)
    if min(labels.values()) < k:
        raise IntakeError(f"too few examples of {min(labels, key=labels.__getitem__)} for "
                          f"{k} folds")
    current = installed(settings.data_dir)
    old_upto = _trained_upto(current) if current.is_file() else 0
    comparison = compare(found, old_upto, k)
    if not (comparison.not_worse or force):
        return Retrained(comparison, False, len(site), notes)
    upto = max((e.correction for e in found), default=0)
    counts = Counter(e.label for e in found)
    data = train.fit([e.label for e in found], [e.features for e in found], train.C,
                     f"multinomial logistic regression (C={train.C}) on the shipped corpus "
                     f"and {len(site)} correction(s) of this site, {len(found)} examples: "
                     + ", ".join(f"{k} {counts[k]}" for k in train.LABELS))
    data.update({"corrections_upto": upto,
                 "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
                 "cross_validated": {"installed": round(comparison.old_mean, 4),
                                     "new": round(comparison.new_mean, 4), "folds": k}})
    _install(settings.data_dir, data)
    return Retrained(comparison, True, len(site), notes)


def rollback(data_dir: Path) -> str:
    """Put back the model the last retrain replaced; returns what is in use now."""
    current, kept = installed(data_dir), previous(data_dir)
    if kept.is_file():
        kept.replace(current)
        fsync_dir(current.parent)
        return f"the model trained {_about(current)} is back"
    if current.is_file():
        current.unlink()
        fsync_dir(current.parent)
        return "the model shipped with intake is back"
    raise IntakeError("nothing to roll back: the model shipped with intake is in use")


def status(settings: Settings, ledger: Ledger) -> list[str]:
    path = model_path(settings)
    lines = [f"in use: {'none (phrases only)' if path is None else path}"]
    if path is not None:
        try:
            model = load(path)
        except ModelError as exc:
            lines.append(f"cannot be read: {exc}")
        else:
            lines.append(f"trained: {_about(path)}; {model.about}")
    kept, site = previous(settings.data_dir), installed(settings.data_dir)
    if kept.is_file():
        lines.append(f"rollback: to the model trained {_about(kept)}")
    else:
        lines.append("rollback: " + ("to the shipped model" if site.is_file()
                                     else "nothing to roll back"))
    made = ledger.corrections()
    upto = _trained_upto(path) if path is not None and path != BUILTIN else 0
    kinds = Counter(c.kind for c in made)
    lines.append(f"corrections kept: {len(made)}"
                 + (f" ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})"
                    if made else "")
                 + f"; {sum(c.id > upto for c in made)} not yet learned")
    return lines


def _install(data_dir: Path, data: dict[str, Any]) -> None:
    """Write the new model beside its place, keep the current one as previous, then
    rename: a crash leaves one whole model or the other."""
    current = installed(data_dir)
    current.parent.mkdir(parents=True, exist_ok=True)
    tmp = current.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    load(tmp)  # what is installed must read back
    if current.is_file():
        current.replace(previous(data_dir))
    else:
        previous(data_dir).unlink(missing_ok=True)  # rollback then means the shipped one
    tmp.replace(current)
    fsync_dir(current.parent)


def _trained_upto(path: Path) -> int:
    try:
        return int(json.loads(path.read_text(encoding="utf-8")).get("corrections_upto", 0))
    except (OSError, ValueError, AttributeError):
        return 0


def _about(path: Path) -> str:
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("trained_at")
                   or "with intake")
    except (OSError, ValueError, AttributeError):
        return "(unreadable)"


def _fitted(chosen: list[Example]) -> Model:
    data = train.fit([e.label for e in chosen], [e.features for e in chosen])
    return Model(tuple(data["labels"]), tuple(data["intercept"]),
                 {k: tuple(v) for k, v in data["weights"].items()})


def _guess(model: Model, example: Example) -> str:
    scores = model.scores(example.features)
    return model.labels[max(range(len(scores)), key=scores.__getitem__)]
