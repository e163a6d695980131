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
    folder: Path = args.folder
    target = folder / "settings.toml"
    if target.exists() and not args.force:
        print(f"intake: {target} exists; nothing was changed (--force replaces it)",
              file=sys.stderr)
        return int(ExitCode.USAGE)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(example_settings(), encoding="utf-8")
    data = folder / "var"
    data.mkdir(mode=0o700, exist_ok=True)
    data.chmod(0o700)  # manuscripts may describe patients: the data is intake's alone
    run = f"{program()} --config {target}"
    print(f"wrote {target} (commented: every key says what it does)")
    print(f"made  {data} (private, mode 700: the ledger, raw mail and drafts go here)")
    print()
    print("Next:")
    print(f"  1. Edit {target}: [intake] publication, [imap] and [smtp] (host, port,")
    print("     username, and where the password comes from), [kinds] if yours differ.")
    print(f"  2. Check settings, templates and the IMAP and SMTP logins:\n       {run} doctor")
    print(f"  3. See what a run would do, changing nothing:\n       {run} poll --dry-run")
    print(f"  4. The first real run (old mail: --since YYYY-MM-DD, --no-acknowledge):\n"
          f"       {run} poll")
    print(f"  5. Every 5 minutes from cron (crontab -e), with absolute paths:\n"
          f"       */5 * * * * {program(absolute=True)} --config {target.resolve()} -q poll")
    return int(ExitCode.OK)


def add_setup_commands(register: Register) -> None:
    p = register("init", cmd_init, "write a commented settings.toml and a private data "
                 "folder, and say what to do next")
    p.add_argument("folder", nargs="?", type=Path, default=Path(), metavar="DIR",
                   help="where (default: the current folder)")
    p.add_argument("--force", action="store_true", help="replace an existing settings.toml")
