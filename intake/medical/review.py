"""The medical checks of one draft: its article type, the statements its type needs, its
references, and its type's length and sections. Each finding is a warning for the
editor and a line for the author, grouped (statements first: they matter most)."""

from __future__ import annotations

import re
from dataclasses import replace

from intake.core.models import Draft
from intake.medical import references
from intake.medical.settings import TypeRule
from intake.medical.statements import STATEMENTS, found
from intake.medical.types import TYPES, detect, headings

STATEMENTS_GROUP = "Statements to add"
REFERENCES_GROUP = "References"
SHAPE_GROUP = "Length and sections"
GUIDELINES_GROUP = "Our guidelines"


def review(draft: Draft, rules: dict[str, TypeRule], email_text: str = "",
           chosen: str | None = None) -> Draft:
    """The draft with its type and the findings of its type's checks. chosen: a type an
    editor set, which the text does not override."""
    if not draft.has_manuscript or draft.problem or draft.missing_manuscript:
        return draft
    typed = detect(draft.title, draft.markdown, draft.word_count, len(draft.assets))
    kind_of = chosen or typed.type
    editor: list[str] = []
    if kind_of:
        why = "; ".join(typed.signals) if not chosen else "set by an editor"
        editor.append(f"Article type: {TYPES.get(kind_of, kind_of)} ({why}).")
    rule = rules.get(kind_of or "")
    groups: list[tuple[str, tuple[str, ...]]] = []
    for_author = list(draft.for_author)
    warnings = list(draft.warnings)
    if rule is not None and rule.checks:
        have = found(draft.markdown, email_text)
        missing = sorted((STATEMENTS[n] for n in rule.statements if n not in have),
                         key=lambda s: -s.weight)
        editor += [f"No {s.label} found ({TYPES.get(kind_of or '', '')} needs one)."
                   for s in missing]
        if missing:
            groups.append((STATEMENTS_GROUP, tuple(s.ask for s in missing)))
        cited = references.check(draft.markdown, et_al_after=rule.et_al_after) \
            if rule.references else []
        editor += [f.editor for f in cited]
        if cited:
            groups.append((REFERENCES_GROUP, tuple(f.author for f in cited)))
        shape = _shape(draft, rule, TYPES.get(kind_of or "", "article"))
        if shape:
            if rule.min_words or rule.max_words:  # the type's length replaces the kind's
                for_author = [f for f in for_author if not f.startswith("Your article is ")]
                warnings = [w for w in warnings if not w.startswith("Length: ")]
            editor += [e for e, _ in shape]
            groups.append((SHAPE_GROUP, tuple(a for _, a in shape)))
    if for_author:
        groups.append((GUIDELINES_GROUP, tuple(for_author)))
    ordered = [line for _, lines in groups for line in lines]
    return replace(draft, article_type=kind_of, warnings=(*warnings, *editor),
                   for_author=tuple(ordered), finding_groups=tuple(groups))


def _shape(draft: Draft, rule: TypeRule, label: str) -> list[tuple[str, str]]:
    found_: list[tuple[str, str]] = []
    words = draft.word_count
    plural = label.lower() + ("s" if not label.endswith("s") else "")
    if (rule.min_words and words < rule.min_words) or (rule.max_words and
                                                       words > rule.max_words):
        limits = (f"{rule.min_words:,}-{rule.max_words:,} words" if rule.min_words and
                  rule.max_words else f"at most {rule.max_words:,} words" if rule.max_words
                  else f"at least {rule.min_words:,} words")
        longer = bool(rule.max_words and words > rule.max_words)
        found_.append((f"Length: {words:,} words; {plural} are {limits}.",
                       f"Your article is {words:,} words; {plural} are {limits}. You can "
                       f"reply with a {'shorter' if longer else 'longer'} version."))
    heads = headings(draft.markdown)
    for section in rule.sections:
        wanted = re.compile(section, re.I)
        if not any(wanted.search(h) for h in heads):
            name = section.split("|")[0].replace("\\", "")
            found_.append((f"No {name} section.",
                           f"{plural.capitalize()} have a section \"{name.capitalize()}\"; "
                           "we could not find one in yours."))
    return found_
