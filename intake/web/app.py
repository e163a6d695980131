"""The editors' desk: a web app over the same ledger and data folder as the cron run.

Flask builds the pages (autoescaped Jinja2 templates in templates/web/), Flask-WTF
protects every change against cross-site requests, and waitress serves it
(`intake serve`). Everything but signing in needs an editor's session, kept on the
server (web.sessions); every response refuses framing, sniffing and any script or
outside resource; a draft is shown through the same sanitiser as an export; files
are served only from inside their submission's folder (core.confine), and originals
only as downloads. The pages live in web.pages and web.accounts.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, flash, g, redirect, render_template, request
from flask import session as cookie
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from intake.core.access import account_name
from intake.core.config import Settings
from intake.core.errors import IntakeError
from intake.ledger import Ledger, Submission
from intake.mail.templates import bundled_templates, templates_dir
from intake.web import accounts, contests, judges, pages, roads, sessions, work
from intake.web.context import DeskContext
from intake.web.passwords import write_private

log = logging.getLogger(__name__)
MAX_FAILURES = accounts.MAX_FAILURES
# Pages anyone may open; and those open to a session that still owes its second factor.
_PUBLIC = frozenset({"sign_in", "static", "welcome"}) | judges.PUBLIC
_BEFORE_SECOND_FACTOR = frozenset({"second_factor", "enrol", "sign_out"})
_ENDED = {"expired": "Your session reached its time limit: sign in again.",
          "idle": "You were signed out after a while without activity: sign in again.",
          "editor removed": "Your editor account is gone from the settings."}

_HEADERS = {
    # Nothing but the desk's own stylesheet and images; no script at all.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class DeskCannotStart(IntakeError):
    """The desk would fail on every action: said once, before it serves anything."""


def check_writable(settings: Settings) -> None:
    """The desk records sessions and every editor's step in the ledger: an account that
    cannot write it must not serve pages that fail on every action."""
    ledger = settings.data_dir / "intake.sqlite3"
    who = account_name()
    for path in (settings.data_dir, ledger):
        if path.exists() and not os.access(path, os.W_OK):
            raise DeskCannotStart(
                f"the desk cannot write {path} as {who}: run intake serve as the account "
                "that runs intake poll (the owner of the data folder), e.g. runuser -u "
                "intake -- intake serve")
    try:
        db = Ledger(ledger)
        try:
            with db.transaction():
                db.db.execute("CREATE TEMP TABLE IF NOT EXISTS desk_probe (x)")
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise DeskCannotStart(f"the desk cannot write the ledger {ledger} as {who} ({exc}): "
                              "run intake serve as the account that runs intake poll") from exc


def create_app(settings: Settings) -> Flask:
    web_templates = _web_templates(settings)
    app = Flask("intake.web", template_folder=str(web_templates),
                static_folder=str(web_templates / "static"), static_url_path="/static")
    app.config.update(
        SECRET_KEY=_secret_key(settings.data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.secure_cookies,
        SESSION_COOKIE_NAME="intake_desk",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.web.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,  # an edited draft is the largest form
    )
    CSRFProtect(app)
    # "//etc/passwd" in a file's name is refused (404), not redirected to another name.
    app.url_map.merge_slashes = False
    desk = DeskContext(settings)

    @app.before_request
    def signed_in() -> Any:
        g.ledger = g.editors = g.editor = g.session = None
        if request.endpoint in _PUBLIC:
            return None
        verdict = sessions.current(desk.ledger(), settings.web)
        found = verdict.session
        editor = desk.editor(found.editor) if found else None
        if found is None or editor is None or verdict.ended:
            why = verdict.ended
            if found is not None:  # over its limits, or its editor is gone
                why = why or "editor removed"
                with desk.changing() as db:
                    sessions.end(db, why)
            cookie.pop("sid", None)
            if why:
                flash(_ENDED.get(why, why))
            # Back to the page asked for after signing in (a link in a notification);
            # without one, to what needs the editor (/attention).
            target = request.full_path.rstrip("?") if request.method == "GET" else ""
            return redirect("/sign-in" + (f"?next={quote(target)}" if target else ""))
        g.editor, g.session = editor, found
        if accounts.needs_second_factor(desk, editor) and not found.second_factor and \
                request.endpoint not in _BEFORE_SECOND_FACTOR:
            from intake.web.passwords import totp_enrolled

            enrolled = totp_enrolled(settings.data_dir, editor.id)
            return redirect("/sign-in/code" if enrolled else "/me/two-factor")
        if verdict.touch:
            with desk.changing() as db, db.transaction():
                db.touch_session(found.token_hash)
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.teardown_request
    def close(_: BaseException | None) -> None:
        ledger = g.pop("ledger", None)
        if ledger is not None:
            ledger.close()

    @app.errorhandler(CSRFError)
    def refused(exc: CSRFError) -> Any:
        return _error_page(400, "This form has expired",
                           "The page was open too long, or you signed in again since: "
                           "go back, reload the page, and send it again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        titles = {404: "Not found", 403: "Not allowed", 405: "Not allowed",
                  413: "Too large"}
        texts = {404: "There is nothing at this address: the submission or file does not "
                      "exist, or its name was changed on the way.",
                 413: "What you sent is larger than the desk takes."}
        return _error_page(code, titles.get(code, exc.name), texts.get(code, ""))

    @app.errorhandler(Exception)
    def failed(exc: Exception) -> Any:
        log.exception("the desk failed on %s %s", request.method, request.path)
        return _error_page(500, "Something went wrong",
                           "The desk could not do this, and has logged why for the "
                           "operator. Nothing you sent was half-done: try again, or tell "
                           "the operator what you were doing.")

    accounts.register(app, desk)
    pages.register(app, desk)
    work.register(app, desk)
    judges.register(app, desk)
    contests.register(app, desk)
    roads.register(app, desk)
    app.jinja_env.globals["has_contests"] = bool(settings.contests)
    app.jinja_env.filters["age"] = _age
    app.jinja_env.filters["page_query"] = pages.page_query
    app.jinja_env.filters["sort_query"] = pages.sort_query
    app.jinja_env.globals["short"] = _short
    app.jinja_env.globals["privacy"] = _privacy
    app.jinja_env.globals["guard"] = desk.guard_fields
    app.jinja_env.globals["once"] = _once
    return app


def _error_page(code: int, title: str, text: str) -> tuple[str, int]:
    editor = g.get("editor")
    return render_template("error.html", code=code, title=title, text=text,
                           editor=editor), code


def _once() -> Markup:
    return Markup('<input type="hidden" name="once" value="{}">').format(
        secrets.token_urlsafe(18))


def _age(sub: Submission, now: Any) -> str:
    days = sub.age_days(now)
    return "today" if days < 1 else f"{days} d"


def _privacy(sub: Submission) -> bool:
    return any(w.startswith("Possible patient identifier") for w in sub.warnings)


def _short(value: object, width: int = 160) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _secret_key(data_dir: Path) -> bytes:
    """The key that signs session cookies: made once, private to intake's account (0600,
    even with a shared data folder), so a restart does not sign everyone out."""
    path = data_dir / "desk-secret"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        write_private(path, key)
        return key


def _web_templates(settings: Settings) -> Path:
    own = templates_dir(settings) / "web"
    return own if own.is_dir() else bundled_templates() / "web"


