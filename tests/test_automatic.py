"""Automatic mail and loops: recognised in many forms and languages, kept, never answered;
our own mail is marked when it bounces; a sender gets at most N emails per period; the
deny list; role addresses. Pipeline tests send through aiosmtpd."""

from __future__ import annotations

import email
import json
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from intake.demo.samples import DOCX, article_docx
from intake.demo.samples import email as make_email
from intake.mail.parse import parse_message
from intake.rules.automatic import Category, denied, detect, role_sender
from intake.rules.bounces import read_bounce
from tests.conftest import CliResult, SmtpServer, eml_folder

OWN = frozenset({"submissions@journal.example.org"})
DATA = Path(__file__).parent / "data" / "bounces"
Configure = Callable[..., Path]

OUT_OF_OFFICE = [
    "Out of Office: back on Monday",
    "Automatic reply: Guest post received",
    "Réponse automatique : Votre article",
    "Absence du bureau jusqu'au 3 décembre",
    "Abwesenheitsnotiz: Ihr Artikel",
    "Automatische Antwort: [JPMS-2026-0001] Eingang",
    "Respuesta automática: su artículo",
    "Fuera de la oficina hasta el lunes",
    "Resposta automática: o seu artigo",
    "Ausência temporária",
    "Risposta automatica: il suo articolo",
    "Fuori ufficio fino al 5 gennaio",
    "Automatisch antwoord: uw artikel",
    "Afwezig tot maandag",
]
BOUNCES = [
    ("mailer-daemon@googlemail.com", "Delivery Status Notification (Failure)",
     "Delivery to the following recipient failed permanently:\n\n     ana@uni.example"),
    ("postmaster@outlook.com", "Undeliverable: [JPMS-2026-0001] Received",
     "Your message to ana@uni.example couldn't be delivered."),
    ("MAILER-DAEMON@mail.example.net", "failure notice",
     "Hi. This is the qmail-send program at mail.example.net.\nI'm afraid I wasn't able to "
     "deliver your message to the following addresses."),
    ("Mail Delivery System <Mailer-Daemon@mx.example.org>",
     "Mail delivery failed: returning message to sender",
     "This message was created automatically by mail delivery software."),
    ("postmaster@example.fr", "Non remis : votre message", "Le message n'a pas pu être remis."),
    ("postmaster@example.de", "Unzustellbar: Ihr Artikel", "Die Nachricht war unzustellbar."),
]


@pytest.mark.parametrize("subject", OUT_OF_OFFICE)
def test_out_of_office_in_seven_languages(subject: str) -> None:
    msg = parse_message(make_email("Dr A <a@hospital.example>", subject, "Back soon."))
    found = detect(msg, OWN)
    assert found is not None and found.category is Category.AUTO_REPLY, subject


@pytest.mark.parametrize(("sender", "subject", "body"), BOUNCES)
def test_bounces_from_common_servers(sender: str, subject: str, body: str) -> None:
    found = detect(parse_message(make_email(sender, subject, body)), OWN)
    assert found is not None and found.category is Category.BOUNCE, subject


def test_a_title_that_looks_automatic_is_not_when_a_document_comes_with_it() -> None:
    msg = parse_message(make_email(
        "Ana <ana@uni.example>", "Out of office hours: what students learn at night",
        "My guest post is attached.",
        attachments=(("post.docx", DOCX, article_docx("Out of office hours")),)))
    assert detect(msg, OWN) is None


