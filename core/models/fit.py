"""Will this model fit in this computer's memory? An estimate, not a guess.

Memory for a model is the weights (the GGUF file's tensors, mapped into memory), the KV cache
(two vectors per layer, per attention head group, per position of the context), the compute
buffers llama.cpp allocates for one batch, and a fixed overhead for the engine process. The
KV cache follows the model's own figures: grouped-query attention shares one key/value head
among several query heads (``head_count_kv``), and sliding-window layers keep only the last
``sliding_window`` positions, unless the engine keeps the full context for them, as ours
does (``swa_full``; see core/engine/runtime.py) so that its cache can be cut back anywhere.

A chat model may also hold a second context (core/engine/runtime.py's side cache, made the
first time whole documents are read for a question: core/knowledge/whole.py). It is made
with the same context parameters, so it has a KV cache and compute buffers as large as the
first context's; where a whole-documents pass can run (``FitOptions.side_cache``) they are
counted too, in RAM and in what goes to a GPU.

The compute and overhead terms were calibrated against the engine's measured resident memory
on the two test models (within about a quarter, erring high); weights and KV cache match the
measurements closely.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import psutil

from core.engine.gguf import GGUFHeader
from core.engine.protocol import DeviceInfo, GpuLayers
from core.models.errors import WontFit
from core.models.naming import ModelFileGroup
from core.models.offload import LayerWeights, OffloadPlan, Speed, gpu_bytes, layers_that_fit
from core.models.units import human_size

# Every n-th layer attends to the whole context; the others use the sliding window
# (llama.cpp's set_swa_pattern for these architectures).
SWA_PATTERNS: Final[dict[str, int]] = {"gemma2": 2, "gemma3": 6, "cohere2": 4, "gpt-oss": 2}
OVERHEAD_BYTES: Final = 128 << 20
FIT_SHARE: Final = 0.8  # use at most this share of free memory to call it a comfortable fit


@dataclass(frozen=True)
class ModelFigures:
    """The figures of a model that decide how much memory it needs beyond its weights."""

    architecture: str
    n_layers: int
    n_embd: int
    n_head: int
    n_head_kv: int
    key_length: int
    value_length: int
    n_ff: int
    n_vocab: int
    sliding_window: int | None = None
    swa_pattern: int = 0  # 0: no sliding-window layers
    training_context: int | None = None

    @classmethod
    def from_header(cls, header: GGUFHeader) -> ModelFigures:
        def figure(key: str, default: int) -> int:
            """The header's figure (checked as a whole number when read), or the default
            when absent or given per layer."""
            value = header.arch_int(key)
            return value if value is not None else default

        n_embd = figure("embedding_length", 0)
        n_head = max(1, figure("attention.head_count", 1))
        head_dim = n_embd // n_head if n_embd else 0
        window = figure("attention.sliding_window", 0) or None
        arch = header.architecture
        return cls(
            architecture=arch,
            n_layers=figure("block_count", 0),
            n_embd=n_embd,
            n_head=n_head,
            n_head_kv=max(1, figure("attention.head_count_kv", n_head)),
            key_length=figure("attention.key_length", head_dim),
            value_length=figure("attention.value_length", head_dim),
            n_ff=figure("feed_forward_length", 4 * n_embd),
            n_vocab=header.vocab_size,
            sliding_window=window,
            swa_pattern=SWA_PATTERNS.get(arch, 0) if window else 0,
            training_context=header.context_length,
        )

    @property
    def swa_layers(self) -> int:
        """Layers that use the sliding window (llama.cpp: ``il % n < n - 1``)."""
        if not self.sliding_window or self.swa_pattern <= 1:
            return 0
        return sum(1 for il in range(self.n_layers) if il % self.swa_pattern < self.swa_pattern - 1)


@dataclass(frozen=True)
class FitOptions:
    """How the engine would load the model."""

    n_ctx: int = 4096
    n_ubatch: int = 512
    kv_bytes_per_value: float = 2.0  # f16 K and V
    swa_full: bool = True  # the engine keeps the full context in sliding-window layers
    overhead_bytes: int = OVERHEAD_BYTES
    # A chat model that may read whole documents: its side cache (a second context) counts.
    side_cache: bool = False


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    kv_cache: int
    compute: int
    overhead: int
    n_ctx: int
    side_cache: int = 0  # the second context's KV cache and compute buffers (whole documents)

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.compute + self.overhead + self.side_cache


def kv_cache_bytes(figures: ModelFigures, options: FitOptions) -> int:
    """K and V for every layer and every cached position, per key/value head group.

    Grouped-query attention enters through ``n_head_kv``; sliding-window layers hold
    ``min(n_ctx, window + n_ubatch)`` positions unless ``swa_full``.
    """
    per_position = figures.n_head_kv * (figures.key_length + figures.value_length)
    swa = figures.swa_layers
    full = figures.n_layers - swa
    swa_positions = options.n_ctx
    if not options.swa_full and figures.sliding_window:
        swa_positions = min(options.n_ctx, figures.sliding_window + options.n_ubatch)
    positions = full * options.n_ctx + swa * swa_positions
    return int(positions * per_position * options.kv_bytes_per_value)


def compute_bytes(figures: ModelFigures, options: FitOptions) -> int:
    """llama.cpp's compute buffer for one batch (f32): the attention scores of one layer
    (positions x batch x heads), the feed-forward and hidden activations, one row of logits."""
    batch = min(options.n_ubatch, options.n_ctx)
    per_token = 4 * figures.n_embd + 2 * figures.n_ff + figures.n_head * options.n_ctx
    return 4 * (batch * per_token + figures.n_vocab)


def reads_whole_documents(header: GGUFHeader) -> bool:
    """A chat model (not an embedding model or a reranker): a grounded chat may read whole
    documents with it, on its side cache."""
    return not (header.is_embedding_model or header.is_reranker)


def contexts(options: FitOptions) -> int:
    """How many llama contexts of this size the engine makes on the model's weights: the
    chat's, and the side cache's where whole documents may be read."""
    return 2 if options.side_cache else 1


def estimate_memory(figures: ModelFigures, weights: int, options: FitOptions) -> MemoryEstimate:
    kv_cache = kv_cache_bytes(figures, options)
    compute = compute_bytes(figures, options)
    return MemoryEstimate(
        weights=weights,
        kv_cache=kv_cache,
        compute=compute,
        overhead=options.overhead_bytes,
        n_ctx=options.n_ctx,
        side_cache=(kv_cache + compute) * (contexts(options) - 1),
    )


def plan_offload(
    header: GGUFHeader,
    options: FitOptions,
    device: DeviceInfo | None,
    requested: GpuLayers = "auto",
    *,
    embedding: bool = False,
) -> OffloadPlan:
    """How many layers go to ``device`` (None: no GPU, so none) and the memory they take
    there. "auto" fits the device's free memory (an embedding model: all of it, they are
    small); a number is taken as asked, up to every layer and the output, unless the
    device says it has less free memory than they need: then as many as fit, and the plan
    keeps the number asked (``asked``) so the person is told."""
    weights = LayerWeights.from_header(header)
    n = weights.n_layers
    if device is None:
        return OffloadPlan(0, n, 0, None)
    figures = ModelFigures.from_header(header)
    # Each context keeps an offloaded layer's K and V on the device, and its own buffers.
    kv_per_layer = contexts(options) * kv_cache_bytes(figures, options) // max(1, figures.n_layers)
    compute = contexts(options) * compute_bytes(figures, options)
    asked: int | None = None
    if requested != "auto":
        layers = min(requested, n + 1)
        fits = layers_that_fit(weights, kv_per_layer, compute, device.free)
        if device.free > 0 and layers > fits:
            asked, layers = layers, fits
    elif embedding:
        layers = n + 1
    else:
        layers = layers_that_fit(weights, kv_per_layer, compute, device.free)
    used = gpu_bytes(weights, layers, kv_per_layer, compute)
    return OffloadPlan(layers, n, used, device.name if layers > 0 else None, asked)


class Verdict(enum.Enum):
    FITS = "fits"
    TIGHT = "tight"  # fits in what is free now with little room, or after closing programs
    WONT_FIT = "wont_fit"


@dataclass(frozen=True)
class SystemMemory:
    total: int
    available: int

    @classmethod
    def current(cls) -> SystemMemory:
        """This computer's memory, now (psutil's 'available': free plus reclaimable cache)."""
        vm = psutil.virtual_memory()
        return cls(total=int(vm.total), available=int(vm.available))


def judge(need: int, memory: SystemMemory) -> Verdict:
    if need <= FIT_SHARE * memory.available:
        return Verdict.FITS
    if need <= max(memory.available, FIT_SHARE * memory.total):
        return Verdict.TIGHT
    return Verdict.WONT_FIT


@dataclass(frozen=True)
class FitAnswer:
    estimate: MemoryEstimate
    memory: SystemMemory
    verdict: Verdict
    offload: OffloadPlan | None = None  # None: known by size only, so planned for the CPU

    @property
    def gpu_bytes(self) -> int:
        return self.offload.gpu_bytes if self.offload else 0

    @property
    def ram_bytes(self) -> int:
        """What stays in the computer's memory (the whole estimate on the CPU)."""
        return max(0, self.estimate.total - self.gpu_bytes)

    @property
    def speed(self) -> Speed:
        return self.offload.speed if self.offload else Speed.CPU

    @property
    def params(self) -> dict[str, str]:
        """Message parameters: sizes as people read them."""
        return {
            "need": human_size(self.estimate.total),
            "free": human_size(self.memory.available),
            "total": human_size(self.memory.total),
        }

    def raise_if_wont_fit(self) -> None:
        if self.verdict is Verdict.WONT_FIT:
            raise WontFit("models_wont_fit", need=self.params["need"], free=self.params["free"])


