"""`intake doctor`: check everything a run needs, one line per check, before cron finds out."""

from __future__ import annotations

import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from intake.core.config import Settings, sender_address
from intake.core.errors import IntakeError
from intake.ledger import MIGRATIONS, Ledger
from intake.mail.smtp import SmtpTransport, TransportUnavailable
from intake.mail.templates import AUTHOR_TEMPLATES, SAMPLES, Notices, sample
from intake.sources.imap import ImapUnavailable, Mailbox


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    warn: bool = False  # works, but someone should look (not counted as a problem)

    def line(self) -> str:
        return f"{'FAIL' if not self.ok else 'WARN' if self.warn else 'ok  '}  {self.what}"


def run_checks(settings: Settings) -> Iterator[Check]:
    yield Check(True, f"settings {settings.path}")
    yield from _data_dir(settings)
    yield from _metrics(settings)
    yield from _privacy(settings)
    yield from _sharing(settings)
    yield from _templates(settings)
    yield _editors(settings)
    yield from _examples(settings)
    yield from _clock(settings)
    yield _triage(settings)
    if settings.imap is not None:
        yield from _imap(settings)
    else:
        yield Check(True, "no [imap]: poll is not configured (ingest still works)")
    yield from _smtp(settings)
    if settings.wordpress is not None:
        yield _wordpress(settings)


def _metrics(settings: Settings) -> Iterator[Check]:
    """The metrics file's folder, checked as a run checks it before starting."""
    if settings.intake.metrics_file is None:
        return
    from intake.pipeline.status import check_metrics

    try:
        check_metrics(settings)
    except IntakeError as exc:
        yield Check(False, str(exc))
        return
    yield Check(True, f"metrics_file {settings.intake.metrics_file}: its folder is writable "
                      f"(mode {settings.intake.metrics_mode}"
                      + (f", group {settings.intake.metrics_group}"
                         if settings.intake.metrics_group else "") + ")")


def _sharing(settings: Settings) -> Iterator[Check]:
    """With [intake] group, what editors in it need beside the data folder: a settings
    file they can read, which holds no secret (those live in password files)."""
    group = settings.intake.group
    if group is None:
        return
    import grp

    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        return  # said by the privacy check
    info = settings.path.stat()
    readable = (info.st_gid == gid and info.st_mode & 0o040) or info.st_mode & 0o004
    if not readable:
        yield Check(False, f"{settings.path} cannot be read by the group {group!r} (mode "
                           f"{stat.S_IMODE(info.st_mode):04o}): editors' commands stop at "
                           f"it; chgrp {group} {settings.path} && chmod 640 "
                           f"{settings.path} (keep passwords in password_file, mode 600)")
        return
    secret = [f"[{name}] {how}" for name, section in (("imap", settings.imap),
                                                        ("smtp", settings.smtp))
              if section is not None for how in ("password_env",)
              if getattr(section, how)]
    yield Check(True, f"{settings.path} is readable by the group {group!r}, and holds no "
                      "password" + (f" (note: {', '.join(secret)} reads the environment of "
                                    "intake's account only)" if secret else ""))


def _wordpress(settings: Settings) -> Check:
    """The WordPress login, and whether the user may do what publishing needs."""
    from intake.publish.wordpress import WordPress

    section = settings.wordpress
    assert section is not None
    try:
        me = WordPress(section).me()
    except IntakeError as exc:
        return Check(False, f"WordPress {section.url}: {exc}")
    can = me.get("capabilities") or {}
    needed = ["upload_files", "edit_posts"] + (
        ["publish_posts"] if section.status == "publish" else [])
    missing = [c for c in needed if not can.get(c)]
    roles = ", ".join(me.get("roles") or []) or "no role"
    if missing:
        return Check(False, f"WordPress {section.url}: {section.username!r} ({roles}) may not "
                            f"{', '.join(missing)}: give the user the editor role")
    return Check(True, f"WordPress {section.url}: signed in as {section.username!r} ({roles}); "
                       f"new posts are {section.status}")


_EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")


def _examples(settings: Settings) -> Iterator[Check]:
    """What `intake init` wrote and nobody changed yet: example servers and editors."""
    found = [f"[editors.{e.id}] {e.email}" for e in settings.editors
             if e.email.lower().endswith(_EXAMPLE_DOMAINS)]
    for name, section in (("imap", settings.imap), ("smtp", settings.smtp)):
        host = getattr(section, "host", None) if section is not None else None
        if host and host.lower().endswith(_EXAMPLE_DOMAINS):
            found.append(f"[{name}] host {host}")
    if found:
        yield Check(True, "still the example settings: " + ", ".join(found) + " (replace "
                          "them with your own, or remove the example editors)", warn=True)


