"""Ingestion and search on the real engine with the real sentence-embedding model
(all-MiniLM-L6-v2: BERT, its own mean pooling, 512 positions, English only), real Chroma and
real SQLite, on documents the tests write. Chinese questions are found by the keyword side
(the model does not understand Chinese, and the retriever knows it from the catalogue).

The embedding engine runs one thread: on a shared two-core machine a second engine thread
waits at every barrier for a core that another process holds, which makes it far slower.
"""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.engine.client import EngineClient
from core.knowledge.embedder import Embedder
from core.knowledge.errors import ReindexNeeded
from core.knowledge.ingest import IngestReport, Progress
from core.knowledge.knowledge_base import KnowledgeBase
from core.paths import AppPaths
from tests.documents import Fact, write_bad_files, write_library, write_many

N_CTX = 256


class NetworkUsed(AssertionError):
    pass


def _local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # a Unix socket path
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def no_network() -> Iterator[list[Any]]:
    """Fail any connection (or name lookup) that is not loopback; yields the attempts made
    (a library that swallowed the error still shows up there)."""
    attempts: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if not _local(address):
            attempts.append(address)
            raise NetworkUsed(f"connection to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _local(address):
            attempts.append(address)
            raise NetworkUsed(f"connection to {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "localhost", "127.0.0.1", "::1") and not _local((host,)):
            attempts.append(host)
            raise NetworkUsed(f"name lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield attempts


@pytest.fixture(scope="module")
def engine(engine_log: Path) -> Iterator[EngineClient]:
    client = EngineClient(log_path=engine_log)
    yield client
    client.close()


def embedder_of(engine: EngineClient, model: Path) -> Embedder:
    return Embedder(engine, model, n_ctx=N_CTX, n_threads=1)


@dataclass
class Indexed:
    paths: AppPaths
    folder: Path
    facts: list[Fact]
    bad: dict[str, str]
    report: IngestReport
    progress: list[Progress]
    network: list[Any]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, engine: EngineClient,
            minilm_path: Path) -> Indexed:  # fmt: skip
    """The test library and the bad files, ingested once into a home of this module."""
    paths = AppPaths.under(tmp_path_factory.mktemp("kb-home")).ensure()
    folder = tmp_path_factory.mktemp("documents")
    facts = write_library(folder)
    bad = write_bad_files(folder / "bad")
    (folder / ".hidden.md").write_text("# Hidden\n\nNever indexed.\n")
    (folder / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    progress: list[Progress] = []
    with no_network() as attempts, KnowledgeBase(paths) as kb:
        ingestion = kb.ingestion(embedder_of(engine, minilm_path), "default",
                                 on_progress=progress.append)  # fmt: skip
        report = ingestion.run([folder])
    return Indexed(paths, folder, facts, bad, report, progress, attempts)


def test_folder_is_indexed_and_bad_files_are_recorded(
    indexed: Indexed, engine: EngineClient, minilm_path: Path
) -> None:
    report = indexed.report
    statuses = {Path(o.path).name: o.status for o in report.outcomes}
    assert statuses == {
        **dict.fromkeys({f.file for f in indexed.facts}, "indexed"),
        **dict.fromkeys(indexed.bad, "failed"),
    }  # hidden files and unsupported types are passed over
    codes = {Path(o.path).name: o.code for o in report.outcomes if o.status == "failed"}
    assert codes == indexed.bad
    assert report.pages == 5 and not report.cancelled
    embedder = embedder_of(engine, minilm_path)
    with KnowledgeBase(indexed.paths) as kb:
        documents = {Path(d.path).name: d for d in kb.documents()}
        assert documents["locked.pdf"].status == "failed"
        assert documents["locked.pdf"].error_code == "kb_file_encrypted"
        assert documents["handbook.pdf"].pages == 3
        chunks = [c for d in documents.values() for c in kb.store.chunks_of(d.id)]
        assert len(chunks) == report.chunks and len({c.id for c in chunks}) == len(chunks)
        # Every chunk fits the embedding model, as its own tokenizer counts.
        assert all(embedder.count_tokens(c.text) <= embedder.max_tokens for c in chunks)
        pdf_pages = sorted(c.page for c in kb.store.chunks_of(documents["handbook.pdf"].id))
        assert pdf_pages == [1, 2, 3]
    finished = [p for p in indexed.progress if p.outcome is not None]
    assert [p.documents_done for p in finished] == list(range(1, len(finished) + 1))
    assert finished[-1].chunks_done == report.chunks and finished[-1].chunks_per_s > 0
    assert finished[-1].eta_s == 0


def test_questions_in_chinese_and_english_cite_the_right_file_and_page(
    indexed: Indexed, engine: EngineClient, minilm_path: Path
) -> None:
    with no_network() as attempts, KnowledgeBase(indexed.paths) as kb:
        retriever = kb.retriever(embedder_of(engine, minilm_path))
        for fact in indexed.facts:
            hits = retriever.search(fact.question, k=3)
            top = hits[0]
            assert (Path(top.file).name, top.page) == (fact.file, fact.page), fact.question
            assert fact.answer in top.text and top.snippet
            assert top.keyword_score is not None
            # English questions are answered by both sides; Chinese ones by the keywords,
            # since the English-only model's vectors do not count for them.
            chinese = any("\u4e00" <= c <= "\u9fff" for c in fact.question)
            assert retriever.vector_weight(fact.question) == (0.0 if chinese else 1.0)
            if not chinese:
                assert top.vector_score is not None
    assert attempts == [] and indexed.network == []


def test_readding_unchanged_files_adds_nothing(
    indexed: Indexed, engine: EngineClient, minilm_path: Path
) -> None:
    embedder = embedder_of(engine, minilm_path)
    with KnowledgeBase(indexed.paths) as kb:
        before = {c.id for d in kb.documents() for c in kb.store.chunks_of(d.id)}
        stamps = {d.path: d.indexed_at for d in kb.documents()}
        report = kb.ingestion(embedder, "default").run([indexed.folder])
        after = {c.id for d in kb.documents() for c in kb.store.chunks_of(d.id)}
        collection = kb.store.collection("default")
        assert kb.index.count(collection) == len(after)
        indexed_now = {d.path: d.indexed_at for d in kb.documents() if d.status == "indexed"}
        assert indexed_now == {p: stamps[p] for p in indexed_now}  # not written again
    assert embedder.texts_embedded == 0
    assert before == after
    assert report.count("unchanged") == len({f.file for f in indexed.facts})
    assert report.count("indexed", "replaced") == 0


def test_deleting_the_chroma_folder_then_searching_gives_the_same_results(
    indexed: Indexed, engine: EngineClient, minilm_path: Path
) -> None:
    question = indexed.facts[0].question
    embedder = embedder_of(engine, minilm_path)
    with KnowledgeBase(indexed.paths) as kb:
        before = kb.retriever(embedder).search(question, k=5)
    shutil.rmtree(indexed.paths.vector_dir)
    with KnowledgeBase(indexed.paths) as kb:
        after = kb.retriever(embedder).search(question, k=5)
        assert kb.repairs is not None and kb.repairs.added == indexed.report.chunks
    assert [(h.chunk_id, round(h.score, 9)) for h in after] == [
        (h.chunk_id, round(h.score, 9)) for h in before
    ]


def test_changed_moved_duplicate_and_removed_files(engine: EngineClient, minilm_path: Path,
                                                   tmp_path: Path) -> None:  # fmt: skip
    folder = tmp_path / "notes"
    notes = write_many(folder, 4, sentences=2)
    embedder = embedder_of(engine, minilm_path)
    with KnowledgeBase(AppPaths.from_env().ensure()) as kb:
        first = kb.ingestion(embedder, "notes").run([folder])
        assert first.count("indexed") == 4
        embedded = embedder.texts_embedded
        notes[0].write_text("# Changed\n\nThis note was rewritten entirely.\n")  # changed
        (folder / "sub").mkdir()
        moved = notes[1].rename(folder / "sub" / "moved.md")  # moved
        shutil.copy(notes[2], folder / "copy.md")  # a duplicate
        notes[3].unlink()  # removed
        second = kb.ingestion(embedder, "notes").run([folder])
        status = {Path(o.path).name: o.status for o in second.outcomes}
        assert status == {
            "note-000.md": "replaced",
            "moved.md": "moved",
            "note-002.md": "unchanged",
            "copy.md": "duplicate",
            "note-003.md": "removed",
        }
        assert embedder.texts_embedded - embedded == second.chunks == 1  # only the change
        collection = kb.store.collection("notes")
        kb.index.sync(collection, force=True)  # compares ids, not just counts
        assert kb.index.count(collection) == kb.store.chunk_count(collection.id) == 3
        assert kb.find(str(moved)).chunk_count == first.outcomes[1].chunks
        hits = kb.retriever(embedder).search("rewritten entirely", k=1, collections=["notes"])
        assert Path(hits[0].file).name == "note-000.md"


def test_a_chat_model_as_the_next_embedding_model_asks_for_a_reindex(
    engine: EngineClient, minilm_path: Path, gemma_path: Path, tmp_path: Path
) -> None:
    """Another model file never mixes its vectors with the collection's; the re-embedding
    runs for real, and with a chat model (Gemma, mean-pooled by the engine) as the new
    embedding model, which still works for search."""
    folder = tmp_path / "notes"
    write_many(folder, 2, sentences=2)
    first, second = embedder_of(engine, minilm_path), embedder_of(engine, gemma_path)
    with KnowledgeBase(AppPaths.from_env().ensure()) as kb:
        kb.ingestion(first, "notes").run([folder])
        with pytest.raises(ReindexNeeded) as refused:
            kb.retriever(second).search("river stone", k=2)
        assert refused.value.params["built"] == minilm_path.name
        with pytest.raises(ReindexNeeded):
            kb.ingestion(second, "notes").run([folder])
        reports = kb.reindex(["notes"], second)
        assert reports[0].embedded == reports[0].chunks == 2
        assert kb.store.collection("notes").embedding_model == second.key
        assert kb.store.collection("notes").embedding_dim == second.dim != first.dim
        hits = kb.retriever(second).search("river stone", k=2)
        assert len(hits) == 2 and all(h.vector_score is not None for h in hits)
        with pytest.raises(ReindexNeeded):
            kb.retriever(first).search("river stone", k=2)
        assert kb.reindex(["notes"], second)[0].embedded == 0  # nothing left to redo


def test_cancel_stops_before_the_next_batch_and_a_rerun_continues(
    engine: EngineClient, minilm_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    write_many(folder, 4, sentences=2)
    embedder = embedder_of(engine, minilm_path)
    with KnowledgeBase(AppPaths.from_env().ensure()) as kb:
        ingestion = kb.ingestion(embedder, "notes")
        ingestion.on_progress = lambda p: ingestion.cancel() if p.outcome else None
        stopped = ingestion.run([folder])
        assert stopped.cancelled and stopped.count("indexed") == 1
        assert [j.state for j in kb.store.unfinished_jobs()] == []
        assert [j.paths for j in kb.store.stopped_jobs()] == [[str(folder)]]  # for Resume
        done = embedder.texts_embedded
        again = kb.ingestion(embedder, "notes").run([folder])
        assert again.count("unchanged") == 1 and again.count("indexed") == 3
        assert embedder.texts_embedded - done == again.chunks
        assert kb.store.stopped_jobs() == []  # the rerun took it up


def test_batches_are_filled_across_documents_and_a_twin_waits_for_its_original(
    engine: EngineClient, minilm_path: Path, tmp_path: Path
) -> None:
    """Documents are read ahead while others embed: every engine request but the last holds
    a full batch, whichever documents its chunks come from; outcomes are reported in the
    files' order; a file with the bytes of one read just before it (not stored yet when it
    is read) is still a duplicate, not embedded twice."""
    folder = tmp_path / "notes"
    write_many(folder, 6, sentences=3)
    shutil.copy(folder / "note-002.md", folder / "note-003-copy.md")
    embedder = Embedder(engine, minilm_path, n_ctx=N_CTX, n_threads=1, batch_size=4)
    embedder.ensure_loaded()
    texts = ["Note 1 sentence 2 talks about river stone.", "第二句话。", ""]
    assert engine.count_tokens_many(texts, slot="embedding") == [
        engine.count_tokens(t, slot="embedding") for t in texts
    ]
    progress: list[Progress] = []
    with KnowledgeBase(AppPaths.from_env().ensure()) as kb:
        ingestion = kb.ingestion(embedder, "notes", on_progress=progress.append)
        # A batch always waits to be filled here, however slowly this machine reads (a real
        # job sends a smaller batch after a second).
        ingestion.fill_wait_s = 60.0
        report = ingestion.run([folder])
        assert [Path(o.path).name for o in report.outcomes] == sorted(
            p.name for p in folder.iterdir()
        )
        assert {Path(o.path).name: o.status for o in report.outcomes}["note-003-copy.md"] == (
            "duplicate"
        )
        assert report.count("indexed") == 6
        assert embedder.texts_embedded == report.chunks == kb.store.chunk_count()
        assert report.chunks > embedder.batch_size  # one document alone fills none
        assert embedder.batches == -(-report.chunks // embedder.batch_size)  # all full
    finished = [p.documents_done for p in progress if p.outcome is not None]
    assert finished == list(range(1, 8))
