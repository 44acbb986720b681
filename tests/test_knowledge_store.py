"""The knowledge store (real SQLite) and the vector index (real Chroma), without the engine.

Vectors here are random unit vectors: what is tested is keeping Chroma equal to the store,
rebuilding it, and fusing the two rankings, none of which depends on what the vectors mean.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from core.knowledge.collections import CollectionModels, check_name
from core.knowledge.errors import KnowledgeError, ReindexNeeded
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.ocr import OcrLine, OcrPage
from core.knowledge.retrieval import Retriever
from core.knowledge.store import MIGRATIONS, Collection, DocumentFacts, KnowledgeStore, NewChunk
from core.paths import AppPaths

MODEL = "test-model.gguf:1234"
DIM = 16


def unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def add(kb: KnowledgeBase, collection: Collection, path: str, texts: list[str],
        vectors: list[np.ndarray], *, apply: bool = True) -> list[str]:  # fmt: skip
    digest = hashlib.sha256("".join(texts).encode()).hexdigest()
    chunks = [
        NewChunk(f"{digest[:8]}-{i}", i, t, i + 1, None, 0, len(t),
                 hashlib.sha256(t.encode()).hexdigest(), len(t.split()), vectors[i])
        for i, t in enumerate(texts)
    ]  # fmt: skip
    facts = DocumentFacts(path, Path(path).stem, "text", digest, 10, 0.0, len(texts))
    _, added, removed = kb.store.commit_document(collection.id, facts, chunks, MODEL)
    if apply:
        kb.index.apply(kb.store.collection_by_id(collection.id), added, removed)
    return added


@pytest.fixture
def kb() -> KnowledgeBase:
    base = KnowledgeBase(AppPaths.from_env().ensure())
    yield base  # type: ignore[misc]
    base.close()


def bound(kb: KnowledgeBase, name: str = "default") -> Collection:
    collection = kb.store.ensure_collection(name)
    return CollectionModels(kb.store).bind(collection, MODEL, "/models/test.gguf", DIM)


def test_schema_and_collection_names(kb: KnowledgeBase) -> None:
    assert kb.store.schema_version == len(MIGRATIONS)
    assert check_name("  工作 notes ") == "工作 notes"
    for bad in ("", "a/b", "x" * 65, "tab\there"):
        with pytest.raises(KnowledgeError):
            check_name(bad)


def test_keyword_search_in_both_languages_filtered_by_collection(kb: KnowledgeBase) -> None:
    rng = np.random.default_rng(1)
    work, home = bound(kb, "work"), bound(kb, "home")
    add(kb, work, "/docs/a.txt", ["The beacon lamp is cleaned every Tuesday.",
                                   "成年大熊猫的体重通常在八十到一百二十五公斤之间。"],
        [unit(rng), unit(rng)])  # fmt: skip
    add(kb, home, "/docs/b.txt", ["The garden lamp is switched off at night."], [unit(rng)])
    seq_text = {c.seq: c.text for c in kb.store.chunks_of(1) + kb.store.chunks_of(2)}
    found = kb.store.keyword_search(["beacon", "lamp"], [work.id, home.id], 10)
    assert "beacon" in seq_text[found[0][0]] and len(found) == 2
    only_home = kb.store.keyword_search(["lamp"], [home.id], 10)
    assert [seq_text[s] for s, _ in only_home] == ["The garden lamp is switched off at night."]
    chinese = kb.store.keyword_search(["熊猫", "体重"], [work.id], 10)
    assert "大熊猫" in seq_text[chinese[0][0]]


def test_hybrid_fusion_puts_agreement_first(kb: KnowledgeBase) -> None:
    rng = np.random.default_rng(2)
    collection = bound(kb)
    texts = [f"Note {i} about the harbor and boats." for i in range(8)]
    texts[5] = "The lighthouse keeper logs the barometer every thirty minutes."
    vectors = [unit(rng) for _ in texts]
    add(kb, collection, "/docs/notes.txt", texts, vectors)
    retriever = Retriever(kb.index)
    query = vectors[5] + 0.05 * unit(rng)
    hits = retriever.search_with_vector("barometer minutes", query, 3, [collection])
    assert hits[0].text == texts[5]
    assert hits[0].vector_score is not None and hits[0].keyword_score is not None
    assert hits[0].score > hits[1].score
    assert hits[0].page == 6 and hits[0].file == "/docs/notes.txt"
    # Only the vector side: still found, with no keyword score.
    vector_only = retriever.search_with_vector("zzzz", vectors[2], 1, [collection])
    assert vector_only[0].text == texts[2] and vector_only[0].keyword_score is None


def test_a_kill_between_sqlite_and_chroma_is_repaired(kb: KnowledgeBase) -> None:
    rng = np.random.default_rng(3)
    collection = bound(kb)
    add(kb, collection, "/docs/one.txt", ["First document text."], [unit(rng)])
    # The second document reaches SQLite but not Chroma (as if killed in between).
    ids = add(kb, collection, "/docs/two.txt", ["Second.", "Third."], [unit(rng), unit(rng)],
              apply=False)  # fmt: skip
    collection = kb.store.collection_by_id(collection.id)
    assert collection.vectors_dirty
    assert kb.index.count(collection) == 1
    report = kb.index.sync(collection)
    assert report.added == 2 and report.removed == 0
    assert kb.index.count(collection) == 3
    assert not kb.store.collection_by_id(collection.id).vectors_dirty
    # Removing a document takes its vectors with it.
    kb.remove(kb.find("/docs/two.txt"))
    assert kb.index.count(collection) == 1
    assert not set(ids) & kb.store.chunk_ids(collection.id)


def test_deleted_or_damaged_chroma_folder_is_rebuilt_with_the_same_results() -> None:
    paths = AppPaths.from_env().ensure()
    rng = np.random.default_rng(4)
    texts = [f"Passage {i}: {w} facts" for i, w in enumerate("abcdefghijklmnopqrst")]
    vectors = [unit(rng) for _ in texts]
    query = unit(rng)
    with KnowledgeBase(paths) as kb:
        collection = bound(kb)
        add(kb, collection, "/docs/passages.txt", texts, vectors)
        before = Retriever(kb.index).search_with_vector("facts", query, 5, [collection])
    shutil.rmtree(paths.vector_dir)
    with KnowledgeBase(paths) as kb:
        report = kb.check_vectors()
        assert report.added == len(texts)
        collection = kb.store.collection("default")
        after = Retriever(kb.index).search_with_vector("facts", query, 5, [collection])
    assert [(h.chunk_id, round(h.score, 9)) for h in after] == [
        (h.chunk_id, round(h.score, 9)) for h in before
    ]
    # A folder Chroma cannot read at all is set aside and rebuilt.
    (paths.vector_dir / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with KnowledgeBase(paths) as kb:
        report = kb.check_vectors()
        assert report.rebuilt and report.added == len(texts)
        collection = kb.store.collection("default")
        again = Retriever(kb.index).search_with_vector("facts", query, 5, [collection])
    assert [h.chunk_id for h in again] == [h.chunk_id for h in before]


def test_another_model_is_refused_until_reindexed(kb: KnowledgeBase) -> None:
    rng = np.random.default_rng(5)
    collection = bound(kb)
    models = CollectionModels(kb.store)
    models.require(collection, MODEL)  # same model: fine
    add(kb, collection, "/docs/x.txt", ["Some text."], [unit(rng)])
    with pytest.raises(ReindexNeeded) as refused:
        models.require(kb.store.collection_by_id(collection.id), "other.gguf:99")
    assert refused.value.params == {"collection": "default", "built": "test-model.gguf",
                                    "current": "other.gguf"}  # fmt: skip
    # An empty collection takes whichever model comes next.
    empty = kb.store.ensure_collection("empty")
    empty = models.bind(empty, MODEL, "/m", DIM)
    models.require(empty, "other.gguf:99")


def test_a_stopped_job_waits_until_a_later_job_takes_up_all_its_paths(
    kb: KnowledgeBase,
) -> None:
    store = kb.store
    store.ensure_collection("notes")
    store.ensure_collection("论文")
    first = store.start_job("notes", ["/docs/a", "/docs/b"])
    store.finish_job(first, "cancelled")
    assert [(j.id, j.paths) for j in store.stopped_jobs()] == [(first, ["/docs/a", "/docs/b"])]

    partial = store.start_job("notes", ["/docs/a"])  # only part of it: still waiting
    store.finish_job(partial, "done")
    elsewhere = store.start_job("论文", ["/docs/a", "/docs/b"])  # another collection
    store.finish_job(elsewhere, "done")
    assert [j.id for j in store.stopped_jobs()] == [first]

    both = store.start_job("notes", ["/docs/b", "/docs/c", "/docs/a"])  # takes it up
    assert store.stopped_jobs() == []
    store.finish_job(both, "cancelled")  # stopped in turn: now that one waits
    assert [(j.id, j.state) for j in store.stopped_jobs()] == [(both, "cancelled")]

    gone = store.start_job("removed", ["/x"])  # a collection that no longer exists
    store.finish_job(gone, "cancelled")
    assert [j.id for j in store.stopped_jobs()] == [both]


def test_recognised_pages_go_with_the_version_of_the_file_they_were_read_from(
    tmp_path: Path,
) -> None:
    """Pages stored before their path was kept get it from their document; a failed
    version replaced by other bytes drops its pages, and so does a replaced indexed one,
    unless a copy elsewhere still has those bytes."""
    db = tmp_path / "old.sqlite3"
    old = sqlite3.connect(db)
    old.executescript("\n".join(script for _, script in MIGRATIONS[:4])
                      + "\nPRAGMA user_version = 4;")  # fmt: skip
    old.execute("INSERT INTO collections(name, created_at) VALUES ('scans', 0)")
    old.execute(
        "INSERT INTO documents(collection_id, path, content_hash, status, added_at,"
        " indexed_at, chunk_count) VALUES (1, '/d/a.png', 'h1', 'failed', 0, 0, 0)"
    )
    old.execute("INSERT INTO ocr_pages(content_hash, page, lines, error) VALUES"
                " ('h1', 1, '[]', 'unreadable'), ('h0', 1, '[]', NULL)")  # fmt: skip
    old.commit()
    old.close()
    page = OcrPage(1, (OcrLine("seventeen storms", (0.0, 0.0, 10.0, 10.0), 0.9),))
    with KnowledgeStore(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        with closing(sqlite3.connect(db)) as reader:
            paths = dict(reader.execute("SELECT content_hash, path FROM ocr_pages").fetchall())
        assert paths == {"h1": "/d/a.png", "h0": None}  # h0: no document has those bytes
        store.save_ocr_page("h2", page, "/d/a.png")  # the new bytes, failing again
        store.record_problem(1, "/d/a.png", "kb_image_corrupt", {}, content_hash="h2")
        assert store.ocr_pages("h1") == [] and store.ocr_pages("h2") == [page]
        assert store.ocr_pages("h0") == [OcrPage(1)]  # not that file's

        def facts(path: str, digest: str) -> DocumentFacts:
            return DocumentFacts(path, "a", "image", digest, 1, 0.0, 1)

        store.commit_document(1, facts("/d/a.png", "h2"), [], MODEL)
        store.commit_document(1, facts("/d/copy.png", "h2"), [], MODEL)  # the same bytes
        store.save_ocr_page("h3", page, "/d/a.png")
        store.commit_document(1, facts("/d/a.png", "h3"), [], MODEL)
        assert store.ocr_pages("h2") == [page]  # the copy still has them
        copy = store.find_document(1, "/d/copy.png")
        assert copy is not None
        store.remove_document(copy.id)
        assert store.ocr_pages("h2") == [] and store.ocr_pages("h3") == [page]
