"""The engine client: the calling process's handle on the engine process.

It starts the engine with ``spawn`` (a clean interpreter: nothing of Qt or of the caller's
threads is inherited), sends typed requests and turns the events back into return values,
iterators and typed errors. The engine dying, for any reason, becomes :class:`EngineCrashed`
(or :class:`ModelLoadError` while loading); the client then starts a fresh engine on the next
request and loads again the models it had, so only the KV cache is lost.

Thread rules: any thread may call :meth:`cancel`. One request runs at a time; a request from
another thread waits for a running generation to finish, while a new request from the thread
that started the generation cancels it first (that thread has evidently stopped reading it).
A generation whose consumer gives up (stops reading, raises) must not hold the engine: its
consumer calls :meth:`Generation.close` (``ChatSession``'s replies do so on every exit), and a
generation whose thread has ended is cancelled and drained by the next request. :meth:`close`
never waits more than a second for the engine: a request still running after that (a load, a
stuck engine) ends with the engine being terminated.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from core.child_process import stop_child
from core.engine.errors import (
    EngineCrashed,
    EngineError,
    EngineStartError,
    ModelFileError,
    ModelLoadError,
    NoModelLoaded,
    rebuild_error,
)
from core.engine.gguf import GGUFHeader, read_header
from core.engine.protocol import (
    CacheName,
    ChatMessage,
    CountTokensRequest,
    Done,
    Embeddings,
    EmbedRequest,
    Event,
    Failed,
    Finished,
    GenerateRequest,
    GenerationStats,
    Loaded,
    LoadOptions,
    LoadRequest,
    ModelInfo,
    ModelSlot,
    Piece,
    Ready,
    Request,
    RerankRequest,
    ResetCacheRequest,
    SamplingParams,
    Scores,
    ShutdownRequest,
    TokenCounts,
    TokenizeRequest,
    TokenLogprob,
    Tokens,
    UnloadRequest,
)
from core.engine.template import ChatTemplate
from core.engine.template_marks import Marker, marker_for
from core.engine.template_process import TemplateProcess
from core.paths import AppPaths

E = TypeVar("E")
_POLL_S = 0.05
CLOSE_GRACE_S = 1.0  # close() waits this long at most before terminating the engine


class Generation(Iterator[str]):
    """A streaming reply: iterate for text pieces; ``stats`` and ``tokens`` when finished."""

    def __init__(self, client: EngineClient, request_id: int) -> None:
        self._client = client
        self.request_id = request_id
        self.owner = threading.get_ident()
        self._owner_thread = threading.current_thread()  # idents are reused; threads are not
        self.finished = False
        self.stats: GenerationStats | None = None
        self.tokens: tuple[int, ...] = ()  # the sampled tokens of the reply
        # One per token of ``tokens`` when the sampling asked for ``top_logprobs``.
        self.logprobs: tuple[TokenLogprob, ...] = ()
        self.tokens_cover_text = False  # True when ``tokens`` are exactly ``text``
        self.text = ""
        self._started = time.perf_counter()
        self._first_piece_s: float | None = None

    def __iter__(self) -> Generation:
        return self

    def __next__(self) -> str:
        if self.finished:
            raise StopIteration
        with self._client._cond:
            event = self._client._receive_for(self)
        if isinstance(event, Piece):
            if self._first_piece_s is None:
                self._first_piece_s = time.perf_counter() - self._started
            self.text += event.text
            return event.text
        raise StopIteration

    def _finish(self, event: Finished) -> None:
        stats = event.stats
        # Time to first token as the caller lived it: request sent to first text received.
        ttft = self._first_piece_s
        if ttft is None:
            ttft = time.perf_counter() - self._started
        self.stats = replace(stats, ttft_s=ttft)
        self.tokens = event.tokens
        self.logprobs = event.logprobs
        self.tokens_cover_text = event.covered_chars == len(self.text)
        self.finished = True
        if self.tokens_cover_text:
            self._client._last_reply = (self.text, self.tokens)

    def cancel(self) -> None:
        """Stop it; the engine notices before the next token or prompt batch."""
        if not self.finished:
            self._client._cancel_id.value = self.request_id

    def close(self) -> None:
        """Cancel and drain: the engine is free for the next request when this returns.

        For consumers that stop reading early or fail while reading; harmless on a
        finished generation, and an engine that dies meanwhile ends it just as well."""
        if self.finished:
            return
        self.cancel()
        with contextlib.suppress(EngineError, StopIteration), self._client._cond:
            while not self.finished:
                self._client._receive_for(self)

    def __enter__(self) -> Generation:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    def result(self) -> str:
        """Read the rest of the reply and return all of its text."""
        for _ in self:
            pass
        return self.text


def start_failure(exitcode: int | None) -> EngineStartError:
    """Why an engine that died before its greeting died, from its exit status. An illegal
    instruction has a message of its own: llama.cpp built for a newer processor than this
    one (a copy built with pip's defaults, moved to an older computer) stops so, and the
    person needs to hear that, not a number."""
    if exitcode is not None and exitcode == -signal.SIGILL:
        return EngineStartError("engine_illegal_instruction")
    reason = "exited at start"
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        name = signal.Signals(number).name if number in signal.valid_signals() else "?"
        reason += f" on signal {number} ({name})"
    elif exitcode:
        reason += f" with status {exitcode}"
    return EngineStartError("engine_start_failed", reason=reason)


class EngineClient:
    """Starts, talks to, and restarts the engine process."""

    def __init__(
        self,
        paths: AppPaths | None = None,
        *,
        log_path: Path | None = None,
        start_timeout_s: float = 120.0,
    ) -> None:
        if log_path is None and paths is not None:
            log_path = paths.engine_log
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self._mp = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._cancel_id: Any = self._mp.Value("q", -1, lock=False)
        self._ids = itertools.count(1)
        self._cond = threading.Condition(threading.RLock())
        self._waiting = 0  # threads waiting for their turn (see :attr:`contended`)
        self._waiting_lock = threading.Lock()
        self._active: Generation | None = None
        self._loaded: dict[ModelSlot, tuple[str, LoadOptions]] = {}
        self.models: dict[ModelSlot, ModelInfo] = {}
        self.ready: Ready | None = None
        # Chat templates run here, bounded, never in the engine (template_process.py).
        self.templates = TemplateProcess()
        self._last_reply: tuple[str, tuple[int, ...]] | None = None  # (text, sampled tokens)

    # ---- lifetime ----------------------------------------------------------------------

    def __enter__(self) -> EngineClient:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> Ready:
        """Start the engine process if it is not running; returns its greeting."""
        with self._cond:
            if self.alive and self.ready is not None:
                return self.ready
            self._discard_process()
            from core.engine import worker

            parent, child = self._mp.Pipe(duplex=True)
            process = self._mp.Process(
                target=worker.run,
                args=(child, self._cancel_id, str(self.log_path) if self.log_path else None),
                name="fireside-engine",
                daemon=True,
            )
            try:
                process.start()
            except OSError as exc:
                raise EngineStartError("engine_start_failed", reason=str(exc)) from exc
            child.close()
            self._process, self._conn = process, parent
            try:
                event = self._receive(timeout_s=self.start_timeout_s)
            except EngineCrashed as exc:
                process.join(timeout=5)  # its exit status says why
                raise start_failure(process.exitcode) from exc
            if not isinstance(event, Ready):
                self._discard_process()
                raise EngineStartError("engine_start_failed", reason=repr(event))
            self.ready = event
            self.models = {}
            return event

    def close(self) -> None:
        """Stop the engine process: politely when it is idle, by termination after at most
        :data:`CLOSE_GRACE_S` when a request still holds it (a load, a stuck engine).

        A generation is cancelled first, so its reader lets go at the next piece. A request
        cut short this way ends in its own thread with :class:`EngineCrashed` (or a load
        error), as if the engine had died."""
        deadline = time.monotonic() + CLOSE_GRACE_S
        self.cancel()
        self.templates.close()
        if not self._cond.acquire(timeout=CLOSE_GRACE_S / 2):
            process = self._process
            if process is not None and process.is_alive():
                process.kill()  # its reader sees the engine gone, cleans up and lets go
            if not self._cond.acquire(timeout=CLOSE_GRACE_S):
                return  # that thread still holds the client; the engine is gone anyway
        try:
            process, conn = self._process, self._conn
            if process is not None and conn is not None and process.is_alive():
                with contextlib.suppress(OSError):
                    conn.send(ShutdownRequest())
                process.join(timeout=max(0.05, deadline - time.monotonic()))
            self._discard_process()
        finally:
            self._cond.release()

    def restart(self, reload: bool = True) -> None:
        """A fresh engine; with ``reload``, the models the old one had are loaded again."""
        self.close()
        if not reload:
            self._loaded.clear()
        with self._cond:
            self._claim()

    def kill(self) -> None:
        """Kill the engine process and wait for it to be gone (a crash, on purpose)."""
        process = self._process
        if process is not None and process.is_alive():
            process.kill()
            process.join(timeout=5)

    def _discard_process(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self.ready = None
        self.models = {}
        if self._active is not None and not self._active.finished:
            self._active.finished = True
        self._active = None
        stop_child(process, conn)
        self._cond.notify_all()

    # ---- requests ----------------------------------------------------------------------

    def load_chat(self, path: str | Path, options: LoadOptions | None = None) -> ModelInfo:
        """Load a GGUF chat model, replacing the current one. Checks the file first."""
        return self._load("chat", str(path), options or LoadOptions())

    def load_embedding(self, path: str | Path, options: LoadOptions | None = None) -> ModelInfo:
        """Load an embedding model beside the chat model."""
        return self._load("embedding", str(path), options or LoadOptions(n_ctx=512))

    def load_reranker(self, path: str | Path, options: LoadOptions | None = None) -> ModelInfo:
        """Load a cross-encoder reranker beside the other models (a query and a chunk fit
        its default context)."""
        return self._load("reranker", str(path), options or LoadOptions(n_ctx=1024))

    def loaded_options(self, slot: ModelSlot) -> LoadOptions | None:
        """The options the model in ``slot`` was loaded with (None: the slot is empty), so
        a part that wants it loaded otherwise (another device) knows to load it again."""
        loaded = self._loaded.get(slot)
        return loaded[1] if loaded is not None and slot in self.models else None

    def unload(self, slot: ModelSlot) -> None:
        self._call(UnloadRequest(slot), Done)
        self.models.pop(slot, None)
        self._loaded.pop(slot, None)

    def _load(self, slot: ModelSlot, path: str, options: LoadOptions) -> ModelInfo:
        options.validate()
        header = read_header(path)  # raises ModelFileError before llama.cpp sees the file
        _check_role(header, slot)
        resolved = str(header.path.resolve())
        try:
            loaded = self._call(LoadRequest(slot, resolved, options), Loaded)
        except EngineCrashed as exc:
            raise ModelLoadError("model_load_crashed", path=path) from exc
        self._loaded[slot] = (resolved, options)
        self.models[slot] = loaded.info
        return loaded.info

    def generate(
        self, messages: Sequence[ChatMessage], sampling: SamplingParams | None = None,
        *, cache: CacheName = "chat",
    ) -> Generation:  # fmt: skip
        """Stream a reply to chat messages, rendered with the model's template.

        The template is rendered in the template process and the prompt tokenized here
        piece by piece: its glue with special tokens, the content as plain text. A reply
        this client just gave is reused as the tokens it was sampled as. (Conversations
        use core/chat's context stack, which does the same frame by frame.)"""
        sampling = sampling or SamplingParams()
        sampling.validate()
        template = self.chat_template()
        stops = tuple(dict.fromkeys((*sampling.stop, *template.default_stops)))
        prompt = self.prompt_tokens(messages)
        return self.generate_tokens(prompt, replace(sampling, stop=stops), cache=cache)

    def generate_tokens(
        self, prompt: Sequence[int], sampling: SamplingParams | None = None,
        *, cache: CacheName = "chat",
    ) -> Generation:  # fmt: skip
        """Stream a continuation of a prompt given as token ids. ``cache="side"`` runs it on
        a second context of the chat model, leaving the chat's KV cache as it was."""
        request = GenerateRequest(
            next(self._ids), sampling or SamplingParams(), tuple(prompt), cache
        )
        return self._generate(request)

    def _generate(self, request: GenerateRequest) -> Generation:
        request.sampling.validate()
        with self._turn():
            self._claim()
            generation = Generation(self, request.request_id)
            self._send(request)
            self._active = generation
            return generation

    def cancel(self) -> None:
        """Stop the running generation, if any, from any thread."""
        active = self._active
        if active is not None:
            active.cancel()

    def embed(self, texts: Sequence[str], normalize: bool = True) -> list[list[float]]:
        """Embedding vectors for a batch of texts (unit length unless ``normalize=False``)."""
        return self._call(EmbedRequest(tuple(texts), normalize), Embeddings).vectors

    def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        """The reranker's relevance score of each document for ``query``, in order."""
        if not documents:
            return []
        return self._call(RerankRequest(query, tuple(documents)), Scores).scores

    def tokenize(
        self, text: str, *, slot: ModelSlot = "chat", add_special: bool = True,
        parse_special: bool = False,
    ) -> list[int]:  # fmt: skip
        return self._call(TokenizeRequest(text, slot, add_special, parse_special), Tokens).tokens

    def count_tokens(self, text: str, *, slot: ModelSlot = "chat") -> int:
        return len(self.tokenize(text, slot=slot, add_special=False))

    def count_tokens_many(self, texts: Sequence[str], *, slot: ModelSlot = "chat") -> list[int]:
        """:meth:`count_tokens` of each text, in one round trip."""
        if not texts:
            return []
        return self._call(CountTokensRequest(tuple(texts), slot), TokenCounts).counts

    def render(self, messages: Sequence[ChatMessage], add_generation_prompt: bool = True) -> str:
        """The prompt text the chat model's template makes of these messages."""
        return self.templates.render(self.chat_template(), messages, add_generation_prompt)

    def chat_template(self) -> ChatTemplate:
        """The loaded chat model's own template (the plain transcript if it has none)."""
        info = self._chat_info()
        return ChatTemplate(info.chat_template, info.bos_text, info.eos_text)

    def marker(self) -> Marker:
        """Marks for the loaded chat model's control tokens (core/engine/template_marks.py)."""
        return marker_for(self._chat_info().control_texts)

    def _chat_info(self) -> ModelInfo:
        info = self.models.get("chat")
        if info is None:
            raise NoModelLoaded("no_chat_model")
        return info

    def prompt_tokens(self, messages: Sequence[ChatMessage]) -> list[int]:
        """The prompt :meth:`generate` sends for these messages."""
        marker = self.marker()
        found = self.templates.marked_layout(
            self.chat_template(), marker, messages, range(len(messages))
        )
        text = found.full
        last = self._last_reply
        sampled = {
            k: last for k, m in enumerate(messages)
            if last is not None and m.role == "assistant" and m.content == last[0]
        }  # fmt: skip

        def tokenize(text: str, add_special: bool, parse_special: bool) -> list[int]:
            return self.tokenize(text, add_special=add_special, parse_special=parse_special)

        return marker.tokens(text, tokenize, at_start=True,
                             bos_text=self._chat_info().bos_text, sampled=sampled)  # fmt: skip

    def reset_cache(self) -> None:
        """Forget the KV cache; the next prompt is evaluated from its first token."""
        self._call(ResetCacheRequest(), Done)

    # ---- plumbing ----------------------------------------------------------------------

    @property
    def contended(self) -> bool:
        """Whether another thread is waiting for the engine now (for its turn, or behind a
        reply another thread is reading): a loop of requests (an ingestion's embedding
        batches) pauses between two only then, so that a chat request goes first and an
        ingestion alone loses no time."""
        return self._waiting > 0

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """The engine, for one request (counted in :attr:`contended` while waiting)."""
        with self._waiting_lock:
            self._waiting += 1
        try:
            self._cond.acquire()
        finally:
            with self._waiting_lock:
                self._waiting -= 1
        try:
            yield
        finally:
            self._cond.release()

    def _call(self, request: Request, expected: type[E]) -> E:
        with self._turn():
            self._claim()
            self._send(request)
            event = self._receive()
            if isinstance(event, Failed):
                raise rebuild_error(event.kind, event.code, event.params)
            if not isinstance(event, expected):
                raise EngineCrashed("engine_crashed")
            return event

    def _claim(self) -> None:
        """Wait for (or, from its own thread or a thread that has ended, abandon) a running
        generation; start the engine if needed."""
        while self._active is not None and not self._active.finished:
            active = self._active
            if active.owner == threading.get_ident() or not active._owner_thread.is_alive():
                active.cancel()
                while not active.finished:
                    self._receive_for(active)
            else:
                # Waiting behind another thread's reply counts as waiting for the engine.
                with self._waiting_lock:
                    self._waiting += 1
                try:
                    self._cond.wait(timeout=_POLL_S * 10)  # rechecks whether its thread ended
                finally:
                    with self._waiting_lock:
                        self._waiting -= 1
        if not self.alive:
            # Not started yet, closed, or died since the last request (which, if it was
            # running then, already raised EngineCrashed): a fresh engine with the models
            # the caller had loaded, so nothing but the KV cache is lost.
            self.start()
            for slot, (path, options) in list(self._loaded.items()):
                self._load(slot, path, options)

    def _send(self, request: Request) -> None:
        assert self._conn is not None
        try:
            self._conn.send(request)
        except OSError:
            self._discard_process()
            raise EngineCrashed("engine_crashed") from None

    def _receive_for(self, generation: Generation) -> Event:
        """Next event of a generation; on its end, record it and wake waiting threads."""
        if generation.finished:
            raise StopIteration
        try:
            event = self._receive()
        except EngineCrashed:
            generation.finished = True
            raise
        if isinstance(event, Piece) and event.request_id == generation.request_id:
            return event
        generation.finished = True
        self._active = None
        self._cond.notify_all()
        if isinstance(event, Finished):
            generation._finish(event)
            return event
        if isinstance(event, Failed):
            raise rebuild_error(event.kind, event.code, event.params)
        raise EngineCrashed("engine_crashed")

    def _receive(self, timeout_s: float | None = None) -> Event:
        conn, process = self._conn, self._process
        if conn is None or process is None:
            raise EngineCrashed("engine_crashed")
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            try:
                if conn.poll(_POLL_S):
                    event: Event = conn.recv()
                    return event
            except (EOFError, OSError):
                self._discard_process()
                raise EngineCrashed("engine_crashed") from None
            if not process.is_alive():
                self._discard_process()
                raise EngineCrashed("engine_crashed")
            if deadline is not None and time.monotonic() > deadline:
                self._discard_process()
                raise EngineStartError("engine_timeout", seconds=int(timeout_s or 0))


def _check_role(header: GGUFHeader, slot: ModelSlot) -> None:
    if slot == "chat" and header.is_embedding_model:
        raise ModelFileError("model_is_embedding", path=str(header.path))
    if slot == "reranker" and not header.is_reranker:
        raise ModelFileError("model_not_reranker", path=str(header.path))
