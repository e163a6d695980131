"""The author's bio and the references are found; references do not count as words."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.core.config import DraftsSection, KindRule
from intake.demo.samples import DOCX, article_docx, cv_docx, tiny_png
from intake.demo.samples import email as make_email
from intake.drafts.build import build_draft
from intake.drafts.sections import count_links, find_sections
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


# The links to web pages, as one pattern: count_links must count exactly what it finds.
_ONE_PATTERN = re.compile(r"\]\(\s*<?https?://|(?<![(<\w])https?://", re.I)


def test_links_are_markdown_targets_and_bare_addresses() -> None:
    text = ("See [the guide](https://a.example/g); https://c.example is bare; "
            "[x]( <HTTPS://d.example>) too. Not these: (http://e.example), "
            "xhttp://f.example, [mail](mailto:a@b.example), [in](#top).")
    assert count_links(text) == 3 == len(_ONE_PATTERN.findall(text))
    assert count_links("http://start.example") == 1


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("](<> \t\n\u00a0hHtTpPsS\u017f:/_a1(é\u0345")),
               max_size=60))
def test_link_count_equals_the_one_pattern(text: str) -> None:
    assert count_links(text) == len(_ONE_PATTERN.findall(text))


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\r\u00a0a#")), max_size=40))
def test_tidy_equals_its_two_patterns(text: str) -> None:
    """tidy() skips a pattern where it cannot match; the result is the patterns'."""
    from intake.convert.markdown import tidy

    expected = re.sub(r"\n{3,}", "\n\n", re.sub(r"(?<![ \t])[ \t]+\n", "\n", text)).strip("\n")
    assert tidy(text) == (expected + "\n" if expected else "")
