"""The IMAP mailbox, through imapclient: connect, find new UIDs, fetch, mark as done.

Every network failure surfaces as ImapUnavailable (temporary: cron retries) or
ImapRefused (the server said no to our settings: a person must fix them), each
with one line naming the host, port and what failed.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import socket
import ssl
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any

from imapclient import IMAPClient, imap4
from imapclient import tls as imap_tls
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.util import to_unicode

from intake.core.config import ImapSection
from intake.core.deadline import Deadline
from intake.core.errors import (
    ExitCode,
    IntakeError,
    SettingsError,
    StorageFull,
    TemporaryFailure,
    is_storage_full,
)
from intake.core.neterrors import describe, security_mismatch

# imapclient reports a dropped connection as its AbortError or as a plain OSError.
NETWORK_ERRORS = (OSError, IMAPClient.AbortError, socket.timeout, ssl.SSLError)


class ImapUnavailable(TemporaryFailure):
    """The server cannot be reached or dropped us: try again next run."""


class ImapRefused(SettingsError):
    """The server refused what the settings ask (login, folder): a person must look."""


class FolderRefused(IntakeError):
    """The server said NO to creating a folder or moving, copying or flagging messages
    (permission, quota, namespace, ACL): not temporary, and nothing is lost (what was
    taken stays in the ledger, and is not taken twice)."""

    exit_code = ExitCode.NEEDS_ATTENTION


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    exists: int
    keywords_allowed: bool  # PERMANENTFLAGS has \*


@dataclass(frozen=True)
class Fetched:
    uid: int
    data: bytes
    internaldate: datetime | None


class Mailbox:
    def __init__(self, section: ImapSection) -> None:
        self.section = section
        self.client: IMAPClient | None = None
        self.delimiter = "/"
        self.prefix = ""  # the personal namespace's prefix, such as "INBOX."

    @property
    def where(self) -> str:
        s = self.section
        return f"IMAP {s.host}:{s.port} ({s.security})"

    # -- connection ----------------------------------------------------------

    def __enter__(self) -> Mailbox:
        s = self.section
        context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
        timeout = s.timeout
        try:
            with Deadline(2 * timeout, f"{self.where} while connecting") as deadline:
                client = _WatchedClient(deadline, s.host, port=s.port,
                                        ssl=s.security == "tls", ssl_context=context,
                                        timeout=timeout)
                if s.security == "starttls":
                    client.starttls(context)
                    deadline.watch(client.socket())
            # IMAPClient turns imaplib's debug output on (level 5) to feed its logger, and
            # imaplib then formats the repr() of every literal it reads, whether or not
            # anyone logs it: a 28 MB message cost ~60 MB more, and messages' contents
            # have no place in a debug log. IMAPClient's own lines (connecting, logging
            # in, some commands) still reach its logger.
            client._imap.debug = 0
            self.client = client
            with self.within("logging in"):
                self._login(client)
                self.prefix, self.delimiter = self._namespace(client)
        except (LoginError, ImapRefused):
            self._abandon()
            raise
        except NETWORK_ERRORS as exc:
            self._abandon()
            hint = security_mismatch(exc, s.security, s.port)
            if hint:
                raise ImapRefused(f"{self.where}: {describe(exc)}: {hint}") from exc
            if isinstance(exc, ssl.SSLError):
                raise ImapUnavailable(f"{self.where}: TLS failed: {describe(exc)}") from exc
            raise ImapUnavailable(f"{self.where}: {describe(exc)}") from exc
        except IMAPClientError as exc:
            self._abandon()
            raise ImapUnavailable(f"{self.where}: {exc}") from exc
        return self

    def _login(self, client: IMAPClient) -> None:
        s = self.section
        if not s.username:
            raise ImapRefused("[imap] username is missing: intake must log in to read mail")
        try:
            if s.oauth2_token_command:
                client.oauth2_login(s.username, _token(s.oauth2_token_command))
            else:
                client.login(s.username, s.credentials("imap").password())
        except LoginError as exc:
            text = to_unicode(exc.args[0] if exc.args else str(exc))
            text = re.sub(r"^b'(.*)'$", r"\1", text)  # imapclient str()s the server's bytes
            if "UNAVAILABLE" in text.upper() or "TEMPORARY" in text.upper():
                raise ImapUnavailable(f"{self.where}: login as {s.username} failed for "
                                      f"now: {text}") from exc
            raise ImapRefused(f"{self.where}: login as {s.username} refused: {text}; check "
                              "the password (or token) in settings") from exc

    @classmethod
    def _namespace(cls, client: IMAPClient) -> tuple[str, str]:
        """The personal namespace's prefix and separator: NAMESPACE where the server has
        it (only it gives the prefix), else LIST's separator and no prefix."""
        if client.has_capability("NAMESPACE"):
            try:
                personal = client.namespace().personal
            except IMAPClientError:
                personal = None
            if personal:
                prefix, separator = personal[0]
                return str(to_unicode(prefix or "")), str(to_unicode(separator or "")) or "/"
        return "", cls._delimiter(client)

    @staticmethod
    def _delimiter(client: IMAPClient) -> str:
        try:
            folders = client.list_folders(directory="", pattern="INBOX")
        except IMAPClientError:
            return "/"
        for _flags, delimiter, _name in folders:
            if delimiter:
                return str(to_unicode(delimiter))
        return "/"

    def _abandon(self) -> None:
        if self.client is not None:
            # Already failing: the first error is the one worth reporting.
            with contextlib.suppress(Exception):
                self.client.shutdown()
            self.client = None

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.client is None:
            return
        try:
            self.client.logout()
        except Exception:
            self._abandon()
        self.client = None

    @contextlib.contextmanager
    def talking(self, doing: str) -> Iterator[None]:
        """Turn a connection lost mid-command into ImapUnavailable, naming what was cut."""
        try:
            yield
        except ImapRefused:
            raise
        except OSError as exc:
            if is_storage_full(exc):  # our disk, not the server's connection
                raise StorageFull(exc) from exc
            if isinstance(exc, ssl.SSLError):
                raise ImapUnavailable(f"{self.where}: TLS failed while {doing}: "
                                      f"{describe(exc)}") from exc
            raise ImapUnavailable(f"{self.where}: connection lost while {doing}: "
                                  f"{describe(exc)}") from exc
        except NETWORK_ERRORS as exc:
            raise ImapUnavailable(f"{self.where}: connection lost while {doing}: "
                                  f"{describe(exc)}") from exc
        except IMAPClientError as exc:
            raise ImapUnavailable(f"{self.where}: the server failed while {doing}: "
                                  f"{to_unicode(str(exc))}") from exc

    @contextlib.contextmanager
    def within(self, doing: str, sent_or_read: int = 0) -> Iterator[None]:
        """One exchange with a total deadline (core.deadline): the socket's timeout
        bounds each read, this the whole, so a server that trickles cannot hold the run."""
        seconds = 2 * self.section.timeout + sent_or_read / (128 * 1024)
        with Deadline(seconds, f"{self.where} while {doing}") as deadline:
            with contextlib.suppress(Exception):  # no socket (closed): nothing to watch
                deadline.watch(self.c.socket())
            yield

    @property
    def c(self) -> IMAPClient:
        assert self.client is not None, "use Mailbox as a context manager"
        return self.client

    def server_name(self, folder: str) -> str:
        """A folder name from settings ("Intake/Processed") in the server's hierarchy:
        under the personal namespace's prefix (RFC 2342: "INBOX." on cPanel's Dovecot,
        Courier, Cyrus), with its separator. INBOX, and a name that already carries the
        prefix, are taken as they are."""
        named = folder.replace("/", self.delimiter) if self.delimiter else folder
        if not self.prefix or folder.upper() == "INBOX" or \
                named.upper().startswith(self.prefix.upper()):
            return named
        return self.prefix + named

    # -- reading -------------------------------------------------------------

    def select(self, folder: str, readonly: bool = False) -> FolderState:
        try:
            with self.within(f"opening {folder}"):
                info = self.c.select_folder(self.server_name(folder), readonly=readonly)
        except IMAPClientError as exc:
            if isinstance(exc, IMAPClient.AbortError):
                raise ImapUnavailable(f"{self.where}: {describe(exc)}") from exc
            raise ImapRefused(f"{self.where}: folder {folder!r} cannot be opened: "
                              f"{to_unicode(str(exc))}") from exc
        flags = info.get(b"PERMANENTFLAGS", ())
        return FolderState(uidvalidity=int(info[b"UIDVALIDITY"]),
                           exists=int(info.get(b"EXISTS", 0)),
                           keywords_allowed=b"\\*" in flags)

    def uids_above(self, last_uid: int, since: date | None = None) -> list[int]:
        """UIDs greater than last_uid. Costs the same however large the folder is."""
        criteria: list[Any] = ["UID", f"{last_uid + 1}:*"]
        if since is not None:
            criteria += ["SINCE", since]
        # "n:*" always matches the highest UID, even below n: filter.
        with self.within("searching"):
            return sorted(u for u in self.c.search(criteria) if u > last_uid)

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for batch in _batches(uids, 500):
            with self.within("asking for sizes"):
                answer = self.c.fetch(list(batch), ["RFC822.SIZE"])
            for uid, data in answer.items():
                found[int(uid)] = int(data.get(b"RFC822.SIZE", 0))
        return found

    def fetch(self, uids: Sequence[int], batch_size: int,
              sizes: dict[int, int] | None = None) -> Iterator[list[Fetched]]:
        """Bodies with BODY.PEEK[] (leaves \\Seen alone), a batch at a time; sizes (from
        sizes()) give each batch the time its bytes need."""
        for batch in _batches(uids, batch_size):
            expected = sum((sizes or {}).get(u, 1024 * 1024) for u in batch)
            with self.within("fetching messages", expected):
                response = self.c.fetch(list(batch), ["BODY.PEEK[]", "INTERNALDATE"])
            out = []
            for uid in batch:  # in UID order; a UID expunged meanwhile is simply absent
                data = response.get(uid)
                if data is None or b"BODY[]" not in data:
                    continue
                body = data[b"BODY[]"]
                out.append(Fetched(uid, bytes(body) if body else b"",
                                   data.get(b"INTERNALDATE")))
            yield out

    def headers(self, uid: int) -> bytes:
        with self.within("fetching headers"):
            response = self.c.fetch([uid], ["BODY.PEEK[HEADER]"])
        return bytes(response.get(uid, {}).get(b"BODY[HEADER]", b"") or b"")

    # -- marking done --------------------------------------------------------

    def ensure_folder(self, folder: str) -> None:
        name = self.server_name(folder)
        with self.within(f"creating {folder}"), self.refused(f"create the folder {name!r}"):
            if not self.c.folder_exists(name):
                self.c.create_folder(name)

    @contextlib.contextmanager
    def refused(self, doing: str) -> Iterator[None]:
        """A NO from the server (not a dropped connection) as FolderRefused, with what
        was asked and what the server said."""
        try:
            yield
        except IMAPClientError as exc:
            if isinstance(exc, IMAPClient.AbortError):
                raise
            said = re.sub(r"^b'(.*)'$", r"\1", to_unicode(str(exc)))
            raise FolderRefused(f"{self.where} refused to {doing}: {said[:300]}") from exc

    def move_method(self) -> str:
        """How `move` works on this server, in words for `intake doctor`."""
        if self.c.has_capability("MOVE"):
            return "moved with MOVE"
        if self.c.has_capability("UIDPLUS"):
            return "copied, then removed with UID EXPUNGE (the server has no MOVE)"
        return ("copied and flagged \\Deleted; the server has neither MOVE nor UIDPLUS, "
                "so a mail client's expunge removes them from the folder")

    def move(self, uids: Sequence[int], folder: str) -> None:
        target = self.server_name(folder)
        for batch in _batches(uids, 200):
            with self.within(f"moving messages to {folder}"), \
                    self.refused(f"move messages to {target!r}"):
                self._move(batch, target)

    def _move(self, batch: Sequence[int], target: str) -> None:
        if self.c.has_capability("MOVE"):
            self.c.move(list(batch), target)
        elif self.c.has_capability("UIDPLUS"):
            self.c.copy(list(batch), target)
            self.c.add_flags(list(batch), [b"\\Deleted"])
            self.c.uid_expunge(list(batch))
        else:
            # Without UIDPLUS an EXPUNGE would remove others' \Deleted mail too:
            # copy and flag, and leave the expunge to the server's owner.
            self.c.copy(list(batch), target)
            self.c.add_flags(list(batch), [b"\\Deleted"])

    def flag(self, uids: Sequence[int], keyword: str) -> None:
        for batch in _batches(uids, 500):
            with self.within("flagging messages"), self.refused(f"flag messages {keyword}"):
                self.c.add_flags(list(batch), [keyword.encode()])


