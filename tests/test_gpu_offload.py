"""The GPU path end to end, on a llama.cpp build with a GPU backend (issue 15 §2).

These run only when the installed llama-cpp-python offloads to a GPU: on this project's
machines that is the Vulkan build on Mesa's lavapipe (a Vulkan device on the CPU), made by
``packaging/build-vulkan`` and run as ``.venv-vulkan/bin/python -m pytest -m gpu
tests/test_gpu_offload.py``. With the plain CPU build they are skipped, saying why: a
hardware condition, not a gap. The CPU reference is the same build with ``gpu_layers=0``
(its CPU backend), so both sides share one llama.cpp.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from core.engine.client import EngineClient
from core.engine.gguf import read_header
from core.engine.protocol import LoadOptions, Ready, SamplingParams
from core.knowledge.embedder import Embedder
from core.knowledge.rerank import Reranker
from core.models.fit import FitOptions, plan_offload, reads_whole_documents
from core.models.switching import device_choice
from core.settings import EngineSettings
from desktop.window.status_line import StatusLine
from tests.greedy_compare import Continue, compare_greedy
from tests.reranker_files import minilm_as_reranker

pytestmark = pytest.mark.gpu

GREEDY = SamplingParams(temperature=0.0, max_tokens=64, seed=1, ignore_eos=True)
TEXT = (
    "The lighthouse keeper kept a logbook of every ship that passed, the weather, the "
    "colour of the sea at dawn and the birds that rested on the gallery rail. "
) * 6  # 205 Qwen tokens: lavapipe evaluates a prompt slowly (309 tokens: 376 s a test)


@pytest.fixture(scope="module")
def gpu_ready(engine_log: Path) -> Ready:
    client = EngineClient(log_path=engine_log)
    try:
        ready = client.start()
    finally:
        client.close()
    if not ready.gpus:
        pytest.skip(
            "this llama.cpp build has no GPU backend (llama_supports_gpu_offload() is "
            f"{ready.gpu_offload}, devices: {[d.name for d in ready.devices]}); build one with "
            "packaging/build-vulkan and run .venv-vulkan/bin/python -m pytest -m gpu (on "
            "lavapipe, a CPU-type Vulkan device, with GGML_VK_VISIBLE_DEVICES=0)"
        )
    return ready


@pytest.fixture
def engine(gpu_ready: Ready, engine_log: Path) -> Iterator[EngineClient]:
    client = EngineClient(log_path=engine_log)
    yield client
    client.close()


def test_the_engine_lists_the_gpu_and_auto_offloads_every_layer(
    gpu_ready: Ready, engine: EngineClient, qwen_path: Path
) -> None:
    gpu = gpu_ready.gpus[0]
    assert gpu.total > 0 and gpu.kind in ("gpu", "igpu")
    info = engine.load_chat(qwen_path, LoadOptions(n_ctx=2048))
    assert (info.gpu_layers, info.n_layers, info.device) == (24, 24, gpu.name)
    assert info.gpu_layers_tried is None
    cpu = engine.load_chat(qwen_path, LoadOptions(n_ctx=2048, gpu_layers=0))
    assert (cpu.gpu_layers, cpu.device) == (0, "CPU")
    part = engine.load_chat(qwen_path, LoadOptions(n_ctx=2048, gpu_layers=10))
    assert (part.gpu_layers, part.device) == (10, gpu.name)


def _continuation(engine: EngineClient, prompt: list[int]) -> Continue:
    def run(prefix: Sequence[int], n: int) -> Sequence[int]:
        generation = engine.generate_tokens([*prompt, *prefix], replace(GREEDY, max_tokens=n))
        generation.result()
        return generation.tokens

    return run


# Tokens compared per model: Qwen on lavapipe is several times slower than Gemma
# (bench/README), so it checks fewer to stay within the 300 s a test may take.
@pytest.mark.parametrize(("model", "tokens"), [("gemma", 64), ("qwen", 16)])
def test_greedy_output_on_the_gpu_matches_the_cpu_but_for_near_ties(
    model: str, tokens: int, engine: EngineClient, qwen_path: Path, gemma_path: Path
) -> None:
    """Every step of the CPU's greedy run is checked on the GPU: the GPU must choose the
    CPU's token unless the CPU rates the GPU's choice within ``NEAR_TIE`` of its own (the
    two backends round differently; tests/greedy_compare.py), going on from the CPU's
    token after such a tie. And the check can fail: another prompt's run does."""
    path = qwen_path if model == "qwen" else gemma_path
    engine.load_chat(path, LoadOptions(n_ctx=2048, gpu_layers=0))
    prompt = engine.tokenize("Write a short story about a lighthouse keeper.")
    cpu = engine.generate_tokens(prompt, replace(GREEDY, max_tokens=tokens, top_logprobs=5))
    cpu.result()
    assert len(cpu.tokens) == len(cpu.logprobs) == tokens
    info = engine.load_chat(path, LoadOptions(n_ctx=2048))
    assert info.gpu_layers == info.n_layers
    result = compare_greedy(cpu.tokens, cpu.logprobs, _continuation(engine, prompt))
    print(f"{model}: {result.describe()}")  # for the lavapipe run's record (-rP)
    assert result.divergence is None and result.steps == tokens, result.describe()
    other = _continuation(engine, engine.tokenize("Write a short poem about the sea."))
    assert compare_greedy(cpu.tokens, cpu.logprobs, other, chunk=4).divergence is not None


