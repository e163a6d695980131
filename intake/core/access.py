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
from pathlib import Path

from intake.core.config import Settings
from intake.core.errors import SettingsError

GROUP_UMASK = 0o027


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
        data.mkdir(parents=True)
    info = data.stat()
    if info.st_uid != os.geteuid():
        return  # an editor's account, reading: nothing here is theirs to change
    if info.st_gid == gid and info.st_mode & stat.S_ISGID:
        return
    share(data, gid)


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
