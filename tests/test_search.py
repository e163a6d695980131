"""Finding anything (issue 32, first part): full-text search over drafts, authors'
messages and notes, every status, accents and case ignored, fields to narrow, ranked,
with the passage shown and the words marked; on the desk and `intake queue --search`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from intake.demo.samples import DOCX, text_docx
from intake.demo.samples import email as make_email
from tests.conftest import CliResult, eml_folder
from tests.deskhelp import make_desk, sign_in

Cli = Callable[..., CliResult]


def _submission(n: int, sender: str, subject: str, paragraphs: list[str]) -> bytes:
    return make_email(sender, subject, "Please find my article attached.",
                      attachments=((f"a{n}.docx", DOCX, text_docx(subject, paragraphs)),),
                      message_id=f"<search{n}@uni>")


@pytest.fixture
def site(make_config: Callable[..., Path], cli: Cli,
         monkeypatch: pytest.MonkeyPatch) -> tuple[Flask, Path]:
    filler = ["Ward rounds teach more than any lecture does, week after week. " * 20]
    mail = [
        _submission(1, "Priya Raman <priya@med.example.edu>", "Guest post: Night shifts",
                    ["Night shifts change how students sleep. " * 10, *filler]),
        _submission(2, "Zoë Okafor <zoe@uni.example.org>", "Guest post: Yellow babies",
                    ["Neonatal jaundice is common and mostly harmless. " * 5, *filler]),
        _submission(3, "Sam Lee <sam@uni.example.org>", "Guest post: On call",
                    ["The first night on call is long. " * 10, *filler]),
    ]
    app, config = make_desk(make_config, cli, monkeypatch, mail)
    assert cli("--config", config, "review", "JPMS-2026-0001", "--as", "ana").code == 0
    assert cli("--config", config, "reject", "JPMS-2026-0001", "--yes", "--as", "ana").code == 0
    assert cli("--config", config, "note", "JPMS-2026-0003", "Ask about the hypoglycaemia "
               "paragraph", "--as", "ben").code == 0
    return app, config


def _refs(cli: Cli, config: Path, query: str, *more: str) -> list[str]:
    done = cli("--config", config, "queue", "--search", query, "--json", *more)
    assert done.code == 0, done.err
    return [json.loads(line)["reference"] for line in done.out.splitlines()]


def test_search_covers_every_status_accents_drafts_and_notes(
        site: tuple[Flask, Path], cli: Cli) -> None:
    _, config = site
    assert _refs(cli, config, "priya") == ["JPMS-2026-0001"]  # rejected, still found
    assert _refs(cli, config, "zoe") == ["JPMS-2026-0002"]  # Zoë
    assert _refs(cli, config, "jaundice") == ["JPMS-2026-0002"]  # a word of the draft
    assert _refs(cli, config, "hypoglycaemia") == ["JPMS-2026-0003"]  # an editor's note
    assert _refs(cli, config, "JAUND") == ["JPMS-2026-0002"]  # case, and a word's start
    assert _refs(cli, config, '"night shifts"') == ["JPMS-2026-0001"]  # a phrase
    assert set(_refs(cli, config, "night")) == {"JPMS-2026-0001", "JPMS-2026-0003"}
    assert _refs(cli, config, "night", "--status", "queued,in_review") == ["JPMS-2026-0003"]


def test_fields_narrow_a_search(site: tuple[Flask, Path], cli: Cli) -> None:
    _, config = site
    assert _refs(cli, config, "from:priya") == ["JPMS-2026-0001"]
    assert _refs(cli, config, "night status:rejected") == ["JPMS-2026-0001"]
    assert _refs(cli, config, "assignee:ana") == ["JPMS-2026-0001"]
    assert set(_refs(cli, config, "kind:guest_post after:2026-01-01")) == {
        "JPMS-2026-0001", "JPMS-2026-0002", "JPMS-2026-0003"}
    assert _refs(cli, config, "before:2000-01-01") == []
    bad = cli("--config", config, "queue", "--search", "before:yesterday")
    assert "not understood: before" in bad.err


def test_a_word_in_the_title_ranks_above_one_deep_in_the_draft(
        site: tuple[Flask, Path], cli: Cli) -> None:
    _, config = site
    # "call" is in 0003's title; 0001 has it nowhere; "night" is in 0001's title and
    # in 0003's text: 0001 first.
    assert _refs(cli, config, "call") == ["JPMS-2026-0003"]
    assert _refs(cli, config, "night")[0] == "JPMS-2026-0001"


def test_the_desk_shows_the_passage_with_its_words_marked(site: tuple[Flask, Path]) -> None:
    app, _ = site
    client = app.test_client()
    assert sign_in(client) == 302
    page = client.get("/?q=jaundice").get_data(as_text=True)
    assert "1 found" in page and "JPMS-2026-0002" in page
    passage = re.search(r'<div class="passage">(.*?)</div>', page, re.S)
    assert passage and "<mark>jaundice</mark>" in passage.group(1).lower()
    hostile = client.get('/?q=%3Cscript%3E%22').get_data(as_text=True)
    assert "<script>" not in hostile  # what was typed is shown as text
    assert "priya" in client.get("/?q=priya").get_data(as_text=True).lower()


def test_the_index_follows_every_change_in_the_same_transaction(
        site: tuple[Flask, Path], cli: Cli, tmp_path: Path) -> None:
    _, config = site
    reply = make_email("Sam Lee <sam@uni.example.org>", "Re: [JPMS-2026-0003] On call",
                       "One question about the tachycardia section.",
                       message_id="<search-reply@uni>",
                       headers={"In-Reply-To": "<search3@uni>"})
    assert cli("--config", config, "ingest", eml_folder(tmp_path, [reply])).code == 0
    assert _refs(cli, config, "tachycardia") == ["JPMS-2026-0003"]  # an author's message
    edited = tmp_path / "edit.md"
    edited.write_text("Bradycardia, and nothing else.\n")
    assert cli("--config", config, "edit", "JPMS-2026-0003", edited, "--as", "ben").code == 0
    assert _refs(cli, config, "bradycardia") == ["JPMS-2026-0003"]
    assert _refs(cli, config, '"first night on call"') == []  # the edit replaced the text


# -- what needs me ------------------------------------------------------------------------


def test_needs_attention_shows_what_waits_on_the_editor_and_is_where_signing_in_lands(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    from tests.deskhelp import token

    mail = [_submission(n, f"Author {n} <a{n}@uni.example.org>", f"Guest post: part {n}",
                        ["Words of an article on the wards. " * 40]) for n in (1, 2, 3)]
    app, config = make_desk(make_config, cli, monkeypatch, mail, **{
        "editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org", "admin": True,
                        "follows": ["guest_post"]}})
    assert cli("--config", config, "assign", "1", "ana", "--as", "ana").code == 0
    assert cli("--config", config, "reply", "2", "-m", "A question for you.", "--yes",
               "--as", "ana").code == 0
    wrote = make_email("Author 1 <a1@uni.example.org>", "Re: [JPMS-2026-0001] part 1",
                       "A short note from me.", message_id="<att1@uni>",
                       headers={"In-Reply-To": "<search1@uni>"})
    answer = make_email("Author 2 <a2@uni.example.org>", "Re: [JPMS-2026-0002] part 2",
                        "Here is my answer.", message_id="<att2@uni>",
                        headers={"In-Reply-To": "<search2@uni>"})
    assert cli("--config", config, "ingest", eml_folder(tmp_path, [wrote, answer])).code == 0
    client = app.test_client()
    landed = client.post("/sign-in", data={"editor": "Ana Lima", "password": "correct "
                                           "horse battery", "csrf_token": token(client)})
    assert landed.location.endswith("/attention")  # by name, to what needs her
    page = client.get("/attention").get_data(as_text=True)
    sections = {name: page.split(f'id="{name}"')[1].split("</section>")[0]
                for name in ("wrote", "answered", "new")}
    assert "JPMS-2026-0001" in sections["wrote"] and "author wrote" in sections["wrote"]
    assert "JPMS-2026-0002" in sections["answered"]
    assert "JPMS-2026-0003" in sections["new"] and "JPMS-2026-0001" not in sections["new"]
    assert cli("--config", config, "note", "1", "Read it.", "--as", "ana").code == 0
    again = client.get("/attention").get_data(as_text=True)
    assert "JPMS-2026-0001" not in again.split('id="wrote"')[1].split("</section>")[0]
    # A link from a notification, followed signed out: through sign-in, to the page.
    stranger = app.test_client()
    asked = stranger.get("/s/JPMS-2026-0003/")
    assert asked.location.endswith("/sign-in?next=/s/JPMS-2026-0003/")
    done = stranger.post("/sign-in?next=/s/JPMS-2026-0003/", data={
        "editor": "ben", "password": "correct horse battery",
        "csrf_token": token(stranger)})
    assert done.location.endswith("/s/JPMS-2026-0003/")
    evil = stranger.post("/sign-in?next=//evil.example/", data={
        "editor": "ben", "password": "correct horse battery",
        "csrf_token": token(stranger)})
    assert evil.location.endswith("/attention")  # never another site


def test_notes_are_shown_in_full_near_the_top_with_their_author(
        site: tuple[Flask, Path], cli: Cli) -> None:
    app, config = site
    long_note = ("First line of a careful note.\nSecond line, after a break. "
                 + "It goes on for a while about the figures. " * 8)
    assert cli("--config", config, "note", "2", long_note, "--as", "ben").code == 0
    client = app.test_client()
    assert sign_in(client) == 302
    page = client.get("/s/JPMS-2026-0002/").get_data(as_text=True)
    notes = page.split('id="notes"')[1].split("</section>")[0]
    assert "Ben Okafor" in notes
    assert long_note.strip() in notes.replace("&#39;", "'")  # whole, its line break kept
    assert page.index('id="notes"') < page.index('id="draft"')
    mine = client.get("/?assignee=ana&status=all").get_data(as_text=True)
    assert "JPMS-2026-0001" in mine and "JPMS-2026-0002" not in mine


def test_a_saved_reply_is_inserted_with_its_variables_filled_and_no_script(
        site: tuple[Flask, Path]) -> None:
    from tests.deskhelp import fields, token

    app, _ = site
    ana, ben = app.test_client(), app.test_client()
    assert sign_in(ana) == 302 and sign_in(ben, "ben") == 302
    ana.post("/replies", data={"name": "Photo credit", "shared": "yes", "csrf_token":
                               token(ana, "/replies"),
                               "text": "Dear {{ author_name }}, could you credit the photos "
                                       "in “{{ title }}” ({{ reference }})?"})
    ana.post("/replies", data={"name": "Mine only", "text": "A private snippet.",
                               "csrf_token": token(ana, "/replies")})
    listed = ben.get("/replies").get_data(as_text=True)
    assert "Photo credit" in listed and "Mine only" not in listed  # shared, not private
    page = ben.get("/s/JPMS-2026-0002/reply").get_data(as_text=True)
    saved = re.search(r'<option value="(\d+)">Photo credit</option>', page)
    assert saved
    inserted = ben.post("/s/JPMS-2026-0002/reply", data={
        "message": "Thanks for the draft.", "send": "insert", "saved": saved.group(1),
        **fields(page, "reply")}).get_data(as_text=True)
    box = re.search(r'<textarea id="message" name="message"[^>]*>(.*?)</textarea>', inserted,
                    re.S)
    assert box
    assert "Thanks for the draft." in box.group(1)
    assert "Dear Zoë Okafor, could you credit the photos in “Guest post: Yellow babies” " \
           "(JPMS-2026-0002)?" in box.group(1)
    assert "<script" not in inserted


def test_the_desk_speaks_of_its_buttons_not_of_commands(site: tuple[Flask, Path]) -> None:
    app, _ = site
    client = app.test_client()
    assert sign_in(client) == 302
    said = client.get("/s/JPMS-2026-0002/decide/accept", follow_redirects=True).get_data(
        as_text=True)
    assert "cannot be accepted" in said and "press Take into review, or Assign" in said
    assert "intake review" not in said and "intake assign" not in said


def test_bulk_steps_act_on_each_once_and_refuse_what_changed(
        site: tuple[Flask, Path], cli: Cli) -> None:
    from tests.deskhelp import fields, token

    app, config = site
    client = app.test_client()
    assert sign_in(client) == 302
    chosen = {"refs": ["JPMS-2026-0002", "JPMS-2026-0003"], "csrf_token": token(client, "/")}
    page = client.post("/bulk", data={**chosen, "bulk": "assign:ben", "send": "no"}
                       ).get_data(as_text=True)
    assert "Assign to Ben Okafor: 2 submissions" in page
    form = fields(page, "/bulk")
    refs = re.findall(r'name="refs" value="([^"]+)"', page)
    done = client.post("/bulk", data={**form, "refs": refs, "send": "yes"},
                       follow_redirects=True).get_data(as_text=True)
    assert "2 assigned to Ben Okafor" in done
    again = client.post("/bulk", data={**form, "refs": refs, "send": "yes"},
                        follow_redirects=True).get_data(as_text=True)
    assert "sent already" in again  # the same form twice: nothing twice
    # Reject with one reason and one preview; one changed meanwhile is left alone.
    preview = client.post("/bulk", data={"refs": ["JPMS-2026-0002", "JPMS-2026-0003"],
                                         "bulk": "reject", "send": "no",
                                         "csrf_token": token(client, "/")}
                          ).get_data(as_text=True)
    assert "Reject: 2 submissions" in preview and 'class="email' in preview
    form = fields(preview, "/bulk")
    assert cli("--config", config, "note", "3", "x", "--as", "ana").code == 0  # not a change
    assert cli("--config", config, "assign", "3", "ana", "--as", "ana").code == 0  # a change
    rejected = client.post("/bulk", data={**form, "refs": ["JPMS-2026-0002", "JPMS-2026-0003"],
                                          "send": "yes", "message": "Not for us."},
                           follow_redirects=True).get_data(as_text=True)
    assert "1 rejected" in rejected and "JPMS-2026-0003: JPMS-2026-0003 changed" in rejected
    shown = json.loads(cli("--config", config, "show", "2", "--json").out)
    assert shown["status"] == "rejected"
    assert [o["template"] for o in shown["outbox"] if o["purpose"].startswith("decision")] \
        == ["rejected"]
    assert json.loads(cli("--config", config, "show", "3", "--json").out)["status"] != \
        "rejected"


def test_the_queues_columns_sort_both_ways(site: tuple[Flask, Path]) -> None:
    app, _ = site
    client = app.test_client()
    assert sign_in(client) == 302

    def order(query: str) -> list[str]:
        page = client.get(f"/?status=all&{query}").get_data(as_text=True)
        return re.findall(r'<td data-label="Reference"><a href="/s/([^/]+)/"', page)

    assert order("sort=author&dir=asc") == ["JPMS-2026-0001", "JPMS-2026-0003",
                                            "JPMS-2026-0002"]  # Priya, Sam, Zoë
    assert order("sort=author&dir=desc") == ["JPMS-2026-0002", "JPMS-2026-0003",
                                             "JPMS-2026-0001"]
    assert order("sort=status&dir=asc")[-1] == "JPMS-2026-0001"  # rejected sorts last
    assert order("sort=nonsense") == order("")  # an unknown column: the usual order
    page = client.get("/?status=all&sort=author&dir=asc").get_data(as_text=True)
    assert 'aria-sort="ascending"' in page and "sort=author&amp;dir=desc" in page


def test_each_editor_keeps_saved_views_of_the_queue(site: tuple[Flask, Path]) -> None:
    from tests.deskhelp import token

    app, _ = site
    ana, ben = app.test_client(), app.test_client()
    assert sign_in(ana) == 302 and sign_in(ben, "ben") == 302
    saved = ana.post("/views", data={
        "name": "  Night   rejects ", "csrf_token": token(ana, "/"),
        "query": "q=night&status=rejected&page=3&evil=1&sort=title&dir=desc&q=again"})
    # Kept without the page or a stranger's key, and the queue shown as saved.
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/?q=night&status=rejected&sort=title&dir=desc"
    page = ana.get("/").get_data(as_text=True)
    link = re.search(r'<a href="/\?([^"]+)"[^>]*>Night rejects</a>', page)
    assert link and link.group(1) == "q=night&amp;status=rejected&amp;sort=title&amp;dir=desc"
    shown = ana.get("/?q=night&status=rejected&sort=title&dir=desc").get_data(as_text=True)
    assert 'aria-current="page">Night rejects' in shown and "JPMS-2026-0001" in shown
    assert "Night rejects" not in ben.get("/").get_data(as_text=True)  # each their own
    # Saved again under its name, it is replaced, not doubled.
    ana.post("/views", data={"name": "Night rejects", "query": "kind=guest_post",
                             "csrf_token": token(ana, "/")})
    page = ana.get("/").get_data(as_text=True)
    assert page.count(">Night rejects</a>") == 1 and 'href="/?kind=guest_post"' in page
    number = re.search(r'name="id" value="(\d+)"', page)
    assert number
    # Another editor cannot delete it; its owner can.
    ben.post("/views", data={"action": "delete", "id": number.group(1),
                             "csrf_token": token(ben, "/")})
    assert "Night rejects" in ana.get("/").get_data(as_text=True)
    nameless = ana.post("/views", data={"name": " ", "query": "q=x",
                                        "csrf_token": token(ana, "/")}, follow_redirects=True)
    assert "A view needs a name" in nameless.get_data(as_text=True)
    ana.post("/views", data={"action": "delete", "id": number.group(1),
                             "csrf_token": token(ana, "/")})
    assert "Night rejects" not in ana.get("/").get_data(as_text=True)


def test_a_held_version_is_taken_as_a_revision_from_the_desk(
        site: tuple[Flask, Path], cli: Cli) -> None:
    from intake.core.runlock import run_lock
    from intake.demo.samples import article_docx
    from tests.deskhelp import fields

    app, config = site
    ref = "JPMS-2026-0002"  # nobody's yet, so it needs whoever signs in
    co_author = make_email("Bo Chen <bo@other.example.net>", f"[{ref}] our new version",
                           "Here is the version we agreed on.", message_id="<held1@other>",
                           attachments=(("v2.docx", DOCX, article_docx("Yellow babies", 7)),))
    assert cli("--config", config, "ingest", eml_folder(config.parent, [co_author])).code == 0
    client = app.test_client()
    assert sign_in(client) == 302
    attention = client.get("/attention").get_data(as_text=True)
    held = re.search(r'<section aria-labelledby="held">(.*?)</section>', attention, re.S)
    assert held and ref in held.group(1) and "bo@other.example.net sent v2.docx" in held.group(1)
    page = client.get(f"/s/{ref}/").get_data(as_text=True)
    form = fields(page, f"/s/{ref}/take-revision")

    # While a poll holds the lock, the desk says so and changes nothing.
    settings_dir = config.parent / "var"
    with run_lock(settings_dir):
        busy = client.post(f"/s/{ref}/take-revision", data=form, follow_redirects=True)
    assert "polling the mailbox right now" in busy.get_data(as_text=True)
    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    assert shown["revision"] == 1

    done = client.post(f"/s/{ref}/take-revision", data=form, follow_redirects=True)
    said = done.get_data(as_text=True)
    assert "taken as revision 2" in said, said[:2000]
    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    assert shown["revision"] == 2 and shown["author_email"] == "zoe@uni.example.org"
    assert [e["actor"] for e in shown["history"] if e["event"] == "revised"] == ["ana"]
    # Taken once: gone from both lists, and the same form sent again does nothing.
    assert 'aria-labelledby="held"' not in client.get(f"/s/{ref}/").get_data(as_text=True)
    again = client.post(f"/s/{ref}/take-revision", data=form, follow_redirects=True)
    assert "sent already" in again.get_data(as_text=True)
    assert json.loads(cli("--config", config, "show", ref, "--json").out)["revision"] == 2
