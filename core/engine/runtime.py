"""The models inside the engine process: the only module that calls llama.cpp.

``ChatRuntime`` owns one chat model and its KV cache. It keeps the exact token sequence the
cache holds, so a prompt that extends the previous one is evaluated only from the first token
that differs. It drives llama.cpp's decode and sampler chain itself (rather than
``Llama.generate``) to keep per-token Python work tiny and to detokenize incrementally:
each sampled token's bytes go through an incremental UTF-8 decoder, so streaming costs the
same for the thousandth token as for the first.

``EmbeddingRuntime`` owns an embedding model and turns batches of texts into normalized
vectors. ``RerankRuntime`` owns a cross-encoder reranker and scores (query, document) pairs
with llama.cpp's rank pooling.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import functools
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import llama_cpp
import numpy as np

from core.engine.errors import (
    EngineInternalError,
    ModelLoadError,
    NoModelLoaded,
    PromptTooLong,
)
from core.engine.gguf import GGUFHeader
from core.engine.protocol import (
    CacheName,
    DeviceInfo,
    DeviceKind,
    GenerationStats,
    LoadOptions,
    ModelInfo,
    SamplingParams,
    StopReason,
    TokenLogprob,
    offload_devices,
    uses_amx,
)
from core.engine.segments import SegmentEmbeddings, pair_segments
from core.engine.threads import physical_cores
from core.models.fit import FitOptions, plan_offload, reads_whole_documents

CancelCheck = Callable[[], bool]
# A rerank template's placeholders, and the tokens a cut document may gain when its text is
# tokenized again inside the template.
_PLACEHOLDER = re.compile(r"\{(query|document)\}")
_RETOKENIZE_SLACK = 8
# A shift is worth it only when a real stretch of the cache continues the prompt.
MIN_SHIFT_TOKENS = 16


def _common_prefix(a: Sequence[int], b: Sequence[int], i: int, j: int) -> int:
    """How many tokens ``a[i:]`` and ``b[j:]`` share from their start."""
    limit = min(len(a) - i, len(b) - j)
    n = 0
    while n < limit and a[i + n] == b[j + n]:
        n += 1
    return n


def step_log_probabilities(logits: np.ndarray, recent: Sequence[int], penalty: float) -> np.ndarray:
    """The log-probabilities of one step: a log-softmax of the logits after llama.cpp's
    repeat penalty on ``recent`` (a positive logit divided by the penalty, a negative one
    multiplied), computed on a float64 copy, since greedy decoding overwrites the buffer."""
    values = np.array(logits, dtype=np.float64)
    if penalty != 1.0 and len(recent):
        seen = np.unique(np.asarray(recent, dtype=np.int64))
        hit = values[seen]
        values[seen] = np.where(hit <= 0, hit * penalty, hit / penalty)
    top = values.max()
    return values - (top + np.log(np.exp(values - top).sum()))  # type: ignore[no-any-return]


def token_logprob(log_probs: np.ndarray, token: int, n: int) -> TokenLogprob:
    """``token``'s log-probability and the ``n`` most likely tokens of the step, best first
    (equal ones by token id)."""
    n = min(n, len(log_probs))
    best = np.argpartition(-log_probs, n - 1)[:n]
    ranked = sorted(best.tolist(), key=lambda t: (-log_probs[t], t))
    return TokenLogprob(
        token, float(log_probs[token]), tuple((int(t), float(log_probs[t])) for t in ranked)
    )


@functools.cache
def build_uses_amx() -> bool:
    """Whether this llama.cpp build runs matrix products on Intel AMX tiles.

    A ``-march=native`` build on a CPU with AMX (Xeon since Sapphire Rapids) compiles
    ggml's AMX kernels, and with GCC they crash on the first matrix product (SIGILL or a
    protection fault in ``tinygemm_kernel_amx``: the tile configuration is built on the
    stack and the compiler drops it; llama.cpp pull request 26954, open). Models are then
    loaded without llama.cpp's extra weight buffers (AMX and the CPU repacking), which
    keeps the plain CPU kernels: slower prompt evaluation, but an engine that works.
    """
    load_backends()
    info: bytes = llama_cpp.llama_print_system_info()
    return uses_amx(info.decode("utf-8", errors="replace"))


@contextlib.contextmanager
def _model_params(*, extra_buffers: bool) -> Iterator[None]:
    """Load models with llama.cpp's extra weight buffers on or off.

    ``Llama`` fills its ``llama_model_params`` from ``llama_model_default_params`` and loads
    the model in the same constructor, without a parameter for ``use_extra_bufts``; so the
    defaults it reads are adjusted while it runs (loads are serial in the engine process).
    """
    module = llama_cpp.llama_cpp
    original = module.llama_model_default_params
    if extra_buffers:
        yield
        return

    def defaults() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    module.llama_model_default_params = defaults
    try:
        yield
    finally:
        module.llama_model_default_params = original


@dataclass(frozen=True)
class Placement:
    """Where a loaded model's layers went (``ModelInfo`` carries it out)."""

    gpu_layers: int
    n_layers: int
    device: str
    tried: int | None  # the layers of a first load that failed, None if it worked


