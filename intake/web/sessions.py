"""Desk sessions, kept on the server: the cookie holds only a random token, and the ledger
a hash of it, with who, since when, from where and in which browser.

A session ends at sign-out, when its editor's password changes, after `[web]
idle_minutes` without a page, after `[web] session_hours` in all, or when its editor
ends it from their page. A copied cookie is then worth nothing: there is nothing left
on the server for it to name.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import request
from flask import session as cookie

from intake.core.config import WebSection
from intake.ledger import Ledger
from intake.ledger.desk import DeskSession

TOUCH_SECONDS = 60  # "last seen" is written at most this often: a page is a read


@dataclass(frozen=True)
class Verdict:
    session: DeskSession | None
    ended: str = ""  # why the cookie's session is over, for the sign-in page
    touch: bool = False  # time to write its "last seen"


def start(db: Ledger, editor: str, second_factor: bool) -> None:
    """Sign an editor in: a new session, in place of whatever the cookie held."""
    token = secrets.token_urlsafe(32)
    agent = request.headers.get("User-Agent", "")
    with db.transaction():
        db.start_session(token, editor, request.remote_addr or "", agent, second_factor)
    cookie.clear()
    cookie["sid"] = token
    cookie.permanent = True


def current(db: Ledger, web: WebSection) -> Verdict:
    """The cookie's session if it is still open; else why not."""
    token = cookie.get("sid")
    if not isinstance(token, str) or not token:
        return Verdict(None)
    found = db.session(token)
    if found is None:
        return Verdict(None, "Your session has ended: sign in again.")
    if found.ended_at:
        why = {"signed out": "You signed out", "idle": "You were signed out after a while "
               "without activity", "expired": "Your session reached its time limit",
               "password changed": "Your password was changed, which signs out every "
               "session", "ended by the editor": "This session was ended from your page",
               }.get(found.ended_why or "", "Your session has ended")
        return Verdict(None, f"{why}: sign in again.")
    now = datetime.now(UTC)
    created = datetime.fromisoformat(found.created_at)
    seen = datetime.fromisoformat(found.seen_at)
    if now - created > timedelta(hours=web.session_hours):
        return Verdict(found, "expired")
    if now - seen > timedelta(minutes=web.idle_minutes):
        return Verdict(found, "idle")
    return Verdict(found, touch=(now - seen).total_seconds() > TOUCH_SECONDS)


def end(db: Ledger, why: str) -> None:
    """End the cookie's session (if any) on the server, and forget the cookie."""
    token = cookie.get("sid")
    if isinstance(token, str) and token:
        from intake.ledger.desk import token_hash

        with db.transaction():
            db.end_session(token_hash(token), why)
    cookie.clear()


def browser(agent: str) -> str:
    """A user agent string as a person names it: "Chromium 131 on Linux"."""
    names = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
    found = next(((name, agent.split(mark, 1)[1].split(".", 1)[0].split(" ", 1)[0])
                  for mark, name in names if mark in agent), None)
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
               ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))
    system = next((name for mark, name in systems if mark in agent), "")
    if found is None:
        return (agent[:60] or "an unknown browser")
    return f"{found[0]} {found[1]}" + (f" on {system}" if system else "")
