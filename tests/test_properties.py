"""Property tests (hypothesis): whatever the headers, file names, MIME structure or
document packages, intake stays inside its folder, loses nothing and never crashes.

CI runs the default profile ("ci", a few dozen examples each); `make evidence`
runs the "full" profile (HYPOTHESIS_PROFILE=full, a thousand each).
"""

from __future__ import annotations

import base64
import io
import random
import sqlite3
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from intake.convert import ConversionError, convert_document
from intake.core.config import load_settings
from intake.core.filenames import safe_filename
from intake.core.models import RawMessage
from intake.core.report import RunReport
from intake.core.sniff import sniff
from intake.demo.samples import article_docx
from intake.ledger.store import write_draft_folder
from intake.mail.parse import ParseError, parse_message
from intake.pipeline.run import Intake
from tests.docgen import zip_parts

# -- file names ---------------------------------------------------------------------

PIECES = ["..", "/", "\\", "\x00", ".", " ", "CON", "nul.txt", "a", "é", "e\u0301", "😀",
          "%2e%2e%2f", "\u202e", "\r\n", ":", "~", "$HOME", "*", "?", "\u3000", "x" * 60,
          "ﬁ", "İ", ".docx", "/etc/passwd", "C:\\Windows\\", "\ud7ff", "\U0001f4a9" * 30]
hostile_names = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=100, max_size=600),
)


def _check_plain_name(name: str, folder: Path) -> None:
    assert name and name not in (".", "..") and not name.startswith(".")
    assert not any(c in name for c in "/\\\x00")
    assert all(unicodedata.category(c)[0] != "C" for c in name)
    assert len(name.encode("utf-8")) <= 255  # NAME_MAX on every common file system
    target = folder / name
    target.write_bytes(b"x")  # writable as it is
    assert target.resolve().parent == folder.resolve()


@given(hostile_names)
def test_a_safe_filename_is_one_plain_writable_name_inside_its_folder(name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _check_plain_name(safe_filename(name, "attachment-1.bin"), Path(tmp))


def _disposition(name: str, how: str) -> str:
    if how == "rfc2231":
        return f"attachment; filename*=utf-8''{quote(name, safe='')}"
    if how == "rfc2231-continued":
        encoded = quote(name, safe="")
        chunks = [encoded[i:i + 40] for i in range(0, len(encoded), 40)] or [""]
        return "attachment; " + "; ".join(f"filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}"
                                          f"{c}" for i, c in enumerate(chunks))
    if how == "rfc2047":
        word = base64.b64encode(name.encode("utf-8")).decode()
        return f'attachment; filename="=?utf-8?b?{word}?="'
    # Raw 8-bit in a quoted string, as some clients send it.
    return 'attachment; filename="' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(hostile_names, st.sampled_from(["rfc2231", "rfc2231-continued", "rfc2047", "raw"]),
       st.binary(min_size=1, max_size=200))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_attachment_names_from_any_encoding_stay_inside_the_draft_folder(
        name: str, how: str, payload: bytes) -> None:
    assume(("\r" not in name and "\n" not in name) or how != "raw")
    data = ("From: Author <a@uni.example>\r\nTo: submissions@journal.example.org\r\n"
            "Subject: files\r\nMessage-ID: <p@uni.example>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
            "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: {_disposition(name, how)}\r\n\r\n"
            f"{base64.encodebytes(payload).decode()}\r\n--b--\r\n").encode("utf-8",
                                                                      "surrogateescape")
    message = parse_message(data)
    assert [a.data for a in message.attachments] == [payload]  # nothing dropped or altered
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "drafts" / "REF"
        write_draft_folder(folder, {}, "", (), message.attachments, "text")
        written = [p for p in Path(tmp).rglob("*") if p.is_file()]
        assert all(p.resolve().is_relative_to(folder.resolve()) for p in written)
        assert any(p.read_bytes() == payload for p in written)
        for attachment in message.attachments:
            _check_plain_name(attachment.filename, Path(tmp))


# -- headers ------------------------------------------------------------------------

header_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(["=?utf-8?b?", "=?iso-8859-1?q?", "?=", "=?", "\r\n ", "\n",
                              "\r\nBcc: x@evil.example", "\x00", "é", "<", ">", "@", ",",
                              '"', "\\", ";", "abc", "=C3=A9", "=?utf-8?b?////?="]),
             max_size=20).map("".join),
)


