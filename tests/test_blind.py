"""The judges' copy (issue 33): the author's name planted in every place it can hide, in
a .docx and in a PDF, and never reaching a judge."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Inches

from intake.contests.blind import make_copy
from intake.demo.samples import DOCX, tiny_png
from intake.demo.samples import email as make_email
from tests.conftest import CliResult, eml_folder
from tests.contesthelp import NOW, contest_settings, with_contests
from tests.pdfgen import text_pdf

Cli = Callable[..., CliResult]
SENDER = "Zoë Okafor <zoe.okafor@kcl.example.ac.uk>"
ESSAY = ("As a medical student I learned that night shifts teach patience. The ward at "
         "night is quiet, and every decision weighs more than by day. ") * 3
FORBIDDEN = re.compile(r"zo[eë]|okafor|king'?s college|kcl|london", re.I)


def _planted_docx() -> bytes:
    doc = docx.Document()
    doc.core_properties.author = "Zoë Okafor"
    doc.core_properties.title = "Night shifts by Zoë Okafor"
    doc.core_properties.comments = "Written by Zoe Okafor"
    section = doc.sections[0]
    section.header.paragraphs[0].text = "Zoë Okafor, King's College London"
    section.footer.paragraphs[0].text = "Draft by Z. Okafor"
    doc.add_heading("Night shifts, by Zoë Okafor", level=0)
    doc.add_paragraph(ESSAY)
    doc.add_paragraph("Written with help from no one but ZOE OKAFOR and her ward. "
                      "Okafor's colleague agreed.")
    picture = doc.add_paragraph().add_run().add_picture(io.BytesIO(tiny_png()),
                                                        width=Inches(1))
    picture._inline.docPr.set("descr", "Photograph taken by Zoë Okafor on the ward")
    doc.add_paragraph("Figure 1: the ward at night, photographed by Zoe Okafor.")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Author", "Institution"
    table.cell(1, 0).text, table.cell(1, 1).text = "Zoë Okafor", "King's College London"
    para = doc.add_paragraph("Read more on ")
    part = doc.part
    rel = part.relate_to("https://zoeokafor.example.com/blog", RT.HYPERLINK,
                         is_external=True)
    link = docx.oxml.OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = docx.oxml.OxmlElement("w:r")
    text = docx.oxml.OxmlElement("w:t")
    text.text = "my blog"
    run.append(text)
    link.append(run)
    para._p.append(link)
    doc.add_paragraph("Mail me at zoe.okafor@kcl.example.ac.uk with questions.")
    doc.add_heading("About the Author", level=1)
    doc.add_paragraph("Zoë Okafor is a fourth-year medical student at King's College "
                      "London, London. She writes about night shifts.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _copy(cli: Cli, config: Path, ref: str) -> tuple[str, list[dict[str, object]]]:
    done = cli("--config", config, "contest", "copy", ref)
    assert done.code == 0, (done.out, done.err)
    folder = config.parent / "var" / "drafts" / ref / "judges"
    removed = json.loads((folder / "removed.json").read_text())
    return (folder / "copy.md").read_text(encoding="utf-8"), removed["removed"]


def test_a_docx_entry_loses_its_author_everywhere(make_config: Callable[..., Path],
                                                  cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    mail = [make_email(SENDER, "Writing contest entry", "My entry is attached.\n\nBest,\n"
                       "Zoë Okafor\nKing's College London, London", message_id="<b1@x>",
                       date=NOW, attachments=(("zoe-okafor-entry.docx", DOCX,
                                               _planted_docx()),))]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    draft = (config.parent / "var" / "drafts" / "JPMS-2026-0001" / "draft.md").read_text()
    assert "Okafor" in draft  # planted: the draft keeps what the author sent
    copy, removed = _copy(cli, config, "JPMS-2026-0001")
    assert not FORBIDDEN.search(copy), FORBIDDEN.search(copy)
    assert "night shifts teach patience" in copy  # the essay itself is kept
    assert "](assets/figure-1.png)" in copy
    assert "zoeokafor" not in copy and "my blog" in copy  # the link's text only
    what = {str(r["what"]) for r in removed}
    assert {"name", "email", "institution", "bio", "link"} <= what
    judges = config.parent / "var" / "drafts" / "JPMS-2026-0001" / "judges" / "assets"
    assert [p.name for p in judges.iterdir()] == ["figure-1.png"]
    # The picture a judge gets has its pixels only.
    assert b"Okafor" not in (judges / "figure-1.png").read_bytes()
    # The same copy as files, for judges outside the desk.
    out = config.parent / "out"
    done = cli("--config", config, "export", "JPMS-2026-0001", "--to", out, "--for-judges")
    assert done.code == 0, done.err
    folder = out / "JPMS-2026-0001-judges"
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == [
        "entry.html", "entry.md", "figure-1.png"]
    for name in ("entry.html", "entry.md"):
        assert not FORBIDDEN.search((folder / name).read_text(encoding="utf-8")), name


def test_a_pdf_entry_loses_its_author_and_its_properties(make_config: Callable[..., Path],
                                                        cli: Cli) -> None:
    config = with_contests(make_config, contest_settings())
    pdf = text_pdf(["Night shifts", "by Zoë Okafor, King's College London", "",
                    *[ESSAY[i:i + 90] for i in range(0, len(ESSAY), 90)], "",
                    "Okafor, Z. wrote this in 2026.", "", "About the Author", "",
                    "Zoe Okafor is a medical student in London."],
                   author="Zoë Okafor", title="Night shifts by Zoë Okafor")
    mail = [make_email(SENDER, "Writing contest entry", "Attached.", message_id="<p1@x>",
                       date=NOW, attachments=(("entry.pdf", "application/pdf", pdf),))]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    copy, _ = _copy(cli, config, "JPMS-2026-0001")
    assert not FORBIDDEN.search(copy), (FORBIDDEN.search(copy), copy)
    assert "quiet" in copy


def test_a_copy_that_still_names_its_author_cannot_be_confirmed(
        make_config: Callable[..., Path], cli: Cli, tmp_path: Path) -> None:
    config = with_contests(make_config, contest_settings())
    # The author's mailbox name, used as a handle: not a name the copy can take out
    # by itself, and the last read finds it.
    body = ESSAY + "\n\nFind me on the forum as zokky22, any time."
    mail = [make_email("Zoë Okafor <zokky22@mail.example.com>", "Writing contest entry",
                       body, message_id="<n1@x>", date=NOW)]
    assert cli("--config", config, "ingest", eml_folder(config.parent, mail)).code == 0
    refused = cli("--config", config, "contest", "copy", "JPMS-2026-0001")
    assert refused.code == 1 and "still names its author" in refused.out
    confirm = cli("--config", config, "contest", "confirm", "JPMS-2026-0001", "--as", "ana")
    assert confirm.code != 0 and "still names its author" in confirm.err
    listed = cli("--config", config, "contest", "entries", "essay").out
    assert "not confirmed" in listed and "judges: -" in listed  # no judge was given it
    # The editor takes it out of the draft; then the copy can be confirmed.
    edited = tmp_path / "edited.md"
    edited.write_text(ESSAY + "\n\nFind me on the forum, any time.\n")
    assert cli("--config", config, "edit", "JPMS-2026-0001", edited, "--as", "ana").code == 0
    done = cli("--config", config, "contest", "confirm", "JPMS-2026-0001", "--as", "ana")
    assert done.code == 0, done.err
    assert "confirmed; judges: maya@hospital.example.org, tom@uni.example.net" in done.out


def test_names_are_found_in_every_form_and_only_as_names() -> None:
    class Sub:
        author_name = "Zoë Okafor-Smith"
        author_email = "zoe.os@uni.example.org"

    body = ("Zoe Okafor Smith wrote this. OKAFOR-SMITH agrees; so does Okafor-Smith's "
            "friend, and Z. Okafor-Smith, and Okafr-Smith (a slip). A smith forges iron; "
            "a zoetrope spins. [Read](https://uni.example.org/~zoeos/cv) or "
            "[the study](https://doi.org/10.1000/1).\n\n![Zoë at work](assets/zoe.png)")
    copy = make_copy(Sub(), "By Zoë Okafor-Smith", body, "")  # type: ignore[arg-type]
    assert copy.title == "By [author]"
    assert not re.search(r"zo[eë]\b|okafo|okafr|smith\b(?! forges)", copy.markdown, re.I), \
        copy.markdown
    assert "A smith forges iron" in copy.markdown  # a word, not the name
    assert "zoetrope" in copy.markdown  # a name inside a longer word is not a name
    assert "[the study](https://doi.org/10.1000/1)" in copy.markdown
    assert "~zoeos" not in copy.markdown and copy.clean
