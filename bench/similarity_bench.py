"""The similarity check at 10,000 earlier submissions: time per message.

Builds a ledger of N submissions whose signatures and bands are kept (each text about
2,000 words drawn from the desk benchmark's Zipf vocabulary), then times the check of
new messages against them: the MinHash of the new text, the banded lookup of the
candidates, their comparison, and keeping the new signature. Next to it, the floor:
the MinHash alone (what any comparison must compute). Half the new texts are fresh,
half near copies of an earlier one (a few words changed), which must be found.

Goal (issue 34): at most 20 ms per message at 10,000 earlier submissions.

Usage: .venv/bin/python bench/similarity_bench.py [--rows 10000] [--messages 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.desk_bench import article, vocabulary  # noqa: E402
from intake.core.models import Classification, Status  # noqa: E402
from intake.ledger import Ledger  # noqa: E402
from intake.medical import similarity  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--words", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(34)
    words = vocabulary(rng)
    running, weights = 0.0, []
    for rank in range(1, len(words) + 1):
        running += 1 / rank
        weights.append(running)
    print(f"# the similarity check at {args.rows:,} earlier submissions of about "
          f"{args.words:,} words")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}\n")
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "intake.sqlite3")
        texts: list[str] = []
        began = time.perf_counter()
        with ledger.transaction():
            for n in range(args.rows + args.messages):
                sub = ledger.add_submission(
                    reference=f"JPMS-2026-{n + 1:05d}", kind="guest_post",
                    status=Status.QUEUED, title=f"Article {n}", author_name="A",
                    author_email=f"a{n}@uni.example.org", subject="s",
                    received="2026-01-01T00:00:00+00:00", message_id=f"<{n}@x>",
                    word_count=args.words, warnings=[],
                    classification=Classification("guest_post", 5, ()), reason=None,
                    draft_dir=None)
                if n < args.rows:
                    text = article(rng, words, weights, args.words)
                    texts.append(text)
                    values = similarity.signature(text)
                    assert values is not None
                    similarity.remember(ledger, sub, values)
        print(f"built in {time.perf_counter() - began:.0f} s\n")
        checks, floors, found, copies = [], [], 0, 0
        for m in range(args.messages):
            own = args.rows + m + 1
            if m % 2:
                source = texts[rng.randrange(len(texts))].split()
                for _ in range(len(source) // 50):  # 2% of the words changed
                    source[rng.randrange(len(source))] = rng.choice(words)
                text, copies = " ".join(source), copies + 1
            else:
                text = article(rng, words, weights, args.words)
            began = time.perf_counter()
            similarity.signature(text)
            floors.append(time.perf_counter() - began)
            began = time.perf_counter()
            with ledger.transaction():
                matches = similarity.check(ledger, own, text)
            checks.append(time.perf_counter() - began)
            found += bool(matches) and bool(m % 2)
            assert not matches or m % 2, ("a fresh text matched", matches)
        ledger.close()

    def ms(values: list[float], q: float) -> str:
        return f"{statistics.quantiles(values, n=100)[int(q) - 1] * 1000:.1f} ms"

    print("| per message | median | p95 |\n| --- | ---: | ---: |")
    print(f"| the check (MinHash, lookup, compare, keep) | "
          f"{statistics.median(checks) * 1000:.1f} ms | {ms(checks, 95)} |")
    print(f"| floor: the MinHash alone | {statistics.median(floors) * 1000:.1f} ms | "
          f"{ms(floors, 95)} |")
    print(f"\nnear copies found: {found} of {copies}; fresh texts matched: 0 of "
          f"{args.messages - copies}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
