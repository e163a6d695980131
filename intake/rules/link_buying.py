"""An offer to buy links: not a sponsored article written for readers, but a link placed
for search engines ("link insertion", "a dofollow link", "add our link to an existing
post"), which the publication does not sell. Told by its phrases, in five languages, in
the sender's own words (subject and body, folded: no case, no accents)."""

from __future__ import annotations

import re

from intake.rules.features import fold

PHRASES = (
    # English
    "link insertion", "insert a link", "insert our link", "insert my link", "add our link",
    "add a link to", "add my link", "place a link", "place our link", "link placement",
    "dofollow", "do-follow", "do follow link", "niche edit", "existing post",
    "existing article", "existing blog post", "already published", "anchor text",
    "link exchange", "guest post with a link",
    # Spanish
    "insercion de enlace", "insertar un enlace", "insertar nuestro enlace",
    "agregar nuestro enlace", "anadir un enlace", "anadir nuestro enlace",
    "articulo existente", "articulo ya publicado", "intercambio de enlaces", "texto ancla",
    # French
    "insertion de lien", "inserer un lien", "inserer notre lien", "ajouter un lien",
    "ajouter notre lien", "article existant", "article deja publie", "echange de liens",
    "texte d'ancrage", "lien en dur",
    # Portuguese
    "insercao de link", "inserir um link", "inserir nosso link", "adicionar um link",
    "adicionar nosso link", "artigo existente", "artigo ja publicado", "troca de links",
    "texto ancora",
    # German
    "linkeinfugung", "link einfugen", "link platzieren", "linkplatzierung",
    "bestehenden artikel", "bestehenden beitrag", "linktausch", "ankertext",
)
# Not "backlink" alone: an advertorial with its links marked sponsored is a sponsored
# article the publication may take; what it refuses is a link bought for itself.
_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(re.escape(p) for p in PHRASES) + r")(?![\w-])")
_QUOTED = re.compile(r"^[^\S\n]*>[^\n]*$", re.MULTILINE)
_CHARS = 20_000


def offer(subject: str, body: str) -> str | None:
    """The phrase that makes the message an offer to buy links, or None."""
    text = fold(f"{subject[:300]}\n{_QUOTED.sub('', body[:_CHARS])}")
    found = _PATTERN.search(text)
    return found.group(1) if found else None