def _clock(settings: Settings) -> Iterator[Check]:
    """A clock that went back would date mail and decisions wrongly: compare it with the
    newest moment the ledger recorded."""
    path = settings.data_dir / "intake.sqlite3"
    if not path.exists():
        return
    try:
        ledger = Ledger(path, readonly=True)
    except (IntakeError, sqlite3.Error):
        return  # the ledger check says what is wrong with it
    try:
        newest = ledger.newest_event_at()
    finally:
        ledger.close()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if newest and str(newest) > now:
        yield Check(True, f"this machine's clock ({now}) is earlier than the newest event in "
                          f"the ledger ({newest}): mail and decisions would be dated wrongly; "
                          "check the clock (timedatectl, NTP)", warn=True)


def _editors(settings: Settings) -> Check:
    if not settings.editors:
        # Not a failure: a one-person team can work without; but say what it means.
        return Check(True, "editors: none declared, so any --as name is accepted and "
                           "intake digest has nobody to write to ([editors.ID])")
    return Check(True, "editors: " + ", ".join(f"{e.id} <{e.email}>" for e in settings.editors))


def _triage(settings: Settings) -> Check:
    from intake.rules.learned import BUILTIN, ModelError, cached
    from intake.rules.site_model import model_path

    triage = settings.triage
    path = model_path(settings)
    if path is None:
        return Check(True, "triage: the phrase rules alone ([triage] model = \"off\")")
    try:
        model = cached(path)
    except ModelError as exc:
        hint = ("; `intake model rollback` puts back the one before it"
                if path != BUILTIN and triage.model == "builtin" else "")
        return Check(False, f"triage: {exc}{hint}")
    unknown = [k.name for k in settings.kinds if k.name not in model.labels]
    note = (f"; kinds it does not know, found by their phrases alone: {', '.join(unknown)}"
            if unknown else "")
    which = ("the built-in model" if path == BUILTIN else
             f"this site's retrained model {path}" if triage.model == "builtin" else str(path))
    return Check(True, f"triage: {which} ({model.about or 'no description'}), unsure below "
                       f"{triage.min_confidence}%{note}")


def _guard(what: str, check: Callable[[], str]) -> Check:
    try:
        return Check(True, f"{what}: {check()}")
    except (IntakeError, OSError) as exc:
        return Check(False, f"{what}: {exc}")


def _data_dir(settings: Settings) -> Iterator[Check]:
    def writable() -> str:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.data_dir, prefix=".doctor-"):
            pass
        return "writable"

    yield _guard(f"data_dir {settings.data_dir}", writable)

    def ledger() -> str:
        path = settings.data_dir / "intake.sqlite3"
        if not path.exists():
            return "not created yet (the first run creates it)"
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            count = db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
        except sqlite3.Error as exc:
            raise IntakeError(f"{path}: cannot be read as a ledger ({exc})") from exc
        finally:
            db.close()
        if version > len(MIGRATIONS):
            raise IntakeError(f"{path}: schema {version} is newer than this intake "
                              f"({len(MIGRATIONS)}): upgrade intake")
        upgrade = (f"; the next run upgrades it from schema {version} to {len(MIGRATIONS)}"
                   if version < len(MIGRATIONS) else "")
        return f"{count} submission(s){upgrade}"

    yield _guard("ledger", ledger)


