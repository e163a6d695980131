"""Fixtures: settings files in temp folders, and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from hypothesis import settings as hypothesis_settings

from intake.cli import main

# Property tests: a few dozen examples each in CI, a thousand in `make evidence`.
hypothesis_settings.register_profile("ci", max_examples=40, deadline=None, print_blob=True)
hypothesis_settings.register_profile("full", max_examples=1000, deadline=None,
                                     print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("INTAKE_CORPUS", REPO.parent / "shared" / "corpus"))

SMTP_USER = "submissions@journal.example.org"
SMTP_PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SinkHandler:
    """Accepts (or refuses, as a test sets) every message, and keeps what it accepted."""

    messages: list[Received] = field(default_factory=list)
    reply: str = "250 OK"
    lock: threading.Lock = field(default_factory=threading.Lock)
    sessions: int = 0  # connections that said EHLO

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does without this hook
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.reply.startswith("250"):
            return self.reply
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.original_content or b"")))
        return self.reply


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                   auth_data: Any) -> AuthResult:
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode()
          and auth_data.password == SMTP_PASSWORD.encode())
    # handled=False: aiosmtpd itself answers 535 to a failed login.
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: SinkHandler
    security: str
    ca_file: Path | None
    auth: bool
    controller: Controller | None = None

    def settings(self) -> dict[str, Any]:
        values: dict[str, Any] = {"host": self.host, "port": self.port,
                                  "security": self.security, "timeout": 5}
        if self.ca_file:
            values["ca_file"] = str(self.ca_file)
        if self.auth:
            values["username"] = SMTP_USER
            values["password_env"] = "INTAKE_TEST_SMTP_PASSWORD"
        return values

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp_factory(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> Iterator[Callable[..., SmtpServer]]:
    """Start an aiosmtpd server: security "plain", "starttls" or "tls"; auth on or off."""
    servers: list[SmtpServer] = []
    monkeypatch.setenv("INTAKE_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    # The test server runs in this process: its own log lines are not intake's output.
    monkeypatch.setattr(logging.getLogger("mail.log"), "propagate", False)

    def start(security: str = "plain", auth: bool = False) -> SmtpServer:
        handler = SinkHandler()
        kwargs: dict[str, Any] = {}
        ca_file = None
        if security in ("tls", "starttls"):
            cert = ca.issue_cert("127.0.0.1", "localhost")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            ca_file = tmp_path / "ca.pem"
            ca.cert_pem.write_to_path(str(ca_file))
            if security == "tls":
                kwargs["ssl_context"] = context
            else:
                kwargs["tls_context"] = context
                kwargs["require_starttls"] = True
        if auth:
            kwargs["authenticator"] = _authenticator
            kwargs["auth_required"] = True
            # With implicit TLS the whole session is encrypted already.
            kwargs["auth_require_tls"] = security == "starttls"
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        server = SmtpServer("127.0.0.1", port, handler, security, ca_file, auth, controller)
        controller.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return f'"{text}"'


def settings_text(sections: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in values.items())
        lines.append("")
    return "\n".join(lines)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a settings.toml in a temp folder; by default mail goes to .eml files."""

    def make(smtp: dict[str, Any] | None = None, **sections: dict[str, Any]) -> Path:
        smtp_values: dict[str, Any] = {"from": "Editorial team <submissions@journal.example.org>"}
        smtp_values.update(smtp or {"transport": "file", "file_dir": "sent"})
        data: dict[str, dict[str, Any]] = {
            "intake": {"data_dir": "var", "reference_prefix": "JPMS",
                       "publication": "The Test Journal"},
            "smtp": smtp_values,
        }
        for name, values in sections.items():
            data.setdefault(name, {}).update(values)
        path = tmp_path / "settings.toml"
        path.write_text(settings_text(data), encoding="utf-8")
        return path

    return make


def eml_folder(parent: Path, messages: Sequence[bytes]) -> Path:
    """A new folder of .eml files under parent (in0, in1, …), in order, for `intake ingest`."""
    folder = parent / f"in{len(list(parent.glob('in*')))}"
    folder.mkdir()
    for n, data in enumerate(messages):
        (folder / f"{n:03d}.eml").write_bytes(data)
    return folder


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the real CLI in this process, as `intake ARGS...`."""

    def run(*args: str | Path) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run



# -- IMAP: a private Dovecot ---------------------------------------------------------

from tests.dovecot import PASSWORD as DOVECOT_PASSWORD  # noqa: E402
from tests.dovecot import Dovecot, dovecot_binary  # noqa: E402

_counter = iter(range(1, 1_000_000))


@pytest.fixture(scope="session", params=["flat", "prefixed"])
def dovecot(ca: trustme.CA, request: pytest.FixtureRequest) -> Iterator[Dovecot]:
    """Two layouts of the personal namespace: every IMAP test runs against both."""
    if dovecot_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("Dovecot is required in CI (.ci/run installs dovecot-imapd)")
        pytest.skip("Dovecot is not installed: apt-get install dovecot-imapd to run the "
                    "IMAP tests")
    server = Dovecot.start(ca, layout=request.param)
    yield server
    server.stop()


@dataclass
class ImapAccount:
    server: Dovecot
    user: str
    password: str

    def client(self) -> Any:
        from imapclient import IMAPClient

        c = IMAPClient("127.0.0.1", self.server.port, ssl=False, timeout=10)
        c.login(self.user, self.password)
        return c

    def append(self, *messages: bytes, folder: str = "INBOX",
               when: Any = None) -> None:
        folder = self.server.folder(folder)
        c = self.client()
        try:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for data in messages:
                c.append(folder, data, msg_time=when)
        finally:
            c.logout()

    def count(self, folder: str = "INBOX") -> int:
        folder = self.server.folder(folder)
        c = self.client()
        try:
            if not c.folder_exists(folder):
                return 0
            c.select_folder(folder, readonly=True)
            return len(c.search(["ALL"]))
        finally:
            c.logout()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "host": "127.0.0.1", "port": self.server.port, "security": "plain",
            "username": self.user, "password_env": "INTAKE_TEST_IMAP_PASSWORD",
            "timeout": 10,
        }
        values.update(overrides)
        return values


@pytest.fixture
def imap(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> ImapAccount:
    """A fresh user (and so a fresh mailbox) on the session's Dovecot."""
    user = f"user{next(_counter)}-{os.getpid()}"
    monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", DOVECOT_PASSWORD)
    return ImapAccount(dovecot, user, DOVECOT_PASSWORD)
