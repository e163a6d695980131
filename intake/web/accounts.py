"""The desk's accounts: signing in (password, then a code where a second factor is on),
signing out, an editor's own page (notifications, sessions, password, second factor),
and an admin's invitations and reset links."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from flask import Flask, flash, g, get_flashed_messages, redirect, render_template, request
from markupsafe import Markup

from intake.core.config import Editor
from intake.core.errors import IntakeError
from intake.editors.roster import EDITOR_ID
from intake.web import passwords, sessions
from intake.web.context import DeskContext

# Failed sign-ins: after this many for one editor (or from one address) within the
# window, signing in is refused until the window has passed.
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60
INVITE_HOURS = 48
RESET_HOURS = 24
# Checked when the editor is unknown, so that an unknown name costs the same time.
_DECOY = passwords.hash_password(secrets.token_hex(16))
_EMAIL = re.compile(r"[^@\s<>\"]{1,64}@[^@\s<>\"]{1,190}\.[^@\s<>\"]{2,}")


def needs_second_factor(desk: DeskContext, editor: Editor) -> bool:
    return editor.require_totp or passwords.totp_enrolled(desk.settings.data_dir, editor.id)


def register(app: Flask, desk: DeskContext) -> None:
    failures: dict[str, list[float]] = {}
    data_dir = desk.settings.data_dir

    def limited(keys: list[str], failed: bool) -> bool:
        """Whether these keys have failed too often; failed: count one more failure."""
        now = time.monotonic()
        for key in [k for k, times in failures.items() if now - times[-1] > FAILURE_WINDOW]:
            del failures[key]
        recent = {k: [t for t in failures.get(k, []) if now - t < FAILURE_WINDOW] for k in keys}
        if failed:
            for key in keys:
                failures[key] = [*recent[key], now]
        return any(len(times) >= MAX_FAILURES for times in recent.values())

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> Any:
        message = ""
        if request.method == "POST":
            who = request.form.get("editor", "").strip()[:200]
            editor = desk.editor(who)
            # Counted by editor (known ones only) and by address, so a stranger's guesses
            # cannot grow this without bound.
            keys = [f"address:{request.remote_addr}"] + ([f"editor:{editor.id}"] if editor
                                                          else [])
            # The same work whether or not the editor exists: no telling names by time.
            stored = (passwords.read_hashes(data_dir).get(editor.id) if editor else None) \
                or _DECOY
            right = passwords.verify_password(request.form.get("password", ""), stored)
            if limited(keys, failed=False):
                message = "Too many failed sign-ins: try again in a quarter of an hour."
            elif editor is not None and right and stored is not _DECOY:
                with desk.changing() as db:
                    sessions.start(db, editor.id, second_factor=False)
                if needs_second_factor(desk, editor):
                    enrolled = passwords.totp_enrolled(data_dir, editor.id)
                    return redirect("/sign-in/code" if enrolled else "/me/two-factor")
                return redirect(_safe_next(request.args.get("next", ""), "/attention"))
            else:
                message = "Unknown editor or wrong password."
                limited(keys, failed=True)
        notices = get_flashed_messages()
        return render_template("sign_in.html", message=message, notices=notices,
                               next=_safe_next(request.args.get("next", ""), "")), \
            401 if message else 200

    @app.route("/sign-in/code", methods=["GET", "POST"])
    def second_factor() -> Any:
        message = ""
        if request.method == "POST":
            keys = [f"code:{g.editor.id}"]
            if limited(keys, failed=False):
                message = "Too many wrong codes: try again in a quarter of an hour."
            elif passwords.totp_verify(data_dir, g.editor.id, request.form.get("code", "")):
                with desk.changing() as db, db.transaction():
                    db.pass_second_factor(g.session.token_hash)
                return redirect("/attention")
            else:
                limited(keys, failed=True)
                message = "That code is not right (or was used already): try the next one."
        return render_template("code.html", message=message, editor=g.editor), \
            401 if message else 200

    @app.post("/sign-out")
    def sign_out() -> Any:
        with desk.changing() as db:
            sessions.end(db, "signed out")
        flash("You are signed out.")
        return redirect("/sign-in")

    @app.route("/me", methods=["GET", "POST"])
    def me() -> Any:
        """The signed-in editor's own page: notifications, sessions, password, 2FA."""
        kinds = [k.name for k in desk.settings.kinds]
        if request.method == "POST":
            follows = [k for k in request.form.getlist("follows") if k in kinds]
            assigned = request.form.get("notify_assigned") == "yes"
            with desk.changing() as db, db.transaction():
                db.set_notifications(g.editor.id, follows, assigned)
            flash("Saved: what you are emailed about.")
            return redirect("/me")
        chosen = desk.ledger().notifications(g.editor.id) or (g.editor.follows,
                                                              g.editor.notify_assigned)
        return render_template(
            "me.html", kinds=kinds, follows=chosen[0], assigned=chosen[1], editor=g.editor,
            messages=get_flashed_messages(with_categories=True),
            sessions=desk.ledger().sessions_of(g.editor.id), this=g.session.token_hash,
            browser=sessions.browser,
            totp=passwords.totp_enrolled(data_dir, g.editor.id), min_length=passwords.MIN_LENGTH)

    @app.post("/me/sessions/end")
    def end_session() -> Any:
        key = request.form.get("session", "")
        with desk.changing() as db, db.transaction():
            ended = [s for s in db.sessions_of(g.editor.id) if s.key == key]
            for found in ended:
                db.end_session(found.token_hash, "ended by the editor")
        flash("That session has ended." if ended else "No such session of yours is open.",
              "message" if ended else "error")
        if ended and ended[0].token_hash == g.session.token_hash:
            return redirect("/sign-in")
        return redirect("/me")

    @app.post("/me/password")
    def change_password() -> Any:
        current = request.form.get("current", "")
        new, again = request.form.get("new", ""), request.form.get("again", "")
        stored = passwords.read_hashes(data_dir).get(g.editor.id) or _DECOY
        if limited([f"password:{g.editor.id}"], failed=False):
            flash("Too many wrong passwords: try again in a quarter of an hour.", "error")
        elif not passwords.verify_password(current, stored) or stored is _DECOY:
            limited([f"password:{g.editor.id}"], failed=True)
            flash("Your current password is not right: nothing was changed.", "error")
        elif new != again:
            flash("The two new passwords differ: nothing was changed.", "error")
        else:
            try:
                passwords.set_password(data_dir, g.editor.id, new,
                                       names=(g.editor.name, g.editor.email))
            except passwords.WeakPassword as exc:
                flash(f"{str(exc)[0].upper()}{str(exc)[1:]}: nothing was changed.", "error")
            else:
                with desk.changing() as db, db.transaction():
                    count = db.end_sessions_of(g.editor.id, "password changed",
                                               keep=g.session.token_hash)
                flash(f"Your password is changed; {count} other session(s) ended.")
        return redirect("/me")

    @app.route("/me/two-factor", methods=["GET", "POST"])
    def enrol() -> Any:
        """Enrolment: the secret shown as text and as a QR code drawn here, confirmed by
        a first code. No script and no outside request."""
        import segno

        if passwords.totp_enrolled(data_dir, g.editor.id):
            if request.method == "POST" and request.form.get("remove") == "yes":
                if g.editor.require_totp:
                    flash("Your account needs a second factor: it cannot be removed.", "error")
                elif passwords.totp_verify(data_dir, g.editor.id,
                                           request.form.get("code", "")):
                    passwords.totp_remove(data_dir, g.editor.id)
                    flash("The second factor is removed.")
                    return redirect("/me")
                else:
                    flash("That code is not right: the second factor stays.", "error")
            return render_template("two_factor.html", editor=g.editor, enrolled=True,
                                   messages=get_flashed_messages(with_categories=True))
        secret = passwords.totp_pending_secret(data_dir, g.editor.id)
        if request.method == "POST":
            if passwords.totp_confirm(data_dir, g.editor.id, request.form.get("code", "")):
                with desk.changing() as db, db.transaction():
                    db.pass_second_factor(g.session.token_hash)
                flash("Your authenticator app is set: the desk asks for a code at each "
                      "sign-in.")
                return redirect("/me")
            flash("That code is not right: check the app's clock, and type the code it "
                  "shows now.", "error")
        uri = passwords.totp_uri(secret, g.editor.email or g.editor.id,
                                 desk.settings.intake.publication or "intake")
        # segno writes the SVG from our own address (digits, letters, the escaped
        # publication name): markup of ours, not of a stranger's.
        drawn = segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your "
                                                      "authenticator app")
        qr = Markup(drawn)  # noqa: S704
        return render_template("two_factor.html", editor=g.editor, enrolled=False,
                               secret=" ".join(secret[i:i + 4] for i in range(0, len(secret),
                                                                             4)),
                               qr=qr, messages=get_flashed_messages(with_categories=True))

    # -- an admin's invitations and reset links --------------------------------------

    @app.route("/editors", methods=["GET", "POST"])
    def editors_page() -> Any:
        if not g.editor.admin:
            return render_template("error.html", code=403, title="Admins only",
                                   text="Only an admin ([editors.ID] admin = true) invites "
                                        "editors and sends reset links."), 403
        shown = ""
        if request.method == "POST":
            try:
                shown = _invite_or_reset(desk)
            except IntakeError as exc:
                flash(str(exc), "error")
        invited = {e.id: e for e in desk.ledger().invited_editors()}
        return render_template("editors.html", editor=g.editor, editors=desk.editors(),
                               invited=invited, link=shown,
                               has_password=set(passwords.read_hashes(data_dir)),
                               messages=get_flashed_messages(with_categories=True))

    @app.route("/welcome/<token>", methods=["GET", "POST"])
    def welcome(token: str) -> Any:
        """An invitation or reset link: opening it changes nothing (a mail scanner may open
        it first); the password form uses it, once."""
        link = desk.ledger().link(token) if len(token) < 100 else None
        editor = desk.editor(link.editor) if link else None
        if link is None or editor is None:
            return render_template("error.html", code=404, title="This link is not valid",
                                   text="It was used already, or it has expired, or it was "
                                        "replaced by a newer one. Ask an admin for a new "
                                        "one."), 404
        message = ""
        if request.method == "POST":
            new, again = request.form.get("new", ""), request.form.get("again", "")
            try:
                if new != again:
                    raise passwords.WeakPassword("the two passwords differ")
                passwords.check_password(new, names=(editor.id, editor.name, editor.email))
            except passwords.WeakPassword as exc:
                message = f"{str(exc)[0].upper()}{str(exc)[1:]}."
            else:
                with desk.changing() as db, db.transaction():
                    if db.use_link(token):
                        passwords.set_password(data_dir, editor.id, new,
                                               names=(editor.name, editor.email))
                        db.end_sessions_of(editor.id, "password changed")
                flash(f"Your password is set, {editor.name}: sign in with it.")
                return redirect("/sign-in")
        return render_template("welcome.html", link=link, who=editor, message=message,
                               min_length=passwords.MIN_LENGTH), 400 if message else 200


