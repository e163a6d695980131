"""Trust on the desk (issue 28): nothing private leaves unchecked, nothing is decided twice,
sessions end, secrets stay private, files stay in their folder. Through the app's WSGI
interface and the command line; the browser's share is in test_desk_browser.py."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from intake.core.config import load_settings
from intake.demo.samples import DOCX, article_docx
from intake.demo.samples import email as make_email
from intake.drafts.privacy import screen
from intake.export.html import safe_html, with_marks
from tests.deskhelp import (
    PASSWORD,
    Cli,
    case_report_email,
    fields,
    form,
    make_desk,
    set_password,
    sign_in,
    token,
)

REF = "JPMS-2026-0001"


def _show(cli: Cli, config: Path, ref: str = REF) -> dict[str, Any]:
    result = cli("--config", config, "show", ref, "--json")
    assert result.code == 0, result.err
    shown: dict[str, Any] = json.loads(result.out)
    return shown


def _ledger(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "var" / "intake.sqlite3")


# -- the privacy screen ------------------------------------------------------------------


def test_the_screen_finds_phone_numbers_in_international_and_national_formats() -> None:
    text = ("Reach the family on +44 7700 900123 or +92 300 1234567, the clinic on "
            "(415) 555-0123, or the ward on 0300 1234567.")
    found = [f.match for f in screen(text) if f.what == "a phone number"]
    assert found == ["+44 7700 900123", "+92 300 1234567", "(415) 555-0123", "0300 1234567"]
    # Years, doses, p-values, ranges and DOIs of ordinary medical prose are not phones.
    prose = ("In 2019, 45 patients received 120 mg; p = 0.003 (95% CI 1.2-3.4), doi "
             "10.1000/182, between 12-15 May 2020, 1,234,567 admissions in all.")
    assert [f.match for f in screen(prose) if f.what == "a phone number"] == []


def test_a_record_number_mark_ends_with_the_number() -> None:
    for text, number in (("Her MRN 4839201 was checked at admission.", "MRN 4839201"),
                         ("NHS number 943 476 5919 and she was seen", "NHS number 943 476 5919"),
                         ("Patient ID: AB-12345 presented with pain", "Patient ID: AB-12345")):
        (flag,) = [f for f in screen(text) if f.what == "a medical record number"]
        assert flag.match == number


def test_a_photo_caption_flag_is_marked_in_the_draft() -> None:
    markdown = ("The patient agreed to this photo.\n\n"
                "![Mrs Jane Doe's forearm](assets/image-001.png)\n\n"
                "Figure 1: the rash of Mrs Jane Doe on the second day.\n")
    flags = [f for f in screen(markdown) if f.what.startswith("a photo")]
    assert len(flags) == 2 and all(f.match for f in flags)
    marked = with_marks(safe_html(markdown), [f.match for f in flags])
    assert re.search(r"<mark><img [^>]*alt=\"Mrs Jane Doe's forearm\"[^>]*></mark>", marked)
    assert "<mark>Mrs Jane Doe</mark> on the second day" in marked


def test_marks_wrap_text_only_and_never_break_a_link() -> None:
    markdown = "Write to [jane@home.example.org](mailto:jane@home.example.org) today."
    marked = with_marks(safe_html(markdown), ["jane@home.example.org"])
    assert 'href="mailto:jane@home.example.org"' in marked  # the link's address is whole
    assert "<mark>jane@home.example.org</mark></a>" in marked
    assert "<mark>" not in marked.split(">", 1)[0]


# -- the privacy gate ---------------------------------------------------------------------


@pytest.fixture
def case(make_config: Callable[..., Path], cli: Cli,
         monkeypatch: pytest.MonkeyPatch) -> tuple[Flask, Path]:
    return make_desk(make_config, cli, monkeypatch, [case_report_email()],
                     **{"publish.wordpress": {"url": "http://127.0.0.1:9/",
                                              "username": "intake",
                                              "password_env": "WP_PASSWORD"}})


def test_a_case_report_is_flagged_everywhere_it_names_the_patient(
        case: tuple[Flask, Path], cli: Cli) -> None:
    _, config = case
    listed = cli("--config", config, "privacy", REF)
    assert listed.code == 0, listed.err
    for what in ("a name next to clinical details", "a date of birth",
                 "a medical record number", "a phone number", "an e-mail address",
                 "a photo whose caption names a person"):
        assert what in listed.out, what
    assert listed.out.count("OPEN") >= 7


def test_accept_export_and_publish_refuse_while_a_flag_is_open(
        case: tuple[Flask, Path], cli: Cli, tmp_path: Path) -> None:
    _, config = case
    assert cli("--config", config, "review", REF, "--as", "ana").code == 0
    accept = cli("--config", config, "accept", REF, "--yes", "--as", "ana")
    assert accept.code == 2 and "privacy flag(s) open" in accept.err
    export = cli("--config", config, "export", REF, "--to", tmp_path / "out", "--as", "ana")
    assert export.code == 2 and "cannot be exported" in export.err
    assert not (tmp_path / "out").exists()
    shown = _show(cli, config)
    assert shown["status"] == "in_review"
    assert not [o for o in shown["outbox"] if o["purpose"].startswith("decision")]


def test_the_desk_holds_the_same_gate(case: tuple[Flask, Path], cli: Cli) -> None:
    app, config = case
    client = app.test_client()
    assert sign_in(client) == 302
    assert cli("--config", config, "review", REF, "--as", "ana").code == 0
    page = client.get(f"/s/{REF}/").get_data(as_text=True)
    assert "wait until the" in page and 'href="decide/accept' not in page
    # Straight to the address, as a bookmark or a crafted form would: refused.
    refused = client.get(f"/s/{REF}/decide/accept", follow_redirects=True)
    assert "privacy flag(s) open" in refused.get_data(as_text=True)
    export = client.post(f"/s/{REF}/export", data={"csrf_token": token(client, f"/s/{REF}/")},
                         follow_redirects=True)
    assert export.mimetype == "text/html" and "cannot be exported" in export.get_data(
        as_text=True)
    assert _show(cli, config)["status"] == "in_review"


def test_flags_are_settled_by_an_edit_or_a_reason_and_the_export_is_the_settled_draft(
        case: tuple[Flask, Path], cli: Cli, tmp_path: Path) -> None:
    app, config = case
    client = app.test_client()
    assert sign_in(client) == 302
    assert cli("--config", config, "review", REF, "--as", "ana").code == 0
    editing = client.get(f"/s/{REF}/edit").get_data(as_text=True)
    body = re.search(r'<textarea id="markdown" name="markdown"[^>]*>(.*?)</textarea>',
                     editing, re.S)
    assert body
    import html

    text = html.unescape(body.group(1))
    assert "Mrs Jane Doe" in text
    cleaned = (text.replace("Mrs Jane Doe's forearm on admission", "A forearm on admission")
               .replace("the rash of Mrs Jane Doe", "the rash")
               .replace("Mrs Jane Doe, a 67-year-old", "A 67-year-old")
               .replace("Her date of birth, 14/02/1958, and her MRN 4839201 were",
                        "Her details were")
               .replace("Her daughter could be reached on +44 7700 900123, and the ward on "
                        "(415) 555-0123; her own address is jane.doe@home.example.org.",
                        "The family could be reached by phone."))
    saved = client.post(f"/s/{REF}/edit", data={"markdown": cleaned,
                                                 **fields(editing, "edit")},
                        follow_redirects=True).get_data(as_text=True)
    assert "Draft saved as edit 1." in saved
    listed = cli("--config", config, "privacy", REF)
    assert listed.code == 0 and "no privacy flags" in listed.out, listed.out
    history = _show(cli, config)["history"]
    removed = [e for e in history if e["event"] == "privacy flag resolved"]
    assert removed and {e["how"] for e in removed} == {"removed"}
    assert {e["actor"] for e in removed} == {"ana"}
    assert (config.parent / "var" / "drafts" / REF / "edits" / "1.md").is_file()

    # The author's own address back in, for the byline: kept, for a reason, by name.
    again = form(client, f"/s/{REF}/edit", "edit")
    client.post(f"/s/{REF}/edit", data={
        "markdown": cleaned + "\n\nWrite to the author: ruth.roe@clinic.example.org\n",
        **again})
    short = cli("--config", config, "privacy", REF, "--keep", "1", "ok", "--as", "ben")
    assert short.code == 2 and "say why" in short.err
    kept = cli("--config", config, "accept", REF, "--yes", "--as", "ben",
               "--resolve-privacy", "1", "the author's own clinic address, for replies")
    assert kept.code == 0, kept.err
    flags = cli("--config", config, "privacy", REF).out
    assert "kept by ben: the author's own clinic address" in flags

    assert cli("--config", config, "export", REF, "--to", tmp_path / "out", "--format", "all",
               "--as", "ben").code == 0
    folder = tmp_path / "out" / REF
    for name in (f"{REF}.md", f"{REF}.html"):
        assert "Jane Doe" not in (folder / name).read_text(encoding="utf-8"), name
    assert "A forearm on admission" in (folder / f"{REF}.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(folder / f"{REF}.docx") as word:
        assert b"Jane Doe" not in word.read("word/document.xml")


def test_publish_refuses_a_flag_opened_after_acceptance(
        case: tuple[Flask, Path], cli: Cli, tmp_path: Path) -> None:
    _, config = case
    assert cli("--config", config, "review", REF, "--as", "ana").code == 0
    flags = cli("--config", config, "privacy", REF).out
    numbers = re.findall(r"^\[(\d+)\]", flags, re.M)
    keep = [a for n in numbers for a in ("--resolve-privacy", n, "consent form on file, "
                                                                  "signed by the patient")]
    assert cli("--config", config, "accept", REF, "--yes", "--as", "ana", *keep).code == 0
    draft = tmp_path / "new.md"
    draft.write_text("Mr John Roe, a 45-year-old man, was admitted with chest pain.\n")
    assert cli("--config", config, "edit", REF, draft, "--as", "ana").code == 0
    published = cli("--config", config, "publish", REF, "--as", "ana")
    assert published.code == 2 and "cannot be published" in published.err
    assert "a name next to clinical details" in published.err


# -- one decision per state ---------------------------------------------------------------


@pytest.fixture
def two(make_config: Callable[..., Path], cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> tuple[Flask, Path]:
    message = make_email("Sam <sam@uni.example.org>", "Guest post: Night shifts", "Attached.",
                         attachments=(("night.docx", DOCX, article_docx("Night shifts")),),
                         message_id="<a@uni>")
    return make_desk(make_config, cli, monkeypatch, [message])


def test_a_decision_from_an_older_page_is_refused_and_says_who_was_first(
        two: tuple[Flask, Path], cli: Cli) -> None:
    app, config = two
    ana, ben = app.test_client(), app.test_client()
    assert sign_in(ana, "ana") == 302 and sign_in(ben, "ben") == 302
    assert cli("--config", config, "review", REF, "--as", "ana").code == 0
    page = f"/s/{REF}/"
    link = re.search(r'href="(decide/reject\?v=\d+)"', ben.get(page).get_data(as_text=True))
    assert link
    rejecting = ben.get(page + link.group(1)).get_data(as_text=True)  # Ben opens Reject
    changes = ana.get(f"{page}decide/request-changes").get_data(as_text=True)
    assert ana.post(f"{page}decide/request-changes", data={
        "message": "Please add references.", "send": "yes",
        **fields(changes, "request-changes")}).status_code == 302
    sent = ben.post(f"{page}decide/reject", data={"send": "yes",
                                                  **fields(rejecting, "reject")},
                    follow_redirects=True).get_data(as_text=True)
    assert "changed while you had the page open" in sent
    assert "Ana Lima decided: changes requested at" in sent
    shown = _show(cli, config)
    assert shown["status"] == "changes_requested"
    decided = [e for e in shown["history"] if e["event"] == "decided"]
    assert [e["actor"] for e in decided] == ["ana"]
    assert [o["template"] for o in shown["outbox"] if o["purpose"].startswith("decision")] \
        == ["changes_requested"]


@pytest.mark.parametrize("action", ["assign", "reclassify", "note-free", "edit", "reply"])
def test_every_change_from_an_older_page_is_refused(
        two: tuple[Flask, Path], cli: Cli, action: str) -> None:
    app, config = two
    ben = app.test_client()
    assert sign_in(ben, "ben") == 302
    page = f"/s/{REF}/"
    old = ben.get(page).get_data(as_text=True)
    reply_page = ben.post(f"{page}reply", data={"message": "Thanks!", "send": "no",
                                                "csrf_token": token(ben, page)}
                          ).get_data(as_text=True)
    edit_page = ben.get(f"{page}edit").get_data(as_text=True)
    # Meanwhile Ana takes it.
    assert cli("--config", config, "assign", REF, "ana", "--as", "ana").code == 0
    posts = {"assign": ("assign", {"editor": "ben", **fields(old, "assign")}),
             "reclassify": ("reclassify", {"kind": "sponsored", **fields(old, "reclassify")}),
             "edit": ("edit", {"markdown": "A new text entirely.", **fields(edit_page, "edit")}),
             "reply": ("reply", {"message": "Thanks!", "send": "yes",
                                 **fields(reply_page, "reply")})}
    if action == "note-free":  # a note changes nothing anyone decides on: it goes through
        done = ben.post(f"{page}note", data={"text": "Read it.", **fields(old, "note")},
                        follow_redirects=True).get_data(as_text=True)
        assert "Note added." in done
        return
    path, data = posts[action]
    refused = ben.post(f"{page}{path}", data=data, follow_redirects=True).get_data(
        as_text=True)
    assert "changed while you had the page open" in refused
    assert "Ana Lima assigned it to Ana Lima at" in refused
    shown = _show(cli, config)
    assert shown["assignee"] == "ana" and shown["kind"] == "guest_post"
    assert not [o for o in shown["outbox"] if o["purpose"].startswith("reply")]
    assert not [e for e in shown["history"] if e["event"] == "edited"]


def test_a_form_without_its_version_is_refused(two: tuple[Flask, Path], cli: Cli) -> None:
    app, config = two
    client = app.test_client()
    assert sign_in(client) == 302
    refused = client.post(f"/s/{REF}/assign", data={
        "editor": "ana", "csrf_token": token(client, f"/s/{REF}/")}, follow_redirects=True)
    assert "older page" in refused.get_data(as_text=True)
    assert _show(cli, config)["assignee"] is None


# -- sessions that end --------------------------------------------------------------------


def _copy_of(client: Any, app: Flask) -> Any:
    """Another client holding the same cookie: a cookie copied while signed in."""
    thief = app.test_client()
    cookie = client.get_cookie("intake_desk")
    assert cookie is not None
    thief.set_cookie("intake_desk", cookie.value)
    return thief


def test_sign_out_ends_the_session_on_the_server(two: tuple[Flask, Path]) -> None:
    app, _ = two
    client = app.test_client()
    assert sign_in(client) == 302
    thief = _copy_of(client, app)
    assert thief.get("/").status_code == 200
    assert client.post("/sign-out", data={"csrf_token": token(client, "/")}).status_code == 302
    assert thief.get("/").status_code == 302  # the copied cookie opens nothing now


def test_a_new_password_ends_every_session_of_that_editor(
        two: tuple[Flask, Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    app, config = two
    ana, ben = app.test_client(), app.test_client()
    assert sign_in(ana) == 302 and sign_in(ben, "ben") == 302
    thief = _copy_of(ana, app)
    changed = set_password(cli, config, "ana", "a brand new passphrase", monkeypatch)
    assert changed.code == 0 and "1 session(s) signed out" in changed.out
    assert ana.get("/").status_code == 302 and thief.get("/").status_code == 302
    assert ben.get("/").status_code == 200  # another editor's session is not touched

    # From the desk: the current password is needed; the other sessions end.
    assert sign_in(ana, password="a brand new passphrase") == 302
    other = app.test_client()
    assert sign_in(other, password="a brand new passphrase") == 302
    wrong = ana.post("/me/password", data={"current": "not it at all", "new": "x" * 3,
                                           "again": "x" * 3, **form(ana, "/me", "/me/password")},
                     follow_redirects=True).get_data(as_text=True)
    assert "current password is not right" in wrong
    done = ana.post("/me/password", data={
        "current": "a brand new passphrase", "new": "orchid lantern riverbed",
        "again": "orchid lantern riverbed", **form(ana, "/me", "/me/password")},
        follow_redirects=True).get_data(as_text=True)
    assert "1 other session(s) ended" in done
    assert other.get("/").status_code == 302 and ana.get("/").status_code == 200


def test_idle_and_absolute_limits_end_a_session(two: tuple[Flask, Path]) -> None:
    app, config = two
    client = app.test_client()
    assert sign_in(client) == 302
    with _ledger(config) as db:  # an hour and a minute without a page
        db.execute("UPDATE desk_sessions SET seen_at = '2026-01-01T00:00:00+00:00'")
    ended = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "signed out after a while without activity" in ended
    assert client.get("/").status_code == 302
    assert sign_in(client) == 302
    with _ledger(config) as db:  # active all along, but signed in 13 hours ago
        db.execute("UPDATE desk_sessions SET created_at = '2026-01-01T00:00:00+00:00' "
                   "WHERE ended_at IS NULL")
    assert "reached its time limit" in client.get("/", follow_redirects=True).get_data(
        as_text=True)


def test_an_editor_sees_their_sessions_and_ends_one(two: tuple[Flask, Path]) -> None:
    app, _ = two
    phone, laptop = app.test_client(), app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36"
                                             " (KHTML, like Gecko) Chrome/131.0 Mobile "
                                             "Safari/537.36")
    assert sign_in(phone) == 302 and sign_in(laptop) == 302
    page = laptop.get("/me").get_data(as_text=True)
    assert "Chrome 131 on Android" in page and "127.0.0.1" in page
    rows = re.findall(r'name="session" value="([0-9a-f]+)"', page)
    assert len(rows) == 2
    this = re.search(r'name="session" value="([0-9a-f]+)">\s*<button type="submit">Sign out '
                     r'here', page)
    assert this
    other = next(k for k in rows if k != this.group(1))
    assert laptop.post("/me/sessions/end", data={"session": other,
                                                 "csrf_token": token(laptop, "/me")}
                       ).status_code == 302
    assert phone.get("/").status_code == 302 and laptop.get("/").status_code == 200


def test_a_forged_cookie_names_no_session(two: tuple[Flask, Path]) -> None:
    """The signing key alone (read by someone who should not have it) opens nothing: a
    session is a token the ledger knows, not a name in a cookie."""
    from flask.sessions import SecureCookieSessionInterface

    app, _config = two
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    forged = app.test_client()
    for value in ({"editor": "ben"}, {"sid": "guessed-token", "editor": "ben"}):
        forged.set_cookie("intake_desk", serializer.dumps(value))
        assert forged.get("/").status_code == 302


def test_the_desks_secrets_are_never_the_groups(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import grp
    import os
    import stat

    group = grp.getgrgid(os.getgid()).gr_name
    _app, config = make_desk(make_config, cli, monkeypatch, [],
                            intake={"data_dir": "var", "group": group})
    data = config.parent / "var"
    assert cli("--config", config, "status").code in (0, 1)  # a run shares the folder
    for name in ("desk-secret", "desk-passwords.json"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((data / "intake.sqlite3").stat().st_mode) == 0o640
    # Left readable by an earlier version: the next run (any command) mends it.
    (data / "desk-secret").chmod(0o640)
    assert cli("--config", config, "status").code in (0, 1)
    assert stat.S_IMODE((data / "desk-secret").stat().st_mode) == 0o600
    # One it cannot mend (another account's file): doctor says what to do.
    (data / "desk-passwords.json").chmod(0o644)
    os.chown(data / "desk-passwords.json", 65534, -1)
    doctor = cli("--config", config, "doctor")
    assert "the desk's secrets can be read by others" in doctor.out + doctor.err
    assert "desk-passwords.json (mode 0644)" in doctor.out + doctor.err


def test_a_desk_that_cannot_write_the_ledger_refuses_to_start(
        two: tuple[Flask, Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    _, config = two
    ledger = config.parent / "var" / "intake.sqlite3"
    real = os.access
    # As an editor's account in the group would find it (tests run as root, whom no
    # permission stops): the ledger not writable.
    monkeypatch.setattr(os, "access", lambda p, m, *a, **k: False if Path(p) == ledger
                        and m == os.W_OK else real(p, m, *a, **k))
    refused = cli("--config", config, "serve", "--port", "1")
    assert refused.code == 2
    assert refused.err.count("\n") == 1 and "cannot write" in refused.err
    assert "runuser -u intake -- intake serve" in refused.err


# -- accounts -------------------------------------------------------------------------------


def test_weak_passwords_are_refused(two: tuple[Flask, Path], cli: Cli,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _, config = two
    for weak, why in (("short pass", "at least 12"), ("password1234", "most common"),
                      ("qwertyuiop123", "most common"), ("aaaaaaaaaaaaaa", "most common"),
                      ("benokafor2026!", "your own name")):
        refused = set_password(cli, config, "ben", weak, monkeypatch)
        assert refused.code == 2 and why in refused.err, (weak, refused.err)


def _sent(config: Path) -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace")
            for p in sorted((config.parent / "sent").glob("*.eml"))]


def test_an_admin_invites_an_editor_who_sets_a_password_from_the_link(
        two: tuple[Flask, Path], cli: Cli) -> None:
    app, config = two
    ana, ben = app.test_client(), app.test_client()
    assert sign_in(ana) == 302 and sign_in(ben, "ben") == 302
    assert ben.get("/editors").status_code == 403  # not an admin
    invited = ana.post("/editors", data={"action": "invite", "id": "cleo",
                                         "name": "Cleo Mbeki", "email": "cleo@j.example.org",
                                         "csrf_token": token(ana, "/editors")},
                       follow_redirects=True).get_data(as_text=True)
    assert "Invitation emailed to Cleo Mbeki" in invited
    (mail,) = [m for m in _sent(config) if "cleo@j.example.org" in m]
    link = re.search(r"http://localhost/welcome/[A-Za-z0-9_-]+", mail)
    assert link
    path = link.group(0).removeprefix("http://localhost")
    visitor = app.test_client()
    for _ in range(2):  # a mail scanner opens it first: nothing changes
        assert visitor.get(path).status_code == 200
    weak = visitor.post(path, data={"new": "password1234", "again": "password1234",
                                    "csrf_token": token(visitor, path)})
    assert weak.status_code == 400 and "most common" in weak.get_data(as_text=True)
    good = "quiet meadow copper kettle"
    assert visitor.post(path, data={"new": good, "again": good,
                                    "csrf_token": token(visitor, path)}).status_code == 302
    assert visitor.get(path).status_code == 404  # once only
    assert sign_in(visitor, "cleo", good) == 302
    assert "Cleo Mbeki" in visitor.get("/").get_data(as_text=True)
    # The command line knows her too.
    assert cli("--config", config, "assign", REF, "cleo", "--as", "cleo").code == 0


def test_a_reset_link_expires_and_ends_sessions(two: tuple[Flask, Path]) -> None:
    app, config = two
    ana, ben = app.test_client(), app.test_client()
    assert sign_in(ana) == 302 and sign_in(ben, "ben") == 302
    ana.post("/editors", data={"action": "reset", "editor": "ben",
                               "csrf_token": token(ana, "/editors")})
    mail = next(m for m in _sent(config) if "ben@j.example.org" in m)
    link = re.search(r"/welcome/[A-Za-z0-9_-]+", mail)
    assert link
    with _ledger(config) as db:  # as if two days had passed
        db.execute("UPDATE desk_links SET expires_at = '2026-01-01T00:00:00+00:00'")
    assert app.test_client().get(link.group(0)).status_code == 404
    ana.post("/editors", data={"action": "reset", "editor": "ben",
                               "csrf_token": token(ana, "/editors")})
    mails = [m for m in _sent(config) if "ben@j.example.org" in m]
    found = re.search(r"/welcome/[A-Za-z0-9_-]+", mails[-1])  # its text part, unfolded
    assert found and found.group(0) != link.group(0)
    fresh = found.group(0)
    visitor = app.test_client()
    new = "amber falcon pocket lighthouse"
    assert visitor.post(fresh, data={"new": new, "again": new,
                                     "csrf_token": token(visitor, fresh)}).status_code == 302
    assert ben.get("/").status_code == 302  # signed out everywhere
    assert sign_in(app.test_client(), "ben", new) == 302


def test_a_second_factor_when_the_settings_ask_for_it(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import pyotp

    app, _ = make_desk(make_config, cli, monkeypatch, [],
                       **{"editors.ben": {"name": "Ben Okafor", "email": "ben@j.example.org",
                                          "require_totp": True}})
    client = app.test_client()
    response = client.post("/sign-in", data={"editor": "ben", "password": PASSWORD,
                                             "csrf_token": token(client)})
    assert response.location.endswith("/me/two-factor")
    assert client.get("/").location.endswith("/me/two-factor")  # nothing else yet
    page = client.get("/me/two-factor").get_data(as_text=True)
    assert "<svg" in page and "<script" not in page and "http" not in page.split("<svg")[1][:50]
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert secret
    totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
    assert client.post("/me/two-factor", data={"code": "000000", **fields(
        page, "/me/two-factor")}, follow_redirects=True).status_code == 200
    assert client.get("/").status_code == 302
    enrolled_at = time.time()
    first = totp.at(enrolled_at)
    assert client.post("/me/two-factor", data={"code": first, **fields(
        page, "/me/two-factor")}).status_code == 302
    assert client.get("/").status_code == 200

    # Next time: the password, then a code; a code is good once.
    later = app.test_client()
    response = later.post("/sign-in", data={"editor": "ben@j.example.org",
                                            "password": PASSWORD,
                                            "csrf_token": token(later)})
    assert response.location.endswith("/sign-in/code")
    assert later.get("/").location.endswith("/sign-in/code")
    used = later.post("/sign-in/code", data={"code": first,
                                             "csrf_token": token(later, "/sign-in/code")})
    assert used.status_code == 401 and "used already" in used.get_data(as_text=True)
    code = totp.at(enrolled_at + 30)  # the next code, within the drift allowed
    assert later.post("/sign-in/code", data={"code": code, "csrf_token": token(
        later, "/sign-in/code")}).status_code == 302
    assert later.get("/").status_code == 200


# -- files ------------------------------------------------------------------------------------


def test_the_desks_bundle_is_byte_for_byte_the_command_lines_export(
        two: tuple[Flask, Path], cli: Cli, tmp_path: Path) -> None:
    app, config = two
    client = app.test_client()
    assert sign_in(client) == 302
    response = client.post(f"/s/{REF}/export", data={"format": "all", "csrf_token": token(
        client, f"/s/{REF}/")})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert cli("--config", config, "export", REF, "--to", tmp_path, "--format", "all",
               "--as", "ana").code == 0
    on_disk = {p.relative_to(tmp_path).as_posix(): p.read_bytes()
               for p in (tmp_path / REF).rglob("*") if p.is_file()}
    with zipfile.ZipFile(io.BytesIO(response.data)) as bundle:
        in_zip = {i.filename: bundle.read(i) for i in bundle.infolist() if not i.is_dir()}
    assert any(n.startswith(f"{REF}/assets/") and n.endswith(".png") for n in in_zip)
    assert set(in_zip) == set(on_disk)
    for name, data in on_disk.items():
        assert in_zip[name] == data, name


@pytest.mark.parametrize("name", ["image-001.png%00.txt", "image-001.png%00", "%00",
                                  "..%2F..%2Fintake.sqlite3", "..%5C..%5Cintake.sqlite3",
                                  "%2Fetc%2Fpasswd", "sub%2F..%2F..%2Fdraft.md"])
def test_a_name_with_a_nul_or_that_leaves_the_folder_is_a_404_in_the_desks_style(
        two: tuple[Flask, Path], name: str) -> None:
    app, _ = two
    client = app.test_client()
    assert sign_in(client) == 302
    for folder in ("assets", "original"):
        response = client.get(f"/s/{REF}/{folder}/{name}")
        assert response.status_code == 404, (folder, name, response.status_code)
        page = response.get_data(as_text=True)
        assert '<link rel="stylesheet" href="/static/desk.css">' in page and "Not found" in page


def test_an_unexpected_failure_is_a_500_in_the_desks_style(two: tuple[Flask, Path]) -> None:
    app, config = two
    client = app.test_client()
    assert sign_in(client) == 302
    draft = config.parent / "var" / "drafts" / REF / "draft.md"
    draft.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    response = client.get(f"/s/{REF}/")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "desk.css" in page and "Something went wrong" in page and "Traceback" not in page


def _with_remote_template(data: bytes, url: str) -> bytes:
    """A .docx whose settings name a template on another server (the macro trick)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/attachedTemplate" Target="{url}" TargetMode="External"/>'
            '</Relationships>')
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            blob = source.read(info)
            if info.filename == "word/settings.xml":
                blob = blob.replace(b"<w:defaultTabStop", b'<w:attachedTemplate r:id="rId1"/>'
                                    b"<w:defaultTabStop", 1)
            target.writestr(info, blob)
        target.writestr("word/_rels/settings.xml.rels", rels)
    return out.getvalue()


