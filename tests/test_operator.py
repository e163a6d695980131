"""The operator's side: init, taking old mail without answering it, hints that run."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from intake.core.config import load_settings
from intake.demo.samples import DOCX, article_docx
from intake.demo.samples import email as make_email
from tests.conftest import REPO, CliResult, eml_folder

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
