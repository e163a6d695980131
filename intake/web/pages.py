"""The desk's pages about submissions: the queue, a submission, its revisions, its files,
and every step an editor takes on one (each through the editors' library, guarded by
the page's version and a one-time token: web.context)."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import (
    Flask,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    send_file,
)
from markupsafe import Markup, escape

from intake.core import confine, languages
from intake.core.errors import IntakeError
from intake.core.models import AWAITING_EDITORS, Status
from intake.editors import search
from intake.editors.attention import held_versions
from intake.editors.compare_view import Rendered, render, side
from intake.editors.decisions import commit, language_of, prepare
from intake.editors.diff import revisions
from intake.editors.privacy import edit_draft, flags_of, keep, require_clear
from intake.editors.reply import prepare_reply, send_reply
from intake.editors.stages import stage_of, stages_of
from intake.editors.thread import thread
from intake.editors.workflow import (
    DECISIONS,
    TRANSITIONS,
    Actor,
    add_note,
    assign,
    reclassify,
    set_article_type,
    set_language,
    start_review,
)
from intake.export.bundle import Format, export_bundle
from intake.export.html import safe_html, with_marks
from intake.ledger import Ledger, Submission
from intake.ledger.events import EventName
from intake.ledger.search import END, START
from intake.ledger.store import read_draft
from intake.mail.templates import Notices
from intake.medical.types import TYPES
from intake.web.context import DeskContext, desk_words
from intake.web.replies import fill_saved

PAGE_SIZE = 50
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                ".gif": "image/gif", ".webp": "image/webp", ".tif": "image/tiff",
                ".bmp": "image/bmp"}


def register(app: Flask, desk: DeskContext) -> None:
    settings = desk.settings

    def messages() -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
        return found

    @app.get("/")
    def queue() -> Any:
        statuses = _statuses(request.args.get("status", ""))
        kind = request.args.get("kind", "") or None
        assignee = request.args.get("assignee", "")
        text = " ".join(request.args.get("q", "").split())
        page = max(1, _int(request.args.get("page", "1")))
        ledger = desk.ledger()
        passages: dict[int, Markup] = {}
        problems: list[str] = []
        if text:
            # A search covers every status unless the page's filter chose one.
            query = search.parse(text, me=g.editor.id)
            problems = query.problems
            hits, total = search.run(
                ledger, query, statuses=statuses if request.args.get("status") else None,
                kind=kind, assignee=assignee or None, limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE)
            rows = [h.submission for h in hits]
            passages = {h.submission.id: _marked(h.passage) for h in hits if h.passage}
        else:
            chosen: dict[str, Any] = {
                "assignee": assignee if assignee not in ("", "none") else None,
                "unassigned": assignee == "none"}
            total = ledger.count_submissions(statuses, kind, **chosen)
            rows = ledger.submissions(statuses, kind, limit=PAGE_SIZE,
                                      offset=(page - 1) * PAGE_SIZE,
                                      order=request.args.get("sort", ""),
                                      descending=request.args.get("dir") == "desc",
                                      **chosen)
        return render_template(
            "queue.html", rows=rows, total=total, activity=ledger.activity([r.id for r in rows]),
            passages=passages, problems=problems, searching=bool(text),
            page=page, pages=max(1, -(-total // PAGE_SIZE)), counts=ledger.status_counts(),
            now=datetime.now(UTC), statuses=[s.value for s in Status],
            kinds=[k.name for k in settings.kinds], editors=desk.editors(), args=request.args,
            views=ledger.saved_views(g.editor.id),
            this_view=view_query(list(request.args.items(multi=True))),
            editor=g.editor, messages=messages())

    @app.get("/s/<reference>/")
    def submission(reference: str) -> Any:
        ledger = desk.ledger()
        sub = desk.found(reference)
        front: dict[str, Any] = {}
        body_html = ""
        draft = _draft_dir(desk, sub)
        flags = flags_of(ledger, settings, sub)
        if draft is not None and (draft / "draft.md").is_file():
            front, body = read_draft(draft / "draft.md")
            body_html = with_marks(safe_html(body), [f.match for f in flags if f.open])
        originals = _files(draft, "original")
        earlier = {n: _files(draft / "revisions" / str(n), "original")
                   for n in revisions(settings.data_dir, sub) if n < sub.revision} \
            if draft is not None else {}
        return render_template(
            "submission.html", sub=sub, front=front, body_html=body_html,
            originals=originals, risky=_risky(draft, originals), earlier=earlier,
            events=ledger.events_of(sub.id), outbox=ledger.outbox_of(sub.id),
            editor=g.editor, now=datetime.now(UTC), editors=desk.editors(),
            kinds=[k.name for k in settings.kinds],
            decisions=[a for a, d in DECISIONS.items() if _allowed(sub, d.status)],
            revisions=revisions(settings.data_dir, sub), flags=flags,
            open_flags=sum(f.open for f in flags),
            can_publish=settings.wordpress is not None and sub.status is Status.ACCEPTED,
            published=ledger.last_event(sub.id, EventName.PUBLISHED),
            thread=thread(settings.data_dir, ledger, sub), name_of=desk.name_of,
            held=held_versions(ledger, submission_id=sub.id),
            entry=ledger.entry(sub.id), contest_of=settings.contest, types=TYPES,
            similar=_similar(ledger, sub),
            offered_languages=settings.languages.offered, language_names=languages.NAMES,
            author_language=language_of(settings, sub),
            stages=stages_of(settings, sub), stage=stage_of(settings, sub),
            join_id=re.sub(r"[^a-z0-9_-]", "", sub.author_email.partition("@")[0]
                           .partition("+")[0].lower())[:32],
            profile=ledger.author(sub.author_email) if sub.author_email else None,
            others=[o for o in ledger.submissions_of_author(sub.author_email)
                    if o[0] != sub.reference] if sub.author_email else [],
            reader_scores=ledger.scores_of(sub.id), reader_comments=ledger.comments_of(sub.id),
            messages=messages())

    @app.get("/s/<reference>/compare")
    def compare_revisions(reference: str) -> Any:
        sub = desk.found(reference)
        kept = revisions(settings.data_dir, sub) if _draft_dir(desk, sub) else []
        a = _int(request.args.get("a", "")) if request.args.get("a") else None
        b = _int(request.args.get("b", "")) if request.args.get("b") else None
        shown = Rendered()
        problem = ""
        if len(kept) >= 2:
            a = a if a in kept else kept[-2]
            b = b if b in kept else kept[-1]
            try:
                shown = render(side(settings.data_dir, sub, a), side(settings.data_dir, sub, b))
                problem = shown.note
            except IntakeError as exc:
                problem = str(exc)
        return render_template("compare.html", sub=sub, kept=kept, a=a, b=b, shown=shown,
                               problem=problem, editor=g.editor)

    @app.post("/s/<reference>/export")
    def export(reference: str) -> Any:
        """The publication bundle (Markdown with front matter, HTML, images, and the Word
        file with format=all) as one zip: the very files `intake export` writes."""
        sub = desk.found(reference)
        draft = _draft_dir(desk, sub)
        if draft is None:
            flash(f"{reference} has no draft to export", "error")
            return redirect(f"/s/{reference}/")
        try:
            require_clear(desk.ledger(), settings, sub, "exported")
        except IntakeError as exc:
            flash(desk_words(str(exc)), "error")
            return redirect(f"/s/{reference}/")
        formats: set[Format] = {"markdown", "docx"} if request.form.get("format") == "all" \
            else {"markdown"}
        with tempfile.TemporaryDirectory(prefix="intake-export-") as tmp:
            result = export_bundle(sub, draft, Path(tmp), formats)
            archive = zip_folder(result.folder, sub.reference)
        with desk.changing() as db, db.transaction():
            db.add_event(EventName.EXPORTED, submission_id=sub.id, actor=g.editor.id,
                         to="the desk (download)", formats=sorted(formats),
                         notes=result.notes or None)
        return send_file(archive, as_attachment=True, download_name=f"{reference}.zip",
                         mimetype="application/zip")

    @app.get("/s/<reference>/assets/<path:name>")
    def asset(reference: str, name: str) -> Any:
        path = _named(desk, reference, "assets", name)
        kind = _IMAGE_TYPES.get(path.suffix.lower())
        if kind is None:  # images only, as the draft shows them; the rest as downloads
            return send_file(path, as_attachment=True, download_name=path.name,
                             mimetype="application/octet-stream")
        return send_file(path, mimetype=kind)

    @app.get("/s/<reference>/original/<path:name>")
    def original(reference: str, name: str) -> Any:
        """A file as the author sent it, as a download. One that would fetch something
        from elsewhere when opened is offered only after a warning, and cleaned."""
        path = _named(desk, reference, "original", name)
        from intake.convert.word_remote import remote_references, without_remote

        data = path.read_bytes() if path.suffix.lower() in _WORD else b""
        remote = remote_references(data) if data else []
        if not remote:
            return send_file(path, as_attachment=True, download_name=path.name,
                             mimetype="application/octet-stream")
        if request.args.get("cleaned") != "yes":
            return render_template("risky.html", sub=desk.found(reference), name=path.name,
                                   remote=remote, editor=g.editor)
        return send_file(io.BytesIO(without_remote(data)), as_attachment=True,
                         download_name=path.name, mimetype="application/octet-stream")

    @app.get("/s/<reference>/revisions/<int:number>/<any(original, assets):folder>/"
             "<path:name>")
    def earlier_file(reference: str, number: int, folder: str, name: str) -> Any:
        """A file as an earlier revision brought it (kept under revisions/N/): its
        originals as downloads, its images as the compare page shows them."""
        sub = desk.found(reference)
        draft = _draft_dir(desk, sub)
        if draft is None or not 1 <= number < sub.revision or "/" in name:
            abort(404)
        try:
            path = confine.inside(draft / "revisions" / str(number) / folder, name)
        except confine.OutsideFolder:
            abort(404)
        if not path.is_file():
            abort(404)
        kind = _IMAGE_TYPES.get(path.suffix.lower()) if folder == "assets" else None
        if kind is not None:
            return send_file(path, mimetype=kind)
        return send_file(path, as_attachment=True, download_name=path.name,
                         mimetype="application/octet-stream")

    # -- steps: each one guarded ledger transaction through the editors' library ------

    def back(reference: str) -> Any:
        return redirect(f"/s/{quote(reference)}/")

    @app.post("/s/<reference>/assign")
    def assign_to(reference: str) -> Any:
        who = request.form.get("editor", "")
        name = "nobody" if who == "none" else desk.name_of(who)
        desk.act(reference, "assign", lambda db, actor: assign(db, settings, reference, who,
                                                               actor), f"Assigned to {name}.")
        return back(reference)

    @app.post("/s/<reference>/review")
    def review(reference: str) -> Any:
        desk.act(reference, "review",
                 lambda db, actor: start_review(db, settings, reference, actor),
                 "Taken into review.")
        return back(reference)

    @app.post("/s/<reference>/note")
    def note(reference: str) -> Any:
        text = request.form.get("text", "")
        desk.act(reference, "note", lambda db, actor: add_note(db, reference, text, actor),
                 "Note added.", versioned=False)
        return back(reference)

    @app.post("/s/<reference>/reclassify")
    def change_kind(reference: str) -> Any:
        kind = request.form.get("kind", "")
        desk.act(reference, "reclassify",
                 lambda db, actor: reclassify(db, settings, reference, kind, actor),
                 f"Reclassified as {kind.replace('_', ' ')}.")
        return back(reference)

    @app.post("/s/<reference>/type")
    def change_type(reference: str) -> Any:
        chosen = request.form.get("article_type", "")
        desk.act(reference, "type",
                 lambda db, actor: set_article_type(db, settings, reference, chosen, actor),
                 f"Article type: {TYPES.get(chosen, 'none')}.")
        return back(reference)

    @app.post("/s/<reference>/language")
    def change_language(reference: str) -> Any:
        chosen = request.form.get("language", "")
        desk.act(reference, "language",
                 lambda db, actor: set_language(db, settings, reference, chosen, actor),
                 f"The author is answered in {languages.NAMES.get(chosen, chosen)} from the "
                 "next email.")
        return back(reference)

    @app.post("/s/<reference>/privacy")
    def privacy_keep(reference: str) -> Any:
        flag, reason = request.form.get("flag", ""), request.form.get("reason", "")
        desk.act(reference, "privacy",
                 lambda db, actor: keep(db, settings, reference, flag, reason, actor),
                 "Privacy flag kept, with your reason.")
        return back(reference)

    @app.route("/s/<reference>/edit", methods=["GET", "POST"])
    def edit(reference: str) -> Any:
        """The draft's Markdown in a plain text area; saving makes a new version of it."""
        sub = desk.found(reference)
        draft = _draft_dir(desk, sub)
        if draft is None or not (draft / "draft.md").is_file():
            abort(404)
        if request.method == "POST":
            text = request.form.get("markdown", "")
            try:
                done = desk.guarded(reference, "edit", lambda db, actor: edit_draft(
                    db, settings, reference, text, actor))
            except IntakeError as exc:
                flash(desk_words(str(exc)), "error")
            else:
                gone = f" {len(done.removed)} privacy flag(s) gone." if done.removed else ""
                still = f" The screen still finds {len(done.found)}." if done.found else ""
                flash(f"Draft saved as edit {done.edit}.{gone}{still}")
                return back(reference)
            body = text
        else:
            body = read_draft(draft / "draft.md")[1]
        flags = flags_of(desk.ledger(), settings, sub)
        return render_template("edit.html", sub=desk.found(reference), body=body,
                               flags=[f for f in flags if f.open], editor=g.editor,
                               messages=messages())

    @app.post("/s/<reference>/publish")
    def publish_post(reference: str) -> Any:
        """An accepted article to WordPress as a draft post (again: the same post)."""
        from intake.editors.publish import publish

        try:
            with desk.changing() as db:
                done = publish(db, settings, reference, desk.actor())
        except IntakeError as exc:
            flash(f"Not published: {desk_words(str(exc))}", "error")
        else:
            flash(f"{'Updated' if done.updated else 'Made'} WordPress post {done.post_id} "
                  f"({done.status}, {done.uploaded} image(s) uploaded): {done.link}")
        return back(reference)

    @app.route("/s/<reference>/reply", methods=["GET", "POST"])
    def reply(reference: str) -> Any:
        """A free-form email to the author: shown before it is queued, like a decision."""
        sub = desk.found(reference)
        message = request.form.get("message", "")
        prepared = None
        saved = desk.ledger().saved_replies(g.editor.id)
        try:
            if request.method == "POST" and request.form.get("send") == "insert":
                chosen = next((r for r in saved if str(r.id) == request.form.get("saved")),
                              None)
                if chosen is not None:
                    words = fill_saved(settings, sub, desk.actor(),
                                       chosen.text)
                    message = f"{message.rstrip()}\n\n{words}".strip()
                return render_template("reply.html", sub=sub, prepared=None,
                                       message=message, saved=saved,
                                       version=_shown_version(sub), editor=g.editor)
            if request.method == "POST" and request.form.get("send") == "yes":
                desk.guarded(reference, "reply", lambda db, actor: send_reply(
                    db, prepare_reply(db, settings, Notices(settings), reference, actor,
                                      message)))
                flash(f"Your reply to {sub.author_email} is queued and goes out with the "
                      "next run.")
                return back(reference)
            if request.method == "POST" and message.strip():
                prepared = prepare_reply(desk.ledger(), settings, Notices(settings), reference,
                                         desk.actor(), message)
        except IntakeError as exc:
            flash(desk_words(str(exc)), "error")
            return back(reference)
        return render_template("reply.html", sub=sub, prepared=prepared, message=message,
                               saved=saved, version=_shown_version(sub), editor=g.editor)

    @app.route("/s/<reference>/decide/<action>", methods=["GET", "POST"])
    def decide(reference: str, action: str) -> Any:
        """A decision: the email is shown, with the editor's own words in it, before
        anything is recorded; Send records the decision and queues the email at once."""
        if action not in DECISIONS:
            abort(404)
        sub = desk.found(reference)
        message = request.form.get("message", "")
        reason = request.form.get("reason") or None

        def decided(db: Ledger, actor: Actor) -> Submission:
            return commit(db, settings, prepare(db, settings, Notices(settings), reference,
                                                action, actor, message=message, reason=reason))

        try:
            if request.method == "POST" and request.form.get("send") == "yes":
                desk.guarded(reference, action, decided)
                flash(f"{reference} {DECISIONS[action].done}; the email is queued and goes "
                      "out with the next run.")
                return back(reference)
            prepared = prepare(desk.ledger(), settings, Notices(settings), reference, action,
                               desk.actor(), message=message, reason=reason)
        except IntakeError as exc:
            flash(desk_words(str(exc)), "error")
            return back(reference)
        return render_template("decide.html", prepared=prepared, action=action,
                               message=message, reason=reason, reasons=settings.reasons,
                               version=_shown_version(sub), editor=g.editor)


