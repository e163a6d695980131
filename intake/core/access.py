"""Who may read the data folder: this account alone, or also a group ([intake] group).

Manuscripts may describe patients, so by default everything intake writes is private
(umask 077, cli/__init__.py). With a group, editors in it can run the read-only
commands (queue, show, diff, status) and the desk can run as another account in it:
folders are 2750 (the setgid bit makes what is created inside belong to the group) and
files 0640; nobody outside the group reads anything, and only this account writes.
"""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from intake.core.config import Settings
from intake.core.errors import SettingsError

GROUP_UMASK = 0o027
# The desk's secrets: the key that signs its cookies, password hashes, authenticator
# secrets. Never the group's, whatever else is shared: with them an editor could sign
# in as another.
SECRET_FILES = ("desk-secret", "desk-passwords.json", "desk-totp.json")


def apply_group(settings: Settings) -> None:
    """Set the umask for the group, and once, when the data folder is ours and not yet
    the group's, give what is in it to the group."""
    name = settings.intake.group
    if name is None:
        return
    try:
        gid = grp.getgrnam(name).gr_gid
    except KeyError:
        raise SettingsError(f"{settings.path}: [intake] group: there is no group {name!r} on "
                            f"this system (getent group {name}); create it, or unset "
                            "group to keep the data private") from None
    os.umask(GROUP_UMASK)
    data = settings.data_dir
    if not data.exists():
        try:
            data.mkdir(parents=True)
        except OSError as exc:
            raise SettingsError(f"{settings.path}: [intake] data_dir {data} cannot be "
                                f"created by {account_name()} ({exc.strerror}): create it, owned "
                                "by intake's account, or choose another") from None
    info = data.stat()
    if info.st_uid != os.geteuid():
        return  # an editor's account, reading: nothing here is theirs to change
    secrets_private(data)  # shared by an earlier intake, which shared them too
    if info.st_gid == gid and info.st_mode & stat.S_ISGID:
        return
    if os.geteuid() != 0 and gid not in os.getgroups():
        me = account_name()
        raise SettingsError(
            f"{settings.path}: [intake] group {name!r}: intake's account ({me}) is not in "
            f"that group, so it cannot give the data folder to it: adduser {me} {name} "
            "(cron's next run has it; a login shell needs a new login), or unset group")
    try:
        share(data, gid)
    except PermissionError as exc:
        raise SettingsError(f"{settings.path}: [intake] group {name!r}: {exc.filename} "
                            f"cannot be given to the group by {account_name()} ({exc.strerror}): "
                            "it must own the data folder and be in the group") from None


def account_name(uid: int | None = None) -> str:
    """The account a uid (by default, this process's) belongs to, for messages."""
    import pwd

    uid = os.geteuid() if uid is None else uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _secrets(data: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """The desk's secrets that exist, each with what lstat says (links not followed)."""
    for name in SECRET_FILES:
        path = data / name
        try:
            yield path, path.lstat()
        except FileNotFoundError:
            continue


def secrets_private(data: Path) -> None:
    """Take group and other access away from the desk's secrets that this account owns."""
    for path, info in _secrets(data):
        if info.st_uid == os.geteuid() and stat.S_ISREG(info.st_mode) and \
                info.st_mode & 0o077:
            path.chmod(0o600)


def share(data: Path, gid: int) -> None:
    """Folders 2750 and files 0640, all in group gid; links are left alone (never
    followed: the data folder holds what strangers sent)."""
    for root, folders, files in os.walk(data, followlinks=False):
        here = Path(root)
        os.chown(here, -1, gid)
        here.chmod(0o2750)
        for name in files:
            path = here / name
            if path.is_symlink():
                continue
            if here == data and name in SECRET_FILES:
                path.chmod(0o600)
                continue
            os.chown(path, -1, gid)
            path.chmod(0o640)
        folders[:] = [f for f in folders if not (here / f).is_symlink()]


def private_or_shared(settings: Settings) -> str | None:
    """What doctor should say about the data folder's access, or None when it is as the
    settings ask."""
    data = settings.data_dir
    if not data.exists():
        return None
    mode = stat.S_IMODE(data.stat().st_mode)
    if settings.intake.group is None:
        return (f"{data} is readable by others (mode {mode:o}); chmod 700 it, or set "
                "[intake] group to share it with editors") if mode & 0o077 else None
    try:
        gid = grp.getgrnam(settings.intake.group).gr_gid
    except KeyError:
        return f"[intake] group: no group {settings.intake.group!r} on this system"
    if data.stat().st_gid != gid or not data.stat().st_mode & stat.S_ISGID:
        return (f"{data} is not yet the group {settings.intake.group!r}'s: the next run "
                "of intake by its owner shares it")
    if mode & 0o007:
        return f"{data} is readable by everyone (mode {mode:o}); chmod o-rwx it"
    return None


def exposed_secrets(data: Path) -> str | None:
    """The desk's secrets that someone besides intake's account can read, said as a fix."""
    open_to = []
    for path, info in _secrets(data):
        if stat.S_ISLNK(info.st_mode) or info.st_mode & 0o077 or info.st_uid != data.stat().st_uid:
            open_to.append(f"{path} (mode {stat.S_IMODE(info.st_mode):04o})")
    if not open_to:
        return None
    return (f"the desk's secrets can be read by others: {', '.join(open_to)}; an editor "
            f"could sign in as another: chmod 600 them, owned by intake's account (intake "
            "does so on its next run)")
