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
def _serving(config: Path) -> Iterator[str]:
    """`intake serve` on a free port of 127.0.0.1, until the block ends."""
    port = free_port()
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
        assert page.url.endswith("/sign-in")  # signed out: the sign-in page only
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
        assert page.url.endswith("/sign-in")
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
        page = browser.new_page()
        page.goto(url + "/sign-in")
        page.fill("#editor", "ana")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
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
        assert page.locator(".diff ins").count() >= 1

        page.goto(submission)
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
    assert len(subjects) == 5 and "Accepted" in subjects[-1]
    assert len(set(subjects)) == 5  # each email once
