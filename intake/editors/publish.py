"""Publish an accepted submission to WordPress as a draft post: one editor's action.

The post is made from the draft as every other page shows it (intake.export.html: the
same renderer and sanitiser, so nothing active reaches the site); each image of the
draft (already stripped of its metadata) goes to the media library with its alt text,
the first one as the featured image; the byline, the kind's category and the tags
from the settings. The post's id, link and uploaded images are kept in the
submission's history (and mirrored in the draft's front matter): publishing again
updates the same post and uploads only images it has not uploaded before, so a revision
accepted after publishing reaches the same post. Nothing is ever published without an
editor's action, and nothing but a draft unless [publish.wordpress] status says so.
"""

from __future__ import annotations

import hashlib
import html
import logging
import mimetypes
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake.core import confine
from intake.core.config import Settings, WordPressSection
from intake.core.errors import IntakeError
from intake.core.models import Status
from intake.drafts.sections import bio_span, split_blocks
from intake.editors.privacy import require_clear
from intake.editors.workflow import Actor, WorkflowError, find
from intake.export.html import author_of, safe_html
from intake.ledger import Ledger, Submission
from intake.ledger.events import EventName
from intake.ledger.store import read_draft, update_front_matter
from intake.publish.wordpress import Media, SiteUnavailable, WordPress

log = logging.getLogger(__name__)
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\(assets/([^()\s]+)\)")
_TAG = re.compile(r"<[^<>]*>")
_EXCERPT_WORDS = 55


@dataclass(frozen=True)
class Published:
    post_id: int
    link: str
    status: str
    updated: bool  # the post existed and was updated
    uploaded: int  # images uploaded this time (the others were there already)


def publish(ledger: Ledger, settings: Settings, reference: str, actor: Actor,
            site: WordPress | None = None) -> Published:
    section = _section(settings)
    sub = find(ledger, reference)
    if sub.status is not Status.ACCEPTED:
        raise WorkflowError(f"{sub.reference} is {sub.status.value}: only an accepted "
                            "submission is published (intake accept first)")
    if not sub.draft_dir:
        raise WorkflowError(f"{sub.reference} has no draft to publish")
    require_clear(ledger, settings, sub, "published")
    if sub.kind in section.sponsored_kinds and not section.disclosure.strip():
        raise WorkflowError(f"{sub.reference} is a sponsored {sub.kind.replace('_', ' ')}: it "
                            f"is published only with a disclosure line; set [publish."
                            f"wordpress] disclosure in {settings.path}")
    folder = settings.data_dir / sub.draft_dir
    front, body = read_draft(folder / "draft.md")
    site = site or WordPress(section)
    earlier = ledger.last_event(sub.id, EventName.PUBLISHED)
    known: dict[str, int] = dict(earlier.detail.get("media", {})) if earlier else {}
    post_id = int(earlier.detail["post_id"]) if earlier else None
    extra_category = ""
    entry = ledger.entry(sub.id)
    contest = settings.contest(entry.contest) if entry and entry.state == "open" else None
    if entry is not None and contest is not None:
        body = with_contest_line(body, contest_line(contest.name, entry.award))
        extra_category = contest.category
    profile = ledger.author(sub.author_email) if sub.author_email else None
    if profile is not None and profile.bio and bio_span(split_blocks(body)) is None:
        # The article has no "About the author" of its own: the profile's, at its end.
        body = f"{body.rstrip()}\n\n## About the Author\n\n{profile.bio}\n"
    try:
        published = _send(site, section, sub, front, body, folder, known, post_id,
                          extra_category)
    except SiteUnavailable as exc:
        with ledger.transaction():
            ledger.add_event(EventName.PUBLISH_PENDING, submission_id=sub.id, actor=actor.id,
                             reason=str(exc))
        raise
    with ledger.transaction():
        ledger.add_event(EventName.PUBLISHED, submission_id=sub.id, actor=actor.id,
                         site=section.url, post_id=published.post_id, link=published.link,
                         status=published.status, updated=published.updated, media=known)
    update_front_matter(folder / "draft.md", published={
        "wordpress": {"post_id": published.post_id, "link": published.link,
                      "status": published.status}})
    return published


