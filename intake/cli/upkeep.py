"""The operator's upkeep commands: digest (daily cron), retry, purge."""

from __future__ import annotations

import argparse
import sys

from intake.cli.editors import Register, settings_of
from intake.core.errors import ExitCode, IntakeError
from intake.core.runlock import run_lock
from intake.editors.workflow import actor_for, find_editor


def cmd_digest(args: argparse.Namespace) -> int:
    from intake.editors.digest import as_outbox_item, build
    from intake.mail.smtp import DeliveryError, TransportUnavailable, transport_for
    from intake.pipeline.run import Intake

    settings = settings_of(args)
    app = Intake(settings)  # its settings know the editors invited on the desk too
    settings = app.settings
    editors = settings.editors
    if args.editor:
        editor = find_editor(settings, args.editor)
        if editor is None:
            raise IntakeError(f"{args.editor!r} is not an editor in {settings.path}")
        editors = (editor,)
    if not editors:
        raise IntakeError(f"{settings.path} declares no editors: add [editors.ID] tables "
                          "with name and email (see the example settings.toml)")
    sent = quiet = failed = 0
    try:
        digests = [build(app.ledger, settings, app.notices, e) for e in editors]
        if args.print:
            for digest in digests:
                if digest.rendered is None:
                    print(f"# {digest.editor.id}: nothing to report\n")
                else:
                    print(f"# {digest.editor.id} <{digest.editor.email}>\n"
                          f"Subject: {digest.rendered.subject}\n\n{digest.rendered.text}")
            return 0
        due = [d for d in digests if d.email is not None]
        quiet = len(digests) - len(due)
        if due:
            try:
                with transport_for(settings) as transport:
                    for digest in due:
                        try:
                            transport.send(as_outbox_item(digest))
                        except DeliveryError as exc:
                            failed += 1
                            print(f"intake: digest to {digest.editor.email} refused: {exc}",
                                  file=sys.stderr)
                            continue
                        with app.ledger.transaction():
                            app.ledger.digest_sent(digest.editor.id, digest.at)
                        sent += 1
            except TransportUnavailable as exc:
                print(f"intake: digests not sent: {exc}", file=sys.stderr)
                print(f"digests: sent {sent} · nothing to report {quiet} · not sent "
                      f"{len(due) - sent}")
                return int(ExitCode.TEMPORARY)
    finally:
        app.close()
    if failed or not args.quiet:  # cron mails the operator only when something failed
        print(f"digests: sent {sent} · nothing to report {quiet} · failed {failed}")
    return int(ExitCode.NEEDS_ATTENTION if failed else ExitCode.OK)


def cmd_retry(args: argparse.Namespace) -> int:
    from intake.editors.retry import retry
    from intake.pipeline.run import Intake

    settings = settings_of(args)
    actor = actor_for(settings, args.actor)
    with run_lock(settings.data_dir):  # a retry processes mail, as a poll does
        app = Intake(settings)
        try:
            result = retry(app, args.reference, actor)
        finally:
            app.close()
    if not result.ok:
        print(f"{result.sub.reference}: still quarantined: {result.detail}")
        return int(ExitCode.NEEDS_ATTENTION)
    print(f"{result.sub.reference}: {result.detail}")
    return int(ExitCode.OK)


def cmd_purge(args: argparse.Namespace) -> int:
    from intake.editors.purge import due, purge
    from intake.pipeline.run import Intake

    settings = settings_of(args)
    failed: list[str] = []
    with run_lock(settings.data_dir):
        app = Intake(settings)
        try:
            todo = due(app)
            for sub in todo:
                if args.dry_run:
                    print(f"would purge {sub.reference} ({sub.status.value} "
                          f"{(sub.decided_at or sub.updated_at)[:10]})")
                else:
                    try:
                        done = purge(app, sub, "intake purge")
                    except OSError as exc:  # one bad submission never stops the others
                        failed.append(f"{sub.reference}: {exc}")
                        continue
                    failed.extend(f"{sub.reference}: left {line}" for line in done.skipped)
                    if not args.quiet:
                        print(f"purged {sub.reference}: {done.files} file(s)")
        finally:
            app.close()
    days = settings.review.retention_days
    for line in failed:
        print(f"intake: purge skipped {line}", file=sys.stderr)
    if failed:
        return int(ExitCode.NEEDS_ATTENTION)
    if args.quiet and not args.dry_run:
        return 0
    print(("dry run: " if args.dry_run else "") + f"{len(todo)} submission(s) rejected or "
          f"withdrawn more than {days} days ago" + (" would be purged" if args.dry_run
                                                     else " purged"))
    return 0


def add_upkeep_commands(register: Register) -> None:
    p = register("digest", cmd_digest, "email each editor a summary: new, waiting on them, "
                 "waiting on authors, quarantined (for a daily cron line)")
    p.add_argument("--editor", default=None, metavar="ID", help="only this editor")
    p.add_argument("--print", action="store_true",
                   help="print the digests instead of sending them")

    p = register("retry", cmd_retry, "process a quarantined submission's message again, "
                 "after fixing the cause")
    p.add_argument("reference")
    p.add_argument("--as", dest="actor", default=None, metavar="EDITOR",
                   help="who is acting (default: $INTAKE_EDITOR, then the login name)")

    p = register("purge", cmd_purge, "delete raw messages and drafts of submissions "
                 "rejected or withdrawn more than [review] retention_days ago; the ledger "
                 "row and history stay")
    p.add_argument("--dry-run", action="store_true", help="list them, delete nothing")
