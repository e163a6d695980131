"""The learned part of triage: a linear model over intake.rules.features.

The model is a small JSON file (triage_model.json, beside this module), written by
intake/rules/train.py from the labelled corpus in tests/labelled/ (`make model`). It
holds, for each feature, one weight per kind; a message's score for a kind is the sum
of the weights of its features plus the kind's intercept, and the scores become
probabilities by softmax (multinomial logistic regression). Reading it needs nothing
but the standard library, so scikit-learn is needed only to train.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BUILTIN = Path(__file__).with_name("triage_model.json")


class ModelError(Exception):
    """A model file that cannot be used; the reason is for the operator."""


@dataclass(frozen=True)
class Model:
    labels: tuple[str, ...]
    intercept: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    about: str = ""  # what it was trained on, for doctor and the README

    def scores(self, features: dict[str, float]) -> list[float]:
        totals = list(self.intercept)
        for name, value in features.items():
            row = self.weights.get(name)
            if row is None:
                continue
            for index, weight in enumerate(row):
                totals[index] += weight * value
        return totals

    def reasons(self, features: dict[str, float], label: str, count: int = 4) -> list[str]:
        """The features that pulled most towards label, against the other kinds, in words."""
        index = self.labels.index(label)
        pulls = []
        for name, value in features.items():
            row = self.weights.get(name)
            if row is None:
                continue
            others = (sum(row) - row[index]) / max(len(row) - 1, 1)
            pulls.append(((row[index] - others) * value, name))
        pulls.sort(reverse=True)
        return [describe(name) for pull, name in pulls[:count] if pull > 0.05]


def softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def load(path: Path) -> Model:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        labels = tuple(str(label) for label in data["labels"])
        intercept = tuple(float(x) for x in data["intercept"])
        weights = {str(k): tuple(float(x) for x in v) for k, v in data["weights"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"the triage model {path} cannot be read ({exc})") from exc
    if len(intercept) != len(labels) or any(len(w) != len(labels) for w in weights.values()):
        raise ModelError(f"the triage model {path} is inconsistent: one weight per kind needed")
    return Model(labels, intercept, weights, str(data.get("about", "")))


def cached(path: Path) -> Model:
    """The model in path, read again only when the file changed (a retrain installs a
    new one in place)."""
    try:
        stamp = path.stat()
    except OSError as exc:
        raise ModelError(f"the triage model {path} cannot be read ({exc.strerror})") from exc
    return _read(path, stamp.st_mtime_ns, stamp.st_size, stamp.st_ino)


@cache
def _read(path: Path, mtime_ns: int, size: int, inode: int) -> Model:
    return load(path)


_FIELDS = {"s": "the subject", "b": "the message", "n": "an attachment's name"}
_CONCEPT_PLACES = {"k": "the message", "ks": "the subject", "kn": "an attachment's name",
                   "kd": "the document", "kt": "the document's title"}
_CONCEPT_WORDS = {
    "money": "speaks of paying or prices",
    "promotion": "speaks of sponsorship, advertising or a brand",
    "joining": "speaks of joining the team",
    "cv": "names a CV or its sections",
    "contest": "speaks of a contest, prize or entry",
    "writing": "speaks of a piece of writing",
    "status": "asks after something already sent",
    "request": "asks to delete, withdraw or correct something",
    "deadline": "asks about dates or deadlines",
}
_SHAPES = {
    "f:reply": "the subject is a reply",
    "f:forward": "the message is a forward",
    "f:no_subject": "there is no subject",
    "f:question": "the message asks a question",
    "f:money": "the message names a price",
    "f:shared_link": "a shared-document link",
    "f:link": "a web link",
    "f:role_sender": "sent from a role address",
    "f:images_only": "only images are attached",
    "f:doc_title": "the document has a title",
    "f:doc_many_years": "the document lists many dates (like a CV)",
    "f:doc_mostly_lists": "the document is mostly lists",
    "f:doc_long_paragraphs": "the document is written in paragraphs",
    "f:doc_short_lines": "the document is short lines",
    "f:doc_money": "the document names prices",
}


def describe(name: str) -> str:
    """A feature in words an editor can check against the message."""
    if name in _SHAPES:
        return _SHAPES[name]
    kind, _, value = name.partition(":")
    if kind in _CONCEPT_PLACES:
        return f"{_CONCEPT_PLACES[kind]} {_CONCEPT_WORDS.get(value, value)}"
    if kind == "kk":
        first, _, second = value.partition("+")
        return (f"the message {_CONCEPT_WORDS.get(first, first)} and "
                f"{_CONCEPT_WORDS.get(second, second)}")
    if kind == "f":
        thing, _, size = value.rpartition("_")
        if thing == "documents":
            return "nothing is attached" if size == "0" else f"{size} document(s) attached"
        if thing == "doc_headings":
            return f"the document has {size}{'+' if size == '4' else ''} heading(s)"
        if thing in ("body", "doc"):
            words = {"none": "empty", "few": "a few words"}.get(size, size)
            return f"{'the message' if thing == 'body' else 'the document'} is {words}"
        return f"{thing.replace('_', ' ')}: {size}"
    if kind == "r":
        return f"sent from a '{value}@' address"
    if kind == "t":
        return f"a {value} file is attached"
    field = kind.rstrip("25")
    where = _FIELDS.get(field, field)
    if kind.endswith("2"):
        return f"{where} says '{value.replace('_', ' ')}'"
    if kind.endswith("5"):
        return f"{where} has a word starting '{value}…'"
    return f"{where} says '{value}'"
