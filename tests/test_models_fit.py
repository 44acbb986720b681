"""Memory-fit answers: made-up figures with answers worked out by hand, and the real headers
of the two test models."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from core.engine.client import EngineClient
from core.engine.gguf import read_header
from core.engine.protocol import DeviceInfo, LoadOptions, SamplingParams
from core.models.errors import WontFit
from core.models.fit import (
    OVERHEAD_BYTES,
    FitAdvisor,
    FitOptions,
    ModelFigures,
    SystemMemory,
    Verdict,
    compute_bytes,
    estimate_memory,
    judge,
    kv_cache_bytes,
    plan_offload,
    reads_whole_documents,
)
from core.models.naming import ModelFileGroup, RemoteFileInfo

MiB = 1 << 20
GiB = 1 << 30

# Llama-2-7B-like with grouped-query attention: 32 layers, 32 query heads sharing 8 K/V heads.
GQA = ModelFigures(
    architecture="llama", n_layers=32, n_embd=4096, n_head=32, n_head_kv=8,
    key_length=128, value_length=128, n_ff=14336, n_vocab=32000,
)  # fmt: skip
# Gemma-3-like: 12 layers, every 6th full attention, the rest a 1024-position window.
SWA = ModelFigures(
    architecture="gemma3", n_layers=12, n_embd=1152, n_head=4, n_head_kv=1,
    key_length=256, value_length=256, n_ff=6912, n_vocab=262144,
    sliding_window=1024, swa_pattern=6,
)  # fmt: skip


def test_kv_cache_with_grouped_query_attention() -> None:
    # 32 layers x 4096 positions x 8 heads x (128 + 128) values x 2 bytes = 512 MiB
    assert kv_cache_bytes(GQA, FitOptions(n_ctx=4096)) == 512 * MiB
    # Without GQA (one K/V head per query head) it would be four times as much.
    mha = ModelFigures(**{**GQA.__dict__, "n_head_kv": 32})
    assert kv_cache_bytes(mha, FitOptions(n_ctx=4096)) == 2 * GiB
    # Linear in the context; a q8_0-like cache (about 1 byte per value) halves it.
    assert kv_cache_bytes(GQA, FitOptions(n_ctx=8192)) == GiB
    assert kv_cache_bytes(GQA, FitOptions(n_ctx=4096, kv_bytes_per_value=1.0)) == 256 * MiB


def test_kv_cache_with_sliding_window_layers() -> None:
    assert SWA.swa_layers == 10  # layers 5 and 11 attend to the whole context
    per_position_per_layer = 1 * (256 + 256) * 2  # 1 KiB
    # The engine keeps the full context in every layer (swa_full): 12 x 8192 positions.
    assert kv_cache_bytes(SWA, FitOptions(n_ctx=8192)) == 12 * 8192 * per_position_per_layer
    # Without swa_full: 2 full layers x 8192 + 10 window layers x (1024 + 512 batch).
    small = kv_cache_bytes(SWA, FitOptions(n_ctx=8192, swa_full=False))
    assert small == (2 * 8192 + 10 * 1536) * per_position_per_layer
    # A context shorter than the window gains nothing.
    assert kv_cache_bytes(SWA, FitOptions(n_ctx=1024, swa_full=False)) == 12 * 1024 * 1024


def test_compute_and_total() -> None:
    options = FitOptions(n_ctx=4096, n_ubatch=512)
    # 4 bytes x (512 x (4 x 4096 + 2 x 14336 + 32 x 4096) + 32000)
    assert compute_bytes(GQA, options) == 4 * (512 * (16384 + 28672 + 131072) + 32000)
    estimate = estimate_memory(GQA, 4_000_000_000, options)
    assert estimate.total == 4_000_000_000 + 512 * MiB + compute_bytes(GQA, options) + (
        OVERHEAD_BYTES
    )


def test_verdicts() -> None:
    memory = SystemMemory(total=16 * GiB, available=10 * GiB)
    assert judge(8 * GiB, memory) is Verdict.FITS  # within 80 % of what is free
    assert judge(9 * GiB, memory) is Verdict.TIGHT  # free now, but with little room
    assert judge(12 * GiB, memory) is Verdict.TIGHT  # after closing other programs
    assert judge(13 * GiB, memory) is Verdict.WONT_FIT  # beyond 80 % of all memory


def test_wont_fit_says_so_in_one_line() -> None:
    advisor = FitAdvisor(lambda: SystemMemory(total=8 * GiB, available=7_600_000_000))
    answer = advisor.check(GQA, 9_000_000_000, FitOptions(n_ctx=4096))
    # 9.0 GB of weights + 0.54 GB KV cache + 0.36 GB compute + 0.13 GB overhead
    assert answer.estimate.total == 10_031_926_784
    assert answer.verdict is Verdict.WONT_FIT
    with pytest.raises(WontFit) as info:
        answer.raise_if_wont_fit()
    assert str(info.value) == (
        "This model needs about 10.0 GB of memory; this computer has 7.6 GB free"
    )


def _group(quant: str, size: int) -> ModelFileGroup:
    name = f"m-{quant}.gguf"
    return ModelFileGroup(quant, name, (RemoteFileInfo(name, size),))


def test_recommend_the_largest_quantization_that_fits() -> None:
    groups = [_group("Q8_0", 7_200_000_000), _group("Q4_K_M", 4_100_000_000),
              _group("Q6_K", 5_500_000_000), _group("Q2_K", 2_700_000_000)]  # fmt: skip
    options = FitOptions(n_ctx=4096)
    extra = estimate_memory(GQA, 0, options).total
    roomy = FitAdvisor(lambda: SystemMemory(total=64 * GiB, available=48 * GiB))
    best = roomy.recommend(GQA, groups, options)
    assert best is not None and best.group.quantization == "Q8_0"
    # Q6_K needs 5.5 GB + extra; give exactly enough for it to fit comfortably.
    enough = int((5_500_000_000 + extra) / 0.8) + 1
    snug = FitAdvisor(lambda: SystemMemory(total=enough, available=enough))
    best = snug.recommend(GQA, groups, options)
    assert best is not None and best.group.quantization == "Q6_K"
    assert best.answer.verdict is Verdict.FITS
    # Nothing fits comfortably: the largest tight one is offered, then nothing at all.
    tight = FitAdvisor(lambda: SystemMemory(total=4 * GiB, available=2_700_000_000 + extra))
    best = tight.recommend(GQA, groups, options)
    assert best is not None and best.group.quantization == "Q2_K"
    assert best.answer.verdict is Verdict.TIGHT
    none = FitAdvisor(lambda: SystemMemory(total=2 * GiB, available=GiB))
    assert none.recommend(GQA, groups, options) is None


def test_figures_from_the_real_gemma_header(gemma_path: Path) -> None:
    header = read_header(gemma_path)
    figures = ModelFigures.from_header(header)
    assert figures.architecture == "gemma3"
    assert (figures.n_layers, figures.n_head, figures.n_head_kv) == (18, 4, 1)
    assert (figures.key_length, figures.value_length) == (256, 256)
    assert figures.sliding_window == 512 and figures.swa_layers == 15
    assert figures.n_vocab == 262144 and figures.training_context == 32768
    # 18 layers x 4096 x 1 head x 512 values x 2 bytes (the engine uses swa_full)
    assert kv_cache_bytes(figures, FitOptions(n_ctx=4096)) == 75_497_472
    # Only the 3 full-attention layers would hold 4096 positions without swa_full.
    assert kv_cache_bytes(figures, FitOptions(n_ctx=4096, swa_full=False)) == (
        (3 * 4096 + 15 * 1024) * 1024
    )


def test_figures_from_the_real_qwen_header(qwen_path: Path) -> None:
    header = read_header(qwen_path)
    figures = ModelFigures.from_header(header)
    assert figures.architecture == "qwen2" and figures.swa_layers == 0
    assert (figures.n_layers, figures.n_head, figures.n_head_kv) == (24, 14, 2)
    assert figures.key_length == 896 // 14 == 64
    # 24 layers x 2048 x 2 heads x 128 values x 2 bytes = 24 MiB (measured: 24 MiB more
    # resident memory per 2048 positions in the engine)
    assert kv_cache_bytes(figures, FitOptions(n_ctx=2048)) == 24 * MiB


def test_real_models_fit_this_computer(gemma_path: Path, qwen_path: Path) -> None:
    memory = SystemMemory.current()
    vm = psutil.virtual_memory()
    assert 0 < memory.available <= memory.total == vm.total
    advisor = FitAdvisor()
    for path in (gemma_path, qwen_path):
        answer = advisor.check_header(read_header(path), FitOptions(n_ctx=2048))
        assert answer.estimate.weights == path.stat().st_size
        # Measured resident memory of the engine with these models is 0.4-0.7 GB.
        assert 300 * MiB < answer.estimate.total < GiB
        assert answer.verdict is Verdict.FITS


def test_a_chat_model_counts_its_side_cache_from_the_real_qwen_header(
    qwen_path: Path, minilm_path: Path
) -> None:
    """Reading whole documents makes a second context of the chat model (the side cache):
    as large a KV cache and compute buffers again, in RAM and on a GPU."""
    header = read_header(qwen_path)
    figures = ModelFigures.from_header(header)
    assert reads_whole_documents(header) and not reads_whole_documents(read_header(minilm_path))
    alone = FitOptions(n_ctx=2048)
    with_side = FitOptions(n_ctx=2048, side_cache=True)
    # 24 layers x 2048 x 2 heads x 128 values x 2 bytes, and
    # 4 bytes x (512 x (4 x 896 + 2 x 4864 + 14 heads x 2048) + 151,936 logits)
    kv, compute = 24 * MiB, 4 * (512 * (4 * 896 + 2 * 4864 + 14 * 2048) + 151_936)
    assert (kv_cache_bytes(figures, with_side), compute_bytes(figures, with_side)) == (kv, compute)
    plain = estimate_memory(figures, header.file_size, alone)
    both = estimate_memory(figures, header.file_size, with_side)
    assert plain.side_cache == 0 and both.side_cache == kv + compute == 111_756_800
    assert both.total == plain.total + kv + compute
    # A device that holds every layer with one context holds fewer with two.
    need = plan_offload(header, alone, DeviceInfo("G", "g", "gpu", 8 * GiB, 8 * GiB)).gpu_bytes
    free = need + 300 * MiB  # what it needs, the 256 MiB headroom and a little more
    small = DeviceInfo("G", "small", "gpu", free, free)
    assert plan_offload(header, alone, small).layers == 25  # 24 layers and the output
    side = plan_offload(header, with_side, small)
    assert 0 < side.layers < 25 and side.gpu_bytes <= small.free


def _anonymous_memory(pid: int) -> int:
    """Bytes of the process's private memory (RssAnon): the KV caches and buffers, not the
    mapped weights, whose pages the kernel may drop and map again."""
    with open(f"/proc/{pid}/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("RssAnon:"))
    return kib * 1024


def test_the_side_cache_uses_no_more_than_its_estimate(
    gemma_path: Path, fresh_engine: EngineClient
) -> None:
    """The engine's private memory grows, when a first pass runs on the side cache, by at
    least the KV cache and no more than the estimate (Gemma 3 270M at 4096 positions:
    measured 86-105 MiB against 72 MiB KV + 46 MiB buffers)."""
    fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=4096, n_threads=2))
    options = FitOptions(n_ctx=4096, side_cache=True)
    estimate = estimate_memory(ModelFigures.from_header(read_header(gemma_path)), 0, options)
    prompt = list(range(1000, 1520))  # more than a full batch, as a pass of chunks is
    fresh_engine.generate_tokens(prompt[:8], SamplingParams(max_tokens=1)).result()
    pid = fresh_engine.pid
    assert pid is not None
    before = _anonymous_memory(pid)
    fresh_engine.generate_tokens(prompt, SamplingParams(max_tokens=1), cache="side").result()
    grown = _anonymous_memory(pid) - before
    assert estimate.kv_cache <= grown <= estimate.side_cache, (grown / MiB, estimate)
