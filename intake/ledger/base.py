"""The ledger's connection: SQLite in WAL mode, explicit transactions, migrations.

Each entity's queries live in a module of their own (messages, mailboxes, submissions,
events, outbox); the Ledger class in __init__ puts them together on one connection.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from intake.core.access import account_name
from intake.core.errors import DamagedLedger, IntakeError, is_damaged_ledger
from intake.ledger.schema import MIGRATIONS


class LedgerError(IntakeError):
    pass


class NotWritable(LedgerError):
    """The ledger cannot be written by this account: an editor's account in the group
    ran a command that writes, or the data folder belongs to someone else."""

    def __init__(self, path: Path) -> None:
        owner = _owner(path if path.exists() else path.parent)
        me = account_name()
        super().__init__(
            f"{path} cannot be written by {me}: this command writes the ledger, which "
            f"belongs to {owner}'s account; run it as that account (runuser -u {owner} -- "
            "intake …, or sudo -u " + owner + " intake …)" if owner != me else
            f"{path} cannot be written: check the data folder's permissions "
            f"([intake] data_dir) and the free space")


def _owner(path: Path) -> str:
    try:
        return account_name(path.stat().st_uid)
    except OSError:
        return "intake"


def _unwritable(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class LedgerBase:
    def __init__(self, path: Path, readonly: bool = False) -> None:
        """readonly (dry runs): read the ledger if there is one, write nothing anywhere."""
        try:
            self._open(path, readonly)
        except sqlite3.DatabaseError as exc:
            if is_damaged_ledger(exc):
                raise DamagedLedger(path, exc) from exc
            raise

    def _open(self, path: Path, readonly: bool) -> None:
        self.path = path
        self._readonly = readonly
        self._depth = 0
        self._dirty: set[int] = set()  # submissions to index again before the commit
        if readonly:
            # No ledger yet: an empty one in memory answers every question the same way.
            target = f"file:{path}?mode=ro" if path.exists() else ":memory:"
            self.db = sqlite3.connect(target, uri=True, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            if target == ":memory:":
                self._migrate()
            elif (version := self.db.execute("PRAGMA user_version").fetchone()[0]) \
                    != len(MIGRATIONS):
                self.db.close()
                if version > len(MIGRATIONS):
                    raise LedgerError(f"{path}: the ledger is at schema {version}, newer than "
                                      f"this intake understands ({len(MIGRATIONS)}): upgrade "
                                      "intake")
                raise LedgerError(
                    f"{path}: the ledger is at schema {version} and this intake reads schema "
                    f"{len(MIGRATIONS)}: the next run that writes upgrades it, keeping "
                    "everything (intake poll, or intake send, as intake's account); "
                    "this command only reads, so it waits for that")
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE.
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self._writable(path)
        except (PermissionError, sqlite3.OperationalError) as exc:
            if isinstance(exc, sqlite3.OperationalError) and not _unwritable(exc):
                raise
            raise NotWritable(path) from exc
        # A data folder shared with a group (intake.core.access: setgid) is read by
        # editors who may not write in it; a WAL database cannot be read without creating
        # its -shm file, a rollback journal can. Kept (PERSIST), so no reader ever needs
        # to create one either.
        shared = bool(path.parent.stat().st_mode & stat.S_ISGID)
        self.db.execute("PRAGMA journal_mode=PERSIST" if shared else "PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a committed row survives power loss
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _writable(self, path: Path) -> None:
        """Whether this account may write the ledger: said at once, not at its first
        change (a journal it cannot create, a file of another account's)."""
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(path)
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise PermissionError(path.parent)

    def close(self) -> None:
        if not self._readonly:
            with contextlib.suppress(sqlite3.Error):  # never worth waiting for, or failing
                self.db.execute("PRAGMA busy_timeout = 50")
                self._keep_statistics()
        self.db.close()

    def _keep_statistics(self) -> None:
        """The query planner's statistics of the tables the queue reads, taken again
        (a bounded sample) when the number of submissions has doubled or halved since:
        a ledger that started empty would otherwise keep the plans of an empty table."""
        rows = self.db.execute("SELECT count(*) FROM submissions").fetchone()[0]
        known = self.db.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'submissions' "
                                "LIMIT 1").fetchone()
        counted = int(str(known[0]).split()[0]) if known else 0
        self.db.execute("PRAGMA analysis_limit = 400")
        if rows >= 100 and not counted / 2 <= rows <= counted * 2:
            self.db.execute("ANALYZE submissions")
            self.db.execute("ANALYZE events")
        self.db.execute("PRAGMA optimize")

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise LedgerError(
                f"{self.path}: the ledger is at schema {version}, newer than this intake "
                f"understands ({len(MIGRATIONS)}): upgrade intake")
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in step.sql.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                if step.carry is not None:
                    step.carry(self.db, self.path)
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction. Inside another, a savepoint: the desk checks a form's
        version and records its token in the same transaction as the change it makes
        through the editors' library, which opens its own."""
        if self.db.in_transaction:
            name = f"nested_{id(self)}_{self._depth}"
            self._depth += 1
            self.db.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                self.db.execute(f"ROLLBACK TO {name}")
                self.db.execute(f"RELEASE {name}")
                raise
            finally:
                self._depth -= 1
            self.db.execute(f"RELEASE {name}")
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._before_commit()
        except BaseException:
            self._dirty.clear()
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _before_commit(self) -> None:
        """What must change with whatever the transaction changed (ledger.search)."""
