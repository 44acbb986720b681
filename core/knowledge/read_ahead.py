"""Reading ahead: the next documents of an ingestion are read while the current ones embed.

Embedding is what an ingestion waits for; the rest (hashing a file, parsing it in the
parser process, cutting it into chunks and counting their tokens, deciding whether it is
unchanged) is work the engine's core need not wait for. :class:`ReadAhead` runs that part
on a thread of its own, a few documents ahead of the embedding (``depth``), so the engine
always has the next batch to embed, and batches can be filled with the chunks of several
documents. The bound keeps memory flat and limits what a kill loses: prepared documents are
not stored until their vectors are, and a resume reads them again.

Results come out in order; an exception raised by ``prepare`` (a cancel, a storage error, a
dead engine) is raised by :meth:`next` in the caller's thread, in its place. :meth:`stop`
ends the thread (``stopping`` tells a long ``prepare`` to give up) and waits for it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Final, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_DEPTH: Final = 2
_PUT_POLL_S: Final = 0.1


class _End:
    """Nothing more: every item was prepared."""


class NotReady:
    """:meth:`ReadAhead.next` within its timeout: the next result is still being prepared."""


NOT_READY: Final = NotReady()


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class ReadAhead(Generic[T, R]):
    """``prepare(index, item)`` of each item in turn, on one thread, up to ``depth``
    results ahead of the caller."""

    def __init__(
        self,
        items: Sequence[T],
        prepare: Callable[[int, T], R],
        *,
        depth: int = DEFAULT_DEPTH,
        stopping: threading.Event | None = None,
        name: str = "fireside-read-ahead",
    ) -> None:
        self.items = items
        self.prepare = prepare
        self.stopping = stopping or threading.Event()
        self._results: queue.Queue[R | _End | _Raised] = queue.Queue(maxsize=max(1, depth))
        self._ended = False
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def next(self, *, timeout: float | None = None) -> R | NotReady | None:
        """The next result, or None after the last one; NOT_READY when it is still being
        prepared after ``timeout`` seconds (None: wait for it)."""
        if self._ended:
            return None
        try:
            result = self._results.get(timeout=timeout)
        except queue.Empty:
            return NOT_READY
        if isinstance(result, _End):
            self._ended = True
            return None
        if isinstance(result, _Raised):
            self._ended = True
            raise result.error
        return result

    def stop(self) -> None:
        """End the thread: what it prepared and was not taken is dropped."""
        self.stopping.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):  # room for a result it waits to hand over
                self._results.get(timeout=_PUT_POLL_S)
        self._ended = True

    def _serve(self) -> None:
        try:
            for index, item in enumerate(self.items):
                if self.stopping.is_set():
                    return
                if not self._put(self.prepare(index, item)):
                    return
            self._put(_End())
        except BaseException as exc:  # handed to the caller's thread in its place
            self._put(_Raised(exc))

    def _put(self, result: R | _End | _Raised) -> bool:
        while not self.stopping.is_set():
            try:
                self._results.put(result, timeout=_PUT_POLL_S)
                return True
            except queue.Full:
                continue
        return False
