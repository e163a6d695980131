"""Authors answered in their own language (issue 35): the language told from short and
mixed messages, a template set complete in every language, and a French and a Spanish
submission answered in theirs through a real IMAP server and a real SMTP server."""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta

from intake.core.languages import NAMES, detect, number, own_words_of, when
from intake.demo.samples import DOCX, text_docx
from intake.demo.samples import email as make_email
from intake.mail.templates import AUTHOR_TEMPLATES, PARTS, bundled_templates
from tests.conftest import CliResult, ImapAccount, SmtpServer

ALL = ("en", "es", "fr", "pt", "de")


# -- telling the language ---------------------------------------------------------------

@pytest.mark.parametrize(("body", "language"), [
    # One line, as authors write when the file says the rest.
    ("Bonjour, voici mon article pour le blog.", "fr"),
    ("Hola, adjunto mi artículo para el blog.", "es"),
    ("¿Todavía buscan editores?", "es"),
    ("Olá, segue em anexo o meu artigo.", "pt"),
    ("Vocês pagam pelos textos publicados?", "pt"),
    ("Anbei mein Lebenslauf und das Anschreiben.", "de"),
    ("Gibt es noch freie Stellen in der Redaktion?", "de"),
    ("Please find my article attached.", "en"),
    ("Are there any openings for editors?", "en"),
])
def test_a_short_message_is_told(body: str, language: str) -> None:
    found = detect(body, "", ALL, "en")
    assert (found.language, found.source) == (language, "message")


def test_a_line_too_short_to_tell_is_not_guessed() -> None:
    # "Adjunto CV." is Spanish, and as good Portuguese to a detector: no guess is made
    # from it; the document decides, or the default does.
    for body in ("Adjunto CV.", "Ci-joint mon CV."):
        assert detect(body, "", ALL, "en").source == "default"
    cv = ("Curriculum vitae. Expérience : interne en médecine générale au centre "
          "hospitalier de Lyon, puis stage de recherche en santé publique.")
    told = detect("Ci-joint mon CV.", cv, ALL, "en")
    assert (told.language, told.source) == ("fr", "document")


def test_a_mixed_message_is_answered_in_the_language_most_of_it_is_in() -> None:
    # An English greeting, then French: the author writes French.
    assert detect("Hi, je vous envoie mon article sur le sommeil des internes. Merci "
                  "beaucoup pour votre temps.", "", ALL, "en").language == "fr"
    # Spanish, then an English sign-off.
    assert detect("Estimados editores, les envío mi artículo sobre la salud mental de "
                  "los estudiantes de medicina. Best regards", "", ALL, "en").language == "es"


def test_what_the_author_did_not_write_is_left_out() -> None:
    body = ("Hallo, anbei mein Beitrag für den Wettbewerb.\n\n"
            "> On Monday the editors wrote:\n> Please send us the article as a Word file,\n"
            "> and tell us the title and the word count of the piece.\n"
            "-- \nDr. Jana Weber, Universitätsklinikum Example, https://example.org\n")
    assert "editors wrote" not in own_words_of(body)
    assert "example.org" not in own_words_of(body)
    assert detect(body, "", ALL, "en").language == "de"


def test_too_few_words_defer_to_the_document_then_to_the_default() -> None:
    document = ("El sueño de los residentes de guardia es un tema olvidado en la formación "
                "médica, y sus consecuencias para los pacientes son reales.")
    told = detect("CV", document, ALL, "en")
    assert (told.language, told.source) == ("es", "document")
    for body in ("", "👍", "CV", "Ana Lima +44 20 7946 0000"):
        assert detect(body, "", ALL, "fr").source == "default"
        assert detect(body, "", ALL, "fr").language == "fr"


def test_only_offered_languages_are_answered_in() -> None:
    # Not offered: German is never chosen, and one language offered loads no detector.
    told = detect("Anbei mein Lebenslauf und das Anschreiben.", "", ("en", "fr"), "en")
    assert told.language in ("en", "fr")
    assert detect("Ci-joint mon CV.", "", ("en",), "en").source == "default"


