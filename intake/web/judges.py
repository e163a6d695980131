"""The pages judges and outside readers reach through their personal link (/j/TOKEN).

No account and no session: the token is the capability (contests.judging). Every GET
only reads, so a mail scanner that opens the link first changes nothing; scores are
a POST carrying the page's CSRF token. The same headers as the desk (no script, no
outside request), and an entry is shown as the draft is: rendered and sanitised.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, send_file
from werkzeug.wrappers import Response

from intake.contests import judging
from intake.contests.judging import Scope
from intake.core import confine
from intake.core.errors import IntakeError
from intake.export.html import safe_html
from intake.ledger import Ledger, Submission
from intake.web.context import DeskContext

PUBLIC = frozenset({"judge_home", "judge_entry", "judge_asset"})
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
_IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
           ".gif": "image/gif", ".webp": "image/webp"}


def register(app: Flask, desk: DeskContext) -> None:
    settings = desk.settings

    def scope_of(token: str) -> Scope | None:
        if not _TOKEN.fullmatch(token):
            return None
        return judging.open_link(desk.ledger(), settings, token)

    def gone() -> tuple[str, int]:
        return render_template("judge_gone.html", editor=None), 404

    def heading(scope: Scope) -> str:
        return scope.contest.name if scope.contest else "A submission to read"

    def readable(ledger: Ledger, scope: Scope, reference: str
                 ) -> tuple[Submission, str] | None:
        """The submission a page names and what its reader is shown, if it is theirs:
        that one submission is checked, not every one they were given."""
        sub = ledger.submission(reference)
        text = judging.shown(ledger, settings.data_dir, scope, sub) if sub else None
        return (sub, text) if sub is not None and text is not None else None

    @app.get("/j/<token>")
    def judge_home(token: str) -> Any:
        scope = scope_of(token)
        if scope is None:
            return gone()
        ledger = desk.ledger()
        found = judging.entries_for(ledger, settings.data_dir, scope)
        subs = [sub for sub, _ in found]
        titles = {sub.id: text.partition("\n")[0].removeprefix("# ").strip()
                  for sub, text in found}
        scored = {}
        for sub in subs:
            mine = ledger.scores_of(sub.id).get(scope.link.reader, {})
            scored[sub.id] = ", ".join(f"{c.name.replace('_', ' ')} {mine[c.name]}"
                                       for c in scope.rubric if c.name in mine)
        return render_template("judge_home.html", scope=scope, subs=subs, titles=titles,
                               scored=scored, token=token, heading=heading(scope),
                               closes=_when(scope), editor=None)

    @app.route("/j/<token>/<reference>", methods=["GET", "POST"])
    def judge_entry(token: str, reference: str) -> Any:
        scope = scope_of(token)
        if scope is None:
            return gone()
        ledger = desk.ledger()
        found = readable(ledger, scope, reference)
        if found is None:
            abort(404)
        sub, text = found
        if request.method == "POST":
            try:
                with desk.changing() as db:
                    judging.save_scores(db, scope, sub, dict(request.form.items()))
            except IntakeError as exc:
                flash(str(exc), "error")
            else:
                flash("Your scores are saved. You can change them until judging closes.")
            return redirect(f"/j/{token}/{sub.reference}")
        images = f"/j/{token}/{sub.reference}/assets/"
        html = safe_html(text).replace('src="assets/', f'src="{images}')
        comments = ledger.comments_of(sub.id)
        return render_template(
            "judge_entry.html", scope=scope, sub=sub, body_html=html, token=token,
            heading=heading(scope), mine=ledger.scores_of(sub.id).get(scope.link.reader, {}),
            comment=comments.get(scope.link.reader, ("", ""))[0], editor=None)

    @app.get("/j/<token>/<reference>/assets/<name>")
    def judge_asset(token: str, reference: str, name: str) -> Response:
        scope = scope_of(token)
        found = readable(desk.ledger(), scope, reference) if scope else None
        if scope is None or found is None or "/" in name or name.startswith("."):
            abort(404)
        path = judging.image(settings.data_dir, scope, found[0], name)
        if path is None:
            abort(404)
        try:
            path = confine.inside(path.parent, path.name)
        except confine.OutsideFolder:
            abort(404)
        kind = _IMAGES.get(path.suffix.lower())
        if kind is None or not path.is_file():
            abort(404)
        return send_file(path, mimetype=kind)


def _when(scope: Scope) -> str:
    when = scope.closes
    return f"{when.day} {when.strftime('%B %Y, %H:%M')} UTC"
