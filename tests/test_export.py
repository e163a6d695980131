"""intake export: the HTML never runs or fetches anything; the .docx keeps what the draft
has (tables with merged cells, footnotes, links, images) or says what it could not."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx

from intake.core.models import Status
from intake.demo.samples import tiny_png
from intake.export.bundle import export_bundle
from intake.export.html import render_html
from intake.ledger import Submission
from intake.ledger.store import render_draft

HOSTILE = """Intro with <script>alert(1)</script> and <img src="http://tracker.example/p.gif">.

<iframe src="https://evil.example"></iframe>

[click](javascript:alert(1)) and [fine](https://example.org/a) and <a href="data:text/html,x">d</a>

![remote](https://tracker.example/pixel.png) ![local](assets/image1.png)

<div onclick="steal()">text kept</div>
"""

ARTICLE = """Opening paragraph with **bold**, *italic*, ~~struck~~, H<sub>2</sub>O and
E=mc<sup>2</sup>.

# A heading

- first
  - nested
- second

1. one
2. two

> A quotation.

| Drug | Dose |
| --- | --- |
| **Aspirin** | 75 mg |

<table><tr><td colspan="2">merged across</td></tr><tr><td>left</td><td>right</td></tr></table>

A claim with a source.[^1] See [the guideline](https://example.org/guide).

![Figure 1](assets/image1.png) ![diagram](assets/image2.emf)

```
code line 1
code line 2
```

[^1]: Smith J. A study. 2024.
"""


def _sub(status: Status = Status.ACCEPTED) -> Submission:
    return Submission(
        id=1, reference="JPMS-2026-0007", kind="guest_post", status=status,
        title="Night <b>shifts</b>", author_name="Ana Lima", author_email="ana@x.example",
        subject="s", received="2026-11-01T00:00:00+00:00", message_id="<m@x>",
        word_count=10, warnings=(), classification=None, reason=None,
        draft_dir="drafts/JPMS-2026-0007", created_at="", updated_at="")


def _draft(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "draft"
    (folder / "assets").mkdir(parents=True)
    (folder / "assets" / "image1.png").write_bytes(tiny_png())
    (folder / "assets" / "image2.emf").write_bytes(b"\x01\x00\x00\x00emf")
    front = {"reference": "JPMS-2026-0007", "title": "Night <b>shifts</b>",
             "author": {"name": "Ana Lima", "email": "ana@x.example"}, "status": "queued",
             "warnings": ["one"]}
    (folder / "draft.md").write_text(render_draft(front, body), encoding="utf-8")
    return folder


def test_the_html_page_is_inert(tmp_path: Path) -> None:
    page = render_html(HOSTILE, "T <script>", "A & B")
    lowered = page.lower()
    for bad in ("<script", "<iframe", 'href="javascript:', "onclick", "data:text/html",
                "tracker.example", "evil.example"):
        assert bad not in lowered, bad
    assert "[click](javascript:alert(1))" in page  # shown as the text it is
    assert "text kept" in page and 'href="https://example.org/a"' in page
    assert '<img src="assets/image1.png" alt="local">' in page
    assert "<title>T &lt;script&gt;</title>" in page and "<h1>T &lt;script&gt;</h1>" in page
    assert "default-src 'none'" in page  # and the browser is told not to fetch either


def test_a_bundle_has_markdown_html_assets_and_word(tmp_path: Path) -> None:
    draft = _draft(tmp_path, ARTICLE)
    out = export_bundle(_sub(), draft, tmp_path / "out", {"markdown", "docx"})
    names = sorted(p.name for p in out.folder.iterdir())
    assert names == ["JPMS-2026-0007.docx", "JPMS-2026-0007.html", "JPMS-2026-0007.md",
                     "assets"]
    md = (out.folder / "JPMS-2026-0007.md").read_text()
    assert "status: accepted" in md and "| **Aspirin** | 75 mg |" in md
    # No time of export in it: the same draft exports to the same bytes (the desk's
    # bundle is compared with `intake export` byte for byte; the history has the time).
    assert "exported:" not in md
    again = export_bundle(_sub(), draft, tmp_path / "again", {"markdown", "docx"})
    for name in names[:3]:
        assert (again.folder / name).read_bytes() == (out.folder / name).read_bytes(), name
    page = (out.folder / "JPMS-2026-0007.html").read_text()
    assert '<td colspan="2">merged across</td>' in page and "<sup>2</sup>" in page
    assert 'class="footnotes' in page or "footnote" in page

    word = docx.Document(str(out.folder / "JPMS-2026-0007.docx"))
    texts = [p.text for p in word.paragraphs]
    assert texts[0] == "Night <b>shifts</b>" and texts[1] == "Ana Lima"
    styles = {p.text: p.style.name if p.style else "" for p in word.paragraphs}
    assert styles["A heading"] == "Heading 1"
    assert styles["nested"] == "List Bullet 2" and styles["one"] == "List Number"
    assert styles["A quotation."] == "Quote"
    assert any(t.startswith("[1] Smith J. A study.") for t in texts)
    opening = next(p for p in word.paragraphs if p.text.startswith("Opening"))
    runs = {r.text: r for r in opening.runs}
    assert runs["bold"].bold and runs["italic"].italic and runs["struck"].font.strike
    twos = [r for r in opening.runs if r.text == "2"]
    assert [bool(r.font.subscript) for r in twos] == [True, False]  # H₂O, then mc²
    assert [bool(r.font.superscript) for r in twos] == [False, True]
    simple, merged = word.tables
    assert [c.text for c in simple.rows[1].cells] == ["Aspirin", "75 mg"]
    assert simple.rows[1].cells[0].paragraphs[0].runs[0].bold
    top = merged.rows[0].cells
    assert top[0].text == "merged across" and top[0]._tc is top[1]._tc  # one merged cell
    assert [c.text for c in merged.rows[1].cells] == ["left", "right"]
    assert len(word.inline_shapes) == 1  # the PNG; the EMF is named instead, and said so
    assert any("[image: diagram]" in t for t in texts)
    assert out.notes == ["Image assets/image2.emf (EMF) cannot be embedded in a Word file: "
                         "the .docx shows [image: diagram] in its place (the HTML and the "
                         "assets folder have it)."]
    with zipfile.ZipFile(out.folder / "JPMS-2026-0007.docx") as package:
        rels = package.read("word/_rels/document.xml.rels").decode()
    assert 'Target="https://example.org/guide" TargetMode="External"' in rels


def test_hostile_markdown_in_word_stays_text_and_fetches_nothing(tmp_path: Path) -> None:
    draft = _draft(tmp_path, HOSTILE + "\n![up](../../etc/passwd)\n")
    out = export_bundle(_sub(), draft, tmp_path / "out", {"docx"})
    with zipfile.ZipFile(out.folder / "JPMS-2026-0007.docx") as package:
        rels = package.read("word/_rels/document.xml.rels").decode()
        media = [n for n in package.namelist() if n.startswith("word/media/")]
    assert "javascript:" not in rels and "tracker.example" not in rels
    assert len(media) == 1  # assets/image1.png only: no remote image, nothing outside
    assert any("../../etc/passwd is not one of the draft's own files" in n for n in out.notes)
