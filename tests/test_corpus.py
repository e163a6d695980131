"""Every email in the shared corpus goes through the real pipeline without crashing it.

The corpus (../shared/corpus, or $INTAKE_CORPUS) holds real mail from other projects'
test suites: broken MIME, odd charsets, hostile file names, Outlook .msg files.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CORPUS, CliResult

EMAILS = CORPUS / "emails"


@pytest.mark.skipif(not EMAILS.is_dir(), reason=f"corpus not found at {EMAILS}; set "
                    "INTAKE_CORPUS to the shared corpus folder")
def test_every_corpus_email_is_processed_ignored_or_quarantined(
        make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    files = sorted(p for p in EMAILS.rglob("*") if p.is_file())
    assert len(files) > 100
    config = make_config()
    result = cli("--config", config, "ingest", EMAILS)
    assert result.code in (0, 1), result.err  # 1: some were quarantined, as expected
    assert "Traceback" not in result.err
    db = sqlite3.connect(config.parent / "var" / "intake.sqlite3")
    states = dict(db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall())
    unique = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    bugs = db.execute("SELECT reason FROM messages WHERE reason LIKE 'intake failed%'"
                      ).fetchall()
    pending = db.execute("SELECT COUNT(*) FROM outbox WHERE state != 'sent'").fetchone()[0]
    db.close()
    print(f"\ncorpus: {len(files)} files, {unique} distinct messages, states {states}")
    # Every distinct message ended in a final state; none is left half-done.
    assert states.get("fetched", 0) == 0
    assert sum(states.values()) == unique
    assert set(states) <= {"processed", "ignored", "quarantined", "duplicate"}
    assert bugs == [], "messages that crashed a stage (a bug, not bad input)"
    assert pending == 0
    assert states.get("processed", 0) > 50 and states.get("ignored", 0) > 5
