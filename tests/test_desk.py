"""The editors' desk (issue 16, first part): signing in, the queue, a submission's page,
and the security of a page where strangers' text meets a browser. Through the app's own
WSGI interface (Flask's test client); the browser tests are still to come."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake.core.config import load_settings
from intake.demo.samples import DOCX, article_docx
from intake.demo.samples import email as make_email
from intake.web.app import MAX_FAILURES, create_app
from tests.conftest import CliResult, eml_folder

Cli = Callable[..., CliResult]
PASSWORD = "correct horse battery"
HOSTILE = '<script>alert("title")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def desk(make_config: Callable[..., Path], cli: Cli,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, Path, str]]:
    config = make_config(**{"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org"}})
    # Two submissions: one ordinary with an image, one whose every field is hostile.
    folder = eml_folder(config.parent, [
        make_email("Sam <sam@uni.example.org>", "Guest post: Night shifts", "Attached.",
                   attachments=(("night.docx", DOCX, article_docx("Night shifts")),),
                   message_id="<a@uni>"),
        make_email(f'"{HOSTILE}" <eve@uni.example.org>', f"Guest post {HOSTILE}",
                   f"My article. {HOSTILE} " * 60,
                   attachments=((f"{HOSTILE}.txt", "text/plain", HOSTILE.encode()),),
                   message_id="<b@uni>"),
    ])
    assert cli("--config", config, "ingest", folder).code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    result = cli("--config", config, "passwd", "ana")
    assert result.code == 0, result.err
    app = create_app(load_settings(config))
    app.config["TESTING"] = True
    yield app, config, "JPMS-2026-0001"


def _token(client: FlaskClient, path: str = "/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form that posts to `action` (its CSRF token, the
    version of the submission it shows and its one-time token)."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>',
                     page, re.S)
    assert form, (action, page)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                           form.group(1)))


def _form(client: FlaskClient, path: str, action: str) -> dict[str, str]:
    return fields(client.get(path).get_data(as_text=True), action)


def _sign_in(client: FlaskClient, password: str = PASSWORD) -> int:
    return client.post("/sign-in", data={"editor": "ana", "password": password,
                                         "csrf_token": _token(client)}).status_code


def test_nothing_but_the_sign_in_page_is_reachable_signed_out(
        desk: tuple[Flask, Path, str]) -> None:
    app, _, ref = desk
    client = app.test_client()
    for path in ("/", f"/s/{ref}/", f"/s/{ref}/assets/image-001.png",
                 f"/s/{ref}/original/night.docx", "/?status=all"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location.split("?")[0].endswith("/sign-in"), path
    assert client.get("/sign-in").status_code == 200


def test_sign_in_with_the_password_passwd_set_and_sign_out(
        desk: tuple[Flask, Path, str]) -> None:
    app, _, _ = desk
    client = app.test_client()
    assert _sign_in(client, "wrong password here") == 401
    assert _sign_in(client) == 302
    queue = client.get("/")
    assert queue.status_code == 200 and "Night shifts" in queue.get_data(as_text=True)
    assert '<td data-label="Sent">2026-11-02</td>' in queue.get_data(as_text=True)  # sent
    cookie = queue.request.headers.get("Cookie", "")
    assert "intake_desk=" in cookie
    assert client.post("/sign-out", data={"csrf_token": _token(client, "/")}).status_code == 302
    assert client.get("/").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(desk: tuple[Flask, Path, str]) -> None:
    app, _, _ = desk
    client = app.test_client()
    token = _token(client)
    response = client.post("/sign-in", data={"editor": "ana", "password": PASSWORD,
                                             "csrf_token": token})
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_failed_sign_ins_are_limited(desk: tuple[Flask, Path, str]) -> None:
    app, _, _ = desk
    client = app.test_client()
    for _ in range(MAX_FAILURES):
        assert _sign_in(client, "not the password") == 401
    refused = client.post("/sign-in", data={"editor": "ana", "password": PASSWORD,
                                            "csrf_token": _token(client)})
    assert refused.status_code == 401  # even the right password, for a while
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_change_without_the_csrf_token_is_refused(desk: tuple[Flask, Path, str]) -> None:
    app, _, _ = desk
    client = app.test_client()
    assert _sign_in(client) == 302
    assert client.post("/sign-out").status_code == 400  # no token
    assert client.post("/sign-out", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    assert client.post("/sign-in", data={"editor": "ana", "password": PASSWORD}
                       ).status_code == 400


def test_every_page_refuses_scripts_framing_and_sniffing(
        desk: tuple[Flask, Path, str]) -> None:
    app, _, ref = desk
    client = app.test_client()
    assert _sign_in(client) == 302
    for path in ("/sign-in", "/", f"/s/{ref}/"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src" not in policy  # no script of any kind
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"


def test_hostile_titles_names_bodies_and_file_names_are_inert(
        desk: tuple[Flask, Path, str]) -> None:
    app, _, _ = desk
    client = app.test_client()
    assert _sign_in(client) == 302
    queue = client.get("/?status=all").get_data(as_text=True)
    page = client.get("/s/JPMS-2026-0002/").get_data(as_text=True)
    for html in (queue, page):
        assert not re.search(r"<script", html, re.I)  # no script element at all
        assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html, re.I)  # no event handler
    assert "&lt;script&gt;" in page  # shown as text, not dropped


def test_the_draft_with_its_image_and_originals_as_downloads(
        desk: tuple[Flask, Path, str]) -> None:
    app, _, ref = desk
    client = app.test_client()
    assert _sign_in(client) == 302
    page = client.get(f"/s/{ref}/").get_data(as_text=True)
    assert "<h1" in page and "Night shifts" in page
    image = re.search(r'<img src="(assets/[^"]+)"', page)
    assert image, page
    picture = client.get(f"/s/{ref}/{image.group(1)}")
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    original = client.get(f"/s/{ref}/original/night.docx")
    assert original.status_code == 200
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert original.mimetype == "application/octet-stream"


@pytest.mark.parametrize("name", [
    "..%2Fdraft.md", "..%2F..%2Fintake.sqlite3", "%2E%2E%2Fdraft.md", ".hidden",
    "..", "draft.md", "..\\draft.md"])
def test_no_path_leaves_the_submissions_folder(desk: tuple[Flask, Path, str], name: str) -> None:
    app, _, ref = desk
    client = app.test_client()
    assert _sign_in(client) == 302
    for folder in ("assets", "original"):
        response = client.get(f"/s/{ref}/{folder}/{name}")
        assert response.status_code in (404, 308), (folder, name, response.status_code)
        assert b"SQLite format" not in response.data and b"reference:" not in response.data


def test_a_link_planted_in_a_draft_folder_is_not_served(
        desk: tuple[Flask, Path, str], tmp_path: Path) -> None:
    app, config, ref = desk
    secret = tmp_path / "secret.txt"
    secret.write_text("someone else's")
    (config.parent / "var" / "drafts" / ref / "original" / "link.txt").symlink_to(secret)
    client = app.test_client()
    assert _sign_in(client) == 302
    assert client.get(f"/s/{ref}/original/link.txt").status_code == 404


def test_an_editor_assigns_notes_and_decides_with_the_email_shown_first(
        desk: tuple[Flask, Path, str], cli: Cli) -> None:
    app, config, ref = desk
    client = app.test_client()
    assert _sign_in(client) == 302
    page = f"/s/{ref}/"
    token = _token(client, page)
    assert client.post(f"{page}assign", data={"editor": "ana"}).status_code == 400  # no token
    assigned = client.post(f"{page}assign", data={"editor": "ana",
                                                  **_form(client, page, "assign")},
                           follow_redirects=True).get_data(as_text=True)
    assert "Assigned to Ana Lima." in assigned  # each action says what it did
    assert client.post(f"{page}note", data={"text": "Strong opening.",
                                             **_form(client, page, "note")}).status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "Strong opening." in shown and "in review" in shown

    preview = client.post(f"{page}decide/accept",
                          data={"message": "Lovely work <b>indeed</b>.", "send": "no",
                                "csrf_token": token})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Accepted" in text
    assert "Lovely work &lt;b&gt;indeed&lt;/b&gt;." in text  # in the email, escaped here
    history = _json_show(cli, config, ref)
    assert history["status"] == "in_review" and not any(  # nothing recorded by a preview
        o["purpose"].startswith("decision") for o in history["outbox"])

    form = fields(text, "accept")
    sent = client.post(f"{page}decide/accept", data={"message": "Lovely work.", "send": "yes",
                                                     **form})
    assert sent.status_code == 302
    history = _json_show(cli, config, ref)
    assert history["status"] == "accepted"
    assert [e["actor"] for e in history["history"] if e["event"] == "decided"] == ["ana"]
    assert sum(1 for o in history["outbox"] if o["template"] == "accepted") == 1
    # The same form again (a reload, a proxy's retry): nothing done twice, and said so.
    again = client.post(f"{page}decide/accept", data={"send": "yes", **form},
                        follow_redirects=True)
    assert "was sent already" in again.get_data(as_text=True)
    # A new form of the same decision: refused by the workflow, nothing queued twice.
    fresh = client.get(f"{page}decide/withdraw").get_data(as_text=True)
    assert "cannot be accepted" in client.post(
        f"{page}decide/accept", data={"send": "yes", **fields(fresh, "withdraw")},
        follow_redirects=True).get_data(as_text=True)
    assert sum(1 for o in _json_show(cli, config, ref)["outbox"]
               if o["template"] == "accepted") == 1


def _json_show(cli: Cli, config: Path, ref: str) -> dict[str, Any]:
    import json

    result = cli("--config", config, "show", ref, "--json")
    assert result.code == 0, result.err
    shown: dict[str, Any] = json.loads(result.out)
    return shown


def test_a_free_form_reply_goes_out_once_in_the_thread_and_the_answer_joins(
        desk: tuple[Flask, Path, str], cli: Cli) -> None:
    """From the desk and from the command line: shown first, queued on Send, sent by the
    next run in the author's thread, written by a person; the author's answer joins."""
    import email
    from email import policy

    app, config, ref = desk
    client = app.test_client()
    assert _sign_in(client) == 302
    page = f"/s/{ref}/"
    token = _token(client, page)
    preview = client.post(f"{page}reply", data={"message": "Could you add a photo credit?",
                                                "send": "no", "csrf_token": token})
    assert "Could you add a photo credit?" in preview.get_data(as_text=True)
    assert not [o for o in _json_show(cli, config, ref)["outbox"]
                if o["purpose"].startswith("reply")]
    form = fields(preview.get_data(as_text=True), "reply")
    for _ in range(2):  # sent twice (a double click): queued once
        assert client.post(f"{page}reply", data={"message": "Could you add a photo credit?",
                                                 "send": "yes", **form}).status_code == 302
    result = cli("--config", config, "reply", ref, "-m", "And a short bio, please.",
                 "--yes", "--as", "ana")
    assert result.code == 0, result.err
    assert cli("--config", config, "send").code == 0

    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((config.parent / "sent").glob("*reply*.eml"))]
    assert len(sent) == 2
    for msg in sent:
        assert msg["In-Reply-To"] == "<a@uni>" and msg["Auto-Submitted"] is None
        assert str(msg["To"]) == "Sam <sam@uni.example.org>"
    body = sent[0].get_body(("plain",))
    assert body is not None and "photo credit" in body.get_content()
    shown = _json_show(cli, config, ref)
    assert [e["actor"] for e in shown["history"] if e["event"] == "replied"] == ["ana", "ana"]

    answer = make_email("Sam <sam@uni.example.org>", f"Re: {sent[0]['Subject']}",
                        "Photo by me; bio to follow.", message_id="<answer@uni>",
                        headers={"In-Reply-To": str(sent[0]["Message-ID"])})
    assert cli("--config", config, "ingest", eml_folder(config.parent, [answer])).code == 0
    history = _json_show(cli, config, ref)["history"]
    assert any(e["event"] == "correspondence" and "Photo by me" in e["excerpt"]
               for e in history)


def test_revisions_compared_word_by_word_on_the_desk_and_the_command_line(
        desk: tuple[Flask, Path, str], cli: Cli) -> None:
    app, config, ref = desk
    version = make_email("Sam <sam@uni.example.org>", f"[{ref}] new version", "Here it is.",
                         attachments=(("night-v2.docx", DOCX,
                                       article_docx("Night shifts", paragraphs=7)),),
                         message_id="<v2@uni>")
    assert cli("--config", config, "ingest", eml_folder(config.parent, [version])).code == 0
    assert _json_show(cli, config, ref)["revision"] == 2

    result = cli("--config", config, "diff", ref)
    assert result.code == 0, result.err
    assert result.out.startswith(f"{ref}: revision 1 → 2")
    assert "{+" in result.out  # the added paragraph
    missing = cli("--config", config, "diff", ref, "1", "5")
    assert missing.code == 2 and "has no revision 5" in missing.err

    client = app.test_client()
    assert _sign_in(client) == 302
    shown = client.get(f"/s/{ref}/").get_data(as_text=True)
    assert "Compare revisions" in shown
    # Each revision keeps its own files, still reachable.
    assert 'href="revisions/1/original/night.docx"' in shown
    earlier = client.get(f"/s/{ref}/revisions/1/original/night.docx")
    assert earlier.status_code == 200 and earlier.data[:2] == b"PK"
    for bad in ("revisions/2/original/night-v2.docx", "revisions/1/original/..%2Fdraft.md",
                "revisions/0/original/night.docx"):
        assert client.get(f"/s/{ref}/{bad}").status_code == 404, bad
    def changes(query: str) -> str:
        page = client.get(f"/s/{ref}/compare?{query}").get_data(as_text=True)
        found = re.search(r'<div class="diff" id="changes">(.*)</div>', page, re.S)
        assert found, page
        return found.group(1)

    changed = changes("a=1&b=2")
    assert '<div class="row added">' in changed and '<ins class="block"><p>' in changed
    assert "<h2>" in changed or "<p>" in changed  # rendered, not raw Markdown
    assert "Revision 1</div>" in changed and "Revision 2</div>" in changed
    same = changes("a=2&b=2")
    assert "<ins" not in same and "<del" not in same and "medical students" in same
    # An earlier revision's images are served from its own folder, and only images.
    assert client.get(f"/s/{ref}/revisions/1/assets/..%2F..%2Fdraft.md").status_code == 404


def test_a_comparison_shows_a_strangers_words_as_text() -> None:
    from intake.editors.diff import compare

    pieces = compare("Plain words here.", "Plain <script>alert(1)</script> words here.")
    assert [p.kind for p in pieces] == ["same", "added", "same"]
    assert pieces[1].text == "<script>alert(1)</script>"  # escaped by the page's template


def test_the_thread_reads_in_order_with_quoted_text_folded(
        desk: tuple[Flask, Path, str], cli: Cli) -> None:
    app, config, ref = desk
    answer = make_email("Sam <sam@uni.example.org>", f"Re: [{ref}] Received",
                        "Thanks! One question: when will it appear?\n\n"
                        "On Mon, 2 Nov 2026 at 09:30, Editors wrote:\n> Thank you for your "
                        "guest post\n> <script>alert(1)</script>\n",
                        message_id="<q@uni>", headers={"In-Reply-To": "<a@uni>"})
    assert cli("--config", config, "ingest", eml_folder(config.parent, [answer])).code == 0
    client = app.test_client()
    assert _sign_in(client) == 302
    page = client.get(f"/s/{ref}/").get_data(as_text=True)
    thread = page.split('id="thread"')[1].split("</section>")[0]
    first, ack, question = (thread.index("Attached."), thread.index("Received"),
                            thread.index("when will it appear?"))
    assert first < ack < question  # received, sent, received: in order
    folded = thread.split("when will it appear?")[1]
    assert "<details><summary>Quoted text</summary>" in folded
    assert "&lt;script&gt;" in folded and "<script>" not in thread


def test_quoted_text_is_found_in_several_languages() -> None:
    from intake.editors.thread import split_quoted

    for line in ("> earlier", "On Mon, 2 Nov 2026, Ana wrote:", "Le lun. 2 nov. 2026, Ana a "
                 "écrit :", "El lun, 2 nov 2026, Ana escribió:", "Am Mo., 2. Nov. 2026 "
                 "schrieb Ana <a@b>:", "Em seg., 2 de nov. de 2026, Ana escreveu:"):
        own, quoted = split_quoted(f"My answer.\n\n{line}\n> the old text\n")
        assert own == "My answer." and quoted.startswith(line.split(",")[0][:2]), line


def test_the_bundle_downloads_as_one_zip_and_is_recorded(
        desk: tuple[Flask, Path, str], cli: Cli) -> None:
    import zipfile

    app, config, ref = desk
    client = app.test_client()
    assert _sign_in(client) == 302
    token = _token(client, f"/s/{ref}/")
    response = client.post(f"/s/{ref}/export", data={"format": "all", "csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment")
    names = set(zipfile.ZipFile(io.BytesIO(response.data)).namelist())
    assert {f"{ref}/{ref}.md", f"{ref}/{ref}.html", f"{ref}/{ref}.docx"} <= names
    assert any(n.startswith(f"{ref}/assets/") for n in names)
    exported = [e for e in _json_show(cli, config, ref)["history"] if e["event"] == "exported"]
    assert exported and exported[-1]["actor"] == "ana"


def test_the_queue_shows_when_an_author_wrote_after_the_editors_last_step(
        desk: tuple[Flask, Path, str], cli: Cli) -> None:
    app, config, ref = desk
    client = app.test_client()
    assert _sign_in(client) == 302

    def flagged() -> bool:
        page = client.get("/").get_data(as_text=True)
        row = next(r for r in page.split("<tr>") if f"/s/{ref}/" in r)
        return "author wrote" in row

    assert not flagged()
    question = make_email("Sam <sam@uni.example.org>", f"Re: [{ref}] a question",
                          "When will it appear?", message_id="<q2@uni>")
    assert cli("--config", config, "ingest", eml_folder(config.parent, [question])).code == 0
    assert flagged()
    assert cli("--config", config, "note", ref, "Answered by phone.", "--as", "ana").code == 0
    assert not flagged()


def test_editors_are_emailed_at_once_about_what_they_asked_for(
        make_config: Callable[..., Path], cli: Cli) -> None:
    import email
    from email import policy

    config = make_config(**{
        "editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org",
                        "follows": ["guest_post"], "notify_assigned": True},
        "editors.ben": {"name": "Ben Okafor", "email": "ben@j.example.org"},
        "web": {"public_url": "https://desk.example.org/"}})

    def to(address: str) -> list[EmailMessage]:
        return [m for m in (email.message_from_bytes(p.read_bytes(), policy=policy.default)
                            for p in sorted((config.parent / "sent").glob("*.eml")))
                if address in str(m["To"])]

    first = make_email("Sam <sam@uni.example.org>", "Guest post: Night shifts", "Attached.",
                       attachments=(("night.docx", DOCX, article_docx("Night shifts")),),
                       message_id="<n1@uni>")
    other = make_email("Co <co@corp.example.com>", "Sponsored article enquiry",
                       "We would like to sponsor an article on your blog; what are your rates?",
                       message_id="<n2@corp>")
    assert cli("--config", config, "ingest", eml_folder(config.parent, [first, other])
               ).code == 0
    (new,) = to("ana@j.example.org")  # the guest post only: she follows that kind
    assert str(new["Subject"]).startswith("[JPMS-2026-0001] New guest post: Night shifts")
    assert new["Auto-Submitted"] == "auto-generated"
    body = new.get_body(("plain",))
    assert body is not None
    assert "https://desk.example.org/s/JPMS-2026-0001/" in body.get_content()
    assert to("ben@j.example.org") == []

    assert cli("--config", config, "assign", "JPMS-2026-0001", "ana", "--as", "ben").code == 0
    reply = make_email("Sam <sam@uni.example.org>", "Re: [JPMS-2026-0001] a question",
                       "Can I add a photo?", message_id="<n3@uni>")
    version = make_email("Sam <sam@uni.example.org>", "[JPMS-2026-0001] v2", "New version.",
                         attachments=(("v2.docx", DOCX, article_docx("Night shifts", 7)),),
                         message_id="<n4@uni>")
    stranger = make_email("Eve <eve@x.example.net>", "Re: [JPMS-2026-0001] hello", "Hi",
                          message_id="<n5@x>")
    assert cli("--config", config, "ingest", eml_folder(config.parent, [reply, version,
                                                                        stranger])).code == 0
    subjects = sorted(str(m["Subject"]) for m in to("ana@j.example.org"))
    assert subjects == ["[JPMS-2026-0001] New guest post: Night shifts",
                        "[JPMS-2026-0001] Revision 2 from Sam: Night shifts",
                        "[JPMS-2026-0001] Sam wrote: Night shifts"]  # not the stranger


def test_privacy_flags_are_marked_where_they_are_in_the_draft(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(**{"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org"}})
    case = ("A memorable case from my placement. The patient, DOB 12/03/1990, was admitted "
            "with chest pain; her record number MRN 44512378 was on every form. " * 3
            + "What I learnt about listening. " * 60)
    message = make_email("Sam <sam@uni.example.org>", "Guest post: a case", case,
                         message_id="<p@uni>")
    assert cli("--config", config, "ingest", eml_folder(config.parent, [message])).code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli("--config", config, "passwd", "ana").code == 0
    app = create_app(load_settings(config))
    client = app.test_client()
    assert _sign_in(client) == 302
    page = client.get("/s/JPMS-2026-0001/").get_data(as_text=True)
    assert "Privacy flags" in page
    draft = page.split('<article class="draft">')[1].split("</article>")[0]
    assert "<mark>DOB 12/03/1990</mark>" in draft
    assert re.search(r"<mark>MRN 44512378[^<]*</mark>", draft)


def test_an_editor_chooses_notifications_on_the_desk(
        desk: tuple[Flask, Path, str], cli: Cli) -> None:
    import email
    from email import policy

    app, config, _ = desk
    client = app.test_client()
    assert _sign_in(client) == 302
    token = _token(client, "/me")
    assert client.post("/me", data={"follows": ["sponsored", "not_a_kind"],
                                    "csrf_token": token}).status_code == 302
    page = client.get("/me").get_data(as_text=True)
    assert 'value="sponsored" checked' in page and 'value="guest_post" checked' not in page
    enquiry = make_email("Co <co@corp.example.com>", "Sponsored article enquiry",
                         "We would like to sponsor an article; what are your rates?",
                         message_id="<s1@corp>")
    assert cli("--config", config, "ingest", eml_folder(config.parent, [enquiry])).code == 0
    to_ana = [m for m in (email.message_from_bytes(p.read_bytes(), policy=policy.default)
                          for p in (config.parent / "sent").glob("*.eml"))
              if "ana@j.example.org" in str(m["To"])]
    assert [str(m["Subject"]).split("]")[1].strip()[:13] for m in to_ana] == ["New sponsored"]
