"""The typed messages between the engine client and the engine process.

Plain frozen dataclasses sent over a ``multiprocessing`` pipe. Requests go to the engine,
events come back; a generation streams ``Piece`` events and ends with ``Finished`` or
``Failed``. Nothing here imports llama_cpp, so the calling process stays light.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from core.engine.errors import InvalidRequest

Role = Literal["system", "user", "assistant"]
ModelSlot = Literal["chat", "embedding", "reranker"]
CacheName = Literal["chat", "side"]  # which KV cache of the chat model a generation uses
StopReason = Literal["eos", "stop_string", "length", "cancelled", "context_full"]
DeviceKind = Literal["cpu", "gpu", "igpu", "accel", "other"]
# "auto": as many layers as the GPU's free memory holds (0 without one); 0: CPU only;
# a number: that many layers (llama.cpp's n_gpu_layers; more than the model has means all).
GpuLayers = int | Literal["auto"]


@dataclass(frozen=True)
class DeviceChoice:
    """Where a model is asked to run (``LoadOptions.gpu_layers`` and ``device``), on its
    own: Settings → Device reaches every part that loads a model with it, the chat model's
    loader and the embedder and reranker of core/knowledge (``switching.device_choice``)."""

    gpu_layers: GpuLayers = "auto"
    device: str | None = None


@dataclass(frozen=True)
class LoadOptions:
    """How to load a model. ``n_threads=None`` means the number of physical cores."""

    n_ctx: int = 4096
    n_threads: int | None = None
    n_batch: int = 512
    n_ubatch: int = 512
    # llama.cpp's fused attention: on the CPU it is faster for both prompt evaluation and
    # decoding (bench/engine, llama-bench -fa 0,1: +7-11% and +3-5% on the test models).
    flash_attn: bool = True
    use_mmap: bool = True
    # After an eviction, move the rest of the KV cache down instead of evaluating it again.
    # Faster, and what llama.cpp's own context shift does; off means exact recomputation.
    kv_shift: bool = True
    # Sliding-window models (Gemma 3) keep every position's KV in their window layers too,
    # so the cache can be cut back to any earlier turn (regenerate, edit, another branch)
    # instead of being evaluated again. Costs memory and a few percent of decode speed on
    # such models (bench/engine measures both); no effect on other models.
    swa_full: bool = True
    gpu_layers: GpuLayers = "auto"
    # The GPU the layers go to, by its backend name ("Vulkan1", "CUDA0"): the whole model on
    # that one device. None: llama.cpp's default (its first GPU, layers split over several).
    device: str | None = None

    @property
    def device_choice(self) -> DeviceChoice:
        return DeviceChoice(self.gpu_layers, self.device)

    def on(self, choice: DeviceChoice) -> LoadOptions:
        """These options with the layers and device of ``choice``."""
        return replace(self, gpu_layers=choice.gpu_layers, device=choice.device)

    def validate(self) -> None:
        _positive("n_ctx", self.n_ctx)
        if self.device is not None and (not isinstance(self.device, str) or not self.device):
            raise InvalidRequest("bad_argument", name="device", reason="a device name or None")
        if self.gpu_layers != "auto" and (
            not isinstance(self.gpu_layers, int)
            or isinstance(self.gpu_layers, bool)
            or self.gpu_layers < 0
        ):
            raise InvalidRequest(
                "bad_argument", name="gpu_layers", reason='"auto" or a whole number >= 0'
            )
        _positive("n_batch", self.n_batch)
        _positive("n_ubatch", self.n_ubatch)
        if self.n_threads is not None:
            _positive("n_threads", self.n_threads)
        if self.n_ctx > 1_048_576:
            raise InvalidRequest("bad_argument", name="n_ctx", reason="larger than 1048576")


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings. ``temperature=0`` is greedy; ``seed=None`` picks a random seed."""

    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    repeat_last_n: int = 64
    seed: int | None = None
    max_tokens: int = 1024
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False
    # For each sampled token, its log-probability and this many most likely tokens of the
    # step (``TokenLogprob``; 0: none, and no cost). OpenAI's ``top_logprobs`` allows 0-20.
    top_logprobs: int = 0

    def validate(self) -> None:
        _in_range("temperature", self.temperature, 0.0, 5.0)
        _in_range("top_p", self.top_p, 0.0, 1.0)
        _in_range("min_p", self.min_p, 0.0, 1.0)
        _in_range("repeat_penalty", self.repeat_penalty, 0.0, 5.0)
        if self.top_k < 0:
            raise InvalidRequest("bad_argument", name="top_k", reason=">= 0")
        if self.repeat_last_n < 0:
            raise InvalidRequest("bad_argument", name="repeat_last_n", reason=">= 0")
        _positive("max_tokens", self.max_tokens)
        if self.seed is not None and not 0 <= self.seed < 2**32:
            raise InvalidRequest("bad_argument", name="seed", reason="0 .. 4294967295")
        if any(not s for s in self.stop):
            raise InvalidRequest("bad_argument", name="stop", reason="empty stop string")
        if (
            not isinstance(self.top_logprobs, int)
            or isinstance(self.top_logprobs, bool)
            or not 0 <= self.top_logprobs <= MAX_TOP_LOGPROBS
        ):
            raise InvalidRequest(
                "bad_argument", name="top_logprobs", reason=f"0 .. {MAX_TOP_LOGPROBS}"
            )