@pytest.mark.parametrize(("headers", "sender", "category"), [
    ({"List-Id": "<students.lists.example>"}, "a@b.example", Category.BULK),
    ({"List-Unsubscribe": "<mailto:u@b.example>"}, "news@b.example", Category.BULK),
    ({"Feedback-ID": "campaign:123:esp"}, "hello@b.example", Category.BULK),
    ({"Precedence": "bulk"}, "a@b.example", Category.BULK),
    ({"X-Autoreply": "yes"}, "a@b.example", Category.AUTO_REPLY),
    ({"Auto-Submitted": "auto-generated"}, "a@b.example", Category.AUTO_REPLY),
    ({"X-Failed-Recipients": "a@b.example"}, "a@b.example", Category.BOUNCE),
    ({}, "no-reply@platform.example", Category.AUTOMATIC_SENDER),
    ({}, "notifications@journal-system.example", Category.AUTOMATIC_SENDER),
    ({}, "students-request@lists.example", Category.AUTOMATIC_SENDER),
    ({"X-Intake-Loop": "submissions@journal.example.org"}, "a@b.example", Category.OUR_OWN),
    ({}, "submissions@journal.example.org", Category.OUR_OWN),
])
def test_lists_automatic_senders_and_our_own(headers: dict[str, str], sender: str,
                                             category: Category) -> None:
    found = detect(parse_message(make_email(sender, "Hello", "text", headers=headers)), OWN)
    assert found is not None and found.category is category


def test_role_addresses_and_the_deny_list() -> None:
    assert role_sender(parse_message(make_email("support@agency.example", "Hi", "x")))
    assert role_sender(parse_message(make_email("info@desk.example", "[Ticket #4821] Hi",
                                                "Please type your reply above this line")))
    assert role_sender(parse_message(make_email("info@desk.example", "Hi", "x",
                                                headers={"X-Zendesk-From-Account-Id": "9"})))
    for company in ("info@agency.example", "marketing@brand.example",
                    "partnerships@brand.example", "outreach@seo.example"):
        assert role_sender(parse_message(make_email(company, "Sponsored post", "Rates?"))
                           ) is None, company
    assert role_sender(parse_message(make_email("ana@uni.example", "Hi", "x"))) is None
    deny = ("spam@bad.example", "seo-agency.example")
    assert denied("SPAM@bad.example", deny) == "spam@bad.example"
    assert denied("other@bad.example", deny) is None
    assert denied("x@mail.seo-agency.example", deny) == "seo-agency.example"
    assert denied("x@notseo-agency.example", deny) is None


@pytest.mark.parametrize(("name", "original"), [
    ("cpython-msg_16.eml", "<002001c144a6$8752e060$56104586@oxy.edu>"),
    ("cpython-msg_25.eml", "<01040616033903.00962@server>"),  # no MIME boundary at all
    ("nodemailer-delivery-status.eml", "<xxxxx@email.amazonses.com>"),
    ("mail-parser-malformed_2.eml", "<004801d1fc84$01c934ac$b247f0b7$@infospacemail.com>"),
])
def test_real_delivery_reports_name_the_failed_message(name: str, original: str) -> None:
    data = (DATA / name).read_bytes()
    found = detect(parse_message(data), OWN)
    assert found is not None and found.category is Category.BOUNCE
    assert original in read_bounce(data).message_ids


# -- through the pipeline ------------------------------------------------------------


def _guest(sender: str, n: int) -> bytes:
    return make_email(sender, f"Guest post {n}", "Please find attached my guest post.",
                      attachments=((f"post{n}.docx", DOCX,
                                    article_docx(f"Article {n}", paragraphs=2)),),
                      message_id=f"<post{n}.{sender}>")


def _history(cli: Callable[..., CliResult], config: Path, ref: str) -> list[dict[str, Any]]:
    result = cli("--config", config, "show", ref, "--json")
    history: list[dict[str, Any]] = json.loads(result.out)["history"]
    return history


def _queue(cli: Callable[..., CliResult], config: Path) -> list[dict[str, Any]]:
    out = cli("--config", config, "queue", "--status", "all", "--json").out
    return [json.loads(line) for line in out.splitlines()]


