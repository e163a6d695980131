"""The editors' desk: a web app over the same ledger and data folder as the cron run.

Flask builds the pages (autoescaped Jinja2 templates in templates/web/), Flask-WTF
protects every change against cross-site requests, and waitress serves it
(`intake serve`). Everything but the sign-in page needs a signed-in editor; every
response refuses framing, sniffing and any script or outside resource; a draft is
shown through the same sanitiser as an export; files are served only from inside
their submission's folder, and originals only as downloads.
"""

from __future__ import annotations

import io
import secrets
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import (
    Flask,
    Response,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    send_file,
)
from flask import session as cookie
from flask_wtf.csrf import CSRFProtect

from intake.core.config import Settings
from intake.core.errors import IntakeError
from intake.core.models import AWAITING_EDITORS, Status
from intake.editors.decisions import commit, prepare
from intake.editors.diff import Piece, compare, revision_text, revisions
from intake.editors.reply import prepare_reply, send_reply
from intake.editors.thread import thread
from intake.editors.workflow import (
    DECISIONS,
    TRANSITIONS,
    Actor,
    actor_for,
    add_note,
    assign,
    reclassify,
    start_review,
)
from intake.export.bundle import Format, export_bundle
from intake.export.html import safe_html, with_marks
from intake.ledger import Ledger, Submission
from intake.ledger.events import EventName
from intake.ledger.store import read_draft, write_atomic
from intake.mail.templates import Notices, bundled_templates, templates_dir
from intake.web.passwords import hash_password, read_hashes, verify_password

PAGE_SIZE = 50
# Checked when the editor is unknown, so that an unknown name costs the same time.
_DECOY = hash_password(secrets.token_hex(16))
# Failed sign-ins: after this many for one editor (or from one address) within the
# window, signing in is refused until the window has passed.
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60

