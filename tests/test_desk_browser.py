"""The desk in a real browser: Playwright driving Debian's Chromium against `intake serve`
on 127.0.0.1 (the real server, waitress), over data the real pipeline made."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from intake.demo.samples import DOCX, article_docx
from intake.demo.samples import email as make_email
from tests.conftest import CliResult, eml_folder, free_port

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"
HOSTILE = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")


@pytest.fixture
def served(make_config: Callable[..., Path], cli: Callable[..., CliResult],
           monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import io

    config = make_config(**{"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org"}})
    folder = eml_folder(config.parent, [
        make_email("Sam <sam@uni.example.org>", "Guest post: Night shifts", "Attached.",
                   attachments=(("night.docx", DOCX, article_docx("Night shifts")),)),
        make_email("Eve <eve@uni.example.org>", f"Guest post {HOSTILE}",
                   f"My article. {HOSTILE} " * 60),
    ])
    assert cli("--config", config, "ingest", folder).code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli("--config", config, "passwd", "ana").code == 0
    with _serving(config) as url:
        yield url


@contextmanager
def _serving(config: Path, port: int | None = None) -> Iterator[str]:
    """`intake serve` on a free port of 127.0.0.1 (or this one), until the block ends."""
    port = port or free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "intake", "--config", str(config), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/sign-in", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def _browser(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", "--disable-sync"])


def test_an_editor_signs_in_reads_a_draft_with_its_image_and_no_script_runs(
        served: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    # INTAKE_SCREENSHOTS=docs/screenshots keeps the pictures docs/editors.md shows.
    shots = Path(os.environ.get("INTAKE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(served + "/")
        assert "/sign-in?next=/" in page.url  # signed out: the sign-in page only
        page.fill("#editor", "ana")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        assert page.url == served + "/"
        assert page.locator("table.queue tbody tr").count() == 2

        page.screenshot(path=str(shots / "queue.png"), full_page=True)
        page.click("tr:has-text('Night shifts') a")
        page.wait_for_url("**/s/*/")
        assert page.locator("article.draft h1, article.draft h2").count() >= 1
        widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
        assert widths and all(w > 0 for w in widths)  # the draft's image really loaded
        page.screenshot(path=str(shots / "submission.png"))

        # Request changes: the email is shown with the editor's words before it is sent.
        page.click("text=Take into review")
        page.wait_for_url("**/s/*/")
        page.click("a.button:has-text('Request changes')")
        page.fill("#message", "Please add two references for the figures.")
        page.click("button:has-text('Preview')")
        assert "Please add two references" in page.inner_text("pre.email")
        page.screenshot(path=str(shots / "decision.png"), full_page=True)
        page.click("button:has-text('Send')")
        page.wait_for_url("**/s/*/")
        assert "changes requested" in page.inner_text("dl.facts")
        assert "email is queued" in page.inner_text(".notice")

        page.goto(served + "/")
        page.fill("#q", "pwned")
        page.click("button:has-text('Show')")
        page.wait_for_url("**q=pwned**")
        page.click("table.queue tbody a")
        page.wait_for_url("**/s/*/")
        assert page.evaluate("window.pwned === undefined")  # nothing of the stranger's ran
        assert "<script>window.pwned" in page.inner_text("h1")  # shown as text
        page.screenshot(path=str(tmp_path / "submission.png"))

        page.click("text=Sign out")
        page.wait_for_url("**/sign-in")
        page.goto(served + "/")
        assert "/sign-in" in page.url
        browser.close()


def test_a_submissions_whole_life_in_the_browser_with_real_mail(
        imap: Any, smtp_factory: Callable[..., Any], make_config: Callable[..., Path],
        cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    """The cron run (Dovecot in, aiosmtpd out) and the desk on one data folder: read the
    draft, reply, request changes, see the author's revision arrive, compare, accept,
    export; every email goes out once."""
    import email
    import io
    from email import policy

    from playwright.sync_api import sync_playwright

    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), imap=imap.settings(),
                         **{"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org"}})

    def poll() -> None:
        result = cli("--config", config, "poll")
        assert result.code == 0, result.err

    def sent() -> list[Any]:
        return [email.message_from_bytes(m.data, policy=policy.default)
                for m in smtp.handler.messages]

    imap.append(make_email("Sam <sam@uni.example.org>", "Guest post: Night shifts",
                           "Please find my article attached.", message_id="<life1@uni>",
                           attachments=(("night.docx", DOCX, article_docx("Night shifts")),)))
    poll()
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli("--config", config, "passwd", "ana").code == 0
    with _serving(config) as url, sync_playwright() as playwright:
        browser = _browser(playwright)
        page = _signed_in(browser, url)
        page.goto(url + "/")
        page.fill("#q", "night")
        page.click("button:has-text('Show')")
        page.click("tr:has-text('Night shifts') a")
        page.wait_for_url("**/s/*/")
        submission = page.url
        assert page.evaluate("Array.from(document.images).every(i => i.naturalWidth > 0)")

        page.click("a.button:has-text('Reply to the author')")
        page.fill("#message", "Could you add a photo credit?")
        page.click("button:has-text('Send')")
        page.wait_for_url(submission)
        page.click("text=Take into review")
        page.click("a.button:has-text('Request changes')")
        page.fill("#message", "Please add two references.")
        page.click("button:has-text('Preview')")
        page.click("button:has-text('Send')")
        page.wait_for_url(submission)
        poll()  # the reply and the request go out
        subjects = [str(m["Subject"]) for m in sent()]
        assert len(subjects) == 3 and "Changes requested" in subjects[2]

        request = sent()[2]
        imap.append(make_email(
            "Sam <sam@uni.example.org>", f"Re: {request['Subject']}", "Here it is.",
            message_id="<life2@uni>",
            headers={"In-Reply-To": str(request["Message-ID"])},
            attachments=(("night-v2.docx", DOCX, article_docx("Night shifts", 8)),)))
        poll()  # the revision arrives, and its acknowledgement goes out
        page.goto(submission)
        assert "revision 2" in page.inner_text("#draft")
        page.click("text=Compare revisions")
        # Side by side on a wide screen: the earlier revision left, the later right.
        page.set_viewport_size({"width": 1280, "height": 900})
        added = page.locator(".diff .row.added .after ins.block").first
        assert added.is_visible() and added.locator("p").count() >= 1  # rendered
        assert page.locator(".diff .row.heads .before").is_visible()
        # Inline on a phone: one column, nothing sideways.
        page.set_viewport_size({"width": 390, "height": 844})
        assert not page.locator(".diff .row.heads .before").is_visible()
        assert added.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1280, "height": 900})

        page.goto(submission)
        # The author writes French, says an editor: the decision goes out in French.
        page.select_option("#language", "fr")
        page.click("button:has-text('Set language')")
        page.wait_for_url(submission)
        assert "Français" in page.inner_text("dl.facts")
        page.click("text=Take into review")
        page.click("a.button:has-text('Accept')")
        page.fill("#message", "Lovely work.")
        page.click("button:has-text('Send')")
        page.wait_for_url(submission)
        assert "accepted" in page.inner_text("dl.facts")
        with page.expect_download() as download:
            page.click("button:has-text('Download the bundle')")
        assert download.value.suggested_filename.endswith(".zip")
        browser.close()
    poll()
    subjects = [str(m["Subject"]) for m in sent()]
    assert len(subjects) == 5 and "Accepté : Night shifts" in subjects[-1]
    assert len(set(subjects)) == 5  # each email once


# -- trust (issue 28): two editors at once, the privacy gate, the bundle, sign-out ------------


def _signed_in(browser: Any, url: str, editor: str = "ana", **context: Any) -> Any:
    """A page in a browser context of its own (its own cookies; context: its viewport),
    signed in as editor."""
    page = browser.new_context(**context).new_page()
    page.goto(url + "/sign-in")
    page.fill("#editor", editor)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/attention")  # what needs them, first
    return page


@pytest.fixture
def two_editors(make_config: Callable[..., Path], cli: Callable[..., CliResult],
                monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    from tests.deskhelp import EDITORS, case_report_email, set_password

    config = make_config(**EDITORS)
    folder = eml_folder(config.parent, [
        make_email("Sam <sam@uni.example.org>", "Guest post: Night shifts", "Attached.",
                   attachments=(("night.docx", DOCX, article_docx("Night shifts")),),
                   message_id="<n@uni>"),
        case_report_email()])
    assert cli("--config", config, "ingest", folder).code == 0
    for editor in ("ana", "ben"):
        assert set_password(cli, config, editor, PASSWORD, monkeypatch).code == 0
    with _serving(config) as url:
        yield url, config


def _decisions(cli: Callable[..., CliResult], config: Path, ref: str) -> list[str]:
    import json

    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    return [o["template"] for o in shown["outbox"] if o["purpose"].startswith("decision")]


def test_two_editors_in_two_browsers_decide_once(
        two_editors: tuple[str, Path], cli: Callable[..., CliResult]) -> None:
    """Ben opens Reject; Ana requests changes; Ben presses Send: refused, told who and
    when; the author gets one email."""
    from playwright.sync_api import sync_playwright

    url, config = two_editors
    ref = "JPMS-2026-0001"
    assert cli("--config", config, "review", ref, "--as", "ana").code == 0
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        ben, ana = _signed_in(browser, url, "ben"), _signed_in(browser, url, "ana")
        ben.goto(f"{url}/s/{ref}/")
        ben.click("a.button:has-text('Reject')")
        ben.fill("#message", "Not for us, sorry.")
        ana.goto(f"{url}/s/{ref}/")
        ana.click("a.button:has-text('Request changes')")
        ana.fill("#message", "Please add two references.")
        ana.click("button:has-text('Send')")
        ana.wait_for_url(f"{url}/s/{ref}/")
        ben.click("button:has-text('Send')")
        ben.wait_for_url(f"{url}/s/{ref}/")
        said = ben.inner_text("p.error")
        assert "changed while you had the page open" in said
        assert "Ana Lima decided: changes requested" in said
        assert "changes requested" in ben.inner_text("dl.facts")
        browser.close()
    assert _decisions(cli, config, ref) == ["changes_requested"]


def test_the_privacy_gate_in_the_browser(
        two_editors: tuple[str, Path], cli: Callable[..., CliResult]) -> None:
    """A case report cannot be accepted while its flags are open; an editor keeps one
    with a reason and edits the rest away; then it can."""
    from playwright.sync_api import sync_playwright

    url, config = two_editors
    ref = "JPMS-2026-0002"
    assert cli("--config", config, "review", ref, "--as", "ana").code == 0
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        page = _signed_in(browser, url, "ana")
        page.goto(f"{url}/s/{ref}/")
        assert page.locator("a.button:has-text('Accept')").count() == 0
        assert page.locator("button:has-text('Download the bundle')").is_disabled()
        assert "wait until the" in page.inner_text("#privacy-hold")
        assert page.locator("article.draft mark").count() >= 5
        assert page.evaluate("document.querySelector('article.draft mark img') !== null")

        # Keep the first one, for a reason; the rest are edited away.
        first = page.locator("ol.privacy li form.keep").first
        first.locator("input[name=reason]").fill("the patient consented in writing")
        first.locator("button").click()
        page.wait_for_url(f"{url}/s/{ref}/")
        assert "Kept by Ana Lima" in page.inner_text("ol.privacy")
        page.click("a.button:has-text('Edit the draft')")
        text = page.input_value("#markdown")
        for old, new in (("Mrs Jane Doe's forearm on admission", "A forearm"),
                         ("the rash of Mrs Jane Doe", "the rash"),
                         ("Mrs Jane Doe, a 67-year-old", "A 67-year-old"),
                         ("14/02/1958", "[date removed]"), ("MRN 4839201", "record"),
                         ("+44 7700 900123", "[phone]"), ("(415) 555-0123", "[phone]"),
                         ("jane.doe@home.example.org", "[address]")):
            text = text.replace(old, new)
        page.fill("#markdown", text)
        page.click("button:has-text('Save as a new version')")
        page.wait_for_url(f"{url}/s/{ref}/")
        assert "Draft saved as edit 1" in page.inner_text(".notice")
        assert page.locator("#privacy-hold").count() == 0
        page.click("a.button:has-text('Accept')")
        page.click("button:has-text('Send')")
        page.wait_for_url(f"{url}/s/{ref}/")
        assert "accepted" in page.inner_text("dl.facts")
        browser.close()
    assert _decisions(cli, config, ref) == ["accepted"]


def test_the_bundle_from_the_browser_holds_the_images(
        two_editors: tuple[str, Path], tmp_path: Path) -> None:
    import zipfile

    from playwright.sync_api import sync_playwright

    url, _ = two_editors
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        page = _signed_in(browser, url, "ana")
        page.goto(f"{url}/s/JPMS-2026-0001/")
        page.select_option("#format", "all")
        with page.expect_download() as download:
            page.click("button:has-text('Download the bundle')")
        saved = tmp_path / "bundle.zip"
        download.value.save_as(saved)
        browser.close()
    with zipfile.ZipFile(saved) as bundle:
        images = [i for i in bundle.infolist() if i.filename.startswith(
            "JPMS-2026-0001/assets/") and not i.is_dir()]
        assert images and all(i.file_size > 0 for i in images)
        assert bundle.read(images[0].filename).startswith(b"\x89PNG")


def test_a_copied_cookie_is_worthless_after_sign_out(two_editors: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, _ = two_editors
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        page = _signed_in(browser, url, "ana")
        cookies = page.context.cookies()
        thief = browser.new_context()
        thief.add_cookies(cookies)
        stolen = thief.new_page()
        stolen.goto(url + "/")
        assert stolen.url == url + "/"  # works while Ana is signed in
        page.click("button:has-text('Sign out')")
        page.wait_for_url("**/sign-in")
        stolen.goto(url + "/")
        assert "/sign-in" in stolen.url
        browser.close()


def test_no_page_scrolls_sideways_on_a_phone(two_editors: tuple[str, Path],
                                             cli: Callable[..., CliResult],
                                             tmp_path: Path) -> None:
    """At 390 px (a phone), the queue, what needs attention, a submission (with its
    privacy flags and long words), a decision and the editor's page all fit."""
    from playwright.sync_api import sync_playwright

    url, config = two_editors
    assert cli("--config", config, "review", "JPMS-2026-0001", "--as", "ana").code == 0
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        page = _signed_in(browser, url, viewport={"width": 390, "height": 844},
                          device_scale_factor=1)
        for path in ("/", "/?status=all", "/attention", "/s/JPMS-2026-0001/",
                     "/s/JPMS-2026-0002/", "/s/JPMS-2026-0001/decide/reject", "/me",
                     "/editors"):
            page.goto(url + path)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, (path, wide)
        page.goto(url + "/")
        page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        assert page.locator("table.queue td[data-label='Status']").first.is_visible()
        browser.close()


