"""Word documents built by the tests, XML and all, to pin down what the converter does."""

# ruff: noqa: E501  (OOXML boilerplate reads best unwrapped)

from __future__ import annotations

import io
import zipfile

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
{extra}
</Types>"""
PACKAGE_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"""
DOC_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
{rels}
</Relationships>"""


def docx_from_body(body: str, *, rels: str = "", extra_parts: dict[str, bytes] | None = None,
                   extra_types: str = "") -> bytes:
    """A minimal valid .docx whose body is the given WordprocessingML."""
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{body}</w:body>'
                f"</w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(extra=extra_types))
        zf.writestr("_rels/.rels", PACKAGE_RELS)
        zf.writestr("word/_rels/document.xml.rels", DOC_RELS.format(rels=rels))
        zf.writestr("word/document.xml", document)
        for name, data in (extra_parts or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


def zip_parts(members: dict[str, bytes]) -> bytes:
    """A zip of these members, as a package (hostile or damaged ones included)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def para(*runs: str, ppr: str = "") -> str:
    return f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{''.join(runs)}</w:p>"


def run(text: str, rpr: str = "") -> str:
    return f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
ENDNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml"
COMMENTS_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"


def with_parts(body: str, *, footnotes: dict[str, str] | None = None,
               endnotes: dict[str, str] | None = None,
               comments: list[tuple[str, str]] | None = None) -> bytes:
    """A .docx with footnotes, endnotes and comments parts (id → body text of the note)."""
    rels, types, parts = [], [], {}
    for name, notes, tag, ct in (("footnotes", footnotes, "footnote", FOOTNOTES_CT),
                                 ("endnotes", endnotes, "endnote", ENDNOTES_CT)):
        if notes is None:
            continue
        xml = "".join(
            f'<w:{tag} w:id="{i}">{para(run(text))}</w:{tag}>' for i, text in notes.items())
        separator = f'<w:{tag} w:type="separator" w:id="-1">{para(run("----"))}</w:{tag}>'
        parts[f"word/{name}.xml"] = (f'<w:{name} xmlns:w="{W_NS}">{separator}{xml}'
                                     f"</w:{name}>").encode()
        rels.append(f'<Relationship Id="rId{name}" Type="{REL}/{name}" Target="{name}.xml"/>')
        types.append(f'<Override PartName="/word/{name}.xml" ContentType="{ct}"/>')
    if comments is not None:
        xml = "".join(f'<w:comment w:id="{i}" w:author="{a}" w:date="2026-11-01T10:00:00Z">'
                      f"{para(run(t))}</w:comment>" for i, (a, t) in enumerate(comments))
        parts["word/comments.xml"] = f'<w:comments xmlns:w="{W_NS}">{xml}</w:comments>'.encode()
        rels.append(f'<Relationship Id="rIdc" Type="{REL}/comments" Target="comments.xml"/>')
        types.append(f'<Override PartName="/word/comments.xml" ContentType="{COMMENTS_CT}"/>')
    return docx_from_body(body, rels="".join(rels), extra_parts=parts,
                          extra_types="".join(types))


def field(instruction: str, *result_runs: str) -> str:
    return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve">{instruction}</w:instrText></w:r>'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r>{"".join(result_runs)}'
            f'<w:r><w:fldChar w:fldCharType="end"/></w:r>')
