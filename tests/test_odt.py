"""OpenDocument text: structure, emphasis, links, notes, images; encrypted files refused."""

# ruff: noqa: E501  (the ODF fixture reads best unwrapped)

from __future__ import annotations

import io
import zipfile

import pytest

from intake.convert import ConversionError, convert_document
from intake.core.models import FileType
from intake.core.sniff import sniff
from intake.demo.samples import tiny_png

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
      'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:dc="http://purl.org/dc/elements/1.1/"')

CONTENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content {NS}>
<office:automatic-styles>
 <style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
 <style:style style:name="T2" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
</office:automatic-styles>
<office:body><office:text>
 <text:h text:outline-level="1">Night shifts</text:h>
 <text:p>Sleep is <text:span text:style-name="T1">not</text:span> optional,<text:s text:c="2"/>says <text:span text:style-name="T2">everyone</text:span>.<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>Smith 2020.</text:p></text:note-body></text:note></text:p>
 <text:list text:style-name="L1"><text:list-item><text:p>Rest</text:p><text:list><text:list-item><text:p>Nap</text:p></text:list-item></text:list></text:list-item></text:list>
 <text:p>See <text:a xlink:href="https://example.org/sleep">the guide</text:a> or <text:a xlink:href="javascript:alert(1)">this</text:a>.</text:p>
 <text:p><draw:frame><svg:desc>A sleeping doctor</svg:desc><draw:image xlink:href="Pictures/nap.png"/></draw:frame></text:p>
 <table:table><table:table-row><table:table-cell><text:p>Shift</text:p></table:table-cell><table:table-cell><text:p>Hours</text:p></table:table-cell></table:table-row>
 <table:table-row><table:table-cell><text:p>Night</text:p></table:table-cell><table:table-cell><text:p>12</text:p></table:table-cell></table:table-row></table:table>
</office:text></office:body></office:document-content>"""

META = f"""<?xml version="1.0"?><office:document-meta {NS}><office:meta><dc:title>Night shifts: a guide</dc:title></office:meta></office:document-meta>"""


def _odt(manifest: bytes = b"<manifest/>") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text",
                    compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", CONTENT)
        zf.writestr("meta.xml", META)
        zf.writestr("Pictures/nap.png", tiny_png())
        zf.writestr("META-INF/manifest.xml", manifest)
    return out.getvalue()


def test_odt_converts_with_structure() -> None:
    data = _odt()
    assert sniff(data) is FileType.ODT
    result = convert_document("a.odt", data, FileType.ODT)
    assert result.title == "Night shifts: a guide"
    assert result.markdown == (
        "# Night shifts\n\n"
        "Sleep is **not** optional,  says *everyone*.[^1]\n\n"
        "- Rest\n    - Nap\n\n"
        "See [the guide](https://example.org/sleep) or this.\n\n"
        "![A sleeping doctor](assets/image-001.png)\n\n"
        "| Shift | Hours |\n| --- | --- |\n| Night | 12 |\n\n"
        "[^1]: Smith 2020.\n")
    assert [a.name for a in result.assets] == ["image-001.png"]


def test_password_protected_odt_is_refused() -> None:
    locked = _odt(b'<manifest:manifest><manifest:encryption-data/></manifest:manifest>')
    with pytest.raises(ConversionError, match=r"locked\.odt is password-protected"):
        convert_document("locked.odt", locked, FileType.ODT)
