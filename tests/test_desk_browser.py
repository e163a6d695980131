"""The desk in a real browser: Playwright driving Debian's Chromium against `intake serve`
on 127.0.0.1 (the real server, waitress), over data the real pipeline made."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
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
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "intake", "--config", str(config), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ.copy())
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

    # INTAKE_SCREENSHOTS=docs/screenshots keeps the pictures the README shows.
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
