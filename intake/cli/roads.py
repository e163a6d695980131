"""`intake stage` (each kind's own road after intake) and `intake authors` (the profile
kept for each author's address)."""

from __future__ import annotations

import argparse
import sys

from intake.cli.editors import Register, _confirmed, _opened
from intake.core.errors import ExitCode
from intake.editors.workflow import actor_for


def cmd_stage(args: argparse.Namespace) -> int:
    from intake.editors.stages import commit_stage, prepare_stage
    from intake.mail.templates import Notices

    with _opened(args) as (settings, ledger):
        prepared = prepare_stage(
            ledger, settings, Notices(settings), args.reference, args.stage,
            actor_for(settings, args.actor), message=args.message or "", when=args.when,
            price=args.price, send_email=args.email)
        if prepared.rendered is not None and not args.yes and not _confirmed(
                prepared.sub, prepared.rendered, "Move it and queue this email?",
                template=prepared.template or ""):
            print("nothing recorded, no email queued", file=sys.stderr)
            return int(ExitCode.NEEDS_ATTENTION)
        sub = commit_stage(ledger, prepared)
    line = f"{sub.reference}: stage {prepared.stage}"
    if prepared.when:
        line += f" ({prepared.when})"
    if prepared.email is not None:
        line += (f"; email to {sub.author_email} queued ({prepared.template}): the next "
                 "intake poll or intake send delivers it")
    print(line)
    return 0


def cmd_authors(args: argparse.Namespace) -> int:
    from intake.editors.authors import as_csv

    with _opened(args, readonly=True) as (_settings, ledger):
        rows = ledger.authors()
        counts = ledger.submissions_by_author()
    if not args.csv:
        for author in rows:
            done = counts.get(author.address_key, [])
            print(f"{author.email}\t{author.name}\t{author.institution}\t"
                  f"{len(done)} submission(s)" + ("\tcontributor" if author.contributor else ""))
        return 0
    sys.stdout.write(as_csv(rows, counts))
    return 0


def add_road_commands(add: Register) -> None:
    p = add("stage", cmd_stage, "move a submission along its kind's own road ([kinds.NAME] "
            "stages: a sponsored article quoted, agreed, paid; an application shortlisted, "
            "interviewed, offered, joined), with an email where the stage has one")
    p.add_argument("reference")
    p.add_argument("stage", help="one of the kind's stages (quote a name with spaces)")
    p.add_argument("--email", action="store_true",
                   help="email the author from the stage's template (stage_quoted, "
                        "stage_interview)")
    p.add_argument("--when", default="", metavar="'YYYY-MM-DD HH:MM'",
                   help="an interview's date and time (UTC unless an offset is given)")
    p.add_argument("--price", default="", help="a quote's price, as the author reads it")
    p.add_argument("--message", "-m", default="", metavar="TEXT",
                   help="your words to the author, put into the email")
    p.add_argument("--yes", "-y", action="store_true", help="queue the email without showing it")
    p.add_argument("--as", dest="actor", default=None, metavar="EDITOR",
                   help="the editor acting (default: $INTAKE_EDITOR, else your login name)")

    p = add("authors", cmd_authors, "the profile kept for each author's address: name, bio "
            "(from their \"About the author\"), institution, submissions")
    p.add_argument("step", choices=("list", "export"))
    p.add_argument("--csv", action="store_true", help="export: as CSV, one row an author")
