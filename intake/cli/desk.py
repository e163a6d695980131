"""The desk's commands: serve the editors' web app, and set an editor's password."""

from __future__ import annotations

import argparse
import getpass
import sys

from intake.cli.editors import Register, settings_of
from intake.core.errors import IntakeError


def cmd_serve(args: argparse.Namespace) -> int:
    import waitress

    from intake.web.app import check_writable, create_app

    settings = settings_of(args)
    if not settings.editors:
        raise IntakeError(f"{settings.path} declares no editors ([editors.ID]): nobody could "
                          "sign in to the desk")
    check_writable(settings)
    app = create_app(settings)
    # Behind a reverse proxy on this machine, the editor's address is the one it
    # forwards: the limit on failed sign-ins counts addresses, not the proxy.
    try:
        server = waitress.create_server(
            app, host=args.host, port=args.port, ident="intake", trusted_proxy="127.0.0.1",
            trusted_proxy_headers={"x-forwarded-for"}, clear_untrusted_proxy_headers=True)
    except OSError as exc:
        raise IntakeError(f"the desk cannot listen on {args.host}:{args.port} "
                          f"({exc.strerror or exc}): another program has that port, or "
                          "choose one with --port") from None
    print(f"intake desk on http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    server.run()
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from intake.editors.roster import find, with_invited
    from intake.ledger import Ledger
    from intake.web.passwords import WeakPassword, set_password

    settings = settings_of(args)
    ledger = Ledger(settings.data_dir / "intake.sqlite3")
    try:
        editors = with_invited(settings, ledger).editors
        editor = find(editors, args.editor)
        if editor is None or editor.id != args.editor.strip().lower():
            raise IntakeError(f"{args.editor!r} is not an editor in {settings.path} "
                              f"([editors.ID]) or invited on the desk; the editors are "
                              f"{', '.join(e.id for e in editors) or 'none'}")
        if sys.stdin.isatty():
            password = getpass.getpass(f"New password for {editor.id}: ")
            if getpass.getpass("Again: ") != password:
                raise IntakeError("the two passwords differ; nothing was changed")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        try:
            set_password(settings.data_dir, editor.id, password,
                         names=(editor.name, editor.email))
        except WeakPassword as exc:
            raise IntakeError(f"{exc}; nothing was changed") from None
        with ledger.transaction():
            ended = ledger.end_sessions_of(editor.id, "password changed")
    finally:
        ledger.close()
    print(f"{editor.id}: password set for the desk" +
          (f"; {ended} session(s) signed out" if ended else ""))
    return 0


def add_desk_commands(register: Register) -> None:
    p = register("serve", cmd_serve, "run the editors' desk (a web app) in the foreground")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: put a reverse proxy with "
                        "HTTPS in front)")
    p.add_argument("--port", type=int, default=8025, help="port (default 8025)")

    p = register("passwd", cmd_passwd, "set an editor's password for the desk (read from "
                 "standard input when it is not a terminal)")
    p.add_argument("editor", help="an editor's id from [editors]")
