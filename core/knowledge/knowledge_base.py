"""The knowledge base: the store and the vector index of one Fireside home, opened together.

This is what the CLI (and later the window) holds: it opens the SQLite store and the Chroma
folder from :class:`AppPaths`, hands them to an :class:`Ingestion` or a :class:`Retriever`,
and does the operations that need both (removing a document, re-indexing). Opening Chroma is
deferred until something needs vectors, so listing documents stays quick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.knowledge.collections import CollectionModels, check_name
from core.knowledge.embedder import Embedder
from core.knowledge.errors import DocumentNotFound
from core.knowledge.ingest import Ingestion, Progress
from core.knowledge.language_check import model_languages
from core.knowledge.readers.base import ReadLimits
from core.knowledge.rerank import Reranker
from core.knowledge.retrieval import Retriever
from core.knowledge.store import Collection, Document, KnowledgeStore
from core.knowledge.vectors import SyncReport, VectorIndex
from core.paths import AppPaths


@dataclass(frozen=True)
class ReindexReport:
    collection: str
    chunks: int  # vectors now in Chroma
    embedded: int  # chunks embedded again (0 when the stored vectors were reused)
    model: str | None


class KnowledgeBase:
    """The store and the vector index together."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self.store = KnowledgeStore(paths.knowledge_db)
        self.index = VectorIndex(paths.vector_dir, self.store)
        self.repairs: SyncReport | None = None  # what the first retriever's check repaired

    def close(self) -> None:
        self.index.close()
        self.store.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reading -----------------------------------------------------------------------

    def collections(self) -> list[Collection]:
        return self.store.collections()

    def documents(self, collection: str | None = None) -> list[Document]:
        if collection is not None:
            self.store.collection(collection)  # raises for an unknown name
        return self.store.documents(collection)

    def find(self, document: str, collection: str | None = None) -> Document:
        """A document by id, or by path (as given or made absolute)."""
        candidates = self.documents(collection)
        if document.isdigit():
            found = [d for d in candidates if d.id == int(document)]
        else:
            absolute = str(Path(document).expanduser().absolute())
            found = [d for d in candidates if d.path in (document, absolute)]
        if len(found) != 1:
            raise DocumentNotFound("kb_document_not_found", document=document)
        return found[0]

    def warm_up(self) -> None:
        """Open the vector index ahead of need (see :meth:`VectorIndex.open`)."""
        self.index.open()

    def check_vectors(self) -> SyncReport:
        """Repair the vector index from the store if it is missing, damaged or behind."""
        return self.index.sync_all()

    # ---- doing -------------------------------------------------------------------------

    def ingestion(
        self,
        embedder: Embedder,
        collection: str,
        *,
        limits: ReadLimits | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> Ingestion:
        return Ingestion(self.index, embedder, check_name(collection), limits=limits,
                         on_progress=on_progress)  # fmt: skip

    def retriever(self, embedder: Embedder | None, reranker: Reranker | None = None) -> Retriever:
        """A retriever over this knowledge base (with the reranking stage when given a
        reranker). The first one checks the vector index against the store and repairs it
        (a deleted or damaged Chroma folder, a kill between the two writes), so a search
        never runs on a stale index; see :attr:`repairs`."""
        if self.repairs is None:
            self.repairs = self.check_vectors()
        languages = model_languages(embedder.model_path.name) if embedder is not None else None
        return Retriever(self.index, embedder, model_languages=languages, reranker=reranker)

    def remove(self, document: Document) -> int:
        """Remove a document from its collection; returns how many chunks went with it."""
        removed = self.store.remove_document(document.id)
        collection = self.store.collection_by_id(document.collection_id)
        self.index.apply(collection, [], removed)
        return len(removed)

    def reindex(
        self,
        collections: Sequence[str] | None = None,
        embedder: Embedder | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> list[ReindexReport]:
        """Rebuild the vector index of each collection from the store. With an embedder
        whose model differs from the one a collection was built with, its chunks are
        embedded again first (resumably: chunks that already have the new model's vector
        keep it), then the collection is bound to the new model."""
        chosen = (
            [self.store.collection(n) for n in collections] if collections
            else self.store.collections()
        )  # fmt: skip
        reports = []
        models = CollectionModels(self.store)
        for collection in chosen:
            embedded = 0
            if embedder is not None and (
                collection.embedding_model != embedder.key
                and self.store.chunk_count(collection.id) > 0
            ):
                embedded = self._reembed(collection, embedder, on_batch)
                self.index.drop(collection)
                self.store.set_embedding_model(collection.id, None, None, None)
                collection = models.bind(self.store.collection_by_id(collection.id),
                                         embedder.key, str(embedder.model_path),
                                         embedder.dim)  # fmt: skip
            chunks = self.index.rebuild(collection)
            reports.append(ReindexReport(collection.name, chunks, embedded,
                                         collection.embedding_model))  # fmt: skip
        return reports

    def _reembed(self, collection: Collection, embedder: Embedder,
                 on_batch: Callable[[int], None] | None) -> int:  # fmt: skip
        embedded = 0
        for rows in self.store.texts_without(collection.id, embedder.key, batch=64):
            vectors = embedder.embed([text for _, text in rows], on_batch=on_batch)
            self.store.replace_vectors(
                [(seq, vectors[i]) for i, (seq, _) in enumerate(rows)], embedder.key
            )
            embedded += len(rows)
        return embedded