@dataclass(frozen=True)
class Recommendation:
    group: ModelFileGroup
    answer: FitAnswer


class FitAdvisor:
    """Answers fits / tight / won't fit against this computer's memory (or a given figure)."""

    def __init__(
        self,
        memory: Callable[[], SystemMemory] = SystemMemory.current,
        device: DeviceInfo | None = None,
    ) -> None:
        """``device``: the GPU the engine would offload to (``Ready.gpus``), None for CPU only."""
        self._memory = memory
        self._device = device

    def with_device(self, device: DeviceInfo | None) -> FitAdvisor:
        """The same advisor judging for ``device`` (what a running engine reported)."""
        return FitAdvisor(self._memory, device)

    def check(
        self,
        figures: ModelFigures,
        weights: int,
        options: FitOptions,
        offload: OffloadPlan | None = None,
    ) -> FitAnswer:
        """Judged on what stays in RAM: the part ``offload`` puts on the GPU is not there."""
        estimate = estimate_memory(figures, weights, options)
        memory = self._memory()
        need = max(0, estimate.total - (offload.gpu_bytes if offload else 0))
        return FitAnswer(estimate, memory, judge(need, memory), offload)

    def check_size(self, weights: int, options: FitOptions) -> FitAnswer:
        """A model known only by its file size (a catalogue entry before its header is read).

        Without the model's figures the KV cache and compute buffers are taken as a quarter
        of the weights, which errs high for the small-context embedding models this serves
        (bge-m3 at 512 positions: about 45 MB of compute for 635 MB of weights)."""
        estimate = MemoryEstimate(weights=weights, kv_cache=0, compute=weights // 4,
                                  overhead=options.overhead_bytes, n_ctx=options.n_ctx)  # fmt: skip
        memory = self._memory()
        return FitAnswer(estimate, memory, judge(estimate.total, memory))

    def check_header(
        self,
        header: GGUFHeader,
        options: FitOptions,
        weights: int = 0,
        gpu_layers: GpuLayers = "auto",
    ) -> FitAnswer:
        """A local (or remote-header) file; ``weights`` defaults to the file's size;
        ``gpu_layers`` as the engine would be asked (``LoadOptions.gpu_layers``)."""
        plan = plan_offload(
            header, options, self._device, gpu_layers, embedding=header.is_embedding_model
        )
        figures = ModelFigures.from_header(header)
        return self.check(figures, weights or header.file_size, options, plan)

    def assess(
        self, figures: ModelFigures, groups: Sequence[ModelFileGroup], options: FitOptions
    ) -> list[tuple[ModelFileGroup, FitAnswer]]:
        """Every quantization of one model, smallest first."""
        ordered = sorted(groups, key=lambda g: g.size)
        return [(group, self.check(figures, group.size, options)) for group in ordered]

    def recommend(
        self, figures: ModelFigures, groups: Sequence[ModelFileGroup], options: FitOptions
    ) -> Recommendation | None:
        """The largest quantization that fits comfortably, else the largest that is tight,
        else None (nothing of this model fits this computer)."""
        answers = self.assess(figures, groups, options)
        for wanted in (Verdict.FITS, Verdict.TIGHT):
            fitting = [(g, a) for g, a in answers if a.verdict is wanted]
            if fitting:
                group, answer = fitting[-1]
                return Recommendation(group, answer)
        return None