MAX_TOP_LOGPROBS = 20


@dataclass(frozen=True)
class TokenLogprob:
    """One sampled token's log-probability and the step's most likely tokens, best first.

    Read from the distribution the choice was made from: the model's logits after the
    repeat penalty, before temperature and truncation (top-k, top-p, min-p), so under greedy
    decoding ``top[0]`` is the token chosen and ``top[0] - top[1]`` (in log-probabilities,
    the same as in logits) is how close the choice was: what tells a near-tie between two
    backends' rounding from a real difference (tests/test_gpu_offload.py)."""

    token: int
    logprob: float
    top: tuple[tuple[int, float], ...] = ()
    # The token's bytes and each of ``top``'s, as the vocabulary spells them: what the
    # local server shows as OpenAI's ``token`` and ``bytes`` (a token may hold part of a
    # character, so bytes, not text).
    piece: bytes = b""
    top_pieces: tuple[bytes, ...] = ()

    @property
    def margin(self) -> float:
        """How far the most likely token was ahead of the second (inf with fewer than 2)."""
        return self.top[0][1] - self.top[1][1] if len(self.top) >= 2 else float("inf")


def _positive(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidRequest("bad_argument", name=name, reason="must be a positive whole number")


def _in_range(name: str, value: float, low: float, high: float) -> None:
    if not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidRequest("bad_argument", name=name, reason=f"must be between {low} and {high}")


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded model is, as the person and the model manager see it."""

    slot: ModelSlot
    path: str
    name: str
    architecture: str
    parameter_count: int
    training_context: int | None
    n_ctx: int
    n_threads: int
    has_chat_template: bool
    file_size: int
    quantization: str | None
    n_vocab: int
    embedding_size: int
    # What a caller needs to build prompts itself (the context stack renders frames locally).
    chat_template: str | None = field(default=None, repr=False)
    bos_text: str = ""  # the BOS token as text ("" when the model adds none)
    eos_text: str = ""
    can_shift: bool = False  # the KV cache can drop a span and move the rest down
    # Texts of the control tokens (``<|im_end|>`` …): in message content they are marked so
    # that they are tokenized as plain text (core/engine/template_marks.py).
    control_texts: tuple[str, ...] = field(default=(), repr=False)
    # Where it runs: the layers llama.cpp offloaded (of ``n_layers``), the device they went
    # to ("CPU" when none), and the layers first tried when a load had to be retried with
    # fewer (None when the first load worked).
    gpu_layers: int = 0
    n_layers: int = 0
    device: str = "CPU"
    gpu_layers_tried: int | None = None


@dataclass(frozen=True)
class GenerationStats:
    """Measured for every request, so cache reuse and speed are visible, not assumed.

    ``ttft_s`` runs from the request reaching the engine to the first text piece;
    ``decode_tps`` counts sampled tokens after the first over the time they took.
    """

    prompt_tokens: int
    cached_tokens: int
    evaluated_tokens: int
    generated_tokens: int
    ttft_s: float
    prompt_eval_s: float
    prompt_tps: float
    decode_s: float
    decode_tps: float
    stop_reason: StopReason
    shifted_tokens: int = 0  # moved down in the KV cache after an eviction, not re-evaluated


# ---- requests (client -> engine) -------------------------------------------------------


@dataclass(frozen=True)
class LoadRequest:
    slot: ModelSlot
    path: str
    options: LoadOptions


@dataclass(frozen=True)
class UnloadRequest:
    slot: ModelSlot


@dataclass(frozen=True)
class GenerateRequest:
    """A continuation of ``prompt_tokens``. Chat messages become tokens in the calling
    process: templates are rendered in the template process, never in the engine."""

    request_id: int
    sampling: SamplingParams
    prompt_tokens: tuple[int, ...]
    # "side": a second context of the chat model, so work beside the conversation (whole
    # documents read in passes) leaves the chat's KV cache as it was.
    cache: CacheName = "chat"


@dataclass(frozen=True)
class EmbedRequest:
    texts: tuple[str, ...]
    normalize: bool = True


@dataclass(frozen=True)
class RerankRequest:
    """Score each document against the query with the reranker (a cross-encoder)."""

    query: str
    documents: tuple[str, ...]


@dataclass(frozen=True)
class TokenizeRequest:
    text: str
    slot: ModelSlot = "chat"
    add_special: bool = True
    parse_special: bool = False


@dataclass(frozen=True)
class CountTokensRequest:
    """Each text's token count (no special tokens), in one round trip: an ingestion counts
    every sentence of a document, and one request each would wait behind every embedding
    batch in flight."""

    texts: tuple[str, ...]
    slot: ModelSlot = "chat"


@dataclass(frozen=True)
class ResetCacheRequest:
    """Forget the KV cache (benchmarks use it to measure a cold prompt)."""


@dataclass(frozen=True)
class ShutdownRequest:
    pass


Request = (
    LoadRequest
    | UnloadRequest
    | GenerateRequest
    | EmbedRequest
    | RerankRequest
    | TokenizeRequest
    | CountTokensRequest
    | ResetCacheRequest
    | ShutdownRequest
)

# ---- events (engine -> client) ---------------------------------------------------------


@dataclass(frozen=True)
class DeviceInfo:
    """One ggml backend device of the engine's llama.cpp build, with its memory in bytes
    (for the CPU: the computer's memory)."""

    name: str
    description: str
    kind: DeviceKind
    free: int
    total: int

    @property
    def is_gpu(self) -> bool:
        return self.kind in ("gpu", "igpu")


def offload_devices(devices: tuple[DeviceInfo, ...]) -> tuple[DeviceInfo, ...]:
    """The devices llama.cpp offloads to, in its order (``main_gpu`` indexes this list):
    the GPUs, and the integrated ones only when there is no other (llama-model.cpp)."""
    gpus = tuple(d for d in devices if d.kind == "gpu")
    return gpus or tuple(d for d in devices if d.kind == "igpu")


@dataclass(frozen=True)
class Ready:
    pid: int
    llama_cpp_version: str
    system_info: str
    llama_build: str = ""  # the llama.cpp (ggml) version and commit, "" if not exposed
    gpu_offload: bool = False  # llama_supports_gpu_offload(): the build has a GPU backend
    devices: tuple[DeviceInfo, ...] = ()
    # The CPU library a release build chose for this CPU at start ("haswell", "sse42"…;
    # core.engine.runtime.cpu_variant), "" for a build with one CPU backend linked in.
    cpu_variant: str = ""

    @property
    def gpus(self) -> tuple[DeviceInfo, ...]:
        """The devices layers can be offloaded to (none unless the build offloads)."""
        return offload_devices(self.devices) if self.gpu_offload else ()

    @property
    def uses_amx(self) -> bool:
        """Whether the engine's llama.cpp build has Intel AMX kernels (see ``uses_amx``)."""
        return uses_amx(self.system_info)


def uses_amx(system_info: str) -> bool:
    """Whether llama.cpp's system info (``llama_print_system_info``) reports AMX kernels;
    the engine then loads models without llama.cpp's extra weight buffers
    (``core.engine.runtime.build_uses_amx`` says why)."""
    return "AMX_INT8 = 1" in system_info


@dataclass(frozen=True)
class Loaded:
    info: ModelInfo


@dataclass(frozen=True)
class Piece:
    request_id: int
    text: str


@dataclass(frozen=True)
class Finished:
    """The end of a generation. ``tokens`` are the sampled tokens that stand for the reply
    text; they cover its first ``covered_chars`` characters (all of it, unless a character
    was cut in half at the end)."""

    request_id: int
    stats: GenerationStats
    tokens: tuple[int, ...] = field(default=(), repr=False)
    covered_chars: int = 0
    # One per token of ``tokens`` when the request asked for ``top_logprobs``, else empty.
    logprobs: tuple[TokenLogprob, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Failed:
    """An error, carried as its type name, message code and parameters."""

    kind: str
    code: str
    params: dict[str, object]
    request_id: int | None = None


@dataclass(frozen=True)
class Embeddings:
    vectors: list[list[float]] = field(repr=False)


@dataclass(frozen=True)
class Scores:
    """Rerank scores, one per document in the request's order (higher: more relevant)."""

    scores: list[float] = field(repr=False)


@dataclass(frozen=True)
class Tokens:
    tokens: list[int] = field(repr=False)


@dataclass(frozen=True)
class TokenCounts:
    counts: list[int]


@dataclass(frozen=True)
class Done:
    """Acknowledges a request that returns nothing else."""


Event = (
    Ready | Loaded | Piece | Finished | Failed | Embeddings | Scores | Tokens | TokenCounts | Done
)
