"""docs/commands.md, written from the parser itself, so the reference and `--help` never
disagree (tests/test_docs.py compares them): python -m intake.cli.reference."""

from __future__ import annotations

import argparse

_COMMON = {"--config", "-v", "--verbose", "-q", "--quiet", "--log-format", "-h", "--help"}
_INTRO = """\
# Commands

Every command takes `--config PATH` (default: `$INTAKE_CONFIG`, then `./settings.toml`),
`-v` (more detail), `-q` (problems only; see [operators.md](operators.md#quiet-cron))
and `--log-format text|json` (log lines on stderr, for people or for a collector).
`intake` and `python -m intake` are the same program. Exit codes are in
[operators.md](operators.md#exit-codes).

This page is written from the program's own `--help` (`python -m intake.cli.reference >
docs/commands.md`); a test fails when the two differ.
"""


def _usage(name: str, parser: argparse.ArgumentParser) -> str:
    words = [f"intake {name}"]
    for action in parser._actions:
        if action.option_strings or action.dest == "help":
            continue
        label = str(action.metavar or action.dest.upper())
        words.append(f"[{label}]" if action.nargs == "?" else
                     f"{label}..." if action.nargs in ("+", "*") else label)
    return " ".join(words)


def _option(action: argparse.Action) -> str:
    flags = ", ".join(action.option_strings)
    if action.nargs == 0:
        shown = flags
    elif action.choices:
        shown = f"{flags} {{{','.join(str(c) for c in action.choices)}}}"
    else:
        shown = f"{flags} {action.metavar or action.dest.upper()}"
    return f"- `{shown}`: {action.help}"


def command_reference() -> str:
    from intake.cli import _parser

    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: str(c.help or "") for c in commands._choices_actions}
    out = [_INTRO]
    for name, sub in commands.choices.items():
        text = helps.get(name, "")
        out += [f"## `{_usage(name, sub)}`", "", f"{text[:1].upper()}{text[1:]}.", ""]
        options = [_option(a) for a in sub._actions
                   if a.option_strings and not set(a.option_strings) & _COMMON]
        if options:
            out += [*options, ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(command_reference(), end="")
