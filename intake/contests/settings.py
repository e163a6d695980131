"""[contests.ID] in settings.toml: a contest's dates, how its entries are recognised, its
rules, rubric, judges and how ties are broken.

    [contests.jpms2026]
    name = "JPMS International Medical Writing Contest 2026"
    opens = 2026-12-01T00:00:00Z          # dates with a time zone (TOML, no quotes)
    closes = 2027-01-31T23:59:59Z
    judging_closes = 2027-02-28T23:59:59Z
    subject = ["writing contest"]         # and addresses, body: as kinds are recognised
    min_words = 800
    max_words = 2000
    statement = "that you are a medical student"
    statement_phrases = ["medical student", "mbbs student"]
    rubric = { originality = { weight = 2, scale = 10 }, clarity = { scale = 10 } }
    judges = [{ name = "Dr Maya Patel", email = "maya@hospital.example.org",
                institution = "St Mary's Hospital" }]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from intake.core import languages
from intake.core.errors import SettingsError

_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
_EMAIL = re.compile(r"[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
TIE_BREAKS = ("criterion:NAME", "earliest", "most_judges")


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: float = 1.0
    scale: int = 10  # a judge scores 1 to scale


@dataclass(frozen=True)
class Judge:
    name: str
    email: str
    institution: str = ""

    @property
    def key(self) -> str:
        return self.email.lower()


@dataclass(frozen=True)
class Contest:
    id: str
    name: str
    opens: datetime
    closes: datetime
    judging_closes: datetime
    addresses: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    min_words: int | None = None
    max_words: int | None = None
    max_entries: int = 1
    statement: str = ""  # what an entry must state, as the author is told
    statement_phrases: tuple[str, ...] = ()  # any one of them counts as the statement
    rubric: tuple[Criterion, ...] = (Criterion("overall"),)
    judges: tuple[Judge, ...] = ()
    judges_per_entry: int = 2
    tie_break: tuple[str, ...] = ("earliest",)
    spread: float = 30.0  # judges further apart than this, in % of the scale: flagged
    remind_days: int = 3  # days before judging_closes when judges with entries left hear
    category: str = ""  # the WordPress category of its published entries

    def judge(self, email: str) -> Judge | None:
        return next((j for j in self.judges if j.key == email.lower()), None)

    def window(self, when: datetime) -> str:
        """"early", "open" or "late" for an entry sent at `when`."""
        return "early" if when < self.opens else "late" if when > self.closes else "open"


_KEYS = {"name", "opens", "closes", "judging_closes", "addresses", "subject", "body",
         "min_words", "max_words", "max_entries", "statement", "statement_phrases", "rubric",
         "judges", "judges_per_entry", "tie_break", "spread", "remind_days", "category"}


def when_said(when: datetime, language: str = "en") -> str:
    """A contest's date as its emails say it: "31 January 2027, 23:59 (UTC)", or as a
    reader of another language writes it."""
    return languages.when(when, language)


def parse(path: Any, tables: Any) -> tuple[Contest, ...]:
    """The [contests.ID] tables, validated; every problem names the key and what was
    expected."""
    if tables is None:
        return ()
    if not isinstance(tables, dict):
        raise SettingsError(f"{path}: contests must be tables ([contests.ID])")
    found = []
    for cid, table in tables.items():
        if not _ID.fullmatch(cid):
            raise SettingsError(f"{path}: [contests.{cid}]: a contest's id is lower-case "
                                "letters, digits and _ (such as jpms2026)")
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: [contests.{cid}] must be a table")
        found.append(_contest(_Where(path, f"contests.{cid}"), cid, table))
    return tuple(found)


@dataclass(frozen=True)
class _Where:
    path: Any
    section: str

    def fail(self, key: str, expected: str, got: Any) -> SettingsError:
        return SettingsError(f"{self.path}: [{self.section}] {key}: expected {expected}, "
                             f"got {got!r}")


def _contest(at: _Where, cid: str, table: dict[str, Any]) -> Contest:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise SettingsError(f"{at.path}: [{at.section}] unknown key '{unknown[0]}'; known "
                            f"keys: {', '.join(sorted(_KEYS))}")
    for key in ("name", "opens", "closes", "judging_closes"):
        if key not in table:
            raise SettingsError(f"{at.path}: [{at.section}] {key} is missing")
    name = table["name"]
    if not isinstance(name, str) or not name.strip():
        raise at.fail("name", "the contest's name, as entrants read it", name)
    dates = {k: _when(at, k, table[k]) for k in ("opens", "closes", "judging_closes")}
    if not dates["opens"] < dates["closes"] <= dates["judging_closes"]:
        raise SettingsError(f"{at.path}: [{at.section}] expected opens < closes <= "
                            "judging_closes")
    words = {k: _count(at, k, table.get(k), 1) for k in ("min_words", "max_words")}
    if words["min_words"] and words["max_words"] and words["min_words"] > words["max_words"]:
        raise at.fail("min_words", f"at most max_words ({words['max_words']})",
                      words["min_words"])
    rubric = _rubric(at, table.get("rubric"))
    judges = _judges(at, table.get("judges", []))
    ties = _strings(at, "tie_break", table.get("tie_break", ["earliest"]))
    for rule in ties:
        criterion = rule.removeprefix("criterion:")
        if rule not in ("earliest", "most_judges") and (
                not rule.startswith("criterion:") or criterion not in {c.name for c in rubric}):
            raise at.fail("tie_break", f"a list of {', '.join(TIE_BREAKS)} (NAME a criterion "
                          f"of the rubric: {', '.join(c.name for c in rubric)})", rule)
    spread = table.get("spread", 30)
    if isinstance(spread, bool) or not isinstance(spread, int | float) or not 0 < spread <= 100:
        raise at.fail("spread", "a percentage of the scale, above 0 and at most 100", spread)
    statement = table.get("statement", "")
    if not isinstance(statement, str):
        raise at.fail("statement", "what an entry must state, in words for its author",
                      statement)
    phrases = _strings(at, "statement_phrases", table.get("statement_phrases", []))
    if statement and not phrases:
        raise SettingsError(f"{at.path}: [{at.section}] statement_phrases is missing: the "
                            "phrases that count as the statement")
    category = table.get("category", "")
    if not isinstance(category, str):
        raise at.fail("category", "a WordPress category name", category)
    return Contest(
        id=cid, name=name.strip(), **dates,
        addresses=tuple(a.lower() for a in _strings(at, "addresses", table.get("addresses", []))),
        subject=_strings(at, "subject", table.get("subject", [])),
        body=_strings(at, "body", table.get("body", [])),
        min_words=words["min_words"], max_words=words["max_words"],
        max_entries=_count(at, "max_entries", table.get("max_entries", 1), 1) or 1,
        statement=statement.strip(), statement_phrases=phrases, rubric=rubric, judges=judges,
        judges_per_entry=_count(at, "judges_per_entry", table.get("judges_per_entry", 2), 1)
        or 2,
        tie_break=ties, spread=float(spread),
        remind_days=_count(at, "remind_days", table.get("remind_days", 3), 0) or 0,
        category=category.strip())


def _when(at: _Where, key: str, value: Any) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise at.fail(key, "a date and time with its zone, no quotes (2027-01-31T23:59:59Z "
                      "or 2027-01-31T23:59:59+01:00)", value)
    return value


def _count(at: _Where, key: str, value: Any, least: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise at.fail(key, f"a whole number, at least {least}", value)
    return value


def _strings(at: _Where, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise at.fail(key, "a list of strings", value)
    return tuple(v.strip() for v in value)


def _rubric(at: _Where, value: Any) -> tuple[Criterion, ...]:
    if value is None:
        return (Criterion("overall"),)
    if not isinstance(value, dict) or not value:
        raise at.fail("rubric", "a table of criterion = { weight = 1, scale = 10 }", value)
    found = []
    for name, spec in value.items():
        if not _ID.fullmatch(name) or not isinstance(spec, dict) or \
                set(spec) - {"weight", "scale"}:
            raise at.fail(f"rubric.{name}", "a criterion (lower-case name) = { weight = 1, "
                          "scale = 10 }", spec)
        weight, scale = spec.get("weight", 1), spec.get("scale", 10)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise at.fail(f"rubric.{name}.weight", "a positive number", weight)
        if isinstance(scale, bool) or not isinstance(scale, int) or not 2 <= scale <= 100:
            raise at.fail(f"rubric.{name}.scale", "a whole number from 2 to 100", scale)
        found.append(Criterion(name, float(weight), scale))
    return tuple(found)


def _judges(at: _Where, value: Any) -> tuple[Judge, ...]:
    if not isinstance(value, list):
        raise at.fail("judges", "a list of { name, email, institution }", value)
    found: list[Judge] = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) - {"name", "email", "institution"} or \
                not isinstance(entry.get("name"), str) or not entry["name"].strip() or \
                not isinstance(entry.get("email"), str) or \
                not _EMAIL.fullmatch(entry["email"].strip()) or \
                not isinstance(entry.get("institution", ""), str):
            raise at.fail("judges", "each judge as { name = \"…\", email = \"…\", "
                          "institution = \"…\" }", entry)
        judge = Judge(entry["name"].strip(), entry["email"].strip(),
                      entry.get("institution", "").strip())
        if any(j.key == judge.key for j in found):
            raise at.fail("judges", "each judge once", judge.email)
        found.append(judge)
    return tuple(found)
