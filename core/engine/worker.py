"""The engine process: receives requests on a pipe, owns the models, streams events back.

Started by :class:`core.engine.client.EngineClient` with the ``spawn`` method, so it shares
nothing with the caller but the pipe and one shared integer: the id of the generation to
cancel, which the sampling loop reads before every token. llama.cpp's own output (stderr)
goes to the engine log, so a crash leaves its last words where a person can find them.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from core.engine.errors import EngineError, EngineInternalError, InvalidRequest
from core.engine.gguf import read_header
from core.engine.protocol import (
    CountTokensRequest,
    Done,
    Embeddings,
    EmbedRequest,
    Failed,
    Finished,
    GenerateRequest,
    Loaded,
    LoadRequest,
    Piece,
    Ready,
    Request,
    RerankRequest,
    ResetCacheRequest,
    Scores,
    ShutdownRequest,
    TokenCounts,
    TokenizeRequest,
    Tokens,
    UnloadRequest,
)


def _redirect_output(log_path: str | None) -> None:
    if not log_path:
        return
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


class Engine:
    """Dispatches requests to the chat, embedding and reranker runtimes."""

    def __init__(self, conn: Connection, cancel_id: Any) -> None:
        from core.engine.runtime import ChatRuntime, EmbeddingRuntime, RerankRuntime

        self._chat_cls = ChatRuntime
        self._embed_cls = EmbeddingRuntime
        self._rerank_cls = RerankRuntime
        self.conn = conn
        self.cancel_id = cancel_id
        self.chat: ChatRuntime | None = None
        self.embedder: EmbeddingRuntime | None = None
        self.reranker: RerankRuntime | None = None

    def serve(self) -> None:
        import llama_cpp

        from core.engine.runtime import (
            cpu_variant,
            list_devices,
            llama_build,
            load_backends,
            supports_gpu_offload,
        )

        load_backends()  # a release build's CPU library is chosen here, before anything asks
        info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
        self.conn.send(
            Ready(os.getpid(), llama_cpp.__version__, info.strip(), llama_build(),
                  supports_gpu_offload(), list_devices(), cpu_variant())
        )  # fmt: skip
        while True:
            try:
                request: Request = self.conn.recv()
            except (EOFError, OSError):
                break  # the client is gone
            if isinstance(request, ShutdownRequest):
                self.conn.send(Done())
                break
            try:
                self.handle(request)
            except EngineError as exc:
                self.conn.send(Failed(type(exc).__name__, exc.code, exc.params, _rid(request)))
            except Exception as exc:  # anything else still must not kill the engine
                print(traceback.format_exc(), file=sys.stderr, flush=True)
                self.conn.send(
                    Failed(EngineInternalError.__name__, "engine_internal",
                           {"reason": f"{type(exc).__name__}: {exc}"}, _rid(request))
                )  # fmt: skip
        self._unload("chat")
        self._unload("embedding")
        self._unload("reranker")

    def handle(self, request: Request) -> None:
        from core.engine.runtime import require

        if isinstance(request, LoadRequest):
            header = read_header(request.path)
            self._unload(request.slot)
            if request.slot == "chat":
                self.chat = self._chat_cls(header, request.options)
                self.conn.send(Loaded(self.chat.info))
            elif request.slot == "reranker":
                self.reranker = self._rerank_cls(header, request.options)
                self.conn.send(Loaded(self.reranker.info))
            else:
                self.embedder = self._embed_cls(header, request.options)
                self.conn.send(Loaded(self.embedder.info))
        elif isinstance(request, UnloadRequest):
            self._unload(request.slot)
            self.conn.send(Done())
        elif isinstance(request, GenerateRequest):
            require(self.chat, "chat")
            assert self.chat is not None
            self._generate(self.chat, request)
        elif isinstance(request, EmbedRequest):
            require(self.embedder, "embedding")
            assert self.embedder is not None
            self.conn.send(Embeddings(self.embedder.embed(request.texts, request.normalize)))
        elif isinstance(request, RerankRequest):
            require(self.reranker, "reranker")
            assert self.reranker is not None
            self.conn.send(Scores(self.reranker.rerank(request.query, request.documents)))
        elif isinstance(request, TokenizeRequest):
            runtime = {"chat": self.chat, "embedding": self.embedder,
                       "reranker": self.reranker}[request.slot]  # fmt: skip
            require(runtime, request.slot)
            assert runtime is not None
            tokens = runtime.tokenize(request.text, request.add_special, request.parse_special)
            self.conn.send(Tokens(tokens))
        elif isinstance(request, CountTokensRequest):
            runtime = {"chat": self.chat, "embedding": self.embedder,
                       "reranker": self.reranker}[request.slot]  # fmt: skip
            require(runtime, request.slot)
            assert runtime is not None
            counts = [len(runtime.tokenize(t, False, False)) for t in request.texts]
            self.conn.send(TokenCounts(counts))
        elif isinstance(request, ResetCacheRequest):
            if self.chat is not None:
                self.chat.reset_cache()
            self.conn.send(Done())
        else:
            raise InvalidRequest("bad_argument", name="request", reason=type(request).__name__)

    def _generate(self, chat: Any, request: GenerateRequest) -> None:
        rid = request.request_id
        cancel_id = self.cancel_id

        def cancelled() -> bool:
            return bool(cancel_id.value == rid)

        send = self.conn.send
        prompt = list(request.prompt_tokens)
        for item in chat.generate(prompt, request.sampling, cancelled, request.cache):
            if isinstance(item, str):
                send(Piece(rid, item))
            else:
                stats, tokens, covered, logprobs = item
                send(Finished(rid, stats, tuple(tokens), covered, tuple(logprobs)))

    def _unload(self, slot: str) -> None:
        if slot == "chat" and self.chat is not None:
            self.chat.close()
            self.chat = None
        elif slot == "embedding" and self.embedder is not None:
            self.embedder.close()
            self.embedder = None
        elif slot == "reranker" and self.reranker is not None:
            self.reranker.close()
            self.reranker = None


def _rid(request: object) -> int | None:
    return getattr(request, "request_id", None)


def run(conn: Connection, cancel_id: Any, log_path: str | None) -> None:
    """Entry point of the engine process."""
    # Ctrl-C in a terminal reaches the whole process group; the client decides what it
    # means (stop the reply), so the engine itself ignores it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _redirect_output(log_path)
    try:
        Engine(conn, cancel_id).serve()
    finally:
        conn.close()
