"""A whole contest in Chromium, with the real cron run (Dovecot in, aiosmtpd out) and
`intake serve`: entries before, during and after the dates; the editor confirms the
judges' copies and invites the judges; a mail scanner opens every link first; three
judges score in browser contexts of their own; reminders, results and every email once."""

from __future__ import annotations

import email
import io
import re
import sqlite3
import urllib.request
from collections.abc import Callable
from email import policy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, free_port
from tests.contesthelp import contest_settings, entry, when
from tests.test_desk_browser import CHROMIUM, PASSWORD, _browser, _serving, _signed_in

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")

ESSAY = ["As a medical student I learned that night shifts teach patience. " * 8]
OTHERS = f"""
[contests.past]
name = "Spring Essay Prize"
opens = {when(-30)}
closes = {when(-2)}
judging_closes = {when(5)}
subject = ["spring essay prize"]

[contests.future]
name = "Autumn Essay Prize"
opens = {when(10)}
closes = {when(40)}
judging_closes = {when(60)}
subject = ["autumn essay prize"]
"""


def test_a_whole_contest_in_the_browser_with_the_cron_run(
        imap: Any, smtp_factory: Callable[..., Any], make_config: Callable[..., Path],
        cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import sync_playwright

    smtp = smtp_factory("plain")
    port = free_port()
    config = make_config(smtp=smtp.settings(), imap=imap.settings(),
                         web={"public_url": f"http://127.0.0.1:{port}"},
                         **{"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org"}})
    # Judging closes in two days: the cron run reminds judges with entries left.
    config.write_text(config.read_text() + contest_settings(judging=2, closes=1, opens=-10,
                                                            extra=OTHERS))

    def poll() -> None:
        done = cli("--config", config, "poll")
        assert done.code == 0, done.err

    def sent() -> list[Any]:
        return [email.message_from_bytes(m.data, policy=policy.default)
                for m in smtp.handler.messages]

    for n, (who, subject) in enumerate((
            ("Priya Raman <priya@med.example.edu>", "Writing contest: Night shifts"),
            ("Sam Lee <sam@uni.example.org>", "Writing contest: The first death"),
            ("Ana Ruiz <ana.ruiz@uni.example.org>", "Spring essay prize entry"),
            ("Bo Chen <bo@uni.example.org>", "Autumn essay prize entry"))):
        imap.append(entry(who, subject, [f"{subject}. " + ESSAY[0]], f"<b{n}@x>"))
    poll()
    subjects = sorted(str(m["Subject"]) for m in sent())
    assert sum("entry received" in s for s in subjects) == 2
    assert any("Spring Essay Prize: entries closed" in s for s in subjects)
    assert any("Autumn Essay Prize: not open yet" in s for s in subjects)

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli("--config", config, "passwd", "ana").code == 0
    with _serving(config, port) as url, sync_playwright() as playwright:
        browser = _browser(playwright)
        editor = _signed_in(browser, url)
        editor.click("nav >> text=Contests")
        editor.click("text=JPMS Medical Writing Contest 2026")
        for ref in ("JPMS-2026-0001", "JPMS-2026-0002"):
            editor.goto(f"{url}/s/{ref}/judges-copy")
            assert "Priya" not in editor.inner_text("article.draft")
            editor.click("button:has-text('confirm and give it to the judges')")
            assert "is confirmed" in editor.inner_text("main")
        editor.goto(url + "/contests/essay")
        editor.click("button:has-text('Email a link to each judge')")
        assert "3 judge(s) invited" in editor.inner_text("main")
        poll()  # the invitations go out, and, judging closing soon, one reminder each
        invites = [m for m in sent() if "your entries to judge" in str(m["Subject"])]
        reminders = [m for m in sent() if "judging closes on" in str(m["Subject"])]
        assert len(invites) == 3 and len(reminders) == 3
        links = {}
        for message in invites:
            body = message.get_body(("plain",)).get_content()
            found = re.search(re.escape(url) + r"(/j/[\w-]+)", body)
            assert found
            links[str(message["To"]).split("<")[-1].rstrip(">")] = found.group(1)

        # A mail scanner follows every link before its judge: nothing changes.
        ledger = config.parent / "var" / "intake.sqlite3"
        before = sqlite3.connect(ledger).execute("SELECT count(*) FROM events").fetchone()
        for link in links.values():
            with urllib.request.urlopen(url + link, timeout=10) as answer:
                assert answer.status == 200
        assert sqlite3.connect(ledger).execute(
            "SELECT count(*) FROM events").fetchone() == before

        # Each judge, in a browser of their own, reads and scores their entries.
        for judge, link in links.items():
            page = browser.new_context().new_page()
            page.goto(url + link)
            refs = [a.inner_text() for a in page.locator("table.queue a").all()]
            assert refs, judge
            for ref in refs:
                page.click(f"a:has-text('{ref}')")
                assert "Priya" not in page.inner_text("#entry")
                good = ref == "JPMS-2026-0001"
                page.fill("#score_originality", "9" if good else "5")
                page.fill("#score_clarity", "8" if good else "5")
                page.fill("#comment", "Read with care.")
                page.click("button:has-text('Save scores')")
                assert "Your scores are saved" in page.inner_text("main")
                page.goto(url + link)
            assert page.locator("text=to score").count() == 0
            page.context.close()

        editor.goto(url + "/contests/essay")
        rows = editor.locator("table.queue tbody tr")
        assert "JPMS-2026-0001" in rows.nth(0).inner_text()
        rows.nth(0).locator("button:has-text('Winner')").click()
        editor.click("button:has-text('Send every entrant their result')")
        assert "2 result email(s) queued" in editor.inner_text("main")
        editor.click("button:has-text('Send every entrant their result')")
        assert "0 result email(s) queued" in editor.inner_text("main")
        browser.close()
    poll()
    poll()  # nothing twice: no second reminder, no second result
    results = [m for m in sent() if "the results" in str(m["Subject"])]
    assert len(results) == 2
    assert len([m for m in sent() if "judging closes on" in str(m["Subject"])]) == 3
    winner = next(m for m in results if "priya@" in str(m["To"]))
    assert "your entry is a winner" in winner.get_body(("plain",)).get_content()


