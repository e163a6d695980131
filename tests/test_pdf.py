"""PDF manuscripts: text and paragraphs recovered; password-protected ones refused."""

from __future__ import annotations

import email
from collections.abc import Callable
from email import policy
from pathlib import Path

import pytest

from intake.convert import ConversionError, convert_document
from intake.core.models import FileType
from intake.core.sniff import sniff
from intake.demo.samples import email as make_email
from tests.conftest import CliResult

DATA = Path(__file__).parent / "data"


def test_text_and_paragraphs_come_through() -> None:
    data = (DATA / "fake-memo.pdf").read_bytes()
    assert sniff(data) is FileType.PDF
    result = convert_document("memo.pdf", data, FileType.PDF)
    assert result.title == "fake-memo"
    assert "There were 20,000 bottles of water, 10,000 blankets" in result.markdown
    assert result.markdown.count("\n\n") >= 2
    assert any("Converted from PDF" in w for w in result.warnings)


def test_password_protected_pdf_is_refused_with_what_to_send() -> None:
    with pytest.raises(ConversionError) as caught:
        convert_document("locked.pdf", (DATA / "password.pdf").read_bytes(), FileType.PDF)
    assert caught.value.reason == "locked.pdf is a password-protected PDF"
    assert "without a password" in caught.value.advice


def test_damaged_pdf_is_refused() -> None:
    with pytest.raises(ConversionError, match="damaged PDF"):
        convert_document("half.pdf", (DATA / "fake-memo.pdf").read_bytes()[:300],
                         FileType.PDF)


def test_locked_pdf_through_the_pipeline_is_quarantined_and_the_author_told(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(make_email(
        "Ana <ana@uni.example>", "Guest post submission", "Please find attached my article.",
        attachments=(("article.pdf", "application/pdf", (DATA / "password.pdf").read_bytes()),)))
    config = make_config()
    result = cli("--config", config, "ingest", inbox)
    assert result.code == 1 and "quarantined 1" in result.out
    (sent,) = (config.parent / "sent").glob("*.eml")
    reply = email.message_from_bytes(sent.read_bytes(), policy=policy.default)
    body = reply.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "we could not open it: article.pdf is a password-protected PDF." in text
    assert "could not open your file" in str(reply["Subject"])
