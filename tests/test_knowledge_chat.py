"""Grounded answers on the real engine, and chat replies going before ingestion batches.

One engine holds both models, as the app's does: Gemma as the chat model and, in the
embedding slot, the real sentence-embedding model (all-MiniLM-L6-v2).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.chat.session import ChatSession, Reply, TurnResult
from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.engine.protocol import LoadOptions, SamplingParams
from core.knowledge.embedder import Embedder
from core.knowledge.grounding import cited_numbers, ground
from core.knowledge.ingest import Progress
from core.knowledge.knowledge_base import KnowledgeBase
from core.paths import AppPaths
from tests.documents import HANDBOOK_PAGES, write_many, write_pdf

SHORT = SamplingParams(temperature=0.0, max_tokens=12)


@pytest.fixture(scope="module")
def engine(gemma_path: Path, engine_log: Path) -> Iterator[EngineClient]:
    client = EngineClient(log_path=engine_log)
    client.load_chat(gemma_path, LoadOptions(n_ctx=2048, n_threads=1))
    yield client
    client.close()


@pytest.fixture
def embedder(engine: EngineClient, minilm_path: Path) -> Embedder:
    return Embedder(engine, minilm_path, n_ctx=256, n_threads=1)


def _finish(reply: Reply) -> TurnResult:
    "".join(reply)
    assert reply.result is not None
    return reply.result


def test_grounded_turns_cite_their_sources_and_keep_the_cache_valid(
    engine: EngineClient, embedder: Embedder, tmp_path: Path
) -> None:
    paths = AppPaths.from_env().ensure()
    write_pdf(tmp_path / "handbook.pdf", HANDBOOK_PAGES, title="Harbor Lighthouse Handbook")
    with KnowledgeBase(paths) as kb, ChatStore(paths.chats_db) as store:
        kb.ingestion(embedder, "harbor").run([tmp_path / "handbook.pdf"])
        retriever = kb.retriever(embedder)
        chat = store.create_chat(system_prompt="Answer briefly.", collections=["harbor"])
        session = ChatSession(store, engine, chat.id, SHORT)

        question = "How often must the beacon lamp be cleaned?"
        turn = ground(question, retriever.search(question, k=2, collections=chat.collections))
        # Sources first (unnumbered: the model does not cite, core/knowledge/attribution.py
        # does), then the question, then the instruction.
        assert turn.model_text.startswith("Excerpts from the person's documents:")
        assert "Excerpt from handbook.pdf, page 2:\n" in turn.model_text
        assert "every Tuesday" in turn.model_text and "[1]" not in turn.model_text
        assert turn.model_text.index("every Tuesday") < turn.model_text.index(question)
        assert turn.model_text.rstrip().endswith("using only the excerpts above.")
        assert turn.retry_text is not None and question in turn.retry_text
        first = _finish(session.send(question, turn))
        first_prompt = session.last_prompt
        assert first_prompt is not None

        # What the person typed is the message; what the model read is kept beside it.
        user = store.get_message(first.message.parent_id or 0)
        assert user.content == question
        assert user.grounding == {
            "content": turn.model_text,
            "sources": turn.citations,
            "retry": turn.retry_text,
            "attribute": turn.attribute,
        }
        # ... with what the reply's citations are found in: the question and the excerpts.
        assert turn.attribute is not None and turn.attribute["question"] == question
        assert any("every Tuesday" in text for text in turn.attribute["excerpts"])
        # The sources went into this turn's frame, never into the system frame.
        system_frame, user_frame = first_prompt.frames[0], first_prompt.frames[1]
        assert system_frame.role == "system" and user_frame.role == "user"
        assert "Tuesday" not in engine.render([]) and len(system_frame.tokens) < 20
        # The reply is stored with its citations.
        citations = first.message.citations
        assert citations is not None and [c["n"] for c in citations] == [1, 2]
        assert citations[0]["file"].endswith("handbook.pdf") and citations[0]["page"] == 2
        assert {"file", "page", "heading", "snippet", "score", "cited"} <= set(citations[0])
        assert all(c["cited"] == (c["n"] in cited_numbers(first.message.content))
                   for c in citations)  # fmt: skip

        # The next turn reads the first one from the cache: its frame was rebuilt the same.
        follow = "And what happens in a storm?"
        second_turn = ground(follow, retriever.search(follow, k=2, collections=["harbor"]))
        second = _finish(session.send(follow, second_turn))
        assert second.stats.cached_tokens >= first_prompt.used + first.stats.generated_tokens - 1
        assert second.message.citations and second.message.citations[0]["page"] == 3

        # A fresh session (a restart) builds exactly the same prompt from the store.
        second_prompt = session.last_prompt
        assert second_prompt is not None
        again = ChatSession(store, engine, chat.id, SHORT)
        regenerated = _finish(again.regenerate())
        assert again.last_prompt is not None
        assert again.last_prompt.tokens == second_prompt.tokens
        assert regenerated.stats.evaluated_tokens == 1
        assert regenerated.message.citations is not None
        assert [c["chunk_id"] for c in regenerated.message.citations] == [
            c["chunk_id"] for c in second_turn.citations
        ]


def test_a_running_chat_reply_goes_before_ingestion_batches(
    engine: EngineClient, embedder: Embedder, tmp_path: Path
) -> None:
    """Ordering, not timing: every embedding batch of an ingestion that starts while a reply
    streams finishes after the reply has finished."""
    folder = tmp_path / "notes"
    write_many(folder, 3, sentences=2)
    embedder.ensure_loaded()
    prompt = engine.tokenize("Count from one to twenty:")
    generation = engine.generate_tokens(prompt, SamplingParams(temperature=0.0, max_tokens=24))
    begun = threading.Event()
    reply_finished_at_batch: list[bool] = []

    def on_progress(progress: Progress) -> None:
        begun.set()
        if progress.outcome is None and progress.chunks_done:  # a batch has come back
            reply_finished_at_batch.append(generation.finished)

    with KnowledgeBase(AppPaths.from_env().ensure()) as kb:
        ingestion = kb.ingestion(embedder, "notes", on_progress=on_progress)
        worker = threading.Thread(target=ingestion.run, args=([folder],))
        worker.start()
        # The job is under way: its reading ahead waits for the engine behind the reply
        # (its first request, a token count, comes before any batch and any progress).
        deadline = time.monotonic() + 60
        while not engine.contended and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.contended and not begun.is_set()
        text = generation.result()
        worker.join(120)
        assert not worker.is_alive()
    assert text and generation.finished
    # Batches now take chunks across documents (the three notes may share one): each one
    # that came back came after the reply.
    assert len(reply_finished_at_batch) >= 1
    assert all(reply_finished_at_batch)
