"""Writing contests (issue 33): entries recognised and answered by their dates and rules,
a judges' copy without the author, judges who score through a personal link, a ranking
fair to harsh and lenient judges, results told to every entrant once."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from intake.contests.settings import when_said
from tests.conftest import CliResult, eml_folder
from tests.contesthelp import NOW, contest_settings, entry, when, with_contests
from tests.deskhelp import token

Cli = Callable[..., CliResult]
ESSAY = ["As a fourth-year medical student I learned that night shifts teach patience. "
         "The ward at night is quiet, and every decision weighs more than by day. " * 4]


def _sent(config: Path) -> list[EmailMessage]:
    folder = config.parent / "sent"
    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.is_dir() else []


def _text(email: EmailMessage) -> str:
    part = email.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _show(cli: Cli, config: Path, ref: str) -> dict[str, Any]:
    done = cli("--config", config, "show", ref, "--json")
    assert done.code == 0, done.err
    found: dict[str, Any] = json.loads(done.out)
    return found


def test_an_entry_is_recognised_and_told_the_contest_and_its_closing_date(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    mail = [entry("Priya Raman <priya@med.example.edu>", "Entry for the writing contest",
                  ESSAY, "<e1@med>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    shown = _show(cli, config, "JPMS-2026-0001")
    assert shown["kind"] == "contest"
    (ack,) = _sent(config)
    assert "JPMS Medical Writing Contest 2026: entry received" in ack["Subject"]
    text = _text(ack)
    closes = datetime.fromisoformat(when(20).replace("Z", "+00:00"))
    assert "registered for the JPMS Medical Writing Contest 2026, which closes on " \
        f"{when_said(closes)}" in " ".join(text.split())


def test_an_entry_after_the_contest_closed_is_told_so(
        make_config: Callable[..., Path], cli: Cli) -> None:
    late = with_contests(make_config, contest_settings(opens=-20, closes=-1, judging=10))
    mail = [entry("Sam Lee <sam@uni.example.org>", "writing contest entry", ESSAY, "<l1@u>")]
    assert cli("--config", late, "ingest", eml_folder(late.parent, mail)).code == 0
    (closed,) = _sent(late)
    assert "entries closed" in closed["Subject"]
    assert "closed on" in _text(closed)


def test_an_entry_before_the_contest_opens_is_told_when_it_does(
        make_config: Callable[..., Path], cli: Cli) -> None:
    early = with_contests(make_config, contest_settings(opens=3, closes=20, judging=30))
    mail = [entry("Sam Lee <sam@uni.example.org>", "writing contest entry", ESSAY, "<e1@u>")]
    assert cli("--config", early, "ingest", eml_folder(early.parent, mail)).code == 0
    (not_yet,) = [m for m in _sent(early) if "not open yet" in m["Subject"]]
    assert "takes entries from" in _text(not_yet)


def test_a_second_entry_from_the_same_author_is_not_entered_and_said_so(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    mail = [entry("Sam Lee <sam@uni.example.org>", "writing contest entry", ESSAY, "<a1@u>"),
            entry("Sam Lee <SAM@uni.example.org>", "my second writing contest entry",
                  ["Another essay entirely, about the wards and the people there. " * 8],
                  "<a2@u>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    first, second = _sent(config)
    assert "entry received" in first["Subject"]
    assert "not entered (1 per author)" in second["Subject"]


def test_an_entry_without_the_required_statement_is_told_what_to_add(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    plain = ["Night shifts teach patience, and the ward at night is quiet. " * 8]
    mail = [entry("Ana Ruiz <ana@uni.example.org>", "writing contest entry", plain, "<s1@u>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    (ack,) = _sent(config)
    assert "ask you to state that you are a medical student" in \
        _text(ack)


# -- the judging, end to end through the desk's WSGI app ----------------------------------


def _contest_desk(make_config: Callable[..., Path], cli: Cli,
                  monkeypatch: pytest.MonkeyPatch) -> tuple[Flask, Path]:
    from intake.core.config import load_settings
    from intake.web.app import create_app
    from tests.deskhelp import EDITORS, PASSWORD, set_password

    config = with_contests(make_config, contest_settings(), **EDITORS,
                           web={"public_url": "https://desk.example.org"})
    authors = [("Priya Raman <priya@med.example.edu>", "Night shifts"),
               ("Sam Lee <sam@uni.example.org>", "The first death"),
               ("Zoë Okafor <zoe@kcl.example.ac.uk>", "Handover")]
    mail = [entry(who, f"Writing contest: {title}",
                  [f"{title}. " + ESSAY[0], "# About the Author",
                   f"{who.split(' <')[0]} is a medical student at King's College London."],
                  f"<c{n}@x>") for n, (who, title) in enumerate(authors)]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    for editor in ("ana", "ben"):
        assert set_password(cli, config, editor, PASSWORD, monkeypatch).code == 0
    app = create_app(load_settings(config))
    app.config["TESTING"] = True
    return app, config


def _links(config: Path) -> dict[str, str]:
    found = {}
    for email in _sent(config):
        if "your entries to judge" in str(email["Subject"]):
            link = re.search(r"https://desk\.example\.org(/j/[\w-]+)", _text(email))
            assert link
            found[str(email["To"]).split("<")[-1].rstrip(">")] = link.group(1)
    return found


def test_a_contest_is_judged_blind_through_personal_links_and_ranked_fairly(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.deskhelp import sign_in

    app, config = _contest_desk(make_config, cli, monkeypatch)
    ana = app.test_client()
    assert sign_in(ana) == 302
    # The judges' copy: what was removed is listed; confirmed on the desk.
    page = ana.get("/s/JPMS-2026-0001/judges-copy").get_data(as_text=True)
    assert "Priya" not in page.split("What was removed")[1].split("As judges will read")[1]
    assert "the bio section" in page and "Not confirmed yet" in page
    for n in (1, 2, 3):
        done = ana.post(f"/s/JPMS-2026-000{n}/judges-copy", data={
            "csrf_token": token(ana, f"/s/JPMS-2026-000{n}/judges-copy")},
            follow_redirects=True).get_data(as_text=True)
        assert "The judges&#39; copy is confirmed" in done, done[:3000]
    # Judges from King's College London are never given these entries: none is, here;
    # three judges, two each, in balance.
    entries = cli("--config", config, "contest", "entries", "essay")
    assert entries.code == 0 and entries.out.count("confirmed ") == 3
    # Invitations: one link each, emailed once.
    said = ana.post("/contests/essay/step", data={"step": "invite", "csrf_token":
                                                  token(ana, "/contests/essay")},
                    follow_redirects=True).get_data(as_text=True)
    assert "3 judge(s) invited" in said
    again = ana.post("/contests/essay/step", data={"step": "invite", "csrf_token":
                                                   token(ana, "/contests/essay")},
                     follow_redirects=True).get_data(as_text=True)
    assert "already has a live link" in again
    assert cli("--config", config, "send").code == 0
    links = _links(config)
    assert set(links) == {"maya@hospital.example.org", "tom@uni.example.net",
                          "ines@saude.example.pt"}

    # A mail scanner opens every link first: nothing changes.
    import sqlite3

    ledger = config.parent / "var" / "intake.sqlite3"
    before = sqlite3.connect(ledger).execute("SELECT count(*) FROM events").fetchone()
    scanner = app.test_client()
    for link in links.values():
        assert scanner.get(link).status_code == 200
        assert scanner.head(link).status_code == 200
    assert sqlite3.connect(ledger).execute("SELECT count(*) FROM events").fetchone() == before

    # Each judge reads their entries without the author's name, and scores them.
    given = {}
    for judge, link in links.items():
        judge_client = app.test_client()
        home = judge_client.get(link).get_data(as_text=True)
        refs = re.findall(r'href="/j/[\w-]+/(JPMS-2026-\d{4})"', home)
        given[judge] = refs
        for ref in refs:
            page = judge_client.get(f"{link}/{ref}").get_data(as_text=True)
            for name in ("Priya", "Raman", "Sam Lee", "Okafor", "Zoë", "King"):
                assert name not in page, (name, ref)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert csrf
            harsh = judge == "maya@hospital.example.org"
            quality = {"JPMS-2026-0001": 9, "JPMS-2026-0002": 6, "JPMS-2026-0003": 4}[ref]
            score = max(1, quality - 3) if harsh else quality
            saved = judge_client.post(f"{link}/{ref}", data={
                "csrf_token": csrf.group(1), "score_originality": str(score),
                "score_clarity": str(score), "comment": "Moving."}, follow_redirects=True)
            assert "Your scores are saved" in saved.get_data(as_text=True)
        # Another judge's entry is not reachable with this link.
        other = next(r for r in ("JPMS-2026-0001", "JPMS-2026-0002", "JPMS-2026-0003")
                     if r not in refs)
        assert judge_client.get(f"{link}/{other}").status_code == 404
    assert sorted(len(v) for v in given.values()) == [2, 2, 2]
    # A score out of the scale is refused, with the reason.
    judge, link = next(iter(links.items()))
    judge_client = app.test_client()
    page = judge_client.get(f"{link}/{given[judge][0]}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    bad = judge_client.post(f"{link}/{given[judge][0]}", data={
        "csrf_token": csrf.group(1), "score_originality": "11", "score_clarity": "3"},
        follow_redirects=True).get_data(as_text=True)
    assert "a score from 1 to 10" in bad

    # The ranking: the harsh judge costs no entry its place.
    results = json.loads(cli("--config", config, "contest", "results", "essay",
                             "--json").out)["results"]
    assert [r["reference"] for r in results] == ["JPMS-2026-0001", "JPMS-2026-0002",
                                                  "JPMS-2026-0003"]
    assert all(r["judges_scored"] == 2 for r in results)
    # The harsh judge is 3 points below the others on every entry: on a scale of 10, more
    # than the contest's spread of 30 points, so those entries are flagged.
    assert any(r["flagged"] for r in results) and not all(r["flagged"] for r in results)
    csv_text = ana.get("/contests/essay/results.csv").get_data(as_text=True)
    assert csv_text.startswith("place,reference,title")

    # A revoked link opens nothing.
    revoked = ana.post("/contests/essay/step", data={
        "step": "revoke", "judge": "tom@uni.example.net",
        "csrf_token": token(ana, "/contests/essay")}, follow_redirects=True)
    assert "1 link(s) of tom@uni.example.net revoked" in revoked.get_data(as_text=True)
    assert app.test_client().get(links["tom@uni.example.net"]).status_code == 404

    # Winners, then every entrant told once.
    ana.post("/contests/essay/step", data={"step": "award", "reference": "JPMS-2026-0001",
                                           "award": "winner",
                                           "csrf_token": token(ana, "/contests/essay")})
    for _ in range(2):
        ana.post("/contests/essay/step", data={"step": "announce",
                                               "csrf_token": token(ana, "/contests/essay")})
    assert cli("--config", config, "send").code == 0
    told = [m for m in _sent(config) if "the results" in str(m["Subject"])]
    assert len(told) == 3
    winner = next(m for m in told if "priya@" in str(m["To"]))
    assert "your entry is a winner" in _text(winner)
    loser = next(m for m in told if "sam@" in str(m["To"]))
    assert "not among the winners" in _text(loser) and "Night shifts" in _text(loser)


def test_no_entry_goes_to_a_judge_from_the_authors_institution(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    mail = [entry("Ali Khan <ali@student.example.org>", "Writing contest: Leeds nights",
                  [ESSAY[0], "# About the Author",
                   "Ali Khan is a medical student at the University of Leeds."], "<k1@x>"),
            entry("Bea Cruz <bea@uni.example.net>", "Writing contest: Porto",
                  [ESSAY[0] + " Another view."], "<k2@x>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    leeds = cli("--config", config, "contest", "confirm", "JPMS-2026-0001", "--as", "ana")
    assert leeds.code == 0, leeds.err
    assert "tom@uni.example.net" not in leeds.out  # Tom judges from Leeds
    assert "maya@hospital.example.org, ines@saude.example.pt" in leeds.out
    same_domain = cli("--config", config, "contest", "confirm", "JPMS-2026-0002", "--as", "ana")
    assert same_domain.code == 0 and "tom@uni.example.net" not in same_domain.out


def test_an_outside_reader_scores_a_guest_post_through_the_same_links(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from intake.core.config import load_settings
    from intake.web.app import create_app
    from tests.deskhelp import EDITORS, PASSWORD, set_password, sign_in

    config = with_contests(make_config, contest_settings(), **EDITORS,
                           web={"public_url": "https://desk.example.org"})
    mail = [entry("Priya Raman <priya@med.example.edu>", "Guest post: statins in the young",
                  ["Statins in young adults: what the trials say. " * 10], "<g1@x>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    bad = cli("--config", config, "reader", "JPMS-2026-0001", "Dr Lee", "lee@hospital.example",
              "--rubric", "accuracy", "--as", "ana")
    assert bad.code != 0 and "name:scale" in bad.err
    asked = cli("--config", config, "reader", "JPMS-2026-0001", "Dr Lee",
                "lee@hospital.example.org", "--rubric", "accuracy:5,clarity:5", "--as", "ana")
    assert asked.code == 0, asked.err
    assert cli("--config", config, "send").code == 0
    (invite,) = [m for m in _sent(config) if "Would you read" in str(m["Subject"])]
    link = re.search(r"https://desk\.example\.org(/j/[\w-]+)", _text(invite))
    assert link
    for editor in ("ana", "ben"):
        assert set_password(cli, config, editor, PASSWORD, monkeypatch).code == 0
    app = create_app(load_settings(config))
    app.config["TESTING"] = True
    reader = app.test_client()
    home = reader.get(link.group(1)).get_data(as_text=True)
    assert "A submission to read" in home and "JPMS-2026-0001" in home
    page = reader.get(f"{link.group(1)}/JPMS-2026-0001").get_data(as_text=True)
    assert "Statins in young adults" in page and "Accuracy (1 to 5)" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    reader.post(f"{link.group(1)}/JPMS-2026-0001", data={
        "csrf_token": csrf.group(1), "score_accuracy": "4", "score_clarity": "5",
        "comment": "The dose in paragraph 2 is wrong."})
    ana = app.test_client()
    assert sign_in(ana) == 302
    shown = ana.get("/s/JPMS-2026-0001/").get_data(as_text=True)
    assert "lee@hospital.example.org" in shown and "accuracy 4" in shown
    assert "The dose in paragraph 2 is wrong." in shown
    # The same link cannot reach another submission.
    assert reader.get(f"{link.group(1)}/JPMS-2026-0002").status_code == 404


def test_the_copys_images_show_for_the_editor_and_a_blind_reader(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from intake.core.config import load_settings
    from intake.demo.samples import DOCX, text_docx
    from intake.demo.samples import email as make_email
    from intake.web.app import create_app
    from tests.deskhelp import EDITORS, PASSWORD, set_password, sign_in

    config = with_contests(make_config, contest_settings(), **EDITORS,
                           web={"public_url": "https://desk.example.org"})
    document = text_docx("Night shifts", ESSAY, images=1, image_alt="the ward at night")
    mail = [make_email("Priya Raman <priya@med.example.edu>", "Writing contest: nights",
                       "My entry.", message_id="<i1@x>", date=NOW,
                       attachments=(("entry.docx", DOCX, document),))]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    for editor in ("ana", "ben"):
        assert set_password(cli, config, editor, PASSWORD, monkeypatch).code == 0
    app = create_app(load_settings(config))
    app.config["TESTING"] = True
    ana = app.test_client()
    assert sign_in(ana) == 302
    page = ana.get("/s/JPMS-2026-0001/judges-copy").get_data(as_text=True)
    judges = config.parent / "var" / "drafts" / "JPMS-2026-0001" / "judges"
    assert not judges.exists()  # looking at it writes nothing
    source = re.search(r'<img src="(assets/[^"]+)"', page)
    assert source and ana.get(f"/s/JPMS-2026-0001/{source.group(1)}").status_code == 200
    # An outside reader asked to read without the author's name sees the image too.
    assert cli("--config", config, "reader", "JPMS-2026-0001", "Dr Lee",
               "lee@hospital.example.org", "--blind", "--as", "ana").code == 0
    assert cli("--config", config, "send").code == 0
    (invite,) = [m for m in _sent(config) if "Would you read" in str(m["Subject"])]
    link = re.search(r"https://desk\.example\.org(/j/[\w-]+)", _text(invite))
    assert link
    reader = app.test_client()
    shown = reader.get(f"{link.group(1)}/JPMS-2026-0001").get_data(as_text=True)
    image = re.search(r'<img src="([^"]+)"', shown)
    assert image and "figure-1" in image.group(1) and "Priya" not in shown
    assert reader.get(image.group(1)).status_code == 200
