"""`intake privacy`: a submission's privacy flags, and keeping one with a reason
(`--resolve-privacy FLAG REASON` on accept, export and publish does the same first:
cli.editors.resolve_privacy).

Removing a flagged passage is an edit of the draft: on the desk, or `intake edit REF
FILE` with the new Markdown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from intake.cli.editors import Register, _opened
from intake.core.errors import IntakeError
from intake.editors.privacy import edit_draft, flags_of, keep
from intake.editors.workflow import actor_for, find


def cmd_privacy(args: argparse.Namespace) -> int:
    with _opened(args) as (settings, ledger):
        sub = find(ledger, args.reference)
        if args.keep:
            actor = actor_for(settings, args.actor)
            for which, reason in args.keep:
                keep(ledger, settings, sub.reference, which, reason, actor)
        flags = flags_of(ledger, settings, sub)
    if not flags:
        print(f"{sub.reference}: no privacy flags")
        return 0
    for f in flags:
        state = (f"kept by {f.kept.editor}: {f.kept.reason}" if f.kept else "OPEN")
        print(f"[{f.number}] {f.key}  {f.what} in {f.where}: \"{f.excerpt}\"\n"
              f"     {state}")
    still = sum(f.open for f in flags)
    print(f"{sub.reference}: {still} of {len(flags)} open" + (
        f" (accept, export and publish wait for them: intake privacy {sub.reference} "
        "--keep N \"reason\", or remove the passage with intake edit)" if still else ""))
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if str(args.file) == "-" else \
            args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IntakeError(f"cannot read {args.file}: {exc}") from None
    with _opened(args) as (settings, ledger):
        done = edit_draft(ledger, settings, args.reference, text,
                          actor_for(settings, args.actor))
    line = f"{done.sub.reference}: edit {done.edit} saved (the earlier draft is edits/" \
           f"{done.edit}.md)"
    if done.removed:
        line += f"; {len(done.removed)} privacy flag(s) gone"
    if done.found:
        line += f"; the screen still finds {len(done.found)} (intake privacy " \
                f"{done.sub.reference})"
    print(line)
    return 0


def add_privacy_commands(add: Register) -> None:
    p = add("privacy", cmd_privacy, "a submission's privacy flags, and keeping one with a "
            "reason (accept, export and publish wait until none is open)")
    p.add_argument("reference")
    p.add_argument("--keep", nargs=2, action="append", metavar=("FLAG", "REASON"),
                   help="keep flag FLAG (its number or key) for REASON, recorded under your "
                        "name; may be given more than once")
    p.add_argument("--as", dest="actor", default=None, metavar="EDITOR",
                   help="the editor acting (default: $INTAKE_EDITOR, else your login name)")

    p = add("edit", cmd_edit, "replace a submission's draft with your edited Markdown (the "
            "earlier one is kept; the privacy screen runs again)")
    p.add_argument("reference")
    p.add_argument("file", type=Path, help="the new Markdown body, without front matter (- "
                   "for standard input)")
    p.add_argument("--as", dest="actor", default=None, metavar="EDITOR",
                   help="the editor acting (default: $INTAKE_EDITOR, else your login name)")
