"""`intake demo`: a whole run on sample submissions, with no server anywhere."""

from __future__ import annotations

from pathlib import Path

from intake.core.config import load_settings
from intake.core.program import program
from intake.core.runlock import run_lock
from intake.demo.samples import demo_messages
from intake.mail.smtp import transport_for
from intake.pipeline.run import Intake, RunReport
from intake.sources.local import read_paths

DEMO_SETTINGS = """\
# Settings for `intake demo`: everything stays in this folder.
[intake]
data_dir = "var"
reference_prefix = "JPMS"
publication = "The Journal of Pre-Medical Studies blog"

[smtp]
transport = "file"          # write each email as an .eml file instead of sending it
file_dir = "var/sent"
from = "Editorial team <submissions@journal.example.org>"

# Editors: commands name them by id (--as ana, or INTAKE_EDITOR=ana).
[editors.ana]
name = "Ana Lima"
email = "ana.lima@journal.example.org"

[editors.ben]
name = "Ben Okafor"
email = "ben.okafor@journal.example.org"

[reasons]
out_of_scope = "Our blog publishes writing by and for medical students; this is outside it."
"""


def run_demo(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    settings_path = folder / "settings.toml"
    if not settings_path.exists():
        settings_path.write_text(DEMO_SETTINGS, encoding="utf-8")
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    for name, data in demo_messages().items():
        (inbox / name).write_bytes(data)

    settings = load_settings(settings_path)
    report = RunReport()
    with run_lock(settings.data_dir):
        app = Intake(settings)
        try:
            for raw in read_paths([inbox]):
                app.accept(raw, report)
            app.process_pending(report)
            app.deliver(transport_for(settings), report)
            rows = app.ledger.submissions(None)
        finally:
            app.close()

    print(report.summary())
    print()
    print(f"Sample mail read from  {inbox}")
    print(f"Settings               {settings_path}")
    print(f"Ledger                 {settings.data_dir / 'intake.sqlite3'}")
    print()
    for row in rows:
        where = (settings.data_dir / row.draft_dir / "draft.md") if row.draft_dir else None
        revised = f" (revision {row.revision}, sent in reply)" if row.revision > 1 else ""
        print(f"{row.reference}  {row.kind:<12} {row.status.value:<12} {row.title}{revised}")
        if where:
            print(f"    draft: {where}")
        if row.reason:
            print(f"    why:   {row.reason}")
    sent = sorted((settings.smtp.file_dir or folder).glob("*.eml"))
    print()
    print(f"{len(sent)} acknowledgement(s) written to {settings.smtp.file_dir}:")
    for path in sent:
        print(f"    {path}")
    print()
    intake = program()
    print(f"Try: {intake} --config {settings_path} queue")
    print(f"     {intake} --config {settings_path} show {rows[0].reference if rows else 'REF'}")
    threads = [r.reference for r in rows if r.revision > 1]
    if threads:
        print(f"     {intake} --config {settings_path} show {threads[0]}   (a thread: the "
              "first email had no article, the reply brought it)")
    queued = [r.reference for r in rows if r.status.value == "queued"]
    if queued:
        ref, cfg = queued[0], f"--config {settings_path}"
        print(f"An editor's turn (as ana; emails go to {settings.smtp.file_dir}):")
        print(f"     {intake} {cfg} assign {ref} ana --as ana")
        print(f"     {intake} {cfg} request-changes {ref} --as ana --yes -m 'Please add a "
              "reference for the figures.'")
        print(f"     {intake} {cfg} send && {intake} {cfg} show {ref}")
        print(f"     {intake} {cfg} export {ref} --to {folder / 'exported'} --format all --as ana")
    print("Running the demo again takes nothing twice: every message is already known.")
    return 0
