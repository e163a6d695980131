"""Templates: every one renders; HTML is escaped, text is not; a typo is an error."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from intake.core.config import load_settings
from intake.core.errors import SettingsError
from intake.core.filenames import safe_filename, unique
from intake.mail.templates import SAMPLE_CONTEXT, Notices, clean_header_text
from tests.conftest import REPO

SAMPLE: dict[str, Any] = {
    "reference": "JPMS-2026-0042", "kind": "guest_post", "kind_label": "Guest post",
    "author_name": "Ana <Lima>", "author_email": "ana@uni.example", "subject": "s",
    "title": "Dose & <script>alert(1)</script>", "word_count": 1234,
    "files": [{"name": "a.docx", "role": "manuscript", "type": "docx", "size": 20480}],
    "problem": "the Word file is password-protected",
    "advice": "Please send it again without a password.",
    "findings": ["Your article is 4,180 words; <b>guest posts</b> are 800-2,500 words."],
    "response_days": 14, "revision": 2,
    "message": "Please <script>cut</script> the second section.", "reason": "out_of_scope",
    "reason_text": "Outside our <i>scope</i>.", "editor_name": "Ben <Okafor>",
    "greets": False, "signs": False,
    "since": "2026-11-22 07:00", "total": 1, "event": "reply", "link": "",
    "detail": "When will it <script>appear</script>?",
    "sections": [{"title": "New", "items": [
        {"reference": "JPMS-2026-0042", "title": "<script>x</script>", "kind_label": "Guest post",
         "author": "Ana", "status": "queued", "assignee": "", "age_days": 1, "reason": "",
         "warnings": 0}]}],
}


def _notices(tmp_path: Path, folder: Path | None = None) -> Notices:
    text = (REPO / "settings.toml").read_text()
    if folder:
        text = text.replace('# templates_dir = "templates"', f'templates_dir = "{folder}"')
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return Notices(load_settings(path))


def test_every_template_renders_with_sample_data(tmp_path: Path) -> None:
    notices = _notices(tmp_path)
    names = notices.names()
    assert {"received", "received_guest_post", "received_sponsored", "received_application",
            "received_contest", "received_other", "missing_manuscript",
            "unreadable_file", "revision_received", "accepted", "rejected",
            "changes_requested", "withdrawn", "accepted_application",
            "rejected_application"} <= set(names)
    for name in names:
        if name == "notify_batch":  # to an editor, about several submissions
            rendered = notices.render(name, {**SAMPLE_CONTEXT, **SAMPLE})
            assert "[JPMS-2026-0042]" in rendered.text
            continue
        if name.startswith("desk_"):  # to an editor about their account: no submission
            link = "https://desk.example.org/welcome/Abc_123"
            rendered = notices.render(name, {**SAMPLE_CONTEXT, **SAMPLE, "link": link})
            assert link in rendered.text and f'href="{link}"' in rendered.html
            continue
        if name.startswith(("judge_", "reader_")):  # to a judge or outside reader
            link = "https://desk.example.org/j/Abc_123"
            rendered = notices.render(name, {**SAMPLE_CONTEXT, **SAMPLE, "link": link,
                                             "contest": "Essay prize <b>2026</b>"})
            assert link in rendered.text and f'href="{link}"' in rendered.html
            assert "<b>" not in rendered.html  # autoescaped
            continue
        if name.startswith("contest_"):  # an entry's answers: the contest named
            rendered = notices.render(name, {**SAMPLE_CONTEXT, **SAMPLE,
                                             "contest": "Essay prize 2026"})
            assert "Essay prize 2026" in rendered.subject
        elif name.startswith("stage_"):  # a kind's own road: a price, an interview's time
            rendered = notices.render(name, {**SAMPLE_CONTEXT, **SAMPLE})
            assert SAMPLE_CONTEXT["price"] in rendered.text or \
                SAMPLE_CONTEXT["when"] in rendered.text
        else:
            rendered = notices.render(name, SAMPLE)
        assert "JPMS-2026-0042" in rendered.subject + rendered.text
        assert rendered.text.strip() and "<html" in rendered.html
        # Autoescape: HTML only. The text part shows the title as written.
        assert "<script>" not in rendered.html
        if "title" in rendered.text:
            assert "&lt;" not in rendered.text


def test_html_escapes_and_text_keeps(tmp_path: Path) -> None:
    rendered = _notices(tmp_path).render("received_guest_post", SAMPLE)
    assert "Dose &amp; &lt;script&gt;" in rendered.html
    assert 'Dose & <script>alert(1)</script>' in rendered.text
    assert "about 1,234 words" in rendered.text
    # Guideline findings reach the author, escaped in HTML like everything else.
    assert "  - Your article is 4,180 words; <b>guest posts</b>" in rendered.text
    assert "&lt;b&gt;guest posts&lt;/b&gt;" in rendered.html
    assert "write to you within 14 days with a decision" in rendered.text


def test_a_misspelt_variable_is_an_error_not_a_blank(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    for part in ("subject.txt", "txt", "html"):
        (folder / f"broken.{part}").write_text("Hello {{ autor_name }}")
    with pytest.raises(SettingsError, match="autor_name"):
        _notices(tmp_path, folder).render("broken", SAMPLE)


def test_templates_cannot_reach_python(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    for part in ("subject.txt", "txt", "html"):
        (folder / f"evil.{part}").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(SettingsError):
        _notices(tmp_path, folder).render("evil", SAMPLE)


def test_composed_reply_threads_and_marks_itself_automatic(tmp_path: Path) -> None:
    notices = _notices(tmp_path)
    rendered = notices.render("received", SAMPLE)
    msg = notices.compose(rendered, to_name="Ana\r\nBcc: x@evil.example",
                          to_email="ana@uni.example", in_reply_to="<m1@uni.example>",
                          references=("<m0@uni.example>", "bad id\r\nX: y"),
                          reference="JPMS-2026-0042")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X"] is None
    assert parsed["References"] == "<m0@uni.example> <m1@uni.example>"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["X-Intake-Reference"] == "JPMS-2026-0042"
    no_thread = notices.compose(rendered, to_name="A", to_email="a@b.example",
                                in_reply_to="not-a-message-id")
    assert no_thread["In-Reply-To"] is None


def test_a_reply_in_other_scripts_reads_back_as_written_with_crlf_lines(tmp_path: Path) -> None:
    """Replies to ASCII addresses are built with the classic email API (templates.py):
    names, subjects and bodies in any script come back intact, every line ends in CRLF
    (SMTP sends the bytes as they are), and plain ASCII text stays readable (7bit)."""
    from intake.mail.templates import Rendered

    notices = _notices(tmp_path)
    subject = "Reçu : « 睡眠と夜勤 » — " + "très long sujet " * 12
    rendered = Rendered(clean_header_text(subject), "Merci — 受け取りました.\n", "<p>ok</p>\n")
    msg = notices.compose(rendered, to_name='Zoë "Q" O\'Brien, MD', to_email="zoe@uni.example",
                          in_reply_to="<m1@uni.example>")
    data = msg.as_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert parsed["To"].addresses[0].display_name == 'Zoë "Q" O\'Brien, MD'
    assert parsed["To"].addresses[0].addr_spec == "zoe@uni.example"
    assert str(parsed["Subject"]) == clean_header_text(subject)
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == "Merci — 受け取りました.\n"
    assert html["Content-Transfer-Encoding"] == "7bit"
    assert html.get_content().replace("\r\n", "\n") == "<p>ok</p>\n"
    assert not parsed.defects and not any(part.defects for part in parsed.walk())


def test_the_boundary_is_one_the_text_does_not_hold(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An author's words are in the reply's text; a boundary they hold would cut it."""
    import secrets

    from intake.mail.templates import Rendered

    tokens = iter(["a" * 32, "b" * 32])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(tokens))
    notices = _notices(tmp_path)
    rendered = Rendered("Received", f"Your title: =_intake_{'a' * 32}\n", "<p>ok</p>\n")
    data = notices.compose(rendered, to_name="A", to_email="a@uni.example").as_bytes()
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert parsed.get_boundary() == f"=_intake_{'b' * 32}"
    plain = parsed.get_body(("plain",))
    assert plain is not None and "=_intake_" + "a" * 32 in plain.get_content()


