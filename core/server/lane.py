"""One request at a time on the engine, in the order they came.

The engine client runs one request at a time anyway; the lane makes the server's side of
that explicit: every engine job (a load, a generation from first to last token, an embedding
batch) runs on one thread of its own, first come first served, and a request that would wait
behind too many others is refused at once (503 with ``Retry-After``) instead of piling up.
The window's own chat does not go through the lane: it calls the engine client directly, and
the client makes a server job wait while a reply of the person's is streaming. With
``person_first`` (the window's server), a job waits to start while a turn of the person's is
in progress (core/server/priority.py), so the window's chat goes before queued requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from core.server.errors import ApiError
from core.server.priority import PersonFirst

T = TypeVar("T")


class EngineLane:
    """A single worker thread with a bounded queue of engine jobs."""

    def __init__(self, max_waiting: int = 8, retry_after_s: int = 2,
                 person_first: PersonFirst | None = None) -> None:  # fmt: skip
        self.max_waiting = max_waiting
        self.retry_after_s = retry_after_s
        self.person_first = person_first
        self._closing = threading.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fireside-serve")
        self._lock = threading.Lock()
        self._pending = 0  # running + waiting

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def submit(self, job: Callable[[], T]) -> Future[T]:
        """Queue a job; raises the 503 refusal when the queue is full."""
        with self._lock:
            if self._pending > self.max_waiting:
                raise ApiError(503, "server_busy", api_code="server_busy",
                               headers={"Retry-After": str(self.retry_after_s)},
                               waiting=self._pending)  # fmt: skip
            self._pending += 1
        try:
            return self._executor.submit(self._run, job)
        except RuntimeError:  # shut down meanwhile
            with self._lock:
                self._pending -= 1
            raise ApiError(503, "server_stopping", api_code="server_busy") from None

    def _run(self, job: Callable[[], T]) -> T:
        try:
            if self.person_first is not None:
                self.person_first.wait(self._closing)
            return job()
        finally:
            with self._lock:
                self._pending -= 1

    def stop_waiting(self) -> None:
        """The server is stopping: jobs no longer wait for the person's turn (they end at
        once: a queued generation is cancelled), so stopping never waits for a reply in the
        window."""
        self._closing.set()

    def close(self) -> None:
        """Drop waiting jobs; a running one ends when its generation is cancelled."""
        self._closing.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
