"""The README's promises, tried the way an attacker or an unlucky operator would: each
class of attack through the real command line (`intake ingest`, mail written to files)."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from intake.core.config import load_settings
from intake.demo.samples import DOCX, article_docx, text_docx
from intake.demo.samples import email as make_email
from intake.editors.purge import purge
from intake.ledger.store import read_front_matter
from intake.pipeline.run import Intake
from tests.conftest import CliResult, ImapAccount, eml_folder

Cli = Callable[..., CliResult]
AUTHOR = "Ana Lima <ana@uni.example.org>"
STRANGER = "Eve Mallory <eve@elsewhere.example.net>"


def _ingest(cli: Cli, config: Path, *messages: bytes) -> str:
    result = cli("--config", config, "ingest", eml_folder(config.parent, messages))
    assert result.code in (0, 1), result.err
    return result.out.strip()


def _show(cli: Cli, config: Path, ref: str) -> dict[str, Any]:
    result = cli("--config", config, "show", ref, "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _rows(cli: Cli, config: Path) -> list[dict[str, Any]]:
    result = cli("--config", config, "queue", "--status", "all", "--json")
    return [json.loads(line) for line in result.out.splitlines()]


def _sent(config: Path) -> list[EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((config.parent / "sent").glob("*.eml"))]


def _submit(cli: Cli, config: Path, title: str = "Sleep on night shifts") -> str:
    _ingest(cli, config, make_email(AUTHOR, f"Guest post: {title}", "Please find my post.",
                                    attachments=(("post.docx", DOCX, article_docx(title)),),
                                    message_id="<first@uni.example.org>"))
    (row,) = _rows(cli, config)
    return str(row["reference"])


def _version(sender: str, subject: str, title: str, message_id: str,
             headers: dict[str, str] | None = None) -> bytes:
    return make_email(sender, subject, "Here is the new version.",
                      attachments=(("v2.docx", DOCX, article_docx(title, paragraphs=7)),),
                      message_id=message_id, headers=headers)


# -- 1. someone else's submission cannot be changed ------------------------------------


def test_a_stranger_cannot_revise_by_reference_or_thread(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    ref = _submit(cli, config)
    (ack,) = _sent(config)
    draft = config.parent / "var" / "drafts" / ref / "draft.md"

    # The reference in the subject, then a reply in the acknowledgement's thread.
    _ingest(cli, config,
            _version(STRANGER, f"Re: [{ref}] update", "Buy cheap pills", "<e1@elsewhere>"),
            _version(STRANGER, f"Re: {ack['Subject']}", "Buy cheap pills", "<e2@elsewhere>",
                     headers={"In-Reply-To": str(ack["Message-ID"]),
                              "References": str(ack["Message-ID"])}))
    shown = _show(cli, config, ref)
    assert shown["revision"] == 1 and shown["author_email"] == "ana@uni.example.org"
    front = read_front_matter(draft)
    assert front["title"] == "Sleep on night shifts"
    assert front["author"]["email"] == "ana@uni.example.org"
    held = [e for e in shown["history"] if e["event"] == "correspondence" and e.get("held")]
    assert len(held) == 2 and "not the author" in held[0]["held"]
    assert held[0]["take"].startswith(f"intake take-revision {ref} ")
    assert len(_sent(config)) == 1  # nobody answered the stranger
    assert len(_rows(cli, config)) == 1  # and no new submission either

    # The editor can take a held message as a revision; the author stays the author.
    message = held[0]["take"].split()[-1]
    result = cli("--config", config, "take-revision", ref, message, "--as", "ed")
    assert result.code == 0, result.err
    shown = _show(cli, config, ref)
    assert shown["revision"] == 2
    assert read_front_matter(draft)["author"]["email"] == "ana@uni.example.org"
    revised = [e for e in shown["history"] if e["event"] == "revised"]
    assert revised[-1]["actor"] == "ed"


def test_only_the_author_or_an_added_address_revises_and_never_after_a_decision(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    ref = _submit(cli, config)
    co = "Bo Chen <bo@uni.example.org>"
    _ingest(cli, config, _version(co, f"[{ref}] v2", "Co-written", "<bo1@uni>"))
    assert _show(cli, config, ref)["revision"] == 1
    assert cli("--config", config, "add-author", ref, "bo@uni.example.org").code == 0
    _ingest(cli, config, _version(co, f"[{ref}] v2", "Co-written", "<bo2@uni>"))
    assert _show(cli, config, ref)["revision"] == 2
    # The author's own mailbox, +tagged, is still the author.
    _ingest(cli, config, _version("Ana <ANA+journal@uni.example.org>", f"[{ref}] v3",
                                  "Third", "<a3@uni>"))
    assert _show(cli, config, ref)["revision"] == 3

    for step in (("review", ref), ("accept", ref, "--yes", "--no-email")):
        result = cli("--config", config, *step)
        assert result.code == 0, result.err
    _ingest(cli, config, _version(AUTHOR, f"[{ref}] v4", "After the decision", "<a4@uni>"))
    shown = _show(cli, config, ref)
    assert (shown["revision"], shown["status"]) == (3, "accepted")
    assert any("after the decision" in str(e.get("held")) for e in shown["history"])


# -- 2. a Message-ID is not an identity ---------------------------------------------------


def test_a_reused_message_id_is_a_new_message_and_purge_keeps_it(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    mid = "<same@uni.example.org>"
    original = make_email(AUTHOR, "Guest post: On call", "Please find my post.",
                          attachments=(("post.docx", DOCX, article_docx("On call")),),
                          message_id=mid)
    other = make_email(STRANGER, "Guest post: Mine", "Another text, another person.",
                       attachments=(("mine.docx", DOCX, article_docx("Mine")),),
                       message_id=mid)
    out = _ingest(cli, config, original, other)
    assert out.startswith("fetched 2 · new 2"), out
    rows = {r["author_email"]: r for r in _rows(cli, config)}
    assert set(rows) == {"ana@uni.example.org", "eve@elsewhere.example.net"}
    assert any("reuses the Message-ID" in w
               for w in rows["eve@elsewhere.example.net"]["warnings"])
    assert sorted(str(m["To"]) for m in _sent(config)) == [
        "Ana Lima <ana@uni.example.org>", "Eve Mallory <eve@elsewhere.example.net>"]

    # The same message again through another hop: taken once, answered once.
    hop = b"Received: from mx2.uni.example.org by mx.journal.example.org\r\n" + original
    assert "new 0" in _ingest(cli, config, hop)
    assert len(_rows(cli, config)) == 2 and len(_sent(config)) == 2

    # Purging the first submission deletes its own messages only.
    settings = load_settings(config)
    app = Intake(settings)
    try:
        first = app.ledger.submission(str(rows["ana@uni.example.org"]["reference"]))
        second = app.ledger.submission(str(rows["eve@elsewhere.example.net"]["reference"]))
        assert first is not None and second is not None
        purge(app, first, "test")
        theirs = app.ledger.messages_of(second.id)
        assert theirs and all((settings.data_dir / m.raw_path).is_file() for m in theirs)
    finally:
        app.close()


def test_a_message_without_message_id_delivered_twice_is_taken_once(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    bare = make_email(AUTHOR, "Guest post: No id", "Please find my post.",
                      attachments=(("post.docx", DOCX, article_docx("No id")),))
    bare = b"\r\n".join(line for line in bare.split(b"\r\n")
                        if not line.lower().startswith(b"message-id:"))
    first = b"Received: from a.example by mx.example; Mon, 2 Nov 2026 09:30:01 +0000\r\n" + bare
    second = b"Received: from b.example by mx.example; Mon, 2 Nov 2026 09:31:07 +0000\r\n" + bare
    _ingest(cli, config, first)
    _ingest(cli, config, second)
    assert len(_rows(cli, config)) == 1 and len(_sent(config)) == 1


# -- 3. one small message cannot stop every run ----------------------------------------


def _run(config: Path, folder: Path, failpoint: str | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTAKE_FAILPOINT": failpoint or ""}
    return subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "ingest",
                           str(folder)], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def test_a_message_that_kills_the_run_twice_is_quarantined_and_mail_flows(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    folder = eml_folder(config.parent, [
        make_email(AUTHOR, "Guest post: Poison", "Please find my post.",
                   attachments=(("post.docx", DOCX, article_docx("Poison")),)),
    ])
    for _ in range(2):  # a crash, an OOM kill, a cron timeout: twice
        assert _run(config, folder, "processing").returncode == -9
    later = eml_folder(config.parent, [make_email(
        "Bo Chen <bo@uni.example.org>", "Guest post: Fine", "Please find my post.",
        attachments=(("fine.docx", DOCX, article_docx("Fine")),))])
    done = _run(config, later)
    assert done.returncode == 1, done.stderr  # something was quarantined
    assert "cut short 2 times" in done.stderr
    rows = {r["author_email"]: r for r in _rows(cli, config)}
    assert rows["ana@uni.example.org"]["status"] == "quarantined"
    assert rows["bo@uni.example.org"]["status"] == "queued"


def test_a_message_that_kills_the_run_while_read_ahead_is_the_one_charged(
        make_config: Callable[..., Path], cli: Cli) -> None:
    """Messages are read ahead of their turn (their documents convert meanwhile): a kill
    then is charged to the message being read, not to the one being processed. (A small
    message is read ahead by a conversion worker, where a kill costs the worker, not the
    run; a large one is read here, from its file.)"""
    from intake.pipeline.stages import READ_WHOLE_BYTES

    config = make_config()
    names = ("First", "Poison", "Third")
    large = ("data.bin", "application/octet-stream", os.urandom(READ_WHOLE_BYTES))
    folder = eml_folder(config.parent, [make_email(
        f"{name} <{name.lower()}@uni.example.org>", f"Guest post: {name}", "Attached.",
        attachments=(("p.docx", DOCX, article_docx(name)), *([large] if name == "Poison"
                                                                else []))) for name in names])
    # The first message is read in its turn, after the second was read ahead: the kill
    # while reading comes while the second is being read.
    for _ in range(2):
        assert _run(config, folder, "reading").returncode == -9
    done = _run(config, eml_folder(config.parent, []))
    assert "cut short 2 times" in done.stderr
    states = {r["author_email"]: r["status"] for r in _rows(cli, config)}
    assert states == {"first@uni.example.org": "queued",
                      "poison@uni.example.org": "quarantined",
                      "third@uni.example.org": "queued"}


def test_a_worker_killed_while_reading_ahead_costs_nothing(
        make_config: Callable[..., Path], cli: Cli) -> None:
    """A worker that dies reading a message ahead (every time, here) is replaced, and
    the message is read by the run at its turn: nothing charged, nothing lost."""
    config = make_config()
    names = ("First", "Second", "Third")
    folder = eml_folder(config.parent, [make_email(
        f"{name} <{name.lower()}@uni.example.org>", f"Guest post: {name}", "Attached.",
        attachments=(("p.docx", DOCX, article_docx(name)),)) for name in names])
    done = _run(config, folder, "reading-ahead")
    assert done.returncode == 0, done.stderr
    states = {r["author_email"]: r["status"] for r in _rows(cli, config)}
    assert states == {f"{n.lower()}@uni.example.org": "queued" for n in names}


def test_a_message_over_its_time_budget_is_quarantined(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config(intake={"message_seconds": 1})
    folder = eml_folder(config.parent, [make_email(AUTHOR, "Guest post: Slow", "Hello.")])
    done = _run(config, folder, "hang-processing", timeout=60)
    assert done.returncode == 1, done.stderr
    (row,) = _rows(cli, config)
    assert row["status"] == "quarantined"
    assert "longer than 1 seconds" in _show(cli, config, str(row["reference"]))["reason"]


@pytest.mark.parametrize("unit", [
    "a", "a.", "1", "_a", "](", "![", "www.", "-", "10.", "+1", "mrn", "ssn", "a@", "\t ",
    "\n \n", "1 1 ", "Patient Aa ", "DOB 1/1/", "# a\n", "1. ", "> ", "`", "|"])
def test_text_checks_take_linear_time(unit: str, make_config: Callable[..., Path]) -> None:
    """200 KB of one repeated unit in a body and a subject: a square-time pattern takes
    minutes on it; a linear one, well under a second."""
    import time

    from intake.mail.parse import parse_message

    app = Intake(load_settings(make_config()))
    try:
        text = unit * (200_000 // len(unit))
        msg = parse_message(make_email(AUTHOR, text[:2000].replace("\n", " "), text))
        start = time.monotonic()
        app.assess(msg)
        assert time.monotonic() - start < 10
    finally:
        app.close()


def test_headers_are_bounded_before_they_are_decoded() -> None:
    from intake.mail.parse import MAX_HEADER_CHARS, parse_message

    words = " ".join(["=?utf-8?q?a?="] * 60_000)  # ~800 KB: minutes of decoding unbounded
    data = (f"From: a@b.example\r\nTo: c@d.example\r\nSubject: {words}\r\n"
            f"References: {' '.join(f'<{n}@x>' for n in range(5000))} <last@x>\r\n"
            f"Message-ID: <m@x>\r\n\r\nhello\r\n").encode()
    msg = parse_message(data)
    assert 0 < len(msg.subject) <= MAX_HEADER_CHARS
    assert msg.references[-1] == "<last@x>"  # the newest kept


def test_a_message_with_too_many_parts_is_quarantined(
        make_config: Callable[..., Path], cli: Cli) -> None:
    from intake.mail.parse import MAX_PARTS

    config = make_config()
    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\npart {n}\r\n"
                    for n in range(MAX_PARTS + 10))
    data = (f"From: {AUTHOR}\r\nTo: submissions@journal.example.org\r\nSubject: parts\r\n"
            "Message-ID: <parts@x>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=b\r\n\r\n{parts}--b--\r\n").encode()
    assert "quarantined 1" in _ingest(cli, config, data)
    (row,) = _rows(cli, config)
    assert "MIME parts" in _show(cli, config, str(row["reference"]))["reason"]


def _processes_marked(marker: str) -> list[int]:
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def test_a_dry_run_leaves_no_file_and_no_process_behind(
        tmp_path: Path, imap: ImapAccount, make_config: Callable[..., Path]) -> None:
    imap.append(make_email(AUTHOR, "Guest post: Dry", "Attached.",
                           attachments=(("p.docx", DOCX, article_docx("Dry")),)),
                make_email("Bo <bo@uni.example.org>", "Guest post: Old", "Attached.",
                           attachments=(("old.doc", "application/msword",
                                         b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096),)))
    config = make_config(imap=imap.settings(), drafts={"convert_seconds": 2})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    bin_dir = tmp_path / "bin"  # an antiword that never ends, as on a hostile file
    bin_dir.mkdir()
    (bin_dir / "antiword").write_text("#!/bin/sh\nexec sleep 300\n")
    (bin_dir / "antiword").chmod(0o755)
    marker = f"INTAKE_TEST_MARK_{os.getpid()}_{id(scratch)}"
    env = {**os.environ, "TMPDIR": str(scratch), marker: "1",
           "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "poll",
                           "--dry-run"], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "would take guest_post from ana@uni.example.org" in done.stdout
    assert "old.doc took longer than 2 seconds" in done.stdout
    assert list(scratch.iterdir()) == []
    assert not (config.parent / "var").exists()
    import time

    for _ in range(50):
        if not _processes_marked(marker):
            break
        time.sleep(0.1)
    assert _processes_marked(marker) == []


# -- 6. drafts and exports carry nothing active -----------------------------------------

HOSTILE = ('<script>alert(1)</script> <img src=x onerror="alert(2)"> '
           '<iframe src="https://evil.example/"></iframe> [click](javascript:alert(3))')


def _renders_inert(markdown: str) -> None:
    """Rendered as CommonMark with raw HTML allowed (what a blog engine does), nothing
    in it is an element that runs or fetches."""
    import re

    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": True}).render(markdown)
    for active in ("<script", "<iframe", "<img", 'href="javascript:'):
        assert active not in html, (active, html)
    assert not re.search(r"<[a-z][^>]*\son\w+=", html), html


def _svg_docx() -> bytes:
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(article_docx("Vector art")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/media/image1.png":
                data = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
            if info.filename == "[Content_Types].xml":
                data = data.replace(b'<Default Extension="png" ContentType="image/png"/>',
                                    b'<Default Extension="png" ContentType="image/svg+xml"/>')
            target.writestr(info, data)
    return out.getvalue()


def test_plain_text_and_svg_images_reach_drafts_and_exports_inert(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    body = ("Dear editors, my post is below.\n\n" + HOSTILE + "\n\n"
            + "A paragraph of the article itself, long enough to count. " * 50)
    _ingest(cli, config,
            make_email(AUTHOR, "Guest post: In the body", body, message_id="<b@x>"),
            make_email("Bo <bo@uni.example.org>", "Guest post: As text", "Attached.",
                       attachments=(("post.txt", "text/plain", HOSTILE.encode() * 30),),
                       message_id="<t@x>"),
            make_email("Cy <cy@uni.example.org>", "Guest post: Vector", "Attached.",
                       attachments=(("art.docx", DOCX, _svg_docx()),), message_id="<s@x>"))
    rows = _rows(cli, config)
    assert len(rows) == 3
    for row in rows:
        folder = config.parent / "var" / str(row["draft_dir"])
        _renders_inert((folder / "draft.md").read_text())
        assert not list((folder / "assets").glob("*.svg"))
        out = config.parent / "export" / str(row["reference"])
        result = cli("--config", config, "export", row["reference"], "--to", out)
        assert result.code == 0, result.err
        for exported in out.rglob("*.md"):
            _renders_inert(exported.read_text())
    vector = next(r for r in rows if r["author_email"] == "cy@uni.example.org")
    assert any("SVG drawing" in w for w in vector["warnings"])
    text = next(r for r in rows if r["author_email"] == "bo@uni.example.org")
    draft = (config.parent / "var" / str(text["draft_dir"]) / "draft.md").read_text()
    assert r"\<script>alert(1)\</script>" in draft  # shown as written, not dropped


# -- 8. XML entity checks cannot be stepped around -------------------------------------

def _with_part(name: str, data: bytes, *, replace_part: bool = False) -> bytes:
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(article_docx("Entities")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if not (replace_part and info.filename == name):
                target.writestr(info, source.read(info))
        target.writestr(name, data)
    return out.getvalue()


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10 if n > 1
                                              else b"&lol;" * 10) for n in range(1, 9))
        + b"]><lolz>&lol8;</lolz>")


@pytest.mark.parametrize(("part", "data", "replace_part"), [
    # A DOCTYPE after the first 4 KB of the body.
    ("word/document.xml", b'<?xml version="1.0"?>' + b" " * 8000 + b"<!DOCTYPE w [ ]>",
     True),
    # In a part whose name does not end in .xml.
    ("customXml/item9.bin", BOMB, False),
    ("word/embeddings/data", b"\xef\xbb\xbf  " + BOMB, False),
    # Behind comments and instructions that hold what looks like a root element's tag.
    ("word/document.xml", b'<?xml version="1.0"?><?pi <w:document>?><!-- <w:body> -->'
     + BOMB[21:], True),
    # Behind a comment longer than the prolog is read ahead.
    ("word/document.xml", b'<?xml version="1.0"?><!--' + os.urandom(600_000).hex().encode()
     + b"-->"
     + BOMB[21:], True),
    # In UTF-16.
    ("word/document.xml", '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [ ]><w/>'
     .encode("utf-16"), True),
    # After stray text, where only markup may stand: the whole part is searched.
    ("word/document.xml", b'<?xml version="1.0"?>text' + b" " * 8000 + b"<!DOCTYPE w [ ]>",
     True),
])
def test_a_dtd_in_any_xml_part_is_refused(part: str, data: bytes, replace_part: bool) -> None:
    from intake.convert.safety import ConversionError, check_package

    with pytest.raises(ConversionError, match="DOCTYPE or entity"):
        check_package(_with_part(part, data, replace_part=replace_part))


def test_a_doctype_after_the_root_element_is_refused_by_the_parser() -> None:
    """check_package reads each part up to its root element (a DOCTYPE may only come
    before it); one placed later makes the part malformed, and the document is refused."""
    import io
    import zipfile

    from intake.convert import convert_document
    from intake.convert.safety import ConversionError, check_package
    from intake.core.models import FileType

    doc = text_docx("Title", ["Body"])
    with zipfile.ZipFile(io.BytesIO(doc)) as package:
        body = package.read("word/document.xml")
    late = body.replace(b"</w:body>", b"</w:body><!DOCTYPE w [<!ENTITY e 'x'>]>")
    hostile = _with_part("word/document.xml", late, replace_part=True)
    check_package(hostile)  # not found in the prolog, so it is left to the parser
    with pytest.raises(ConversionError):
        convert_document("late.docx", hostile, FileType.DOCX)


def test_xml_is_parsed_with_entities_left_unexpanded() -> None:
    from lxml import etree

    from intake.convert.xmlsafe import parse_xml

    root = parse_xml(b'<!DOCTYPE a [<!ENTITY e "EXPANDED">]><a>&e;</a>')
    assert "EXPANDED" not in "".join(root.itertext())
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):
        parse_xml(BOMB)  # refused by libxml2 rather than expanded


def test_an_html_chunk_may_have_its_doctype() -> None:
    from intake.convert.safety import check_package

    html = b"<!DOCTYPE html><html><body><p>Article</p></body></html>"
    data = _with_part("word/afchunk.htm", html)
    data = _with_part("[Content_Types].xml", _types_with_html(data), replace_part=True)
    check_package(data)  # no error


def _types_with_html(docx_bytes: bytes) -> bytes:
    import io
    import zipfile

    types = zipfile.ZipFile(io.BytesIO(docx_bytes)).read("[Content_Types].xml")
    return types.replace(b"</Types>", b'<Override PartName="/word/afchunk.htm" '
                         b'ContentType="text/html"/></Types>')


# -- 4. limits on totals, not only on ratios -------------------------------------------

def test_many_parts_each_under_the_threshold_are_one_bomb() -> None:
    import io
    import zipfile

    from intake.convert.safety import ConversionError, check_package

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        for n in range(300):  # 300 parts of 1 MiB less a byte: each passes on its own
            zf.writestr(f"word/media/image{n}.png", b"\0" * (1024 * 1024 - 1))
    assert len(out.getvalue()) < 1024 * 1024
    with pytest.raises(ConversionError, match=r"expands .* times"):
        check_package(out.getvalue())


def test_what_a_document_brings_back_is_bounded() -> None:
    from intake.convert import worker
    from intake.core.models import Asset, Converted

    many = Converted(markdown="text\n", assets=tuple(
        Asset(f"image-{n:03d}.png", b"x" * (8 * 1024 * 1024)) for n in range(12)))
    bounded = worker.bounded(many)
    assert sum(len(a.data) for a in bounded.assets) <= worker.MAX_OUTPUT_BYTES
    assert len(bounded.assets) == 7 and "left out of the draft" in bounded.warnings[-1]


# -- 5. nothing outlives its limit ------------------------------------------------------

def test_a_hung_helper_program_dies_with_its_worker_and_leaves_no_files(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pids = tmp_path / "helper.pid"
    fake = bin_dir / "antiword"
    fake.write_text(f"#!/bin/sh\necho $$ >> {pids}\nexec sleep 300\n")
    fake.chmod(0o755)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    config = make_config(drafts={"convert_seconds": 2})
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048  # a legacy Word file to antiword
    folder = eml_folder(config.parent, [make_email(
        AUTHOR, "Guest post: Old Word", "Attached.",
        attachments=(("old.doc", "application/msword", ole),))])
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TMPDIR": str(scratch)}
    done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "ingest",
                           str(folder)], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1, done.stderr  # quarantined: took longer than 2 seconds
    assert "longer than 2 seconds" in done.stderr
    pid = int(pids.read_text().split()[0])
    import time

    status = Path(f"/proc/{pid}/status")
    for _ in range(50):  # the kill is sent before intake exits; let the kernel end it
        try:
            if "\nState:\tZ" in status.read_text():
                break  # dead, waiting for a parent to reap it
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the helper program {pid} outlived intake")
    assert list(scratch.iterdir()) == []  # no temporary copy of the manuscript left


# -- 9. private data is private ---------------------------------------------------------

def test_everything_intake_writes_is_private_and_doctor_says_what_is_not(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    import stat

    config = make_config()
    _submit(cli, config)
    data = config.parent / "var"
    paths = [data, *data.rglob("*")]
    assert len(paths) > 10
    loose = [f"{p} {stat.S_IMODE(p.stat().st_mode):04o}" for p in paths
             if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == []
    assert "WARN" not in cli("--config", config, "doctor").out

    secret = tmp_path / "imap-password"
    secret.write_text("hunter2\n")
    secret.chmod(0o644)
    data.chmod(0o755)
    config = make_config(imap={"host": "127.0.0.1", "port": 1, "security": "plain",
                               "username": "u", "password_file": str(secret)})
    out = cli("--config", config, "doctor").out
    assert f"WARN  {data} can be read by other users" in out
    assert f"WARN  [imap] password_file {secret} can be read by others (mode 0644)" in out
    config = make_config(imap={"host": "127.0.0.1", "port": 1, "security": "plain",
                               "username": "u", "password_command": "echo hunter2"})
    assert "password_command writes the password into" in cli("--config", config,
                                                             "doctor").out


# -- 10. backscatter -------------------------------------------------------------------

def test_plus_addresses_are_one_person_and_a_run_sends_a_bounded_number(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config(replies={"max_per_sender": 2, "max_per_run": 3})
    victims = [make_email(f"Victim <victim+{n}@uni.example.org>", f"Guest post {n}",
                          "Please find my post.", message_id=f"<v{n}@x>",
                          attachments=(("p.docx", DOCX, article_docx(f"Post {n}")),))
               for n in range(5)]
    others = [make_email(f"P{n} <p{n}@uni.example.org>", f"Guest post P{n}",
                         "Please find my post.", message_id=f"<p{n}@x>",
                         attachments=(("p.docx", DOCX, article_docx(f"P {n}")),))
              for n in range(4)]
    out = _ingest(cli, config, *victims, *others)
    assert "new 9" in out and "sent 3" in out and "pending 3" in out, out
    assert cli("--config", config, "send").code == 0
    to = sorted(str(m["To"]).split("<")[1].split("+")[0] for m in _sent(config))
    assert to == ["p0@uni.example.org>", "p1@uni.example.org>", "p2@uni.example.org>",
                  "p3@uni.example.org>", "victim", "victim"]  # two for one mailbox


def test_an_acknowledgement_repeats_a_bounded_part_of_a_huge_subject(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    subject = "Guest post " + "x" * 2_000_000  # the title too: nothing else names it
    _ingest(cli, config, make_email(AUTHOR, subject, "My article, in the body. " * 100))
    (ack,) = (config.parent / "sent").glob("*.eml")
    assert ack.stat().st_size < 40_000
    assert "xxxxxxxxxx" in ack.read_text()  # still recognisable


# -- 11. damaged state -----------------------------------------------------------------

@pytest.mark.parametrize("damage", [b"not a database at all" * 10, b"SQLite format 3\0" +
                                    b"\xff" * 8000])
def test_a_damaged_ledger_is_one_clear_line_and_its_own_exit_code(
        damage: bytes, make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    ledger = config.parent / "var" / "intake.sqlite3"
    ledger.parent.mkdir()
    ledger.write_bytes(damage)
    for command in (("queue",), ("ingest", str(config.parent)), ("show", "JPMS-2026-0001")):
        result = cli("--config", config, *command)
        assert result.code == 3, (command, result.err)
        assert result.err.startswith(f"intake: the ledger {ledger} is damaged")
        assert "Traceback" not in result.err and result.err.count("\n") == 1
        assert "sqlite3" in result.err and ".recover" in result.err


def test_purge_never_follows_a_link_and_goes_on_past_a_bad_submission(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    for n in range(3):
        _ingest(cli, config, make_email(f"A{n} <a{n}@uni.example.org>", f"Guest post {n}",
                                        "Please find my post.", message_id=f"<p{n}@x>",
                                        attachments=(("p.docx", DOCX, article_docx(f"{n}")),)))
    refs = sorted(str(r["reference"]) for r in _rows(cli, config))
    for ref in refs:
        assert cli("--config", config, "reject", ref, "--yes", "--no-email").code == 0
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("someone else's")
    drafts = config.parent / "var" / "drafts"
    (drafts / refs[0] / "assets" / "link").symlink_to(precious)  # inside a draft folder
    moved = tmp_path / "moved-draft"
    (drafts / refs[1]).rename(moved)
    (drafts / refs[1]).symlink_to(moved)  # the draft folder itself is a link
    import sqlite3

    db = sqlite3.connect(config.parent / "var" / "intake.sqlite3")
    with db:
        db.execute("UPDATE submissions SET decided_at = '2000-01-01T00:00:00+00:00'")
    db.close()
    result = cli("--config", config, "purge")
    assert result.code == 1, result.err
    assert f"purge skipped {refs[1]}: left {drafts / refs[1]}: a symbolic link" in result.err
    assert (precious / "keep.txt").read_text() == "someone else's"
    assert (moved / "draft.md").is_file()
    assert not (drafts / refs[0]).exists() and not (drafts / refs[2]).exists()
    shown = {ref: _show(cli, config, ref) for ref in refs}
    assert all(s["purged_at"] for s in shown.values())


# -- 12. damaged documents are never a silent success ------------------------------------

def test_a_word_file_cut_short_in_the_email_is_a_problem_not_a_draft_of_base64(
        make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    whole = make_email(AUTHOR, "Guest post: Cut", "Attached.",
                       attachments=(("cut.docx", DOCX, article_docx("Cut short")),))
    start = whole.index(b"Content-Disposition: attachment")
    _ingest(cli, config, whole[:start + 3000] + b"\r\n")
    (row,) = _rows(cli, config)
    assert row["status"] == "quarantined"
    shown = _show(cli, config, str(row["reference"]))
    assert "incomplete" in shown["reason"] or "damaged" in shown["reason"], shown["reason"]
    draft = config.parent / "var" / str(row["draft_dir"]) / "draft.md"
    assert "UEsDB" not in draft.read_text()  # no base64 passed off as the article
    (ack,) = _sent(config)
    assert "could not open" in str(ack["Subject"]).lower()


def _alt_chunk_docx(html: bytes) -> bytes:
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(article_docx("Placeholder", paragraphs=1,
                                                     image=False)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                start, end = data.index(b"<w:body>") + 8, data.index(b"<w:sectPr")
                data = data[:start] + b'<w:altChunk r:id="rIdChunk"/>' + data[end:]
            elif info.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdChunk" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/aFChunk" Target="afchunk.htm"/>'
                    b"</Relationships>"))
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/word/afchunk.htm" '
                                    b'ContentType="text/html"/></Types>')
            target.writestr(info, data)
        target.writestr("word/afchunk.htm", html)
    return out.getvalue()


def test_an_article_in_an_alt_chunk_is_read_and_an_empty_one_is_a_problem() -> None:
    from intake.convert.isolated import convert_isolated
    from intake.convert.jobs import Limits
    from intake.core.models import Attachment, FileType
    from intake.drafts.build import _nothing_read

    article = (b"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
               b"<h1>Night shifts</h1><p>Sleep is <b>hard</b> on the wards.</p>"
               b"<script>alert(1)</script></body></html>")
    converted = convert_isolated("chunk.docx", _alt_chunk_docx(article), FileType.DOCX,
                                 Limits())
    assert "# Night shifts" in converted.markdown
    assert "Sleep is **hard** on the wards." in converted.markdown
    assert "alert" not in converted.markdown
    assert any("altChunk" in w for w in converted.warnings)

    empty = _alt_chunk_docx(b"<html><body></body></html>")
    converted = convert_isolated("empty.docx", empty, FileType.DOCX, Limits())
    manuscript = Attachment("empty.docx", "empty.docx", DOCX, FileType.DOCX, empty)
    assert _nothing_read(manuscript, converted) == (
        "empty.docx gave only 0 word(s): nothing of the article could be read from it")
