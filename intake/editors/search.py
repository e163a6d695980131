"""What an editor types in the search box, as a query: words and "quoted phrases" to
find anywhere (ledger.search), and fields to narrow by:

    from:priya  kind:guest_post  status:accepted,rejected  assignee:me  assignee:none
    before:2026-10-01  after:2026-09-01  "neonatal jaundice"

Without status:, every status is searched (a filter the page has chosen narrows it).
The same syntax for `intake queue --search` and the desk.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import date

from intake.core.models import Status
from intake.ledger import Hit, Ledger, Submission
from intake.ledger.fulltext import fts_terms

FIELDS = ("from", "kind", "status", "assignee", "before", "after")
_FIELD = re.compile(rf"^({'|'.join(FIELDS)}):(.*)$", re.I)
MAX_TERMS = 12


@dataclass
class Query:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    sender: str = ""
    kinds: list[str] = field(default_factory=list)
    statuses: list[Status] | None = None  # None: every status
    assignee: str | None = None  # an editor's id, or "none"
    before: str | None = None  # ISO dates, on when the author sent it
    after: str | None = None
    problems: list[str] = field(default_factory=list)  # what was not understood, said

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases or self.sender or self.kinds or
                    self.statuses is not None or self.assignee or self.before or self.after)


def parse(text: str, me: str | None = None) -> Query:
    """The query in `text`; `me` is the editor who types assignee:me."""
    query = Query()
    try:
        tokens = shlex.split(text[:1000], posix=True)
    except ValueError:  # an unclosed quote: read the rest as words
        tokens = text[:1000].replace('"', " ").split()
    quoted = set(re.findall(r'"([^"]+)"', text))
    for token in tokens[:50]:
        found = _FIELD.match(token)
        if found is None:
            (query.phrases if token in quoted and " " in token else query.words).append(token)
            continue
        name, value = found.group(1).lower(), found.group(2).strip()
        if name == "from":
            query.sender = value.lower()
        elif name == "kind":
            query.kinds = [v for v in value.lower().split(",") if v]
        elif name == "status":
            query.statuses = _statuses(value, query)
        elif name == "assignee":
            query.assignee = (me or "") if value.lower() == "me" else value.lower()
        else:
            try:
                setattr(query, name, date.fromisoformat(value).isoformat())
            except ValueError:
                query.problems.append(f"{name}: wants a date like 2026-10-01, not {value!r}")
    query.words = query.words[:MAX_TERMS]
    return query


def _statuses(value: str, query: Query) -> list[Status] | None:
    if value.lower() in ("all", "any", ""):
        return None
    found = []
    for name in value.lower().replace(" ", "_").split(","):
        try:
            found.append(Status(name))
        except ValueError:
            query.problems.append(f"status: no status {name!r}")
    return found or None


def where(query: Query, statuses: list[Status] | None = None,
          kind: str | None = None, assignee: str | None = None) -> tuple[str, tuple[object, ...]]:
    """The SQL condition (on submissions, alias s) for the query's fields; statuses, kind
    and assignee: what the page's own filters chose (the query's win)."""
    sql, args = ["1=1"], list[object]()
    chosen = query.statuses if query.statuses is not None else statuses
    if chosen is not None:
        sql.append(f"s.status IN ({', '.join('?' * len(chosen))})")
        args += [s.value for s in chosen]
    kinds = query.kinds or ([kind] if kind else [])
    if kinds:
        sql.append(f"s.kind IN ({', '.join('?' * len(kinds))})")
        args += kinds
    who = query.assignee or assignee
    if who == "none":
        sql.append("s.assignee IS NULL")
    elif who:
        sql.append("s.assignee = ?")
        args.append(who)
    if query.sender:
        sql.append("instr(lower(s.author_email || ' ' || s.author_name), ?) > 0")
        args.append(query.sender)
    if query.before:
        sql.append("substr(coalesce(s.sent_at, s.received), 1, 10) < ?")
        args.append(query.before)
    if query.after:
        sql.append("substr(coalesce(s.sent_at, s.received), 1, 10) >= ?")
        args.append(query.after)
    return " AND ".join(sql), tuple(args)


def run(ledger: Ledger, query: Query, *, statuses: list[Status] | None = None,
        kind: str | None = None, assignee: str | None = None, limit: int = 50,
        offset: int = 0) -> tuple[list[Hit], int]:
    """The hits, best first (or, with fields alone, newest first), and how many in all."""
    condition, args = where(query, statuses, kind, assignee)
    words = fts_terms(query.words, query.phrases)
    if words:
        return (ledger.search(words, condition, args, limit, offset),
                ledger.count_search(words, condition, args))
    found: list[Submission] = ledger.filtered(condition, args, limit, offset)
    return [Hit(s, "", 0.0) for s in found], ledger.count_filtered(condition, args)
