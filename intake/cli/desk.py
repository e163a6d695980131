"""The desk's commands: serve the editors' web app, and set an editor's password."""

from __future__ import annotations

import argparse
import getpass
import sys

from intake.cli.editors import Register, settings_of
from intake.core.errors import IntakeError


def cmd_serve(args: argparse.Namespace) -> int:
    import waitress

    from intake.web.app import create_app

    settings = settings_of(args)
    if not settings.editors:
        raise IntakeError(f"{settings.path} declares no editors ([editors.ID]): nobody could "
                          "sign in to the desk")
    app = create_app(settings)
    print(f"intake desk on http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    # Behind a reverse proxy on this machine, the editor's address is the one it
    # forwards: the limit on failed sign-ins counts addresses, not the proxy.
    waitress.serve(app, host=args.host, port=args.port, ident="intake",
                   trusted_proxy="127.0.0.1", trusted_proxy_headers={"x-forwarded-for"},
                   clear_untrusted_proxy_headers=True)
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from intake.web.passwords import MIN_LENGTH, set_password

    settings = settings_of(args)
    if args.editor not in {e.id for e in settings.editors}:
        raise IntakeError(f"{args.editor!r} is not an editor in {settings.path} "
                          f"([editors.ID]); the editors are "
                          f"{', '.join(e.id for e in settings.editors) or 'none'}")
    if sys.stdin.isatty():
        password = getpass.getpass(f"New password for {args.editor}: ")
        if getpass.getpass("Again: ") != password:
            raise IntakeError("the two passwords differ; nothing was changed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        set_password(settings.data_dir, args.editor, password)
    except ValueError as exc:
        raise IntakeError(f"{exc} (at least {MIN_LENGTH}); nothing was changed") from None
    print(f"{args.editor}: password set for the desk")
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
