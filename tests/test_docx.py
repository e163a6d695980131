"""The .docx converter: what authors write comes out as Markdown, nothing silently lost."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from intake.convert import ConversionError, convert_document
from intake.convert.word import convert_docx
from intake.core.models import FileType
from intake.core.sniff import sniff
from intake.demo.samples import add_hyperlink, article_docx, tiny_png
from tests.docgen import docx_from_body, field, para, run


def _save(document: object) -> bytes:
    out = io.BytesIO()
    document.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


def test_generated_article_converts_to_expected_markdown() -> None:
    result = convert_docx(article_docx("Surviving your first rotation", paragraphs=1))
    assert result.title == "Surviving your first rotation"
    expected = (
        "Every year, thousands of medical students **struggle** with the move from lectures "
        "to the wards. This piece looks at *what actually helps*.\n\n"
        "# Why the first weeks are hard\n\n"
        "Paragraph 1: the ward round moves quickly, and the vocabulary of the team is new. "
        "Students who prepare a short list of questions before each round report feeling "
        "more involved, and their supervisors notice the difference. Small habits, repeated "
        "daily, matter more than long evenings with textbooks.\n\n"
        "# Three habits that help\n\n"
        "1. Read the notes of two patients before the round\n"
        "2. Ask one question a day, and write the answer down\n"
        "3. Review the day for ten minutes before leaving\n\n"
        "## Further reading\n\n"
        "The guidance from [the national school board](https://www.example.org/guidance) is "
        "a good place to start.\n\n"
        "![Students on a ward round](assets/image-001.png)\n\n"
        "## About the author\n\n"
        "Sam Okafor is a fourth-year medical student.\n"
    )
    assert result.markdown == expected
    assert [a.name for a in result.assets] == ["image-001.png"]
    assert result.assets[0].data == tiny_png(64, 32)
    assert result.warnings == ()


def test_nested_bullets_and_numbers() -> None:
    doc = docx.Document()
    doc.add_paragraph("Top bullet", style="List Bullet")
    doc.add_paragraph("Nested bullet", style="List Bullet 2")
    doc.add_paragraph("First step", style="List Number")
    doc.add_paragraph("After the list")
    md = convert_docx(_save(doc)).markdown
    assert md == ("- Top bullet\n    - Nested bullet\n1. First step\n\nAfter the list\n")


def test_formatting_breaks_and_markdown_characters() -> None:
    doc = docx.Document()
    p = doc.add_paragraph()
    p.add_run("bold italic").bold = True
    p.runs[0].italic = True
    p.add_run(" then ")
    struck = p.add_run("gone")
    struck.font.strike = True
    p.add_run(" H")
    p.add_run("2").font.subscript = True
    p.add_run("O and x")
    p.add_run("2").font.superscript = True
    line = doc.add_paragraph("first line")
    line.add_run().add_break()
    line.add_run("second line")
    doc.add_paragraph("# not a heading, 5 * 3 = [15] <b>")
    md = convert_docx(_save(doc)).markdown
    assert md == ("***bold italic*** then ~~gone~~ H<sub>2</sub>O and x<sup>2</sup>\n\n"
                  "first line\\\nsecond line\n\n"
                  "\\# not a heading, 5 \\* 3 = \\[15\\] \\<b>\n")


def test_table_becomes_gfm() -> None:
    doc = docx.Document()
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Drug"
    table.cell(0, 1).text = "Dose | route"
    table.cell(1, 0).text = "Paracetamol"
    table.cell(1, 1).text = "1 g oral"
    md = convert_docx(_save(doc)).markdown
    assert md == ("| Drug | Dose \\| route |\n| --- | --- |\n| Paracetamol | 1 g oral |\n")


def test_text_python_docx_would_drop_is_kept() -> None:
    """Tracked insertions, content controls, smart tags and simple fields keep their text;
    tracked deletions are left out, with a warning that changes are still tracked."""
    body = (
        para(run("Kept "),
             f'<w:ins w:id="1" w:author="A">{run("inserted ")}</w:ins>',
             '<w:del w:id="2" w:author="A"><w:r><w:delText>deleted </w:delText></w:r></w:del>',
             f"<w:sdt><w:sdtContent>{run('in a control ')}</w:sdtContent></w:sdt>",
             f'<w:smartTag w:uri="u" w:element="place">{run("Leeds ")}</w:smartTag>',
             f'<w:fldSimple w:instr=" DATE ">{run("1 May")}</w:fldSimple>'))
    result = convert_docx(docx_from_body(body))
    assert result.markdown == "Kept inserted in a control Leeds 1 May\n"
    assert any("tracked changes" in w for w in result.warnings)


def test_block_content_control_and_outline_level_heading() -> None:
    body = (f"<w:sdt><w:sdtContent>{para(run('Inside a block control'))}</w:sdtContent>"
            "</w:sdt>" + para(run("Outlined"), ppr='<w:outlineLvl w:val="1"/>'))
    assert convert_docx(docx_from_body(body)).markdown == ("Inside a block control\n\n"
                                                           "## Outlined\n")


def test_links_only_to_safe_schemes() -> None:
    doc = docx.Document()
    add_hyperlink(doc.add_paragraph("See "), "https://example.org/a b", "this")
    add_hyperlink(doc.add_paragraph("Run "), "javascript:alert(1)", "that")
    result = convert_docx(_save(doc))
    assert "See [this](https://example.org/a%20b)" in result.markdown
    assert "Run that" in result.markdown and "javascript" not in result.markdown
    assert any("javascript:alert(1)" in w for w in result.warnings)


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_hostile_and_broken_packages_are_refused_with_reasons() -> None:
    good = article_docx("x", paragraphs=1, image=False)
    with pytest.raises(ConversionError, match="damaged or incomplete"):
        convert_docx(good[: len(good) // 2])
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<" + b" " * 5_000_000})
    with pytest.raises(ConversionError, match="zip bomb"):
        convert_docx(bomb)
    entities = docx_from_body(para(run("x")))
    with zipfile.ZipFile(io.BytesIO(entities)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["word/document.xml"] = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]>'
                                  + parts["word/document.xml"].split(b"?>", 1)[1])
    with pytest.raises(ConversionError, match="DOCTYPE"):
        convert_docx(_zip(parts))
    # Macros are never run: a .docm's text is drafted, and the editor warned.
    with zipfile.ZipFile(io.BytesIO(docx_from_body(para(run("Words of the article."))))) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"wordprocessingml.document.main+xml", b"x").replace(
        b"application/vnd.openxmlformats-officedocument.x",
        b"application/vnd.ms-word.document.macroEnabled.main+xml")
    parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + b"\x00" * 10
    macro = _zip(parts)
    assert sniff(macro) is FileType.DOCM
    drafted = convert_document("m.docm", macro, FileType.DOCM)
    assert drafted.markdown.strip() == "Words of the article."
    assert "contains macros (VBA). intake never runs them" in drafted.warnings[0]
    encrypted = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
                 + "EncryptedPackage".encode("utf-16-le"))
    assert sniff(encrypted) is FileType.ENCRYPTED_OFFICE
    with pytest.raises(ConversionError, match="password-protected"):
        convert_document("secret.docx", encrypted, FileType.ENCRYPTED_OFFICE)
    not_word = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<nope/>"})
    with pytest.raises(ConversionError, match="could not be opened"):
        convert_docx(not_word)


@pytest.mark.parametrize(("data", "expected"), [
    (b"%PDF-1.7\n", FileType.PDF), (b"{\\rtf1\\ansi", FileType.RTF),
    (tiny_png(), FileType.PNG), (b"\xff\xd8\xff\xe0", FileType.JPEG),
    (b"<!DOCTYPE html><p>x", FileType.HTML), (b"Plain words.\n", FileType.TEXT),
    (b"\x00\x01\x02\x03", FileType.BINARY), (b"", FileType.EMPTY),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, FileType.OLE),
])
def test_sniffing_reads_bytes_not_names(data: bytes, expected: FileType) -> None:
    assert sniff(data) is expected


def test_sniffing_tells_word_from_other_zips() -> None:
    assert sniff(article_docx("t", image=False)) is FileType.DOCX
    odt = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b""},
               zipfile.ZIP_STORED)
    assert sniff(odt) is FileType.ODT
    assert sniff(_zip({"a.txt": b"x"})) is FileType.ZIP


def test_footnotes_and_endnotes_become_markdown_footnotes() -> None:
    from tests.docgen import with_parts

    body = (para(run("Sleep matters."), '<w:r><w:footnoteReference w:id="1"/></w:r>',
                 run(" So do breaks."), '<w:r><w:endnoteReference w:id="7"/></w:r>')
            + para(run("Again."), '<w:r><w:footnoteReference w:id="1"/></w:r>'))
    result = convert_docx(with_parts(body, footnotes={"1": "Smith 2020, p. 4."},
                                     endnotes={"7": "See the appendix."}))
    assert result.markdown == ("Sleep matters.[^1] So do breaks.[^2]\n\nAgain.[^1]\n\n"
                               "[^1]: Smith 2020, p. 4.\n\n[^2]: See the appendix.\n")
    assert not any("footnote" in w for w in result.warnings)


def test_hyperlink_fields_become_links_and_other_fields_keep_their_text() -> None:
    body = para(run("Read "),
                field(' HYPERLINK "https://example.org/guide" \\o "tip" ', run("the guide")),
                run(", page "), field(" PAGE ", run("3")), run(", or "),
                field(' HYPERLINK \\l "methods" ', run("Methods")), run("."))
    md = convert_docx(docx_from_body(body)).markdown
    assert md == ("Read [the guide](https://example.org/guide), page 3, or "
                  "[Methods](#methods).\n")


def test_comments_go_to_the_front_matter_not_the_text() -> None:
    from tests.docgen import with_parts

    body = para('<w:commentRangeStart w:id="0"/>', run("Claim."), '<w:commentRangeEnd w:id="0"/>',
                '<w:r><w:commentReference w:id="0"/></w:r>')
    result = convert_docx(with_parts(body, comments=[("Dr Reviewer", "Source?")]))
    assert result.markdown == "Claim.\n"
    assert result.comments == ({"author": "Dr Reviewer", "date": "2026-11-01T10:00:00Z",
                                "text": "Source?"},)
    assert any("1 comment(s)" in w for w in result.warnings)


def test_merged_cells_fall_back_to_html_without_losing_text() -> None:
    doc = docx.Document()
    table = doc.add_table(rows=3, cols=3)
    for r in range(3):
        for c in range(3):
            table.cell(r, c).text = f"r{r}c{c}"
    table.cell(0, 0).merge(table.cell(0, 1))  # colspan
    table.cell(1, 2).merge(table.cell(2, 2))  # rowspan
    md = convert_docx(_save(doc)).markdown
    assert md.startswith("<table>")
    assert '<th colspan="2">r0c0<br>r0c1</th>' in md
    assert '<td rowspan="2">r1c2<br>r2c2</td>' in md
    for text in ("r1c0", "r1c1", "r2c0", "r2c1", "r0c2"):
        assert text in md


M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"


def test_equations_are_latex_in_the_text_and_keep_their_linear_form() -> None:
    def mt(text: str) -> str:
        return f"<m:r><m:t>{text}</m:t></m:r>"

    omath = (f'<m:oMath xmlns:m="{M_NS}"><m:nary><m:naryPr><m:chr m:val="∑"/></m:naryPr>'
             f"<m:sub>{mt('i=1')}</m:sub><m:sup>{mt('n')}</m:sup><m:e>"
             f"<m:sSup><m:e>{mt('x')}</m:e><m:sup>{mt('2')}</m:sup></m:sSup></m:e></m:nary>"
             f"{mt('=')}<m:f><m:num>{mt('a')}</m:num><m:den>{mt('b+c')}</m:den></m:f>"
             "</m:oMath>")
    result = convert_docx(docx_from_body(para(run("Sum: "), omath, run(" done."))))
    assert result.markdown == "Sum: $\\sum_{i=1}^{n} {x}^{2}=\\frac{a}{b+c}$ done.\n"
    assert result.equations == ({"latex": "\\sum_{i=1}^{n} {x}^{2}=\\frac{a}{b+c}",
                                 "text": "∑_(i=1)^n x^2=a/(b+c)"},)
    assert any("1 equation(s)" in w for w in result.warnings)
    # A display equation, a root, Greek letters and signs, fences and a function.
    alpha_pm_beta = mt("\u03b1\u00b1\u03b2")
    display = (f'<m:oMathPara xmlns:m="{M_NS}"><m:oMath><m:rad><m:radPr><m:degHide/>'
               f"</m:radPr><m:deg/><m:e>{alpha_pm_beta}</m:e></m:rad>{mt('≥')}<m:d><m:e>"
               f"<m:func><m:fName>{mt('sin')}</m:fName><m:e>{mt('θ')}</m:e></m:func>"
               "</m:e></m:d></m:oMath></m:oMathPara>")
    shown = convert_docx(docx_from_body(para(display))).markdown.strip()
    assert shown == ("$$\\sqrt{\\alpha \\pm \\beta }\\geq \\left( \\sin{\\theta } "
                     "\\right)$$")
    # A dollar written by the author is only a dollar.
    assert convert_docx(docx_from_body(para(run("It costs $5 or $10.")))).markdown == \
        "It costs \\$5 or \\$10.\n"


def test_links_inside_footnotes_resolve_against_the_notes_part() -> None:
    from tests.docgen import with_parts

    body = para(run("See"), '<w:r><w:footnoteReference w:id="1"/></w:r>')
    data = with_parts(body, footnotes={"1": "placeholder"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["word/footnotes.xml"] = parts["word/footnotes.xml"].replace(
        b'<w:r><w:t xml:space="preserve">placeholder</w:t></w:r>',
        b'<w:hyperlink r:id="rIdL" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships"><w:r><w:t>the source</w:t></w:r></w:hyperlink>')
    parts["word/_rels/footnotes.xml.rels"] = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rIdL" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/hyperlink" Target="https://example.org/src" '
        b'TargetMode="External"/></Relationships>')
    md = convert_docx(_zip(parts)).markdown
    assert md == "See[^1]\n\n[^1]: [the source](https://example.org/src)\n"


def test_a_table_inside_a_cell_stays_a_table() -> None:
    doc = docx.Document()
    outer = doc.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "Outer"
    inner = outer.cell(0, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "In A"
    inner.cell(0, 1).text = "In B & <C>"
    md = convert_docx(_save(doc)).markdown
    assert md == ("<table>\n<tr><th>Outer</th><th><table>\n"
                  "<tr><th>In A</th><th>In B &amp; &lt;C&gt;</th></tr>\n</table></th></tr>\n"
                  "</table>\n")


def test_numbered_lists_keep_their_numbers_and_restarts() -> None:
    numbering = (
        '<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        '<w:numFmt w:val="decimal"/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/>'
        '<w:numFmt w:val="lowerLetter"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0">'
        '<w:startOverride w:val="1"/></w:lvlOverride></w:num></w:numbering>')

    def item(text: str, num: int, level: int = 0) -> str:
        return para(run(text), ppr=f'<w:numPr><w:ilvl w:val="{level}"/>'
                                   f'<w:numId w:val="{num}"/></w:numPr>')

    body = (item("One", 1) + item("Sub", 1, 1) + item("Two", 1) + para(run("Between."))
            + item("Three", 1) + item("Again one", 2) + item("Again two", 2))
    data = docx_from_body(
        body, rels='<Relationship Id="rIdn" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/numbering" Target="numbering.xml"/>',
        extra_parts={"word/numbering.xml": numbering.encode()},
        extra_types='<Override PartName="/word/numbering.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>')
    assert convert_docx(data).markdown == (
        "1. One\n    1. Sub\n2. Two\n\nBetween.\n\n3. Three\n\n<!-- -->\n\n"
        "1. Again one\n2. Again two\n")


def test_bookmarks_that_links_point_to_get_anchors() -> None:
    body = (para(run("Go to "), '<w:hyperlink w:anchor="methods">' + run("Methods") +
                 "</w:hyperlink>")
            + para('<w:bookmarkStart w:id="1" w:name="methods"/>', run("Methods"),
                   '<w:bookmarkEnd w:id="1"/>')
            + para('<w:bookmarkStart w:id="2" w:name="_GoBack"/>', run("Unlinked")))
    md = convert_docx(docx_from_body(body)).markdown
    assert md == ('Go to [Methods](#methods)\n\n<a id="methods"></a>Methods\n\nUnlinked\n')


# -- what pandoc kept and intake lost (issue: the last losses against pandoc) -----------

_CELL = "<w:tc><w:tcPr/>{}</w:tc>"


def _table(*rows: str) -> str:
    grid = "<w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>"
    return f"<w:tbl><w:tblPr/>{grid}{''.join(f'<w:tr>{r}</w:tr>' for r in rows)}</w:tbl>"


def _sdt(inner: str, props: str = "") -> str:
    return f"<w:sdt><w:sdtPr>{props}</w:sdtPr><w:sdtContent>{inner}</w:sdtContent></w:sdt>"


def test_content_controls_around_and_inside_table_cells_keep_their_column() -> None:
    def cell(text: str) -> str:
        return _CELL.format(para(run(text)))

    body = _table(cell("A1") + _sdt(cell("B1")) + cell("C1"),
                  cell("A2") + cell("B2") + _sdt(cell("C2")),
                  _CELL.format(_sdt(para(run("in")))) + _CELL.format(
                      f"<w:p>{_sdt(run('run'))}</w:p>") + cell("C3"))
    markdown = convert_docx(docx_from_body(body)).markdown
    assert "| A1 | B1 | C1 |" in markdown and "| A2 | B2 | C2 |" in markdown
    assert "| in | run | C3 |" in markdown


def test_a_drop_cap_begins_its_paragraph_and_its_word() -> None:
    frame = '<w:framePr w:dropCap="drop" w:lines="3" w:wrap="around"/>'
    body = para(run("D"), ppr=frame) + para(run("rop caps open many essays."))
    assert convert_docx(docx_from_body(body)).markdown.strip() == "Drop caps open many essays."


def test_form_fields_and_drop_downs_show_what_was_chosen() -> None:
    def legacy(form: str, instruction: str) -> str:
        return (f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData>{form}</w:ffData>'
                f'</w:fldChar></w:r><w:r><w:instrText> {instruction} </w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    dropdown = ('<w:ddList><w:result w:val="1"/><w:listEntry w:val="Year 1"/>'
                '<w:listEntry w:val="Year 2"/></w:ddList>')
    checked = '<w:checkBox><w:sizeAuto/><w:checked/></w:checkBox>'
    chosen = _sdt(run("Cardiology"), '<w:dropDownList><w:listItem w:displayText="Cardiology" '
                  'w:value="c"/></w:dropDownList>')
    body = (para(run("Year: "), legacy(dropdown, "FORMDROPDOWN"))
            + para(run("Consent "), legacy(checked, "FORMCHECKBOX"))
            + para(field("FORMTEXT", run("Ana Lima")))
            + f"<w:p>{run('Specialty: ')}{chosen}</w:p>")
    markdown = convert_docx(docx_from_body(body)).markdown
    for shown in ("Year: Year 2", "Consent ☒", "Ana Lima", "Specialty: Cardiology"):
        assert shown in markdown, (shown, markdown)


def test_symbol_font_characters_are_the_signs_they_show() -> None:
    def sym(font: str, code: str) -> str:
        return f'<w:r><w:sym w:font="{font}" w:char="{code}"/></w:r>'
    symbol_run = ('<w:r><w:rPr><w:rFonts w:ascii="Symbol" w:hAnsi="Symbol"/></w:rPr>'
                  "<w:t>b</w:t></w:r>")
    body = para(sym("Symbol", "F061"), run("-synuclein "), sym("Symbol", "F0B1"), run(" 2 "),
                sym("Symbol", "F06D"), run("g, "), sym("Symbol", "F0B3"), run(" 5 "),
                sym("Symbol", "F0B0"), run("C, "), symbol_run, run("-blocker "),
                sym("Wingdings", "F0FC"), run(" "), sym("Webdings", "F021"))
    converted = convert_docx(docx_from_body(body))
    assert converted.markdown.strip() == \
        "\u03b1-synuclein \u00b1 2 \u03bcg, \u2265 5 \u00b0C, \u03b2-blocker \u2713 \u25a1"
    assert any("1 symbol(s) set in a symbol font have no known character" in w
               for w in converted.warnings)


def test_a_package_missing_parts_is_read_and_says_what_is_missing() -> None:
    image = ('<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/'
             'drawingml/2006/wordprocessingDrawing"><wp:docPr id="1" name="P" descr="x"/>'
             '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
             '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
             '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
             '<pic:blipFill><a:blip r:embed="rIdGone"/></pic:blipFill></pic:pic>'
             "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>")
    rel = ('<Relationship Id="rIdGone" Type="http://schemas.openxmlformats.org/'
           'officeDocument/2006/relationships/image" Target="media/gone.png"/>')
    data = docx_from_body(para(run("Before.")) + image + para(run("After.")), rels=rel)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # core properties named, then lost
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/'
        b'package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        b"</Relationships>")
    converted = convert_document("damaged.docx", _zip(parts), FileType.DOCX)
    assert converted.markdown.split() == ["Before.", "After."]
    assert converted.title is None  # the email's subject stands in, not "Word Document"
    assert "refers to 2 part(s) it does not contain (docProps/core.xml, " \
        "word/media/gone.png)" in converted.warnings[0]


def test_a_template_is_read_as_a_document() -> None:
    with zipfile.ZipFile(io.BytesIO(docx_from_body(para(run("Template words."))))) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"wordprocessingml.document.main+xml", b"wordprocessingml.template.main+xml")
    converted = convert_document("t.dotx", _zip(parts), FileType.DOCX)
    assert converted.markdown.strip() == "Template words."
    assert "a Word template (.dotx)" in converted.warnings[0]
