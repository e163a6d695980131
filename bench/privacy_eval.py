"""The privacy screen measured: recall and precision per class of identifier on the
labelled passages (tests/data/privacy_passages.json), and false flags per 1,000 words
of ordinary prose (the .docx files of ../shared/corpus/docx, converted as intake
converts them: none of them names a patient).

Usage: .venv/bin/python bench/privacy_eval.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from intake.drafts.privacy import screen  # noqa: E402

CLASSES = {"a date of birth": "date", "a date of admission, discharge or care": "date",
           "a medical record number": "number",
           "an insurance or social security number": "number",
           "a licence, device or account number": "number", "a phone number": "phone",
           "a name next to clinical details": "name",
           "a photo whose caption names a person": "name", "an e-mail address": "email",
           "a web address naming a person": "url", "an age over 89": "age",
           "a street address or postcode": "place", "an IP address": "ip"}
PASSAGES = REPO / "tests" / "data" / "privacy_passages.json"
CORPUS = REPO.parent / "shared" / "corpus" / "docx"


def per_class() -> dict[str, tuple[int, int, int]]:
    """class → (true positives, false positives, false negatives), by passage."""
    tp, fp, fn = Counter[str](), Counter[str](), Counter[str]()
    for passage in json.loads(PASSAGES.read_text(encoding="utf-8")):
        got = {CLASSES[f.what] for f in screen(passage["text"])}
        want = set(passage["labels"])
        for c in got & want:
            tp[c] += 1
        for c in got - want:
            fp[c] += 1
        for c in want - got:
            fn[c] += 1
    return {c: (tp[c], fp[c], fn[c]) for c in sorted(set(tp) | set(fp) | set(fn))}


def prose_rate() -> tuple[int, int, int, Counter[str]]:
    """(files, words, flags, flags by class) over the corpus's documents."""
    from intake.convert import convert_document
    from intake.convert.safety import ConversionError
    from intake.core.models import FileType

    files = words = flags = 0
    kinds = Counter[str]()
    for path in sorted(CORPUS.rglob("*.docx")) if CORPUS.is_dir() else []:
        try:
            text = convert_document(path.name, path.read_bytes(), FileType.DOCX).markdown
        except ConversionError:
            continue
        files += 1
        words += len(text.split())
        found = screen(text)
        flags += len(found)
        kinds.update(CLASSES[f.what] for f in found)
    return files, words, flags, kinds


def main() -> int:
    passages = json.loads(PASSAGES.read_text(encoding="utf-8"))
    print(f"# the privacy screen on {len(passages)} labelled passages "
          f"({sum(bool(p['labels']) for p in passages)} with identifiers)\n")
    print("| class | recall | precision | passages with it |")
    print("| --- | ---: | ---: | ---: |")
    for name, (tp, fp, fn) in per_class().items():
        recall = tp / (tp + fn) if tp + fn else 1.0
        precision = tp / (tp + fp) if tp + fp else 1.0
        print(f"| {name} | {recall:.2f} | {precision:.2f} | {tp + fn} |")
    files, words, flags, kinds = prose_rate()
    if files:
        print(f"\nordinary prose: {flags} flag(s) in {words:,} words of {files} documents "
              f"(../shared/corpus/docx): {1000 * flags / words:.2f} per 1,000 words"
              + (f" ({', '.join(f'{k} {n}' for k, n in kinds.most_common())})" if kinds else ""))
    else:
        print("\nordinary prose: ../shared/corpus/docx is not beside the repository")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
