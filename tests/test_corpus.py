"""Every .docx of the shared corpus reaches its draft whole (the sweep of every corpus
file, emails and documents, is in tests/test_suites.py and bench/input_sweep.py).

The corpus (../shared/corpus, or $INTAKE_CORPUS) holds real files from other projects'
test suites.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest

from tests.conftest import CORPUS

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
    from intake.core.sniff import sniff

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
