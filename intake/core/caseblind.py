"""Word tests that agree with a case-blind regex (re.IGNORECASE).

A pattern that starts with \\b or a look-behind gets no help from the regex engine's
prefix scan and is tried at every position; where it cannot match without some word,
looking for that word with str.find first clears most texts a hundred times cheaper.
The test must see the words as the regex does, which also takes the dotless and dotted
i for i, the long s for s and the Kelvin sign for k, letters lower() keeps apart.
"""

from __future__ import annotations

_FOLD = str.maketrans({"\u0131": "i", "\u0130": "i", "\u017f": "s", "\u212a": "k"})


def lower(text: str) -> str:
    """text in lower case, as a case-blind regex compares it (for word tests)."""
    return (text if text.isascii() else text.translate(_FOLD)).lower()


def has_any(text: str, words: tuple[str, ...]) -> bool:
    """Whether text holds one of words (in lower case), as a case-blind regex sees it."""
    low = lower(text)
    return any(word in low for word in words)
