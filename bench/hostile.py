"""Hostile and broken documents: what intake does with each, and the memory it costs.

Each file is made here, then converted in a fresh child process (the checks and
the converter, as the worker runs them) whose peak memory (VmHWM) is reported.

Usage: .venv/bin/python bench/hostile.py
"""

from __future__ import annotations

import io
import random
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from intake.demo.samples import article_docx  # noqa: E402
from tests.docgen import docx_from_body, para, run, zip_parts  # noqa: E402

CHILD = textwrap.dedent("""
    import sys
    from intake.convert import ConversionError, convert_document
    from intake.core.sniff import sniff
    from intake.mail.parse import ParseError, parse_message
    data = open(sys.argv[1], "rb").read()
    if sys.argv[2] == "mail":
        try:
            found = parse_message(data)
            size = sum(len(a.data) for a in found.attachments)
            outcome = (f"read: {len(found.attachments)} attachment(s), {size:,} bytes"
                       + (", forwarded message read" if found.forwarded else ""))
        except ParseError as exc:
            outcome = "refused: " + str(exc)
    else:
        try:
            result = convert_document("file.docx", data, sniff(data))
            outcome = f"converted: {len(result.markdown):,} characters"
            from intake.export.html import safe_html
            import re
            if re.search(r'(?:src|href)="[^"]*\\.\\./|<[a-z][^>]* on[a-z]+=', safe_html(
                    result.markdown)):
                outcome += " (A PATH OR HANDLER REACHED THE PAGE)"
        except ConversionError as exc:
            outcome = "refused: " + exc.reason
    peak = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
    print(outcome)
    print(peak)
""")
MSG = REPO / "tests" / "data" / "outlook-newsletter.msg"
M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"


def _with_document_xml(xml: bytes) -> bytes:
    base = docx_from_body(para(run("x")))
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["word/document.xml"] = xml
    return zip_parts(parts)


def cases() -> dict[str, bytes]:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    laughs = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "lol">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                        for i in range(9))
              + f']><w:document xmlns:w="{w}"><w:body><w:p><w:r><w:t>&j;</w:t></w:r></w:p>'
              "</w:body></w:document>").encode()
    xxe = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           f'<w:document xmlns:w="{w}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p>'
           "</w:body></w:document>").encode()
    rng = random.Random(1)
    words = ["ward", "round", "patient", "notes", "sleep", "shift"]
    big_body = "".join(para(run(" ".join(rng.choice(words) + str(rng.randrange(10**6))
                                         for _ in range(40)))) for _ in range(90_000))
    good = article_docx("A fine article")
    return {
        "zip bomb (200 MB of zeros in 200 KB)": zip_parts({
            "[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * 200_000_000}),
        "billion laughs (nested entities)": _with_document_xml(laughs),
        "external entity (file:///etc/passwd)": _with_document_xml(xxe),
        "encrypted .docx (OLE EncryptedPackage)": (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000
            + "EncryptedPackage".encode("utf-16-le") + b"\0" * 1000),
        ".docm (vbaProject.bin)": _with_macros(good),
        "truncated .docx (first half)": good[: len(good) // 2],
        "50 MB of XML (90,000 paragraphs)": docx_from_body(big_body),
        "an equation holding image and HTML syntax": docx_from_body(para(
            f'<m:oMath xmlns:m="{M_NS}"><m:r><m:t>![x](assets/../../../intake.sqlite3)'
            "&lt;img src=x onerror=alert(1)&gt;</m:t></m:r></m:oMath>")),
        "an ordinary article (for scale)": good,
    }


def mail_cases() -> dict[str, bytes]:
    """Containers in mail: what each gives out is bounded by what it holds."""
    from tests.test_surface import _shared_streams

    honest = MSG.read_bytes()
    lying = bytearray(honest)
    lying[44:48] = (1_000_000).to_bytes(4, "little")
    shared = _shared_streams(honest)
    return {
        ".msg (a real Outlook file, for scale)": honest,
        ".msg claiming a million FAT sectors": bytes(lying),
        ".msg whose attachments share one stream": shared,
        "an email forwarding that .msg": _email_with("fwd.msg", shared),
    }


def _email_with(name: str, data: bytes) -> bytes:
    from intake.demo.samples import email

    return email("Sam <sam@uni.example.org>", "Fwd: newsletter", "See attached.",
                 attachments=((name, "application/vnd.ms-outlook", data),))


def _with_macros(document: bytes) -> bytes:
    """The document as Word saves it with macros: a VBA project and its content type."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(document)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml")
    parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + b"\0" * 100
    return zip_parts(parts)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'file':<42} {'size':>9}  {'time':>6}  {'peak':>8}  outcome")
        every = [(n, "docx", d) for n, d in cases().items()] + \
            [(n, "mail", d) for n, d in mail_cases().items()]
        for name, kind, data in every:
            path = Path(folder) / "case.bin"
            path.write_bytes(data)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", CHILD, str(path), kind], cwd=REPO,
                                  capture_output=True, text=True, timeout=600, check=False)
            elapsed = time.perf_counter() - started
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or len(lines) < 2:
                outcome, peak = f"CRASHED ({done.returncode}): {done.stderr[-200:]}", "?"
            else:
                outcome, peak = lines[0], f"{int(lines[1]) / 1024:.0f} MiB"
            print(f"{name:<42} {len(data) / 1024:>7,.0f}KB  {elapsed:5.1f}s  {peak:>8}  "
                  f"{outcome[:90]}")


if __name__ == "__main__":
    main()
