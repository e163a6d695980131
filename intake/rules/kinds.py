"""Which kind of submission a message is: the operator's rules on top of a learned model.

A dedicated address (or plus-addressing) decides. Otherwise the learned model
(intake.rules.learned, over intake.rules.features: what the message and its document
say) gives each kind a probability, and every phrase of settings.toml that matches adds
RULES_WEIGHT per point to its kind; a kind of the operator's own that the model does
not know is found by its phrases alone. The reasons are kept, in words, so an editor can
see why a message landed where it did; a decision less sure than [triage]
min_confidence waits in triage. With [triage] model = "off", the phrases alone decide:
too weak ([triage] min_score) or too close to the runner-up ([triage] margin) is unsure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from intake.core.config import KindRule, TriageSection
from intake.core.models import Classification, ParsedMessage
from intake.drafts.build import COVER_NAME, Manuscript
from intake.drafts.manuscript import CV_NAME
from intake.rules.features import message_features
from intake.rules.learned import BUILTIN, Model, cached, softmax

ADDRESS_WEIGHT = 10  # a dedicated address is the author's own choice: it decides
TOGETHER_WEIGHT = 6  # a CV with a cover letter is an application whatever the words say
MANUSCRIPT_WEIGHT = 1  # a document attached: a hint for the kinds that need one
SUBJECT_WEIGHT = 3
ATTACHMENT_WEIGHT = 2
BODY_WEIGHT = 1
# Beside the model, each point of the operator's phrase rules adds this to a kind's
# score (a log-odds): a subject phrase (3 points) multiplies the odds by about 1.6;
# the shipped phrases repeat much of what the model knows, so they nudge, not decide.
RULES_WEIGHT = 0.15
_BODY_CHARS = 20_000  # phrases in the opening of a long body are what matter
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|tr|sv|rv|wg)\s*:\s*)+", re.I)


@cache
def _phrase(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase.lower().split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def _found(phrases: Iterable[str], text: str) -> list[str]:
    return [p for p in phrases if p.strip() and _phrase(p).search(text)]


def _plus_tag(address: str) -> str:
    local = address.partition("@")[0]
    return local.partition("+")[2]


def _has_manuscript(msg: ParsedMessage) -> bool:
    """A document other than a CV or a cover letter is attached."""
    return any(a.file_type.is_document and not a.inline and not CV_NAME.search(a.filename)
               and not COVER_NAME.search(a.filename) for a in msg.attachments)


def _score(rule: KindRule, msg: ParsedMessage, subject: str, body: str,
           names: str, manuscript: bool) -> tuple[int, list[str]]:
    score, signals = 0, []
    if manuscript and rule.needs_manuscript:
        score += MANUSCRIPT_WEIGHT
        signals.append("a document is attached")
    wanted = {a.lower() for a in rule.addresses}
    for rcpt in msg.recipients:
        if rcpt in wanted or _plus_tag(rcpt) == rule.name:
            score += ADDRESS_WEIGHT
            signals.append(f"sent to {rcpt}")
    if rule.attachments_together and all(
            _found(group.split("|"), names) for group in rule.attachments_together):
        score += TOGETHER_WEIGHT
        signals.append("attachments include " + " and ".join(
            g.split("|")[0] for g in rule.attachments_together))
    for phrase in _found(rule.subject, subject):
        score += SUBJECT_WEIGHT
        signals.append(f"subject mentions '{phrase}'")
    for word in _found(rule.attachments, names):
        score += ATTACHMENT_WEIGHT
        signals.append(f"attachment named '{word}'")
    for phrase in _found(rule.body, body):
        score += BODY_WEIGHT
        signals.append(f"body mentions '{phrase}'")
    return score, signals


def classify(msg: ParsedMessage, rules: Iterable[KindRule], triage: TriageSection,
             document: Manuscript | None = None, model_file: Path | None = None
             ) -> Classification:
    """The kind of a message: a dedicated address decides; otherwise the learned model
    weighs what the message and its document say, and the operator's phrases add to it
    (RULES_WEIGHT per point); with [triage] model = "off", the phrases alone."""
    rules = tuple(rules)
    subject = _REPLY_PREFIX.sub("", msg.subject).lower()
    body = msg.text[:_BODY_CHARS].lower()
    names = " ".join(a.filename.lower().replace("_", " ").replace("-", " ").replace(".", " ")
                     for a in msg.attachments if not a.inline)
    manuscript = _has_manuscript(msg)
    scored = sorted(((*_score(rule, msg, subject, body, names, manuscript), order, rule.name)
                     for order, rule in enumerate(rules)),
                    key=lambda s: (-s[0], s[2]))  # a tie goes to the kind listed first
    model = _model(triage, model_file)
    addressed = bool(scored) and any(s.startswith("sent to ") for s in scored[0][1])
    if model is None or addressed or not rules:
        return _by_rules(msg, scored, triage)
    top_rule = scored[0] if scored else None
    if top_rule is not None and top_rule[3] not in model.labels \
            and top_rule[0] >= triage.min_score:
        return _by_rules(msg, scored, triage)  # a kind of the operator's own, by its phrases
    text = title = of_document = None
    if document is not None and document.attachment is not None and not document.problem:
        converted = document.converted
        text, title, of_document = converted.markdown, converted.title, converted.features
    features = message_features(msg, text, title, of_document)
    raw = model.scores(features)
    points = {name: score for score, _, _, name in scored}
    logits = {label: raw[index] + RULES_WEIGHT * points.get(label, 0)
              for index, label in enumerate(model.labels)}
    # A kind the model knows but the settings do not declare is left out, and the
    # probabilities are shared among the kinds that remain.
    declared = {rule.name for rule in rules}
    names_kept = [label for label in model.labels if label in declared]
    if not names_kept:
        return _by_rules(msg, scored, triage)
    probs = dict(zip(names_kept, softmax([logits[n] for n in names_kept]), strict=True))
    ranked = sorted(probs.items(), key=lambda kv: -kv[1])
    kind, p = ranked[0]
    said = "the message and its document say" if text else "the message says"
    facts = _facts(msg)
    matched = {s for score in scored if score[3] == kind for s in score[1]}
    reasons = [r for r in model.reasons(features, kind)
               if r not in facts and not _repeats(r, matched)]
    signals = [f"{p:.0%} sure, from what {said}", *facts, *reasons[:max(2, 4 - len(facts))]]
    signals.extend(s for s in {s[3]: s[1] for s in scored}.get(kind, [])
                   if s != "a document is attached")
    sure = p * 100 >= triage.min_confidence
    if not sure:
        runner = ranked[1] if len(ranked) > 1 else None
        signals.append(f"unsure: {p:.0%}, {triage.min_confidence}% needed"
                       + (f"; next: {runner[0]} {runner[1]:.0%}" if runner else ""))
    return Classification(kind, round(p * 100), tuple(signals), sure)


_WORD = re.compile(r"[^\W\d_]+")
_QUOTED = re.compile(r"^[^\S\n]*>[^\n]*$", re.MULTILINE)
_PASTED_WORDS = 250  # a body this long with nothing attached is a text, not a note


def _repeats(reason: str, matched: set[str]) -> bool:
    """A model's phrase that one of the settings' phrases already names."""
    for place, rule in (("the subject says ", "subject mentions "),
                        ("the message says ", "body mentions ")):
        if reason.startswith(place) and rule + reason[len(place):] in matched:
            return True
    return False


def _facts(msg: ParsedMessage) -> list[str]:
    """What an editor sees at a glance and the model weighs: what is attached, and an
    article pasted into the message."""
    files = [a for a in msg.attachments if not a.inline]
    facts = []
    if any(a.file_type.is_document and CV_NAME.search(a.filename) for a in files):
        facts.append("CV attached")
    if any(a.file_type.is_document and COVER_NAME.search(a.filename) for a in files):
        facts.append("cover letter attached")
    if not any(a.file_type.is_document for a in files):
        count = len(_WORD.findall(_QUOTED.sub("", msg.text[:_BODY_CHARS * 5])))
        if count >= _PASTED_WORDS:
            facts.append(f"text pasted in the message, {count:,} words")
    return facts


def _model(triage: TriageSection, model_file: Path | None) -> Model | None:
    """model_file: the site's retrained model (intake.rules.retrain.model_path)."""
    if triage.model == "off":
        return None
    if model_file is not None:
        return cached(model_file)
    return cached(BUILTIN if triage.model == "builtin" else Path(triage.model))


def _by_rules(msg: ParsedMessage, scored: list[tuple[int, list[str], int, str]],
              triage: TriageSection) -> Classification:
    """The phrase rules alone: points per signal, unsure when too few or too close."""
    if not scored or scored[0][0] == 0:
        # Nothing points anywhere: a question or a note, unless a document came with it.
        return Classification(triage.default_kind, 0, ("no signal matched",),
                              sure=not any(a.file_type.is_document and not a.inline
                                           for a in msg.attachments))
    score, signals, _, kind = scored[0]
    runner_up = scored[1] if len(scored) > 1 else None
    sure = score >= triage.min_score
    if not sure:
        signals = [*signals, f"unsure: {score} points, {triage.min_score} needed"]
    elif runner_up is not None and score - runner_up[0] < triage.margin:
        sure = False
        signals = [*signals, f"unsure: {runner_up[3]} scored {runner_up[0]}, "
                             f"{score - runner_up[0]} behind"]
    return Classification(kind, score, tuple(signals), sure)
