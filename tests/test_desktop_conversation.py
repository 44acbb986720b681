"""The window's engine-lane controllers, driven without a window: ``ModelLoader`` (which chat
model is loaded, loading one in the background) and ``Conversation`` (sending replies and
forgetting what changed settings outdate). Real engine with the Gemma test model on one
thread, real SQLite chat store, the real engine lane."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.engine.errors import ModelFileError
from core.engine.protocol import LoadOptions, ModelInfo
from core.settings import Settings
from desktop.chat.conversation import Conversation, ReplyEnded, ReplyStarted, SourcesSkipped
from desktop.window.messages import describe_error
from desktop.window.model_loader import ModelLoader
from desktop.window.services import AppServices
from desktop.window.workers import JobRunner

REPLY_MS = 120_000


@pytest.fixture
def lane(qtbot: QtBot) -> Iterator[JobRunner]:
    """The engine lane, as the window makes it."""
    runner = JobRunner(name="engine")
    yield runner
    runner.shutdown()


def with_context(settings: Settings, n_ctx: int) -> Settings:
    return replace(settings, engine=replace(settings.engine, n_ctx=n_ctx))


def test_the_model_loader_loads_once_says_what_failed_and_reloads_for_new_settings(
    qtbot: QtBot, services: AppServices, lane: JobRunner, gemma_path: Path, tmp_path: Path
) -> None:
    gemma = services.registry.import_file(gemma_path)
    loader = ModelLoader(services, lane)
    assert services.switcher.default("chat") is None
    default = loader.default_model()  # the first installed chat model becomes the default
    assert default is not None and default.id == gemma.id
    assert services.switcher.default("chat") is not None

    names: list[str] = []
    loader.loading_started.connect(names.append)
    with qtbot.waitSignal(loader.loaded, timeout=REPLY_MS) as loaded:
        assert loader.load(default.path) is not None
    info = loaded.args[0]
    assert isinstance(info, ModelInfo) and loader.model is info and loader.loading is None
    assert names == [Path(default.path).name] and info.n_ctx == 2048
    assert loader.load(default.path) is None and names == [Path(default.path).name]  # loaded

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model at all")
    with qtbot.waitSignal(loader.failed, timeout=REPLY_MS) as failed:
        loader.load(str(broken))
    assert isinstance(failed.args[0], ModelFileError) and loader.model is None
    said = describe_error(failed.args[0], services.translate)
    assert said and "\n" not in said and "Traceback" not in said
    qtbot.waitUntil(lambda: loader.loading is None)

    old = services.settings
    assert loader.settings_changed(old, replace(old, language="zh_CN")) is None  # not engine
    new = with_context(old, 1024)
    services.update_settings(new)
    with qtbot.waitSignal(loader.loaded, timeout=REPLY_MS) as reloaded:
        assert loader.settings_changed(old, new) is not None
    assert reloaded.args[0].n_ctx == 1024 and loader.options() == LoadOptions(
        n_ctx=1024, n_threads=1, n_batch=new.engine.n_batch
    )


def test_a_conversation_sends_and_forgets_without_a_window(
    qtbot: QtBot, services: AppServices, lane: JobRunner, gemma_path: Path
) -> None:
    services.client.load_chat(gemma_path, LoadOptions(n_ctx=2048, n_threads=1))
    conversation = Conversation(services, lane)
    chat_id, created = conversation.new_chat(None, "Gemma")
    assert created
    assert conversation.new_chat(chat_id, "Gemma") == (chat_id, False)  # nothing said: reused

    started: list[object] = []
    pieces: list[str] = []
    conversation.reply_started.connect(started.append)
    conversation.piece.connect(pieces.append)
    with qtbot.waitSignal(conversation.reply_ended, timeout=REPLY_MS) as ended:
        conversation.send(chat_id, "Say hello.")
        assert conversation.busy
        with pytest.raises(RuntimeError):
            conversation.send(chat_id, "And again.")  # one reply at a time
    reply = ended.args[0]
    assert isinstance(reply, ReplyEnded) and reply.chat_id == chat_id and not conversation.busy
    assert isinstance(started[0], ReplyStarted) and started[0].parent.content == "Say hello."
    said = [m for m in services.chats.branch(chat_id) if m.role != "system"]
    assert [m.role for m in said] == ["user", "assistant"]
    assert pieces and said[1].content.strip()  # streamed, and stored by the core
    last = conversation.last_said(chat_id)
    assert last is not None and last.id == said[0].id
    assert conversation.new_chat(chat_id, "Gemma")[1]  # something was said: a new chat

    assert conversation.session(chat_id) is not None  # kept for the next turn
    old = services.settings
    conversation.settings_changed(old, replace(old, language="zh_CN"))
    assert conversation.session(chat_id) is not None  # nothing it depends on changed
    sampling = replace(old.sampling, temperature=0.5)
    conversation.settings_changed(old, replace(old, sampling=sampling))
    assert conversation.session(chat_id) is None  # the reply reserve may differ: rebuilt

    services.chats.update_chat(chat_id, collections=["default"])
    with (
        qtbot.waitSignal(conversation.sources_skipped, timeout=REPLY_MS) as skipped,
        qtbot.waitSignal(conversation.reply_ended, timeout=REPLY_MS),
    ):
        conversation.send(chat_id, "What do my documents say?")
    assert isinstance(skipped.args[0], SourcesSkipped)  # no embedding model: said, answered
    assert [m.role for m in services.chats.branch(chat_id) if m.role != "system"] == [
        "user", "assistant", "user", "assistant",
    ]  # fmt: skip


def test_the_window_reranks_grounded_turns_when_the_settings_say_so(
    qtbot: QtBot, services: AppServices, lane: JobRunner, gemma_path: Path,
    minilm_path: Path, tmp_path: Path,
) -> None:  # fmt: skip
    """Issue 13 §4 in the window: with the stage on, a grounded turn's sources went through
    the reranker (stand-in: MiniLM with rank pooling, see tests/reranker_files.py), and its
    citations carry the rerank score for the Sources panel; off, they do not."""
    import subprocess
    import sys

    from tests.reranker_files import minilm_as_reranker

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "harbour.md").write_text(
        "# Port Ellery\n\nThe harbour master of Port Ellery is Agnes Tolland. The beacon lamp "
        "is cleaned every Thursday.\n", encoding="utf-8")  # fmt: skip
    added = subprocess.run(
        [sys.executable, "-m", "core.cli", "kb", "add", str(docs), "--embedding-model",
         str(minilm_path), "--embedding-ctx", "256", "--threads", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    knowledge = replace(services.settings.knowledge, rerank=True,
                        reranker_model=str(minilm_as_reranker()), rerank_candidates=5)  # fmt: skip
    services.update_settings(replace(services.settings, embedding_model=str(minilm_path),
                                     knowledge=knowledge))  # fmt: skip
    services.client.load_chat(gemma_path, LoadOptions(n_ctx=2048, n_threads=1))
    conversation = Conversation(services, lane)
    chat_id, _ = conversation.new_chat(None, "Gemma")
    services.chats.update_chat(chat_id, collections=["default"])
    with qtbot.waitSignal(conversation.reply_ended, timeout=REPLY_MS):
        conversation.send(chat_id, "Who is the harbour master of Port Ellery?")
    reply = services.chats.branch(chat_id)[-1]
    assert reply.citations and all("rerank_score" in c for c in reply.citations)
    assert services.client.models.get("reranker") is not None

    services.update_settings(replace(services.settings,
                                     knowledge=replace(knowledge, rerank=False)))  # fmt: skip
    with qtbot.waitSignal(conversation.reply_ended, timeout=REPLY_MS):
        conversation.send(chat_id, "When is the beacon lamp cleaned?")
    reply = services.chats.branch(chat_id)[-1]
    assert reply.citations and not any("rerank_score" in c for c in reply.citations)
