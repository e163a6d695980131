"""The operator's second day (issue 30): no traceback for a setting or the machine, exit
codes that mean what they say, monitoring that is exact, the documented set-up followed
in order against a private Dovecot and SMTP server."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from intake.demo.samples import DOCX, article_docx
from intake.demo.samples import email as make_email
from tests.conftest import REPO, CliResult, eml_folder

Cli = Callable[..., CliResult]


def _mail(n: int = 1) -> bytes:
    return make_email(f"Sam {n} <sam{n}@uni.example.org>", f"Guest post: nights {n}",
                      "Attached.", attachments=(("a.docx", DOCX, article_docx("Nights")),),
                      message_id=f"<second{n}@uni>")


# -- no traceback, ever, for a setting or the machine ---------------------------------------

def _commands() -> list[str]:
    text = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"^## `?intake ([a-z-]+)", text, re.M)))


_ARGS: dict[str, list[str]] = {
    "ingest": ["IN"], "show": ["1"], "diff": ["1"], "assign": ["1", "ana"], "review": ["1"],
    "note": ["1", "a note"], "reclassify": ["1", "sponsored"], "reply": ["1", "-m", "Hi",
                                                                          "--yes"],
    "accept": ["1", "--yes"], "reject": ["1", "--yes"], "request-changes": ["1", "-m", "x",
                                                                             "--yes"],
    "withdraw": ["1", "--yes"], "export": ["1", "--to", "OUT"], "publish": ["1"],
    "open": ["1"], "add-author": ["1", "co@uni.example.org"], "take-revision": ["1", "1"],
    "retry": ["1"], "convert": ["DOC"], "preview": ["received"], "passwd": ["ana"],
    "privacy": ["1"], "edit": ["1", "DOC"], "init": ["INIT"], "serve": ["--port", "BUSY"],
    "demo": ["--dir", "DEMO"], "poll": ["--since", "2026-01-01"],
    "contest": ["results", "essay"], "reader": ["1", "Dr Lee", "lee@hospital.example.org"],
    "model": ["status"], "stage": ["1", "quoted"], "authors": ["export", "--csv"],
}


def _broken(tmp_path: Path, make_config: Callable[..., Path], how: str) -> Path:
    editors = {"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org"}}
    if how == "metrics folder missing":
        return make_config(intake={"metrics_file": str(tmp_path / "no" / "such" / "x.prom")},
                           **editors)
    if how == "ca_file missing":
        return make_config(imap={"host": "127.0.0.1", "port": 1, "security": "tls",
                                 "username": "u", "password_env": "HOME",
                                 "ca_file": str(tmp_path / "missing-ca.pem")}, **editors)
    if how == "data_dir is a file":
        (tmp_path / "var-file").write_text("not a folder")
        return make_config(intake={"data_dir": str(tmp_path / "var-file")}, **editors)
    if how == "no such group":
        return make_config(intake={"group": "no-such-group-here"}, **editors)
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["metrics folder missing", "ca_file missing",
                                 "data_dir is a file", "no such group"])
def test_every_command_says_one_line_for_a_broken_set_up(
        how: str, tmp_path: Path, make_config: Callable[..., Path], cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _broken(tmp_path, make_config, how)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough password\n"))
    (tmp_path / "doc.md").write_text("Some text.\n")
    replace = {"IN": str(eml_folder(tmp_path, [_mail()])), "OUT": str(tmp_path / "out"),
               "DOC": str(tmp_path / "doc.md"), "INIT": str(tmp_path / "init"),
               "DEMO": str(tmp_path / "demo")}
    busy = __import__("socket").create_server(("127.0.0.1", 0))  # serve: a port taken
    replace["BUSY"] = str(busy.getsockname()[1])
    commands = _commands()
    assert len(commands) >= 30, commands  # the reference lists them all
    for command in commands:
        args = [replace.get(a, a) for a in _ARGS.get(command, [])]
        done = cli("--config", config, command, *args)
        said = done.err.strip().splitlines()
        assert "Traceback" not in done.err + done.out, (command, done.err)
        if done.code == 0 or command in ("init", "demo", "convert", "preview"):
            continue  # works without what is broken
        if command in ("doctor", "status") and not said:  # a report, a line a check
            assert done.out.strip(), (how, command)
            continue
        assert len(said) == 1 and said[0].startswith("intake: "), (how, command, done.err)
    busy.close()


def test_the_messages_name_the_setting_and_the_fix(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    metrics = _broken(tmp_path, make_config, "metrics folder missing")
    done = cli("--config", metrics, "ingest", eml_folder(tmp_path, [_mail()]))
    assert done.code == 2 and "[intake] metrics_file" in done.err and "mkdir -p" in done.err
    assert not (tmp_path / "var").exists() or not list((tmp_path / "var").rglob("*.eml"))
    doctor = cli("--config", metrics, "doctor")
    assert "FAIL" in doctor.out and "metrics_file" in doctor.out

    ca = _broken(tmp_path, make_config, "ca_file missing")  # the same settings.toml, again
    done = cli("--config", ca, "status")
    assert done.code == 2 and "[imap] ca_file" in done.err and "missing-ca.pem" in done.err


# -- exit codes that mean what they say -------------------------------------------------------


def test_tls_against_a_plain_port_is_a_settings_error_with_the_likely_fix(
        smtp_factory: Callable[..., Any], imap: Any, make_config: Callable[..., Path],
        cli: Cli, tmp_path: Path) -> None:
    server = smtp_factory("plain")
    config = make_config(smtp={**server.settings(), "security": "tls"})
    done = cli("--config", config, "-q", "ingest", eml_folder(tmp_path, [_mail()]))
    assert done.code == 2, done.err
    assert 'security = "starttls"?' in done.err and done.err.count("\n") == 1
    config = make_config(imap=imap.settings(security="tls"))
    done = cli("--config", config, "-q", "poll", "--since", "2026-01-01")
    assert done.code == 2 and 'security = "starttls"?' in done.err, done.err
    assert done.err.count("\n") == 1
    assert '"exit_code": 2' in cli("--config", config, "status", "--json").out


def test_the_back_off_of_a_server_no_longer_named_is_forgotten(
        imap: Any, make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config(imap=imap.settings())
    assert cli("--config", config, "poll", "--since", "2026-01-01").code == 0
    ledger = config.parent / "var" / "intake.sqlite3"
    with sqlite3.connect(ledger) as db:
        db.execute("INSERT INTO server_health (name, failures, last_error, next_try_at) "
                   "VALUES ('imap:old.example.org:993', 3, 'refused', '2099-01-01')")
    assert "old.example.org" not in cli("--config", config, "status").out
    assert cli("--config", config, "poll").code == 0
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT count(*) FROM server_health").fetchone()[0] == 0


# -- monitoring ---------------------------------------------------------------------------------


def test_the_metrics_file_is_readable_by_node_exporter_and_exact(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    import grp
    import time

    prom = tmp_path / "textfile" / "intake.prom"
    prom.parent.mkdir()
    group = grp.getgrgid(os.getgid()).gr_name
    config = make_config(intake={"metrics_file": str(prom), "metrics_mode": "0640",
                                 "metrics_group": group})
    before = time.time()
    assert cli("--config", config, "ingest", eml_folder(tmp_path, [_mail()])).code == 0
    assert stat.S_IMODE(prom.stat().st_mode) == 0o640
    assert prom.stat().st_gid == grp.getgrnam(group).gr_gid
    values = dict(line.rsplit(" ", 1) for line in prom.read_text().splitlines()
                  if line and not line.startswith("#"))
    finished = float(values["intake_last_run_timestamp_seconds"])
    assert "e+" not in values["intake_last_run_timestamp_seconds"]
    assert before - 1 <= finished <= time.time() + 1  # to the second, not to 10,000 s
    default = make_config(intake={"metrics_file": str(prom)})
    assert cli("--config", default, "send").code == 0
    assert stat.S_IMODE(prom.stat().st_mode) == 0o644


def test_quiet_json_is_json_and_quiet_says_one_line_per_problem(
        smtp_factory: Callable[..., Any], make_config: Callable[..., Path], cli: Cli,
        tmp_path: Path) -> None:
    server = smtp_factory("plain")
    config = make_config(smtp=server.settings(), intake={"quiet_minutes": 0})
    server.stop()  # down: a condition that heals by itself
    as_json = cli("--config", config, "-q", "--log-format", "json", "ingest",
                  eml_folder(tmp_path, [_mail(1)]))
    assert as_json.code == 75
    lines = as_json.out.splitlines() + as_json.err.splitlines()
    assert lines and all(json.loads(line) for line in lines)
    quiet = cli("--config", config, "-q", "ingest", eml_folder(tmp_path, [_mail(2)]))
    assert quiet.code == 75 and quiet.out == ""
    assert quiet.err.count("\n") == 1 and "mail not delivered" in quiet.err


# -- set-up ---------------------------------------------------------------------------------------


def test_init_prints_absolute_paths_and_a_cron_line_that_works(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    done = cli("init", "site")
    assert done.code == 0
    site = (tmp_path / "site").resolve()
    assert f"--config {site}/settings.toml" in done.out
    cron = next(line for line in done.out.splitlines() if line.strip().startswith("*/5"))
    assert cron.split()[5].startswith("/") and cron.rstrip().endswith("-q poll")
    assert "crontab -u" in done.out and f"{site}/imap.password" in done.out
    assert stat.S_IMODE((site / "settings.toml").stat().st_mode) == 0o600
    text = (site / "settings.toml").read_text()
    assert 'password_file = "imap.password"' in text  # cron needs no environment


def test_the_version_names_its_commit() -> None:
    done = subprocess.run([sys.executable, "-m", "intake", "--version"], capture_output=True,
                          text=True, cwd=REPO, check=False)
    import tomllib

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert done.returncode == 0 and done.stdout.startswith(f"intake {version} ")
    if (REPO / ".git").exists():
        assert re.search(r"\(commit [0-9a-f]{12}", done.stdout), done.stdout
    assert f"## {version} " in (REPO / "CHANGELOG.md").read_text()  # said what it changed


def test_doctor_says_what_sharing_with_editors_still_needs(
        make_config: Callable[..., Path], cli: Cli) -> None:
    import grp

    group = grp.getgrgid(os.getgid()).gr_name
    config = make_config(intake={"group": group})
    config.chmod(0o600)
    os.chown(config, -1, grp.getgrnam("nogroup").gr_gid if _has("nogroup") else 65534)
    said = cli("--config", config, "doctor").out
    assert f"cannot be read by the group {group!r}" in said and "chmod 640" in said
    os.chown(config, -1, grp.getgrnam(group).gr_gid)
    config.chmod(0o640)
    assert "holds no password" in cli("--config", config, "doctor").out


def _has(group: str) -> bool:
    import grp

    try:
        grp.getgrnam(group)
    except KeyError:
        return False
    return True


# -- the documented set-up, in order ---------------------------------------------------------


def test_operators_md_followed_in_order_from_init_to_a_cron_style_poll(
        imap: Any, smtp_factory: Callable[..., Any], tmp_path: Path, cli: Cli) -> None:
    """docs/operators.md's steps, as an operator types them, in a fresh folder (not a
    fresh Debian container: that is not to be had here): init, the settings edited, the
    password in its file, doctor, a dry run, the first poll with --since, then what cron
    runs (-q poll), which prints nothing when all is well."""
    smtp = smtp_factory("plain")
    site = tmp_path / "srv-intake"
    assert cli("init", site).code == 0
    settings = (site / "settings.toml").read_text(encoding="utf-8")
    imap_values = imap.settings()
    edits = {'host = "imap.example.org"': 'host = "127.0.0.1"',
             "port = 993": f"port = {imap_values['port']}",
             'username = "submissions@example.org"\n# The password':
                 f'username = "{imap.user}"\n# The password',
             'host = "smtp.example.org"': 'host = "127.0.0.1"',
             "port = 465": f"port = {smtp.port}"}
    for old, new in edits.items():
        assert old in settings, old
        settings = settings.replace(old, new, 1)
    settings = settings.replace('security = "tls"', 'security = "plain"')
    settings = re.sub(r'(\[smtp\][^\[]*?)username = "submissions@example.org"\n'
                      r'password_file = "smtp.password"\n', r"\1", settings, flags=re.S)
    (site / "settings.toml").write_text(settings, encoding="utf-8")
    secret = site / "imap.password"
    secret.write_text(imap.password + "\n")
    secret.chmod(0o600)
    config = site / "settings.toml"
    doctor = cli("--config", config, "doctor")
    assert doctor.code == 0, doctor.out + doctor.err
    imap.append(_mail(1))
    dry = cli("--config", config, "poll", "--dry-run")
    assert dry.code == 0 and "dry run, nothing changed" in dry.out
    first = cli("--config", config, "poll", "--since", "2026-01-01")
    assert first.code == 0, first.err
    assert "new 1" in first.out and len(smtp.handler.messages) == 1
    imap.append(_mail(2))
    cron = cli("--config", config, "-q", "poll")
    assert cron.code == 0 and cron.out == "" and cron.err == ""
    assert len(smtp.handler.messages) == 2
    assert "last run: poll" in cli("--config", config, "status").out


# -- another account: an editor in the group, intake's account outside it ---------------------

SYSTEM_PYTHON = Path("/usr/bin/python3")


def _as_nobody(groups: list[int], *args: str) -> subprocess.CompletedProcess[str]:
    import pwd

    nobody = pwd.getpwnam("nobody")
    packages = [p for p in sys.path if p.endswith("site-packages")]

    def demote() -> None:
        os.setgroups(groups)
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    probe = "import sys; sys.path[:0] = sys.argv[1:3]; from intake.cli import main; " \
            "sys.exit(main(sys.argv[3:]))"
    return subprocess.run([str(SYSTEM_PYTHON), "-c", probe, str(REPO), *packages[:1],
                           *args], capture_output=True, text=True, check=False,
                          preexec_fn=demote, cwd="/")


def _installation_readable() -> bool:
    packages = [Path(p) for p in sys.path if p.endswith("site-packages")]
    return all(all(part.stat().st_mode & stat.S_IXOTH for part in [p, *p.parents])
               for p in [REPO, *packages[:1]])


@pytest.mark.skipif(os.geteuid() != 0 or not SYSTEM_PYTHON.exists() or
                    not _installation_readable(),
                    reason="running as another account needs root and an installation "
                           "that account can read")
def test_another_account_is_told_in_one_line(tmp_path: Path, cli: Cli) -> None:
    import grp
    import shutil
    import tempfile

    group = grp.getgrnam("users")
    site = Path(tempfile.mkdtemp(prefix="intake-second-"))
    try:
        site.chmod(0o755)
        config = site / "settings.toml"
        config.write_text('[intake]\ndata_dir = "var"\ngroup = "users"\n[smtp]\n'
                          'transport = "file"\nfile_dir = "sent"\n'
                          'from = "E <e@journal.example.org>"\n', encoding="utf-8")
        config.chmod(0o644)
        assert cli("--config", config, "ingest", eml_folder(site, [_mail()])).code == 0
        # An editor in the group writes: told to run it as intake's account.
        note = _as_nobody([group.gr_gid], "--config", str(config), "note", "1", "read it")
        assert note.returncode == 2 and "Traceback" not in note.stderr, note.stderr
        assert note.stderr.count("\n") == 1 and "runuser -u root --" in note.stderr
        # intake's account outside the group it names: told to join it (nobody here).
        mine = site / "own"
        mine.mkdir()
        os.chown(mine, 65534, 65534)
        own = mine / "settings.toml"
        own.write_text('[intake]\ndata_dir = "var"\ngroup = "users"\n[smtp]\n'
                       'transport = "file"\nfile_dir = "sent"\n'
                       'from = "E <e@journal.example.org>"\n', encoding="utf-8")
        own.chmod(0o644)
        outside = _as_nobody([], "--config", str(own), "status")
        assert outside.returncode == 2 and "Traceback" not in outside.stderr, outside.stderr
        assert "adduser nobody users" in outside.stderr and outside.stderr.count("\n") == 1
    finally:
        shutil.rmtree(site, ignore_errors=True)