def test_dates_and_numbers_are_written_as_each_language_writes_them() -> None:
    closes = datetime(2027, 1, 31, 23, 59, tzinfo=UTC)
    assert when(closes, "en") == "31 January 2027, 23:59 (UTC)"
    assert when(closes, "fr") == "31 janvier 2027, 23:59 (UTC)"
    assert when(closes, "es") == "31 de enero de 2027, 23:59 (UTC)"
    assert when(closes, "de") == "31. Januar 2027, 23:59 (UTC)"
    assert when(closes, "pt") == "31 de janeiro de 2027, 23:59 (UTC)"
    assert number(4180, "en") == "4,180" and number(4180, "de") == "4.180"
    assert number(4180, "fr").replace("\u202f", " ") == "4 180"


# -- the template set -------------------------------------------------------------------

def _variables(folder: Path, name: str) -> set[str]:
    env = jinja2.Environment(autoescape=False)  # noqa: S701 - parsed, never rendered
    env.filters["thousands"] = str
    return set(meta.find_undeclared_variables(env.parse((folder / name).read_text())))


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("language", [code for code in NAMES if code != "en"])
def test_every_language_has_every_author_template_with_the_same_variables(
        language: str) -> None:
    root = bundled_templates()
    folder = root / language
    wanted = {f"{name}.{part}" for name in AUTHOR_TEMPLATES for part in PARTS}
    assert wanted <= _files(folder), sorted(wanted - _files(folder))
    # And every part those include or extend: a French email is French throughout.
    partials = {n for n in _files(root) if n.startswith("_")}
    assert partials <= _files(folder), sorted(partials - _files(folder))
    for name in sorted(_files(folder)):
        english, translated = _variables(root, name), _variables(folder, name)
        # Nothing the English template is not given; nothing it tells the author left
        # out, but the kind's label, which is the settings' English word (a translation
        # names the submission in its own words).
        assert translated <= english, (name, translated - english)
        assert english - translated <= {"kind_label"}, (name, english - translated)


@pytest.mark.parametrize("language", ALL)
def test_the_reference_opens_every_subject_in_every_language(language: str) -> None:
    folder = bundled_templates() / ("" if language == "en" else language)
    for name in AUTHOR_TEMPLATES:
        subject = (folder / f"{name}.subject.txt").read_text()
        assert subject.startswith("[{{ reference }}] "), (language, name)
        assert subject.count("{{ reference }}") == 1


# -- through the pipeline ---------------------------------------------------------------

def _answers(smtp: SmtpServer) -> dict[str, email.message.EmailMessage]:
    found = {}
    for received in smtp.handler.messages:
        msg = email.message_from_bytes(received.data, policy=policy.default)
        found[received.rcpt_tos[0]] = msg
    return found