def test_automatic_mail_is_kept_and_never_answered(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings())
    automatic = [make_email("Dr A <a@hospital.example>", s, "Back soon.",
                            message_id=f"<ooo{n}@x>") for n, s in enumerate(OUT_OF_OFFICE)]
    automatic += [make_email(s, subj, body, message_id=f"<b{n}@x>")
                  for n, (s, subj, body) in enumerate(BOUNCES)]
    automatic += [(DATA / n).read_bytes() for n in sorted(p.name for p in DATA.iterdir())]
    automatic += [make_email("news@society.example", "November digest", "Our news",
                             headers={"List-Unsubscribe": "<mailto:u@society.example>"})]
    person = _guest("ana@uni.example", 1)
    result = cli("--config", config, "ingest", eml_folder(tmp_path, [*automatic, person]))
    assert result.code == 0, result.err
    assert result.out.strip() == (f"fetched {len(automatic) + 1} · new 1 · revisions 0 · "
                                  f"ignored {len(automatic)} · quarantined 0 · sent 1 · "
                                  "pending 0")
    assert [m.rcpt_tos for m in smtp.handler.messages] == [["ana@uni.example"]]
    rows = _queue(cli, config)
    assert sum(r["status"] == "ignored" for r in rows) == len(automatic)


def test_our_acknowledgement_coming_back_is_not_answered_and_its_bounce_is_recorded(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings())
    assert cli("--config", config, "ingest",
               eml_folder(tmp_path, [_guest("ana@uni.example", 1)])).code == 0
    (sent,) = smtp.handler.messages
    ack: EmailMessage = email.message_from_bytes(sent.data, policy=policy.default)
    # What every reply carries so that machines leave it alone (RFC 3834, Exchange).
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["X-Intake-Loop"] == "submissions@journal.example.org"
    ref = str(ack["X-Intake-Reference"])

    # Our own acknowledgement delivered back to the mailbox (a forwarding loop).
    # A qmail-style bounce quoting it in plain text, with no report structure.
    qmail = make_email(
        "MAILER-DAEMON@mx.uni.example", "failure notice",
        "Hi. This is the qmail-send program at mx.uni.example.\nI'm afraid I wasn't able to "
        "deliver your message to the following addresses.\n\n<ana@uni.example>:\n"
        "550 5.1.1 mailbox unavailable\n\n--- Below this line is a copy of the message.\n\n"
        f"Message-ID: {ack['Message-ID']}\nSubject: {ack['Subject']}\n", message_id="<q@x>")
    result = cli("--config", config, "ingest", eml_folder(tmp_path, [sent.data, qmail]))
    # A bounce is a delivery failed for good, as a refusal at SMTP time is: exit 1.
    assert result.code == 1, result.err
    assert result.out.strip() == ("fetched 2 · new 0 · revisions 0 · ignored 2 · "
                                  "quarantined 0 · sent 0 · pending 0 · bounced 1")
    assert len(smtp.handler.messages) == 1
    events = _history(cli, config, ref)
    bounce = next(e for e in events if e["event"] == "email bounced")
    assert bounce["to"] == "ana@uni.example" and "550 5.1.1" in bounce["reason"]
    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    assert shown["outbox"][0]["state"] == "bounced"
    statuses = [r["status"] for r in _queue(cli, config)]
    # The loop copy is its own ignored message; the bounce joined the submission.
    assert sorted(statuses) == ["ignored", "queued"]


def test_at_most_n_emails_per_sender_per_period(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), replies={"max_per_sender": 2})
    posts = [_guest("prolific@uni.example", n) for n in range(4)]
    result = cli("--config", config, "ingest", eml_folder(tmp_path, posts))
    assert result.code == 0, result.err
    assert "new 4" in result.out and "sent 2" in result.out
    assert len(smtp.handler.messages) == 2
    rows = _queue(cli, config)
    assert [r["status"] for r in rows] == ["queued"] * 4  # editors still see every one
    withheld = [e for r in rows[2:] for e in _history(cli, config, r["reference"])
                if e["event"] == "acknowledgement withheld"]
    assert len(withheld) == 2 and "max_per_sender = 2" in withheld[0]["reason"]
    assert "prolific@uni.example" in result.err  # the operator hears of it


