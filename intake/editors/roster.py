"""Who the editors are: those settings.toml declares, and those an admin invited on the desk.

The operator's file stays the operator's: the desk never writes it. An invited editor
lives in the ledger, with the same powers as a declared one but never admin; a
declared editor of the same id wins.
"""

from __future__ import annotations

import re
from dataclasses import replace

from intake.core.config import Editor, Settings
from intake.ledger import Ledger

EDITOR_ID = re.compile(r"[a-z][a-z0-9_-]{1,31}")


def with_invited(settings: Settings, ledger: Ledger) -> Settings:
    """The settings with the invited editors added to [editors]."""
    declared = {e.id for e in settings.editors}
    invited = tuple(Editor(id=e.id, name=e.name, email=e.email)
                    for e in ledger.invited_editors() if e.id not in declared)
    return replace(settings, editors=settings.editors + invited) if invited else settings


def find(editors: tuple[Editor, ...] | list[Editor], who: str) -> Editor | None:
    """An editor by id, email address or full name (any case); a name two editors share
    names neither."""
    key = " ".join(who.split()).casefold()
    if not key:
        return None
    for editor in editors:
        if key in (editor.id.casefold(), editor.email.casefold()):
            return editor
    named = [e for e in editors if e.name and " ".join(e.name.split()).casefold() == key]
    return named[0] if len(named) == 1 else None
