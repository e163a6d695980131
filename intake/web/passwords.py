"""Editors' passwords and second factors for the desk.

Only a slow hash (scrypt) of a password is stored, never the password. The desk's
secrets (the key that signs its cookies, the password hashes, the authenticator
secrets) are files private to intake's account, 0600 even when the data folder is
shared with the editors' group ([intake] group): an editor who can read the ledger must
not be able to sign in as another.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from intake.ledger.store import write_atomic

# scrypt's cost: 2**15 * 8 * 128 bytes = 32 MiB of memory for each try.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
MIN_LENGTH = 12


class WeakPassword(ValueError):
    """A password the desk refuses: too short, common, or the editor's own name."""


def password_file(data_dir: Path) -> Path:
    return data_dir / "desk-passwords.json"


def totp_file(data_dir: Path) -> Path:
    return data_dir / "desk-totp.json"


def write_private(path: Path, data: bytes) -> None:
    """Write a secret atomically, 0600 whatever the umask, durable when this returns."""
    write_atomic(path, data, mode=0o600)


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM)
    return "$".join(("scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)))


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        found = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                               r=int(r), p=int(p), maxmem=_MAXMEM)
    except (ValueError, TypeError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(found, base64.b64decode(digest))


@functools.cache
def _common() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's bundled list (from leaked sets)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str, *, names: tuple[str, ...] = ()) -> None:
    """Refuse a password shorter than MIN_LENGTH, a common one (also with a few digits or
    a symbol added), or one made of the editor's own id, name or address."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password of at least {MIN_LENGTH} characters, please "
                           f"(this one has {len(password)})")
    folded = password.casefold()
    core = folded.strip("0123456789!?.*#$@_- ")
    if folded in _common() or core in _common() or \
            len(set(folded)) <= 3 or folded.replace(" ", "") in _common():
        raise WeakPassword("that password is one of the most common ones: choose another "
                           "(a few unrelated words make a good one)")
    for name in names:
        folded_name = name.casefold().replace("@", " ")
        for part in [name.casefold(), folded_name.replace(" ", ""), *folded_name.split()]:
            if len(part) >= 4 and part in folded and len(folded) - len(part) < 8:
                raise WeakPassword("that password is mostly your own name or address: "
                                   "choose another")


def set_password(data_dir: Path, editor: str, password: str, *,
                 names: tuple[str, ...] = ()) -> None:
    check_password(password, names=(editor, *names))
    hashes = read_hashes(data_dir)
    hashes[editor] = hash_password(password)
    write_private(password_file(data_dir), json.dumps(hashes, indent=1).encode())


def read_hashes(data_dir: Path) -> dict[str, str]:
    try:
        loaded = json.loads(password_file(data_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


# -- second factor (TOTP, RFC 6238) ---------------------------------------------------


def read_totp(data_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        loaded = json.loads(totp_file(data_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {str(k): v for k, v in loaded.items() if isinstance(v, dict)} \
        if isinstance(loaded, dict) else {}


def _write_totp(data_dir: Path, entries: dict[str, dict[str, Any]]) -> None:
    write_private(totp_file(data_dir), json.dumps(entries, indent=1).encode())


def totp_enrolled(data_dir: Path, editor: str) -> bool:
    return bool(read_totp(data_dir).get(editor, {}).get("enrolled"))


def totp_pending_secret(data_dir: Path, editor: str) -> str:
    """The secret an editor is enrolling with: made once, kept until they confirm it."""
    import pyotp

    entries = read_totp(data_dir)
    entry = entries.get(editor, {})
    if entry.get("enrolled"):
        raise ValueError(f"{editor} is enrolled already")
    if not entry.get("pending"):
        entries[editor] = {"pending": pyotp.random_base32()}
        _write_totp(data_dir, entries)
    return str(read_totp(data_dir)[editor]["pending"])


def totp_confirm(data_dir: Path, editor: str, code: str) -> bool:
    """Enrol the editor if the code matches the pending secret."""
    entries = read_totp(data_dir)
    secret = str(entries.get(editor, {}).get("pending", ""))
    step = _matching_step(secret, code, last=-1) if secret else None
    if step is None:
        return False
    entries[editor] = {"secret": secret, "enrolled": True, "last_step": step}
    _write_totp(data_dir, entries)
    return True


def totp_verify(data_dir: Path, editor: str, code: str) -> bool:
    """A code from the editor's app, each used once (a code seen on a shoulder or a
    screen share is no good a second time)."""
    entries = read_totp(data_dir)
    entry = entries.get(editor, {})
    if not entry.get("enrolled"):
        return False
    step = _matching_step(str(entry["secret"]), code, last=int(entry.get("last_step", -1)))
    if step is None:
        return False
    entries[editor] = {**entry, "last_step": step}
    _write_totp(data_dir, entries)
    return True


def totp_remove(data_dir: Path, editor: str) -> None:
    entries = read_totp(data_dir)
    if entries.pop(editor, None) is not None:
        _write_totp(data_dir, entries)


def totp_uri(secret: str, editor: str, issuer: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=editor, issuer_name=issuer)


def _matching_step(secret: str, code: str, last: int) -> int | None:
    """The time step (30 s) whose code this is, one step of clock drift either way; None
    when none matches or it was used already."""
    import time

    import pyotp

    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in (now, now - 1, now + 1):
        if step > last and hmac.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