_HEADERS = {
    # Nothing but the desk's own stylesheet and images; no script at all.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


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
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    CSRFProtect(app)
    failures: dict[str, list[float]] = {}
    editors = {e.id: e for e in settings.editors}

    @app.before_request
    def signed_in() -> Any:
        g.ledger = None
        if request.endpoint in ("sign_in", "static"):
            return None
        editor = cookie.get("editor")
        if editor not in editors:
            return redirect("/sign-in")
        g.editor = editors[editor]
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

    @contextmanager
    def changing() -> Iterator[Ledger]:
        """The ledger opened for one change (pages read through a read-only one)."""
        writable = Ledger(settings.data_dir / "intake.sqlite3")
        try:
            yield writable
        finally:
            writable.close()

    def ledger() -> Ledger:
        if g.get("ledger") is None:
            g.ledger = Ledger(settings.data_dir / "intake.sqlite3", readonly=True)
        opened: Ledger = g.ledger
        return opened

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> Any:
        message = ""
        if request.method == "POST":
            who = request.form.get("editor", "").strip().lower()[:64]
            # Counted by editor (known ones only) and by address, so a stranger's guesses
            # cannot grow this without bound.
            keys = [f"address:{request.remote_addr}"] + ([f"editor:{who}"] if who in editors
                                                          else [])
            now = time.monotonic()
            for key in [k for k, times in failures.items() if now - times[-1] > FAILURE_WINDOW]:
                del failures[key]
            recent = {k: [t for t in failures.get(k, []) if now - t < FAILURE_WINDOW]
                      for k in keys}
            # The same work whether or not the editor exists: no telling names by time.
            stored = read_hashes(settings.data_dir).get(who) or _DECOY
            right = verify_password(request.form.get("password", ""), stored)
            if any(len(times) >= MAX_FAILURES for times in recent.values()):
                message = "Too many failed sign-ins: try again in a quarter of an hour."
            elif who in editors and right and stored is not _DECOY:
                cookie.clear()
                cookie["editor"] = who
                cookie.permanent = True
                return redirect("/")
            else:
                message = "Unknown editor or wrong password."
                for key in keys:
                    failures[key] = [*recent[key], now]
        return render_template("sign_in.html", message=message), 200 if not message else 401

    @app.post("/sign-out")
    def sign_out() -> Any:
        cookie.clear()
        return redirect("/sign-in")

    @app.get("/")
    def queue() -> Any:
        statuses = _statuses(request.args.get("status", ""))
        kind = request.args.get("kind", "") or None
        assignee = request.args.get("assignee", "")
        search = " ".join(request.args.get("q", "").split()).lower()
        page = max(1, _int(request.args.get("page", "1")))
        chosen: dict[str, Any] = {
            "assignee": assignee if assignee not in ("", "none") else None,
            "unassigned": assignee == "none", "search": search}
        total = ledger().count_submissions(statuses, kind, **chosen)
        rows = ledger().submissions(statuses, kind, limit=PAGE_SIZE,
                                    offset=(page - 1) * PAGE_SIZE, **chosen)
        counts = ledger().status_counts()
        now = datetime.now(UTC)
        return render_template(
            "queue.html", rows=rows, total=total,
            activity=ledger().activity([r.id for r in rows]),
            page=page, pages=max(1, -(-total // PAGE_SIZE)), counts=counts, now=now,
            statuses=[s.value for s in Status], kinds=[k.name for k in settings.kinds],
            editors=list(editors.values()), args=request.args, editor=g.editor)

    @app.route("/me", methods=["GET", "POST"])
    def me() -> Any:
        """What the signed-in editor is emailed about at once."""
        kinds = [k.name for k in settings.kinds]
        if request.method == "POST":
            follows = [k for k in request.form.getlist("follows") if k in kinds]
            assigned = request.form.get("notify_assigned") == "yes"
            with changing() as writable, writable.transaction():
                writable.set_notifications(g.editor.id, follows, assigned)
            flash("Saved.")
            return redirect("/me")
        chosen = ledger().notifications(g.editor.id) or (g.editor.follows,
                                                          g.editor.notify_assigned)
        return render_template("me.html", kinds=kinds, follows=chosen[0], assigned=chosen[1],
                               editor=g.editor, messages=get_flashed_messages())

    @app.get("/s/<reference>/")
    def submission(reference: str) -> Any:
        sub = _found(ledger(), reference)
        front: dict[str, Any] = {}
        body_html = ""
        if sub.draft_dir:
            path = _inside(settings.data_dir, sub.draft_dir) / "draft.md"
            if path.is_file():
                front, body = read_draft(path)
                flags = front.get("privacy")
                body_html = with_marks(safe_html(body), [
                    str(f.get("match", "")) for f in (flags if isinstance(flags, list) else [])
                    if isinstance(f, dict)])
        originals = _files(settings.data_dir, sub, "original")
        return render_template(
            "submission.html", sub=sub, front=front, body_html=body_html,
            originals=originals, events=ledger().events_of(sub.id),
            outbox=ledger().outbox_of(sub.id), editor=g.editor, now=datetime.now(UTC),
            editors=list(editors.values()), kinds=[k.name for k in settings.kinds],
            decisions=[a for a, d in DECISIONS.items() if _allowed(sub, d.status)],
            revisions=revisions(settings.data_dir, sub),
            can_publish=settings.wordpress is not None and sub.status is Status.ACCEPTED,
            published=ledger().last_event(sub.id, EventName.PUBLISHED),
            thread=thread(settings.data_dir, ledger(), sub),
            messages=get_flashed_messages())

    @app.get("/s/<reference>/compare")
    def compare_revisions(reference: str) -> Any:
        sub = _found(ledger(), reference)
        kept = revisions(settings.data_dir, sub)
        a = _int(request.args.get("a", "")) if request.args.get("a") else None
        b = _int(request.args.get("b", "")) if request.args.get("b") else None
        pieces: list[Piece] = []
        problem = ""
        if len(kept) >= 2:
            a = a if a in kept else kept[-2]
            b = b if b in kept else kept[-1]
            try:
                pieces = compare(revision_text(settings.data_dir, sub, a),
                                 revision_text(settings.data_dir, sub, b))
            except IntakeError as exc:
                problem = str(exc)
        return render_template("compare.html", sub=sub, kept=kept, a=a, b=b, pieces=pieces,
                               problem=problem, editor=g.editor)

    @app.post("/s/<reference>/export")
    def export(reference: str) -> Any:
        """The publication bundle (Markdown with front matter, HTML, images, and the Word
        file with format=all) as one zip to download; recorded in the history."""
        sub = _found(ledger(), reference)
        if sub.purged_at or not sub.draft_dir:
            flash(f"{reference} has no draft to export")
            return redirect(f"/s/{reference}/")
        formats: set[Format] = {"markdown", "docx"} if request.form.get("format") == "all" \
            else {"markdown"}
        with tempfile.TemporaryDirectory(prefix="intake-export-") as tmp:
            result = export_bundle(sub, _inside(settings.data_dir, sub.draft_dir),
                                   Path(tmp), formats)
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
                for path in result.files:
                    bundle.write(path, f"{reference}/{path.relative_to(result.folder)}")
        with changing() as writable, writable.transaction():
            writable.add_event(EventName.EXPORTED, submission_id=sub.id, actor=g.editor.id,
                               to="the desk (download)", formats=sorted(formats),
                               notes=result.notes or None)
        archive.seek(0)
        return send_file(archive, as_attachment=True, download_name=f"{reference}.zip",
                         mimetype="application/zip")

    @app.get("/s/<reference>/assets/<name>")
    def asset(reference: str, name: str) -> Any:
        return _serve(ledger(), settings.data_dir, reference, "assets", name, download=False)

    @app.get("/s/<reference>/original/<name>")
    def original(reference: str, name: str) -> Any:
        return _serve(ledger(), settings.data_dir, reference, "original", name, download=True)

    # -- actions: each one ledger transaction through the editors' library -------------

    def act(reference: str, step: Callable[[Ledger, Actor], object]) -> Any:
        """Run one editor's step as the signed-in editor; what went wrong (a step not
        allowed, another editor first) is said on the submission's page."""
        try:
            with changing() as writable:
                step(writable, actor_for(settings, g.editor.id))
        except IntakeError as exc:
            flash(str(exc))
        return redirect(f"/s/{reference}/")

    @app.post("/s/<reference>/publish")
    def publish_post(reference: str) -> Any:
        """An accepted article to WordPress as a draft post (again: the same post)."""
        from intake.editors.publish import publish

        try:
            with changing() as writable:
                done = publish(writable, settings, reference,
                               actor_for(settings, g.editor.id))
        except IntakeError as exc:
            flash(f"Not published: {exc}")
        else:
            flash(f"{'Updated' if done.updated else 'Made'} WordPress post {done.post_id} "
                  f"({done.status}, {done.uploaded} image(s) uploaded): {done.link}")
        return redirect(f"/s/{reference}/")

    @app.post("/s/<reference>/assign")
    def assign_to(reference: str) -> Any:
        who = request.form.get("editor", "")
        return act(reference, lambda db, actor: assign(db, settings, reference, who, actor))

    @app.post("/s/<reference>/review")
    def review(reference: str) -> Any:
        return act(reference, lambda db, actor: start_review(db, settings, reference, actor))

    @app.post("/s/<reference>/note")
    def note(reference: str) -> Any:
        text = request.form.get("text", "")
        return act(reference, lambda db, actor: add_note(db, reference, text, actor))

    @app.post("/s/<reference>/reclassify")
    def change_kind(reference: str) -> Any:
        kind = request.form.get("kind", "")
        return act(reference, lambda db, actor: reclassify(db, settings, reference, kind,
                                                           actor))

    @app.route("/s/<reference>/reply", methods=["GET", "POST"])
    def reply(reference: str) -> Any:
        """A free-form email to the author: shown before it is queued, like a decision."""
        message = request.form.get("message", "")
        prepared = None
        try:
            with changing() as writable:
                sub = _found(writable, reference)
                if request.method == "POST" and message.strip():
                    prepared = prepare_reply(writable, settings, Notices(settings), reference,
                                             actor_for(settings, g.editor.id), message)
                    if request.form.get("send") == "yes":
                        send_reply(writable, prepared)
                        flash(f"Your reply to {sub.author_email} is queued and goes out "
                              "with the next run.")
                        return redirect(f"/s/{reference}/")
        except IntakeError as exc:
            flash(str(exc))
            return redirect(f"/s/{reference}/")
        return render_template("reply.html", sub=sub, prepared=prepared, message=message,
                               editor=g.editor)

    @app.route("/s/<reference>/decide/<action>", methods=["GET", "POST"])
    def decide(reference: str, action: str) -> Any:
        """A decision: the email is shown, with the editor's own words in it, before
        anything is recorded; Send records the decision and queues the email at once."""
        if action not in DECISIONS:
            abort(404)
        message = request.form.get("message", "")
        reason = request.form.get("reason") or None
        try:
            with changing() as writable:
                prepared = prepare(writable, settings, Notices(settings), reference, action,
                                   actor_for(settings, g.editor.id), message=message,
                                   reason=reason)
                if request.method == "POST" and request.form.get("send") == "yes":
                    commit(writable, settings, prepared)
                    flash(f"{reference} {prepared.decision.done}; the email is queued and "
                          "goes out with the next run.")
                    return redirect(f"/s/{reference}/")
        except IntakeError as exc:
            flash(str(exc))
            return redirect(f"/s/{reference}/")
        return render_template("decide.html", prepared=prepared, action=action,
                               message=message, reason=reason, reasons=settings.reasons,
                               editor=g.editor)

    app.jinja_env.filters["age"] = _age
    app.jinja_env.filters["page_query"] = _page_query
    app.jinja_env.globals["short"] = _short
    app.jinja_env.globals["privacy"] = _privacy
    return app


def _serve(ledger: Ledger, data_dir: Path, reference: str, folder: str, name: str, *,
           download: bool) -> Response:
    sub = _found(ledger, reference)
    if not sub.draft_dir or "/" in name or "\\" in name or name.startswith("."):
        abort(404)
    base = _inside(data_dir, sub.draft_dir) / folder
    path = (base / name).resolve()
    if path.parent != base.resolve() or not path.is_file():
        abort(404)  # nothing outside the submission's own folder, links included
    if download:
        return send_file(path, as_attachment=True, download_name=name,
                         mimetype="application/octet-stream")
    # Images only, as the draft shows them; anything else is offered as a download.
    kind = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
            ".gif": "image/gif", ".webp": "image/webp", ".tif": "image/tiff",
            ".bmp": "image/bmp"}.get(path.suffix.lower())
    if kind is None:
        return send_file(path, as_attachment=True, download_name=name,
                         mimetype="application/octet-stream")
    return send_file(path, mimetype=kind)


def _inside(data_dir: Path, relative: str) -> Path:
    folder = (data_dir / relative).resolve()
    if not folder.is_relative_to(data_dir.resolve()):
        abort(404)
    return folder


def _found(ledger: Ledger, reference: str) -> Submission:
    sub = ledger.submission(reference)
    if sub is None:
        abort(404)
    return sub


def _files(data_dir: Path, sub: Submission, folder: str) -> list[tuple[str, int]]:
    if not sub.draft_dir:
        return []
    base = _inside(data_dir, sub.draft_dir) / folder
    if not base.is_dir():
        return []
    return sorted((p.name, p.stat().st_size) for p in base.iterdir()
                  if p.is_file() and not p.is_symlink() and not p.name.startswith("."))


def _allowed(sub: Submission, after: Status) -> bool:
    return after in TRANSITIONS.get(sub.status, frozenset())


def _statuses(text: str) -> list[Status] | None:
    if text == "all":
        return None
    try:
        return [Status(text)] if text else list(AWAITING_EDITORS)
    except ValueError:
        return list(AWAITING_EDITORS)


def _int(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 7 else 1


def _age(received: str, now: datetime) -> str:
    try:
        days = (now - datetime.fromisoformat(received)).days
    except ValueError:
        return ""
    return "today" if days < 1 else f"{days} d"


def _page_query(args: Any, page: int) -> str:
    return urlencode({**{k: v for k, v in args.items() if k != "page"}, "page": page})


def _privacy(sub: Submission) -> bool:
    return any(w.startswith("Possible patient identifier") for w in sub.warnings)


def _short(value: object, width: int = 160) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _secret_key(data_dir: Path) -> bytes:
    """The key that signs session cookies: made once, kept private in the data folder,
    so a restart does not sign everyone out."""
    path = data_dir / "desk-secret"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        write_atomic(path, key)
        return key


def _web_templates(settings: Settings) -> Path:
    own = templates_dir(settings) / "web"
    return own if own.is_dir() else bundled_templates() / "web"

