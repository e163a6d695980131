"""The desk's steps on each kind's own road (editors.stages) and the author's profile
(editors.authors): move a submission to a stage, with its email; edit what is kept of
its author; take an applicant on as an editor (a desk invitation) or a contributor."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, flash, g, redirect, render_template, request

from intake.core.errors import IntakeError
from intake.editors.papers import papers
from intake.editors.stages import commit_stage, prepare_stage, stages_of
from intake.editors.workflow import Actor, WorkflowError, find
from intake.ledger import Ledger
from intake.ledger.events import EventName
from intake.mail.templates import Notices
from intake.web.accounts import invite
from intake.web.context import DeskContext

_MAX_BIO = 2000


def register(app: Flask, desk: DeskContext) -> None:
    settings = desk.settings

    def back(reference: str) -> Any:
        return redirect(f"/s/{quote(reference)}/")

    @app.post("/s/<reference>/stage")
    def move_stage(reference: str) -> Any:
        form = request.form
        stage = form.get("stage", "")

        def step(db: Ledger, actor: Actor) -> Any:
            return commit_stage(db, prepare_stage(
                db, settings, Notices(settings), reference, stage, actor,
                message=form.get("message", ""), when=form.get("when", ""),
                price=form.get("price", ""), send_email=form.get("email") == "yes"))

        said = f"Stage: {stage}." + (" The email to the author is queued."
                                     if form.get("email") == "yes" else "")
        desk.act(reference, "stage", step, said)
        return back(reference)

    @app.get("/s/<reference>/papers")
    def application_papers(reference: str) -> Any:
        """The cover letter and the CV side by side, contact details marked."""
        sub = desk.found(reference)
        return render_template("papers.html", sub=sub, papers=papers(settings, sub),
                               editor=g.editor)

    @app.post("/s/<reference>/author")
    def edit_author(reference: str) -> Any:
        form = request.form

        def step(db: Ledger, actor: Actor) -> Any:
            sub = find(db, reference)
            if not sub.author_email:
                raise WorkflowError(f"{sub.reference} has no author address")
            db.edit_author(sub.author_email, name=" ".join(form.get("name", "").split())[:120],
                           bio=form.get("bio", "").strip()[:_MAX_BIO],
                           institution=" ".join(form.get("institution", "").split())[:200],
                           editor=actor.id)
            db.add_event(EventName.PROFILE_EDITED, submission_id=sub.id, actor=actor.id)

        desk.act(reference, "author", step, "The author's profile is kept.", versioned=False)
        return back(reference)

    @app.post("/s/<reference>/join")
    def join(reference: str) -> Any:
        """An applicant joins: as an editor (invited to the desk: they set a password from
        the link), or as a contributor (their profile says so)."""
        role = request.form.get("role", "")
        sub = desk.found(reference)
        joined = "joined" in stages_of(settings, sub)
        try:
            if role == "editor":
                if not g.editor.admin:
                    raise IntakeError("only an admin ([editors.ID] admin = true) invites "
                                      "editors to the desk")
                link = invite(desk, request.form.get("id", ""), sub.author_name,
                              sub.author_email)
                if link:
                    flash(f"Give them this link yourself: {link}", "error")
            elif role != "contributor":
                raise IntakeError("join as an editor or as a contributor")
        except IntakeError as exc:
            flash(str(exc), "error")
            return back(reference)

        def step(db: Ledger, actor: Actor) -> Any:
            found = find(db, reference)
            if role == "contributor":
                db.make_contributor(found.author_email, found.author_name)
            if joined:
                return commit_stage(db, prepare_stage(db, settings, Notices(settings),
                                                      reference, "joined", actor))
            return found

        desk.act(reference, "join", step, f"{sub.author_name or sub.author_email} joins as "
                 f"{'an editor' if role == 'editor' else 'a contributor'}.")
        return back(reference)
