"""A ledger written by an earlier intake is upgraded in place and keeps every promise:
here, one from before migration 3 (files by hash) still recognises a manuscript sent
again by the same author."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from intake.demo.samples import DOCX, text_docx
from intake.demo.samples import email as make_email
from intake.ledger import MIGRATIONS
from tests.conftest import CliResult, eml_folder

AUTHOR = "Ana Lima <ana@uni.example.org>"


def _as_schema(ledger: Path, version: int) -> None:
    """Rewrite `ledger` as the schema `version` had it, with the same rows: what an
    intake of that time would have left on disk."""
    old = ledger.with_name("old.sqlite3")
    db = sqlite3.connect(old)
    for step in MIGRATIONS[:version]:
        db.executescript(step.sql)
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("ATTACH ? AS now", (str(ledger),))
    tables = [r[0] for r in db.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table'")]
    for table in tables:
        columns = ", ".join(r[1] for r in db.execute(f"PRAGMA main.table_info({table})"))
        # Names from our own schema, not from input.
        db.execute(f"INSERT INTO main.{table} ({columns}) "  # noqa: S608
                   f"SELECT {columns} FROM now.{table}")
    db.commit()
    db.execute("DETACH now")
    db.close()
    old.replace(ledger)


def test_a_ledger_from_before_files_by_hash_still_knows_a_manuscript_sent_again(
        tmp_path: Path, make_config: Callable[..., Path],
        cli: Callable[..., CliResult]) -> None:
    config = make_config()
    doc = text_docx("On call", ["# Night one", "A long night. " * 50])

    def attempt(n: int) -> Path:
        message = make_email(AUTHOR, f"Guest post (attempt {n})", "Attached my article.",
                             attachments=(("on call.docx", DOCX, doc),),
                             message_id=f"<attempt{n}@uni.example.org>")
        return eml_folder(tmp_path, [message])

    assert cli("--config", config, "ingest", attempt(1)).code == 0
    ledger = config.parent / "var" / "intake.sqlite3"
    _as_schema(ledger, 2)
    with sqlite3.connect(ledger) as db:
        assert "files" not in {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}

    again = cli("--config", config, "ingest", attempt(2))
    assert again.code == 0, again.err
    assert "new 0" in again.out and "already had 1" in again.out, again.out
    with sqlite3.connect(ledger) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 1
        assert db.execute("SELECT revision, role, name FROM files ORDER BY id").fetchall()[0] \
            == (1, "manuscript", "on call.docx")
    assert len(list((config.parent / "sent").glob("*.eml"))) == 1  # answered once
