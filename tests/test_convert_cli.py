"""`intake convert FILE -o DIR`: the converter with no mail, through the real CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from intake.demo.samples import article_docx
from intake.ledger.store import read_front_matter
from tests.conftest import CliResult

DATA = Path(__file__).parent / "data"


def test_convert_writes_a_draft_folder(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    source = tmp_path / "My article.docx"
    source.write_bytes(article_docx("Surviving nights"))
    result = cli("convert", source, "-o", tmp_path / "out")
    assert result.code == 0, result.err
    assert result.out.startswith(f"{tmp_path / 'out' / 'draft.md'} · ")
    front = read_front_matter(tmp_path / "out" / "draft.md")
    assert front["title"] == "Surviving nights"
    assert front["source_files"][0]["name"] == "My article.docx"
    # "Further reading" counts as the references: a link and a picture line.
    assert front["sections"] == {"author_bio": "About the author", "references": 2}
    assert (tmp_path / "out" / "assets" / "image-001.png").is_file()
    assert (tmp_path / "out" / "original" / "My article.docx").read_bytes() == \
        source.read_bytes()


def test_convert_refuses_with_a_reason_and_exit_1(tmp_path: Path,
                                                   cli: Callable[..., CliResult]) -> None:
    result = cli("convert", DATA / "password.pdf", "-o", tmp_path / "out")
    assert result.code == 1
    assert "password.pdf is a password-protected PDF" in result.err
    assert not (tmp_path / "out").exists()
    missing = cli("convert", tmp_path / "nope.docx")
    assert missing.code == 2 and "cannot be read" in missing.err
