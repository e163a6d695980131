"""What every page of the desk shares: the settings, who the editors are, the ledger, and
the guard on every form that changes a submission.

A form carries the version of the submission its page showed and a one-time token.
Its change runs in one ledger transaction that first records the token (a form sent
twice, by a reload or a proxy's retry, does nothing the second time) and checks the
version (a change someone made meanwhile refuses it, saying who did what, and when).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import abort, flash, g, request
from markupsafe import Markup

from intake.core.config import Editor, Settings
from intake.core.errors import IntakeError
from intake.editors import roster
from intake.editors.workflow import Actor, WorkflowError, find
from intake.ledger import Event, Ledger, Submission
from intake.ledger.events import EventName


class AlreadyDone(IntakeError):
    """A form whose one-time token was used already."""


class Changed(WorkflowError):
    """A form made from a page older than the submission."""


class DeskContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = settings.data_dir / "intake.sqlite3"

    # -- the ledger ------------------------------------------------------------------

    def ledger(self) -> Ledger:
        """The request's read-only connection (changes open their own: changing())."""
        if g.get("ledger") is None:
            g.ledger = Ledger(self.path, readonly=True)
        opened: Ledger = g.ledger
        return opened

    @contextmanager
    def changing(self) -> Iterator[Ledger]:
        writable = Ledger(self.path)
        try:
            yield writable
        finally:
            writable.close()

    # -- the editors -----------------------------------------------------------------

    def editors(self) -> tuple[Editor, ...]:
        """Declared and invited, read once a request."""
        if g.get("editors") is None:
            g.editors = roster.with_invited(self.settings, self.ledger()).editors
        found: tuple[Editor, ...] = g.editors
        return found

    def editor(self, who: str) -> Editor | None:
        return roster.find(self.editors(), who)

    def actor(self) -> Actor:
        editor: Editor = g.editor
        return Actor(editor.id, editor.name, editor.email)

    def name_of(self, editor_id: str) -> str:
        if editor_id == "intake":
            return "intake"
        found = next((e for e in self.editors() if e.id == editor_id), None)
        return found.name if found else editor_id

    def found(self, reference: str) -> Submission:
        try:
            return find(self.ledger(), reference)
        except IntakeError:
            abort(404)

    # -- forms -----------------------------------------------------------------------

    def guard_fields(self, sub: Submission) -> Markup:
        """The hidden fields of a form that changes sub: its version and a one-time token."""
        once = secrets.token_urlsafe(18)
        return Markup('<input type="hidden" name="version" value="{}">'
                      '<input type="hidden" name="once" value="{}">').format(sub.version, once)

    def guarded(self, reference: str, action: str, step: Callable[[Ledger, Actor], Any],
                *, versioned: bool = True, once: str | None = None,
                shown: str | None = None) -> Any:
        """Run a form's change: once, and only on the version its page showed. Raises
        AlreadyDone, Changed, or the step's own IntakeError; nothing is kept then.
        versioned=False: a change no other can overtake (a note), checked for once only.
        once, shown: the token and version, when the form carries several (bulk)."""
        once = request.form.get("once", "") if once is None else once
        shown = request.form.get("version", "") if shown is None else shown
        if not once or not shown.isdigit():
            raise Changed("this form is from an older page of the desk: reload the page and "
                          "try again")
        with self.changing() as db, db.transaction():
            sub = find(db, reference)
            used = db.use_form(once, g.editor.id, sub.id, action)
            if used is not None:
                raise AlreadyDone(f"this form was sent already, at {used[11:16]} UTC: "
                                  "nothing was done twice")
            if versioned and int(shown) != sub.version:
                raise self.changed(db, sub)
            return step(db, self.actor())

    def changed(self, db: Ledger, sub: Submission) -> Changed:
        last = db.last_versioned_event(sub.id)
        what = describe(last, self.name_of) if last else "it changed"
        return Changed(f"{sub.reference} changed while you had the page open: {what}. "
                       "Nothing of yours was recorded or sent; the page now shows it as it "
                       "is.")

    def act(self, reference: str, action: str, step: Callable[[Ledger, Actor], Any],
            done: str = "", *, versioned: bool = True) -> None:
        """guarded(), with what happened said on the next page."""
        try:
            self.guarded(reference, action, step, versioned=versioned)
        except IntakeError as exc:
            flash(desk_words(str(exc)), "error")
        else:
            if done:
                flash(done)


# The editors' library says what to do as commands; on the desk, the same as its buttons.
_DESK_WORDS = (
    (re.compile(r"intake review \S+, or intake assign \S+ EDITOR"),
     "press Take into review, or Assign"),
    (re.compile(r"intake review \S+"), "press Take into review"),
    (re.compile(r"intake reclassify \S+ KIND"), "choose its kind and press Reclassify"),
    (re.compile(r"intake retry \S+"), "intake retry on the server (the desk cannot)"),
    (re.compile(r"; or intake privacy \S+ --keep N \"reason\""), ""),
    (re.compile(r"\(intake privacy \S+\)"), "(Privacy flags, below)"),
    (re.compile(r"\(intake show \S+\)"), "(this page shows it)"),
    (re.compile(r"\(intake accept first\)"), "(Accept it first)"),
    (re.compile(r"decide with --no-email and answer by hand if you can"),
     "answer by hand if you can"),
)


def desk_words(message: str) -> str:
    """A message of the editors' library, in the desk's words (its buttons)."""
    for pattern, words in _DESK_WORDS:
        message = pattern.sub(words, message)
    return message


def describe(event: Event, name_of: Callable[[str], str]) -> str:
    """An event as a sentence: "Ana Lima sent it back for changes at 10:42 UTC"."""
    who = "the author" if event.actor == "intake" and event.event in (
        EventName.REVISED, EventName.CORRESPONDENCE) else name_of(event.actor)
    d = event.detail
    what = {
        EventName.DECIDED: f"decided: {str(d.get('decision', '')).replace('_', ' ')}",
        EventName.STATUS_CHANGED: f"moved it from {d.get('before')} to {d.get('after')}",
        EventName.ASSIGNED: f"assigned it to {name_of(str(d.get('to') or ''))}",
        EventName.UNASSIGNED: "unassigned it",
        EventName.RECLASSIFIED: f"reclassified it as {d.get('after')}",
        EventName.REPLIED: "replied to the author",
        EventName.EDITED: "edited the draft",
        EventName.PRIVACY_RESOLVED: f"settled a privacy flag ({d.get('how')})",
        EventName.REVISED: "sent a new version",
        EventName.CORRESPONDENCE: "wrote again",
        EventName.PUBLISHED: "published it",
        EventName.RETRIED: "processed it again",
        EventName.AUTHOR_ADDED: "added an author",
        EventName.PURGED: "purged its files",
        EventName.LANGUAGE_CHANGED: f"set the author's language to {d.get('after')}",
        EventName.STAGE_CHANGED: f"moved it to the stage {d.get('after')}"
                                 + (f" ({d.get('when')})" if d.get("when") else "")
                                 + (f" at {d.get('price')}" if d.get("price") else "")
                                 + (", emailing the author" if d.get("email") else ""),
    }.get(EventName(event.event), event.event)
    return f"{who} {what} at {event.at[:10]} {event.at[11:16]} UTC"
