"""Opening a Word package without decompressing the parts nothing reads."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx.opc.pkgreader import PackageReader

from intake.convert import word_parts
from intake.convert.dispatch import convert
from intake.core.sniff import sniff
from intake.demo.samples import article_docx
from tests.conftest import CORPUS

EFFECTS = "application/vnd.ms-word.stylesWithEffects+xml"


def _converted(data: bytes) -> object:
    try:
        return convert("a.docx", data, sniff(data))
    except Exception as exc:  # a refusal must be the same refusal
        return repr(exc)


def _whole(data: bytes) -> Any:
    reader: Any = PackageReader
    return reader.from_file(io.BytesIO(data))


def test_the_parts_nothing_reads_are_left_compressed() -> None:
    data = article_docx("An article", paragraphs=3)
    blobs = {ct: blob for _, ct, _, blob in word_parts._read_package(data).iter_sparts()}
    whole = {ct: blob for _, ct, _, blob in _whole(data).iter_sparts()}
    assert len(whole[EFFECTS]) > 100_000  # python-docx's template carries Word 2010's copy
    assert blobs[EFFECTS] == b""
    # What the conversion reads is read as python-docx reads it.
    for kind in ("application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                 ".main+xml"):
        assert blobs[kind] == whole[kind]


def test_a_document_converts_the_same_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    data = article_docx("An article with a figure", paragraphs=12)
    skipping = _converted(data)
    monkeypatch.setattr(word_parts, "_read_package", _whole)
    assert _converted(data) == skipping


@pytest.mark.skipif(not (CORPUS / "docx").is_dir(), reason="corpus not found")
def test_every_corpus_docx_converts_the_same_either_way(
        monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted((CORPUS / "docx").rglob("*.docx"))
    skipping = {path: _converted(path.read_bytes()) for path in paths}
    monkeypatch.setattr(word_parts, "_read_package", _whole)
    assert len(paths) > 50
    for path in paths:
        assert _converted(path.read_bytes()) == skipping[path], path.name
