"""Publishing accepted articles to a real WordPress (Debian's packages, tests/wordpress.py):
a draft post with its images, the same post updated when published again, nothing
active reaching the site, and each failure said clearly with nothing lost."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from intake.demo.samples import DOCX, article_docx, noisy_png, text_docx
from intake.demo.samples import email as make_email
from intake.ledger.store import read_front_matter
from tests.conftest import CliResult, eml_folder
from tests.wordpress import AUTHOR_ONLY, EDITOR, WordPressSite, available

Cli = Callable[..., CliResult]
Configure = Callable[..., Path]

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))


@pytest.fixture(scope="module")
def site() -> Iterator[WordPressSite]:
    started = WordPressSite.start()
    yield started
    started.stop()


def _config(make_config: Configure, site: WordPressSite, monkeypatch: pytest.MonkeyPatch,
            user: str = EDITOR, password: str | None = None, **extra: Any) -> Path:
    monkeypatch.setenv("INTAKE_TEST_WP_PASSWORD", password or site.passwords[user])
    wordpress = {"url": site.url, "username": user, "password_env": "INTAKE_TEST_WP_PASSWORD",
                 "tags": ["students"], **extra}
    return make_config(**{"editors.ana": {"name": "Ana Lima", "email": "ana@journal.example.org"},
                          "publish.wordpress": wordpress,
                          "publish.wordpress.categories": {"guest_post": "Guest posts"}})


def _accepted(tmp_path: Path, cli: Cli, config: Path, document: bytes,
              subject: str = "Guest post: night shifts") -> str:
    mail = make_email("Sam Okafor <sam@uni.example>", subject, "Please find my article.",
                      attachments=(("article.docx", DOCX, document),),
                      message_id=f"<{abs(hash(document))}@uni.example>")
    assert cli("--config", config, "ingest", "--no-send", eml_folder(tmp_path, [mail])).code == 0
    rows = [json.loads(line) for line in cli("--config", config, "queue", "--json").out
            .splitlines()]
    ref = str(rows[-1]["reference"])
    for step in (("review", ref), ("accept", ref, "-y")):
        done = cli("--config", config, *step, "--as", "ana")
        assert done.code == 0, done.err
    return ref


def _publish(cli: Cli, config: Path, ref: str, code: int = 0) -> CliResult:
    done = cli("--config", config, "publish", ref, "--as", "ana")
    assert done.code == code, (done.out, done.err)
    return done


def _post_id(done: CliResult) -> int:
    found = re.search(r"post (\d+)", done.out)
    assert found, done.out
    return int(found.group(1))


def test_an_accepted_article_becomes_a_draft_post_with_its_images(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(make_config, site, monkeypatch)
    ref = _accepted(tmp_path, cli, config, article_docx("What nights teach"))
    first = _publish(cli, config, ref)
    assert "made on WordPress (draft, 1 image(s) uploaded)" in first.out
    post_id = _post_id(first)
    post = site.api(f"/wp/v2/posts/{post_id}?context=edit")
    assert isinstance(post, dict)
    assert post["status"] == "draft" and post["title"]["raw"] == "What nights teach"
    raw = post["content"]["raw"]
    assert raw.startswith('<p class="byline">By Sam Okafor</p>')
    assert "the ward round moves quickly" in raw
    media = site.api(f"/wp/v2/media/{post['featured_media']}")
    assert isinstance(media, dict) and media["source_url"] in raw
    assert f"wp-image-{post['featured_media']}" in raw
    category = site.api(f"/wp/v2/categories/{post['categories'][0]}")
    assert isinstance(category, dict) and category["name"] == "Guest posts"
    assert post["excerpt"]["raw"].startswith("Every year, thousands of medical students")
    front = read_front_matter(next((config.parent / "var" / "drafts").glob("*/draft.md")))
    assert front["published"]["wordpress"]["post_id"] == post_id

    # Again: the same post, updated; the image is not uploaded twice.
    again = _publish(cli, config, ref)
    assert _post_id(again) == post_id and "updated on WordPress (draft, 0 image(s)" in again.out
    posts = site.api("/wp/v2/posts?status=draft&per_page=100&context=edit")
    assert isinstance(posts, list)
    assert [p["id"] for p in posts if p["title"]["raw"] == "What nights teach"] == [post_id]
    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    assert [e["event"] for e in shown["history"]].count("published") == 2

    # The image deleted on the site meanwhile: uploaded again, the post still the same.
    site.call("DELETE", f"/wp/v2/media/{post['featured_media']}?force=true")
    third = _publish(cli, config, ref)
    assert _post_id(third) == post_id and "updated on WordPress (draft, 1 image(s)" in third.out


def test_a_hostile_manuscript_reaches_the_site_as_text(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(make_config, site, monkeypatch)
    hostile = text_docx("A title <script>alert(1)</script>", [
        "Words <script>alert('x')</script> and <img src=x onerror=alert(2)> and "
        "<iframe src=https://evil.example></iframe> and [a link](javascript:alert(3)).",
        "More ordinary words so the article reads as one."])
    ref = _accepted(tmp_path, cli, config, hostile, subject="Guest post: hostile")
    post_id = _post_id(_publish(cli, config, ref))
    post = site.api(f"/wp/v2/posts/{post_id}?context=edit")
    assert isinstance(post, dict)
    raw = post["content"]["raw"]
    tags, attributes = _markup(raw)
    assert not tags & {"script", "iframe", "object", "embed", "style"}, tags
    assert not [a for a in attributes if a[0].startswith("on")], attributes
    assert not [a for a in attributes if "javascript:" in (a[1] or "").lower()], attributes
    assert "&lt;script&gt;" in raw  # the author's words are kept, as text


def test_no_file_outside_the_submissions_folder_reaches_the_site(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A draft naming the ledger (or any file) as an image: the post goes out, the ledger
    never does; one function (core.confine) decides for publishing, export and the desk."""
    config = _config(make_config, site, monkeypatch)
    ref = _accepted(tmp_path, cli, config, article_docx("Nights, again"),
                    subject="Guest post: traversal")
    draft = config.parent / "var" / "drafts" / ref / "draft.md"
    body = draft.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    edited = tmp_path / "edited.md"
    edited.write_text(body + "\n![ledger](assets/../../../intake.sqlite3)\n\n"
                      "![passwd](assets//etc/passwd)\n\n![link](assets/planted.png)\n",
                      encoding="utf-8")
    (draft.parent / "assets" / "planted.png").symlink_to(config.parent / "var" /
                                                          "intake.sqlite3")
    assert cli("--config", config, "edit", ref, edited, "--as", "ana").code == 0
    before = site.api("/wp/v2/media?per_page=100&context=edit")
    assert isinstance(before, list)
    done = _publish(cli, config, ref)
    assert "1 image(s) uploaded" in done.out
    after = site.api("/wp/v2/media?per_page=100&context=edit")
    assert isinstance(after, list)
    new = [m for m in after if m["id"] not in {b["id"] for b in before}]
    assert len(new) == 1 and "intake" not in str(new[0]["source_url"]).lower()
    assert "passwd" not in str(new[0]["source_url"]) and "planted" not in str(
        new[0]["source_url"])


