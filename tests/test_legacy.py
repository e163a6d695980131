"""Legacy .doc through antiword; kept and marked when antiword is not installed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from intake.convert import ConversionError, convert_document, is_convertible
from intake.convert.legacy import convert_doc
from intake.core.models import FileType
from intake.core.sniff import sniff

DATA = Path(__file__).parent / "data"


@pytest.mark.skipif(shutil.which("antiword") is None and not os.environ.get("CI"),
                    reason="antiword is not installed (apt-get install antiword)")
def test_doc_text_through_antiword() -> None:
    data = (DATA / "raw_text.doc").read_bytes()
    assert sniff(data) is FileType.OLE and is_convertible(FileType.OLE)
    result = convert_document("old.doc", data, FileType.OLE)
    assert result.markdown.startswith("I love word documents. They are lovely.")
    assert result.markdown.count("\n\n") >= 3
    assert "converted by antiword" in result.warnings[0]
    with pytest.raises(ConversionError, match="could not be read as a Word 97-2003 file"):
        convert_document("fake.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
                         FileType.OLE)


def test_without_antiword_the_file_is_kept_and_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = convert_doc("old.doc", (DATA / "raw_text.doc").read_bytes())
    assert result.markdown == ""
    assert "needs converting by hand" in result.warnings[0]


@pytest.mark.skipif(shutil.which("unrtf") is None and not os.environ.get("CI"),
                    reason="unrtf is not installed (apt-get install unrtf)")
def test_rtf_through_unrtf() -> None:
    data = (DATA / "fake-doc.rtf").read_bytes()
    assert sniff(data) is FileType.RTF and is_convertible(FileType.RTF)
    result = convert_document("old.rtf", data, FileType.RTF)
    assert result.markdown.startswith("**My First Heading**\\\nMy first paragraph.\\\n"
                                      "**Table Example:**\n\nColumn 1 Column 2\n\n")
    assert "converted by unrtf" in result.warnings[0]


def test_without_unrtf_the_file_is_kept_and_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    from intake.convert.legacy import convert_rtf

    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = convert_rtf("old.rtf", (DATA / "fake-doc.rtf").read_bytes())
    assert result.markdown == "" and "needs converting by hand" in result.warnings[0]
