"""A private WordPress on 127.0.0.1 for the publishing tests: Debian's packages, a
MariaDB on a private data folder and socket, PHP's built-in server.

Started once per test session (a few seconds); each test uses its own posts. Facts this
is built on: ../shared/design/PUBLISH.md (Application Passwords over plain http need
WP_ENVIRONMENT_TYPE "local"; the install is a PHP script, there is no wp-cli).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

WORDPRESS = Path("/usr/share/wordpress")
EDITOR = "ana"  # an editor's account: publishes, uploads, may not manage users
AUTHOR_ONLY = "zoe"  # a contributor: may not upload media nor publish


def available() -> str | None:
    """Why a WordPress cannot be started here, or None."""
    for tool in ("php", "mariadbd", "mariadb-install-db", "mariadb"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is missing (apt-get install wordpress php-cli mariadb-server)"
    if not (WORDPRESS / "wp-load.php").exists():
        return "WordPress is missing (apt-get install wordpress)"
    return None


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: never outlive the tests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


INSTALL = r"""<?php
define('WP_INSTALLING', true);
require __DIR__ . '/wp-load.php';
require ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install('Test Journal', 'admin', 'admin@journal.example.org', true, '', 'admin-password-1');
update_option('permalink_structure', '/%postname%/');
$out = [];
foreach ([['ana', 'editor'], ['zoe', 'contributor']] as [$login, $role]) {
    $uid = wp_insert_user(['user_login' => $login, 'user_pass' => 'x-' . $login . '-pw-9',
                           'user_email' => $login . '@journal.example.org', 'role' => $role]);
    [$password] = WP_Application_Passwords::create_new_application_password(
        $uid, ['name' => 'intake']);
    $out[$login] = $password;
}
echo json_encode($out);
"""

CONFIG = """<?php
define('DB_NAME', 'wp');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp-password');
define('DB_HOST', 'localhost:{socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';
define('WP_HOME', 'http://127.0.0.1:{port}');
define('WP_SITEURL', 'http://127.0.0.1:{port}');
define('WP_CONTENT_DIR', '{root}/wp-content');
define('WP_ENVIRONMENT_TYPE', 'local');
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISALLOW_FILE_MODS', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('AUTH_KEY', 'k1'); define('SECURE_AUTH_KEY', 'k2'); define('LOGGED_IN_KEY', 'k3');
define('NONCE_KEY', 'k4'); define('AUTH_SALT', 's1'); define('SECURE_AUTH_SALT', 's2');
define('LOGGED_IN_SALT', 's3'); define('NONCE_SALT', 's4');
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"""


@dataclass
class WordPressSite:
    base: Path
    port: int
    passwords: dict[str, str]
    processes: list[subprocess.Popen[bytes]]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, upload_limit_mb: int = 8) -> WordPressSite:
        base = Path(tempfile.mkdtemp(prefix="wp-", dir="/tmp"))  # a short socket path
        data, root, sock = base / "db", base / "site", base / "db.sock"
        port = _free_port()
        processes: list[subprocess.Popen[bytes]] = []
        user = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run([_tool("mariadb-install-db"), "--no-defaults", f"--datadir={data}",
                        "--auth-root-authentication-method=normal", *user],
                       check=True, capture_output=True)
        processes.append(subprocess.Popen(
            [_tool("mariadbd"), "--no-defaults", f"--datadir={data}", f"--socket={sock}",
             "--skip-networking", "--skip-log-bin", "--innodb-buffer-pool-size=64M",
             "--innodb-flush-log-at-trx-commit=0", *user],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent))
        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.05)
        sql = ("CREATE DATABASE wp; CREATE USER 'wp'@'localhost' IDENTIFIED BY 'wp-password';"
               " GRANT ALL ON wp.* TO 'wp'@'localhost';")
        subprocess.run([_tool("mariadb"), f"--socket={sock}", "-uroot", "-e", sql],
                       check=True, capture_output=True)
        # A private copy: core hard-linked (or copied), wp-content real, our own config.
        shutil.copytree(WORDPRESS, root, symlinks=True, ignore=shutil.ignore_patterns(
            "wp-config.php", ".htaccess", "wp-content"), copy_function=_link_or_copy)
        shutil.copytree(WORDPRESS / "wp-content", root / "wp-content", symlinks=False)
        (root / "wp-content" / "uploads").mkdir(exist_ok=True)
        (root / "wp-config.php").write_text(
            CONFIG.replace("{socket}", str(sock)).replace("{port}", str(port))
            .replace("{root}", str(root)), encoding="utf-8")
        (root / "install-intake-test.php").write_text(INSTALL, encoding="utf-8")
        installed = subprocess.run(["php", str(root / "install-intake-test.php")],
                                   capture_output=True, text=True, check=True,
                                   env={**os.environ, "HTTP_HOST": f"127.0.0.1:{port}"})
        (root / "install-intake-test.php").unlink()
        passwords = json.loads(installed.stdout[installed.stdout.index("{"):])
        processes.append(subprocess.Popen(
            ["php", "-d", f"upload_max_filesize={upload_limit_mb}M",
             "-d", f"post_max_size={upload_limit_mb + 1}M", "-S", f"127.0.0.1:{port}",
             "-t", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent, cwd=root))
        site = cls(base, port, passwords, processes)
        site._wait()
        return site

    def _wait(self) -> None:
        for _ in range(200):
            try:
                with urllib.request.urlopen(self.url + "/?rest_route=/", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("WordPress did not start")

    def api(self, path: str, user: str = EDITOR) -> object:
        """GET from the REST API as user (for the tests' own checks)."""
        return self.call("GET", path, user)

    def call(self, method: str, path: str, user: str = EDITOR) -> object:
        """Any request to the REST API as user (the tests' own changes to the site)."""
        import base64

        token = base64.b64encode(f"{user}:{self.passwords[user]}".encode()).decode()
        request = urllib.request.Request(f"{self.url}/wp-json{path}", method=method,
                                         headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.base, ignore_errors=True)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
