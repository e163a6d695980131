"""Realistic sample submissions, built in code: the demo's mail, and the tests'."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
import zlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches

TO = "submissions@journal.example.org"


def _png(width: int, height: int, rows: bytes) -> bytes:
    """A valid PNG from raw RGB rows (each prefixed with filter byte 0), no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def tiny_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A PNG of one colour."""
    return _png(width, height, (b"\x00" + bytes(rgb) * width) * height)


def noisy_png(side: int = 64) -> bytes:
    """A PNG of random pixels: it does not compress, so it takes about 3 bytes per pixel."""
    return _png(side, side, b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side)))


def add_hyperlink(paragraph: object, url: str, text: str) -> None:
    """python-docx has no hyperlink API: write the w:hyperlink element and its relationship."""
    part = paragraph.part  # type: ignore[attr-defined]
    rid = part.relate_to(url, "http://schemas.openxmlformats.org/officeDocument/2006/"
                              "relationships/hyperlink", is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    text_el = OxmlElement("w:t")
    text_el.text = text
    run.append(text_el)
    link.append(run)
    paragraph._p.append(link)  # type: ignore[attr-defined]


def article_docx(title: str, paragraphs: int = 6, image: bool = True) -> bytes:
    """A guest post as authors write them: title, headings, emphasis, a list, a link."""
    doc = docx.Document()
    doc.add_heading(title, level=0)
    intro = doc.add_paragraph("Every year, thousands of medical students ")
    intro.add_run("struggle").bold = True
    intro.add_run(" with the move from lectures to the wards. This piece looks at ")
    intro.add_run("what actually helps").italic = True
    intro.add_run(".")
    doc.add_heading("Why the first weeks are hard", level=1)
    for i in range(paragraphs):
        doc.add_paragraph(
            f"Paragraph {i + 1}: the ward round moves quickly, and the vocabulary of the "
            "team is new. Students who prepare a short list of questions before each round "
            "report feeling more involved, and their supervisors notice the difference. "
            "Small habits, repeated daily, matter more than long evenings with textbooks.")
    doc.add_heading("Three habits that help", level=1)
    for habit in ("Read the notes of two patients before the round",
                  "Ask one question a day, and write the answer down",
                  "Review the day for ten minutes before leaving"):
        doc.add_paragraph(habit, style="List Number")
    doc.add_heading("Further reading", level=2)
    more = doc.add_paragraph("The guidance from ")
    add_hyperlink(more, "https://www.example.org/guidance", "the national school board")
    more.add_run(" is a good place to start.")
    if image:
        doc.add_picture(io.BytesIO(tiny_png(64, 32)), width=Inches(2))
        pic = doc.inline_shapes[-1]._inline.docPr
        pic.set("descr", "Students on a ward round")
    doc.add_heading("About the author", level=2)
    doc.add_paragraph("Sam Okafor is a fourth-year medical student.")
    return _saved(doc)


def text_docx(title: str | None, paragraphs: list[str], *, links: tuple[str, ...] = (),
              images: int = 0, image_alt: str = "") -> bytes:
    """A plain document: an optional title, paragraphs (\"# \" starts a heading, \"- \" a
    list item), links, images."""
    doc = docx.Document()
    if title:
        doc.add_heading(title, level=0)
    for text in paragraphs:
        if text.startswith("# "):
            doc.add_heading(text[2:], level=1)
        elif text.startswith("- "):
            doc.add_paragraph(text[2:], style="List Bullet")
        else:
            doc.add_paragraph(text)
    if links:
        para = doc.add_paragraph("Links: ")
        for url in links:
            add_hyperlink(para, url, url.split("//")[-1])
            para.add_run(" ")
    for n in range(images):
        doc.add_picture(io.BytesIO(tiny_png(16, 16, (n * 40 % 256, 90, 200))), width=Inches(1))
        if image_alt:
            doc.inline_shapes[-1]._inline.docPr.set("descr", image_alt)
    return _saved(doc)


def _saved(doc: Any) -> bytes:
    """The document's bytes, the same every time: zip entries dated like the sample mail,
    so a sample sent twice is the same message twice."""
    out = io.BytesIO()
    doc.save(out)
    fixed = io.BytesIO()
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) \
            as target:
        for info in source.infolist():
            info.date_time = (2026, 11, 2, 9, 30, 0)
            target.writestr(info, source.read(info))
    return fixed.getvalue()


def cv_docx(name: str) -> bytes:
    doc = docx.Document()
    doc.add_heading(name, level=0)
    doc.add_heading("Education", level=1)
    doc.add_paragraph("MBBS candidate, 2022-2028", style="List Bullet")
    doc.add_heading("Writing", level=1)
    doc.add_paragraph("Student newsletter editor, 2023-2025", style="List Bullet")
    return _saved(doc)


def email(sender: str, subject: str, body: str, *, to: str = TO,
          attachments: tuple[tuple[str, str, bytes], ...] = (), message_id: str = "",
          date: datetime | None = None, headers: dict[str, str] | None = None) -> bytes:
    """An RFC 5322 message as a mail client would send it."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or f"<{_digest(sender + subject)}@mail.example.net>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, mime, data in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def demo_messages() -> dict[str, bytes]:
    """The demo's inbox: file name → message."""
    return {
        "01-guest-post.eml": email(
            "Sam Okafor <sam.okafor@uni.example.ac.uk>",
            "Guest post submission: Surviving your first clinical rotation",
            "Dear editors,\n\nPlease find attached my article for your consideration as a "
            "guest post. It is about 600 words and has one image.\n\nBest wishes,\nSam\n",
            attachments=(("First rotation - final.docx", DOCX,
                          article_docx("Surviving your first clinical rotation")),),
            message_id="<demo-guest-post@uni.example.ac.uk>"),
        "02-sponsored.eml": email(
            "Claire Dubois <claire@medsupply.example.com>",
            "Paid article opportunity",
            "Hello,\n\nI work for MedSupply, a company making revision tools for medical "
            "students. We would like to publish a paid article on your blog about spaced "
            "repetition. Could you tell me your rates and any requirements?\n\nKind "
            "regards,\nClaire Dubois\nPartnerships, MedSupply\n",
            message_id="<demo-sponsored@medsupply.example.com>"),
        "03-application.eml": email(
            "Priya Raman <priya.raman@uni.example.edu>",
            "Application to join the team as an editor",
            "Dear editorial team,\n\nI would like to apply for the position of section "
            "editor. I have attached my CV. I edited my school's newsletter for two years "
            "and would love to help other students publish their first article.\n\n"
            "Thank you for considering my application,\nPriya\n",
            attachments=(("Priya Raman CV.docx", DOCX, cv_docx("Priya Raman")),),
            message_id="<demo-application@uni.example.edu>"),
        "04-out-of-office.eml": email(
            "Dr Jonas Weber <j.weber@hospital.example.de>",
            "Automatic reply: Your article [JPMS-2026-0001]",
            "I am out of the office until 14 November with limited access to email.\n",
            message_id="<demo-ooo@hospital.example.de>",
            headers={"Auto-Submitted": "auto-replied"}),
        "05-forgot-attachment.eml": email(
            "Tomás Ortega <tomas.ortega@mail.example.com>",
            "Guest post: AI in radiology, a student's view",
            "Hi,\n\nI would like to submit a guest post about AI in radiology. The article "
            "is attached.\n\nThanks,\nTomás\n",
            message_id="<demo-forgot@mail.example.com>"),
        "06-forgot-attachment-reply.eml": email(
            "Tomás Ortega <tomas.ortega@mail.example.com>",
            "Re: Guest post: AI in radiology, a student's view",
            "Sorry, I forgot the file! Here it is.\n\nTomás\n",
            attachments=(("AI in radiology.docx", DOCX,
                          article_docx("AI in radiology, a student's view", image=False)),),
            message_id="<demo-forgot-reply@mail.example.com>",
            headers={"In-Reply-To": "<demo-forgot@mail.example.com>",
                     "References": "<demo-forgot@mail.example.com>"}),
    }
