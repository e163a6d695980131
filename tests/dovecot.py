"""A private Dovecot on 127.0.0.1 for the IMAP tests: own config, own folders, own ports.

Started once per test session (about 50 ms); each test gets a user of its own, so
tests never see each other's mail. See ../shared/design/TESTING.md for the facts
this is built on (0755 folders, a non-root mail uid, no auth failure delay, a
unique greeting to wait for, a parent-death signal so it never outlives pytest).
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import trustme

# One password for every user: each test logs in as a user of its own (a fresh
# mailbox), and a static passdb needs no reload when a new name appears. Dovecot's
# XOAUTH2 mechanism checks the bearer token against the same passdb, so this is
# also the one valid OAuth2 token.
PASSWORD = "intake-test-password"

CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
instance_name = intake-test-{token}
listen = 127.0.0.1
protocols = imap
login_greeting = {greeting}
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
first_valid_uid = {uid}
mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
default_internal_user = {user}
default_login_user = {login_user}
namespace inbox {{
  inbox = yes
  separator = {separator}
  prefix = {prefix}
}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{extra}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Dovecot:
    base: Path
    port: int
    tls_port: int
    ca_file: Path
    uid: int
    gid: int
    process: subprocess.Popen[bytes] | None = None
    greeting: str = ""
    # The personal namespace: "" and "/" (flat), or "INBOX." and "." as cPanel's Dovecot,
    # Courier and Debian's Cyrus lay it out.
    prefix: str = ""
    separator: str = "/"

    def folder(self, name: str) -> str:
        """A folder name as the settings give it, as this server names it."""
        if name.upper() == "INBOX":
            return name
        return self.prefix + name.replace("/", self.separator)

    @classmethod
    def start(cls, ca: trustme.CA, extra: str = "", layout: str = "flat") -> Dovecot:
        """`extra`: more configuration lines, e.g. an `imap_capability` without MOVE.
        layout: "flat" (no namespace prefix) or "prefixed" ("INBOX.", separator ".")."""
        # mkdtemp makes 0700 folders, which Dovecot's auth process cannot enter.
        base = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
        base.chmod(0o755)
        mail_user = "dovecot" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        entry = pwd.getpwnam(mail_user)
        uid, gid = entry.pw_uid, entry.pw_gid
        login_user = "dovenull" if os.geteuid() == 0 else mail_user
        for sub in ("run", "state", "home"):
            (base / sub).mkdir(mode=0o755)
        os.chown(base / "home", uid, gid)
        cert = ca.issue_cert("127.0.0.1", "localhost")
        cert.cert_chain_pems[0].write_to_path(str(base / "cert.pem"))
        cert.private_key_pem.write_to_path(str(base / "key.pem"))
        ca_file = base / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        token = uuid.uuid4().hex[:12]
        greeting = f"intake-test-ready-{token}"
        server = cls(base, _free_port(), _free_port(), ca_file, uid, gid)
        if layout == "prefixed":
            server.prefix, server.separator = "INBOX.", "."
        (base / "dovecot.conf").write_text(CONFIG.format(
            base=base, token=token, greeting=greeting, uid=uid, gid=gid, user=mail_user,
            login_user=login_user, port=server.port, tls_port=server.tls_port,
            password=PASSWORD, extra=extra, prefix=server.prefix,
            separator=server.separator))
        server.greeting = greeting
        server._launch()
        return server

    def _launch(self) -> None:
        binary = dovecot_binary()
        assert binary is not None
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(self.base / "dovecot.conf")], stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
        self._wait_for(self.greeting)

    def halt(self) -> None:
        """Stop the server and keep its mail, as for a restart or an outage."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the port is free again
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return
            time.sleep(0.05)

    def resume(self) -> None:
        self._launch()

    def _wait_for(self, greeting: str) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"dovecot exited: {err}\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if greeting.encode() in s.recv(200):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"dovecot did not greet in time:\n{self.log()}")

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        shutil.rmtree(self.base, ignore_errors=True)
