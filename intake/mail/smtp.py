"""Delivering outbox rows: SMTP (implicit TLS, STARTTLS, AUTH), or .eml files for the demo."""

from __future__ import annotations

import smtplib
import socket
import ssl
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from intake.core.config import Settings, SmtpSection, sender_address
from intake.core.deadline import Deadline
from intake.core.neterrors import describe, security_mismatch
from intake.ledger import OutboxItem
from intake.ledger.store import write_atomic


class DeliveryError(Exception):
    """One message was refused. temporary: worth trying again in a later run."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


class TransportUnavailable(Exception):
    """The server cannot be used at all right now (down, TLS or login failing)."""


class TransportRefused(TransportUnavailable):
    """The server refuses what the settings ask (the login, TLS on the wrong port): not
    temporary; a person must change the settings."""


class Transport(Protocol):
    def __enter__(self) -> Transport: ...

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def send(self, item: OutboxItem) -> None: ...


def transport_for(settings: Settings) -> Transport:
    if settings.smtp.transport == "file":
        assert settings.smtp.file_dir is not None  # checked when settings were loaded
        return FileTransport(settings.smtp.file_dir)
    return SmtpTransport(settings.smtp, sender_address(settings).addr_spec)


class FileTransport:
    """Writes each message as an .eml file: the demo's and a dry run's 'server'."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> FileTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def send(self, item: OutboxItem) -> None:
        write_atomic(self.folder / f"{item.id:06d}-{item.purpose}.eml", item.body)


class SmtpTransport:
    """One connection for a batch of messages."""

    def __init__(self, section: SmtpSection, envelope_from: str) -> None:
        self.section = section
        self.envelope_from = envelope_from
        self.smtp: smtplib.SMTP | None = None

    def _where(self) -> str:
        return f"SMTP {self.section.host}:{self.section.port} ({self.section.security})"

    def __enter__(self) -> SmtpTransport:
        s = self.section
        context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
        password = s.credentials("smtp").password() if s.username else ""
        try:
            # The greeting, TLS and the login within one deadline (core.deadline): the
            # socket's timeout bounds each read, this the whole.
            with Deadline(2 * s.timeout, f"{self._where()} while connecting") as deadline:
                if s.security == "tls":
                    self.smtp = _WatchedSSL(deadline, s.host, s.port, timeout=s.timeout,
                                            context=context)
                else:
                    self.smtp = _Watched(deadline, s.host, s.port, timeout=s.timeout)
                    if s.security == "starttls":
                        self.smtp.starttls(context=context)
                        deadline.watch(self.smtp.sock)
                if s.username:
                    self.smtp.login(s.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            self._abandon()
            raise TransportRefused(
                f"{self._where()}: login as {s.username} refused ({exc.smtp_code} "
                f"{_text(exc.smtp_error)[:200]}): check [smtp] username and its password "
                "in the settings") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._abandon()
            hint = security_mismatch(exc, s.security, s.port)
            if hint:
                raise TransportRefused(f"{self._where()}: {describe(exc)}: {hint}") from exc
            if isinstance(exc, ssl.SSLError):
                raise TransportUnavailable(f"{self._where()}: TLS failed: {describe(exc)}"
                                           ) from exc
            raise TransportUnavailable(f"{self._where()}: {describe(exc)}") from exc
        return self

    def _abandon(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            self.smtp.close()
        self.smtp = None

    def send(self, item: OutboxItem) -> None:
        assert self.smtp is not None, "use the transport as a context manager"
        options: list[str] = []
        if not item.recipient.isascii():
            try:
                self.smtp.ehlo_or_helo_if_needed()  # what the server offers is known after
            except (OSError, smtplib.SMTPException) as exc:
                raise TransportUnavailable(f"{self._where()}: {describe(exc)}") from exc
            if not self.smtp.has_extn("smtputf8"):
                raise DeliveryError(f"{item.recipient} is an internationalised address, and "
                                    f"{self._where()} does not offer SMTPUTF8 (RFC 6531), "
                                    "which sending to it needs: answer this author by hand",
                                    temporary=False)
            options = ["SMTPUTF8"]
        try:
            with Deadline(2 * self.section.timeout + len(item.body) / (128 * 1024),
                          f"{self._where()} while sending") as deadline:
                deadline.watch(self.smtp.sock)
                refused = self.smtp.sendmail(self.envelope_from, [item.recipient],
                                             item.body, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise DeliveryError(f"{code} {_text(text)}", temporary=400 <= code < 500) from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing: a connection problem
                raise TransportUnavailable(f"{self._where()}: 421 {_text(exc.smtp_error)}"
                                           ) from exc
            raise DeliveryError(f"{exc.smtp_code} {_text(exc.smtp_error)}",
                                temporary=exc.smtp_code < 500) from exc
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise TransportUnavailable(f"{self._where()}: {describe(exc)}") from exc
        if refused:
            code, text = next(iter(refused.values()))
            raise DeliveryError(f"{code} {_text(text)}", temporary=400 <= code < 500)


class _Watched(smtplib.SMTP):
    """smtplib's SMTP, its socket watched by a deadline from the moment it connects."""

    def __init__(self, deadline: Deadline, *args: Any, **kwargs: Any) -> None:
        self.deadline = deadline
        super().__init__(*args, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self.deadline.watch(sock)
        return sock  # type: ignore[no-any-return]


class _WatchedSSL(smtplib.SMTP_SSL):
    """The same over implicit TLS: watched before the handshake, which a server can
    trickle too."""

    def __init__(self, deadline: Deadline, *args: Any, **kwargs: Any) -> None:
        self.deadline = deadline
        super().__init__(*args, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        plain = socket.create_connection((host, port), timeout, self.source_address)
        self.deadline.watch(plain)
        return self.context.wrap_socket(plain, server_hostname=self._host)  # type: ignore[attr-defined]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