def test_deny_list_and_role_addresses(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(),
                         triage={"deny": ["pest@uni.example", "seo-links.example"]})
    messages = [_guest("pest@uni.example", 1), _guest("mark@mail.seo-links.example", 2),
                make_email("support@agency.example", "Sponsored article enquiry",
                           "We would like to publish a sponsored article. Your rates?",
                           message_id="<role@x>")]
    result = cli("--config", config, "ingest", eml_folder(tmp_path, messages))
    assert result.code == 0, result.err
    assert "new 1" in result.out and "ignored 2" in result.out and "sent 0" in result.out
    assert smtp.handler.messages == []
    rows = {r["author_email"]: r for r in _queue(cli, config)}
    assert "deny list ([triage] deny: pest@uni.example)" in rows["pest@uni.example"]["reason"]
    assert "seo-links.example" in rows["mark@mail.seo-links.example"]["reason"]
    role = rows["support@agency.example"]
    assert role["status"] == "queued" and role["kind"] == "sponsored"
    quiet = [e for e in _history(cli, config, role["reference"])
             if e["event"] == "not answered automatically"]
    assert quiet and "help desk" in quiet[0]["reason"]


# -- web forms and relays ---------------------------------------------------------------

ARTICLE = article_docx("Night shifts", paragraphs=3, image=False)


def _relayed(sender: str, reply_to: str, n: int, **headers: str) -> bytes:
    """What a website's submission form sends: as itself, the author in Reply-To."""
    return make_email(sender, f"New submission from the website ({n})",
                      "Name: Ana Lima\nArticle type: guest post\nMessage: my guest post.",
                      message_id=f"<form{n}@journal.example.org>",
                      attachments=((f"post{n}.docx", DOCX, ARTICLE),),
                      headers={"Reply-To": reply_to, **headers})


@pytest.mark.parametrize("sender", [
    "Journal website <wordpress@journal.example.org>",
    "Forms <no-reply@forms.example.com>",
    "submissions@journal.example.org",  # a form that sends as our own address
])
def test_a_web_form_submission_is_the_authors_and_answered_to_reply_to(
        sender: str, tmp_path: Path, smtp_factory: Callable[..., SmtpServer],
        make_config: Configure, cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings())
    result = cli("--config", config, "ingest",
                 eml_folder(tmp_path, [_relayed(sender, "Ana Lima <Ana@Uni.example>", 1)]))
    assert result.code == 0, result.err
    assert "new 1" in result.out and "sent 1" in result.out, result.out
    assert [m.rcpt_tos for m in smtp.handler.messages] == [["ana@uni.example"]]
    (row,) = _queue(cli, config)
    assert (row["author_name"], row["author_email"], row["kind"]) == \
        ("Ana Lima", "ana@uni.example", "guest_post")
    relay = email.utils.parseaddr(sender)[1]
    assert any(f"Sent through {relay} (a web form or relay)" in w for w in row["warnings"])
    received = next(e for e in _history(cli, config, row["reference"])
                    if e["event"] == "received")
    assert received["relayed_by"] == relay


@pytest.mark.parametrize(("sender", "reply_to", "headers"), [
    # Our own acknowledgement coming back, whatever its Reply-To says.
    ("submissions@journal.example.org", "ana@uni.example",
     {"X-Intake-Loop": "submissions@journal.example.org"}),
    # A no-reply sender whose Reply-To is itself automatic, or our own address.
    ("noreply@shop.example", "no-reply@shop.example", {}),
    ("noreply@shop.example", "submissions@journal.example.org", {}),
    # A bounce does not become a person's mail by carrying a Reply-To.
    ("MAILER-DAEMON@mx.example.net", "ana@uni.example", {}),
])
def test_a_reply_to_never_turns_automatic_mail_into_a_person(
        sender: str, reply_to: str, headers: dict[str, str]) -> None:
    from intake.rules.automatic import relayed_author

    msg = parse_message(_relayed(sender, reply_to, 1, **headers))
    assert not relayed_author(msg, OWN)
    assert detect(msg, OWN) is not None
