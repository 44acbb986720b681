"""One data folder, one owner: the lock that keeps two processes from writing at once.

Chroma is not safe across processes, an ingestion resumed by two processes embeds
everything twice, and two windows load the model twice. So a process that writes takes the
data folder's lock first: the window for as long as it runs, a writing CLI command for as
long as it works. Commands that only read (listing chats, searching them, listing models)
take no lock and work while the window is open.

The lock is an OS file lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on
``data/fireside.lock``: the kernel releases it when its process dies, so a lock left by a
killed process is recovered without any clean-up. Who holds it (process id, window or which
command) is written beside it in ``data/fireside.owner.json`` for the messages; that file is
advisory only and is overwritten by the next owner.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, Literal

LOCK_NAME: Final = "fireside.lock"
OWNER_NAME: Final = "fireside.owner.json"
OwnerKind = Literal["window", "cli"]


@dataclass(frozen=True)
class LockOwner:
    """The process that holds the lock, as far as it said."""

    pid: int
    kind: OwnerKind
    command: str
    started: float

    @classmethod
    def from_json(cls, data: Any) -> LockOwner | None:
        if not isinstance(data, dict):
            return None
        pid, kind, command = data.get("pid"), data.get("kind"), data.get("command", "")
        started = data.get("started", 0.0)
        if not isinstance(pid, int) or kind not in ("window", "cli"):
            return None
        if not isinstance(command, str) or not isinstance(started, int | float):
            return None
        return cls(pid, kind, command[:200], float(started))


class DataFolderBusy(Exception):
    """Another process owns the data folder; ``owner`` says who, when it said."""

    def __init__(self, owner: LockOwner | None) -> None:
        super().__init__(f"data folder in use by {owner}")
        self.owner = owner


class DataFolderLock:
    """The lock on one data folder. ``acquire`` returns at once or raises ``DataFolderBusy``;
    ``wait`` retries until the lock is free (the caller shows a message while it waits)."""

    def __init__(self, data_dir: Path, kind: OwnerKind, command: str = "") -> None:
        self.data_dir = data_dir
        self.kind = kind
        self.command = command
        self._handle: IO[bytes] | None = None

    @property
    def lock_file(self) -> Path:
        return self.data_dir / LOCK_NAME

    @property
    def owner_file(self) -> Path:
        return self.data_dir / OWNER_NAME

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> DataFolderLock:
        if self._handle is not None:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        handle = self.lock_file.open("a+b")
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise DataFolderBusy(self.owner()) from None
        self._handle = handle
        owner = {"pid": os.getpid(), "kind": self.kind, "command": self.command,
                 "started": time.time()}  # fmt: skip
        try:
            temporary = self.owner_file.with_suffix(".tmp")
            temporary.write_text(json.dumps(owner), encoding="utf-8")
            os.replace(temporary, self.owner_file)
        except OSError:
            pass  # advisory only: a message will then not name the owner
        return self

    def wait(
        self,
        on_busy: Callable[[LockOwner | None], None] | None = None,
        *,
        poll_s: float = 0.25,
        timeout_s: float | None = None,
    ) -> DataFolderLock:
        """Acquire, waiting while another process holds the lock. ``on_busy`` is called
        once, with the owner, when the first try fails; Ctrl-C ends the wait as usual."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        told = False
        while True:
            try:
                return self.acquire()
            except DataFolderBusy as busy:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                if not told and on_busy is not None:
                    on_busy(busy.owner)
                told = True
            time.sleep(poll_s)

    def owner(self) -> LockOwner | None:
        try:
            data = json.loads(self.owner_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return LockOwner.from_json(data)

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            mine = self.owner()
            if mine is not None and mine.pid == os.getpid():
                self.owner_file.unlink(missing_ok=True)
        except OSError:
            pass
        _unlock(self._handle)
        self._handle.close()
        self._handle = None

    def __enter__(self) -> DataFolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        with contextlib.suppress(OSError):
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