def pending(ledger: Ledger) -> list[Submission]:
    """Accepted submissions whose last publishing failed because the site was down."""
    waiting = []
    for sub, event in ledger.with_event_since(EventName.PUBLISH_PENDING, ""):
        done = ledger.last_event(sub.id, EventName.PUBLISHED)
        if sub.status is Status.ACCEPTED and (done is None or done.at < event.at):
            waiting.append(sub)
    return waiting


def publish_pending(ledger: Ledger, settings: Settings) -> list[str]:
    """Publish what waited for the site to come back (each run of poll and send); stop
    at the first sign it is still down. The references published."""
    if settings.wordpress is None:
        return []
    done: list[str] = []
    for sub in pending(ledger):
        try:
            publish(ledger, settings, sub.reference, Actor("intake", "intake"))
        except SiteUnavailable:
            break
        except IntakeError as exc:
            log.warning("%s: publishing to WordPress failed: %s", sub.reference, exc)
            continue
        done.append(sub.reference)
        log.info("%s: published to WordPress (it waited for the site)", sub.reference)
    return done


def _section(settings: Settings) -> WordPressSection:
    if settings.wordpress is None:
        raise WorkflowError(f"{settings.path}: [publish.wordpress] is not set: add the "
                            "site's url, a username and its Application Password")
    return settings.wordpress


def contest_line(name: str, award: str | None) -> str:
    """What a contest entry says about itself when published, as the seed's pages do."""
    said = {"winner": f"This article won the {name}.",
            "honourable": f"This article received an honourable mention in the {name}."}
    return said.get(award or "", f"This article is competing for the {name}.")


def with_contest_line(body: str, line: str) -> str:
    """"About this article: …" before the author's bio (or at the end)."""
    blocks = split_blocks(body)
    span = bio_span(blocks)
    block = f"**About this article:** {line}"
    at = span[0] if span else len(blocks)
    return "\n\n".join([*blocks[:at], block, *blocks[at:]]) + "\n"


def _send(site: WordPress, section: WordPressSection, sub: Submission,
          front: dict[str, Any], body: str, folder: Path, known: dict[str, int],
          post_id: int | None, extra_category: str = "") -> Published:
    media: dict[str, Media] = {}
    uploaded = 0
    featured: int | None = None
    for alt, name in _IMAGE.findall(body):
        if name in media:
            continue
        try:  # only the draft's own images, whatever its Markdown names (core.confine)
            path = confine.asset(folder, name)
        except confine.OutsideFolder:
            log.warning("%s: the draft names %r as an image: not one of its own files, not "
                        "uploaded", sub.reference, name)
            continue
        if not path.is_file():
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        earlier = _still_there(site, known[digest]) if digest in known else None
        if earlier is None:  # never uploaded, or deleted on the site since
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            earlier = site.upload(name, data, mime, alt)
            known[digest] = earlier.id
            uploaded += 1
        media[name] = earlier
        if featured is None:
            featured = media[name].id
    author = author_of(front) or sub.author_name
    own = own_byline(body) if section.byline == "content" else None
    if own is not None:  # the author's own "By …" line is the byline, once
        body, byline = own
    content = safe_html(body)
    for name, found in media.items():
        source = f'src="assets/{html.escape(name)}"'
        content = content.replace(
            source, f'src="{html.escape(found.url)}" class="wp-image-{found.id}"')
    sponsored = sub.kind in section.sponsored_kinds
    if sponsored:
        content = sponsored_links(content, section.url)
    fields: dict[str, Any] = {"title": html.escape(sub.title), "status": section.status,
                              "excerpt": _excerpt(content)}
    if own is not None:
        content = f'<p class="byline">{_inline(byline)}</p>\n{content}'
    elif section.byline == "content" and author:
        content = f'<p class="byline">By {html.escape(author)}</p>\n{content}'
    elif section.byline.startswith("meta:") and author:
        fields["meta"] = {section.byline.removeprefix("meta:"): author}
    if sponsored:
        content = f'<p class="disclosure">{html.escape(section.disclosure.strip())}</p>\n' \
                  + content
    fields["content"] = content
    if featured is not None:
        fields["featured_media"] = featured
    categories = [c for c in (section.categories.get(sub.kind), extra_category,
                              section.sponsored_category if sponsored else "") if c]
    if categories:
        fields["categories"] = [site.term("categories", c) for c in dict.fromkeys(categories)]
    if section.tags:
        fields["tags"] = [site.term("tags", tag) for tag in section.tags]
    updated = post_id is not None and site.found(f"wp/v2/posts/{post_id}") is not None
    saved = site.save_post(post_id if updated else None, fields)
    return Published(post_id=int(saved["id"]), link=str(saved.get("link", "")),
                     status=str(saved.get("status", section.status)), updated=updated,
                     uploaded=uploaded)


