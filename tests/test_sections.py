"""The author's bio and the references are found; references do not count as words."""

from __future__ import annotations

from intake.core.config import DraftsSection, KindRule
from intake.demo.samples import DOCX, article_docx, cv_docx, tiny_png
from intake.demo.samples import email as make_email
from intake.drafts.build import build_draft
from intake.drafts.sections import find_sections
from intake.mail.parse import parse_message

ARTICLE = """# Night shifts

Five words in this sentence. And three more here.

## About the author

Sam is a student.

## References

1\\. Smith J. Sleep. 2020.

2\\. Lee K. Rest. 2021.
"""


def test_bio_and_references_are_found_and_references_left_out_of_the_count() -> None:
    found = find_sections(ARTICLE)
    assert found.author_bio == "About the author"
    assert found.references == 2
    # "References" and two entries of five words each ("1 Smith J Sleep 2020").
    assert found.words_with_references - found.words == 11
    assert found.words == 18


def test_bold_and_bare_labels_count_too() -> None:
    text = "Body text here.\n\n**Bibliography:**\n\nOne entry.\n\nAbout me\n\nI write.\n"
    found = find_sections(text)
    assert found.author_bio == "About me"
    assert found.references == 1
    assert found.words == 7  # "Body text here" + "About me" + "I write"


def test_no_sections() -> None:
    found = find_sections("Just a paragraph of five words.\n")
    assert (found.author_bio, found.references, found.words) == (None, 0, 6)


def test_roles_of_several_documents() -> None:
    msg = parse_message(make_email(
        "Priya <p@uni.example>", "Application", "Hello",
        attachments=(("Cover letter.docx", DOCX, article_docx("Why me", image=False)),
                     ("Priya CV.docx", DOCX, cv_docx("Priya")),
                     ("essay.docx", DOCX, article_docx("Essay", image=False)),
                     ("headshot.png", "image/png", tiny_png()))))
    rule = KindRule(name="application", label="Application")
    draft = build_draft(msg, rule, DraftsSection())
    roles = {f.name: f.role for f in draft.source_files}
    assert roles == {"Cover letter.docx": "cover letter", "Priya CV.docx": "cv",
                     "essay.docx": "manuscript", "headshot.png": "headshot"}
    assert draft.author_bio == "About the author"
