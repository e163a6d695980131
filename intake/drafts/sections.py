"""Parts of a manuscript editors look for: the author's bio and the references.

Authors mark them with a heading, a bold line or a line on its own ("About the
author", "**References**", "Bibliography:"); that is what is recognised. The
word count that guidelines speak of leaves the references out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.convert.markdown import count_words

BIO_LABEL = re.compile(r"^(about the authors?|about me|author'?s? bio(graphy)?|bio(graphy)?|"
                       r"the authors?|author information|contributors?|"
                       # Spanish, Portuguese, French, German
                       r"sobre (el|la|los|las|o|a|os|as) autor(a|es|as)?|sobre m[ií]m?|"
                       r"[àa] propos (de l'|des )auteur(e|s|es)?|[àa] propos de moi|"
                       r"l'auteur(e)?|les auteur(e)?s|"
                       r"[üu]ber (den autor|die autorin|die autor(inn)?en|mich)|zur person)$",
                       re.I)
REFERENCES_LABEL = re.compile(r"^(references?( list)?|bibliography|works cited|sources|"
                         r"citations|literature( cited)?|further reading)$", re.I)
_MARKUP = re.compile(r"^#{1,6}\s+|[*_]{1,3}|\\(?=.)")
# A Markdown link or a bare address to a web page; mailto: and in-page anchors are not.
# As one pattern, r"\]\(\s*<?https?://|(?<![(<\w])https?://": written as a search for
# the address and a look at what precedes it, because the pattern's look-behind is tried
# at every character of the draft (10x slower on an article).
_WEB_ADDRESS = re.compile(r"https?://", re.I)
_NOT_BEFORE_BARE = re.compile(r"[(<\w]", re.I)


@dataclass(frozen=True)
class Sections:
    author_bio: str | None  # the label the author used, when there is a bio
    references: int  # entries in the references section; 0 when there is none
    words: int  # the text's words, references left out
    words_with_references: int
    links: int = 0  # links to web pages, references left out


def section_label(block: str) -> str:
    """A block's text when it could be a section label: one short line, markup removed."""
    if "\n" in block.strip() or len(block) > 80:
        return ""
    return _MARKUP.sub("", block.strip()).strip().rstrip(":").strip()


def _level(block: str) -> int:
    match = re.match(r"^(#{1,6})\s", block)
    return len(match.group(1)) if match else 7  # a bold or bare line ranks below headings


def count_links(text: str) -> int:
    """Links to web pages: Markdown link targets and bare addresses."""
    count = 0
    for match in _WEB_ADDRESS.finditer(text):
        start = match.start()
        if start == 0 or not _NOT_BEFORE_BARE.match(text, start - 1):
            count += 1  # a bare address
            continue
        # A link target: "](", blanks, and an optional "<" right before the address.
        at = start - 1 if text[start - 1] == "<" else start
        while at > 0 and text[at - 1].isspace():
            at -= 1
        count += at >= 2 and text.startswith("](", at - 2)
    return count


def split_blocks(markdown: str) -> list[str]:
    """A Markdown text's blocks: what blank lines separate."""
    return [b for b in re.split(r"\n\s*\n", markdown) if b.strip()]


def bio_span(blocks: list[str]) -> tuple[int, int] | None:
    """Where the author's bio stands: its label's block to the next heading, the
    references, or the end (the label's index, and the index after its last block)."""
    for index, block in enumerate(blocks):
        label = section_label(block)
        if label and BIO_LABEL.match(label):
            end = index + 1
            while end < len(blocks) and not blocks[end].lstrip().startswith("#") and \
                    not REFERENCES_LABEL.match(section_label(blocks[end]) or "-"):
                end += 1
            return index, end
    return None


def find_sections(markdown: str) -> Sections:
    blocks = split_blocks(markdown)
    bio: str | None = None
    ref_start = ref_end = -1
    for index, block in enumerate(blocks):
        label = section_label(block)
        if not label:
            continue
        if BIO_LABEL.match(label) and bio is None:
            bio = label
            if ref_start >= 0 and ref_end < 0:
                ref_end = index
        elif REFERENCES_LABEL.match(label) and ref_start < 0:
            ref_start = index
        elif ref_start >= 0 and ref_end < 0 and block.startswith("#") and \
                _level(block) <= _level(blocks[ref_start]):
            ref_end = index  # the next heading as high ends the references
    if ref_start < 0:
        total = count_words(markdown)
        return Sections(bio, 0, total, total, count_links(markdown))
    ref_end = len(blocks) if ref_end < 0 else ref_end
    entries = [line for block in blocks[ref_start + 1:ref_end] for line in block.splitlines()
               if line.strip() and not line.lstrip().startswith("[^")]
    kept = "\n\n".join(blocks[:ref_start] + blocks[ref_end:])
    return Sections(bio, len(entries), count_words(kept), count_words(markdown),
                    count_links(kept))