def _still_there(site: WordPress, media_id: int) -> Media | None:
    """An image uploaded before, if the site still has it."""
    found = site.found(f"wp/v2/media/{media_id}")
    return Media(media_id, str(found.get("source_url", ""))) if found is not None else None


# An author's own byline: a short first paragraph "By Name, …" in one of the five
# languages (and Italian and Dutch), the name capitalised ("De nombreux…" is not one).
_BYLINE = re.compile(r"^[*_\s]*(?:by|por|par|von|de|di|door)\s+[*_]*\w*[A-ZÀ-Ý]",
                     re.IGNORECASE)
_BYLINE_WORDS = 40


def own_byline(body: str) -> tuple[str, str] | None:
    """(the body without it, the author's byline) when one of the body's first three
    blocks is the author's own "By …" line."""
    blocks = split_blocks(body)
    for index, block in enumerate(blocks[:3]):
        text = block.strip()
        if text.startswith(("#", "!", "|", ">", "- ", "* ", "+ ")):
            continue
        if _BYLINE.match(text) and len(text.split()) <= _BYLINE_WORDS:
            rest = [*blocks[:index], *blocks[index + 1:]]
            return "\n\n".join(rest) + "\n", text
    return None


def _inline(markdown: str) -> str:
    """One paragraph of Markdown as sanitised HTML, without its <p>."""
    rendered = safe_html(markdown).strip()
    return re.sub(r"^<p>|</p>$", "", rendered)


_LINK = re.compile(r"<a\b([^<>]*)>")
_HREF = re.compile(r'\bhref="([^"]*)"')
_REL = re.compile(r'\s*\brel="[^"]*"')


def sponsored_links(content: str, site_url: str) -> str:
    """Every link to another site marked rel="sponsored" (Google's word for a paid
    link); links within the site stay as they are. content is sanitised HTML (nh3),
    whose attributes are always double-quoted."""
    home = (urllib.parse.urlsplit(site_url).hostname or "").lower()

    def mark(found: re.Match[str]) -> str:
        attributes = found.group(1)
        href = _HREF.search(attributes)
        target = urllib.parse.urlsplit(html.unescape(href.group(1))) if href else None
        if target is None or target.scheme not in ("http", "https") or \
                (target.hostname or "").lower() == home:
            return found.group(0)
        kept = _REL.sub("", attributes)
        return f'<a{kept} rel="sponsored nofollow noopener noreferrer">'

    return _LINK.sub(mark, content)


def _excerpt(content: str) -> str:
    """The first paragraph of the article itself: not a byline, a disclosure, an image."""
    paragraphs = [p for p in re.split(r"</p>", content) if "<p" in p]
    first = next((p for p in paragraphs if 'class="' not in p[:p.find(">") + 1]
                  and html.unescape(_TAG.sub(" ", p)).strip()
                  and not _BYLINE.match(html.unescape(_TAG.sub(" ", p)).strip())), "")
    words = html.unescape(_TAG.sub(" ", first)).split()
    text = " ".join(words[:_EXCERPT_WORDS])
    return html.escape(text + ("…" if len(words) > _EXCERPT_WORDS else ""))
