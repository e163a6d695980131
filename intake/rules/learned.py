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
        """The features that pulled most towards label, against the other kinds, in
        words; only those an editor can check (shown()), each said once."""
        index = self.labels.index(label)
        pulls = []
        for name, value in features.items():
            row = self.weights.get(name)
            if row is None or not shown(name):
                continue
            others = (sum(row) - row[index]) / max(len(row) - 1, 1)
            pulls.append(((row[index] - others) * value, name))
        pulls.sort(reverse=True)
        said = dict.fromkeys(describe(name) for pull, name in pulls if pull > 0.05)
        return list(said)[:count]


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


# What a reason may name: an idea in the words, the shape of the message or document, a
# kind of attachment, the sender's role, a phrase of two words. Never a single word or a
# word's first letters: alone they are stop words and fragments ("the", "unive…"), which
# the model weighs but an editor cannot use.
_HIDDEN = frozenset({"b", "s", "n", "b5", "s5", "n5"})
# Words too common to make a phrase worth showing ("of the", "I am").
_FILLER = frozenset({"the", "and", "for", "you", "are", "was", "has", "have", "with", "this",
                     "that", "will", "can", "would", "please", "thank", "thanks", "hi",
                     "hello", "dear", "regards", "best", "just", "also", "here"})
_PLACES = {"k": "the message", "ks": "the subject", "kn": "an attachment's name",
           "kd": "the document", "kt": "the document's title"}
_IDEAS = {
    "money": "speaks of payment",
    "price": "asks what a post costs",
    "earning": "asks whether writers are paid",
    "promotion": "speaks of sponsored or paid posts, or advertising",
    "joining": "asks to join the team",
    "cv": "names a CV",
    "contest": "speaks of the contest",
    "writing": "speaks of an article or a piece of writing",
    "status": "asks after something already sent",
    "request": "asks to delete, withdraw or correct something",
    "deadline": "asks about dates or deadlines",
}
_SHAPES = {
    "f:reply": "a reply to an earlier email",
    "f:forward": "a forwarded email",
    "f:no_subject": "no subject",
    "f:question": "asks a question",
    "f:money": "names a price",
    "f:shared_link": "a link to a shared document",
    "f:link": "a link to a website",
    "f:role_sender": "sent from a role address, not a person's",
    "f:images_only": "only images attached",
    "f:pasted_text": "a text pasted in the message, nothing attached",
    "f:doc_title": "the document has a title",
    "f:doc_many_years": "the document lists many years (as a CV does)",
    "f:doc_mostly_lists": "the document is mostly lists",
    "f:doc_long_paragraphs": "the document is written in paragraphs",
    "f:doc_short_lines": "the document is short lines",
    "f:doc_money": "the document names prices (a rate card?)",
}
_FILE_TYPES = {"docx": "a Word document", "doc": "an old Word document",
               "docm": "a Word document with macros", "odt": "an OpenDocument text",
               "pdf": "a PDF", "rtf": "an RTF document", "txt": "a text file",
               "html": "a web page", "jpeg": "a photo", "png": "an image", "gif": "an image",
               "webp": "an image", "heic": "an iPhone photo", "zip": "a zip archive"}
_SIZES = {"none": "an empty message", "few": "a message of a few words",
          "short": "a short message", "medium": "a message of a paragraph or two",
          "long": "a long message", "very long": "a very long message (an article pasted "
          "in?)"}
_DOC_SIZES = {"none": "an empty document", "few": "a document of a few words",
              "short": "a short document", "medium": "a document of a page or so",
              "long": "a long document", "very long": "a very long document"}


def shown(name: str) -> bool:
    """Whether a feature means something an editor can check (see _HIDDEN)."""
    kind, _, value = name.partition(":")
    if kind in _HIDDEN:
        return False
    if kind in ("b2", "s2"):
        return all(len(w) >= 3 and w not in _FILLER for w in value.split("_"))
    return True


def describe(name: str) -> str:
    """A feature in words an editor can check against the message."""
    if name in _SHAPES:
        return _SHAPES[name]
    kind, _, value = name.partition(":")
    if kind in _PLACES:
        idea = _IDEAS.get(value, value)
        return idea if kind == "k" else f"{_PLACES[kind]} {idea}"
    if kind == "kk":
        first, _, second = value.partition("+")
        return f"{_IDEAS.get(first, first)}, and {_IDEAS.get(second, second)}"
    if kind == "f":
        thing, _, size = value.rpartition("_")
        if thing == "documents":
            return "nothing attached" if size == "0" else \
                f"{size}{'+' if size == '3' else ''} document(s) attached"
        if thing == "doc_headings":
            return "the document has no headings" if size == "0" else \
                f"the document has {size}{'+' if size == '4' else ''} heading(s)"
        if thing == "body":
            return _SIZES.get(size, f"a {size} message")
        if thing == "doc":
            return _DOC_SIZES.get(size, f"a {size} document")
        return f"{thing.replace('_', ' ')}: {size}"
    if kind == "r":
        return f"sent from a '{value}@' address"
    if kind == "t":
        return f"{_FILE_TYPES.get(value, 'a ' + value + ' file')} attached"
    where = {"s2": "the subject", "b2": "the message"}.get(kind, kind)
    return f"{where} says '{value.replace('_', ' ')}'"
