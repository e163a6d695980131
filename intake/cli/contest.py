"""`intake contest`: a contest's entries, the judges' copy of each, judges' links, the
results, winners and the results emails.

    intake contest list
    intake contest entries ID
    intake contest copy REF              # build the judges' copy; what was removed
    intake contest confirm REF           # give it to its judges (refused if it names the author)
    intake contest invite ID             # a link for each judge, emailed once
    intake contest revoke ID EMAIL
    intake contest results ID [--json | --csv]
    intake contest award ID REF winner|honourable|none
    intake contest announce ID           # every entrant's result, once each
"""

from __future__ import annotations

import argparse

from intake.cli.editors import Register, _opened
from intake.contests import judging
from intake.contests.awards import announce, award
from intake.contests.results import as_csv, as_json, flagged, rank
from intake.contests.settings import Contest
from intake.core.config import Settings
from intake.core.errors import IntakeError
from intake.editors.workflow import actor_for, find


def _contest(settings: Settings, contest_id: str) -> Contest:
    found = settings.contest(contest_id)
    if found is None:
        known = ", ".join(c.id for c in settings.contests) or "none"
        raise IntakeError(f"no contest {contest_id!r} in {settings.path} ([contests.ID]); "
                          f"the contests are {known}")
    return found


def cmd_contest(args: argparse.Namespace) -> int:
    readonly = args.step in ("list", "entries", "results")
    with _opened(args, readonly=readonly) as (settings, ledger):
        if args.step == "list":
            for c in settings.contests:
                print(f"{c.id}  {c.name}: entries {c.opens:%Y-%m-%d %H:%M %Z} to "
                      f"{c.closes:%Y-%m-%d %H:%M %Z}, judging until "
                      f"{c.judging_closes:%Y-%m-%d %H:%M %Z}; {len(c.judges)} judges, "
                      f"{len(ledger.entries(c.id))} entries")
            return 0
        if args.step == "entries":
            contest = _contest(settings, args.target)
            states = ("open", "early", "late", "over_limit")
            for entry in ledger.entries(contest.id, states):
                sub = ledger.submission_by_id(entry.submission_id)
                shown = "confirmed" if judging.visible(settings.data_dir, ledger, sub) \
                    else "not confirmed"
                print(f"{sub.reference}  {entry.state:<10} {shown:<13} judges: "
                      f"{', '.join(ledger.readers_of(sub.id)) or '-'}  {sub.title}")
            return 0
        if args.step in ("copy", "confirm"):
            sub = find(ledger, args.target)
            if args.step == "copy":
                copy = judging.prepare(settings.data_dir, sub)
            else:
                actor = actor_for(settings, args.actor)
                copy, judges = judging.confirm(ledger, settings, sub, actor.id)
            for removed in copy.removed:
                print(f"removed {removed.what}: {removed.text}"
                      + (f" ({removed.count} times)" if removed.count > 1 else ""))
            folder = settings.data_dir / str(sub.draft_dir) / "judges"
            if args.step == "copy":
                if copy.still_named:
                    print(f"{sub.reference}: the copy still names its author: "
                          f"{'; '.join(copy.still_named)}: edit the draft (intake edit)")
                    return 1
                print(f"{sub.reference}: the judges' copy is {folder / 'copy.md'}; read it, "
                      f"then intake contest confirm {sub.reference}")
            else:
                print(f"{sub.reference}: the judges' copy is confirmed; judges: "
                      f"{', '.join(judges) or 'none free (all from the author institution?)'}")
            return 0
        contest = _contest(settings, args.target)
        if args.step == "results":
            rows = rank(ledger, contest)
            if args.json:
                print(as_json(rows, contest))
            elif args.csv:
                print(as_csv(rows, contest), end="")
            else:
                for r in rows:
                    score = "-" if r.score is None else f"{r.score:+.2f}"
                    raw = ", ".join(f"{j} {v:.0f}%" for j, v in sorted(r.raw.items()))
                    print(f"{r.place:>3}. {r.submission.reference}  {score:>6}  "
                          f"{r.submission.title}  [{raw or 'not scored'}]"
                          + ("  JUDGES DISAGREE" if flagged(r, contest) else "")
                          + (f"  ({r.tie})" if r.tie else "")
                          + (f"  {r.award.upper()}" if r.award else ""))
            return 0
        actor = actor_for(settings, args.actor)
        if args.step == "invite":
            invited = judging.invite(ledger, settings, contest, actor.id)
            print(f"{contest.id}: {len(invited)} judge(s) invited"
                  + (f" ({', '.join(invited)}); the next run sends the emails"
                     if invited else " (each judge already has a live link)"))
        elif args.step == "revoke":
            count = judging.revoke(ledger, contest, args.ref, actor.id)
            print(f"{contest.id}: {count} link(s) of {args.ref} revoked")
        elif args.step == "award":
            sub = find(ledger, args.ref)
            award(ledger, contest, sub, args.award, actor.id)
            print(f"{sub.reference}: {args.award} in {contest.name}")
        elif args.step == "announce":
            queued = announce(ledger, settings, contest, actor.id)
            print(f"{contest.id}: {queued} result email(s) queued; the next run sends them")
    return 0


