"""The desk's pages with 10,000 submissions in the ledger: server time per page.

Builds the same ledger as queue_bench.py (10,000 submissions, three editors), writes a
draft for one submission, and times each page through the app's WSGI interface
(Flask's test client: the server's own work, no network), best of N, next to the
floor: the bare SQL the page needs. Goal (issue 16): under 100 ms each.

Usage: .venv/bin/python bench/desk_bench.py [--rows 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.queue_bench import build  # noqa: E402
from intake.core.config import load_settings  # noqa: E402
from intake.demo.samples import article_docx  # noqa: E402
from intake.web.app import create_app  # noqa: E402
from intake.web.passwords import set_password  # noqa: E402

PASSWORD = "benchmark password"
PAGES = (
    ("queue: what awaits editors, first page", "/", "SELECT * FROM submissions WHERE status "
     "IN ('triage','queued','in_review','quarantined') ORDER BY received, id LIMIT 50"),
    ("queue: all, page 100", "/?status=all&page=100",
     "SELECT * FROM submissions ORDER BY received, id LIMIT 50 OFFSET 4950"),
    ("queue: a search", "/?status=all&q=number+77",
     "SELECT * FROM submissions WHERE instr(lower(title), 'number 77') > 0 "
     "ORDER BY received, id LIMIT 50"),
    ("a submission's page (a 2,000-word draft)", "/s/JPMS-2026-00042/",
     "SELECT * FROM events WHERE submission_id = 42 ORDER BY id"),
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = build(Path(tmp), args.rows)
        settings = load_settings(config)
        draft = settings.data_dir / "drafts" / "JPMS-2026-00042"
        from intake.convert import convert_document
        from intake.core.models import FileType
        from intake.ledger.store import write_draft_folder

        converted = convert_document("a.docx", article_docx("Benchmark", paragraphs=40),
                                     FileType.DOCX)
        write_draft_folder(draft, {"title": "Benchmark"}, converted.markdown,
                           converted.assets, [])
        set_password(settings.data_dir, "ana", PASSWORD)
        app = create_app(settings)
        app.config["WTF_CSRF_ENABLED"] = False
        client = app.test_client()
        client.post("/sign-in", data={"editor": "ana", "password": PASSWORD})
        db = sqlite3.connect(settings.data_dir / "intake.sqlite3")
        print(f"# the desk with {args.rows:,} submissions (best of {args.repeat})\n")
        print("| page | server time | floor: bare SQL | size |")
        print("| --- | ---: | ---: | ---: |")
        for label, path, sql in PAGES:
            best, size = float("inf"), 0
            for _ in range(args.repeat):
                began = time.perf_counter()
                response = client.get(path)
                best = min(best, time.perf_counter() - began)
                assert response.status_code == 200, (path, response.status_code)
                size = len(response.data)
            floor = float("inf")
            for _ in range(args.repeat):
                began = time.perf_counter()
                db.execute(sql).fetchall()
                floor = min(floor, time.perf_counter() - began)
            print(f"| {label} | {best * 1000:.0f} ms | {floor * 1000:.1f} ms | "
                  f"{size / 1024:.0f} KiB |")
        rows = len(re.findall(r"<tr>", client.get("/").get_data(as_text=True)))
        print(f"\nthe first queue page shows {rows - 1} rows (50 a page)")
        db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