@given(header_text, header_text, header_text, header_text)
def test_any_headers_parse_or_are_refused_with_a_reason(subject: str, name: str,
                                                        message_id: str, refs: str) -> None:
    raw = (f"From: {name} <author@uni.example>\r\nSubject: {subject}\r\n"
           f"Message-ID: {message_id}\r\nReferences: {refs}\r\n\r\nbody\r\n"
           ).encode("utf-8", "surrogateescape")
    try:
        message = parse_message(raw)
    except ParseError as exc:
        assert str(exc)
        return
    for value in (message.subject, message.sender_name, message.message_id):
        assert "\r" not in value and "\n" not in value and "\x00" not in value


# -- MIME structure, through the real pipeline ----------------------------------------

@pytest.fixture(scope="module")
def pipeline() -> Iterator[Intake]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "settings.toml"
        config.write_text('[intake]\ndata_dir = "var"\n[replies]\nmax_per_sender = 1000000\n'
                          '[smtp]\nfrom = "Editors <submissions@journal.example.org>"\n'
                          'transport = "file"\nfile_dir = "sent"\n')
        app = Intake(load_settings(config))
        yield app
        app.close()


_serial = iter(range(10**9))


def _outcome(app: Intake, data: bytes) -> tuple[str, str]:
    """Through accept and process, as a run does: the message's final state and reason."""
    stored = app.accept(RawMessage("file", f"property-{next(_serial)}", data), RunReport())
    assert stored is not None
    app.process_pending(RunReport())
    db = sqlite3.connect(app.settings.data_dir / "intake.sqlite3")
    try:
        state, reason = db.execute("SELECT state, reason FROM messages WHERE id = ?",
                                   (stored.id,)).fetchone()
    finally:
        db.close()
    return str(state), str(reason or "")


def _leaf(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["text", "html", "bytes", "docx-name"]))
    if kind == "text":
        return "Content-Type: text/plain; charset=utf-8\r\n\r\n" + draw(st.text(max_size=80))
    if kind == "html":
        return ("Content-Type: text/html\r\n\r\n<p onclick=x()>" + draw(st.text(max_size=40))
                + "<script>alert(1)</script>")
    blob = base64.encodebytes(draw(st.binary(max_size=120))).decode()
    filename = "article.docx" if kind == "docx-name" else draw(st.text(max_size=20))
    return (f'Content-Type: application/octet-stream; name="{filename}"\r\n'
            "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n"
            + blob)


@st.composite
def mime_tree(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 6 or draw(st.booleans()):
        return _leaf(draw)
    boundary = f"b{depth}{draw(st.integers(0, 99))}"
    children = draw(st.lists(mime_tree(depth + 1), max_size=4))
    broken = draw(st.sampled_from(["", "no-close", "no-open", "wrong", "no-boundary-param"]))
    head = (f"Content-Type: multipart/{draw(st.sampled_from(['mixed', 'alternative', 'related']))}"
            + ("" if broken == "no-boundary-param" else f'; boundary="{boundary}"') + "\r\n\r\n")
    opener = f"--{boundary}x" if broken == "wrong" else f"--{boundary}"
    body = "".join(("" if broken == "no-open" else opener + "\r\n") + c + "\r\n"
                   for c in children)
    return head + body + ("" if broken == "no-close" else f"--{boundary}--\r\n")


@given(mime_tree())
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          deadline=None)
def test_any_mime_structure_ends_processed_ignored_or_quarantined(pipeline: Intake,
                                                                   tree: str) -> None:
    n = next(_serial)
    data = (f"From: Author {n} <author{n}@uni.example>\r\nTo: submissions@journal.example.org"
            f"\r\nSubject: Guest post {n}\r\nMessage-ID: <m{n}@uni.example>\r\n"
            f"MIME-Version: 1.0\r\n{tree}").encode("utf-8", "surrogateescape")
    state, reason = _outcome(pipeline, data)
    assert state in {"processed", "ignored", "quarantined"}
    assert not reason.startswith("intake failed"), reason  # a bug, not bad input


def _nested(depth: int) -> str:
    inner = "Content-Type: text/plain\r\n\r\nthe article text\r\n"
    for level in range(depth):
        inner = (f'Content-Type: multipart/mixed; boundary="n{level}"\r\n\r\n--n{level}\r\n'
                 f"{inner}\r\n--n{level}--\r\n")
    return inner


def _many_parts(count: int) -> str:
    parts = "".join("--many\r\nContent-Type: application/octet-stream\r\n"
                    f'Content-Disposition: attachment; filename="f{i}.bin"\r\n\r\n{i}\r\n'
                    for i in range(count))
    return f'Content-Type: multipart/mixed; boundary="many"\r\n\r\n{parts}--many--\r\n'