def _load_llama(header: GGUFHeader, options: LoadOptions, **extra: Any) -> tuple[Any, Placement]:
    """Load with the GPU layers ``options`` ask for ("auto" planned against the GPU's free
    memory; a number more than that memory holds is lowered to what it holds). A load with
    layers on the GPU that fails (out of device memory, most often) is tried once more with
    half the layers; the model then says what was tried (``ModelInfo.gpu_layers_tried``),
    so the person sees it instead of a failed load."""
    threads = options.n_threads or physical_cores()
    target = _gpu_target(header, options, embedding=bool(extra.get("embedding")))
    layers, tried = target.layers, target.asked
    if target.main_gpu is not None:  # one chosen device holds the whole model
        extra |= {"split_mode": llama_cpp.LLAMA_SPLIT_MODE_NONE, "main_gpu": target.main_gpu}
    retried = False
    while True:
        try:
            with _model_params(extra_buffers=not build_uses_amx()):
                llm = _new_llama(header, options, threads, n_gpu_layers=layers, **extra)
            break
        except (ValueError, RuntimeError, OSError) as exc:
            if layers <= 0 or retried:
                raise ModelLoadError(
                    "model_load_failed", path=str(header.path), reason=str(exc)
                ) from exc
            tried, layers, retried = tried or layers, layers // 2, True
    n_layers = int(llama_cpp.llama_model_n_layer(llm.model))
    device = target.device if layers else "CPU"
    return llm, Placement(min(layers, n_layers), n_layers, device, tried)


@dataclass(frozen=True)
class GpuTarget:
    """The layers to offload, the device they go to ("CPU" for none), the index llama.cpp
    knows that device by when one was chosen (None: its default), and a number asked for
    that the device's free memory could not hold."""

    layers: int
    device: str
    main_gpu: int | None = None
    asked: int | None = None


def _gpu_target(header: GGUFHeader, options: LoadOptions, *, embedding: bool) -> GpuTarget:
    """Where the layers go: the device ``options.device`` names among those llama.cpp
    offloads to, else its first (a name not there, from another build or computer, counts
    as no choice). 0 layers and "CPU" on a CPU-only build."""
    gpus = offload_devices(list_devices()) if supports_gpu_offload() else ()
    if not gpus or options.gpu_layers == 0:
        return GpuTarget(0, "CPU")
    names = [d.name for d in gpus]
    index = names.index(options.device) if options.device in names else None
    gpu = gpus[index or 0]
    # A chat model's side cache (whole documents) is a second context: room for it too.
    fit = FitOptions(n_ctx=options.n_ctx, n_ubatch=options.n_ubatch, swa_full=options.swa_full,
                     side_cache=not embedding and reads_whole_documents(header))  # fmt: skip
    plan = plan_offload(header, fit, gpu, options.gpu_layers, embedding=embedding)
    return GpuTarget(plan.layers, gpu.name, index, plan.asked)


def _new_llama(header: GGUFHeader, options: LoadOptions, threads: int, **extra: Any) -> Any:
    return llama_cpp.Llama(
        model_path=str(header.path),
        n_ctx=options.n_ctx,
        n_batch=options.n_batch,
        n_ubatch=min(options.n_ubatch, options.n_batch),
        n_threads=threads,
        n_threads_batch=threads,
        flash_attn=options.flash_attn,
        use_mmap=options.use_mmap,
        verbose=False,
        **extra,
    )


def _model_info(
    llm: Any, placement: Placement, header: GGUFHeader, options: LoadOptions, slot: str
) -> ModelInfo:
    model = llm.model
    return ModelInfo(
        gpu_layers=placement.gpu_layers,
        n_layers=placement.n_layers,
        device=placement.device,
        gpu_layers_tried=placement.tried,
        slot=slot,  # type: ignore[arg-type]
        path=str(header.path),
        name=header.name,
        architecture=header.architecture,
        parameter_count=int(llama_cpp.llama_model_n_params(model)),
        training_context=header.context_length,
        n_ctx=int(llama_cpp.llama_n_ctx(llm.ctx)),
        n_threads=options.n_threads or physical_cores(),
        has_chat_template=header.chat_template is not None,
        file_size=header.file_size,
        quantization=header.quantization,
        n_vocab=int(llm.n_vocab()),
        embedding_size=int(llm.n_embd()),
    )


class TextStream:
    """Turns sampled tokens into text pieces, holding back what may begin a stop string.

    Keeps the byte length of text per token so that, when a stop string cuts the reply, the
    tokens that lie wholly before the cut can still be reused as the KV-cache prefix.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stops = tuple(stops)
        self._held = ""
        self.text = ""  # everything released so far
        self.decoded_len = 0  # characters decoded so far, released or held
        self.stopped = False

    @property
    def at_char_boundary(self) -> bool:
        """True when no partial UTF-8 sequence is waiting for the next token's bytes."""
        pending: bytes = self._decoder.getstate()[0]
        return not pending

    def push(self, piece: bytes) -> str:
        """Feed one token's bytes; returns the text that is safe to show now."""
        new = self._decoder.decode(piece)
        self.decoded_len += len(new)
        if not new:
            return ""
        buf = self._held + new
        for stop in self._stops:
            idx = buf.find(stop)
            if idx >= 0:
                self.stopped = True
                self._held = ""
                return self._release(buf[:idx])
        keep = 0
        for stop in self._stops:
            for n in range(min(len(stop) - 1, len(buf)), 0, -1):
                if buf.endswith(stop[:n]):
                    keep = max(keep, n)
                    break
        self._held = buf[len(buf) - keep :] if keep else ""
        return self._release(buf[: len(buf) - keep])

    def flush(self) -> str:
        rest = self._held + self._decoder.decode(b"", final=True)
        self._held = ""
        return self._release(rest)

    def _release(self, text: str) -> str:
        self.text += text
        return text


