"""The documentation says what the program does: the command reference is the program's
own --help, every document the README points to exists, and links between them resolve."""

from __future__ import annotations

import re

from intake.cli.reference import command_reference
from tests.conftest import REPO

DOCS = REPO / "docs"


def test_the_command_reference_is_the_programs_help() -> None:
    written = (DOCS / "commands.md").read_text(encoding="utf-8")
    assert written == command_reference(), (
        "docs/commands.md is out of step: python -m intake.cli.reference > docs/commands.md")


def test_every_local_link_in_the_readme_and_docs_resolves() -> None:
    pages = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path) if path else page
            assert resolved.exists(), f"{page.name}: link to {target} has no target"
            if anchor and resolved.suffix == ".md":
                headings = {_anchor(h) for h in re.findall(r"^#+ (.+)$", resolved.read_text(
                    encoding="utf-8"), re.MULTILINE)}
                assert anchor in headings, f"{page.name}: no heading #{anchor} in {path}"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")
