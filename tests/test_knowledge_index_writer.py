"""An ingestion writes Chroma behind the next document (core/knowledge/index_writer.py), on
the real engine with the real MiniLM, real SQLite and real Chroma.

Chroma's insert holds Python's lock and costs CPU per vector, more as the index grows; done
in line it was added to every document, and ``bench.scale`` measured the ingestion falling
behind the embedding model because of it. These tests check the order of things, not
speed: the next document is embedded while a Chroma write is still under way, documents
that queued up meanwhile are written together, a failed write still fails the job, and
whatever the timing, Chroma ends up holding exactly the store's chunks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from core.engine.client import EngineClient
from core.knowledge.embedder import Embedder
from core.knowledge.ingest import Progress
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.store import Collection, KnowledgeStore
from core.knowledge.vectors import VectorIndex
from core.paths import AppPaths
from tests.documents import write_many

NOTES = 6


@pytest.fixture(scope="module")
def embedder(minilm_path: Path, engine_log: Path) -> Iterator[Embedder]:
    client = EngineClient(log_path=engine_log)
    try:
        yield Embedder(client, minilm_path, n_ctx=256, n_threads=1)
    finally:
        client.close()


class GatedIndex(VectorIndex):
    """The real Chroma index, whose first write waits until the ingestion has finished every
    other document (20 s at most): written in line, the ingestion could not go on."""

    def __init__(self, folder: Path, store: KnowledgeStore) -> None:
        super().__init__(folder, store)
        self.others_done = threading.Event()
        self.released = False  # the held write saw the other documents done
        self.writes: list[int] = []  # ids per write
        self.threads: set[str] = set()

    def apply(self, collection: Collection, added: Sequence[str],
              removed: Sequence[str]) -> None:  # fmt: skip
        self.threads.add(threading.current_thread().name)
        if not self.writes and added:
            self.released = self.others_done.wait(20)
        self.writes.append(len(added))
        super().apply(collection, added, removed)


def _gated_kb(paths: AppPaths) -> tuple[KnowledgeBase, GatedIndex]:
    kb = KnowledgeBase(paths)
    gated = GatedIndex(paths.vector_dir, kb.store)
    kb.index = gated
    return kb, gated


def test_the_next_document_is_embedded_while_chroma_writes(
    fireside_home: Path, tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "notes"
    write_many(folder, NOTES, sentences=3)
    paths = AppPaths.from_env().ensure()
    kb, gated = _gated_kb(paths)
    with kb:

        def watch(progress: Progress) -> None:
            if progress.outcome is not None and progress.documents_done == NOTES:
                gated.others_done.set()

        report = kb.ingestion(embedder, "default", on_progress=watch).run([folder])
        assert report.count("indexed") == NOTES
        # The first document's write was held until every other document was embedded
        # and committed: the ingestion went on without waiting for Chroma.
        assert gated.released
        assert threading.current_thread().name not in gated.threads
        # The documents that queued up behind the held write went in together.
        assert len(gated.writes) == 2 and sum(gated.writes) == report.chunks
        # Done means done: Chroma holds exactly the store's chunks when run() returns.
        collection = kb.store.collection("default")
        ids = kb.store.chunk_ids(collection.id)
        assert len(ids) == report.chunks and gated._ids(gated._collection(collection)) == ids


class FailingIndex(VectorIndex):
    def apply(self, collection: Collection, added: Sequence[str],
              removed: Sequence[str]) -> None:  # fmt: skip
        raise OSError("disk full")


def test_a_failed_chroma_write_still_fails_the_job_and_sync_repairs_it(
    fireside_home: Path, tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "notes"
    write_many(folder, 3, sentences=2)
    paths = AppPaths.from_env().ensure()
    with KnowledgeBase(paths) as kb:
        kb.index = FailingIndex(paths.vector_dir, kb.store)
        with pytest.raises(OSError, match="disk full"):
            kb.ingestion(embedder, "default").run([folder])
        assert kb.store.unfinished_jobs()  # the job is offered again
    with KnowledgeBase(paths) as kb:  # the next ingestion repairs Chroma from the store
        report = kb.ingestion(embedder, "default").run([folder])
        collection = kb.store.collection("default")
        ids = kb.store.chunk_ids(collection.id)
        assert ids and kb.index._ids(kb.index._collection(collection)) == ids
        assert report.count("indexed") + report.count("unchanged") == 3
