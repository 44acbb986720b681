"""What Fireside's SQLite stores share: how a database is opened, a transaction, migrations.

The chat store and the knowledge store each keep one connection, shared between threads
under a lock of their own; both open it the same way (WAL, foreign keys, a busy timeout),
write in explicit ``BEGIN IMMEDIATE`` transactions, and upgrade their schema with an ordered
list of named migrations counted by ``PRAGMA user_version``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

Migration = tuple[str, str]  # (name, SQL script)


def open_database(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), rows by column name."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return db


@contextmanager
def transaction(db: sqlite3.Connection, lock: threading.RLock) -> Iterator[sqlite3.Connection]:
    """One transaction: all of it is saved, or none of it."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def migrate(db: sqlite3.Connection, lock: threading.RLock, migrations: Sequence[Migration]) -> None:
    """Apply the migrations after the database's ``user_version``, each in its own
    transaction together with the version it brings."""
    with lock:
        for index in range(schema_version(db), len(migrations)):
            _name, script = migrations[index]
            try:
                db.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {index + 1};\nCOMMIT;"
                )
            except sqlite3.Error:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])
