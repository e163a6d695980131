"""Security checks through the real pipeline, Dovecot and aiosmtpd:

- header injection through every field that reaches an outgoing email;
- scripts in HTML bodies and documents never become active (draft, export, email);
- file names never escape the data folder (or the export folder);
- external resources in documents and HTML are never fetched;
- secrets never reach the logs, the ledger or any file intake writes.
"""

from __future__ import annotations

import base64
import email
import http.server
import re
import threading
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest

from intake.demo.samples import DOCX, article_docx, text_docx
from intake.demo.samples import email as make_email
from tests.conftest import SMTP_PASSWORD, CliResult, ImapAccount, SmtpServer
from tests.docgen import docx_from_body, para, run
from tests.dovecot import PASSWORD as IMAP_PASSWORD

Cli = Callable[..., CliResult]
Configure = Callable[..., Path]

EDITORS = {"editors.ana": {"name": "Ana Lima", "email": "ana@journal.example.org"}}
INJECT = "Hello\r\nX-Injected: yes\r\nBcc: victim@evil.example"


def _encoded(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


def _received(smtp: SmtpServer) -> list[EmailMessage]:
    out = []
    for m in smtp.handler.messages:
        assert m.rcpt_tos and all("evil.example" not in r for r in m.rcpt_tos), m.rcpt_tos
        out.append(email.message_from_bytes(m.data, policy=policy.default))
    return out


def _assert_clean_headers(msg: EmailMessage) -> None:
    assert msg["X-Injected"] is None and msg["Bcc"] is None, str(msg).split("\n\n")[0]
    for name, value in msg.items():
        assert "\r" not in str(value) and "\n" not in str(value), (name, value)
    to = msg.get_all("To", [])
    assert len(to) == 1 and len(to[0].addresses) == 1
    assert to[0].addresses[0].addr_spec == "author@uni.example"


# -- header injection -----------------------------------------------------------------

def test_no_field_that_reaches_an_email_can_add_a_header_or_a_recipient(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Cli) -> None:
    smtp = smtp_factory("plain")
    reasons = {"reasons": {"scope": INJECT}}
    config = make_config(smtp=smtp.settings(), imap=imap.settings(), **EDITORS, **reasons)
    # Sender's name, subject, file name (RFC 2231), Message-ID and References, and the
    # document's own title and text: each carries CR LF and a Bcc line once decoded.
    doc = text_docx(INJECT, ["A paragraph.\r\nBcc: victim@evil.example"] * 30)
    raw = (f"From: {_encoded(INJECT)} <author@uni.example>\r\n"
           "To: submissions@journal.example.org\r\n"
           f"Subject: {_encoded('Guest post ' + INJECT)}\r\n"
           "Message-ID: <abc\x0bBcc:victim@evil.example>\r\n"
           "References: <r1@uni.example>\r\n\tBcc: victim@evil.example\r\n"
           "MIME-Version: 1.0\r\n"
           'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
           "--b\r\nContent-Type: text/plain\r\n\r\nMy guest post.\r\n--b\r\n"
           f"Content-Type: {DOCX}\r\nContent-Transfer-Encoding: base64\r\n"
           "Content-Disposition: attachment; "
           f"filename*=utf-8''{quote('post' + INJECT + '.docx', safe='')}\r\n\r\n"
           f"{base64.encodebytes(doc).decode()}\r\n--b--\r\n").encode()
    # A web form's message: the author, and so the To of the reply, comes from Reply-To.
    relayed = f"Reply-To: {_encoded(INJECT)} <author@uni.example>\r\n".encode() + make_email(
        "Website <wordpress@journal.example.org>", "New submission",
        "Name: Hello\nMessage: my guest post.", message_id="<form@x>",
        attachments=(("form.docx", DOCX, text_docx("Another", ["Other words."] * 30)),))
    imap.append(raw, relayed)
    assert cli("--config", config, "poll").code == 0
    ack, form_ack = _received(smtp)
    _assert_clean_headers(ack)
    _assert_clean_headers(form_ack)
    ref = str(ack["X-Intake-Reference"])

    # The editor's own words and a configured reason go into a decision email.
    c = ("--config", config)
    assert cli(*c, "review", ref, "--as", "ana").code == 0
    decided = cli(*c, "reject", ref, "--yes", "--as", "ana", "--reason", "scope",
                  "--message", INJECT)
    assert decided.code == 0, decided.err
    assert cli(*c, "send").code == 0
    *_, decision = _received(smtp)
    _assert_clean_headers(decision)
    assert "Hello" in decision.get_body(("plain",)).get_content()  # type: ignore[union-attr]


# -- nothing active -------------------------------------------------------------------

# Raw HTML that a Markdown renderer or a browser would act on (a backslash-escaped "\<"
# is text), and script URLs.
ACTIVE = re.compile(r"(?<!\\)<(?:script|iframe|object|embed|meta|link|form|style)\b|"
                    r"javascript:|(?<!\\)<[a-z][^>]*\bon[a-z]+\s*=|@import|expression\(",
                    re.IGNORECASE)


def test_scripts_in_html_mail_and_documents_never_become_active(
        tmp_path: Path, make_config: Configure, cli: Cli) -> None:
    config = make_config(**EDITORS)
    html_body = ('<html><head><meta http-equiv="refresh" content="0;url=http://evil.example">'
                 "<style>@import url(http://evil.example/x.css)</style></head><body>"
                 "<h1 onmouseover=\"alert(1)\">My guest post &lt;script&gt;alert(8)&lt;/script&gt;"
                 "</h1><script>alert(2)</script>"
                 '<p>Text <a href="javascript:alert(3)">link</a> <img src=x onerror=alert(4)>'
                 "<iframe src=\"http://evil.example\"></iframe></p>" + "<p>words here</p>" * 300
                 + "</body></html>")
    html_mail = EmailMessage()
    html_mail["From"] = "Html Author <html@uni.example>"
    html_mail["To"] = "submissions@journal.example.org"
    html_mail["Subject"] = "Guest post <script>alert(5)</script>"
    html_mail["Message-ID"] = "<html1@uni.example>"
    html_mail.set_content(html_body, subtype="html")
    doc = docx_from_body(
        para(run("Title &lt;script&gt;alert(6)&lt;/script&gt;"), ppr='<w:pStyle w:val="Title"/>')
        + para('<w:hyperlink r:id="rJs"><w:r><w:t>click me</w:t></w:r></w:hyperlink>')
        + "".join(para(run("An ordinary paragraph about ward rounds.")) for _ in range(60)),
        rels='<Relationship Id="rJs" Type="http://schemas.openxmlformats.org/officeDocument/'
             '2006/relationships/hyperlink" Target="javascript:alert(7)" '
             'TargetMode="External"/>')
    doc_mail = make_email("Doc Author <doc@uni.example>", "Guest post: title <b onclick=x()>",
                          "attached", message_id="<doc1@uni.example>",
                          attachments=(("post.docx", DOCX, doc),))
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(bytes(html_mail))
    (inbox / "2.eml").write_bytes(doc_mail)
    assert cli("--config", config, "ingest", inbox).code == 0
    var = config.parent / "var"
    drafts = sorted((var / "drafts").iterdir())
    assert len(drafts) == 2
    for folder in drafts:
        # The front matter is data (a title keeps the author's words, "<script>" and all);
        # the Markdown body is what renderers turn into a page.
        markdown = (folder / "draft.md").read_text().split("\n---\n", 1)[1]
        assert not ACTIVE.search(markdown), ACTIVE.search(markdown)
        exported = cli("--config", config, "export", folder.name, "--to", tmp_path / "export",
                       "--format", "all", "--as", "ana")
        assert exported.code == 0, exported.err
        page = (tmp_path / "export" / folder.name / f"{folder.name}.html").read_text()
        body = page.split("<body", 1)[1]
        assert not ACTIVE.search(body), ACTIVE.search(body)
        assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # The acknowledgements' HTML parts show the untrusted subjects and titles as text.
    bodies = []
    for sent in (config.parent / "sent").glob("*.eml"):
        msg = email.message_from_bytes(sent.read_bytes(), policy=policy.default)
        html_part = msg.get_body(("html",))
        assert html_part is not None
        body = html_part.get_content().split("<body", 1)[1]  # our own <head> has a <meta>
        assert not ACTIVE.search(body), ACTIVE.search(body)
        bodies.append(body)
    assert len(bodies) == 2 and any("&lt;script&gt;" in b for b in bodies)


# -- file names -----------------------------------------------------------------------

HOSTILE_NAMES = ["../../../../escape1.docx", "/tmp/escape2.docx", "..\\..\\escape3.docx",
                 "a/../../escape4.docx", "escape5\x00.docx", "%2e%2e%2fescape6.docx",
                 "..", ".", "CON", "x" * 400 + ".docx", "\u202eexcod.docx"]


def _files_under(root: Path) -> set[Path]:
    return {p.resolve() for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def test_file_names_never_escape_the_data_folder(tmp_path: Path, make_config: Configure,
                                                 cli: Cli) -> None:
    root = tmp_path / "root"
    root.mkdir()
    config = make_config(**EDITORS)
    config = config.rename(root / "settings.toml")
    outside_before = _files_under(tmp_path) - _files_under(root)
    inbox = tmp_path / "in"
    inbox.mkdir()
    doc = article_docx("A post with hostile file names", image=False)
    for n, name in enumerate(HOSTILE_NAMES):
        msg = EmailMessage()
        msg["From"] = f"Author {n} <a{n}@uni.example>"
        msg["To"] = "submissions@journal.example.org"
        msg["Subject"] = f"Guest post {n}"
        msg["Message-ID"] = f"<names{n}@uni.example>"
        msg.set_content("My guest post is attached.")
        msg.add_attachment(doc, maintype="application", subtype="octet-stream",
                           filename=name)
        (inbox / f"{n}.eml").write_bytes(bytes(msg))
    result = cli("--config", config, "ingest", inbox)
    assert result.code in (0, 1), result.err
    export_to = tmp_path / "exported"
    for folder in (root / "var" / "drafts").iterdir():
        assert cli("--config", config, "export", folder.name, "--to", export_to,
                   "--as", "ana").code == 0
    made = _files_under(tmp_path) - outside_before
    stray = {p for p in made if not (p.is_relative_to(root.resolve())
                                      or p.is_relative_to(inbox.resolve())
                                      or p.is_relative_to(export_to.resolve()))}
    assert stray == set()
    kept = (root / "var" / "drafts").resolve()
    for found in tmp_path.rglob("escape*"):  # wherever a name was taken as a path
        assert found.resolve().is_relative_to(kept) or found.resolve().is_relative_to(
            export_to.resolve()), found
    # Every attachment was kept, under a safe name, in its draft's original/ folder.
    originals = list((root / "var" / "drafts").glob("*/original/*"))
    assert len(originals) >= len(HOSTILE_NAMES)
    assert all(len(p.name.encode()) <= 255 and "\x00" not in p.name for p in originals)


# -- nothing fetched ------------------------------------------------------------------

@pytest.fixture
def web_server() -> Iterator[tuple[int, list[str]]]:
    """A web server on 127.0.0.1 that records every request made to it."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"GIF89a")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], requests
    server.shutdown()
    server.server_close()


def test_external_resources_are_never_fetched(tmp_path: Path, make_config: Configure,
                                              cli: Cli, web_server: tuple[int, list[str]]
                                              ) -> None:
    port, requests = web_server
    url = f"http://127.0.0.1:{port}"
    config = make_config(**EDITORS)
    image_rel = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/image")
    linked_image = (
        '<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/'
        '2006/wordprocessingDrawing"><wp:docPr id="1" name="remote"/><a:graphic xmlns:a='
        '"http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http:'
        '//schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic xmlns:pic="http://'
        'schemas.openxmlformats.org/drawingml/2006/picture"><pic:blipFill><a:blip r:link='
        '"rImg"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline>'
        "</w:drawing></w:r>")
    doc = docx_from_body(
        para(run("A post with a remote picture")) + para(linked_image)
        + "".join(para(run("Text about night shifts.")) for _ in range(50)),
        rels=f'<Relationship Id="rImg" Type="{image_rel}" Target="{url}/docx-image.png" '
             'TargetMode="External"/>')
    html = (f'<p>Hello <img src="{url}/html-pixel.gif"> <link rel=stylesheet href="{url}/s.css">'
            f'<span style="background:url({url}/css-bg.png)">x</span>'
            f'<video poster="{url}/poster.png"></video></p>' + "<p>more words</p>" * 200)
    html_mail = EmailMessage()
    html_mail["From"] = "Html <html@uni.example>"
    html_mail["To"] = "submissions@journal.example.org"
    html_mail["Subject"] = "Guest post in the body"
    html_mail.set_content(html, subtype="html")
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(bytes(html_mail))
    (inbox / "2.eml").write_bytes(make_email(
        "Doc <doc@uni.example>", "Guest post", "attached",
        attachments=(("post.docx", DOCX, doc),)))
    assert cli("--config", config, "ingest", inbox).code in (0, 1)
    for folder in (config.parent / "var" / "drafts").iterdir():
        assert cli("--config", config, "export", folder.name, "--to", tmp_path / "export",
                   "--format", "all", "--as", "ana").code == 0
        page = (tmp_path / "export" / folder.name / f"{folder.name}.html").read_text()
        assert f"src=\"{url}" not in page  # nothing the editor's browser would load
    assert requests == []
    warnings = " ".join((f / "draft.md").read_text()
                        for f in (config.parent / "var" / "drafts").iterdir())
    assert "linked" in warnings.lower() or "remote" in warnings.lower()  # and said so


# -- secrets --------------------------------------------------------------------------

def test_secrets_never_reach_logs_ledger_or_files(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    smtp = smtp_factory("plain", auth=True)
    config = make_config(smtp=smtp.settings(), imap=imap.settings())
    imap.append(make_email("Author <author@uni.example>", "Guest post", "attached",
                           attachments=(("a.docx", DOCX, article_docx("T", image=False)),)))
    said = []
    for args in (("-v", "poll"), ("-v", "--log-format", "json", "poll"), ("doctor",),
                 ("-v", "send")):
        said.append(cli("--config", config, *args))
    # Wrong passwords: the failures are reported without the secret that was tried.
    monkeypatch.setenv("INTAKE_TEST_SMTP_PASSWORD", "wrong-" + SMTP_PASSWORD)
    imap_wrong = make_config(smtp=smtp.settings(),
                             imap={**imap.settings(), "password_env": "WRONG_IMAP"})
    monkeypatch.setenv("WRONG_IMAP", "wrong-" + IMAP_PASSWORD)
    said.append(cli("--config", imap_wrong, "-v", "poll"))
    said.append(cli("--config", imap_wrong, "doctor"))
    assert said[0].code == 0, said[0].err
    assert said[4].code == 2 and "refused" in said[4].err  # the failed logins happened too
    assert said[5].code == 1
    assert smtp.handler.messages  # the logins really happened
    text = "".join(r.out + r.err for r in said)  # logs go to stderr
    secrets = [IMAP_PASSWORD, SMTP_PASSWORD, base64.b64encode(
        f"\0{imap.user}\0{IMAP_PASSWORD}".encode()).decode()]
    for secret in secrets:
        assert secret not in text
    for path in (config.parent).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, path