@dataclass
class _Cache:
    """One llama context of the chat model and the exact tokens its KV cache holds."""

    ctx: Any
    memory: Any
    tokens: list[int]


class ChatRuntime:
    """The chat model, with its chat cache and, made on first use, a side cache.

    The side cache is a second llama context on the same weights (its own KV cache of the
    same size): work that is not the conversation (reading whole documents, issue 16) runs
    there, so the chat's cached prefix is never disturbed and the next turn reuses it.
    ``ctx``, ``memory`` and ``kv_tokens`` are those of the cache in use (``_using``)."""

    def __init__(self, header: GGUFHeader, options: LoadOptions) -> None:
        # swa_full keeps the whole context for sliding-window models (Gemma 3), so the cache
        # can be truncated to any earlier position instead of being recomputed.
        self.llm, placement = _load_llama(header, options, swa_full=options.swa_full)
        self.header = header
        info = _model_info(self.llm, placement, header, options, "chat")
        self.n_ctx = info.n_ctx
        self.n_batch = options.n_batch
        self.ctx = self.llm.ctx
        self.vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        self._piece_buf = ctypes.create_string_buffer(256)
        self._logits: np.ndarray | None = None
        self._logits_address: int | None = None
        self.kv_tokens: list[int] = []
        self._side: _Cache | None = None
        bos = int(llama_cpp.llama_vocab_bos(self.vocab))
        eos = int(llama_cpp.llama_vocab_eos(self.vocab))
        self.add_bos = bool(llama_cpp.llama_vocab_get_add_bos(self.vocab)) and bos >= 0
        # The chat template itself is rendered in the calling process's template process,
        # never here; the engine only says which texts its BOS and EOS tokens have.
        bos_text = self._token_text(bos) if bos >= 0 else ""
        self.can_shift = options.kv_shift and bool(llama_cpp.llama_memory_can_shift(self.memory))
        self.info = replace(
            info,
            chat_template=header.chat_template,
            bos_text=bos_text if self.add_bos else "",
            eos_text=self._token_text(eos) if eos >= 0 else "",
            can_shift=self.can_shift,
            control_texts=self.control_texts(),
        )

    def close(self) -> None:
        llama_cpp.llama_batch_free(self.batch)
        if self._side is not None:
            llama_cpp.llama_free(self._side.ctx)
            self._side = None
        self.llm.close()

    @contextlib.contextmanager
    def _using(self, cache: CacheName) -> Iterator[None]:
        """Run on the side cache for the duration (the chat cache is set aside untouched)."""
        if cache == "chat":
            yield
            return
        if self._side is None:
            ctx = llama_cpp.llama_init_from_model(self.llm.model, self.llm.context_params)
            if not ctx:
                raise EngineInternalError("engine_internal", reason="no side context")
            self._side = _Cache(ctx, llama_cpp.llama_get_memory(ctx), [])
        chat = _Cache(self.ctx, self.memory, self.kv_tokens)
        side = self._side
        self.ctx, self.memory, self.kv_tokens = side.ctx, side.memory, side.tokens
        try:
            yield
        finally:
            self._side = _Cache(self.ctx, self.memory, self.kv_tokens)
            self.ctx, self.memory, self.kv_tokens = chat.ctx, chat.memory, chat.tokens

    # ---- tokens ------------------------------------------------------------------------

    def _token_text(self, token: int) -> str:
        raw: bytes = llama_cpp.llama_vocab_get_text(self.vocab, token)
        return raw.decode("utf-8", errors="replace")

    def tokenize(
        self, text: str, add_special: bool = True, parse_special: bool = False
    ) -> list[int]:
        tokens: list[int] = self.llm.tokenize(
            text.encode("utf-8"), add_bos=add_special and self.add_bos, special=parse_special
        )
        return tokens

    def _piece(self, token: int) -> bytes:
        buf = self._piece_buf
        n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, False)
        if n < 0:  # longer than the buffer: grow once and retry
            buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, False)
        return buf.raw[:n]

    def control_texts(self) -> tuple[str, ...]:
        """The texts of the tokens that special-token parsing turns into control tokens
        (llama.cpp parses control and unknown tokens only when asked to)."""
        wanted = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_UNKNOWN
        get_attr = llama_cpp.llama_vocab_get_attr
        vocab = self.vocab
        texts = {
            self._token_text(token)
            for token in range(int(llama_cpp.llama_vocab_n_tokens(vocab)))
            if get_attr(vocab, token) & wanted
        }
        return tuple(sorted(t for t in texts if t))

    # ---- cache -------------------------------------------------------------------------

    def reset_cache(self) -> None:
        llama_cpp.llama_memory_clear(self.memory, True)
        self.kv_tokens = []

    def _reuse_prefix(self, prompt: Sequence[int]) -> tuple[int, int]:
        """Keep what the cache can serve of ``prompt``; returns (tokens kept, tokens shifted).

        First the common prefix. Then, when the prompt continues with a later stretch of the
        cache (the span between was evicted from the conversation), that span is removed from
        the cache and the rest moved down, instead of evaluating the rest again.
        """
        cached = self.kv_tokens
        n = _common_prefix(cached, prompt, 0, 0)
        shifted = 0
        if n < len(prompt) and n < len(cached) and n > 0 and self.can_shift:
            start = self._find_continuation(prompt, n)
            if start is not None and llama_cpp.llama_memory_seq_rm(self.memory, 0, n, start):
                llama_cpp.llama_memory_seq_add(self.memory, 0, start, -1, -(start - n))
                del cached[n:start]
                shifted = len(cached) - n
                n += _common_prefix(cached, prompt, n, n)
        if n == len(prompt):  # the last token must be evaluated again to get its logits
            n -= 1
            shifted = min(shifted, max(0, len(cached) - n))
        if n < len(cached):
            if n <= 0 or not llama_cpp.llama_memory_seq_rm(self.memory, 0, n, -1):
                llama_cpp.llama_memory_clear(self.memory, True)
                n = shifted = 0
            del cached[n:]
        return n, shifted

    def _find_continuation(self, prompt: Sequence[int], n: int) -> int | None:
        """Where in the cache, after position ``n``, the prompt's remainder continues."""
        cached = self.kv_tokens
        first = prompt[n]
        best, best_len = None, 0
        for start in range(n + 1, len(cached)):
            if cached[start] == first:
                length = _common_prefix(cached, prompt, start, n)
                if length > best_len:
                    best, best_len = start, length
        return best if best_len >= MIN_SHIFT_TOKENS else None

    def _decode(
        self, tokens: Sequence[int], start: int, cancelled: CancelCheck | None = None
    ) -> int:
        """Evaluate ``tokens`` at positions from ``start``; logits only for the last one.

        Evaluates in chunks of ``n_batch`` and asks ``cancelled`` before each one, so a stop
        reaches a long prompt's evaluation within one batch (a 4k-token prompt on a slow CPU
        takes many seconds). Returns how many tokens were evaluated; the cache holds exactly
        those, so the next prompt reuses them.
        """
        batch = self.batch
        step = self.n_batch
        total = len(tokens)
        for begin in range(0, total, step):
            if cancelled is not None and cancelled():
                return begin
            chunk = tokens[begin : begin + step]
            count = len(chunk)
            batch.n_tokens = count
            for i, token in enumerate(chunk):
                batch.token[i] = token
                batch.pos[i] = start + begin + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = 0
            if begin + count == total:
                batch.logits[count - 1] = 1
            rc = llama_cpp.llama_decode(self.ctx, batch)
            if rc != 0:
                # The cache may hold part of this chunk: forget it rather than trust it.
                self.reset_cache()
                raise EngineInternalError("engine_internal", reason=f"llama_decode returned {rc}")
            self.kv_tokens.extend(chunk)
        return total

    def _decode_one(self, token: int, pos: int) -> None:
        batch = self.batch
        batch.n_tokens = 1
        batch.token[0] = token
        batch.pos[0] = pos
        batch.n_seq_id[0] = 1
        batch.seq_id[0][0] = 0
        batch.logits[0] = 1
        rc = llama_cpp.llama_decode(self.ctx, batch)
        if rc != 0:
            self.reset_cache()
            raise EngineInternalError("engine_internal", reason=f"llama_decode returned {rc}")
        self.kv_tokens.append(token)

    # ---- sampling ----------------------------------------------------------------------

    def _sampler(self, params: SamplingParams, history: Sequence[int]) -> Any:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        add = llama_cpp.llama_sampler_chain_add
        if params.repeat_penalty != 1.0 and params.repeat_last_n > 0:
            add(
                chain,
                llama_cpp.llama_sampler_init_penalties(
                    self.info.n_vocab, params.repeat_last_n, params.repeat_penalty, 0.0, 0.0
                ),
            )
            for token in history[-params.repeat_last_n :]:
                llama_cpp.llama_sampler_accept(chain, token)
        if params.temperature <= 0.0:
            add(chain, llama_cpp.llama_sampler_init_greedy())
        else:
            if params.top_k > 0:
                add(chain, llama_cpp.llama_sampler_init_top_k(params.top_k))
            if params.top_p < 1.0:
                add(chain, llama_cpp.llama_sampler_init_top_p(params.top_p, 1))
            if params.min_p > 0.0:
                add(chain, llama_cpp.llama_sampler_init_min_p(params.min_p, 1))
            add(chain, llama_cpp.llama_sampler_init_temp(params.temperature))
            seed = params.seed if params.seed is not None else llama_cpp.LLAMA_DEFAULT_SEED
            add(chain, llama_cpp.llama_sampler_init_dist(seed))
        return chain

    def _greedy(self, params: SamplingParams, recent: Sequence[int]) -> int:
        """The most likely next token, with llama.cpp's repeat penalty applied.

        Greedy decoding needs no sampler chain: an argmax over the logits is enough, and it
        skips building a candidate array of the whole vocabulary (262k entries for Gemma)
        for every token, which costs several percent of decode speed on small models. The
        logits are read through one numpy view of llama.cpp's buffer, made once per buffer
        address, and scanned once: the recently seen tokens are taken out (penalized apart),
        so no copy of the vocabulary is made. Overwriting them is safe: the buffer is
        llama.cpp's scratch output, rewritten by the next decode and read by nobody else.
        """
        logits = self._logits_view()
        penalty = params.repeat_penalty
        if penalty == 1.0 or not recent:
            return int(logits.argmax())
        seen = np.unique(np.asarray(recent, dtype=np.int64))
        values = logits[seen]  # a copy: fancy indexing
        penalized = np.where(values <= 0, values * penalty, values / penalty)
        logits[seen] = -np.inf
        best = int(logits.argmax())
        best_seen = int(penalized.argmax())
        if penalized[best_seen] > logits[best]:
            return int(seen[best_seen])
        return best

    def _logits_view(self) -> np.ndarray:
        """The last token's logits as a numpy array over llama.cpp's own buffer."""
        pointer = llama_cpp.llama_get_logits_ith(self.ctx, -1)
        address = ctypes.cast(pointer, ctypes.c_void_p).value
        if address != self._logits_address or self._logits is None:
            self._logits = np.ctypeslib.as_array(pointer, shape=(self.info.n_vocab,))
            self._logits_address = address
        return self._logits

    # ---- generation --------------------------------------------------------------------

    def generate(
        self,
        prompt: Sequence[int],
        params: SamplingParams,
        cancelled: CancelCheck,
        cache: CacheName = "chat",
    ) -> Iterator[str | tuple[GenerationStats, list[int], int, list[TokenLogprob]]]:
        """Yield text pieces, then one ``(stats, reply_tokens, covered_chars, logprobs)``
        tuple: the sampled tokens that stand for the reply text, how much of the text they
        cover (the caller reuses them in its next prompt instead of re-tokenizing the reply),
        and each one's ``TokenLogprob`` when ``params.top_logprobs`` asks (else none).
        ``cache="side"`` evaluates on the side cache, leaving the chat's as it is."""
        with self._using(cache):
            yield from self._generate(prompt, params, cancelled)

    def _generate(
        self, prompt: Sequence[int], params: SamplingParams, cancelled: CancelCheck
    ) -> Iterator[str | tuple[GenerationStats, list[int], int, list[TokenLogprob]]]:
        t_start = time.perf_counter()
        if not prompt:
            raise EngineInternalError("engine_internal", reason="empty prompt")
        if len(prompt) >= self.n_ctx:
            raise PromptTooLong("prompt_too_long", tokens=len(prompt), n_ctx=self.n_ctx)
        cached, shifted = self._reuse_prefix(prompt)
        evaluated = self._decode(prompt[cached:], cached, cancelled)
        t_prompt = time.perf_counter()

        greedy = params.temperature <= 0.0
        chain = None if greedy else self._sampler(params, prompt)
        recent = list(prompt[-params.repeat_last_n :]) if params.repeat_last_n else []
        stream = TextStream(params.stop)
        sampled: list[int] = []
        # Characters decoded after each token, or -1 where a character was still incomplete.
        text_ends: list[int] = []
        want_logprobs = params.top_logprobs
        logprobs: list[TokenLogprob] = []
        log_probs: np.ndarray | None = None
        stop_reason: StopReason = "length"
        t_first: float | None = None
        ttft = 0.0
        is_eog = llama_cpp.llama_vocab_is_eog
        sample = llama_cpp.llama_sampler_sample
        try:
            while True:
                if cancelled() or cached + evaluated < len(prompt):
                    stop_reason = "cancelled"
                    break
                if want_logprobs:  # before sampling: the greedy choice overwrites the logits
                    log_probs = step_log_probabilities(
                        self._logits_view(), recent, params.repeat_penalty
                    )
                if chain is None:
                    token = self._greedy(params, recent)
                else:
                    token = sample(chain, self.ctx, -1)
                if t_first is None:
                    t_first = time.perf_counter()
                    ttft = t_first - t_start
                if not params.ignore_eos and is_eog(self.vocab, token):
                    stop_reason = "eos"
                    break
                sampled.append(token)
                if log_probs is not None:
                    step = token_logprob(log_probs, token, want_logprobs)
                    pieces = tuple(self._piece(t) for t, _ in step.top)
                    logprobs.append(replace(step, piece=self._piece(token), top_pieces=pieces))
                if params.repeat_last_n:
                    recent.append(token)
                    if len(recent) > params.repeat_last_n:
                        del recent[0]
                text = stream.push(self._piece(token))
                text_ends.append(stream.decoded_len if stream.at_char_boundary else -1)
                if text:
                    yield text
                if stream.stopped:
                    stop_reason = "stop_string"
                    break
                if len(sampled) >= params.max_tokens:
                    stop_reason = "length"
                    break
                if len(self.kv_tokens) >= self.n_ctx:
                    stop_reason = "context_full"
                    break
                self._decode_one(token, len(self.kv_tokens))
        finally:
            if chain is not None:
                llama_cpp.llama_sampler_free(chain)
        if stop_reason != "stop_string":
            rest = stream.flush()
            if rest:
                yield rest
        t_end = time.perf_counter()

        # The reply's tokens are those whose text lies wholly inside the reply (a stop string
        # cuts the text; a character still incomplete at the end has no text yet).
        reply = stream.text
        keep = len(sampled)
        while keep and not 0 <= text_ends[keep - 1] <= len(reply):
            keep -= 1
        covered = text_ends[keep - 1] if keep else 0
        decode_s = (t_end - t_first) if t_first is not None else 0.0
        n_gen = len(sampled)
        prompt_s = t_prompt - t_start
        stats = GenerationStats(
            prompt_tokens=len(prompt),
            cached_tokens=cached,
            evaluated_tokens=evaluated,
            generated_tokens=n_gen,
            ttft_s=ttft,
            prompt_eval_s=prompt_s,
            prompt_tps=evaluated / prompt_s if prompt_s > 0 else 0.0,
            decode_s=decode_s,
            decode_tps=(n_gen - 1) / decode_s if n_gen > 1 and decode_s > 0 else 0.0,
            stop_reason=stop_reason,
            shifted_tokens=shifted,
        )
        yield stats, sampled[:keep], covered, logprobs[:keep]


