"""The labelled corpus: emails as YAML entries, turned into real messages with documents.

Each entry (tests/labelled/*.yaml) has a label (the kind an editor would give it, or
"ignored" for automatic mail), from, subject, body, optional to, headers, lang (the
language its documents are written in, default en), attachments: file name → what
it holds (article, essay, cv, letter, ratecard, image), and paste: a kind of document
pasted into the body after it (a submission with nothing attached; a subject "{title}"
becomes the pasted document's title). Documents are written from a
bank of texts per kind of document and language (documents.yaml beside the entries):
.docx names get a Word file, .pdf names a PDF with a text layer.

Used by intake/rules/train.py (the model) and bench/triage_eval.py (the figures).
"""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path
from typing import Any

import yaml

from intake.demo.samples import DOCX, text_docx, tiny_png
from intake.demo.samples import email as make_email

PDF = "application/pdf"
Entry = dict[str, Any]


def load(folder: Path) -> tuple[list[Entry], dict[str, Any]]:
    """The entries of every *.yaml in folder (in name order; not its subfolders, such as
    the held-out set) and the document bank."""
    entries: list[Entry] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "documents.yaml":
            continue
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for entry in loaded:
            entries.append({**entry, "_file": path.name})
    # A held-out set in a folder below the corpus uses the corpus's documents.
    bank_path = next((p for p in (folder / "documents.yaml", folder.parent / "documents.yaml")
                      if p.exists()), None)
    bank = yaml.safe_load(bank_path.read_text(encoding="utf-8")) if bank_path else {}
    return entries, bank or {}


def build(entry: Entry, number: int, bank: dict[str, Any]) -> bytes:
    """The entry as an RFC 5322 message, its documents written out."""
    seed = int(hashlib.sha256(f"{number}:{entry['subject']}".encode()).hexdigest()[:8], 16)
    rng = random.Random(seed)  # noqa: S311 - picks document texts, no secret
    lang = str(entry.get("lang") or "en")
    attachments = tuple(_attachment(str(name), str(what), lang, bank, rng)
                        for name, what in (entry.get("attachments") or {}).items())
    subject, body = str(entry["subject"]), str(entry.get("body") or "")
    if entry.get("paste"):
        title, blocks = document_text(str(entry["paste"]), lang, bank, rng, subject)
        text = "\n\n".join(b[2:] if b.startswith(("# ", "- ")) else b for b in blocks)
        body = f"{body.rstrip()}\n\n{title or ''}\n\n{text}\n".lstrip("\n")
        subject, body = (part.replace("{title}", title or "") for part in (subject, body))
    return make_email(entry["from"], subject, body,
                      to=entry.get("to", "submissions@journal.example.org"),
                      attachments=attachments, message_id=f"<labelled-{number}@test>",
                      headers=entry.get("headers"))


def _attachment(name: str, what: str, lang: str, bank: dict[str, Any],
                rng: random.Random) -> tuple[str, str, bytes]:
    if what == "image":
        return name, "image/png", tiny_png()
    title, blocks = document_text(what, lang, bank, rng, name)
    if name.lower().endswith(".pdf"):
        return name, PDF, text_pdf([title, *blocks] if title else blocks)
    return name, DOCX, text_docx(title, blocks)


def document_text(what: str, lang: str, bank: dict[str, Any], rng: random.Random,
                  name: str) -> tuple[str | None, list[str]]:
    """A title and blocks ("# " opens a heading, "- " a list item) for one document."""
    kinds = bank.get(what) or bank.get("article") or {}
    variants = kinds.get(lang) or kinds.get("en") or [{"title": name, "blocks": [name]}]
    chosen = rng.choice(variants)
    title = chosen.get("title")
    blocks = [str(b) for b in chosen.get("blocks", [])]
    return (str(title) if title else None), blocks


def text_pdf(blocks: list[str], width: int = 90) -> bytes:
    """A plain PDF whose text layer holds the blocks (Helvetica, WinAnsi), as a word
    processor's export would: enough for a converter to read."""
    lines: list[str] = []
    for block in blocks:
        text = block[2:] if block.startswith(("# ", "- ")) else block
        line = ""
        for word in text.split():
            if len(line) + len(word) + 1 > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.extend([line, ""])
    pages = [lines[i:i + 48] for i in range(0, len(lines), 48)] or [[""]]
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    font = 3 + 2 * len(pages)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for index, page in enumerate(pages):
        stream = "BT /F1 11 Tf 14 TL 56 780 Td " + " ".join(
            f"({_pdf_escape(text)}) Tj T*" for text in page) + " ET"
        body = stream.encode("cp1252", "replace")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
                       f"<< /Font << /F1 {font} 0 R >> >> /Contents {4 + 2 * index} 0 R >>"
                       .encode())
        objects.append(b"<< /Length " + str(len(body)).encode() + b" >>\nstream\n" + body +
                       b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                   b"/Encoding /WinAnsiEncoding >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
