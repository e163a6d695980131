"""Guideline checks per kind and the medical privacy screen, through `intake ingest` with
acknowledgements delivered to aiosmtpd: warnings for editors, plain words for authors."""

from __future__ import annotations

import email
import zlib
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from intake.demo.samples import DOCX, noisy_png, text_docx
from intake.demo.samples import email as make_email
from intake.ledger.store import read_front_matter
from tests.conftest import CliResult, SmtpServer, eml_folder

Configure = Callable[..., Path]
SENTENCE = ("Night shifts change how students sleep, eat and learn, and the first weeks "
            "are the hardest for almost everyone who tries them. ")  # 22 words
BIO = ["# About the author", "Ana Lima is a fourth-year medical student."]


def _words(n: int) -> list[str]:
    return [SENTENCE * 10] * (n // 220)


def _run(tmp_path: Path, smtp: SmtpServer, config: Path, cli: Callable[..., CliResult],
         data: bytes) -> tuple[dict[str, Any], str, str]:
    """Ingest one message: its front matter, the acknowledgement's text and HTML."""
    result = cli("--config", config, "ingest", eml_folder(tmp_path, [data]))
    assert result.code == 0, result.err
    ack: EmailMessage = email.message_from_bytes(smtp.handler.messages[-1].data,
                                                 policy=policy.default)
    ref = str(ack["X-Intake-Reference"])
    front = read_front_matter(config.parent / "var" / "drafts" / ref / "draft.md")
    text = ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = ack.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return front, " ".join(text.split()), html


def _post(doc: bytes, *, subject: str = "Guest post: night shifts",
          body: str = "Please find attached my guest post.",
          extra: tuple[tuple[str, str, bytes], ...] = ()) -> bytes:
    return make_email("Ana Lima <ana@uni.example>", subject, body,
                      attachments=(("post.docx", DOCX, doc), *extra),
                      message_id=f"<{zlib.crc32(doc)}@uni.example>")


def test_a_post_within_the_guidelines_has_no_findings(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings())
    references = ["# References",
                  "1. Smith J, Jones M. Sleep after nights. BMJ. 2019;364:l1234. "
                  "doi:10.1136/bmj.l1234",
                  "2. WHO. Shift work. Geneva 2020, pp. 123-456, tel. 022 791 2111."]
    doc = text_docx("Sleep on nights", ["In 2019, 1 200 000 students took 3 exams.",
                                        *_words(1200), *BIO, *references])
    front, text, _ = _run(tmp_path, smtp, config, cli, _post(doc))
    assert front["warnings"] == [] and front["privacy"] == []  # nothing in references
    assert "against our guidelines" not in text
    assert "within 14 days" in text


def test_length_title_bio_and_links_are_reported_to_editor_and_author(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings())
    links = tuple(f"https://site{n}.example.com/page" for n in range(12))
    doc = text_docx(None, ["Some thoughts.", *_words(4180), "# References",
                           *[f"Author {n}. A paper. https://doi.org/10.1000/{n}"
                             for n in range(30)],
                           "# Further reading"], links=links)  # links after references
    front, text, html = _run(tmp_path, smtp, config, cli, _post(doc))
    words = front["word_count"]
    assert 4100 < words < 4300, words  # the text, headings and link texts
    assert front["word_count_with_references"] > words  # references are left out
    assert f"Your article is {words:,} words; guest posts are 800-2,500 words. You can " \
           "reply to this email with a shorter version." in text
    assert "We could not find a title in your document." in text
    assert "We could not find a short author bio." in text
    assert "Your article links to other sites 12 times; guest posts allow at most 10" in text
    assert "Your article is" in html
    warnings = front["warnings"]
    assert f"Length: {words:,} words (references left out); guest posts are " \
           "800-2,500 words." in warnings
    assert "No title in the manuscript: the email's subject was used." in warnings
    assert any(w.startswith("No author bio found") for w in warnings)
    assert any(w.startswith("12 links to other sites") for w in warnings)


def test_image_count_and_size(tmp_path: Path, smtp_factory: Callable[..., SmtpServer],
                              make_config: Configure, cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), **{
        "kinds.guest_post": {"label": "Guest post", "subject": ["guest post"],
                             "needs_manuscript": True, "max_images": 2, "max_image_kb": 8},
        "kinds.other": {"label": "Message"}})
    doc = text_docx("Pictures", [*_words(900), *BIO], images=2)
    big = noisy_png(64)  # 12 KB of pixels
    front, text, _ = _run(tmp_path, smtp, config, cli,
                          _post(doc, extra=(("ward.png", "image/png", big),)))
    assert "Your submission has 3 images; guest posts take at most 2." in text
    assert "Some images are larger than 8 KB (ward.png (13 KB))" in text
    assert "3 images; guest posts take at most 2." in front["warnings"]