class _WatchedClient(IMAPClient):  # type: ignore[misc]
    """IMAPClient whose socket a deadline watches from the moment it is made: the
    greeting and the first CAPABILITY are read inside the constructor, where a server
    can trickle too (core.deadline)."""

    def __init__(self, deadline: Deadline, *args: Any, **kwargs: Any) -> None:
        self._deadline = deadline
        super().__init__(*args, **kwargs)

    def _create_IMAP4(self) -> Any:
        deadline = self._deadline
        connect = getattr(self._timeout, "connect", None)
        if self.ssl:
            class Tls(imap_tls.IMAP4_TLS):  # type: ignore[misc]
                def _create_socket(self, timeout: float | None = None) -> socket.socket:
                    plain = socket.create_connection(
                        (self.host, self.port), timeout=timeout or self._timeout)
                    deadline.watch(plain)
                    return imap_tls.wrap_socket(plain, self.ssl_context, self.host)  # type: ignore[no-any-return]

            return Tls(self.host, self.port, self.ssl_context, connect)

        class Plain(imap4.IMAP4WithTimeout):  # type: ignore[misc]
            def _create_socket(self, timeout: float | None = None) -> socket.socket:
                sock = super()._create_socket(timeout)
                deadline.watch(sock)
                return sock  # type: ignore[no-any-return]

        return Plain(self.host, self.port, connect)


def _batches(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _token(command: str) -> str:
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SettingsError(f"[imap] oauth2_token_command could not run: {exc}") from exc
    if done.returncode != 0 or not done.stdout.strip():
        detail = (done.stderr.strip().splitlines() or ["no token printed"])[-1]
        raise SettingsError(f"[imap] oauth2_token_command failed ({done.returncode}): "
                            f"{detail}")
    return done.stdout.strip()
