"""Devices and GPU offload: what the engine's llama.cpp build can use, and how many layers
"auto" puts on a GPU, planned from a real GGUF header against a given free memory."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from core.engine.client import EngineClient
from core.engine.errors import InvalidRequest
from core.engine.gguf import read_header
from core.engine.protocol import DeviceInfo, LoadOptions, Ready
from core.models.fit import (
    FitAdvisor,
    FitOptions,
    ModelFigures,
    SystemMemory,
    Verdict,
    compute_bytes,
    kv_cache_bytes,
    plan_offload,
)
from core.models.offload import LayerWeights, Speed, gpu_bytes, headroom, layers_that_fit

GIB = 1 << 30


def _gpu(free: int) -> DeviceInfo:
    return DeviceInfo("Vulkan0", "simulated", "gpu", free=free, total=free)


def test_the_cpu_build_reports_no_gpu_offload_and_lists_the_cpu_with_its_memory(
    fresh_engine: EngineClient,
) -> None:
    ready = fresh_engine.start()
    assert isinstance(ready, Ready)
    assert ready.gpu_offload is False
    assert ready.gpus == ()
    cpus = [d for d in ready.devices if d.kind == "cpu"]
    assert len(cpus) == 1, ready.devices
    cpu = cpus[0]
    assert cpu.name == "CPU" and cpu.description
    # The CPU device's memory is the computer's: within a few percent of psutil's total.
    total = psutil.virtual_memory().total
    assert abs(cpu.total - total) < 0.05 * total
    assert 0 < cpu.free <= cpu.total


def test_auto_gives_no_layers_on_the_cpu_build(fresh_engine: EngineClient, qwen_path: Path) -> None:
    info = fresh_engine.load_chat(qwen_path, LoadOptions(n_ctx=512))
    assert (info.gpu_layers, info.device, info.gpu_layers_tried) == (0, "CPU", None)
    assert info.n_layers == read_header(qwen_path).arch_int("block_count") == 24
    # Asking for layers on a build without a GPU backend is not an error: llama.cpp keeps
    # them on the CPU, and the model says so.
    info = fresh_engine.load_chat(qwen_path, LoadOptions(n_ctx=512, gpu_layers=8))
    assert (info.gpu_layers, info.device) == (0, "CPU")


@pytest.mark.parametrize("bad", [-1, "all", 1.5, True])
def test_gpu_layers_must_be_auto_or_a_whole_number(bad: object) -> None:
    with pytest.raises(InvalidRequest) as caught:
        LoadOptions(gpu_layers=bad).validate()  # type: ignore[arg-type]
    assert caught.value.params["name"] == "gpu_layers"


def test_layer_weights_come_from_the_header_tensors(qwen_path: Path, gemma_path: Path) -> None:
    for path, layers in ((qwen_path, 24), (gemma_path, 18)):
        header = read_header(path)
        weights = LayerWeights.from_header(header)
        assert weights.n_layers == layers
        assert all(size > 0 for size in weights.blocks)
        # Every tensor is counted once (tied output heads are counted again in `output`).
        tensor_bytes = sum(t.n_bytes or 0 for t in header.tensors)
        assert weights.total == tensor_bytes
        assert 0.8 * header.file_size < weights.total <= header.file_size
        assert weights.output > 0
    # Gemma ties its output head to the token embeddings; Qwen 0.5B has its own.
    assert LayerWeights.from_header(read_header(gemma_path)).tied
    assert not LayerWeights.from_header(read_header(qwen_path)).tied


@pytest.mark.parametrize("model", ["qwen", "gemma"])
def test_auto_fits_the_layers_a_simulated_device_holds(
    model: str, qwen_path: Path, gemma_path: Path
) -> None:
    header = read_header(qwen_path if model == "qwen" else gemma_path)
    options = FitOptions(n_ctx=4096)
    weights = LayerWeights.from_header(header)
    n = weights.n_layers
    everything = plan_offload(header, options, _gpu(64 * GIB))
    assert everything.layers == n + 1 and everything.speed is Speed.GPU
    assert everything.offloaded == n and everything.device == "Vulkan0"

    nothing = plan_offload(header, options, _gpu(300 << 20))
    assert nothing.layers == 0 and nothing.speed is Speed.CPU and nothing.device is None

    # A device as large as everything needs, less the headroom it keeps, takes part of
    # the layers: the largest count whose memory fits what is usable.
    figures = ModelFigures.from_header(header)
    kv_per_layer = kv_cache_bytes(figures, options) // n
    compute = compute_bytes(figures, options)
    free = everything.gpu_bytes
    plan = plan_offload(header, options, _gpu(free))
    assert plan.speed is Speed.PARTIAL and 0 < plan.layers < n, plan
    usable = free - headroom(free)
    assert plan.gpu_bytes == gpu_bytes(weights, plan.layers, kv_per_layer, compute) <= usable
    assert gpu_bytes(weights, plan.layers + 1, kv_per_layer, compute) > usable
    assert layers_that_fit(weights, kv_per_layer, compute, free) == plan.layers


def test_more_free_memory_never_fits_fewer_layers(qwen_path: Path) -> None:
    header = read_header(qwen_path)
    counts = [
        plan_offload(header, FitOptions(n_ctx=2048), _gpu(free)).layers
        for free in range(0, 2 * GIB, 32 << 20)
    ]
    assert counts == sorted(counts)
    assert counts[0] == 0 and counts[-1] == 25


def test_an_embedding_model_goes_whole_to_a_gpu(minilm_path: Path) -> None:
    header = read_header(minilm_path)
    plan = plan_offload(header, FitOptions(n_ctx=512), _gpu(64 << 20), embedding=True)
    assert plan.layers == plan.n_layers + 1 == 7 and plan.speed is Speed.GPU


def test_a_number_of_layers_is_taken_as_asked(qwen_path: Path) -> None:
    header = read_header(qwen_path)
    asked = plan_offload(header, FitOptions(), _gpu(GIB), requested=10)
    assert (asked.layers, asked.offloaded, asked.speed) == (10, 10, Speed.PARTIAL)
    too_many = plan_offload(header, FitOptions(), _gpu(GIB), requested=500)
    assert too_many.layers == 25 and too_many.speed is Speed.GPU
    assert plan_offload(header, FitOptions(), None, requested=10).speed is Speed.CPU


def test_more_layers_than_a_small_device_holds_are_lowered_and_the_number_kept(
    qwen_path: Path,
) -> None:
    header = read_header(qwen_path)
    options = FitOptions(n_ctx=2048)
    whole = plan_offload(header, options, _gpu(64 * GIB), requested=24)
    assert (whole.layers, whole.asked) == (24, None)
    small = _gpu(whole.gpu_bytes // 2 + (256 << 20))  # room for about half, past headroom
    fits = plan_offload(header, options, small).layers
    plan = plan_offload(header, options, small, requested=24)
    assert 0 < plan.layers == fits < 24 and plan.asked == 24 and plan.speed is Speed.PARTIAL
    # A number the device holds is taken as it is.
    assert plan_offload(header, options, small, requested=fits).asked is None
    # A device that does not say its memory (0 free) is not second-guessed.
    assert plan_offload(header, options, _gpu(0), requested=24).layers == 24


def test_the_fit_judges_what_stays_in_ram(qwen_path: Path) -> None:
    header = read_header(qwen_path)
    options = FitOptions(n_ctx=4096)
    small = SystemMemory(total=800 << 20, available=400 << 20)
    on_cpu = FitAdvisor(lambda: small).check_header(header, options)
    assert on_cpu.verdict is Verdict.WONT_FIT and on_cpu.speed is Speed.CPU
    assert on_cpu.gpu_bytes == 0 and on_cpu.ram_bytes == on_cpu.estimate.total
    # The same computer with an 8 GiB GPU: the layers, the KV cache and the compute buffer
    # go there, and what stays in RAM fits.
    with_gpu = FitAdvisor(lambda: small, device=_gpu(8 * GIB)).check_header(header, options)
    assert with_gpu.speed is Speed.GPU and with_gpu.verdict is Verdict.FITS
    assert with_gpu.gpu_bytes + with_gpu.ram_bytes == with_gpu.estimate.total
    assert with_gpu.ram_bytes < on_cpu.ram_bytes / 2
    # Asked for CPU only, the GPU does not count.
    cpu_only = FitAdvisor(lambda: small, device=_gpu(8 * GIB)).check_header(
        header, options, gpu_layers=0
    )
    assert cpu_only.speed is Speed.CPU and cpu_only.verdict is Verdict.WONT_FIT