def _privacy(settings: Settings) -> Iterator[Check]:
    """Manuscripts may describe patients, and passwords open the mailbox: say when other
    users of this machine can read either."""
    shown = False
    data = settings.data_dir
    for path in (data, data / "intake.sqlite3", data / "raw", data / "drafts"):
        mode = _mode(path)
        if mode is not None and mode & 0o007:
            shown = True
            yield Check(True, f"{path} can be read by other users of this machine (mode "
                              f"{mode:04o}): manuscripts may describe patients; run chmod -R "
                              f"go-rwx {data} (intake creates what is new private)", warn=True)
            break
    for name, section in (("imap", settings.imap), ("smtp", settings.smtp)):
        if section is None:
            continue
        mode = _mode(section.password_file) if section.password_file else None
        if mode is not None and mode & 0o077:
            shown = True
            yield Check(True, f"[{name}] password_file {section.password_file} can be read by "
                              f"others (mode {mode:04o}): chmod 600 {section.password_file}",
                        warn=True)
        command = (section.password_command or "").lstrip()
        if command.split(" ", 1)[0] in ("echo", "printf", "cat<<", "printf%s"):
            shown = True
            yield Check(True, f"[{name}] password_command writes the password into "
                              f"{settings.path}: keep it in a password_file (mode 600) or "
                              "password_env instead", warn=True)
    from intake.core.access import exposed_secrets

    exposed = exposed_secrets(data) if data.is_dir() else None
    if exposed:
        shown = True
        yield Check(True, exposed, warn=True)
    if settings.intake.group is not None:
        from intake.core.access import private_or_shared

        problem = private_or_shared(settings)
        shown = True
        yield (Check(True, problem, warn=True) if problem else
               Check(True, f"privacy: the data folder is shared with the group "
                           f"{settings.intake.group!r} (read-only), and no one else"))
    if not shown:
        yield Check(True, "privacy: the data folder and password files are private")


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def _templates(settings: Settings) -> Iterator[Check]:
    try:
        notices = Notices(settings)
    except IntakeError as exc:
        yield Check(False, f"templates: {exc}")
        return
    for name in notices.names():
        def render(name: str = name) -> str:
            # Every sample: a template must cope with no files, a problem, findings...
            subject = ""
            for sample_name in SAMPLES:
                subject = subject or notices.render(name, sample(sample_name)).subject
            return f"renders with all {len(SAMPLES)} samples: " + subject

        yield _guard(f"template {name}", render)
    for language in settings.languages.offered:
        if language == "en":
            continue
        translated = notices.names(language)

        def render_all(language: str = language, translated: list[str] = translated) -> str:
            for name in translated:
                for sample_name in SAMPLES:
                    notices.render(name, {**sample(sample_name), "language": language})
            return (f"{len(translated)} templates render with all {len(SAMPLES)} samples"
                    + (f"; in English: {', '.join(missing)}" if (missing := [
                        n for n in AUTHOR_TEMPLATES if n not in translated]) else ""))

        yield _guard(f"templates in {language}", render_all)


def _imap(settings: Settings) -> Iterator[Check]:
    section = settings.imap
    assert section is not None
    where = f"IMAP {section.host}:{section.port} ({section.security})"
    try:
        with Mailbox(section) as box, box.talking("checking folders"):
            yield Check(True, f"{where}: logged in as {section.username}")
            if box.prefix:
                yield Check(True, f"personal namespace: folders are under {box.prefix!r} "
                                  f"(separator {box.delimiter!r}), as the server says")
            # SELECT, as the run opens it: EXAMINE reports PERMANENTFLAGS () on Dovecot
            # and Cyrus, which both allow keywords. Selecting changes nothing by itself.
            state = box.select(section.folder, readonly=section.after != "keyword")
            yield Check(True, f"folder {section.folder}: {state.exists} message(s), "
                              f"UIDVALIDITY {state.uidvalidity}")
            if section.after == "move":
                yield _processed_folder(box, section.processed_folder)
            elif section.after == "keyword":
                yield Check(state.keywords_allowed,
                            f"keyword {section.keyword}: " + (
                                "allowed" if state.keywords_allowed else
                                "this server allows no custom keywords; use after = \"move\""))
    except (ImapUnavailable, IntakeError) as exc:
        yield Check(False, str(exc))


def _processed_folder(box: Mailbox, folder: str) -> Check:
    """The folder messages done go to: there, or creatable now. Rather than trust "will
    be created on first use", a folder that is missing is created and removed again,
    which is what the server will be asked; a refusal is said as the server says it."""
    name = box.server_name(folder)
    method = box.move_method()
    if box.c.folder_exists(name):
        return Check(True, f"processed_folder {folder} ({name!r} on the server): exists; "
                           f"messages done are {method}")
    try:
        box.ensure_folder(folder)
    except IntakeError as exc:
        return Check(False, f"processed_folder {folder}: {exc}; with a personal namespace "
                            "prefix the server names folders under it (intake adds it), "
                            "or the account lacks the right to create folders")
    try:
        box.c.delete_folder(name)
    except Exception:
        return Check(True, f"processed_folder {folder} ({name!r}): created now (it could "
                           f"not be removed again, and is left); messages done are {method}")
    return Check(True, f"processed_folder {folder} ({name!r} on the server): can be "
                       f"created (tried and removed again); messages done are {method}")


def _smtp(settings: Settings) -> Iterator[Check]:
    smtp = settings.smtp
    if smtp.transport == "file":
        def folder() -> str:
            assert smtp.file_dir is not None
            smtp.file_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=smtp.file_dir, prefix=".doctor-"):
                pass
            return "writable (transport = \"file\": nothing is really sent)"

        yield _guard(f"outgoing mail folder {smtp.file_dir}", folder)
        return
    where = f"SMTP {smtp.host}:{smtp.port} ({smtp.security})"
    try:
        with SmtpTransport(smtp, sender_address(settings).addr_spec):
            login = f"logged in as {smtp.username}" if smtp.username else "connected, no login"
            yield Check(True, f"{where}: {login}")
    except (TransportUnavailable, IntakeError) as exc:
        yield Check(False, str(exc))
