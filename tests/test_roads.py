"""Each kind's own road after intake (issue 36): a sponsored enquiry quoted, agreed and
paid, through the pipeline and the outbox; an applicant taken from received to joined
on the desk, as an editor who then signs in; a profile per author, read from their
"About the author", shown beside their other submissions and exported as CSV."""

from __future__ import annotations

import csv
import email
import io
import json
import re
from collections.abc import Callable
from email import policy
from pathlib import Path

import pytest

from intake.core.config import load_settings
from intake.demo.samples import DOCX, cv_docx, text_docx
from intake.demo.samples import email as make_email
from intake.editors.digest import build
from intake.ledger import Ledger
from intake.mail.templates import Notices
from tests.conftest import CliResult, eml_folder

Cli = Callable[..., CliResult]
ANA = {"editors.ana": {"name": "Ana Lima", "email": "ana@journal.example.org",
                       "admin": True}}


def _sent(config: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((config.parent / "sent").glob("*.eml"))]


def _text(msg: email.message.EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_sponsored_enquiry_is_quoted_agreed_and_paid(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config(**ANA)
    enquiry = make_email("Dana Reyes <dana@revise.example.com>", "Sponsored post",
                         "Hello, we would like to publish a sponsored article about our "
                         "revision app. What are your terms?",
                         to="submissions+sponsored@journal.example.org")
    assert cli("--config", config, "ingest", eml_folder(tmp_path, [enquiry])).code == 0
    ref = "JPMS-2026-0001"
    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    assert shown["kind"] == "sponsored" and shown["stage"] is None  # the road's first

    no_price = cli("--config", config, "stage", ref, "quoted", "--email", "--yes", "--as",
                   "ana")
    assert no_price.code == 2 and "--price" in no_price.err
    wrong = cli("--config", config, "stage", ref, "shortlisted", "--as", "ana")
    assert wrong.code == 2 and "enquiry, quoted, agreed" in wrong.err
    quoted = cli("--config", config, "stage", ref, "quoted", "--price", "€400", "--email",
                 "--yes", "-m", "We can publish it in January.", "--as", "ana")
    assert quoted.code == 0, quoted.err
    assert cli("--config", config, "send").code == 0
    quote = _sent(config)[-1]
    assert str(quote["Subject"]) == f"[{ref}] Our terms for a sponsored article"
    assert "€400" in _text(quote) and "We can publish it in January." in _text(quote)
    assert quote["In-Reply-To"]  # in the enquiry's thread

    # Waiting on the sponsor now; once agreed, on an editor.
    settings = load_settings(config)
    ledger = Ledger(config.parent / "var" / "intake.sqlite3")
    try:
        waiting = build(ledger, settings, Notices(settings), settings.editors[0]).sections[-1]
        assert [i["reason"] for i in waiting["items"]] == ["stage quoted: waiting on the author"]
    finally:
        ledger.close()
    for stage in ("agreed", "paid"):
        assert cli("--config", config, "stage", ref, stage, "--as", "ana").code == 0
    history = json.loads(cli("--config", config, "show", ref, "--json").out)
    assert history["stage"] == "paid"
    moves = [e.get("after") for e in history["history"]
             if e["event"] == "stage changed"]
    assert moves == ["quoted", "agreed", "paid"]


def test_an_interview_is_emailed_in_the_applicants_language(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config(**ANA)
    application = make_email(
        "Lucía Gómez <lucia@alumnos.example.es>", "Candidatura para el equipo editorial",
        "Hola, me gustaría formar parte del equipo editorial del blog. Adjunto mi "
        "currículum y mi carta de presentación.",
        attachments=(("CV Lucia Gomez.docx", DOCX, cv_docx("Lucía Gómez")),
                     ("Carta de presentacion.docx", DOCX,
                      text_docx(None, ["Estimados editores: escribo para presentar mi "
                                       "candidatura."]))))
    assert cli("--config", config, "ingest", eml_folder(tmp_path, [application])).code == 0
    done = cli("--config", config, "stage", "JPMS-2026-0001", "interview", "--when",
               "2026-12-10 14:00", "--email", "--yes", "--as", "ana")
    assert done.code == 0, done.err
    assert cli("--config", config, "send").code == 0
    invitation = _sent(config)[-1]
    assert "10 de diciembre de 2026, 14:00 (UTC)" in str(invitation["Subject"])
    assert "su entrevista será el 10 de diciembre de 2026, 14:00 (UTC)" in _text(invitation)


def test_an_applicant_joins_as_an_editor_who_then_signs_in(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.deskhelp import fields, make_desk, sign_in, token

    application = make_email(
        "Priya Raman <priya.raman@uni.example.edu>", "Application to join as an editor",
        "Dear editors, I would like to join the team as an editor. My CV and cover letter "
        "are attached.", attachments=(
            ("Priya Raman CV.docx", DOCX, cv_docx("Priya Raman")),
            ("Cover letter.docx", DOCX, text_docx(None, ["I would like to join."]))))
    app, config = make_desk(make_config, cli, monkeypatch, [application])
    client = app.test_client()
    assert sign_in(client) == 302
    page = client.get("/s/JPMS-2026-0001/").get_data(as_text=True)
    assert '<option value="received" selected>' in page  # the road's first stage
    for stage in ("shortlisted", "offered"):
        page = client.get("/s/JPMS-2026-0001/").get_data(as_text=True)
        moved = client.post("/s/JPMS-2026-0001/stage", data={
            "stage": stage, **fields(page, "stage")}, follow_redirects=True)
        assert f"Stage: {stage}." in moved.get_data(as_text=True)
    page = client.get("/s/JPMS-2026-0001/").get_data(as_text=True)
    assert "Invite to the desk as an editor" in page
    form = re.findall(r'<form method="post" action="join"[^>]*>(.*?)</form>', page, re.S)[0]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    joined = client.post("/s/JPMS-2026-0001/join", data={**hidden, "id": "priya"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Invitation emailed to Priya Raman" in joined
    assert "<dt>Stage</dt><dd>joined</dd>" in joined

    mail = next(p.read_text(encoding="utf-8", errors="replace")
                for p in sorted((config.parent / "sent").glob("*.eml"))
                if "priya.raman@uni.example.edu" in p.read_text(errors="replace")
                and "/welcome/" in p.read_text(errors="replace"))
    link = re.search(r"/welcome/[A-Za-z0-9_-]+", mail)
    assert link
    newcomer = app.test_client()
    chosen = "saffron lantern quiet harbour"
    assert newcomer.post(link.group(0), data={
        "new": chosen, "again": chosen,
        "csrf_token": token(newcomer, link.group(0))}).status_code == 302
    assert sign_in(newcomer, "priya", chosen) == 302
    assert "Priya Raman" in newcomer.get("/").get_data(as_text=True)


def test_the_authors_profile_is_kept_shown_and_exported(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.deskhelp import fields, make_desk, sign_in

    first = make_email(
        "Sam Okafor <sam@uni.example.org>", "Guest post: night shifts", "My article.",
        message_id="<p1@uni>", attachments=(("nights.docx", DOCX, text_docx(
            "Night shifts", ["The ward at night teaches patience. " * 40,
                             "# About the Author",
                             "Sam Okafor is a fourth-year medical student at the University "
                             "of Example, and writes about nights on the wards."])),))
    second = make_email(
        "Sam Okafor <sam+blog@uni.example.org>", "Guest post: ward rounds", "Another one.",
        message_id="<p2@uni>", attachments=(("rounds.docx", DOCX, text_docx(
            "Ward rounds", ["Ward rounds move quickly. " * 50])),))
    app, config = make_desk(make_config, cli, monkeypatch, [first, second])
    client = app.test_client()
    assert sign_in(client) == 302
    page = client.get("/s/JPMS-2026-0002/").get_data(as_text=True)
    assert "University of Example" in page and "bio read from JPMS-2026-0001" in page
    assert 'href="/s/JPMS-2026-0001/">JPMS-2026-0001</a> Night shifts' in page

    # An editor's words win over what a later submission says.
    edited = client.post("/s/JPMS-2026-0002/author", data={
        "name": "Sam Okafor", "institution": "=HYPERLINK(\"http://x.example\")",
        "bio": "Sam writes about nights.", **fields(page, "author")},
        follow_redirects=True).get_data(as_text=True)
    assert "The author&#39;s profile is kept." in edited or "profile is kept" in edited
    exported = cli("--config", config, "authors", "export", "--csv")
    assert exported.code == 0, exported.err
    rows = list(csv.DictReader(io.StringIO(exported.out)))
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "Sam Okafor" and row["bio"] == "Sam writes about nights."
    assert row["institution"].startswith("'=")  # never a formula in a spreadsheet
    assert row["submissions"] == "2" and row["references"] == "JPMS-2026-0001 JPMS-2026-0002"


@pytest.mark.parametrize(("subject", "body", "language", "said"), [
    ("Link insertion", "Hi, we'd like to add our link to an existing post on your blog, "
     "dofollow please. What's your price?", "en", "We do not sell links"),
    ("Colaboración", "Hola, queremos una inserción de enlace en un artículo existente de "
     "su blog. ¿Cuál es su precio?", "es", "No vendemos enlaces"),
])
def test_an_offer_to_buy_links_is_named_and_refused_politely(
        subject: str, body: str, language: str, said: str, tmp_path: Path,
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config(**{
        "kinds.sponsored": {"label": "Sponsored article", "addresses": [],
                            "body": ["link", "enlace", "sponsored"], "subject": ["link"],
                            "link_buying": "refuse"},
        "kinds.other": {"label": "Message"}})
    offer = make_email("SEO Team <outreach.anna@linkfarm.example.com>", subject, body,
                       to="submissions+sponsored@journal.example.org")
    fair = make_email("Dana Reyes <dana@revise.example.com>", "Sponsored article",
                      "We would like to publish a sponsored article about our revision "
                      "app, clearly labelled. What are your terms?",
                      to="submissions+sponsored@journal.example.org")
    assert cli("--config", config, "ingest", eml_folder(tmp_path, [offer, fair])).code == 0
    answers = {str(m["To"]).split("<")[-1].rstrip(">"): m for m in _sent(config)}
    refusal = answers["outreach.anna@linkfarm.example.com"]
    assert said in _text(refusal)
    assert said not in _text(answers["dana@revise.example.com"])
    rows = {r["author_email"]: r for r in map(json.loads, cli(
        "--config", config, "queue", "--json").out.splitlines())}
    assert any("An offer to buy links" in w
               for w in rows["outreach.anna@linkfarm.example.com"]["warnings"])
    assert not any("An offer to buy links" in w
                   for w in rows["dana@revise.example.com"]["warnings"])


def test_a_sponsored_enquiry_is_answered_with_the_rate_card_attached(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    from intake.rules.corpus import text_pdf

    card = tmp_path / "rate-card.pdf"
    card.write_bytes(text_pdf(["Sponsored article: 400 EUR", "Terms: labelled, one link."]))
    config = make_config(**{
        "kinds.sponsored": {"label": "Sponsored article", "terms_file": str(card),
                            "body": ["sponsored"]},
        "kinds.other": {"label": "Message"}})
    enquiries = [make_email("Dana Reyes <dana@revise.example.com>", "Sponsored article",
                            "We would like to publish a sponsored article. Your terms?",
                            to="submissions+sponsored@journal.example.org"),
                 make_email("Jonas Weber <jonas@apps.example.de>", "Gesponserter Artikel",
                            "Guten Tag, wir möchten einen gesponserten Artikel "
                            "veröffentlichen. Wie sind Ihre Bedingungen?",
                            to="submissions+sponsored@journal.example.org")]
    assert cli("--config", config, "ingest", eml_folder(tmp_path, enquiries)).code == 0
    answers = {str(m["To"]).split("<")[-1].rstrip(">"): m for m in _sent(config)}
    for address, said in (("dana@revise.example.com", "Our rate card and terms are "
                                                      "attached"),
                          ("jonas@apps.example.de", "Unsere Preisliste und Bedingungen")):
        answer = answers[address]
        assert said in _text(answer)
        (attached,) = list(answer.iter_attachments())
        assert attached.get_filename() == "rate-card.pdf"
        assert attached.get_content() == card.read_bytes()
        html = answer.get_body(preferencelist=("html",))
        assert html is not None and said.split()[0] in str(html.get_content())


def test_the_cover_letter_and_cv_side_by_side_with_contact_details_marked(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from intake.rules.corpus import text_pdf
    from tests.deskhelp import make_desk, sign_in

    cv = text_pdf(["Priya Raman", "Email: priya.raman@uni.example.edu",
                   "Phone: +44 20 7946 0958", "Education: MBBS, University of Example, 2023",
                   "Experience: editor of the student newsletter, 2021-2024"])
    letter = text_docx(None, ["Dear editors,", "I would like to join the team as an "
                              "editor. I can be reached on +44 20 7946 0958.",
                              "Priya Raman"])
    application = make_email(
        "Priya Raman <priya.raman@uni.example.edu>", "Application to join as an editor",
        "Dear editors, my CV and cover letter are attached.", attachments=(
            ("Priya Raman CV.pdf", "application/pdf", cv),
            ("Cover letter.docx", DOCX, letter)))
    app, config = make_desk(make_config, cli, monkeypatch, [application])
    client = app.test_client()
    assert sign_in(client) == 302
    page = client.get("/s/JPMS-2026-0001/").get_data(as_text=True)
    assert 'href="papers"' in page
    shown = client.get("/s/JPMS-2026-0001/papers").get_data(as_text=True)
    letter_at, cv_at = shown.index("Cover letter <span"), shown.index("CV <span")
    assert letter_at < cv_at  # side by side: the letter first
    assert "I would like to join the team as an editor" in shown
    assert "MBBS, University of Example" in shown
    assert "<mark" in shown and "priya.raman@uni.example.edu</mark>" in shown
    assert "+44 20 7946 0958</mark>" in shown
    assert "Cover letter.docx" in shown and "Priya Raman CV.pdf" in shown
    # The CV converted once, then read from the draft folder (the letter is the draft).
    kept = list((config.parent / "var" / "drafts").glob("*/papers/*.md"))
    assert len(kept) == 1
    assert client.get("/s/JPMS-2026-0001/papers").get_data(as_text=True) == shown


def test_the_sponsors_manuscript_moves_its_road_on(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config(**ANA)
    enquiry = make_email("Dana Reyes <dana@revise.example.com>", "Sponsored post",
                         "We would like to publish a sponsored article. Your terms?",
                         to="submissions+sponsored@journal.example.org",
                         message_id="<enquiry@revise.example.com>")
    assert cli("--config", config, "ingest", eml_folder(tmp_path, [enquiry])).code == 0
    for stage in ("quoted", "agreed", "paid"):
        assert cli("--config", config, "stage", "JPMS-2026-0001", stage, "--as",
                   "ana").code == 0
    acknowledgement = _sent(config)[0]
    article = make_email(
        "Dana Reyes <dana@revise.example.com>", f"Re: {acknowledgement['Subject']}",
        "Here is the article, as agreed.", message_id="<article@revise.example.com>",
        headers={"In-Reply-To": str(acknowledgement["Message-ID"])},
        attachments=(("article.docx", DOCX, text_docx("Five apps for revision", [
            "Revising for finals is easier with the right tools. " * 40,
            "This article is sponsored by Revise."])),))
    assert cli("--config", config, "ingest", eml_folder(tmp_path, [article])).code == 0
    shown = json.loads(cli("--config", config, "show", "JPMS-2026-0001", "--json").out)
    assert shown["revision"] == 2 and shown["stage"] == "manuscript received"
    assert [e.get("actor") for e in shown["history"]
            if e["event"] == "stage changed"][-1] == "intake"