# -- issue 36: an application's own road, in the browser ---------------------------------


def test_an_applicant_is_taken_from_received_to_joined_and_signs_in_as_an_editor(
        make_config: Callable[..., Path], cli: Callable[..., CliResult],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk served as in production and Chromium: the stages moved, the interview
    emailed, the cover letter and CV read side by side, the applicant invited; then the
    applicant, from the link in their email, sets a password and signs in."""
    import email
    import re
    from email import policy

    from playwright.sync_api import sync_playwright

    from intake.demo.samples import cv_docx, text_docx
    from tests.deskhelp import EDITORS, set_password

    config = make_config(**EDITORS)
    application = make_email(
        "Priya Raman <priya.raman@uni.example.edu>", "Application to join as an editor",
        "Dear editors, my CV and cover letter are attached.", message_id="<apply@uni>",
        attachments=(("Priya Raman CV.docx", DOCX, cv_docx("Priya Raman")),
                     ("Cover letter.docx", DOCX, text_docx(None, [
                         "I would like to join the team as an editor."]))))
    assert cli("--config", config, "ingest", eml_folder(config.parent, [application])).code == 0
    assert set_password(cli, config, "ana", PASSWORD, monkeypatch).code == 0

    def sent() -> list[Any]:
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted((config.parent / "sent").glob("*.eml"))]

    with _serving(config) as url, sync_playwright() as playwright:
        browser = _browser(playwright)
        page = _signed_in(browser, url)
        submission = url + "/s/JPMS-2026-0001/"
        page.goto(submission)
        page.click("a:has-text('Cover letter and CV')")
        assert "I would like to join the team" in page.inner_text("main")
        page.goto(submission)
        page.select_option("#stage", "interview")
        page.fill("#stage-when", "2026-12-10T14:00")
        page.check("input[name=email]")
        page.click("button:has-text('Move')")
        page.wait_for_url(submission)
        assert "interview" in page.inner_text("dl.facts")
        page.select_option("#stage", "offered")
        page.click("button:has-text('Move')")
        page.wait_for_url(submission)
        page.fill("#join-id", "priya")
        page.click("button:has-text('Invite to the desk as an editor')")
        page.wait_for_url(submission)
        assert "joined" in page.inner_text("dl.facts")
        assert cli("--config", config, "send").code == 0
        interview = next(m for m in sent() if "An interview" in str(m["Subject"]))
        assert "10 December 2026, 14:00 (UTC)" in str(interview["Subject"])
        invitation = next(m for m in sent() if "/welcome/" in m.as_string())
        link = re.search(r"/welcome/[A-Za-z0-9_-]+", invitation.as_string())
        assert link

        newcomer = browser.new_context().new_page()
        newcomer.goto(url + link.group(0))
        chosen = "saffron lantern quiet harbour"
        newcomer.fill("#new", chosen)
        newcomer.fill("#again", chosen)
        newcomer.click("button[type=submit]")
        newcomer.wait_for_url("**/sign-in")
        newcomer.fill("#editor", "priya")
        newcomer.fill("#password", chosen)
        newcomer.click("button[type=submit]")
        newcomer.wait_for_url(url + "/attention")
        assert "Priya Raman" in newcomer.inner_text("header")
        browser.close()
