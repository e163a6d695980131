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
    assert missing.code == 2 and "no such file or folder" in missing.err


def test_convert_many_files_and_folders_in_one_run(tmp_path: Path,
                                                   cli: Callable[..., CliResult]) -> None:
    folder = tmp_path / "in"
    (folder / "more").mkdir(parents=True)
    for n, where in enumerate([folder, folder, folder / "more"]):
        (where / f"post{n}.docx").write_bytes(article_docx(f"Post {n}", image=False))
    (folder / "more" / "post0.docx").write_bytes(article_docx("Same name", image=False))
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "notes.bin").write_bytes(b"not a document")  # not looked at
    single = tmp_path / "alone.docx"
    single.write_bytes(article_docx("Alone", image=False))
    result = cli("convert", folder, single, "-o", tmp_path / "out")
    assert result.code == 1  # one was refused
    assert "broken.docx: the Word file is damaged" in result.err
    summary = result.out.splitlines()[-1]
    assert summary.startswith("converted 5 of 6 document(s) · ") and "refused 1" in summary
    titles = sorted(read_front_matter(p)["title"] for p in (tmp_path / "out").glob("*/draft.md"))
    assert titles == ["Alone", "Post 0", "Post 1", "Post 2", "Same name"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "alone", "post0", "post0-2", "post1", "post2"]
