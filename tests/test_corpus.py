"""Every email in the shared corpus goes through the real pipeline without crashing it.

The corpus (../shared/corpus, or $INTAKE_CORPUS) holds real mail from other projects'
test suites: broken MIME, odd charsets, hostile file names, Outlook .msg files.
"""

from __future__ import annotations

import html
import io
import re
import sqlite3
import zipfile
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


DOCX = CORPUS / "docx"
_P = re.compile(rb"<w:p[ >].*?</w:p>", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
# The HTML intake itself writes (anchors, table fallbacks, sup/sub), not escaped text.
_TAG = re.compile(r"</?(?:a|sup|sub|br|table|tr|td|th)\b[^<>\n]*>")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_W_T = re.compile(rb"<w:t(?: [^>]*)?>([^<]*)</w:t>")


def _squash(text: str) -> str:
    """Letters and digits only: what no formatting or escaping can change."""
    return "".join(c for c in text.lower() if c.isalnum())


def _paragraph_texts(data: bytes) -> list[str]:
    """Each body paragraph's text runs, joined (deleted text is w:delText, not w:t)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        rels = zf.read("_rels/.rels").decode()
        main = re.search(r'officeDocument"[^>]*Target="/?([^"]+)"|Target="/?([^"]+)"[^>]*'
                         r'officeDocument"', rels)
        assert main is not None
        xml = zf.read(main.group(1) or main.group(2))
    texts = []
    for p in _P.findall(xml):
        if b"<w:p" in p[4:]:
            continue  # a paragraph holding others (a text box): its inner ones count
        texts.append(_squash(html.unescape(b"".join(_W_T.findall(p)).decode("utf-8", "replace"))))
    return [t for t in texts if t]


@pytest.mark.skipif(not DOCX.is_dir(), reason=f"corpus not found at {DOCX}")
def test_every_corpus_docx_keeps_every_paragraph_or_is_refused_with_a_reason() -> None:
    from intake.convert import ConversionError, convert_document
    from intake.sniff import sniff

    converted, refused, lossy = 0, [], []
    for path in sorted(DOCX.rglob("*.docx")):
        data = path.read_bytes()
        try:
            result = convert_document(path.name, data, sniff(data))
        except ConversionError as exc:
            refused.append(f"{path.name}: {exc.reason}")
            continue
        converted += 1
        visible = _LINK_TARGET.sub("]", _IMAGE.sub(" ", _TAG.sub("", result.markdown)))
        visible = html.unescape(visible)
        kept = _squash(f"{result.title or ''} {visible}")
        missing = [t for t in _paragraph_texts(data) if t not in kept]
        if missing:
            lossy.append(f"{path.parent.name}/{path.name}: {[m[:40] for m in missing[:3]]}")
    print(f"\ncorpus .docx: {converted} converted, {len(refused)} refused")
    print("\n".join(refused))
    assert converted >= 60
    print("\n".join(lossy))
    assert lossy == [], "words in the document that never reached the draft"
