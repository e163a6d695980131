"""A ledger written by an earlier intake is upgraded in place and keeps every promise:
here, one from before migration 3 (files by hash) still recognises a manuscript sent
again by the same author."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

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


# -- migrations never change once landed; data folders of earlier releases upgrade -------

# Each migration's name and SQL, as it landed. A migration is never edited afterwards
# (a ledger made in between would never get the change): add a new one, and its line here.
FROZEN = {
    1: "a91801a7194e5563", 2: "2b2ae906c0cc0b57", 3: "a7b8ea8c5e97a782",
    4: "db3d58c1575c9b3d", 5: "f26b1115e04b1ef2", 6: "2b268ba9fa7d8d35",
    7: "af987583171f4552", 8: "82b7080e19a936ce", 9: "98a74c1b8e656310",
    10: "32d7934bdb4fbeeb", 11: "1eb221791e4234be", 12: "b3dd70f30ba3710d",
    13: "7bcfb9591472c105",
}
RELEASES = Path(__file__).parent / "data" / "releases"


def test_no_migration_is_edited_after_it_lands() -> None:
    import hashlib

    found = {n: hashlib.sha256(f"{m.name}\0{m.sql}".encode()).hexdigest()[:16]
             for n, m in enumerate(MIGRATIONS, start=1)}
    assert found == FROZEN, ("a migration changed, or a new one has no frozen line: "
                             "never edit a landed migration; add one, and its checksum here")


@pytest.mark.parametrize("release", ["schema5", "schema6-early", "schema6", "schema6-last"])
def test_a_data_folder_from_an_earlier_release_upgrades(
        release: str, tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """Data folders made by earlier releases of intake itself (tests/data/releases: the
    ledger, drafts and raw mail two submissions left; made by ingesting with the code of
    those commits): read-only commands say which command upgrades them, the next run
    that writes does, and everything reads afterwards, sent_at filled from the drafts."""
    import zipfile

    with zipfile.ZipFile(RELEASES / f"{release}.zip") as kept:
        kept.extractall(tmp_path)
    config = tmp_path / "settings.toml"
    waiting = cli("--config", config, "queue")
    assert waiting.code == 2 and "intake poll, or intake send" in waiting.err
    assert "--dry-run" not in waiting.err and waiting.err.count("\n") == 1
    assert cli("--config", config, "send").code == 0
    listed = cli("--config", config, "queue", "--status", "all", "--json")
    assert listed.code == 0, listed.err
    rows = [json.loads(line) for line in listed.out.splitlines()]
    assert len(rows) == 2
    assert sorted(r["sent_at"][:10] for r in rows) == ["2026-09-14", "2026-10-02"]
    assert cli("--config", config, "status").code in (0, 1)
    assert cli("--config", config, "show", "1").code == 0
    with sqlite3.connect(tmp_path / "var" / "intake.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