@pytest.mark.parametrize(("label", "tree"), [
    ("nested 200 deep", _nested(200)),
    ("3,000 parts", _many_parts(3000)),
    ("no boundary at all", 'Content-Type: multipart/mixed; boundary="gone"\r\n\r\nplain text'),
])
def test_extreme_mime_shapes_end_in_a_final_state(pipeline: Intake, label: str,
                                                  tree: str) -> None:
    data = (f"From: Author <extreme{label[:2]}@uni.example>\r\nSubject: {label}\r\n"
            f"Message-ID: <{label[:2]}x@uni.example>\r\nMIME-Version: 1.0\r\n{tree}").encode()
    state, reason = _outcome(pipeline, data)
    assert state in {"processed", "quarantined"}, (state, reason)
    assert not reason.startswith("intake failed"), reason


# -- document packages ----------------------------------------------------------------

BASE_DOCX = article_docx("A fine article", paragraphs=4)
with zipfile.ZipFile(io.BytesIO(BASE_DOCX)) as _zf:
    MEMBERS = {n: _zf.read(n) for n in _zf.namelist()}


@dataclass(frozen=True)
class Damaged:
    how: str
    data: bytes = field(repr=False)  # a failing example prints its recipe, not 40 KB


@st.composite
def damaged_docx(draw: st.DrawFn) -> Damaged:
    how = draw(st.sampled_from(["drop", "garble", "flip", "truncate", "rename", "xml"]))
    members = dict(MEMBERS)
    names = sorted(members)
    if how == "drop":
        for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
            members.pop(name, None)
    elif how == "garble":
        members[draw(st.sampled_from(names))] = draw(st.binary(max_size=300))
    elif how == "rename":
        name = draw(st.sampled_from(names))
        members[draw(st.sampled_from(["../evil.xml", "/abs.xml", "word/../../x", "word\\x",
                                      "a" * 300]))] = members.pop(name)
    elif how == "xml":  # well-formed zip, hostile or broken XML inside
        members["word/document.xml"] = draw(st.sampled_from([
            b"<w:document", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a SYSTEM "
            b"'file:///etc/passwd'>]><x>&a;</x>", b"\xff\xfe<\x00x\x00",
            b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/"
            b"main'><w:body>" + b"<w:p>" * 5000 + b"</w:body></w:document>"]))
    data = zip_parts(members)
    if how == "flip":
        rng = random.Random(draw(st.integers(0, 2**32)))
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 20))):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        data = bytes(buf)
    elif how == "truncate":
        data = data[: draw(st.integers(0, len(data) - 1))]
    return Damaged(how, data)


@given(damaged_docx())
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_a_damaged_word_package_converts_or_is_refused_with_a_reason(damaged: Damaged) -> None:
    data = damaged.data
    try:
        converted = convert_document("article.docx", data, sniff(data))
    except ConversionError as exc:
        assert exc.reason and "Traceback" not in exc.reason
        return
    assert "/etc/passwd" not in converted.markdown and "root:" not in converted.markdown


# -- what an attacker sends on purpose (issue 14's classes) ------------------------------

TRICKY = [*"aZ9_-.+@:/()[]!<>#*`|\\&;= \t\n'\u2019é", "](", "![", "www.", "mrn", "DOB ",
          "Mr ", "=?", "\r\n", "1/1/"]
long_text = st.tuples(st.lists(st.sampled_from(TRICKY), min_size=1, max_size=4),
                      st.integers(10_000, 60_000)).map(
    lambda unit_count: ("".join(unit_count[0]) * unit_count[1])[:120_000])


@given(long_text, long_text)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          deadline=None)
def test_long_runs_of_any_characters_are_read_in_bounded_time(pipeline: Intake, body: str,
                                                              subject: str) -> None:
    """Every check that reads a stranger's text is linear: the product's own time budget
    (far below the minutes a square-time pattern takes here) never runs out."""
    from intake.core.budget import MessageTimeout, time_budget
    from intake.demo.samples import email as make_email

    data = make_email("A <a@uni.example>", " ".join(subject.split())[:5000] or "x", body)
    try:
        with time_budget(20):
            pipeline.assess(parse_message(data))
    except MessageTimeout:
        pytest.fail("reading the message took more than 20 seconds")


@given(st.integers(1, 80_000), st.sampled_from(["q", "b"]),
       st.sampled_from(["utf-8", "iso-8859-1", "x-unknown"]))