class EmbeddingRuntime:
    """An embedding model. Causal models without a declared pooling are mean-pooled."""

    def __init__(self, header: GGUFHeader, options: LoadOptions) -> None:
        extra: dict[str, Any] = {"embedding": True}
        if header.arch_value("pooling_type") in (None, 0):
            extra["pooling_type"] = llama_cpp.LLAMA_POOLING_TYPE_MEAN
        # One batch must hold a whole text: the embedding context is evaluated at once.
        batch = max(options.n_batch, options.n_ctx)
        opts = LoadOptions(
            n_ctx=options.n_ctx,
            n_threads=options.n_threads,
            n_batch=batch,
            n_ubatch=batch,
            flash_attn=options.flash_attn,
            use_mmap=options.use_mmap,
            gpu_layers=options.gpu_layers,
            device=options.device,
        )
        self.llm, placement = _load_llama(header, opts, **extra)
        self.info = _model_info(self.llm, placement, header, opts, "embedding")

    def close(self) -> None:
        self.llm.close()

    def tokenize(
        self, text: str, add_special: bool = True, parse_special: bool = False
    ) -> list[int]:
        tokens: list[int] = self.llm.tokenize(
            text.encode("utf-8"), add_bos=add_special, special=parse_special
        )
        return tokens

    def embed(self, texts: Sequence[str], normalize: bool) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.llm.embed(list(texts), normalize=normalize, truncate=True)
        return [list(map(float, v)) for v in vectors]


