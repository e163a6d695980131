"""[types.NAME] in settings.toml: each article type's length, sections and statements.

The defaults follow common practice of medical journals and their student journals
(ICMJE; CARE for case reports): every type declares conflicts of interest; research
also its funding, ethics approval and any use of AI tools; a case report or a clinical
image the patient's consent. A table in the settings replaces that type's defaults key
by key; `checks = false` turns a type's checks off. Which kinds are read for a type at
all is the kind's `medical_checks`.

    [types.case_report]
    max_words = 2000
    sections = ["case presentation", "discussion"]
    statements = ["consent", "coi"]
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from intake.core.errors import SettingsError
from intake.medical.statements import STATEMENTS
from intake.medical.types import TYPES


@dataclass(frozen=True)
class TypeRule:
    name: str
    min_words: int | None = None
    max_words: int | None = None
    sections: tuple[str, ...] = ()  # headings it must have (regular expressions, any case)
    statements: tuple[str, ...] = ("coi",)
    references: bool = True  # check the references (Vancouver)
    et_al_after: int | None = None  # authors listed before "et al." (None: any number)
    checks: bool = True


_INTRO, _METHODS = r"introduc|background|introducci|introdu[cç][aã]o|einleitung", \
    r"method|m[ée]todo|m[ée]thode|methoden"
_RESULTS, _DISCUSSION = r"result|resultado|r[ée]sultat|ergebnis", \
    r"discussion|discusi[oó]n|discuss[aã]o|diskussion"
_CASE = r"case (?:presentation|report|description|history)|presentaci[oó]n del caso|" \
    r"relato do caso|apresenta[cç][aã]o do caso|pr[ée]sentation du cas|observation|fall"

DEFAULT_TYPES: dict[str, TypeRule] = {
    "original_article": TypeRule("original_article", 1500, 4000,
                                 (_INTRO, _METHODS, _RESULTS, _DISCUSSION),
                                 ("ethics", "coi", "funding", "ai")),
    "review_article": TypeRule("review_article", 1500, 5000, (),
                               ("coi", "funding", "ai")),
    "case_report": TypeRule("case_report", 800, 2500, (_CASE, _DISCUSSION),
                            ("consent", "coi", "ai")),
    "letter": TypeRule("letter", None, 800, (), ("coi",)),
    "news": TypeRule("news", None, 1200, (), (), references=False),
    "clinical_image": TypeRule("clinical_image", None, 500, (), ("consent", "coi")),
    "perspective": TypeRule("perspective", None, 2000, (), ("coi",)),
    "elective_report": TypeRule("elective_report", None, 2500, (), ("coi",)),
}


def parse(path: Any, tables: Any) -> dict[str, TypeRule]:
    """The defaults, each changed by its [types.NAME] table."""
    rules = dict(DEFAULT_TYPES)
    if tables is None:
        return rules
    if not isinstance(tables, dict):
        raise SettingsError(f"{path}: types must be tables ([types.NAME])")
    known = {f.name for f in fields(TypeRule)} - {"name"}
    for name, table in tables.items():
        where = f"{path}: [types.{name}]"
        if name not in TYPES:
            raise SettingsError(f"{where}: not an article type; the types are "
                                f"{', '.join(TYPES)}")
        if not isinstance(table, dict):
            raise SettingsError(f"{where} must be a table")
        unknown = sorted(set(table) - known)
        if unknown:
            raise SettingsError(f"{where} unknown key '{unknown[0]}'; known keys: "
                                f"{', '.join(sorted(known))}")
        changes: dict[str, Any] = {}
        for key, value in table.items():
            if key in ("min_words", "max_words", "et_al_after"):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise SettingsError(f"{where} {key}: expected a whole number, at least "
                                        f"1, got {value!r}")
            elif key in ("checks", "references"):
                if not isinstance(value, bool):
                    raise SettingsError(f"{where} {key}: expected true or false, got "
                                        f"{value!r}")
            elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(f"{where} {key}: expected a list of strings, got {value!r}")
            elif key == "statements" and set(value) - set(STATEMENTS):
                raise SettingsError(f"{where} statements: expected some of "
                                    f"{', '.join(STATEMENTS)}, got {value!r}")
            changes[key] = tuple(value) if isinstance(value, list) else value
        rules[name] = replace(rules[name], **changes)
    return rules