def test_only_an_accepted_submission_is_published(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(make_config, site, monkeypatch)
    mail = make_email("Kim <kim@uni.example>", "Guest post: waiting", "Attached.",
                      attachments=(("a.docx", DOCX, article_docx("Waiting")),))
    cli("--config", config, "ingest", "--no-send", eml_folder(tmp_path, [mail]))
    refused = _publish(cli, config, "1", code=2)
    assert "only an accepted submission is published" in refused.err


def test_a_wrong_password_and_a_user_without_rights_are_said_and_change_nothing(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(make_config, site, monkeypatch, password="wrong pass word here")
    ref = _accepted(tmp_path, cli, config, article_docx("Refused"))
    wrong = _publish(cli, config, ref, code=2)
    assert "WordPress refused the login of 'ana'" in wrong.err
    assert "Application Password" in wrong.err
    contributor = _config(make_config, site, monkeypatch, user=AUTHOR_ONLY)
    denied = _publish(cli, contributor, ref, code=2)
    assert "does not let 'zoe' do this" in denied.err and "editor role" in denied.err
    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    assert "published" not in [e["event"] for e in shown["history"]]


def test_the_site_down_is_temporary_and_retried_by_the_next_send(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import free_port

    config = _config(make_config, site, monkeypatch, url=f"http://127.0.0.1:{free_port()}")
    ref = _accepted(tmp_path, cli, config, article_docx("Later"))
    down = _publish(cli, config, ref, code=75)
    assert "could not be reached" in down.err and "nothing was published" in down.err
    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    assert "publish pending" in [e["event"] for e in shown["history"]]
    # The site is back (the right address): the next send publishes what waited.
    back = _config(make_config, site, monkeypatch)
    sent = cli("--config", back, "send")
    assert sent.code == 0, sent.err
    shown = json.loads(cli("--config", back, "show", ref, "--json").out)
    assert "published" in [e["event"] for e in shown["history"]]


def test_an_upload_over_the_sites_limit_is_said(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.proxy import SizeLimit

    with SizeLimit(site.port, max_body=200_000) as limit:
        config = _config(make_config, site, monkeypatch, url=f"http://127.0.0.1:{limit.port}")
        big = text_docx("Big figure", ["An article with a large figure in it."], images=0)
        ref = _accepted(tmp_path, cli, config, _with_image(big, noisy_png(400)))
        refused = _publish(cli, config, ref, code=1)
    assert "refused an upload of" in refused.err and "(413)" in refused.err


def _markup(page: str) -> tuple[set[str], list[tuple[str, str | None]]]:
    """The elements and attributes a browser would build from the page."""
    from html.parser import HTMLParser

    tags: set[str] = set()
    attributes: list[tuple[str, str | None]] = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.add(tag)
            attributes.extend(attrs)

    Reader().feed(page)
    return tags, attributes


def _with_image(document: bytes, image: bytes) -> bytes:
    import io

    import docx

    doc = docx.Document(io.BytesIO(document))
    doc.add_picture(io.BytesIO(image))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_doctor_checks_the_login_and_the_users_rights(
        make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    good = cli("--config", _config(make_config, site, monkeypatch), "doctor").out
    assert f"ok    WordPress {site.url}: signed in as 'ana' (editor); new posts are draft" in good
    wrong = cli("--config", _config(make_config, site, monkeypatch, password="no such pw"),
                "doctor").out
    assert f"FAIL  WordPress {site.url}: WordPress refused the login of 'ana'" in wrong
    weak = cli("--config", _config(make_config, site, monkeypatch, user=AUTHOR_ONLY),
               "doctor").out
    assert "'zoe' (contributor) may not upload_files" in weak


def test_the_desk_publishes_an_accepted_article_in_one_action(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import re as regex

    from intake.core.config import load_settings
    from intake.web.app import create_app

    config = _config(make_config, site, monkeypatch)
    ref = _accepted(tmp_path, cli, config, article_docx("From the desk"))
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert cli("--config", config, "passwd", "ana").code == 0
    app = create_app(load_settings(config))
    app.config["TESTING"] = True
    client = app.test_client()

    def token(path: str) -> str:
        found = regex.search(r'name="csrf_token" value="([^"]+)"',
                             client.get(path).get_data(as_text=True))
        assert found
        return found.group(1)

    client.post("/sign-in", data={"editor": "ana", "password": "correct horse battery",
                                  "csrf_token": token("/sign-in")})
    page = client.get(f"/s/{ref}/").get_data(as_text=True)
    assert "Publish to WordPress" in page
    done = client.post(f"/s/{ref}/publish", data={"csrf_token": token(f"/s/{ref}/")},
                       follow_redirects=True).get_data(as_text=True)
    found = regex.search(r"Made WordPress post (\d+) \(draft, 1 image\(s\) uploaded\)", done)
    assert found, done
    assert "Update the WordPress post" in done and f"post {found.group(1)}</a>" in done
    post = site.api(f"/wp/v2/posts/{found.group(1)}?context=edit")
    assert isinstance(post, dict) and post["title"]["raw"] == "From the desk"


def test_a_revision_taken_after_publishing_reaches_the_same_post(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(make_config, site, monkeypatch)
    ref = _accepted(tmp_path, cli, config, text_docx("First words", [
        "The first version of the article, with enough words to read as one."]))
    post_id = _post_id(_publish(cli, config, ref))
    # The author sends a corrected version after the decision: held for an editor.
    fixed = make_email("Sam Okafor <sam@uni.example>", f"[{ref}] corrected version",
                       "A small correction, sorry.", message_id="<fix@uni.example>",
                       attachments=(("article.docx", DOCX, text_docx("First words", [
                           "The corrected version of the article, with enough words."])),))
    assert cli("--config", config, "ingest", "--no-send", eml_folder(tmp_path, [fixed])).code == 0
    shown = json.loads(cli("--config", config, "show", ref, "--json").out)
    take = next(e["take"] for e in shown["history"] if e.get("take"))
    taken = cli("--config", config, "take-revision", ref, take.split()[-1], "--as", "ana")
    assert taken.code == 0, taken.err
    again = _publish(cli, config, ref)
    assert _post_id(again) == post_id and "updated" in again.out
    post = site.api(f"/wp/v2/posts/{post_id}?context=edit")
    assert isinstance(post, dict) and "The corrected version" in post["content"]["raw"]


def test_a_contest_winner_is_published_with_its_contest_line_and_category(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.contesthelp import NOW, contest_settings

    config = _config(make_config, site, monkeypatch)
    config.write_text(config.read_text() + contest_settings())
    essay = text_docx("Night shifts", [
        "As a medical student I learned that night shifts teach patience. " * 12,
        "# About the Author", "Sam Okafor is a medical student who writes."])
    mail = make_email("Sam Okafor <sam@uni.example>", "Writing contest: Night shifts",
                      "My entry.", attachments=(("entry.docx", DOCX, essay),),
                      message_id="<contest-wp@uni.example>", date=NOW)
    assert cli("--config", config, "ingest", "--no-send", eml_folder(tmp_path, [mail])).code == 0
    ref = "JPMS-2026-0001"
    for step in (("contest", "award", "essay", ref, "winner"), ("review", ref),
                 ("accept", ref, "-y")):
        done = cli("--config", config, *step, "--as", "ana")
        assert done.code == 0, (step, done.err)
    post = site.api(f"/wp/v2/posts/{_post_id(_publish(cli, config, ref))}?context=edit")
    assert isinstance(post, dict)
    content = str(post["content"]["raw"])
    line = "This article won the JPMS Medical Writing Contest 2026."
    assert line in content
    assert content.index(line) < content.index("About the Author")
    terms = site.api("/wp/v2/categories?per_page=100")
    assert isinstance(terms, list)
    assert "Writing contest" in {t["name"] for t in terms}
    assert len(post["categories"]) == 1  # the contest's (contest entries have no kind's)


# -- issue 36: one byline, a real excerpt, sponsored posts disclosed -----------------------


def test_the_authors_own_byline_is_the_only_one_and_never_the_excerpt(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(make_config, site, monkeypatch)
    document = text_docx("What nights teach", [
        "By Sam Okafor, fourth-year medical student at the University of Example",
        "Every night shift begins with a handover that nobody has time for. " * 6,
        "The second paragraph says what the ward teaches after midnight. " * 4,
        "# About the Author", "Sam Okafor is a fourth-year medical student who writes."])
    ref = _accepted(tmp_path, cli, config, document)
    post = site.api(f"/wp/v2/posts/{_post_id(_publish(cli, config, ref))}?context=edit")
    assert isinstance(post, dict)
    raw = str(post["content"]["raw"])
    assert raw.count('class="byline"') == 1 and raw.count("By Sam Okafor") == 1, raw[:400]
    assert raw.startswith('<p class="byline">By Sam Okafor, fourth-year medical student')
    assert post["excerpt"]["raw"].startswith("Every night shift begins with a handover")


def _sponsored(tmp_path: Path, cli: Cli, config: Path, site_url: str) -> str:
    document = text_docx("Five apps that help students revise", [
        "Revising for finals is easier with the right tools. " * 10,
        "We compared five apps on price, offline use and question banks. " * 4],
        links=("https://revise.example.com/offer", f"{site_url}/?p=1"))
    mail = make_email("Dana Reyes <dana@revise.example.com>", "Our sponsored article",
                      "As agreed, the sponsored article is attached.",
                      to="submissions+sponsored@journal.example.org",
                      attachments=(("article.docx", DOCX, document),),
                      message_id="<sponsored-wp@revise.example.com>")
    assert cli("--config", config, "ingest", "--no-send", eml_folder(tmp_path, [mail])).code == 0
    rows = [json.loads(line) for line in cli("--config", config, "queue", "--json").out
            .splitlines()]
    assert rows[-1]["kind"] == "sponsored"
    ref = str(rows[-1]["reference"])
    # The link to the site itself is to 127.0.0.1, which the privacy screen flags.
    for step in (("privacy", ref, "--keep", "1", "the blog's own address"), ("review", ref),
                 ("accept", ref, "-y")):
        done = cli("--config", config, *step, "--as", "ana")
        assert done.code == 0, (step, done.err)
    return ref


def test_a_sponsored_post_is_published_disclosed_with_sponsored_links(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    line = "Sponsored: this article was paid for by its sponsor; our editors checked it."
    config = _config(make_config, site, monkeypatch, disclosure=line)
    ref = _sponsored(tmp_path, cli, config, site.url)
    post = site.api(f"/wp/v2/posts/{_post_id(_publish(cli, config, ref))}?context=edit")
    assert isinstance(post, dict)
    raw = str(post["content"]["raw"])
    assert raw.startswith(f'<p class="disclosure">{line}</p>'), raw[:300]
    names = {site.api(f"/wp/v2/categories/{c}")["name"]  # type: ignore[index]
             for c in post["categories"]}
    assert "Sponsored" in names
    links = dict(re.findall(r'<a href="([^"]+)"[^>]*?rel="([^"]*)"', raw))
    assert "sponsored" in links["https://revise.example.com/offer"].split()
    inside = [rel for href, rel in links.items() if href.startswith(site.url)]
    assert inside and all("sponsored" not in rel.split() for rel in inside)


def test_a_sponsored_post_without_a_disclosure_is_refused(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(make_config, site, monkeypatch)
    ref = _sponsored(tmp_path, cli, config, site.url)
    before = site.api("/wp/v2/posts?status=draft&per_page=100&context=edit")
    refused = _publish(cli, config, ref, code=2)
    assert "disclosure" in refused.err and "[publish.wordpress]" in refused.err
    after = site.api("/wp/v2/posts?status=draft&per_page=100&context=edit")
    assert isinstance(before, list) and isinstance(after, list) and len(after) == len(before)


def test_the_profiles_bio_is_the_about_the_author_of_an_article_without_one(
        tmp_path: Path, make_config: Configure, cli: Cli, site: WordPressSite,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(make_config, site, monkeypatch)
    with_bio = text_docx("Night shifts", [
        "The ward at night teaches patience. " * 30, "# About the Author",
        "Sam Okafor is a fourth-year medical student who writes about nights."])
    _accepted(tmp_path, cli, config, with_bio, subject="Guest post: nights")
    without = text_docx("Ward rounds", ["Ward rounds move quickly and teach a lot. " * 30])
    ref = _accepted(tmp_path, cli, config, without, subject="Guest post: rounds")
    post = site.api(f"/wp/v2/posts/{_post_id(_publish(cli, config, ref))}?context=edit")
    assert isinstance(post, dict)
    raw = str(post["content"]["raw"])
    assert "About the Author" in raw
    assert "Sam Okafor is a fourth-year medical student who writes about nights." in raw
    assert raw.index("Ward rounds move quickly") < raw.index("About the Author")
