"""Chroma writes of an ingestion, on a thread of their own, behind the next document.

An ingestion commits each document to SQLite (the truth) and then mirrors its chunks into
Chroma. Chroma's insert costs CPU per vector (its HNSW graph, more as the index grows:
1-2 ms a vector at 10k-40k chunks here, an eighth of what embedding a short chunk costs),
and it holds Python's lock while it works. Done in line, that time is added to every
document; done here, it runs while the ingestion thread waits for the parser process and
the engine on the next document, so an ingestion keeps pace with the embedding model
(``bench.scale``). Documents that queue up while Chroma is busy are written together, in
fewer, larger upserts, which also cost less per vector.

Nothing is lost by the delay: SQLite already holds every committed chunk and its vector,
and :meth:`VectorIndex.sync` compares ids at the start of every ingestion (here, first in
the queue, while the first documents are read and embedded) and before the first search, so
a kill with documents still queued here is repaired from the store without embedding
anything again. The ingestion :meth:`flush`\\ es before it removes documents and before it
reports, so a finished job is in Chroma when it says so.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from core.knowledge.store import Collection
from core.knowledge.vectors import VectorIndex

MAX_MERGED: Final = 256  # ids in one merged upsert: each holds Python's lock for its length


@dataclass(frozen=True)
class _Change:
    collection: Collection
    added: tuple[str, ...]
    removed: tuple[str, ...]
    sync: bool = False  # compare the whole collection with the store and repair it


class IndexWriter:
    """Applies committed changes to a :class:`VectorIndex` in order, on one thread that
    lives while there is something to write (so an ingestion that ends leaves none behind).

    :meth:`submit` returns at once; :meth:`flush` waits until every change submitted so far
    is in Chroma and raises what a write raised (a later submit raises it too)."""

    def __init__(self, vectors: VectorIndex, *, max_merged: int = MAX_MERGED) -> None:
        self.vectors = vectors
        self.max_merged = max(1, max_merged)
        self._pending: deque[_Change] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.writes = 0  # upserts done (the tests and the benchmark read it)

    def submit(self, collection: Collection, added: Sequence[str],
               removed: Sequence[str]) -> None:  # fmt: skip
        self._enqueue(_Change(collection, tuple(added), tuple(removed)))

    def _enqueue(self, change: _Change) -> None:
        with self._cond:
            self._raise()
            self._pending.append(change)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="fireside-index-writer",
                                                daemon=True)  # fmt: skip
                self._thread.start()

    def sync(self, collection: Collection) -> None:
        """:meth:`VectorIndex.sync` the collection on this thread, before the changes
        submitted after it: an ingestion starts embedding at once rather than after Chroma
        has opened (seconds, the first time in a process) and compared every id. Whatever
        the sync finds committed already is written by it; the same document's own change
        then rewrites the same vectors, which is harmless."""
        self._enqueue(_Change(collection, (), (), sync=True))

    def flush(self, *, raise_errors: bool = True) -> None:
        """Wait until everything submitted is written (or given up after an error)."""
        with self._cond:
            while self._thread is not None:
                self._cond.wait()
            if raise_errors:
                self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _serve(self) -> None:
        while True:
            with self._cond:
                if not self._pending:
                    self._thread = None
                    self._cond.notify_all()
                    return
                change = self._take()
                failed = self._error is not None
            if failed:  # after a failure the rest waits for the next sync
                continue
            try:
                if change.sync:
                    self.vectors.sync(change.collection)
                    continue
                self.vectors.apply(change.collection, change.added, change.removed)
                self.writes += 1
            except BaseException as exc:  # handed to the ingestion thread at its next call
                with self._cond:
                    self._error = exc

    def _take(self) -> _Change:
        """The next change, merged with the additions to the same collection queued behind
        it (a removal is applied on its own, in its place)."""
        first = self._pending.popleft()
        if first.removed or first.sync:
            return first
        added = list(first.added)
        while (self._pending and not self._pending[0].removed and not self._pending[0].sync
               and self._pending[0].collection.id == first.collection.id
               and len(added) + len(self._pending[0].added) <= self.max_merged):  # fmt: skip
            added.extend(self._pending.popleft().added)
        return _Change(first.collection, tuple(added), ())