def _invite_or_reset(desk: DeskContext) -> str:
    """Make the link, email it; the link itself when the email could not go."""
    action = request.form.get("action", "")
    if action == "invite":
        return invite(desk, request.form.get("id", ""), request.form.get("name", ""),
                      request.form.get("email", ""))
    if action != "reset":
        raise IntakeError("no such action")
    who = desk.editor(request.form.get("editor", ""))
    if who is None:
        raise IntakeError("no such editor")
    return _send(desk, who, "reset")


def invite(desk: DeskContext, new_id: str, name: str, email: str) -> str:
    """A new editor on the roster, and their invitation emailed (an admin's step; an
    applicant who joins is invited so too): the link itself when the email could not
    go, else ""."""
    new_id = new_id.strip().lower()
    name = " ".join(name.split())[:120]
    email = email.strip()[:254]
    if not EDITOR_ID.fullmatch(new_id):
        raise IntakeError("an editor's id is 2 to 32 lower-case letters, digits, - or _, "
                          "starting with a letter")
    if desk.editor(new_id) is not None or desk.editor(email) is not None:
        raise IntakeError(f"{new_id} or {email} is an editor already: send a reset link "
                          "instead")
    if not name or not _EMAIL.fullmatch(email):
        raise IntakeError("give the new editor's full name and email address")
    with desk.changing() as db, db.transaction():
        db.add_invited_editor(new_id, name, email, g.editor.id)
    g.editors = None  # the roster now has them
    who = desk.editor(new_id)
    if who is None:
        raise IntakeError("no such editor")
    return _send(desk, who, "invite")


def _send(desk: DeskContext, who: Editor, action: str) -> str:
    from intake.web.invitations import send_link

    token = secrets.token_urlsafe(32)
    hours = INVITE_HOURS if action == "invite" else RESET_HOURS
    with desk.changing() as db, db.transaction():
        expires = db.add_link(token, who.id, action, g.editor.id, hours)
    base = desk.settings.web.public_url or request.host_url
    link = f"{base.rstrip('/')}/welcome/{token}"
    problem = send_link(desk.settings, who, g.editor, action, link, expires)
    if problem is None:
        flash(f"{'Invitation' if action == 'invite' else 'Reset link'} emailed to "
              f"{who.name} <{who.email}>; it works once, until {expires[:16]} UTC.")
        return ""
    flash(f"The email to {who.email} could not be sent ({problem}): give {who.name} the "
          "link below yourself, by a private channel.", "error")
    return link  # shown once, on this page; the ledger keeps only its hash


def _safe_next(target: str, otherwise: str = "/") -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or \
            any(c in target for c in "\\\r\n\t\x00") or len(target) > 500:
        return otherwise
    return target
