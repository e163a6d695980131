"""The ledger: SQLite (WAL), the one truth about what arrived and what was done.

One module per entity (messages, mailboxes, submissions, events, outbox), put together
here on one connection; the schema is numbered, named steps (schema.py), applied in
order and recorded in PRAGMA user_version. Writes happen inside `transaction()`:
everything one step does (a submission, its events, its acknowledgement) commits
together.
"""

from __future__ import annotations

from intake.core.addresses import address_key
from intake.ledger.authors import Authors
from intake.ledger.base import LedgerError, now_iso
from intake.ledger.contests import ContestState
from intake.ledger.corrections import Corrections
from intake.ledger.desk import DeskState, SavedReplies, SavedViews
from intake.ledger.events import Event, EventName, Events
from intake.ledger.mailboxes import Cursor, Health, Mailboxes
from intake.ledger.messages import Messages, StoredMessage
from intake.ledger.outbox import Outbox, OutboxItem
from intake.ledger.schema import MIGRATIONS
from intake.ledger.search import Hit, Search
from intake.ledger.submissions import Submission, Submissions

__all__ = ["MIGRATIONS", "Cursor", "Event", "EventName", "Health", "Hit", "Ledger", "LedgerError",
           "OutboxItem", "StoredMessage", "Submission", "address_key", "now_iso"]


class Ledger(Search, Messages, Mailboxes, Submissions, Events, Outbox, DeskState,
             SavedReplies, SavedViews, ContestState, Corrections, Authors):
    """Every entity's queries, on one connection (see base.LedgerBase)."""