def test_the_contest_pages_fit_a_phone(make_config: Callable[..., Path],
                                      cli: Callable[..., CliResult],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """At 390 px, the contests, a contest's ranking, a judges' copy and a judge's pages
    do not scroll sideways."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import eml_folder

    port = free_port()
    config = make_config(web={"public_url": f"http://127.0.0.1:{port}"},
                         **{"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org"}})
    config.write_text(config.read_text() + contest_settings())
    long_title = "Writing contest: " + "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
    mail = [entry("Priya Raman <priya@med.example.edu>", long_title, ESSAY, "<p1@x>"),
            entry("Sam Lee <sam@uni.example.org>", "Writing contest: nights", ESSAY, "<p2@x>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    for ref in ("JPMS-2026-0001", "JPMS-2026-0002"):
        assert cli("--config", config, "contest", "confirm", ref, "--as", "ana").code == 0
    assert cli("--config", config, "contest", "invite", "essay", "--as", "ana").code == 0
    assert cli("--config", config, "send").code == 0
    sent = sorted((config.parent / "sent").glob("*.eml"))
    link = re.search(rb"(/j/[\w-]{20,})", b"".join(p.read_bytes() for p in sent))
    assert link
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli("--config", config, "passwd", "ana").code == 0
    with _serving(config, port) as url, sync_playwright() as playwright:
        browser = _browser(playwright)
        page = _signed_in(browser, url, viewport={"width": 390, "height": 844})
        judge = link.group(1).decode()
        for path in ("/contests", "/contests/essay", "/s/JPMS-2026-0001/judges-copy",
                     "/s/JPMS-2026-0001/", judge, f"{judge}/JPMS-2026-0001",
                     f"{judge}/JPMS-2026-0002"):
            answer = page.goto(url + path)
            assert answer is not None and answer.status in (200, 404), path
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, (path, wide)
        browser.close()
