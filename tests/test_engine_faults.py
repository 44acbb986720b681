"""Faults never take the caller down: each is a typed error, and a fresh engine follows."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from core.engine.client import EngineClient
from core.engine.errors import EngineCrashed, ModelFileError, ModelLoadError, NoModelLoaded
from core.engine.protocol import ChatMessage, LoadOptions, SamplingParams
from core.i18n import Translator
from tests.gguf_writer import write_gguf

LONG = SamplingParams(temperature=0.0, max_tokens=2000, ignore_eos=True)


def _file_error(client: EngineClient, path: Path) -> ModelFileError:
    with pytest.raises(ModelFileError) as info:
        client.load_chat(path)
    return info.value


def test_bad_files_are_refused_before_llama_cpp(fresh_engine: EngineClient, tmp_path: Path,
                                                gemma_path: Path) -> None:  # fmt: skip
    random_bytes = tmp_path / "random.gguf"
    random_bytes.write_bytes(os.urandom(4096))
    truncated = tmp_path / "truncated.gguf"
    with gemma_path.open("rb") as src:
        truncated.write_bytes(src.read(50_000_000))
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    cases = {
        tmp_path / "missing.gguf": "model_missing",
        random_bytes: "model_not_gguf",
        truncated: "model_truncated",
        empty: "model_not_gguf",
        tmp_path: "model_not_file",
    }
    for path, code in cases.items():
        error = _file_error(fresh_engine, path)
        assert error.code == code, path
        line = error.message(Translator("en"))
        assert "\n" not in line and str(path) in line
    # None of it reached the engine: it was never even started.
    assert not fresh_engine.alive


def test_model_llama_cpp_refuses_is_a_load_error(fresh_engine: EngineClient, tmp_path: Path,
                                                 gemma_path: Path) -> None:  # fmt: skip
    strange = write_gguf(
        tmp_path / "strange.gguf",
        {"general.architecture": "no-such-architecture", "general.name": "Strange"},
        [("token_embd.weight", (8, 4), 0)],
    )
    with pytest.raises(ModelLoadError) as info:
        fresh_engine.load_chat(strange)
    assert info.value.code == "model_load_failed"
    assert "strange.gguf" in info.value.message(Translator("zh_CN"))
    # The same engine goes on and loads a good model.
    pid = fresh_engine.pid
    fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=512))
    assert fresh_engine.pid == pid
    assert fresh_engine.generate([ChatMessage("user", "Hi")],
                                 SamplingParams(max_tokens=4)).result() is not None  # fmt: skip


def test_model_missing_its_tensors_is_a_load_error(fresh_engine: EngineClient,
                                                   tmp_path: Path) -> None:  # fmt: skip
    hollow = write_gguf(
        tmp_path / "hollow.gguf",
        {"general.architecture": "llama", "llama.block_count": 1, "llama.context_length": 64,
         "llama.embedding_length": 8, "llama.attention.head_count": 1},
        [("token_embd.weight", (8, 4), 0)],
    )  # fmt: skip
    with pytest.raises(ModelLoadError):
        fresh_engine.load_chat(hollow)
    assert fresh_engine.alive


def test_embedding_model_cannot_be_the_chat_model(fresh_engine: EngineClient,
                                                  tmp_path: Path) -> None:  # fmt: skip
    bert = write_gguf(tmp_path / "bert.gguf", {"general.architecture": "bert"},
                      [("w", (4,), 0)])  # fmt: skip
    assert _file_error(fresh_engine, bert).code == "model_is_embedding"


def test_sigkill_mid_generation(fresh_engine: EngineClient, gemma_path: Path) -> None:
    fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=1024))
    generation = fresh_engine.generate_tokens(fresh_engine.tokenize("Once"), LONG)
    pieces = 0
    with pytest.raises(EngineCrashed) as info:
        for _ in generation:
            pieces += 1
            if pieces == 3:
                pid = fresh_engine.pid
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
    assert pieces >= 3
    assert "restart" in info.value.message(Translator("en")).lower()
    assert not fresh_engine.alive
    assert generation.finished
    # The next request starts a fresh engine with the same model loaded again.
    reply = fresh_engine.generate_tokens(fresh_engine.tokenize("Again"),
                                         SamplingParams(max_tokens=4))  # fmt: skip
    reply.result()
    assert reply.stats is not None and reply.stats.generated_tokens >= 1
    assert reply.stats.cached_tokens == 0  # only the KV cache was lost
    assert fresh_engine.alive and fresh_engine.pid != pid
    assert fresh_engine.models["chat"].path == str(gemma_path.resolve())
    # restart(reload=False) forgets the models.
    fresh_engine.restart(reload=False)
    with pytest.raises(NoModelLoaded):
        fresh_engine.generate([ChatMessage("user", "Hi")]).result()


def test_engine_killed_while_idle(fresh_engine: EngineClient, gemma_path: Path) -> None:
    fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=512))
    fresh_engine.load_embedding(gemma_path, LoadOptions(n_ctx=256))
    old_pid = fresh_engine.pid
    fresh_engine.kill()
    # Nothing was running, so nothing is lost: the next request simply gets a new engine.
    assert fresh_engine.count_tokens("text") >= 1
    assert len(fresh_engine.embed(["text"])[0]) == 640
    assert fresh_engine.pid != old_pid


def _kill_when_file_opened(pid: int, path: Path, done: threading.Event) -> None:
    """SIGKILL the engine the moment it has the model file open: mid-load, for certain."""
    target = str(path.resolve())
    while not done.is_set():
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    os.kill(pid, signal.SIGKILL)
                    return
        except OSError:
            pass
        time.sleep(0.001)


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux /proc")
def test_engine_killed_while_loading_is_a_load_error(fresh_engine: EngineClient,
                                                     qwen_path: Path) -> None:  # fmt: skip
    fresh_engine.start()
    pid = fresh_engine.pid
    assert pid is not None
    done = threading.Event()
    killer = threading.Thread(target=_kill_when_file_opened, args=(pid, qwen_path, done))
    killer.start()
    try:
        with pytest.raises(ModelLoadError) as info:
            fresh_engine.load_chat(qwen_path, LoadOptions(n_ctx=2048))
    finally:
        done.set()
        killer.join()
    assert info.value.code == "model_load_crashed"
    assert not fresh_engine.alive


def test_bad_arguments_are_refused_before_sending(fresh_engine: EngineClient) -> None:
    from core.engine.errors import InvalidRequest

    with pytest.raises(InvalidRequest):
        fresh_engine.generate([ChatMessage("user", "x")], SamplingParams(temperature=-1))
    with pytest.raises(InvalidRequest):
        fresh_engine.generate([ChatMessage("user", "x")], SamplingParams(max_tokens=0))
    with pytest.raises(InvalidRequest):
        fresh_engine.load_chat("whatever.gguf", LoadOptions(n_ctx=0))
    assert not fresh_engine.alive