def add_contest_commands(add: Register) -> None:
    p = add("contest", cmd_contest, "writing contests: entries, the judges' copy, judges' "
            "links, results, winners and the results emails")
    p.add_argument("step", choices=("list", "entries", "copy", "confirm", "invite", "revoke",
                                    "results", "award", "announce"))
    p.add_argument("target", nargs="?", default="",
                   help="a contest's id (a submission's reference for copy and confirm)")
    p.add_argument("ref", nargs="?", default="",
                   help="award: the entry's reference; revoke: the judge's email")
    p.add_argument("award", nargs="?", default="",
                   help="award: winner, honourable or none")
    p.add_argument("--json", action="store_true", help="results as JSON")
    p.add_argument("--csv", action="store_true", help="results as CSV")
    p.add_argument("--as", dest="actor", default=None, metavar="EDITOR",
                   help="the editor acting (default: $INTAKE_EDITOR, else your login name)")


def cmd_reader(args: argparse.Namespace) -> int:
    with _opened(args) as (settings, ledger):
        sub = find(ledger, args.reference)
        actor = actor_for(settings, args.actor)
        if args.revoke:
            with ledger.transaction():
                count = ledger.revoke_reader_links(args.revoke, submission_id=sub.id)
            print(f"{sub.reference}: {count} link(s) of {args.revoke} revoked")
            return 0
        if not args.name or not args.email:
            raise IntakeError("a reader needs a name and an email address")
        who = judging.invite_reader(
            ledger, settings, sub, name=args.name, email=args.email,
            rubric=judging.parse_rubric(args.rubric), days=args.days, is_blind=args.blind,
            by=actor.id)
    print(f"{sub.reference}: {who} is asked to read it; the next run sends the link")
    return 0


def add_reader_commands(add: Register) -> None:
    p = add("reader", cmd_reader, "ask one outside reader (a doctor checking the medicine) "
            "to read and score a submission through a personal link")
    p.add_argument("reference")
    p.add_argument("name", nargs="?", default="")
    p.add_argument("email", nargs="?", default="")
    p.add_argument("--rubric", default="overall:10", metavar="NAME:SCALE,...",
                   help="what the reader scores, and out of how much (default overall:10)")
    p.add_argument("--days", type=int, default=21, help="how long the link works (21)")
    p.add_argument("--blind", action="store_true",
                   help="show the text without its author's name (as judges see entries)")
    p.add_argument("--revoke", default="", metavar="EMAIL", help="end that reader's links")
    p.add_argument("--as", dest="actor", default=None, metavar="EDITOR",
                   help="the editor acting (default: $INTAKE_EDITOR, else your login name)")
