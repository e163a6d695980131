"""A kind's guidelines, checked on its draft: each finding said twice, once for the editor
(a warning in the front matter) and once for the author (a sentence in the reply, with
what they can do about it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.core.config import KindRule
from intake.core.models import Draft


@dataclass(frozen=True)
class Finding:
    editor: str
    author: str


def _kb(size: int) -> str:
    return f"{(size + 1023) // 1024:,} KB"


def _range(rule: KindRule) -> str:
    low, high = rule.min_words, rule.max_words
    if low and high:
        return f"{low:,}-{high:,} words"
    return f"at least {low:,} words" if low else f"at most {high:,} words"


def check(draft: Draft, rule: KindRule) -> list[Finding]:
    """Findings for a draft that has a manuscript; none for enquiries and missing files."""
    if not draft.has_manuscript or draft.problem or draft.missing_manuscript:
        return []
    label = rule.label.lower()
    plural = label if label.endswith("s") else label + "s"
    found: list[Finding] = []
    words = draft.word_count
    if (rule.min_words and words < rule.min_words) or (rule.max_words
                                                      and words > rule.max_words):
        longer = bool(rule.max_words and words > rule.max_words)
        found.append(Finding(
            f"Length: {words:,} words (references left out); {plural} are {_range(rule)}.",
            f"Your article is {words:,} words; {plural} are {_range(rule)}. You can reply to "
            f"this email with a {'shorter' if longer else 'longer'} version."))
    if rule.require_title and not draft.title_found:
        found.append(Finding(
            "No title in the manuscript: the email's subject was used.",
            "We could not find a title in your document. You can reply with the title you "
            "would like, or a version with the title at the top."))
    if rule.require_bio and not draft.author_bio:
        found.append(Finding(
            "No author bio found (a section such as \"About the author\").",
            "We could not find a short author bio. Please reply with two or three sentences "
            "about yourself (a heading \"About the author\" helps us find it)."))
    images = list(draft.assets)
    if rule.max_images is not None and len(images) > rule.max_images:
        found.append(Finding(
            f"{len(images)} images; {plural} take at most {rule.max_images}.",
            f"Your submission has {len(images)} images; {plural} take at most "
            f"{rule.max_images}. Please tell us which ones to keep."))
    if rule.max_image_kb:
        big = [a for a in images if len(a.data) > rule.max_image_kb * 1024]
        if big:
            names = ", ".join(f"{a.name} ({_kb(len(a.data))})" for a in big[:5])
            found.append(Finding(
                f"Images over {rule.max_image_kb:,} KB: {names}.",
                f"Some images are larger than {rule.max_image_kb:,} KB ({names}). Smaller "
                "versions would help; you can reply with them attached."))
    if rule.max_links is not None and draft.links > rule.max_links:
        found.append(Finding(
            f"{draft.links} links to other sites (references left out); {plural} allow at "
            f"most {rule.max_links}.",
            f"Your article links to other sites {draft.links} times; {plural} allow at most "
            f"{rule.max_links} (references do not count). Please tell us which links matter "
            "most."))
    if rule.require_disclosure and not _discloses(draft.markdown, rule.disclosure_phrases):
        found.append(Finding(
            "No disclosure statement (the text does not say it is sponsored).",
            f"{rule.label}s must say so in the text. Please add a sentence such as \"This "
            "article is sponsored by ...\" and reply with the new version."))
    return found


def _discloses(markdown: str, phrases: tuple[str, ...]) -> bool:
    text = " ".join(markdown.lower().split())
    return any(re.search(r"(?<!\w)" + re.escape(" ".join(p.lower().split())) + r"(?!\w)", text)
               for p in phrases if p.strip())
