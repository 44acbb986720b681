"""What Fireside's SQLite stores share: how a database is opened, a transaction, migrations,
what a person is told when the disk says no, and recovering a damaged database.

The chat store and the knowledge store each keep one connection, shared between threads
under a lock of their own; both open it the same way (WAL, foreign keys, a busy timeout),
write in explicit ``BEGIN IMMEDIATE`` transactions, and upgrade their schema with an ordered
list of named migrations counted by ``PRAGMA user_version``.

Faults. Every ``sqlite3`` error a store's public method meets becomes a
:class:`StorageError` with a message code (disk full, read-only, I/O error, busy, damaged),
so the CLI and the window say it in the person's language (:func:`storage_errors`). A
COMMIT that fails rolls the transaction back, so the connection stays usable once space is
freed. A database found damaged when it is opened (``file is not a database``, malformed,
or ``PRAGMA quick_check`` not ok) is set aside under a dated name with its ``-wal`` and
``-shm``, what SQLite can still read is copied into a fresh database (through the ``sqlite3``
program's ``.recover`` when it is installed, else row by row in Python), and the store
starts with a :class:`RecoveryReport` for the person.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from filelock import FileLock

from core.errors import FiresideError
from core.i18n import Translator

log = logging.getLogger(__name__)

Migration = tuple[str, str]  # (name, SQL script)
AfterRecovery = Callable[[sqlite3.Connection], None]
T = TypeVar("T")

# Databases up to this size are checked page by page (``PRAGMA quick_check``) at every
# open: about 5 ms per MB (bench.storage_open: 33 ms at 6 MB, 150 ms at 32 MB); larger ones
# only when damage was met while running (the marker file next to them), so a large
# knowledge base does not slow every start.
QUICK_CHECK_MAX_BYTES: Final = 32 << 20
RECOVER_TIMEOUT_S: Final = 600
# An I/O error on a disk with less free space than this is reported as a full disk.
FULL_BELOW_BYTES: Final = 1 << 20

# SQLite's primary result codes (the low byte of an extended code) -> message code.
_MESSAGE_CODES: Final[dict[int, str]] = {
    3: "storage_read_only",  # SQLITE_PERM
    5: "storage_busy",  # SQLITE_BUSY
    6: "storage_busy",  # SQLITE_LOCKED
    8: "storage_read_only",  # SQLITE_READONLY
    10: "storage_io_error",  # SQLITE_IOERR
    11: "storage_damaged",  # SQLITE_CORRUPT
    13: "storage_full",  # SQLITE_FULL
    14: "storage_cannot_open",  # SQLITE_CANTOPEN
    26: "storage_damaged",  # SQLITE_NOTADB
}
_DAMAGE_CODES: Final = (11, 26)


class StorageError(FiresideError):
    """A database that cannot be read or written: the disk is full or read-only, it
    reported an I/O error, another process holds the database, or the file is damaged."""


@dataclass(frozen=True)
class RecoveryReport:
    """A damaged database was set aside and what SQLite could read was kept: for the
    person (the CLI prints :meth:`message`, the window shows it once)."""

    path: Path  # the database, now a fresh one
    damaged: Path  # where the damaged file was set aside (with its -wal and -shm)
    method: str  # "sqlite3 .recover" or "row salvage"
    rows: int  # rows copied into the fresh database
    reason: str  # what SQLite said was wrong

    def message(self, translate: Translator) -> str:
        return translate("storage_recovered", name=self.path.name, backup=self.damaged,
                         rows=self.rows)  # fmt: skip


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_damage(exc: sqlite3.Error) -> bool:
    return _primary_code(exc) in _DAMAGE_CODES


def damage_marker(path: Path) -> Path:
    """Left next to a database when damage is met while running: the next open checks it
    page by page whatever its size."""
    return path.with_name(path.name + ".damaged")


def storage_error(exc: sqlite3.Error, path: Path) -> StorageError:
    """The person-facing error for what SQLite said about ``path``."""
    primary = _primary_code(exc)
    if primary in _DAMAGE_CODES:
        try:
            damage_marker(path).touch()
        except OSError:  # a read-only or full disk: the open-time check still runs on small files
            log.debug("could not mark %s as damaged", path)
    code = _MESSAGE_CODES.get(primary if primary is not None else -1, "storage_failed")
    if primary in (8, 10) and _free_bytes(path.parent) < FULL_BELOW_BYTES:
        # SQLite says I/O error when the -shm file cannot grow, read-only when the database
        # had to be opened for reading only: on a full disk, the full disk is the reason.
        code = "storage_full"
    log.info("%s: %s (%s)", path, exc, getattr(exc, "sqlite_errorname", "?"))
    return StorageError(code, path=str(path), reason=str(exc))


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 1 << 62


def storage_errors(cls: type[T]) -> type[T]:
    """Make every public method of a store report ``sqlite3`` errors as :class:`StorageError`
    (the store must have a ``path``). One place, rather than a try in every method."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _translating(member))
    return cls