def test_the_reply_to_setting_is_written_as_an_address(tmp_path: Path) -> None:
    from dataclasses import replace

    from intake.mail.templates import Rendered

    notices = _notices(tmp_path)
    rendered = Rendered("Received", "Thanks.\n", "<p>Thanks.</p>\n")
    for setting, expected in (("Rédaction <eds@journal.example.org>",
                               "Rédaction <eds@journal.example.org>"),
                              ("eds@journal.example.org", "eds@journal.example.org"),
                              ("not an address", None)):
        notices.settings = replace(notices.settings, smtp=replace(notices.settings.smtp,
                                                                  reply_to=setting))
        msg = notices.compose(rendered, to_name="A", to_email="a@uni.example")
        parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
        assert (str(parsed["Reply-To"]) if parsed["Reply-To"] else None) == expected


def test_clean_header_text() -> None:
    assert clean_header_text("a\r\nb\x00c\td\u2028e") == "a b c d e"
    assert len(clean_header_text("x" * 500)) == 200


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"),
    ("a\x00b.docx", "ab.docx"), ("CON", "fallback.bin"), ("   ", "fallback.bin"),
    ("ré sumé.docx", "ré sumé.docx"), ("a:b|c?.pdf", "a_b_c_.pdf"), (".hidden", "hidden"),
    (None, "fallback.bin"),
])
def test_safe_filenames(name: str | None, expected: str) -> None:
    assert safe_filename(name, "fallback.bin") == expected


