"""`intake init`: a commented settings file and a private data folder, then next steps."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from intake.core.errors import ExitCode
from intake.core.program import program

Register = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]

# The example settings: packaged in the wheel (pyproject force-include), the
# repository's own in a checkout.
_PACKAGED = Path(__file__).resolve().parents[1] / "_settings.example.toml"
_CHECKOUT = Path(__file__).resolve().parents[2] / "settings.toml"


def example_settings() -> str:
    for path in (_PACKAGED, _CHECKOUT):
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError("the example settings are missing from this installation")


def cmd_init(args: argparse.Namespace) -> int:
    folder: Path = args.folder.resolve()  # every path said below works from anywhere
    target = folder / "settings.toml"
    if target.exists() and not args.force:
        print(f"intake: {target} exists; nothing was changed (--force replaces it)",
              file=sys.stderr)
        return int(ExitCode.USAGE)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(example_settings(), encoding="utf-8")
    target.chmod(0o600)  # [intake] group: chgrp it, chmod 640 (it holds no password)
    data = folder / "var"
    data.mkdir(mode=0o700, exist_ok=True)
    data.chmod(0o700)  # manuscripts may describe patients: the data is intake's alone
    run = f"{program(absolute=True)} --config {target}"
    account = _owner(folder)
    print(f"wrote {target} (commented: every key says what it does)")
    print(f"made  {data} (private, mode 700: the ledger, raw mail and drafts go here)")
    print()
    print("Next:")
    print(f"  1. Edit {target}: [intake] publication, [imap] and [smtp] (host, port,")
    print("     username), [kinds] if yours differ. Put each password in its file, readable")
    print("     by intake's account alone:")
    for name in ("imap", "smtp"):
        secret = folder / f"{name}.password"
        print(f"       (umask 077; read -rsp '{name.upper()} password: ' p && "
              f"printf '%s\\n' \"$p\" > {secret})")
    print(f"  2. Check settings, templates and the IMAP and SMTP logins:\n       {run} doctor")
    print(f"  3. See what a run would do, changing nothing:\n       {run} poll --dry-run")
    print(f"  4. The first real run (old mail: --since YYYY-MM-DD, --no-acknowledge):\n"
          f"       {run} poll")
    print(f"  5. Every 5 minutes from cron, as {account} (crontab -u {account} -e, as root):\n"
          f"       */5 * * * * {run} -q poll")
    if account != _me():
        print(f"     Run every command as {account}: runuser -u {account} -- {run} …")
    return int(ExitCode.OK)


def _owner(path: Path) -> str:
    """The account that owns the folder: the one intake must run as."""
    import pwd

    try:
        return pwd.getpwuid(path.stat().st_uid).pw_name
    except (KeyError, OSError):
        return _me()


def _me() -> str:
    import getpass

    return getpass.getuser()


def add_setup_commands(register: Register) -> None:
    p = register("init", cmd_init, "write a commented settings.toml and a private data "
                 "folder, and say what to do next")
    p.add_argument("folder", nargs="?", type=Path, default=Path(), metavar="DIR",
                   help="where (default: the current folder)")
    p.add_argument("--force", action="store_true", help="replace an existing settings.toml")