def _translating(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generator(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise storage_error(exc, self.path) from exc

        return generator

    @functools.wraps(method)
    def plain(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from exc

    return plain


def open_database(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), rows by column name."""
    db = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, check_same_thread=False,
                         isolation_level=None)  # fmt: skip
    try:
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _enter_wal(db, busy_timeout_ms)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        db.close()
        raise
    return db


def _enter_wal(db: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """Switch to WAL, waiting out other processes doing the same. SQLite answers BUSY to a
    journal-mode change at once, without its busy handler, while another connection is
    converting or recovering the same file: three first starts at one moment made one of
    them fail with "in use by another program". So it is retried here, for as long as the
    busy timeout would have waited."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if (code is not None and code & 0xFF not in (5, 6)) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back whatever is open. SQLite may already have rolled back by itself (after a
    full disk or an I/O error), and then ROLLBACK fails harmlessly."""
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            log.debug("rollback after a failed transaction failed", exc_info=True)


@contextmanager
def transaction(db: sqlite3.Connection, lock: threading.RLock) -> Iterator[sqlite3.Connection]:
    """One transaction: all of it is saved, or none of it. A COMMIT that fails (disk full,
    I/O error, busy) is rolled back before the error goes on: left open, it would make every
    later BEGIN on this connection fail, wedging the store for the rest of the session."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            _rollback(db)
            raise
        try:
            db.execute("COMMIT")
        except BaseException:
            _rollback(db)
            raise


def migrate(db: sqlite3.Connection, lock: threading.RLock, migrations: Sequence[Migration]) -> None:
    """Apply the migrations after the database's ``user_version``, each in its own
    transaction together with the version it brings."""
    with lock:
        if schema_version(db) >= len(migrations):
            return
        # Two processes starting at once would both read the old version and both run the
        # same migration ("table already exists"). The version is read again under a lock
        # beside the database, which the other process holds until it has committed.
        with _migration_lock(db):
            for index in range(schema_version(db), len(migrations)):
                _name, script = migrations[index]
                try:
                    db.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {index + 1};\nCOMMIT;"
                    )
                except sqlite3.Error:
                    _rollback(db)
                    raise


@contextmanager
def _migration_lock(db: sqlite3.Connection) -> Iterator[None]:
    """A file lock beside the database while it is migrated (none for an in-memory one)."""
    row = db.execute("PRAGMA database_list").fetchone()
    path = row[2] if row is not None else ""
    if not path:
        yield
        return
    with FileLock(f"{path}.migrate.lock", timeout=120):
        yield


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


# ---- opening, with damage found and recovered ------------------------------------------


class _Damaged(Exception):
    pass


@dataclass(frozen=True)
class StoreOpening:
    """How a store opens its database: its schema, and what to rebuild after a recovery
    (indexes kept in virtual tables, which are not copied)."""

    path: Path
    busy_timeout_ms: int
    migrations: Sequence[Migration]
    after_recovery: AfterRecovery | None = None
    # The sqlite3 program for ``.recover`` (default: the one on PATH); None: salvage rows
    # in Python.
    sqlite3_program: str | None = field(default_factory=lambda: shutil.which("sqlite3"))


def open_store(
    opening: StoreOpening, lock: threading.RLock
) -> tuple[sqlite3.Connection, RecoveryReport | None]:
    """Open (creating or upgrading) a store's database. A damaged one is set aside and
    recovered into a fresh one, and the report says so; any other failure (read-only, full,
    busy) is a :class:`StorageError`."""
    path = opening.path
    try:
        return _open_checked(opening, lock), None
    except _Damaged as damage:
        reason = str(damage)
    except StorageError as refused:
        if refused.code not in _READ_ONLY_FALLBACK:
            raise
        try:  # a full or read-only disk: what is saved can still be read
            if _size(path) > 0:
                return _open_read_only(opening), None
            return _open_empty_read_only(opening, lock), None  # nothing saved yet
        except sqlite3.Error:
            raise refused from None
    log.info("%s is damaged (%s); setting it aside and recovering it", path, reason)
    try:
        report = recover_database(opening, lock, reason)
        return _open_checked(opening, lock), report
    except _Damaged as again:
        raise StorageError("storage_damaged", path=str(path), reason=str(again)) from None
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from exc
    except OSError as exc:
        raise StorageError("storage_failed", path=str(path), reason=exc.strerror or exc) from exc


_READ_ONLY_FALLBACK: Final = ("storage_full", "storage_read_only", "storage_cannot_open",
                               "storage_io_error")  # fmt: skip


def _open_read_only(opening: StoreOpening) -> sqlite3.Connection:
    """The database when it cannot be opened the usual way (a full or read-only disk), so
    what is saved can still be read. Exclusive locking keeps SQLite's WAL index in memory:
    it needs no ``-shm`` file, which such a disk cannot give. Failing that (a read-only
    disk), a database closed cleanly (no ``-wal``) is read as immutable. Writes then fail,
    each with its one-line message."""
    path = opening.path
    attempts = [(str(path), False)]
    if not _with_suffix(path, "-wal").exists():
        attempts.append((path.resolve().as_uri() + "?mode=ro&immutable=1", True))
    failure: sqlite3.Error | None = None
    for target, uri in attempts:
        db = sqlite3.connect(target, uri=uri, check_same_thread=False, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            db.execute(f"PRAGMA busy_timeout = {int(opening.busy_timeout_ms)}")
            if schema_version(db) != len(opening.migrations):
                raise sqlite3.OperationalError("the schema needs an upgrade it cannot be given")
            db.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            db.close()
            failure = exc
            continue
        log.info("%s opened for reading only", path)
        return db
    assert failure is not None
    raise failure


def _open_empty_read_only(opening: StoreOpening, lock: threading.RLock) -> sqlite3.Connection:
    """An empty database of the current schema in memory, for reading only, when the file
    could not even be created (a full or read-only disk before anything was saved): the
    app starts, and the first write says why it cannot be saved."""
    db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    migrate(db, lock, opening.migrations)
    db.execute("PRAGMA query_only = ON")
    log.info("%s could not be created; an empty one is used for reading", opening.path)
    return db


def _open_checked(opening: StoreOpening, lock: threading.RLock) -> sqlite3.Connection:
    path = opening.path
    db: sqlite3.Connection | None = None
    try:
        db = open_database(path, opening.busy_timeout_ms)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the schema
        marker = damage_marker(path)
        if marker.exists() or _size(path) <= QUICK_CHECK_MAX_BYTES:
            problems = [str(r[0]) for r in db.execute("PRAGMA quick_check(5)").fetchall()]
            if problems != ["ok"]:
                raise _Damaged("; ".join(problems))
            marker.unlink(missing_ok=True)
        migrate(db, lock, opening.migrations)
        return db
    except sqlite3.Error as exc:
        if db is not None:
            db.close()
        if is_damage(exc):
            raise _Damaged(str(exc)) from exc
        raise storage_error(exc, path) from exc
    except BaseException:
        if db is not None:
            db.close()
        raise


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _with_suffix(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def recover_database(opening: StoreOpening, lock: threading.RLock, reason: str) -> RecoveryReport:
    """Set the damaged database aside (renamed with the date and time, with its -wal and
    -shm, never deleted) and copy what can be read into a fresh one at the same path."""
    path = opening.path
    stamp = time.strftime("%Y%m%d-%H%M%S")
    damaged = _with_suffix(path, f".damaged-{stamp}")
    n = 2
    while damaged.exists():
        damaged, n = _with_suffix(path, f".damaged-{stamp}-{n}"), n + 1
    for suffix in ("", "-wal", "-shm"):
        if _with_suffix(path, suffix).exists():
            os.replace(_with_suffix(path, suffix), _with_suffix(damaged, suffix))
    with tempfile.TemporaryDirectory(prefix=".recover-", dir=path.parent) as work:
        source, method = _readable_copy(damaged, Path(work), opening.sqlite3_program)
        fresh = open_database(path, opening.busy_timeout_ms)
        try:
            migrate(fresh, lock, opening.migrations)
            rows = _copy_rows(source, fresh, opening.after_recovery)
        finally:
            fresh.close()
            source.close()
    damage_marker(path).unlink(missing_ok=True)
    log.info("%s recovered by %s: %d rows; damaged file kept as %s", path, method, rows,
                damaged)  # fmt: skip
    return RecoveryReport(path, damaged, method, rows, reason)


def _readable_copy(
    damaged: Path, work: Path, program: str | None
) -> tuple[sqlite3.Connection, str]:
    """A connection to what can be read of ``damaged``: the database the ``sqlite3``
    program's ``.recover`` rebuilds from every page it can parse, else a copy of the damaged
    file itself (read row by row, skipping what fails). The set-aside file is never opened
    for writing (opening a WAL database could checkpoint into it)."""
    copy = work / "damaged.sqlite3"
    shutil.copyfile(damaged, copy)
    if _with_suffix(damaged, "-wal").exists():
        shutil.copyfile(_with_suffix(damaged, "-wal"), _with_suffix(copy, "-wal"))
    _square(copy)
    if program is not None:
        salvage = work / "recovered.sqlite3"
        try:
            # .recover reports what it could not parse with a non-zero exit and still
            # writes everything it could: its output is used whatever the exit code.
            dump = subprocess.run([program, str(copy), ".recover"], capture_output=True,
                                  timeout=RECOVER_TIMEOUT_S, check=False)  # fmt: skip
            subprocess.run([program, str(salvage)], input=dump.stdout, capture_output=True,
                           timeout=RECOVER_TIMEOUT_S, check=False)  # fmt: skip
            db = sqlite3.connect(salvage, isolation_level=None)
            if _tables(db):
                return db, "sqlite3 .recover"
            db.close()
            log.info("sqlite3 .recover found no tables; salvaging rows in Python")
        except (OSError, subprocess.SubprocessError, sqlite3.Error) as exc:
            log.info("sqlite3 .recover failed (%s); salvaging rows in Python", exc)
    return sqlite3.connect(copy, isolation_level=None), "row salvage"


_HEADER: Final = b"SQLite format 3\x00"


def _square(copy: Path) -> None:
    """Make a cut-short copy readable: whole pages only, and a header that counts the pages
    the file has (SQLite calls a file whose header counts more pages than it holds
    malformed before reading a single row)."""
    with copy.open("r+b") as handle:
        header = handle.read(100)
        if len(header) < 100 or not header.startswith(_HEADER):
            return
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        if page_size < 512 or page_size & (page_size - 1):
            return
        size = copy.stat().st_size
        pages = size // page_size
        if pages == 0:
            return
        handle.truncate(pages * page_size)
        if int.from_bytes(header[28:32], "big") > pages:
            handle.seek(28)
            handle.write(pages.to_bytes(4, "big"))


def _tables(db: sqlite3.Connection) -> list[str]:
    """Ordinary tables in creation order, without virtual tables and their shadow tables
    (full-text indexes are rebuilt from their content, not copied)."""
    rows = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY rowid"
    ).fetchall()
    virtual = [name for name, sql in rows if str(sql or "").upper().startswith("CREATE VIRTUAL")]
    return [
        name
        for name, _sql in rows
        if name not in virtual and not any(name.startswith(v + "_") for v in virtual)
    ]


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in db.execute(f'PRAGMA table_info("{table}")').fetchall()]


def _readable_rows(
    db: sqlite3.Connection, table: str, columns: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """Every row of ``table`` that can be read, in rowid order. A damaged page stops a scan;
    the scan then resumes past it (skipping ever larger gaps), so one bad page loses the
    rows it held, not the rest of the table."""
    names = ", ".join(f'"{c}"' for c in columns)
    query = f'SELECT rowid, {names} FROM "{table}" WHERE rowid > ? ORDER BY rowid'
    after = -(2**63)
    step = 1
    for _attempt in range(64):
        try:
            for row in db.execute(query, (after,)):
                after = int(row[0])
                step = 1
                yield tuple(row[1:])
            return
        except sqlite3.Error:
            if after == -(2**63):
                try:
                    after = int(db.execute(f'SELECT min(rowid) FROM "{table}"').fetchone()[0]) - 1
                except (sqlite3.Error, TypeError):
                    return
            after += step
            step *= 2


def _copy_rows(
    source: sqlite3.Connection, target: sqlite3.Connection, after: AfterRecovery | None
) -> int:
    """Copy every readable row of the tables both databases have into ``target`` (fresh,
    at the current schema), in one transaction; rows that break a constraint are skipped.
    Foreign keys are off while copying (a parent may be the row that was lost) and
    ``after`` mends what points nowhere and rebuilds the indexes."""
    try:
        source_tables = set(_tables(source))
    except sqlite3.Error:
        return 0  # not even the schema can be read: nothing to salvage
    copied = 0
    target.execute("PRAGMA foreign_keys = OFF")
    target.execute("BEGIN IMMEDIATE")
    try:
        for table in _tables(target):
            if table not in source_tables:
                continue
            try:
                wanted = set(_columns(source, table))
            except sqlite3.Error:
                continue
            columns = [c for c in _columns(target, table) if c in wanted]
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" * len(columns))
            insert = f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({marks})'
            for row in _readable_rows(source, table, columns):
                try:
                    copied += target.execute(insert, row).rowcount
                except sqlite3.Error:
                    continue
        if after is not None:
            after(target)
        target.execute("COMMIT")
    except BaseException:
        _rollback(target)
        raise
    finally:
        target.execute("PRAGMA foreign_keys = ON")
    return copied