def test_sponsored_articles_need_a_disclosure(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings())
    article = ["# Spaced repetition for finals", *_words(700)]
    enquiry = "Attached is the paid article we discussed, for publication next month."
    front, text, _ = _run(tmp_path, smtp, config, cli, make_email(
        "Claire <claire@medsupply.example>", "Sponsored article for your blog", enquiry,
        attachments=(("paid.docx", DOCX, text_docx("Spaced repetition", article)),)))
    assert front["kind"] == "sponsored"
    assert "No disclosure statement (the text does not say it is sponsored)." in \
        front["warnings"]
    assert "Sponsored articles must say so in the text." in text

    disclosed = [*article, "This article is sponsored by MedSupply."]
    front, text, _ = _run(tmp_path, smtp, config, cli, make_email(
        "Claire <claire@medsupply.example>", "Sponsored article, version with disclosure",
        enquiry, attachments=(("paid2.docx", DOCX, text_docx("Spaced repetition", disclosed)),),
        message_id="<disclosed@medsupply.example>"))
    assert not any("disclosure" in w for w in front["warnings"])

    # An enquiry without an article is not held to an article's guidelines.
    front, text, _ = _run(tmp_path, smtp, config, cli, make_email(
        "Claire <claire@medsupply.example>", "Advertorial", "What are your rates for an "
        "advertorial with two backlinks?", message_id="<enquiry@medsupply.example>"))
    assert front["warnings"] == [] and "against our guidelines" not in text


CASE = [
    "# Case presentation",
    "Mr John Smith, a 67-year-old retired teacher, presented with crushing chest pain.",
    "His DOB: 03/04/1958 and MRN: 4456 7781 were on the handover sheet.",
    "His daughter asked us to call her on +44 20 7946 0018 or write to "
    "jane.smith@example.net with news.",
    "# Reflection",
    "The patient, Mary Jones, taught me more about listening than any lecture.",
    "NHS number 943 476 5919 appeared on a photo I almost included.",
    *_words(900), *BIO,
]


def test_a_photo_caption_naming_a_patient_is_flagged(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings())
    doc = text_docx("Wound care", [*_words(900), *BIO], images=1,
                    image_alt="Mrs Ellen Price on the ward after surgery")
    front, _, _ = _run(tmp_path, smtp, config, cli, _post(doc))
    assert [f["what"] for f in front["privacy"]] == ["a photo whose caption names a person"]
    assert "Ellen Price" in front["privacy"][0]["excerpt"]


def test_privacy_screen_flags_with_where_and_never_edits(
        tmp_path: Path, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Callable[..., CliResult]) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings())
    front, text, _ = _run(tmp_path, smtp, config, cli,
                          _post(text_docx("A case that changed me", CASE)))
    flags = front["privacy"]
    found = {(f["what"], f["where"]) for f in flags}
    case = 'under "Case presentation"'
    # Paragraphs as an editor counts them in the draft: headings are not paragraphs.
    assert ("a name next to clinical details", f"paragraph 1 {case}") in found
    assert ("a date of birth", f"paragraph 2 {case}") in found
    assert ("a medical record number", f"paragraph 2 {case}") in found
    assert ("a phone number", f"paragraph 3 {case}") in found
    assert ("an e-mail address", f"paragraph 3 {case}") in found
    assert ("a name next to clinical details", 'paragraph 4 under "Reflection"') in found
    assert any(f["what"] == "a medical record number" and "943 476 5919" in f["excerpt"]
               for f in flags)
    assert not any("ana@uni.example" in f["excerpt"] for f in flags)
    assert any(w.startswith("Possible patient identifier (a date of birth) in paragraph 2")
               for w in front["warnings"])
    # Flags only: the author's text is in the draft exactly as written, and the author is
    # not told (the editor decides what to ask).
    draft = (config.parent / "var" / "drafts" / front["reference"] / "draft.md").read_text()
    assert "His DOB: 03/04/1958 and MRN: 4456 7781" in draft
    assert "patient identifier" not in text


def test_the_screens_word_checks_clear_nothing_its_patterns_would_flag() -> None:
    """The screen skips a pattern when the words it needs are absent (privacy.py); the
    check must see them as the case-blind pattern does, letters it folds included."""
    from intake.drafts.privacy import screen

    cases = {
        "Date of b\u0131rth: 12/03/1987.": "a date of birth",  # dotless i
        "DATE OF B\u0130RTH 12/03/1987.": "a date of birth",  # dotted capital I
        "\u017fSN: 123 456 789 0.": "an insurance or social security number",  # long s
        "Her number is 123-45-6789.": "an insurance or social security number",  # bare
        "MRN 4456 7781 was on the form.": "a medical record number",
        "Call +44 20 7946 0958 today.": "a phone number",
        "Peter Smith, a 45-year-old, was admitted.": "a name next to clinical details",
    }
    for text, what in cases.items():
        assert what in [f.what for f in screen(text)], text
    assert screen("Students who prepare report feeling more involved on the ward.") == []