def test_prefix_reuse_and_the_kv_shift_work_on_the_gpu(
    engine: EngineClient, qwen_path: Path
) -> None:
    info = engine.load_chat(qwen_path, LoadOptions(n_ctx=2048))
    assert info.gpu_layers == info.n_layers and info.can_shift
    tokens = engine.tokenize(TEXT)
    assert len(tokens) > 200
    one = SamplingParams(temperature=0.0, max_tokens=4)
    engine.generate_tokens(tokens, one).result()
    again = engine.generate_tokens(tokens, one)
    again.result()
    assert again.stats is not None and again.stats.cached_tokens >= len(tokens) - 1
    # Drop a stretch after the start and go on with new text, as a conversation does after
    # an eviction: the rest of the cache is moved down, not evaluated; only the new text is.
    cut = tokens[:20] + tokens[40:] + engine.tokenize(" At dawn the keeper wrote one more line.")
    shifted = engine.generate_tokens(cut, one)
    shifted.result()
    assert shifted.stats is not None and shifted.stats.shifted_tokens > 100, shifted.stats
    assert shifted.stats.evaluated_tokens < 50


def test_embeddings_on_the_gpu_match_the_cpu(engine: EngineClient, minilm_path: Path) -> None:
    texts = ["a lighthouse on a rock", "the keeper's logbook", "weather at sea"]
    info = engine.load_embedding(minilm_path, LoadOptions(n_ctx=512))
    assert info.gpu_layers == info.n_layers  # embedding models go whole to the GPU
    on_gpu = engine.embed(texts)
    engine.load_embedding(minilm_path, LoadOptions(n_ctx=512, gpu_layers=0))
    on_cpu = engine.embed(texts)
    for a, b in zip(on_gpu, on_cpu, strict=True):
        cosine = sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
            sum(x * x for x in a) * sum(y * y for y in b)
        )
        assert cosine >= 0.999


def test_the_device_setting_places_the_embedding_model_and_the_reranker(
    gpu_ready: Ready, engine: EngineClient, minilm_path: Path
) -> None:
    """Settings → Device reaches the models of core/knowledge: CPU only keeps them off the
    GPU, a chosen GPU takes them whole (GPU layers is the chat model's number), and they
    work there."""
    gpu = gpu_ready.gpus[0].name
    reranker = minilm_as_reranker()
    for settings, where in (
        (EngineSettings(device="cpu"), "CPU"),
        (EngineSettings(device=gpu, gpu_layers=2), gpu),
    ):
        embedder = Embedder(engine, minilm_path, device=device_choice(settings, "embedding"))
        info = embedder.ensure_loaded()
        assert info.device == where, settings
        assert info.gpu_layers == (0 if where == "CPU" else info.n_layers)
        assert len(embedder.embed(["a lighthouse on a rock"])[0]) == 384
        second = Reranker(engine, reranker, n_ctx=512,
                          device=device_choice(settings, "reranker"))  # fmt: skip
        info = second.ensure_loaded()
        assert info.device == where, settings
        assert info.gpu_layers == (0 if where == "CPU" else info.n_layers)
        assert len(second.scores("a question", ["a passage"])) == 1


def test_more_layers_than_a_small_device_holds_fall_back_with_a_message(
    gpu_ready: Ready,
    engine_log: Path,
    qwen_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A device with room for about half of Qwen's layers (simulated: every GPU reports
    FIRESIDE_SIMULATE_GPU_MEMORY; lavapipe reports the computer's memory): asking for all
    24 loads as many as fit, and the status line says that 24 did not fit."""
    header = read_header(qwen_path)
    # Planned as the engine plans a chat model: with room for its side cache.
    options = FitOptions(n_ctx=2048, side_cache=reads_whole_documents(header))
    whole = plan_offload(header, options, gpu_ready.gpus[0], requested=24)
    small = whole.gpu_bytes // 2 + (256 << 20)  # half of it, past the headroom kept free
    monkeypatch.setenv("FIRESIDE_SIMULATE_GPU_MEMORY", str(small))
    client = EngineClient(log_path=engine_log)  # spawned now: it sees the variable
    try:
        ready = client.start()
        assert ready.gpus[0].free == ready.gpus[0].total == small
        info = client.load_chat(qwen_path, LoadOptions(n_ctx=2048, gpu_layers=24))
        assert 0 < info.gpu_layers < 24 and info.gpu_layers_tried == 24, info
        assert info.device == ready.gpus[0].name
        auto = client.load_chat(qwen_path, LoadOptions(n_ctx=2048))
        assert (auto.gpu_layers, auto.gpu_layers_tried) == (info.gpu_layers, None)
        reply = client.generate_tokens(client.tokenize("The sea at dawn"), GREEDY)
        reply.result()
        assert len(reply.tokens) == 64  # the partial offload runs
    finally:
        client.close()
    window = QMainWindow()
    qtbot.addWidget(window)
    line = StatusLine(window.statusBar(), window)
    line.model(info)
    assert line.model_label.toolTip().endswith(
        f"24 layers on the GPU did not fit; loaded with {info.gpu_layers}"
    )
    assert line.model_label.text().endswith(f"{info.gpu_layers} of 24 layers")
