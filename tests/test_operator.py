"""The operator's side: init, taking old mail without answering it, hints that run."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intake.core.config import load_settings
from intake.demo.samples import DOCX, article_docx
from intake.demo.samples import email as make_email
from tests.conftest import REPO, CliResult, eml_folder, free_port

Cli = Callable[..., CliResult]


def test_init_writes_the_commented_settings_and_a_private_data_folder(
        tmp_path: Path, cli: Cli) -> None:
    done = cli("init", str(tmp_path / "site"))
    assert done.code == 0, done.err
    settings = tmp_path / "site" / "settings.toml"
    assert settings.read_text(encoding="utf-8") == (REPO / "settings.toml").read_text(
        encoding="utf-8")
    assert stat.S_IMODE((tmp_path / "site" / "var").stat().st_mode) == 0o700
    assert load_settings(settings).data_dir == (tmp_path / "site" / "var").resolve()
    # The cron line works from anywhere: absolute paths.
    cron = next(line for line in done.out.splitlines() if line.strip().startswith("*/5"))
    assert f"--config {settings.resolve()} -q poll" in cron
    assert cron.split()[5].startswith("/")
    again = cli("init", str(tmp_path / "site"))
    assert again.code == 2 and "exists; nothing was changed" in again.err


def _guest(n: int, when: datetime) -> bytes:
    return make_email(f"Author {n} <author{n}@uni.example>", f"Guest post {n}",
                      "Please find attached my guest post.", date=when,
                      attachments=((f"post{n}.docx", DOCX, article_docx(f"Post {n}")),),
                      message_id=f"<old{n}@uni.example>")


def test_ingest_takes_old_mail_since_a_date_and_without_answering(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    mail = [_guest(n, datetime(year, month, day, tzinfo=UTC))
            for n, (year, month, day) in enumerate([(2023, 5, 1), (2025, 5, 1), (2026, 1, 5)],
                                                   start=1)]
    done = cli("--config", config, "ingest", "--since", "2025-01-01", "--no-acknowledge",
               eml_folder(tmp_path, mail))
    assert done.code == 0, done.err
    rows = [json.loads(line) for line in cli("--config", config, "queue", "--json").out
            .splitlines()]
    assert sorted(r["author_email"] for r in rows) == ["author2@uni.example",
                                                       "author3@uni.example"]
    assert not (config.parent / "sent").exists() or not list((config.parent / "sent").iterdir())
    # The date shown is when the author sent it, not when intake read it.
    assert sorted(r["sent_at"][:10] for r in rows) == ["2025-05-01", "2026-01-05"]
    history = json.loads(cli("--config", config, "show", rows[0]["reference"], "--json").out)
    assert any("--no-acknowledge" in str(e.get("reason", "")) for e in history["history"])


def test_python_dash_m_intake_runs_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "intake", "--version"], capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0 and done.stdout.startswith("intake ")


def test_the_demo_prints_commands_that_run(tmp_path: Path) -> None:
    # Run as .venv/bin/intake is (not on PATH): the hints name that path, not "intake".
    script = Path(sys.executable).parent / "intake"
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([str(script), "demo", "--dir", str(tmp_path / "demo")],
                          capture_output=True, text=True, check=False, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    hint = next(line for line in done.stdout.splitlines() if line.startswith("Try: "))
    command = hint.removeprefix("Try: ").split()
    ran = subprocess.run(command, capture_output=True, text=True, check=False, env=env,
                         cwd=tmp_path)
    assert ran.returncode == 0, (command, ran.stderr)


# -- signals for monitoring, and a quiet cron ----------------------------------------

_PROM_LINE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"\n]*"\})? -?[0-9.e+]+$')


def test_doctor_warns_of_example_settings_and_a_clock_that_went_back(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    import sqlite3

    config = make_config(**{"editors.ana": {"name": "Ana", "email": "ana@example.org"}})
    mail = [_guest(1, datetime(2026, 11, 2, tzinfo=UTC))]
    assert cli("--config", config, "ingest", "--no-send", eml_folder(tmp_path, mail)).code == 0
    db = sqlite3.connect(config.parent / "var" / "intake.sqlite3")
    with db:
        db.execute("UPDATE events SET at = '2999-01-01T00:00:00+00:00' WHERE id = 1")
    db.close()
    out = cli("--config", config, "doctor").out
    assert "WARN  still the example settings: [editors.ana] ana@example.org" in out
    assert "clock" in out and "earlier than the newest event in the ledger (2999" in out


def test_status_and_metrics_after_a_run(tmp_path: Path, make_config: Callable[..., Path],
                                        cli: Cli) -> None:
    metrics = tmp_path / "intake.prom"
    config = make_config(intake={"metrics_file": str(metrics)})
    assert cli("--config", config, "status").out.startswith("last run: none recorded yet")
    mail = [_guest(1, datetime(2026, 11, 2, tzinfo=UTC))]
    assert cli("--config", config, "ingest", "--no-send", eml_folder(tmp_path, mail)).code == 0
    shown = cli("--config", config, "status")
    assert shown.code == 0, shown.out
    assert "last run: ingest at" in shown.out and "(ok," in shown.out
    assert "outbox: 1 pending, 0 failed for good" in shown.out
    assert "oldest waiting for an editor: JPMS-" in shown.out
    data = json.loads(cli("--config", config, "status", "--json").out)
    assert data["last_run"]["counts"]["new"] == 1 and data["submissions"] == {"queued": 1}
    text = metrics.read_text(encoding="utf-8")
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert samples and all(_PROM_LINE.match(line) for line in samples), text
    assert 'intake_submissions{status="queued"} 1' in samples
    assert 'intake_outbox_emails{state="pending"} 1' in samples
    assert "intake_last_run_exit_code 0" in samples


def _unreachable(make_config: Callable[..., Path], quiet_minutes: int) -> Path:
    return make_config(
        intake={"quiet_minutes": quiet_minutes},
        imap={"host": "127.0.0.1", "port": free_port(), "security": "plain",
              "username": "u", "password_env": "INTAKE_TEST_NO_PASSWORD", "timeout": 2})


def test_a_quiet_cron_says_nothing_until_a_failure_has_lasted(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_TEST_NO_PASSWORD", "x")
    config = _unreachable(make_config, quiet_minutes=60)
    first = cli("--config", config, "-q", "poll")
    assert first.code == 75 and first.out == "" and first.err == ""
    # Without -q a person is told, in one line.
    loud = cli("--config", config, "poll")
    assert loud.code == 75
    said = [line for line in loud.err.splitlines() if not line.startswith("intake: INFO:")]
    assert len(said) == 1 and "mail not fetched" in said[0], loud.err
    # Once it has lasted longer than quiet_minutes, -q says so too, in one line.
    config = _unreachable(make_config, quiet_minutes=0)
    late = cli("--config", config, "-q", "poll")
    assert late.code == 75 and "mail not fetched" in late.err
    status = json.loads(cli("--config", config, "status", "--json").out)
    assert status["last_run"]["failing_since"] and status["last_run"]["last_success"] is None


def test_poll_json_and_json_logs_carry_fields(
        make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_TEST_NO_PASSWORD", "x")
    config = _unreachable(make_config, quiet_minutes=60)
    done = cli("--config", config, "--log-format", "json", "poll", "--json")
    summary = json.loads(done.out)
    assert summary["command"] == "poll" and summary["exit_code"] == 75
    assert summary["fetched"] == 0 and summary["problems"][0].startswith("mail not fetched")
    events = [json.loads(line) for line in done.err.splitlines() if line.startswith("{")]
    run = next(e for e in events if e["event"] == "run")
    assert run["exit_code"] == 75 and run["command"] == "poll" and "duration" in run


def test_another_run_holding_the_lock_is_silent_under_q(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    from intake.core.runlock import run_lock

    config = make_config()
    data = config.parent / "var"
    with run_lock(data):
        quiet = cli("--config", config, "-q", "ingest", eml_folder(tmp_path, []))
        loud = cli("--config", config, "ingest", eml_folder(tmp_path, []))
    assert quiet.code == 75 and quiet.err == "" and quiet.out == ""
    assert loud.code == 75 and "another intake run holds" in loud.err


# -- editors' access by group ----------------------------------------------------------

SYSTEM_PYTHON = Path("/usr/bin/python3")


@pytest.mark.skipif(os.geteuid() != 0 or not SYSTEM_PYTHON.exists(),
                    reason="reading as another account needs root to switch to it")
def test_a_group_member_reads_the_ledger_and_drafts_and_others_cannot(cli: Cli) -> None:
    import grp
    import pwd
    import shutil
    import tempfile

    group, nobody = grp.getgrnam("users"), pwd.getpwnam("nobody")
    site = Path(tempfile.mkdtemp(prefix="intake-group-"))
    try:
        site.chmod(0o755)
        config = site / "settings.toml"
        config.write_text('[intake]\ndata_dir = "var"\ngroup = "users"\n[smtp]\n'
                          'transport = "file"\nfile_dir = "sent"\n'
                          'from = "E <e@journal.example.org>"\n', encoding="utf-8")
        mail = [_guest(1, datetime(2026, 11, 2, tzinfo=UTC))]
        assert cli("--config", config, "ingest", eml_folder(site, mail)).code == 0
        data = site / "var"
        for path in [data, *data.rglob("*")]:
            info = path.stat()
            assert info.st_gid == group.gr_gid, path
            expected = 0o2750 if path.is_dir() else 0o640
            assert stat.S_IMODE(info.st_mode) == expected, (path, oct(info.st_mode))
        assert "shared with the group 'users'" in cli("--config", config, "doctor").out

        # An editor's account reads the ledger and a draft without writing anything.
        probe = ("import sqlite3, sys, pathlib; d = pathlib.Path(sys.argv[1]); "
                 "db = sqlite3.connect(f'file:{d}/intake.sqlite3?mode=ro', uri=True); "
                 "print(db.execute('select count(*) from submissions').fetchone()[0]); "
                 "print(len(next(d.glob('drafts/*/draft.md')).read_text()) > 0)")

        def python_as(groups: list[int], *args: str) -> subprocess.CompletedProcess[str]:
            """The system Python run as nobody, in groups, with these arguments."""
            def demote() -> None:
                os.setgroups(groups)
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
            return subprocess.run([str(SYSTEM_PYTHON), *args], capture_output=True,
                                  text=True, check=False, preexec_fn=demote, cwd="/")

        member = python_as([group.gr_gid], "-c", probe, str(data))
        assert member.returncode == 0 and member.stdout.split() == ["1", "True"], member.stderr
        stranger = python_as([], "-c", probe, str(data))
        assert stranger.returncode != 0 and "unable to open database" in stranger.stderr

        # And through intake's own read-only commands, when this installation is one
        # another account can run (the system Python, this checkout and its packages).
        packages = [p for p in sys.path if p.endswith("site-packages")]
        if all(_readable_by_others(Path(p)) for p in [str(REPO), *packages]):
            probe = ("import sys; sys.path[:0] = sys.argv[2:]; from intake.cli import main; "
                     "sys.exit(main(['--config', sys.argv[1], 'queue']) or "
                     "main(['--config', sys.argv[1], 'show', '1']) or "
                     "main(['--config', sys.argv[1], 'status']))")

            def intake_as(groups: list[int]) -> subprocess.CompletedProcess[str]:
                return python_as(groups, "-c", probe, str(config), str(REPO), *packages)

            reading = intake_as([group.gr_gid])
            assert reading.returncode == 0, reading.stderr
            assert "guest_post" in reading.stdout and "last run: ingest" in reading.stdout
            assert intake_as([]).returncode != 0
    finally:
        shutil.rmtree(site, ignore_errors=True)


# -- command-line comfort ----------------------------------------------------------------


def test_a_reference_by_its_number_and_an_unknown_one(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli) -> None:
    config = make_config()
    mail = [_guest(n, datetime(2026, 11, 2, tzinfo=UTC)) for n in (1, 2)]
    assert cli("--config", config, "ingest", "--no-send", eml_folder(tmp_path, mail)).code == 0
    shown = cli("--config", config, "show", "2")
    assert shown.code == 0 and shown.out.startswith("JPMS-") and "-0002" in shown.out
    missing = cli("--config", config, "show", "99")
    assert missing.code == 4 and "no submission '99'" in missing.err
    table = cli("--config", config, "queue").out.splitlines()
    assert table[0].split()[3] == "SENT" and "Author 1" in table[1] + table[2]


def test_a_message_is_written_in_the_editors_editor(
        tmp_path: Path, make_config: Callable[..., Path], cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config()
    mail = [_guest(1, datetime(2026, 11, 2, tzinfo=UTC))]
    assert cli("--config", config, "ingest", "--no-send", eml_folder(tmp_path, mail)).code == 0
    script = tmp_path / "fake-editor"
    script.write_text("#!/bin/sh\nprintf 'Thanks, we will read it this week.\\n' >> \"$1\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    done = cli("--config", config, "reply", "1", "--yes", "--as", "ana")
    assert done.code == 0, done.err
    assert cli("--config", config, "send").code == 0
    replies = [p for p in (config.parent / "sent").glob("*.eml") if "reply" in p.name]
    assert replies and "Thanks, we will read it this week." in replies[0].read_text(
        encoding="utf-8", errors="replace")


def test_a_long_run_on_a_terminal_shows_progress_and_cron_sees_none(
        tmp_path: Path, make_config: Callable[..., Path]) -> None:
    import pty

    config = make_config()
    mail = [_guest(n, datetime(2026, 11, 2, tzinfo=UTC)) for n in range(25)]
    folder = eml_folder(tmp_path, mail)
    script = Path(sys.executable).parent / "intake"
    master, slave = pty.openpty()
    with subprocess.Popen([str(script), "--config", str(config), "ingest", "--no-send",
                           str(folder)], stdout=subprocess.DEVNULL, stderr=slave) as run:
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the run is over
                break
            if not chunk:
                break
            seen += chunk
        assert run.wait(timeout=120) == 0
    os.close(master)
    assert b"processing" in seen and b"msg/s" in seen and b"/25" in seen
    # Not on a terminal (cron): no bar at all, for as many new messages.
    more = eml_folder(tmp_path, [_guest(n, datetime(2026, 11, 2, tzinfo=UTC))
                                 for n in range(25, 50)])
    quiet = subprocess.run([str(script), "--config", str(config), "ingest", "--no-send",
                            str(more)], capture_output=True, text=True, check=False)
    assert quiet.returncode == 0 and "new 25" in quiet.stdout
    assert "processing" not in quiet.stderr and "msg/s" not in quiet.stderr


def _readable_by_others(path: Path) -> bool:
    """Whether every folder from / down to path lets another account in."""
    return all(part.stat().st_mode & stat.S_IXOTH for part in [path, *path.parents])
