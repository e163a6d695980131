"""Medical writing checks (issue 34): the article type, the statements each type needs
in five languages, and references in Vancouver style; each finding a line for the author,
grouped, most important first, and a warning for the editor."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from intake.demo.samples import DOCX, text_docx
from intake.demo.samples import email as make_email
from intake.medical.references import check
from intake.medical.statements import found
from intake.medical.types import detect
from tests.conftest import CliResult, eml_folder

Cli = Callable[..., CliResult]

CASE_EN = [
    "# Introduction", "Neonatal jaundice is common; kernicterus is rare. " * 20,
    "# Case presentation",
    "A 34-year-old woman presented with fever and jaundice after a long journey. " * 10,
    "# Discussion", "We report a case that shows why bilirubin matters. " * 20,
    "# Conflict of interest", "None declared.",
    "# Use of AI", "No AI tools were used in writing this article.",
]
RESEARCH_ES = [
    "# Introducción", "La ictericia neonatal es frecuente en nuestro hospital. " * 30,
    "# Métodos", "Realizamos un estudio transversal en 120 recién nacidos. " * 30,
    "# Resultados", "La bilirrubina media fue de 12 mg/dl (IC 95 %, p < 0,05). " * 30,
    "# Discusión", "Nuestros resultados coinciden con la literatura. " * 30,
    "# Conflicto de intereses", "Ninguno.",
    "# Financiación", "No se recibió financiación.",
    "Inteligencia artificial: no se utilizó.",
]
CASE_FR = [
    "# Introduction", "L'ictère néonatal est fréquent. " * 25,
    "# Présentation du cas",
    "Nous rapportons le cas d'une patiente âgée de 34 ans admise pour fièvre. " * 15,
    "# Discussion", "Ce cas illustre l'importance de la bilirubine. " * 25,
    "La patiente a donné son consentement éclairé écrit à la publication.",
    "# Liens d'intérêts", "Aucun.", "Aucune intelligence artificielle n'a été utilisée.",
]
CASE_PT = [
    "# Introdução", "A icterícia neonatal é comum. " * 25,
    "# Relato do caso", "Relatamos o caso de um paciente de 34 anos com febre. " * 15,
    "# Discussão", "Este caso mostra a importância da bilirrubina. " * 25,
    "# Conflitos de interesse", "Nenhum.",
    "Não foi utilizada inteligência artificial.",
]
RESEARCH_DE = [
    "# Einleitung", "Neugeborenengelbsucht ist häufig. " * 30,
    "# Methoden", "Wir führten eine retrospektive Studie an 120 Neugeborenen durch. " * 30,
    "# Ergebnisse", "Das mittlere Bilirubin betrug 12 mg/dl (95 % KI, p < 0,05). " * 30,
    "# Diskussion", "Unsere Ergebnisse stimmen mit der Literatur überein. " * 30,
    "Die Ethikkommission der Universität genehmigte die Studie (Nr. 2026-14).",
    "# Finanzierung", "Keine Förderung.", "Künstliche Intelligenz wurde nicht verwendet.",
]


def test_the_type_is_read_in_five_languages() -> None:
    text = "\n\n".join
    assert detect("Jaundice in a traveller", text(CASE_EN)).type == "case_report"
    assert detect("Ictericia neonatal", text(RESEARCH_ES)).type == "original_article"
    assert detect("Ictère néonatal", text(CASE_FR)).type == "case_report"
    assert detect("Icterícia", text(CASE_PT)).type == "case_report"
    assert detect("Neugeborenengelbsucht", text(RESEARCH_DE)).type == "original_article"
    assert detect("Letter to the editor: on night shifts", "Dear Editor, I read").type == \
        "letter"
    assert detect("Statins in the young: a systematic review", "We searched PubMed").type \
        == "review_article"
    assert detect("Why I chose medicine", "I always liked biology. " * 50).type is None


def test_statements_are_found_as_headings_or_sentences_in_five_languages() -> None:
    text = "\n\n".join
    assert found(text(CASE_EN)) == {"coi", "ai"}
    assert found(text(RESEARCH_ES)) == {"coi", "funding", "ai"}
    assert found(text(CASE_FR)) == {"consent", "coi", "ai"}
    assert found(text(CASE_PT)) == {"coi", "ai"}
    assert found(text(RESEARCH_DE)) == {"ethics", "funding", "ai"}


def _acknowledgement(cli: Cli, config: Path, subject: str, paragraphs: list[str]) -> str:
    mail = [make_email("Priya Raman <priya@med.example.edu>", subject, "My article.",
                       attachments=(("a.docx", DOCX, text_docx(subject, paragraphs)),),
                       message_id=f"<{abs(hash(subject))}@x>")]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    sent = sorted((config.parent / "sent").glob("*.eml"))
    email = message_from_bytes(sent[-1].read_bytes(), policy=policy.default)
    part = email.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_case_report_without_consent_is_asked_for_it_first(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    text = _acknowledgement(cli, config, "Guest post: a case of jaundice", CASE_EN)
    # Grouped, most important first: the statements, then the guidelines (a bio).
    assert text.index("Statements to add:") < text.index("informed consent") < \
        text.index("Our guidelines:") < text.index("author bio")
    shown = cli("--config", config, "show", "JPMS-2026-0001", "--json").out
    assert '"article_type": "case_report"' in shown
    assert "No patient consent found" in shown


def test_a_research_article_without_ethics_approval_is_told_so(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    text = _acknowledgement(cli, config, "Guest post: ictericia neonatal", RESEARCH_ES)
    assert "ethics approval" in text and "conflict-of-interest" not in text


def test_a_french_case_report_with_its_statements_has_no_statement_finding(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    text = _acknowledgement(cli, config, "Guest post: ictère", CASE_FR)
    assert "Statements to add" not in text


def test_references_out_of_order_missing_and_uncited() -> None:
    body = ("Jaundice is common [1]. Kernicterus is rare [3]. Phototherapy works [2]. "
            "Exchange transfusion is last [5].\n\n# References\n\n"
            "1. Smith AB, Jones C. Neonatal jaundice. Lancet. 2019;393:100-5. "
            "doi:10.1016/S0140-6736(19)30001-1\n"
            "2. Lee K. Phototherapy today. BMJ. 2020;370:m100.\n"
            "3. Kernicterus revisited. Pediatrics.\n"
            "4. Ruiz M, Costa P. Never cited. N Engl J Med. 2018;378:1-9. doi:10.bad\n")
    said = " ".join(f.editor for f in check(body))
    assert "cited but not listed: 5" in said
    assert "listed but never cited: 4" in said
    assert "not numbered in the order first cited (3 is cited before 2)" in said
    assert "no authors in 3" in said and "no year in 3" in said
    assert "DOI that is not well formed in 4" in said


def test_author_year_style_is_one_finding_not_fifty() -> None:
    body = " ".join(f"Claim {n} (Smith et al., 20{n:02d})." for n in range(10, 60)) + \
        "\n\n# References\n\nSmith A. A book. 2010.\n"
    findings = check(body)
    assert len(findings) == 1 and "author-year" in findings[0].editor


def test_checks_can_be_turned_off_per_type(make_config: Callable[..., Path],
                                           cli: Cli) -> None:
    config = make_config(**{"types.case_report": {"checks": False}})
    text = _acknowledgement(cli, config, "Guest post: a case of jaundice", CASE_EN)
    assert "Statements to add" not in text


def test_the_type_is_shown_and_changed_on_the_desk_and_the_command_line(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.deskhelp import fields, make_desk, sign_in

    mail = [make_email("Priya Raman <priya@med.example.edu>", "Guest post: a case",
                       "My article.", message_id="<t1@x>", attachments=(
                           ("a.docx", DOCX, text_docx("A case of jaundice", CASE_EN)),))]
    app, config = make_desk(make_config, cli, monkeypatch, mail)
    client = app.test_client()
    assert sign_in(client) == 302
    page = client.get("/s/JPMS-2026-0001/").get_data(as_text=True)
    assert "<dt>Article type</dt><dd>Case report</dd>" in page
    done = client.post("/s/JPMS-2026-0001/type", data={
        "article_type": "letter", **fields(page, "type")}, follow_redirects=True)
    assert "Article type: Letter to the editor." in done.get_data(as_text=True)
    said = cli("--config", config, "reclassify", "JPMS-2026-0001", "--type", "perspective",
               "--as", "ana")
    assert said.code == 0 and "article type letter → perspective" in said.out
    bad = cli("--config", config, "reclassify", "JPMS-2026-0001", "--type", "poem", "--as",
              "ana")
    assert bad.code != 0 and "unknown article type" in bad.err
    history = cli("--config", config, "show", "JPMS-2026-0001", "--json").out
    assert history.count("article type changed") == 2