@settings(deadline=None)
def test_many_encoded_words_are_bounded_before_decoding(count: int, encoding: str,
                                                        charset: str) -> None:
    from intake.mail.parse import MAX_HEADER_CHARS

    word = f"=?{charset}?{encoding}?{'YQ==' if encoding == 'b' else 'a'}?="
    data = (f"From: {' '.join([word] * min(count, 2000))} <a@uni.example>\r\n"
            f"Subject: {' '.join([word] * count)}\r\nMessage-ID: <w@x>\r\n\r\nhi\r\n").encode()
    msg = parse_message(data)
    assert len(msg.subject) <= MAX_HEADER_CHARS


@given(st.integers(400, 700))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None,
          max_examples=5)
def test_any_number_of_parts_ends_in_a_final_state(pipeline: Intake, count: int) -> None:
    n = next(_serial)
    data = (f"From: Author <parts{n}@uni.example>\r\nSubject: parts\r\nMessage-ID: <pp{n}@x>"
            f"\r\nMIME-Version: 1.0\r\n{_many_parts(count)}").encode()
    state, reason = _outcome(pipeline, data)
    assert state in {"processed", "quarantined"}, (state, reason)
    assert not reason.startswith("intake failed"), reason


_TRANSPORT_SPACE = " \t\r\n\x0b\x0c"


@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=60),
       st.sampled_from(["8bit", "quoted-printable", "base64"]), st.booleans())
@example(first="\x1f", second="\r", encoding="8bit", trace=False)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_a_message_id_is_shared_by_one_message_only_in_what_it_says(
        pipeline: Intake, first: str, second: str, encoding: str, trace: bool) -> None:
    """Two deliveries with one Message-ID: the same message (whatever hops and encodings
    came between) is taken once; a different one is a message of its own."""
    from email.message import EmailMessage
    from email.policy import SMTP

    n = next(_serial)

    def message(body: str, cte: str) -> bytes:
        msg = EmailMessage(policy=SMTP)
        msg["From"] = f"Author <dup{n}@uni.example>"
        msg["Subject"] = "Guest post"
        msg["Message-ID"] = f"<same{n}@uni.example>"
        msg.set_content(body, cte=cte)
        return msg.as_bytes()

    seen: set[bytes] = set()

    def state(data: bytes) -> str:
        if data in seen:
            return "duplicate"  # the very same bytes: known when they arrive
        seen.add(data)
        return _outcome(pipeline, data)[0]

    original = message(first, "8bit")
    assert state(original) in {"processed", "quarantined"}
    again = (b"Received: by mx2.example\r\n" if trace else b"") + message(first, encoding)
    assert state(again) == "duplicate"
    # What a transport may add or drop at the end of a text part: ASCII white space only
    # (str.rstrip would also drop a control character such as \x1f, which is content).
    same = first.rstrip(_TRANSPORT_SPACE) == second.rstrip(_TRANSPORT_SPACE)
    assert (state(message(second, encoding)) == "duplicate") == same


# -- large bodies, decoded a slice at a time -----------------------------------------


@given(st.binary(max_size=5000), st.sampled_from([0, 4, 60, 76, 1000]),
       st.sampled_from(["\n", "\r\n", " \r\n"]))
def test_base64_decoded_in_slices_is_what_the_stdlib_decodes(data: bytes, width: int,
                                                              newline: str) -> None:
    from intake.mail import transfer

    text = base64.b64encode(data).decode()
    if width:
        text = newline.join(text[i:i + width] for i in range(0, len(text), width)) + newline
    original = transfer._SLICE
    transfer._SLICE = 7  # slices end anywhere: inside a line, a quad, the padding
    try:
        assert transfer.decode_base64(text) == data
    finally:
        transfer._SLICE = original


@given(st.text(alphabet="ABCab+/=\r\n !", max_size=200))
def test_damaged_base64_is_decoded_as_the_stdlib_does_or_said_irregular(text: str) -> None:
    from intake.mail.transfer import Irregular, decode_base64

    try:
        ours = decode_base64(text)
    except Irregular:
        return  # the caller takes the stdlib's tolerant path
    assert ours == base64.b64decode(text)


@given(mime_tree(), st.integers(1, 50))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_a_message_fed_in_pieces_parses_as_it_does_whole(tree: str, piece: int) -> None:
    from email import message_from_bytes
    from email.policy import compat32

    from intake.mail import parse

    data = ("From: a@uni.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n" + tree).encode(
        "utf-8", "surrogateescape")
    # Pieces end anywhere, between a CR and its LF too.
    fed = parse._tree(data[start:start + piece] for start in range(0, len(data), piece))
    whole = message_from_bytes(data, policy=compat32)

    def shape(tree: Message) -> list[object]:
        return [(p.items(), p.preamble, p.epilogue, [str(d) for d in p.defects],
                 None if p.is_multipart() else p.get_payload()) for p in tree.walk()]

    assert shape(fed) == shape(whole)
