"""The vector index: Chroma, holding one vector per chunk, keyed by the chunk's id.

Chroma runs embedded (``PersistentClient`` in the data folder) with anonymized telemetry off
and without an embedding function of its own: Fireside passes every vector in, so Chroma
never loads, let alone downloads, its default ONNX model. Writes go in batches no larger than
Chroma's own maximum.

Chroma is an index, not a store. Each knowledge collection has one Chroma collection per
embedding model (the model is part of its name), so vectors of two models can never mix.
:meth:`VectorIndex.sync` compares each collection with the knowledge database and repairs
the difference from the vectors stored there (id by id): after a kill between the SQLite
commit and the Chroma write (the collection is marked dirty until Chroma has the change),
after the folder was deleted, or, when Chroma cannot even open its folder, by rebuilding it
from scratch. A query that fails mid-chat rebuilds only its own collection.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from core.knowledge.store import Collection, KnowledgeStore

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def _serialized(method: Callable[P, R]) -> Callable[P, R]:
    """Run under the index's lock: the window ingests on one thread while a chat retrieves
    on another, and opening Chroma, its collection cache and a rebuild must not interleave."""

    @functools.wraps(method)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        with args[0]._lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return locked


@dataclass(frozen=True)
class SyncReport:
    """What :meth:`VectorIndex.sync` had to do; all zero when the index was in order."""

    rebuilt: bool = False  # the folder could not be opened and was made anew
    added: int = 0
    removed: int = 0

    @property
    def repaired(self) -> bool:
        return self.rebuilt or self.added > 0 or self.removed > 0


def chroma_name(collection_id: int, model_key: str) -> str:
    digest = hashlib.sha1(model_key.encode("utf-8")).hexdigest()[:12]
    return f"fireside-{collection_id}-{digest}"


class VectorIndex:
    """Chroma in ``folder``; every write is mirrored from a :class:`KnowledgeStore`."""

    def __init__(self, folder: Path, store: KnowledgeStore) -> None:
        self.folder = folder
        self.store = store
        self._client: Any = None
        self._collections: dict[str, Any] = {}
        self.rebuilt = False
        self._lock = threading.RLock()

    # ---- lifetime ----------------------------------------------------------------------

    def _open(self) -> Any:
        if self._client is not None:
            return self._client
        try:
            self._client = self._connect()
            self._client.list_collections()  # reads the folder: fails if it is damaged
        except Exception as exc:  # Chroma raises many types for a damaged folder
            log.warning("vector index at %s unusable (%s); rebuilding it", self.folder, exc)
            self._start_afresh()
        return self._client

    def _start_afresh(self) -> None:
        """Delete the folder and open an empty index (the store refills it)."""
        self._discard()
        self._forget_cached_system()
        shutil.rmtree(self.folder, ignore_errors=True)
        self._client = self._connect()
        self.rebuilt = True

    def _forget_cached_system(self) -> None:
        """Chroma keeps one running system per folder for the whole process, even one that
        failed to start; forget ours, or every new client would reuse the broken one."""
        try:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient._identifier_to_system.pop(str(self.folder), None)
            SharedSystemClient._identifier_to_refcount.pop(str(self.folder), None)
        except (ImportError, AttributeError):  # a Chroma without this cache: nothing to do
            log.debug("no Chroma system cache to clear")

    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings

        self.folder.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            path=str(self.folder),
            settings=Settings(anonymized_telemetry=False, allow_reset=False),
        )

    def _discard(self) -> None:
        client, self._client = self._client, None
        self._collections.clear()
        if client is not None:
            try:
                client.close()
            except Exception:  # closing a broken client must not hide the real problem
                log.debug("closing Chroma failed", exc_info=True)

    @_serialized
    def open(self) -> None:
        """Open Chroma now rather than at the first search or ingestion. Its first import
        and start hold Python's lock for tens of milliseconds at a time, which a window
        would feel in the middle of a reply; an app calls this in the background at start."""
        self._open()

    @_serialized
    def close(self) -> None:
        self._discard()

    @property
    def max_batch(self) -> int:
        return max(1, int(self._open().get_max_batch_size()))

    def _collection(self, collection: Collection, create: bool = True) -> Any:
        if collection.embedding_model is None:
            return None
        name = chroma_name(collection.id, collection.embedding_model)
        found = self._collections.get(name)
        if found is not None:
            return found
        client = self._open()
        if create:
            found = client.get_or_create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"fireside_collection": collection.name,
                          "embedding_model": collection.embedding_model},
            )  # fmt: skip
        else:
            try:
                found = client.get_collection(name, embedding_function=None)
            except Exception:
                return None
        self._collections[name] = found
        return found

    # ---- writing -----------------------------------------------------------------------

    @_serialized
    def apply(self, collection: Collection, added: Sequence[str], removed: Sequence[str]) -> None:
        """Mirror one committed change (a document added, replaced or removed) into Chroma,
        from the vectors the store holds, then clear the collection's dirty mark."""
        target = self._collection(collection)
        if target is None:
            return
        gone = [i for i in removed if i not in set(added)]
        for start in range(0, len(gone), self.max_batch):
            target.delete(ids=list(gone[start : start + self.max_batch]))
        self._upsert(target, collection, list(added))
        self.store.set_vectors_dirty(collection.id, False)

    def _upsert(self, target: Any, collection: Collection, ids: Sequence[str] | None) -> int:
        written = 0
        batch = self.max_batch
        model = collection.embedding_model or ""
        for chunk_ids, vectors in self.store.vectors(collection.id, model, ids, batch=batch):
            target.upsert(ids=chunk_ids, embeddings=vectors)
            written += len(chunk_ids)
        return written

    @_serialized
    def drop(self, collection: Collection) -> None:
        """Forget a collection's vectors for its current model (before a re-embedding)."""
        if collection.embedding_model is None:
            return
        name = chroma_name(collection.id, collection.embedding_model)
        self._collections.pop(name, None)
        try:
            self._open().delete_collection(name)
        except Exception:  # not there: nothing to drop
            log.debug("no Chroma collection %s to drop", name)

    # ---- repairing ---------------------------------------------------------------------

    @_serialized
    def sync(self, collection: Collection, *, force: bool = False) -> SyncReport:
        """Make Chroma hold exactly the collection's chunks: their ids are compared, not
        their counts (a lost vector and a stray one count the same). ``force`` is kept for
        callers that mean "whatever the marks say"; the ids are always compared."""
        self._open()
        rebuilt = self.rebuilt
        target = self._collection(collection)
        if target is None:
            return SyncReport()
        present = self._ids(target)
        wanted = self.store.chunk_ids(collection.id)
        if present == wanted and not rebuilt:
            if collection.vectors_dirty:
                self.store.set_vectors_dirty(collection.id, False)
            return SyncReport()
        extra = sorted(present - wanted)
        missing = sorted(wanted - present)
        for start in range(0, len(extra), self.max_batch):
            target.delete(ids=extra[start : start + self.max_batch])
        added = self._upsert(target, collection, missing) if missing else 0
        self.store.set_vectors_dirty(collection.id, False)
        if extra or missing:
            log.info("vector index for %s repaired: +%d -%d", collection.name, added, len(extra))
        return SyncReport(rebuilt=rebuilt, added=added, removed=len(extra))

    @_serialized
    def sync_all(self) -> SyncReport:
        """:meth:`sync` every collection; the reports added up."""
        added = removed = 0
        for collection in self.store.collections():
            report = self.sync(collection)
            added += report.added
            removed += report.removed
        return SyncReport(rebuilt=self.rebuilt, added=added, removed=removed)

    @_serialized
    def repair(self, collection: Collection) -> int:
        """A query on one collection failed: rebuild that collection alone from the stored
        vectors. The other collections, and the folder, are left as they are (wiping the
        whole index mid-chat would make every collection unsearchable until refilled)."""
        self._collections.pop(chroma_name(collection.id, collection.embedding_model or ""), None)
        return self.rebuild(collection)

    @_serialized
    def rebuild(self, collection: Collection) -> int:
        """Drop and refill a collection's Chroma index from the stored vectors."""
        self.drop(collection)
        target = self._collection(collection)
        if target is None:
            return 0
        written = self._upsert(target, collection, None)
        self.store.set_vectors_dirty(collection.id, False)
        return written

    def _ids(self, target: Any) -> set[str]:
        ids: set[str] = set()
        page = 10_000
        offset = 0
        while True:
            got = target.get(include=[], limit=page, offset=offset)["ids"]
            ids.update(got)
            if len(got) < page:
                return ids
            offset += page

    @_serialized
    def count(self, collection: Collection) -> int:
        target = self._collection(collection, create=False)
        return int(target.count()) if target is not None else 0

    # ---- searching ---------------------------------------------------------------------

    @_serialized
    def query(self, collection: Collection, vector: Sequence[float] | np.ndarray,
              k: int) -> list[tuple[str, float]]:  # fmt: skip
        """(chunk id, cosine similarity) of the ``k`` nearest chunks."""
        target = self._collection(collection, create=False)
        if target is None:
            return []
        available = target.count()
        if available == 0:
            return []
        import numpy as np  # here: the window starts without numpy

        result = target.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(k, available),
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=False)]
