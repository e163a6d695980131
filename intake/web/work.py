"""The desk's pages for an editor's working day beyond one submission: what needs them
(editors.attention), steps on several submissions at once, saved replies and saved
views of the queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from flask import Flask, flash, g, redirect, render_template, request

from intake.core.errors import IntakeError, LockHeld
from intake.core.runlock import run_lock
from intake.editors.attention import needs
from intake.editors.decisions import commit, prepare
from intake.editors.workflow import Actor, assign, reclassify
from intake.ledger import Ledger
from intake.mail.templates import Notices
from intake.web.context import DeskContext, desk_words
from intake.web.pages import PAGE_SIZE, _int, view_query


def register(app: Flask, desk: DeskContext) -> None:
    settings = desk.settings

    @app.get("/attention")
    def attention() -> Any:
        """What needs the signed-in editor now (editors.attention): the landing page."""
        ledger = desk.ledger()
        follows = (ledger.notifications(g.editor.id) or (g.editor.follows,))[0]
        found = needs(ledger, g.editor.id, list(follows))
        every = found.author_wrote + found.answered_me + found.new_to_follow
        return render_template("attention.html", found=found, editor=g.editor,
                               follows=follows, now=datetime.now(UTC),
                               activity=ledger.activity([s.id for s in every]))

    @app.post("/bulk")
    def bulk() -> Any:
        """One step for several submissions chosen in the queue: assign, reclassify, or
        reject with one reason and one preview. Each is its own guarded change (its
        version, its once-only token), so each email goes out once and each history
        records it; one that changed meanwhile is refused and said, the rest go on."""
        refs = list(dict.fromkeys(request.form.getlist("refs")))[:PAGE_SIZE]
        chosen = request.form.get("bulk", "")
        reason = request.form.get("reason") or None
        message = request.form.get("message", "")
        if not refs or (":" not in chosen and chosen != "reject"):
            flash("Choose one or more submissions, and what to do with them.", "error")
            return redirect("/")
        verb, _, value = chosen.partition(":")
        subs = [desk.found(r) for r in refs]

        def step(ref: str) -> Callable[[Ledger, Actor], Any]:
            if verb == "assign":
                return lambda db, actor: assign(db, settings, ref, value, actor)
            if verb == "reclassify":
                return lambda db, actor: reclassify(db, settings, ref, value, actor)
            return lambda db, actor: commit(db, settings, prepare(
                db, settings, Notices(settings), ref, "reject", actor, message=message,
                reason=reason))

        if request.form.get("send") != "yes":
            preview = None
            if verb == "reject":
                try:
                    preview = prepare(desk.ledger(), settings, Notices(settings),
                                      subs[0].reference, "reject", desk.actor(),
                                      message=message, reason=reason)
                except IntakeError as exc:
                    flash(desk_words(str(exc)), "error")
                    return redirect("/")
            return render_template("bulk.html", subs=subs, chosen=chosen, verb=verb,
                                   value=value, reason=reason, message=message,
                                   reasons=settings.reasons, prepared=preview,
                                   name_of=desk.name_of, editor=g.editor)
        once = request.form.get("once", "")
        done, refused = [], []
        for sub in subs:
            try:
                desk.guarded(sub.reference, f"bulk-{verb}", step(sub.reference),
                             once=f"{once}:{sub.reference}" if once else "",
                             shown=request.form.get(f"v_{sub.reference}", ""))
                done.append(sub.reference)
            except IntakeError as exc:
                refused.append(f"{sub.reference}: {desk_words(str(exc))}")
        what = {"assign": f"assigned to {desk.name_of(value) if value != 'none' else 'nobody'}",
                "reclassify": f"reclassified as {value.replace('_', ' ')}",
                "reject": "rejected; each email is queued"}.get(verb, verb)
        if done:
            flash(f"{len(done)} {what}: {', '.join(done)}.")
        for line in refused:
            flash(line, "error")
        return redirect("/")

    @app.route("/replies", methods=["GET", "POST"])
    def saved_replies() -> Any:
        """Saved replies: snippets an editor inserts on the Reply page, their own or
        everyone's, with the variables the email templates know ({{ author_name }}…)."""
        if request.method == "POST":
            with desk.changing() as db, db.transaction():
                if request.form.get("action") == "delete":
                    gone = db.delete_saved_reply(_int(request.form.get("id", "")),
                                                 g.editor.id)
                    flash("Saved reply deleted." if gone else "No such saved reply of yours.")
                else:
                    name = " ".join(request.form.get("name", "").split())[:80]
                    text = request.form.get("text", "").replace("\r\n", "\n").strip()[:10_000]
                    if not name or not text:
                        flash("A saved reply needs a name and a text.", "error")
                    else:
                        shared = request.form.get("shared") == "yes"
                        db.add_saved_reply(None if shared else g.editor.id, name, text,
                                           g.editor.id)
                        flash(f"Saved: {name}" + (" (for every editor)." if shared else "."))
            return redirect("/replies")
        return render_template("replies.html", saved=desk.ledger().saved_replies(g.editor.id),
                               editor=g.editor, name_of=desk.name_of)

    @app.post("/views")
    def saved_views() -> Any:
        """An editor's own saved views of the queue: saved from the queue as it is
        shown, listed beside its filters, deleted there."""
        with desk.changing() as db, db.transaction():
            if request.form.get("action") == "delete":
                gone = db.delete_saved_view(_int(request.form.get("id", "")), g.editor.id)
                flash("View deleted." if gone else "No such view of yours.",
                      "message" if gone else "error")
                return redirect("/")
            name = " ".join(request.form.get("name", "").split())[:60]
            query = view_query(parse_qsl(request.form.get("query", ""), max_num_fields=20))
            if not name:
                flash("A view needs a name.", "error")
            elif not db.save_view(g.editor.id, name, query):
                flash(f"You have {db.MOST} views already: delete one first.", "error")
            else:
                flash(f"View saved: {name}.")
        return redirect(f"/?{query}" if name else "/")

    @app.post("/s/<reference>/take-revision")
    def take_as_revision(reference: str) -> Any:
        """A version held from another address (a co-author's), taken as the next
        revision: converted and acknowledged as a poll would, under the poll's lock,
        and guarded as every form is."""
        from intake.editors.authorship import take_revision
        from intake.pipeline.run import Intake

        row = _int(request.form.get("message", ""))

        def step(db: Ledger, actor: Actor) -> int:
            app_ = Intake(settings, ledger=db)
            return take_revision(app_, reference, row, actor).revision

        try:
            with run_lock(settings.data_dir):
                revision = desk.guarded(reference, "take-revision", step)
        except LockHeld:
            flash("intake is polling the mailbox right now: try again in a minute.", "error")
        except IntakeError as exc:
            flash(desk_words(str(exc)), "error")
        else:
            flash(f"Message {row} taken as revision {revision}; the author's "
                  "acknowledgement is queued.")
        return redirect(f"/s/{quote(reference)}/")
