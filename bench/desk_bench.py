"""The desk at scale: 10,000 submissions of about 2,000 words each, 8 editors at once.

Builds a data folder: the ledger of queue_bench.py (10,000 submissions, three statuses
of editors' work, events), a draft of about 2,000 words for every submission (words
drawn from a Zipf-distributed vocabulary of 30,000 made-up words and 120 medical
terms, in paragraphs and headings), each indexed for search as intake indexes it.
Then starts `intake serve` as a process of its own on 127.0.0.1 (waitress, as an
operator runs it), signs in 8 editors over HTTP, and has them use the desk at once:
each editor, in a loop without pause, opens the queue (a first page, a later page,
sorted, filtered), a submission's page, and searches (one word, two words, a phrase,
a field and a word). Then the same with one editor.

Printed: per page, the median and the 95th percentile of the time to the last byte,
with 1 editor and with 8 at once; next to them, floors measured in the same run: the
bare SQL of that page, and the desk's own stylesheet served by the same server (the
HTTP round trip and the server's fixed cost).

Goals (issue 32): search median 100 ms or less; queue and submission page p95 150 ms
or less with 8 editors at once.

Usage: .venv/bin/python bench/desk_bench.py [--rows 10000] [--words 2000]
           [--seconds 30] [--editors 8]
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.queue_bench import build  # noqa: E402
from intake.core.config import load_settings  # noqa: E402
from intake.ledger import Ledger  # noqa: E402
from intake.ledger.fulltext import index_text  # noqa: E402
from intake.ledger.store import render_draft  # noqa: E402
from intake.web.passwords import set_password  # noqa: E402

PASSWORD = "benchmark password 2026"
_MEDICAL_WORDS = ("jaundice bilirubin neonatal sepsis anaemia tachycardia bradycardia dyspnoea "
           "hypoglycaemia insulin metformin hypertension stroke thrombolysis aspirin "
           "warfarin heparin embolism pneumonia antibiotic amoxicillin clarithromycin "
           "asthma salbutamol steroid prednisolone eczema psoriasis melanoma biopsy "
           "histology lymphoma leukaemia chemotherapy radiotherapy palliative hospice "
           "dementia delirium haloperidol sertraline depression anxiety psychosis "
           "schizophrenia lithium epilepsy seizure levetiracetam migraine headache "
           "meningitis encephalitis lumbar puncture fracture osteoporosis arthritis gout "
           "allopurinol colchicine lupus vasculitis nephritis dialysis creatinine potassium "
           "sodium hyponatraemia diabetes ketoacidosis thyroid levothyroxine cortisol "
           "addison cushing pituitary prolactin pregnancy eclampsia caesarean midwife "
           "paediatric vaccination measles mumps rubella varicella tuberculosis hiv "
           "hepatitis cirrhosis varices endoscopy colonoscopy appendicitis cholecystitis "
           "pancreatitis laparoscopy anaesthesia intubation ventilation sedation triage "
           "ward rounds handover rota elective clerking consultant registrar foundation "
           "student curriculum exam osce simulation")
MEDICAL = _MEDICAL_WORDS.split()


def vocabulary(rng: random.Random, size: int = 30_000) -> list[str]:
    syllables = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ou",
                                                              "ia", "er", "an", "is")]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered


def article(rng: random.Random, words: list[str], weights: list[float], length: int) -> str:
    drawn = rng.choices(words, cum_weights=weights, k=length)
    for _ in range(length // 40):  # a medical term every 40 words or so
        drawn[rng.randrange(length)] = rng.choice(MEDICAL)
    parts, at = [], 0
    while at < length:
        if rng.random() < 0.12:
            parts.append("## " + " ".join(drawn[at:at + 4]).capitalize())
            at += 4
        size = rng.randrange(60, 140)
        parts.append(" ".join(drawn[at:at + size]).capitalize() + ".")
        at += size
    return "\n\n".join(parts) + "\n"


def build_desk(folder: Path, rows: int, length: int, editors: int) -> Path:
    """queue_bench's ledger, a draft for every submission, the search index, editors."""
    config = build(folder, rows)
    settings_text = config.read_text(encoding="utf-8")
    for n in range(editors):
        settings_text += (f'\n[editors.ed{n}]\nname = "Editor {n}"\n'
                          f'email = "ed{n}@journal.example.org"\n')
    config.write_text(settings_text, encoding="utf-8")
    settings = load_settings(config)
    rng = random.Random(32)
    words = vocabulary(rng)
    running, weights = 0.0, []
    for rank in range(1, len(words) + 1):  # Zipf: the n-th word is 1/n as common
        running += 1 / rank
        weights.append(running)
    ledger = Ledger(settings.data_dir / "intake.sqlite3")
    refs = [r[0] for r in ledger.db.execute("SELECT reference FROM submissions ORDER BY id")]
    for number, reference in enumerate(refs, 1):
        draft = settings.data_dir / "drafts" / reference
        draft.mkdir(parents=True, exist_ok=True)
        front = {"title": f"Article number {number - 1}", "reference": reference}
        (draft / "draft.md").write_text(render_draft(front, article(
            rng, words, weights, rng.randrange(length * 3 // 4, length * 5 // 4))))
    with ledger.transaction():
        for submission_id in range(1, len(refs) + 1):
            index_text(ledger.db, ledger.path, submission_id)
    ledger.close()
    for n in range(editors):
        set_password(settings.data_dir, f"ed{n}", PASSWORD)
    return config


class Editor:
    """One signed-in editor's browser: a keep-alive connection and a session cookie."""

    def __init__(self, port: int, who: str) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        page = self.get("/sign-in")[1]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page[:500]
        status, _ = self.post("/sign-in", {"csrf_token": token.group(1), "editor": who,
                                           "password": PASSWORD})
        assert status == 302, status

    def _send(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data.decode("utf-8", "replace")

    def get(self, path: str) -> tuple[int, str]:
        return self._send("GET", path)

    def post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        return self._send("POST", path, urlencode(form))


def requests(rng: random.Random, rows: int) -> list[tuple[str, str]]:
    """One pass of an editor's day: (page kind, address)."""
    ref = f"JPMS-2026-{rng.randrange(1, rows + 1):05d}"
    term = rng.choice(MEDICAL)
    return [
        ("queue", "/"),
        ("queue", f"/?status=all&page={rng.randrange(1, rows // 50)}"),
        ("queue", "/?status=all&sort=title&dir=desc"),
        ("queue", f"/?assignee={rng.choice(('ana', 'ben', 'none'))}&status=all"),
        ("submission", f"/s/{ref}/"),
        ("submission", f"/s/JPMS-2026-{rng.randrange(1, rows + 1):05d}/"),
        ("search", "/?" + urlencode({"q": term})),
        ("search", "/?" + urlencode({"q": f"{term} {rng.choice(MEDICAL)}"})),
        ("search", "/?" + urlencode({"q": f'"{rng.choice(("ward rounds", "lumbar puncture"))}"'})),
        ("search", "/?" + urlencode({"q": f"from:author{rng.randrange(900)} {term}"})),
    ]


def browse(port: int, editors: int, seconds: float, rows: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    signed_in = [Editor(port, f"ed{n}") for n in range(editors)]
    start = threading.Barrier(editors)
    stop_at = [0.0]

    def work(n: int) -> None:
        rng = random.Random(n)
        editor = signed_in[n]
        start.wait()
        if n == 0:
            stop_at[0] = time.monotonic() + seconds
        while not stop_at[0]:
            time.sleep(0.001)
        while time.monotonic() < stop_at[0]:
            for kind, path in requests(rng, rows):
                began = time.perf_counter()
                status, _ = editor.get(path)
                spent = time.perf_counter() - began
                assert status == 200, (path, status)
                with lock:
                    times[kind].append(spent)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def floors(port: int, db: sqlite3.Connection, repeat: int = 50) -> dict[str, float]:
    """Medians of what no page can beat: a static file over the same server, and the
    bare SQL of each kind of page."""
    editor = Editor(port, "ed0")
    found = {}
    static = []
    for _ in range(repeat):
        began = time.perf_counter()
        editor.get("/static/desk.css")
        static.append(time.perf_counter() - began)
    found["static file"] = statistics.median(static)
    sql = {
        "queue": "SELECT * FROM submissions WHERE status IN ('triage','queued','in_review',"
                 "'quarantined') ORDER BY received, id LIMIT 50",
        "submission": "SELECT * FROM events WHERE submission_id = 4242 ORDER BY id",
        "search": "SELECT rowid FROM search WHERE search MATCH '\"jaundice\"*' "
                  "ORDER BY rank LIMIT 50",
    }
    for kind, query in sql.items():
        spent = []
        for _ in range(repeat):
            began = time.perf_counter()
            db.execute(query).fetchall()
            spent.append(time.perf_counter() - began)
        found[kind] = statistics.median(spent)
    return found


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--editors", type=int, default=8)
    args = parser.parse_args()
    print(f"# the desk with {args.rows:,} submissions of about {args.words:,} words")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}\n")
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        config = build_desk(Path(tmp), args.rows, args.words, args.editors)
        data = Path(tmp) / "var"
        size = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
        print(f"built in {time.perf_counter() - began:.0f} s: {size / 2**20:,.0f} MiB "
              f"(ledger and index {(data / 'intake.sqlite3').stat().st_size / 2**20:,.0f} "
              "MiB)\n")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, "-m", "intake", "--config", str(config), "-q", "serve",
             "--host", "127.0.0.1", "--port", str(port)], cwd=REPO,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(f"the desk did not start: "
                                         f"{server.stderr.read().decode() if server.stderr else ''}"
                                         ) from None
                    time.sleep(0.2)
            db = sqlite3.connect(data / "intake.sqlite3")
            floor = floors(port, db)
            db.close()
            browse(port, 1, 3, args.rows)  # warm the page cache and the server
            one = browse(port, 1, args.seconds, args.rows)
            many = browse(port, args.editors, args.seconds, args.rows)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{args.seconds:g} s of browsing each; times to the last byte, over HTTP on "
          "loopback\n")
    print(f"| page | 1 editor: median | p95 | {args.editors} editors at once: median | p95 "
          "| pages seen | floor: bare SQL |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in ("queue", "submission", "search"):
        print(f"| {kind} | {statistics.median(one[kind]) * 1000:.0f} ms | "
              f"{p95(one[kind]) * 1000:.0f} ms | {statistics.median(many[kind]) * 1000:.0f} ms"
              f" | {p95(many[kind]) * 1000:.0f} ms | {len(many[kind]):,} | "
              f"{floor[kind] * 1000:.1f} ms |")
    print(f"\nfloor: the stylesheet through the same server, median "
          f"{floor['static file'] * 1000:.1f} ms")
    total = sum(len(v) for v in many.values())
    print(f"{args.editors} editors at once: {total / args.seconds:.0f} pages/s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