def test_long_names_keep_their_extension_and_names_are_unique() -> None:
    long = safe_filename("x" * 300 + ".docx", "f")
    assert len(long) == 120 and long.endswith(".docx")
    taken: set[str] = set()
    assert [unique(n, taken) for n in ("a.docx", "A.docx", "a.docx")] == \
        ["a.docx", "A (2).docx", "a (3).docx"]


# Pieces of header values, plain and not, that add up to lengths around the line's end.
_HEADER_TEXT = st.lists(st.sampled_from(["a", "Word", "submission", "<ab@c.example>", " ", " ",
                                         "  ", "\t", "é", "=?", "?=", "\"", "(x)", ":;,"]),
                        max_size=40).map("".join)


@given(name=st.sampled_from(["Subject", "To", "X-Intake-Reference", "References"]),
       value=_HEADER_TEXT)
@example(name="Subject", value="x" * 69)  # one short of and at the line's end
@example(name="Subject", value="x" * 70)
@example(name="Subject", value="x" * 71)
@example(name="Subject", value="a  b")
@example(name="Subject", value=" a b ")
@example(name="Subject", value="=?utf-8?q?a?= b")
def test_a_plain_header_line_is_written_as_the_folding_would(name: str, value: str) -> None:
    """The shortcut for short plain header lines gives what compat32's folding gives."""
    from email.policy import compat32

    from intake.mail.templates import _WIRE

    folding = compat32.clone(linesep="\r\n", max_line_length=78)
    assert _WIRE.fold_binary(name, value) == folding.fold_binary(name, value)


def test_the_plain_line_shortcut_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short plain lines never reach the folding machinery (what makes writing a reply
    cheap); anything else still does."""
    from email.policy import Compat32

    from intake.mail.templates import _WIRE

    folded: list[str] = []
    original = Compat32.fold_binary

    def counting(self: Compat32, name: str, value: str) -> bytes:
        folded.append(name)
        return original(self, name, value)

    monkeypatch.setattr(Compat32, "fold_binary", counting)
    _WIRE.fold_binary("Subject", "A short subject")
    assert folded == []
    _WIRE.fold_binary("Subject", "Ünïcode")
    _WIRE.fold_binary("Subject", "x " * 60)
    assert folded == ["Subject", "Subject"]


def test_a_reply_that_greets_and_signs_off_itself_is_not_framed_twice(
        tmp_path: Path) -> None:
    from intake.mail.framing import greets, signs

    notices = _notices(tmp_path)
    own = "Dear Priya,\n\nCould you add a photo credit?\n\nBest wishes,\nAna"
    framed = notices.render("reply", {**SAMPLE, "message": own, "author_name": "Priya Raman",
                                      "greets": greets(own), "signs": signs(own)})
    assert framed.text.count("Dear ") == 1 and "Dear Priya Raman" not in framed.text
    assert "With best wishes" not in framed.text and framed.text.count("Best wishes") == 1
    assert framed.html.count("Dear ") == 1 and "With best wishes" not in framed.html
    plain = "Could you add a photo credit? Thanks for your patience with this."
    framed = notices.render("reply", {**SAMPLE, "message": plain, "author_name": "Priya Raman",
                                      "greets": greets(plain), "signs": signs(plain)})
    assert framed.text.startswith("Dear Priya Raman,") and "With best wishes" in framed.text
    for words, expected in (("Hola Priya:\nGracias.\nSaludos,\nAna", (True, True)),
                            ("Liebe Priya,\nDanke!\nViele Grüße\nAna", (True, True)),
                            ("Bonjour,\nMerci pour l'article.\nCordialement", (True, True)),
                            ("Please send the figures.\nBest, Ana", (False, True))):
        assert (greets(words), signs(words)) == expected, words