class RerankRuntime:
    """A cross-encoder reranker, read through llama.cpp's rank pooling.

    llama-cpp-python has no rank call, so the pair input is built here as llama.cpp's
    server builds it for ``/rerank`` (``format_prompt_rerank``): the model's own ``rerank``
    template with ``{query}`` and ``{document}`` replaced, tokenized with special tokens
    parsed (Qwen3-Reranker), or else ``[BOS] query [EOS] [SEP] document [EOS]`` with each
    special token only where the vocabulary says to add it (EOS falling back to SEP), which
    for a BERT/XLM-RoBERTa cross-encoder is ``[CLS] query [SEP] document [SEP]``. A pair's
    score is the first output of the rank head (``llama_get_embeddings_seq``), unscaled, as
    the server returns it. Unlike the server, a BERT with token types gets its document as
    segment B, through input rows (core/engine/segments.py), as PyTorch scores it.
    """

    def __init__(self, header: GGUFHeader, options: LoadOptions) -> None:
        # One batch must hold a whole pair: the context is evaluated at once. A BERT's
        # positions end at its training context, so the context stays within it.
        n_ctx = min(options.n_ctx, header.context_length or options.n_ctx)
        batch = max(options.n_batch, n_ctx)
        opts = replace(options, n_ctx=n_ctx, n_batch=batch, n_ubatch=batch)
        self.llm, placement = _load_llama(
            header, opts, embedding=True, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_RANK
        )
        self.info = _model_info(self.llm, placement, header, opts, "reranker")
        self.n_batch = int(self.llm.n_batch)  # llama-cpp-python keeps it within n_ctx
        model = self.llm.model
        self.ctx = self.llm.ctx
        self.vocab = llama_cpp.llama_model_get_vocab(model)
        raw = llama_cpp.llama_model_chat_template(model, b"rerank")
        self.template: str | None = raw.decode("utf-8", errors="replace") if raw else None
        # The plain pair of a BERT with token types goes as rows that carry them.
        self.segments = SegmentEmbeddings.for_model(header) if self.template is None else None
        eos = int(llama_cpp.llama_vocab_eos(self.vocab))
        self.separator = eos if eos >= 0 else int(llama_cpp.llama_vocab_sep(self.vocab))
        width = self.segments.width if self.segments is not None else 0
        self.batch = llama_cpp.llama_batch_init(batch, width, 1)
        # Pairs share a batch only when the scores are rows of a classifier head (below).
        self.batched = any(t.name == "cls.output.weight" for t in header.tensors)
        self.n_seq_max = max(1, int(self.llm.context_params.n_seq_max))

    def close(self) -> None:
        llama_cpp.llama_batch_free(self.batch)
        if self.segments is not None:
            self.segments.close()
        self.llm.close()

    def tokenize(
        self, text: str, add_special: bool = True, parse_special: bool = False
    ) -> list[int]:
        tokens: list[int] = self.llm.tokenize(
            text.encode("utf-8"), add_bos=add_special, special=parse_special
        )
        return tokens

    def pair_tokens(self, query: str, document: str) -> list[int]:
        """The tokens llama.cpp's server scores for one (query, document) pair, cut to
        one batch (the document loses its end first, then the query)."""
        vocab = self.vocab
        if self.template is not None:
            tokens = self._templated(query, document)
            over = len(tokens) - self.n_batch
            if over > 0:  # shorten the document, keeping the template's end (its question)
                d = self.tokenize(document, add_special=False)
                kept = d[: max(0, len(d) - over - _RETOKENIZE_SLACK)]
                cut: bytes = self.llm.detokenize(kept)
                tokens = self._templated(query, cut.decode("utf-8", errors="ignore"))
            return tokens[: self.n_batch]  # a query longer than the batch: cut, last resort
        eos = int(llama_cpp.llama_vocab_eos(vocab))
        if eos < 0:
            eos = int(llama_cpp.llama_vocab_sep(vocab))
        add_bos = bool(llama_cpp.llama_vocab_get_add_bos(vocab))
        add_eos = bool(llama_cpp.llama_vocab_get_add_eos(vocab))
        add_sep = bool(llama_cpp.llama_vocab_get_add_sep(vocab))
        head = [int(llama_cpp.llama_vocab_bos(vocab))] if add_bos else []
        middle = ([eos] if add_eos else []) + (
            [int(llama_cpp.llama_vocab_sep(vocab))] if add_sep else []
        )
        tail = [eos] if add_eos else []
        q = self.tokenize(query, add_special=False)
        d = self.tokenize(document, add_special=False)
        room = self.n_batch - len(head) - len(middle) - len(tail)
        q = q[: max(1, room // 2)] if len(q) + len(d) > room else q
        d = d[: max(0, room - len(q))]
        return head + q + middle + d + tail

    def _templated(self, query: str, document: str) -> list[int]:
        """The model's rerank template filled in one pass (a query that holds
        ``{document}`` stays as written), special tokens parsed, as the server does."""
        assert self.template is not None
        values = {"query": query, "document": document}
        prompt = _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.template)
        return self.tokenize(prompt, add_special=False, parse_special=True)

    def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        """One relevance score per document, in the documents' order (higher: more
        relevant).

        With a ``cls.output`` head the pairs share a batch, one sequence each, up to the
        batch's tokens and the context's sequences. Without one, each pair is decoded alone:
        llama.cpp reads sequence ``s``'s score at ``s * n_cls_out`` of the pooled output,
        which then holds whole hidden-state rows, so in a batch every pair after the first
        got a neighbour's number (measured on the tests' head-less stand-in: alone -0.120,
        second in a batch 0.125; with a head the batch gives each pair's own score).
        """
        pairs = [self.pair_tokens(query, document) for document in documents]
        if not self.batched:
            return [score for tokens in pairs for score in self._scores([tokens])]
        scores: list[float] = []
        group: list[list[int]] = []
        used = 0
        for tokens in pairs:
            if group and (used + len(tokens) > self.n_batch or len(group) >= self.n_seq_max):
                scores.extend(self._scores(group))
                group, used = [], 0
            group.append(tokens)
            used += len(tokens)
        if group:
            scores.extend(self._scores(group))
        return scores

    def _scores(self, group: Sequence[Sequence[int]]) -> list[float]:
        """Decode pairs as sequences 0.. of one batch; the rank head's first output each.
        With segments, the batch holds each token's input row instead of its id."""
        batch = self.batch
        if self.segments is not None:
            rows = np.concatenate(
                [self.segments.rows(t, pair_segments(t, self.separator)) for t in group]
            )
            ctypes.memmove(batch.embd, rows.ctypes.data, rows.nbytes)
        n = 0
        for seq, tokens in enumerate(group):
            for pos, token in enumerate(tokens):
                if self.segments is None:
                    batch.token[n] = token
                batch.pos[n] = pos
                batch.n_seq_id[n] = 1
                batch.seq_id[n][0] = seq
                batch.logits[n] = 1
                n += 1
        batch.n_tokens = n
        memory = llama_cpp.llama_get_memory(self.ctx)
        if memory:
            llama_cpp.llama_memory_clear(memory, True)
        rc = llama_cpp.llama_decode(self.ctx, batch)
        if rc != 0:
            raise EngineInternalError("engine_internal", reason=f"llama_decode returned {rc}")
        scores = []
        for seq in range(len(group)):
            pointer = llama_cpp.llama_get_embeddings_seq(self.ctx, seq)
            if not pointer:
                raise EngineInternalError("engine_internal", reason="no rank score")
            scores.append(float(pointer[0]))
        return scores


def llama_build() -> str:
    """The ggml version and commit llama-cpp-python was built from, for the About box and
    bug reports ("" when the library does not export them)."""
    lib = getattr(getattr(llama_cpp, "llama_cpp", None), "_lib", None)
    parts = []
    for name in ("ggml_version", "ggml_commit"):
        function = getattr(lib, name, None)
        if function is None:
            return ""
        function.restype = ctypes.c_char_p
        function.argtypes = []
        value = function()
        parts.append(value.decode("utf-8", errors="replace") if value else "")
    return f"{parts[0]} ({parts[1]})" if parts[1] else parts[0]


def supports_gpu_offload() -> bool:
    """Whether this llama.cpp build has a backend that can take layers (Metal, CUDA, Vulkan…)."""
    load_backends()
    return bool(llama_cpp.llama_supports_gpu_offload())


@functools.cache
def load_backends() -> None:
    """Load the backends of a build that keeps them in their own libraries.

    A release build (``GGML_BACKEND_DL``, packaging/build-llama-release) links no backend
    into libggml: the CPU backend is one of fourteen ``libggml-cpu-<level>`` libraries and
    llama.cpp must load the best one this CPU can run. llama.cpp loads them by itself only
    from the Python executable's folder and the working folder, never from llama_cpp/lib
    where the wheel puts them, so the engine loads them from there before anything asks
    for a device, the system info or a model. A build with its backends linked in has
    them registered already, and nothing is done."""
    lib = _ggml()
    if int(lib.ggml_backend_reg_count()) == 0:
        folder = Path(llama_cpp.__file__).parent / "lib"
        lib.ggml_backend_load_all_from_path(os.fsencode(folder))


_CPU_VARIANT = re.compile(r"(?:^|[/\\])(?:lib)?ggml-cpu-([A-Za-z0-9_.]+?)\.(?:so|dll|dylib)$")


def cpu_variant(loaded: Sequence[str] | None = None) -> str:
    """Which of a release build's CPU libraries llama.cpp chose for this CPU ("haswell",
    "sse42", "x64"…), "" for a build with one CPU backend linked in.

    llama.cpp does not say which file it loaded; the process's own list of mapped files
    does (``/proc/self/maps`` on Linux; on Windows, the modules the process has loaded).
    ``loaded`` replaces that list (file paths), for a check on another process's maps."""
    paths = list(loaded) if loaded is not None else _loaded_libraries()
    for path in paths:
        match = _CPU_VARIANT.search(path.strip())
        if match:
            return match.group(1)
    return ""


def _loaded_libraries() -> list[str]:
    """The shared libraries this process has mapped, as paths ([] where that is unknown)."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        folder = Path(llama_cpp.__file__).parent / "lib"
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.GetModuleHandleW.restype = ctypes.c_void_p
        return [str(path) for path in folder.glob("ggml-cpu-*.dll")
                if kernel32.GetModuleHandleW(str(path))]  # fmt: skip
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return [line.split(maxsplit=5)[-1] for line in maps if "ggml-cpu" in line]
    except OSError:  # macOS and the BSDs: one CPU backend there (no variants)
        return []


_DEVICE_KINDS: dict[int, DeviceKind] = {0: "cpu", 1: "gpu", 2: "igpu", 3: "accel"}


@functools.cache
def _ggml() -> Any:
    """The ggml that libllama uses, with the backend calls typed.

    The bindings do not wrap the ggml backend API (ggml-backend.h), so it is called through
    ctypes. Not through ``llama_cpp._ggml.libggml``: the wheel's libggml.so and the
    libggml.so.0 libllama links are copies of one file, not links, so that module loads a
    second ggml with a backend registry of its own. A symbol looked up on libllama's handle
    is found in libllama's own dependencies: the ggml whose backends load models. Not on
    Windows, where a DLL's exports are its own only; there ggml.dll is one file, and the
    bindings' handle on it is libllama's ggml."""
    lib = llama_cpp.llama_cpp._lib
    if sys.platform == "win32":  # pragma: no cover - Windows
        from llama_cpp._ggml import libggml as lib
    device = ctypes.c_void_p
    size = ctypes.c_size_t
    for name, restype, argtypes in (
        ("ggml_backend_dev_count", size, []),
        ("ggml_backend_dev_get", device, [size]),
        ("ggml_backend_dev_name", ctypes.c_char_p, [device]),
        ("ggml_backend_dev_description", ctypes.c_char_p, [device]),
        ("ggml_backend_dev_type", ctypes.c_int, [device]),
        ("ggml_backend_dev_memory", None, [device, ctypes.POINTER(size), ctypes.POINTER(size)]),
        ("ggml_backend_reg_count", size, []),
        ("ggml_backend_load_all_from_path", None, [ctypes.c_char_p]),
    ):
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


def list_devices() -> tuple[DeviceInfo, ...]:
    """Every backend device the build registered, with its memory now (free, total).

    The enum order is ggml-backend.h's (CPU, GPU, IGPU, ACCEL, …); anything newer is
    "other". Memory is read at each call: free device memory changes as programs run."""
    load_backends()
    lib = _ggml()
    simulated = _simulated_gpu_memory()
    devices = []
    for index in range(int(lib.ggml_backend_dev_count())):
        device = lib.ggml_backend_dev_get(index)
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        lib.ggml_backend_dev_memory(device, ctypes.byref(free), ctypes.byref(total))
        name = lib.ggml_backend_dev_name(device) or b""
        description = lib.ggml_backend_dev_description(device) or b""
        devices.append(
            DeviceInfo(
                name=name.decode("utf-8", errors="replace"),
                description=description.decode("utf-8", errors="replace"),
                kind=_DEVICE_KINDS.get(int(lib.ggml_backend_dev_type(device)), "other"),
                free=int(free.value),
                total=int(total.value),
            )
        )
        if simulated is not None and devices[-1].is_gpu:
            devices[-1] = replace(devices[-1], free=simulated, total=simulated)
    return tuple(devices)


SIMULATED_GPU_MEMORY: Final = "FIRESIDE_SIMULATE_GPU_MEMORY"


def _simulated_gpu_memory() -> int | None:
    """The memory every GPU reports when ``FIRESIDE_SIMULATE_GPU_MEMORY`` (bytes) is set:
    a small device simulated on a large one (lavapipe reports the computer's memory), so
    the planning and the fallback for too many layers can be tried without such a card.
    Read in the engine process, at each listing; anything but a whole number is ignored."""
    value = os.environ.get(SIMULATED_GPU_MEMORY, "")
    return int(value) if value.isdigit() else None


def require(runtime: object | None, slot: str) -> None:
    if runtime is None:
        codes = {"chat": "no_chat_model", "reranker": "no_reranker_model"}
        raise NoModelLoaded(codes.get(slot, "no_embedding_model"))