def _text(msg: email.message.EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_french_and_a_spanish_author_are_answered_in_their_language(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer],
        make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), imap=imap.settings())
    french = make_email(
        "Camille Martin <camille.martin@etu.example.fr>", "Proposition d'article invité",
        "Bonjour,\n\nVeuillez trouver ci-joint mon article sur le sommeil des internes de "
        "garde.\n\nBien cordialement,\nCamille", attachments=((
            "Le sommeil des internes.docx", DOCX,
            text_docx("Le sommeil des internes de garde", [
                "Les internes dorment mal pendant les gardes de nuit, et leurs patients "
                "en paient parfois le prix. " * 40])),))
    spanish = make_email(
        "Lucía Gómez <lucia.gomez@alumnos.example.es>", "Artículo para el blog",
        "Hola:\n\nLes envío mi artículo sobre la salud mental de los estudiantes de "
        "medicina.\n\nUn saludo,\nLucía", attachments=((
            "Salud mental.docx", DOCX,
            text_docx("La salud mental de los estudiantes de medicina", [
                "Los estudiantes de medicina sufren ansiedad con más frecuencia que otros "
                "universitarios, y pocas facultades lo abordan. " * 40])),))
    imap.append(french, spanish)
    done = cli("--config", config, "poll", "--since", "2026-01-01")
    assert done.code == 0, done.err
    answers = _answers(smtp)
    fr, es = answers["camille.martin@etu.example.fr"], answers["lucia.gomez@alumnos.example.es"]
    assert re.fullmatch(r"\[JPMS-\d{4}-\d{4}\] Article invité reçu : Le sommeil des internes "
                        r"de garde", str(fr["Subject"])), fr["Subject"]
    assert "Merci pour votre envoi" in _text(fr) and "Thank you" not in _text(fr)
    assert re.fullmatch(r"\[JPMS-\d{4}-\d{4}\] Artículo de autor invitado recibido: La salud "
                        r"mental de los estudiantes de medicina", str(es["Subject"]))
    assert "Gracias por su envío" in _text(es) and "Thank you" not in _text(es)
    html = es.get_body(preferencelist=("html",))
    assert html is not None and '<html lang="es">' in str(html.get_content())

    # The submission keeps the language; an editor's decision follows it, and an
    # editor's own words go out as written.
    shown = cli("--config", config, "queue", "--json")
    assert shown.code == 0
    reference = re.search(r'"reference": "(JPMS-[^"]+)".*lucia', shown.out)
    assert reference is not None, shown.out
    ref = reference.group(1)
    show = cli("--config", config, "show", ref, "--json")
    assert '"language": "es"' in show.out
    reply = cli("--config", config, "reply", ref, "--as", "ana", "--yes", "-m",
                "Could you add two references for the statistics?")
    assert reply.code == 0, reply.err
    assert cli("--config", config, "poll", "--since", "2026-01-01").code == 0
    latest = email.message_from_bytes(smtp.handler.messages[-1].data, policy=policy.default)
    body = _text(latest)
    assert "Could you add two references for the statistics?" in body
    assert "Estimado/a Lucía Gómez:" in body and "Referencia:" in body

    # Changed by an editor: the next email is in the language chosen.
    changed = cli("--config", config, "reclassify", ref, "--language", "pt", "--as", "ana")
    assert changed.code == 0, changed.err
    assert cli("--config", config, "reply", ref, "--as", "ana", "--yes", "-m",
               "Obrigado!").code == 0
    assert cli("--config", config, "poll", "--since", "2026-01-01").code == 0
    last = _text(email.message_from_bytes(smtp.handler.messages[-1].data,
                                          policy=policy.default))
    assert "Prezado(a) Lucía Gómez," in last and "Referência:" in last


# -- settings, and a decision's own words -----------------------------------------------

@pytest.mark.parametrize(("sections", "said"), [
    ({"languages": {"offered": ["en", "it"]}}, "[languages] offered"),
    ({"languages": {"offered": ["en", "fr"], "default": "de"}}, "[languages] default"),
    ({"reasons": {"scope": {"fr": "Hors sujet."}}}, "[reasons] scope"),
    ({"reasons": {"scope": {"en": "Out of scope.", "it": "Fuori tema."}}}, "[reasons] scope"),
])
def test_wrong_language_settings_are_named(sections: dict[str, dict[str, object]], said: str,
                                           make_config: Callable[..., Path],
                                           cli: Callable[..., CliResult]) -> None:
    result = cli("--config", make_config(**sections), "queue")
    assert result.code == 2 and said in result.err, result.err


def test_a_rejection_reason_is_worded_in_the_authors_language(
        tmp_path: Path, make_config: Callable[..., Path],
        cli: Callable[..., CliResult]) -> None:
    from tests.conftest import eml_folder

    config = make_config(
        reasons={"scope": {"en": "It falls outside our scope.",
                           "fr": "Ce texte sort du cadre de notre blog."}},
        **{"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org"}})
    message = make_email(
        "Camille Martin <camille@etu.example.fr>", "Article invité",
        "Bonjour, veuillez trouver ci-joint mon article pour votre blog. Merci !",
        attachments=(("article.docx", DOCX, text_docx("Le sommeil", [
            "Les internes dorment mal pendant les gardes de nuit. " * 60])),))
    assert cli("--config", config, "ingest", eml_folder(tmp_path, [message])).code == 0
    rejected = cli("--config", config, "reject", "JPMS-2026-0001", "--reason", "scope",
                   "--as", "ana", "--yes")
    assert rejected.code == 0, rejected.err
    assert cli("--config", config, "send").code == 0
    sent = sorted((config.parent / "sent").glob("*.eml"))
    last = email.message_from_bytes(sent[-1].read_bytes(), policy=policy.default)
    assert "Notre décision" in str(last["Subject"])
    text = _text(last)
    assert "Ce texte sort du cadre de notre blog." in text
    assert "It falls outside" not in text