def test_a_remote_template_is_warned_of_and_the_original_served_only_cleaned(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://203.0.113.9/templates/normal.dotm"
    risky = _with_remote_template(article_docx("Night shifts"), url)
    message = make_email("Sam <sam@uni.example.org>", "Guest post: Night shifts", "Attached.",
                         attachments=(("night.docx", DOCX, risky),), message_id="<r@uni>")
    app, config = make_desk(make_config, cli, monkeypatch, [message])
    shown = cli("--config", config, "show", REF)
    assert "names a template on another server" in shown.out and url in shown.out
    client = app.test_client()
    assert sign_in(client) == 302
    page = client.get(f"/s/{REF}/").get_data(as_text=True)
    assert "fetches from elsewhere when opened" in page
    warning = client.get(f"/s/{REF}/original/night.docx")
    assert warning.status_code == 200 and warning.mimetype == "text/html"
    assert "Careful" in warning.get_data(as_text=True)
    cleaned = client.get(f"/s/{REF}/original/night.docx?cleaned=yes")
    assert cleaned.headers["Content-Disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(cleaned.data)) as copy:
        assert b"attachedTemplate" not in copy.read("word/_rels/settings.xml.rels")
        assert b"attachedTemplate" not in copy.read("word/settings.xml")
        assert url.encode() not in b"".join(copy.read(n) for n in copy.namelist())
        assert copy.read("word/document.xml") == zipfile.ZipFile(io.BytesIO(risky)).read(
            "word/document.xml")
    # The file as kept is untouched: the raw message and original are evidence.
    kept = config.parent / "var" / "drafts" / REF / "original" / "night.docx"
    assert kept.read_bytes() == risky


def test_the_settings_example_documents_the_new_keys() -> None:
    text = (Path(__file__).parents[1] / "settings.toml").read_text(encoding="utf-8")
    for key in ("idle_minutes", "admin", "require_totp"):
        assert key in text
    settings = load_settings(Path(__file__).parents[1] / "settings.toml")
    assert settings.web.idle_minutes == 60
