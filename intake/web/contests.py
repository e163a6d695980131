"""The desk's contest pages: each contest's entries and ranking, the judges' copy of an
entry to look over and confirm, winners, the judges' invitations and the results emails.
The steps are the command line's (`intake contest`), each recorded under the editor."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, Response, abort, flash, g, redirect, render_template, request
from markupsafe import Markup

from intake.contests import blind, judging
from intake.contests.awards import announce, award
from intake.contests.results import as_csv, flagged, rank
from intake.contests.settings import Contest
from intake.core.errors import IntakeError
from intake.export.html import safe_html
from intake.web.context import DeskContext, desk_words


def register(app: Flask, desk: DeskContext) -> None:
    settings = desk.settings

    def contest_of(contest_id: str) -> Contest:
        found = settings.contest(contest_id)
        if found is None:
            abort(404)
        return found

    @app.get("/contests")
    def contests() -> Any:
        ledger = desk.ledger()
        counts = {c.id: len(ledger.entries(c.id)) for c in settings.contests}
        return render_template("contests.html", contests=settings.contests, counts=counts,
                               editor=g.editor)

    @app.get("/contests/<contest_id>")
    def contest_page(contest_id: str) -> Any:
        contest = contest_of(contest_id)
        ledger = desk.ledger()
        rows = rank(ledger, contest)
        others = [ledger.submission_by_id(e.submission_id) for e in
                  ledger.entries(contest.id, ("early", "late", "over_limit"))]
        ready = {r.submission.id: judging.visible(settings.data_dir, ledger, r.submission)
                 is not None for r in rows}
        return render_template("contest.html", contest=contest, rows=rows, others=others,
                               ready=ready, flagged=lambda r: flagged(r, contest),
                               links=ledger.reader_links(contest=contest.id), editor=g.editor)

    @app.get("/contests/<contest_id>/results.csv")
    def contest_csv(contest_id: str) -> Response:
        contest = contest_of(contest_id)
        return Response(as_csv(rank(desk.ledger(), contest), contest), mimetype="text/csv",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{contest.id}-results.csv"'})

    @app.post("/contests/<contest_id>/step")
    def contest_step(contest_id: str) -> Any:
        contest = contest_of(contest_id)
        step = request.form.get("step", "")
        try:
            with desk.changing() as db:
                if step == "invite":
                    invited = judging.invite(db, settings, contest, g.editor.id)
                    flash(f"{len(invited)} judge(s) invited; the next run sends the emails."
                          if invited else "Every judge already has a live link.")
                elif step == "revoke":
                    who = request.form.get("judge", "")
                    flash(f"{judging.revoke(db, contest, who, g.editor.id)} link(s) of "
                          f"{who} revoked.")
                elif step == "award":
                    sub = desk.found(request.form.get("reference", ""))
                    what = request.form.get("award", "")
                    award(db, contest, sub, what, g.editor.id)
                    flash(f"{sub.reference}: {what.replace('honourable', 'honourable mention')}"
                          if what != "none" else f"{sub.reference}: award taken back.")
                elif step == "announce":
                    queued = announce(db, settings, contest, g.editor.id)
                    flash(f"{queued} result email(s) queued; each entrant is told once.")
                else:
                    abort(400)
        except IntakeError as exc:
            flash(desk_words(str(exc)), "error")
        return redirect(f"/contests/{contest.id}")

    @app.route("/s/<reference>/judges-copy", methods=["GET", "POST"])
    def judges_copy(reference: str) -> Any:
        sub = desk.found(reference)
        ledger = desk.ledger()
        entry = ledger.entry(sub.id)
        contest = settings.contest(entry.contest) if entry else None
        if entry is None or contest is None:
            abort(404)
        if request.method == "POST":
            try:
                with desk.changing() as db:
                    _, judges = judging.confirm(db, settings, desk.found(reference),
                                                g.editor.id)
            except IntakeError as exc:
                flash(desk_words(str(exc)), "error")
            else:
                names = [j.name for j in contest.judges if j.key in judges]
                flash("The judges' copy is confirmed" + (
                    f" and given to {', '.join(names)}." if names else
                    ", but no judge is free of a conflict with its author."))
            return redirect(f"/s/{sub.reference}/judges-copy")
        try:  # read, not written: the copy is written when it is confirmed
            copy = blind.build(settings.data_dir, sub)
        except IntakeError as exc:
            flash(desk_words(str(exc)), "error")
            return redirect(f"/s/{sub.reference}/")
        html = safe_html(copy.text)
        for new, old in copy.images.items():  # the draft's own images, as the page shows
            html = html.replace(f'src="assets/{new}"', f'src="assets/{quote(old)}"')
        return render_template(
            "judges_copy.html", sub=sub, contest=contest, entry=entry, copy=copy,
            body_html=Markup(html),  # noqa: S704 (sanitised by safe_html)
            confirmed=judging.visible(settings.data_dir, ledger, sub) is not None,
            judges=[j for j in contest.judges if j.key in ledger.readers_of(sub.id)],
            editor=g.editor)

    app.jinja_env.globals["blind_removed_label"] = _label


def _label(what: str) -> str:
    return {"bio": "the bio section", "image name": "an image's file name", "link":
            "a link to the author's page", "email": "an email address"}.get(what, f"the {what}")

