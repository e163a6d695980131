"""Is this text one we have seen before? Each manuscript is compared with every earlier
submission, published ones included: the same article sent under two names, a
resubmission after a rejection, a near copy of a post already published.

A text is its set of five-word shingles (accents, case and punctuation away, the
references left out); its MinHash (datasketch, 128 permutations) estimates the Jaccard
similarity of two such sets. The signatures are kept in the ledger, cut into 32 bands
of 4 (locality-sensitive hashing): only submissions that share a band with the new one
are compared, an indexed lookup whatever the ledger holds. Texts about 40% alike or more
share a band with high probability; a match is reported from MATCH (estimated 50%).
A submission's own earlier revisions are never a match.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from intake.ledger.passages import fold
from intake.medical.references import split

if TYPE_CHECKING:
    from intake.ledger import Ledger

PERMUTATIONS = 128
BANDS, ROWS = 32, 4
SHINGLE = 5
MATCH = 0.5  # estimated Jaccard similarity of the shingle sets
MIN_WORDS = 60  # shorter texts share too little to tell
MAX_WORDS = 60_000
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Match:
    submission_id: int
    reference: str
    similarity: float  # 0 to 1, estimated
    status: str


def signature(markdown: str) -> np.ndarray | None:
    """The MinHash of a text's shingles, or None when it is too short to compare."""
    from datasketch import MinHash

    body, _ = split(markdown)
    words = _WORD.findall(fold(body))[:MAX_WORDS]
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i:i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}
    minhash = MinHash(num_perm=PERMUTATIONS, seed=33)
    minhash.update_batch(list(shingles))
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def bands(values: np.ndarray) -> list[int]:
    """Each band's hash, as a signed 64-bit integer (what SQLite keeps)."""
    found = []
    for band in range(BANDS):
        chunk = values[band * ROWS:(band + 1) * ROWS].tobytes()
        found.append(int.from_bytes(hashlib.blake2b(chunk, digest_size=8,
                                                    person=bytes([band])).digest(),
                                    "big", signed=True))
    return found


def similar(ledger: Ledger, values: np.ndarray, own_id: int) -> list[Match]:
    """Earlier submissions whose text is at least MATCH alike, most alike first."""
    keys = bands(values)
    wanted = " OR ".join("(band = ? AND hash = ?)" for _ in keys)  # placeholders only
    query = "SELECT DISTINCT submission_id FROM similarity_bands WHERE submission_id != ? " \
        f"AND ({wanted})"  # noqa: S608
    rows = ledger.db.execute(query, (own_id, *[v for pair in enumerate(keys) for v in pair])
                             ).fetchall()
    found: list[Match] = []
    for (candidate,) in rows:
        stored = ledger.db.execute(
            "SELECT f.minhash, s.reference, s.status FROM similarity f JOIN submissions s ON "
            "s.id = f.submission_id WHERE f.submission_id = ?", (candidate,)).fetchone()
        if stored is None:
            continue
        theirs = np.frombuffer(stored[0], dtype=np.uint64)
        score = float(np.count_nonzero(theirs == values)) / PERMUTATIONS
        if score >= MATCH:
            found.append(Match(candidate, stored[1], score, stored[2]))
    return sorted(found, key=lambda m: -m.similarity)[:5]


def remember(ledger: Ledger, submission_id: int, values: np.ndarray) -> None:
    """Keep a submission's signature (its latest version replaces the earlier)."""
    ledger.db.execute("DELETE FROM similarity_bands WHERE submission_id = ?", (submission_id,))
    ledger.db.execute("INSERT OR REPLACE INTO similarity (submission_id, minhash) VALUES "
                      "(?, ?)", (submission_id, values.tobytes()))
    ledger.db.executemany("INSERT INTO similarity_bands (band, hash, submission_id) VALUES "
                          "(?, ?, ?)", [(band, key, submission_id)
                                        for band, key in enumerate(bands(values))])


def check(ledger: Ledger, submission_id: int, markdown: str) -> list[Match]:
    """Compare a submission's text with every earlier one, and remember it."""
    values = signature(markdown)
    if values is None:
        return []
    found = similar(ledger, values, submission_id)
    remember(ledger, submission_id, values)
    return found


def warnings(matches: list[Match]) -> list[str]:
    """Each match as the editor reads it."""
    return [f"Similar to {m.reference} ({m.status.replace('_', ' ')}): about "
            f"{m.similarity:.0%} of the text is the same." for m in matches]
