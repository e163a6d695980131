"""Mail addresses as the same person: one key per mailbox."""

from __future__ import annotations


def address_key(address: str) -> str:
    """One key per mailbox: case folded and the +tag dropped (victim+1@ and victim+2@
    reach one person), so limits and authorship count people, not spellings."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return domain
    return f"{local.split('+', 1)[0] or local}@{domain}"
