"""A Word file's styles read through the index (only the styles a document uses, each
parsed on its own) give the same styles as the part parsed whole, for every shape of
styles part; and a part the index cannot vouch for is parsed whole."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.convert.word_styles import Styles
from tests.conftest import CORPUS
from tests.docgen import W_NS, docx_from_body, para, run

STYLES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
STYLES_REL = ('<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
              '2006/relationships/styles" Target="styles.xml"/>')
IDS = ["Normal", "Heading1", "Title", "ListBullet", "Émphase", 'say "hi"', "it's", "x&y",
       "tab\there"]
NAME = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
SPACE = st.sampled_from([" ", "  ", "\n", "\t", "\r\n "])


def _quote(value: str, mark: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;")
    escaped = escaped.replace('"', "&quot;") if mark == '"' else escaped.replace("'", "&apos;")
    return f"{mark}{escaped}{mark}"


@st.composite
def _style(draw: st.DrawFn) -> str:
    mark = draw(st.sampled_from(['"', "'"]))
    sp = draw(SPACE)
    attributes = [f'w:type={_quote(draw(st.sampled_from(["paragraph", "character"])), mark)}']
    if draw(st.booleans()):
        attributes.append(f"w:styleId{draw(st.sampled_from(['=', ' = ']))}"
                          f"{_quote(draw(st.sampled_from(IDS)), mark)}")
    if draw(st.booleans()):  # a value holding what looks like markup and another id
        attributes.append("w:customStyle='1 > 0 w:styleId=\"Title\"'")
    draw(st.randoms()).shuffle(attributes)
    start = "<w:style" + "".join(f"{draw(SPACE)}{a}" for a in attributes) + draw(
        st.sampled_from(["", " ", "\n"]))
    children = []
    if draw(st.integers(0, 3)):  # a name told apart from every other style's
        name = f"{draw(NAME)} {draw(st.integers())}"
        children.append(f"<w:name w:val={_quote(name, mark)}/>")
    if draw(st.booleans()):
        children.append(f'<w:basedOn w:val={_quote(draw(st.sampled_from(IDS)), mark)}/>')
    ppr = []
    if draw(st.booleans()):
        ppr.append(f'<w:outlineLvl w:val="{draw(st.sampled_from(["0", "2", "8", "x"]))}"/>')
    if draw(st.booleans()):
        ppr.append(f'<w:numPr><w:ilvl w:val="{draw(st.integers(0, 8))}"/>'
                   f'<w:numId w:val="{draw(st.integers(1, 5))}"/></w:numPr>')
    if ppr:
        children.append(f"<w:pPr>{''.join(ppr)}</w:pPr>")
    if not children and draw(st.booleans()):
        return start + "/>"
    return f"{start}>{sp.join(children)}</w:style{draw(st.sampled_from(['', ' ']))}>"


@st.composite
def _styles_part(draw: st.DrawFn) -> bytes:
    styles = draw(st.lists(_style(), max_size=12))
    extras = set(draw(st.lists(st.sampled_from(
        ["comment", "fake in comment", "cdata", "rebound", "second prefix", "nested", "latent",
         "pi", "no declaration"]), max_size=3)))
    if "latent" in extras:
        styles.insert(0, '<w:latentStyles w:count="2"><w:lsdException w:name="Normal"/>'
                         "</w:latentStyles>")
    if "comment" in extras and styles:
        styles.insert(draw(st.integers(0, len(styles))), "<!-- a note -->")
    if "fake in comment" in extras:
        styles.append('<!-- <w:style w:styleId="Title"><w:name w:val="fake"/></w:style> -->')
    if "cdata" in extras and styles and styles[-1].endswith("</w:style>"):
        styles[-1] = styles[-1][:-len("</w:style>")] + "<![CDATA[ <w:style> ]]></w:style>"
    if "pi" in extras:
        styles.append("<?word keep?>")
    if "rebound" in extras and styles and styles[-1].endswith("</w:style>"):
        styles[-1] = styles[-1].replace("<w:style", '<w:style xmlns:w="urn:other"', 1)
    if "nested" in extras:  # schema-invalid, well-formed: only a child of the root counts
        inner = styles.pop() if styles else '<w:style w:styleId="Normal"/>'
        styles.append(f'<w:style w:styleId="Title"><w:name w:val="outer"/>{inner}</w:style>')
    namespaces = f'xmlns:w="{W_NS}" xmlns:r="urn:r"'
    if "second prefix" in extras:
        namespaces += f' xmlns:ww="{W_NS}"'
        styles.append('<ww:style ww:styleId="Quote"><ww:name ww:val="other prefix"/></ww:style>')
    declaration = ("" if "no declaration" in extras else
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
    return f"{declaration}<w:styles {namespaces}>{''.join(styles)}</w:styles>".encode()


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=300)
@given(_styles_part())
def test_the_index_reads_the_same_styles_as_the_whole_part(blob: bytes) -> None:
    indexed, whole = Styles(blob), Styles(blob, index=False)
    if whole.damaged:
        return  # not XML at all: the property is about parts Word could have written
    for sid in [*IDS, "Missing", ""]:
        assert indexed.get(sid) == whole.get(sid), sid
    assert not indexed.damaged


def test_a_plain_part_is_indexed_and_anything_else_parsed_whole() -> None:
    plain = (f'<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="{W_NS}">'
             '<w:style w:styleId="H"><w:name w:val="heading 1"/></w:style></w:styles>')
    assert Styles(plain.encode())._index is not None
    for unusual in ("<!-- x -->", "<?pi x?>", '<w:x xmlns:w="urn:other"/>'):
        blob = plain.replace("</w:styles>", unusual + "</w:styles>").encode()
        assert Styles(blob)._index is None, unusual
        assert Styles(blob).get("H") == Styles(blob, index=False).get("H")
    latin = plain.replace("UTF-8", "ISO-8859-1").encode()
    assert Styles(latin)._index is None


def test_a_damaged_style_is_unknown_and_said(tmp_path: object) -> None:
    from intake.convert.dispatch import convert
    from intake.core.models import FileType

    styles = (f'<w:styles xmlns:w="{W_NS}"><w:style w:styleId="Heading1">'
              '<w:name w:val="heading 1"/><w:pPr><w:outlineLvl w:val="0"></w:pPr></w:style>'
              '<w:style w:styleId="Quote"><w:name w:val="Quote"/></w:style></w:styles>')
    body = (para(run("A heading"), ppr='<w:pStyle w:val="Heading1"/>')
            + para(run("Body text stays.")))
    data = docx_from_body(body, rels=STYLES_REL, extra_parts={"word/styles.xml": styles.encode()},
                          extra_types=f'<Override PartName="/word/styles.xml" '
                                      f'ContentType="{STYLES_CT}"/>')
    converted = convert("a.docx", data, FileType.DOCX)
    assert "A heading" in converted.markdown and "Body text stays." in converted.markdown
    assert "# A heading" not in converted.markdown
    assert any("styles part is damaged" in warning for warning in converted.warnings)


@pytest.mark.skipif(not (CORPUS / "docx").is_dir(), reason="corpus not found")
def test_every_corpus_docx_converts_the_same_through_the_index(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from intake.convert import word_styles
    from intake.convert.dispatch import convert
    from intake.core.sniff import sniff

    def converted(data: bytes) -> object:
        try:
            return convert("a.docx", data, sniff(data))
        except Exception as exc:  # a refusal must be the same refusal
            return repr(exc)

    paths = sorted((CORPUS / "docx").rglob("*.docx"))
    indexed = {path: converted(path.read_bytes()) for path in paths}
    monkeypatch.setattr(word_styles._Index, "of", classmethod(lambda cls, blob: None))
    assert len(paths) > 50
    for path in paths:
        assert converted(path.read_bytes()) == indexed[path], path.name
