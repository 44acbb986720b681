"""Nothing hangs: a stop reaches prompt evaluation, an abandoned reply frees the engine, and
closing never waits on a busy engine (issue 14, item 11)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.chat.session import ChatSession
from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.engine.errors import EngineCrashed, ModelLoadError
from core.engine.protocol import LoadOptions, SamplingParams

STORY = SamplingParams(temperature=0.0, max_tokens=200, ignore_eos=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    with ChatStore(tmp_path / "chats.sqlite3") as s:
        yield s


def _finishes(call: Callable[[], object], timeout_s: float = 60.0) -> bool:
    """Run ``call`` in another thread (as the knowledge lane would) and report whether it
    returned; a request stuck behind an abandoned generation never does."""
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(timeout_s)
    return not thread.is_alive()


def test_cancel_reaches_a_long_prompt_within_one_batch(
    gemma_path: Path, fresh_engine: EngineClient
) -> None:
    batch = 256
    fresh_engine.load_chat(
        gemma_path, LoadOptions(n_ctx=4608, n_batch=batch, n_ubatch=batch, n_threads=1)
    )
    prompt = fresh_engine.tokenize("The lighthouse keeper kept a log of every ship. " * 420)
    prompt = prompt[:4096]
    assert len(prompt) == 4096
    generation = fresh_engine.generate_tokens(prompt, SamplingParams(max_tokens=8))
    generation.cancel()  # Esc: the engine is still evaluating the prompt
    assert generation.result() == ""
    stats = generation.stats
    assert stats is not None and stats.stop_reason == "cancelled"
    assert stats.evaluated_tokens <= batch  # at most the batch it was in
    assert stats.generated_tokens == 0
    # What was evaluated is in the cache, and only that: the next request builds on it.
    again = fresh_engine.generate_tokens(prompt[: batch + 8], SamplingParams(max_tokens=1))
    again.result()
    assert again.stats is not None
    assert again.stats.cached_tokens == min(stats.evaluated_tokens, batch + 7)


def test_a_consumer_that_raises_does_not_block_the_next_request(
    gemma_engine: EngineClient, store: ChatStore
) -> None:
    chat = store.create_chat()
    session = ChatSession(store, gemma_engine, chat.id, STORY)
    reply = session.send("Tell me a long story about a lighthouse.")
    with pytest.raises(RuntimeError, match="the window went away"):
        for index, _piece in enumerate(reply):
            if index == 2:
                raise RuntimeError("the window went away")
    # Another thread's request runs at once, and the reply was cancelled and kept.
    assert _finishes(lambda: gemma_engine.count_tokens("next"))
    assert reply.generation.finished
    assert reply.message is not None
    stored = store.get_message(reply.message.id)
    assert stored.incomplete and stored.content == reply.generation.text
    gemma_engine.reset_cache()  # the shared engine as other tests expect it: cold


def test_a_generation_left_by_a_thread_that_ended_does_not_block(
    gemma_engine: EngineClient,
) -> None:
    left: list[object] = []

    def abandon() -> None:
        generation = gemma_engine.generate_tokens(gemma_engine.tokenize("Once upon"), STORY)
        next(generation)
        left.append(generation)  # the thread ends without reading the rest

    worker = threading.Thread(target=abandon)
    worker.start()
    worker.join()
    assert left
    assert _finishes(lambda: gemma_engine.count_tokens("next"))
    reply = gemma_engine.generate_tokens(
        gemma_engine.tokenize("Again"), SamplingParams(max_tokens=2)
    )
    assert reply.result() is not None
    gemma_engine.reset_cache()


def test_close_during_a_load_returns_at_once(fresh_engine: EngineClient, gemma_path: Path) -> None:
    fresh_engine.start()
    pid = fresh_engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # an engine that does not answer: a load that never ends
    errors: list[BaseException] = []

    def load() -> None:
        try:
            fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=512))
        except (ModelLoadError, EngineCrashed) as exc:
            errors.append(exc)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    # Wait until the loader has read the file's header and holds the client, waiting for
    # the engine's answer.
    deadline = time.monotonic() + 60
    while fresh_engine._cond.acquire(blocking=False):
        fresh_engine._cond.release()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    started = time.monotonic()
    assert _finishes(fresh_engine.close, timeout_s=30)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed  # a hang check: close gives the engine one second
    loader.join(10)
    assert not loader.is_alive()
    assert errors and isinstance(errors[0], ModelLoadError)
    assert not fresh_engine.alive
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_close_during_a_reply_cancels_it(fresh_engine: EngineClient, gemma_path: Path) -> None:
    fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=1024, n_threads=1))
    generation = fresh_engine.generate_tokens(fresh_engine.tokenize("Once"), STORY)
    next(generation)
    reader = threading.Thread(target=lambda: list(generation), daemon=True)
    reader.start()
    started = time.monotonic()
    fresh_engine.close()
    assert time.monotonic() - started < 2.0
    reader.join(10)
    assert not reader.is_alive() and generation.finished
    assert not fresh_engine.alive
