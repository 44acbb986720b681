"""Hybrid retrieval: Chroma's nearest neighbours and FTS5's BM25, fused by reciprocal rank.

Each side proposes its best ``candidates`` chunks of the chosen collections; a chunk's fused
score is the sum over the two lists of ``1 / (rrf_k + rank)`` (Cormack et al., 2009), which
needs no calibration between a cosine similarity and a BM25 score and rewards chunks both
sides agree on. Every hit carries its citation (document path and title, page, heading), a
snippet and the scores of both sides.

Keyword terms found in more than 2% of all chunks (and in more than 500) are left out of the
BM25 query: their inverse document frequency is low, so they change the ranking little, yet
scoring them means visiting a large part of the index (this keeps the keyword side fast at
100k chunks). A query made only of such terms leaves the vector side to answer alone.

The vector side counts only as far as the embedding model understands the question's
language: an English-only model (all-MiniLM-L6-v2) places a Chinese question among Chinese
chunks almost at random, and its ranks would push the keyword side's good hits down. When
the model's languages (from the catalogue) do not include the question's, each vector rank
weighs ``foreign_vector_weight`` of a keyword rank: none, measured in
``bench.retrieval_languages`` (MiniLM, Chinese half, hit@5: 0.96 at weight 0, 0.88 at 0.1,
0.80 at 0.5, 0.76 at 1), so the keyword side carries the question and the vector side only
orders what the keywords leave open (chunks they did not find, and ties).

With a reranker (core/knowledge/rerank.py), the fused best ``reranker.candidates`` chunks are
scored by a cross-encoder and reordered by its score before the best ``k`` are returned.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.knowledge.collections import CollectionModels
from core.knowledge.coverage import CoverageScorer
from core.knowledge.embedder import Embedder
from core.knowledge.errors import NoEmbeddingModel
from core.knowledge.languages import query_language
from core.knowledge.store import Collection, KnowledgeStore, StoredChunk
from core.knowledge.terms import query_terms
from core.knowledge.vectors import VectorIndex
from core.models.catalogue import serves_language

if TYPE_CHECKING:
    import numpy as np

    from core.knowledge.rerank import Reranker

log = logging.getLogger(__name__)

SNIPPET_CHARS = 240
FOREIGN_VECTOR_WEIGHT = 0.0  # a vector rank's weight when the model misses the language


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    document_id: int
    collection: str
    file: str
    title: str
    page: int | None
    heading: str | None
    text: str  # the whole chunk (what a grounded answer quotes)
    snippet: str  # a short passage around the query's words (what a person is shown)
    score: float  # fused (reciprocal rank)
    vector_score: float | None  # cosine similarity, when the vector side found it
    keyword_score: float | None  # BM25, when the keyword side found it
    char_start: int = 0
    char_end: int = 0
    rerank_score: float | None = None  # the reranker's, when the second stage ran

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "title": self.title,
            "page": self.page,
            "heading": self.heading,
            "snippet": self.snippet,
            "score": round(self.score, 6),
            "vector_score": None if self.vector_score is None else round(self.vector_score, 6),
            "keyword_score": None if self.keyword_score is None else round(self.keyword_score, 6),
            "collection": self.collection,
            "document_id": self.document_id,
            "chunk_id": self.chunk_id,
            "char_start": self.char_start,
            "char_end": self.char_end,
            **({} if self.rerank_score is None else {"rerank_score": round(self.rerank_score, 6)}),
        }


class Retriever:
    """Searches collections; needs an embedder for the query unless given its vector."""

    def __init__(
        self,
        index: VectorIndex,
        embedder: Embedder | None = None,
        *,
        candidates: int = 40,
        rrf_k: int = 60,
        common_share: float = 0.02,
        common_floor: int = 500,
        model_languages: Sequence[str] | None = None,
        foreign_vector_weight: float = FOREIGN_VECTOR_WEIGHT,
        coverage_pool: int = 60,
        reranker: Reranker | None = None,
    ) -> None:
        self.index = index
        self.store: KnowledgeStore = index.store
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.common_share = common_share
        self.common_floor = common_floor
        # The languages the embedding model serves (None: unknown, trusted for all).
        self.model_languages = tuple(model_languages) if model_languages is not None else None
        self.foreign_vector_weight = foreign_vector_weight
        self.coverage_pool = coverage_pool  # BM25 candidates a Chinese question rescores
        self.reranker = reranker  # the optional second stage

    def vector_weight(self, text: str) -> float:
        """How much a vector rank counts for this question, against a keyword rank's 1."""
        if self.model_languages is None:
            return 1.0
        if serves_language(self.model_languages, query_language(text)):
            return 1.0
        return self.foreign_vector_weight

    def collections(self, names: Sequence[str] | None) -> list[Collection]:
        """The named collections (raising for an unknown name), or all of them."""
        if names:
            return [self.store.collection(n) for n in dict.fromkeys(names)]
        return self.store.collections()

    def search(self, text: str, k: int = 5, collections: Sequence[str] | None = None) -> list[Hit]:
        chosen = self.collections(collections)
        if self.embedder is None:
            raise NoEmbeddingModel("kb_no_embedding_model")
        models = CollectionModels(self.store)
        for collection in chosen:
            models.require(collection, self.embedder.key)
        vector = self.embedder.embed_query(text) if text.strip() else None
        return self.search_with_vector(text, vector, k, chosen)

    def search_with_vector(self, text: str, vector: np.ndarray | None, k: int,
                           collections: Sequence[Collection]) -> list[Hit]:  # fmt: skip
        """The search after the query's embedding (what the latency benchmark times)."""
        if not collections or not text.strip():
            return []
        depth = max(self.candidates, k)
        keyword = self._keyword(text, [c.id for c in collections], depth)
        semantic: list[tuple[str, float]] = []
        if vector is not None:
            for collection in collections:
                semantic.extend(self._vector(collection, vector, depth))
            semantic.sort(key=lambda item: -item[1])
            semantic = semantic[:depth]

        fused: dict[str, float] = {}
        keyword_scores: dict[str, float] = {}
        vector_scores: dict[str, float] = {}
        by_seq = self.store.chunks_by_seq([seq for seq, _ in keyword]) if keyword else {}
        for rank, (seq, score) in enumerate(keyword, start=1):
            chunk = by_seq.get(seq)
            if chunk is None:
                continue
            fused[chunk.id] = fused.get(chunk.id, 0.0) + 1.0 / (self.rrf_k + rank)
            keyword_scores[chunk.id] = score
        weight = self.vector_weight(text)
        for rank, (chunk_id, similarity) in enumerate(semantic, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (self.rrf_k + rank)
            vector_scores[chunk_id] = similarity
        # Equal fused scores (all of them when the vector side weighs nothing) are ordered
        # by the vector side's similarity, so it still orders what the keywords leave open.
        ranked = sorted(
            fused.items(), key=lambda item: (-item[1], -vector_scores.get(item[0], -2.0), item[0])
        )
        chunks = {c.id: c for c in by_seq.values()}
        wanted = [cid for cid, _ in ranked[: k * 2] if cid not in chunks]
        if wanted:
            chunks.update(self.store.chunks_by_id(wanted))
        reranker = self.reranker
        wanted_hits = max(k, reranker.candidates) if reranker is not None else k
        if wanted_hits > k * 2:
            more = [cid for cid, _ in ranked[:wanted_hits] if cid not in chunks]
            if more:
                chunks.update(self.store.chunks_by_id(more))
        terms = query_terms(text)
        hits: list[Hit] = []
        for chunk_id, score in ranked:
            chunk = chunks.get(chunk_id)
            if chunk is None:  # in Chroma but no longer in the store: ignore
                continue
            hits.append(_hit(chunk, score, vector_scores.get(chunk_id),
                             keyword_scores.get(chunk_id), terms))  # fmt: skip
            if len(hits) == wanted_hits:
                break
        if reranker is not None:
            hits = reranker.rerank(text, hits)
        return hits[:k]

    def _keyword(self, text: str, collection_ids: list[int], depth: int) -> list[tuple[int, float]]:
        terms = query_terms(text)
        if not terms:
            return []
        total = self.store.chunk_count()
        common = max(self.common_floor, int(self.common_share * total))
        frequencies: dict[str, int] = {}
        for term in terms:
            frequency = self.store.document_frequency(term, common)
            if 0 < frequency <= common:
                frequencies[term] = frequency
        if not CoverageScorer.applies(text):
            return self.store.keyword_search(list(frequencies), collection_ids, depth)
        # A Chinese question: rescore BM25's best by the pieces of the question they hold.
        pool = self.store.keyword_search(list(frequencies), collection_ids,
                                         max(depth, self.coverage_pool))  # fmt: skip
        chunks = self.store.chunks_by_seq([seq for seq, _ in pool])
        scorer = CoverageScorer(text, frequencies, total)
        candidates = [(seq, bm25, f"{chunks[seq].heading or ''}\n{chunks[seq].text}")
                      for seq, bm25 in pool if seq in chunks]  # fmt: skip
        return scorer.rerank(candidates)[:depth]

    def _vector(self, collection: Collection, vector: np.ndarray,
                depth: int) -> list[tuple[str, float]]:  # fmt: skip
        try:
            return self.index.query(collection, vector, depth)
        except Exception as exc:  # a damaged collection: rebuild it alone, then retry
            log.info("vector search in %s failed (%s); rebuilding it", collection.name, exc)
        try:
            current = self.store.collection_by_id(collection.id)
            self.index.repair(current)
            return self.index.query(current, vector, depth)
        except Exception as exc:  # still failing: this answer uses the keyword side alone
            log.info("vector search in %s failed again (%s)", collection.name, exc)
            return []


def _hit(chunk: StoredChunk, score: float, vector_score: float | None,
         keyword_score: float | None, terms: Sequence[str]) -> Hit:  # fmt: skip
    return Hit(
        chunk_id=chunk.id, document_id=chunk.document_id, collection=chunk.collection,
        file=chunk.path, title=chunk.title, page=chunk.page, heading=chunk.heading,
        text=chunk.text, snippet=snippet(chunk.text, terms), score=score,
        vector_score=vector_score, keyword_score=keyword_score,
        char_start=chunk.char_start, char_end=chunk.char_end,
    )  # fmt: skip


def snippet(text: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``text`` around the first query term found in it."""
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= width:
        return flat
    lowered = flat.lower()
    positions = [p for p in (lowered.find(t) for t in terms) if p >= 0]
    at = min(positions) if positions else 0
    start = max(0, min(at - width // 4, len(flat) - width))
    end = min(len(flat), start + width)
    return ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")