def _marked(passage: str) -> Markup:
    """A search's passage, escaped, with its matched words marked."""
    text = str(escape(passage))
    return Markup(text.replace(START, "<mark>").replace(END, "</mark>"))  # noqa: S704 (escaped above; the marks are ours)


def zip_folder(folder: Path, name: str) -> io.BytesIO:
    """Every file under folder (folders walked, links left out) as name/… in a zip."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                bundle.write(path, f"{name}/{path.relative_to(folder).as_posix()}")
    archive.seek(0)
    return archive


_WORD = {".docx", ".docm", ".dotx", ".dotm"}


def _shown_version(sub: Submission) -> int:
    """The version the editor's page showed: carried from the submission page's link
    (?v=) through the preview, else the one shown now."""
    given = request.values.get("version") or request.args.get("v", "")
    return int(given) if given.isdigit() and len(given) < 10 else sub.version


def _draft_dir(desk: DeskContext, sub: Submission) -> Path | None:
    if not sub.draft_dir or sub.purged_at:
        return None
    try:
        return confine.inside(desk.settings.data_dir, sub.draft_dir)
    except confine.OutsideFolder:
        return None


def _named(desk: DeskContext, reference: str, folder: str, name: str) -> Path:
    """A file of a submission's folder named by a page's address: 404 for anything that
    is not a plain file directly inside it (NUL, .., backslash, absolute, links out)."""
    draft = _draft_dir(desk, desk.found(reference))
    if draft is None or "/" in name or name.startswith("."):
        abort(404)
    try:
        path = confine.inside(draft / folder, name)
    except confine.OutsideFolder:
        abort(404)
    if not path.is_file() or path.parent != (draft / folder).resolve():
        abort(404)
    return path


def _files(draft: Path | None, folder: str) -> list[tuple[str, int]]:
    if draft is None or not (draft / folder).is_dir():
        return []
    return sorted((p.name, p.stat().st_size) for p in (draft / folder).iterdir()
                  if p.is_file() and not p.is_symlink() and not p.name.startswith("."))


def _risky(draft: Path | None, originals: list[tuple[str, int]]) -> set[str]:
    """The originals that would fetch something from elsewhere when opened."""
    from intake.convert.word_remote import remote_references

    found = set()
    for name, size in originals:
        if draft is not None and Path(name).suffix.lower() in _WORD and \
                size < 64 * 2**20 and remote_references(draft / "original" / name):
            found.add(name)
    return found


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


def page_query(args: Any, page: int) -> str:
    return urlencode({**{k: v for k, v in args.items() if k != "page"}, "page": page})


VIEW_KEYS = ("q", "status", "kind", "assignee", "sort", "dir")  # what a saved view keeps


def view_query(pairs: list[tuple[str, str]]) -> str:
    """The part of a queue's address a view keeps: its search, filters and order, each
    once and bounded; a page number or anything else is left out."""
    kept: dict[str, str] = {}
    for key, value in pairs:
        if key in VIEW_KEYS and key not in kept and value.strip():
            kept[key] = " ".join(value.split())[:500]
    return urlencode([(k, kept[k]) for k in VIEW_KEYS if k in kept])


def sort_query(args: Any, column: str) -> str:
    """The queue's address sorted by a column: ascending first, then the other way."""
    again = args.get("sort") == column and args.get("dir") != "desc"
    kept = {k: v for k, v in args.items() if k not in ("sort", "dir", "page")}
    return urlencode({**kept, "sort": column, "dir": "desc" if again else "asc"})


def _similar(ledger: Ledger, sub: Submission) -> list[dict[str, Any]]:
    """The earlier submissions this one's text matched (medical.similarity)."""
    found = ledger.last_event(sub.id, EventName.SIMILAR)
    matches = found.detail.get("matches", []) if found else []
    return [m for m in matches if isinstance(m, dict) and
            isinstance(m.get("reference"), str)][:5]
