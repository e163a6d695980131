"""Editors' passwords for the desk: only a slow hash (scrypt) is stored, in a file
private to intake's account in the data folder; never the password."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path

from intake.ledger.store import write_atomic

# scrypt's cost: 2**15 * 8 * 128 bytes = 32 MiB of memory for each try.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
MIN_LENGTH = 10


def password_file(data_dir: Path) -> Path:
    return data_dir / "desk-passwords.json"


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
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, base64.b64decode(digest))


def set_password(data_dir: Path, editor: str, password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password of at least {MIN_LENGTH} characters, please")
    hashes = read_hashes(data_dir)
    hashes[editor] = hash_password(password)
    write_atomic(password_file(data_dir), json.dumps(hashes, indent=1).encode())


def read_hashes(data_dir: Path) -> dict[str, str]:
    try:
        loaded = json.loads(password_file(data_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
