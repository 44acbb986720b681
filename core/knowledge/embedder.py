"""Embeddings through the engine: which model, how its text is measured, and batching.

Any GGUF works as the embedding model: a sentence-embedding model (BERT-style, with its own
pooling) or a causal model, which the engine mean-pools. The model is identified by its file
name and size (:func:`model_key`), the way stored chat tokens are, so a collection can tell
whether a search uses the model its vectors came from.

Chat goes first. The engine client runs one request at a time and a request from another
thread waits while a generation runs, so an ingestion thread's embedding batch simply waits
for the chat reply in progress. The other way round, a chat request that arrives while a
batch runs waits for that batch only: batches are small (``batch_size`` chunks, each at most
the model's context) and the ingestion thread pauses briefly between batches when another
request is waiting (``EngineClient.contended``), leaving the engine to it before it sends
the next one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.engine.client import EngineClient
from core.engine.protocol import DeviceChoice, LoadOptions, ModelInfo
from core.knowledge.errors import IngestCancelled, NoEmbeddingModel
from core.paths import AppPaths
from core.settings import Settings

if TYPE_CHECKING:  # imported where vectors are made: the window starts without numpy
    import numpy as np

DEFAULT_N_CTX = 512
DEFAULT_CHUNK_TOKENS = 256
_SPECIAL_TOKENS_ROOM = 4  # BOS/CLS/SEP and friends added when a text is embedded


def same_device(loaded: LoadOptions | None, wanted: LoadOptions) -> bool:
    """Whether a model loaded with ``loaded`` sits where ``wanted`` asks (a change of
    Settings → Device loads the embedding model or the reranker again at its next use)."""
    return loaded is not None and loaded.device_choice == wanted.device_choice


def model_key(path: Path) -> str:
    """Identifies an embedding model: same file name and size, same vectors."""
    return f"{path.name}:{path.stat().st_size}"


def resolve_model(choice: str | None, settings: Settings, paths: AppPaths) -> Path:
    """The embedding model file from ``--embedding-model`` (a path or an installed model's
    id), else the default in the settings. Says how to set one when there is none."""
    wanted = choice or settings.embedding_model
    if not wanted:
        raise NoEmbeddingModel("kb_no_embedding_model")
    candidate = Path(wanted).expanduser()
    if candidate.is_file():
        return candidate.resolve()
    from core.models.errors import ModelsError
    from core.models.registry import ModelRegistry, default_hf_cache

    try:
        model = ModelRegistry(paths, hf_cache_dir=default_hf_cache()).get(wanted)
    except ModelsError as exc:
        raise NoEmbeddingModel("kb_embedding_model_unknown", model=wanted) from exc
    return Path(model.path)


class Embedder:
    """The embedding model loaded in an engine, used in small batches."""

    def __init__(
        self,
        client: EngineClient,
        model_path: Path,
        *,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
        batch_size: int = 8,
        pause_s: float = 0.002,
        device: DeviceChoice | None = None,
    ) -> None:
        self.client = client
        self.model_path = model_path
        self.key = model_key(model_path)
        # ``device``: Settings → Device as it applies to this model (switching.device_choice;
        # None: the engine's first GPU, if any).
        self.options = LoadOptions(n_ctx=n_ctx, n_threads=n_threads).on(device or DeviceChoice())
        self.chunk_tokens = chunk_tokens
        self.batch_size = max(1, batch_size)
        self.pause_s = pause_s
        self.embed_seconds = 0.0  # time spent waiting for vectors (the benchmark reads it)
        self.texts_embedded = 0
        self.batches = 0
        # Told how many chunks of a document are about to be embedded (a window shows
        # "Embedding…" from the first batch on).
        self.on_start: Callable[[int], None] | None = None
        self._info: ModelInfo | None = None

    @property
    def device(self) -> DeviceChoice:
        """Where this model is to be loaded (``options.gpu_layers`` and ``device``)."""
        return self.options.device_choice

    def ensure_loaded(self) -> ModelInfo:
        """Load the model into the engine's embedding slot unless it is already there,
        with this context, on this device."""
        loaded = self.client.models.get("embedding")
        wanted = str(self.model_path.resolve())
        if (
            loaded is None
            or loaded.path != wanted
            or loaded.n_ctx != self.options.n_ctx
            or not same_device(self.client.loaded_options("embedding"), self.options)
        ):
            loaded = self.client.load_embedding(self.model_path, self.options)
        self._info = loaded
        return loaded

    @property
    def info(self) -> ModelInfo:
        return self._info or self.ensure_loaded()

    @property
    def dim(self) -> int:
        return self.info.embedding_size

    @property
    def max_tokens(self) -> int:
        """The most tokens a chunk may have: the chunk size, within the model's context."""
        return max(8, min(self.chunk_tokens, self.info.n_ctx - _SPECIAL_TOKENS_ROOM))

    def count_tokens(self, text: str) -> int:
        if self._info is None:
            self.ensure_loaded()
        return self.client.count_tokens(text, slot="embedding")

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        """:meth:`count_tokens` of each text in one engine request."""
        if self._info is None:
            self.ensure_loaded()
        return self.client.count_tokens_many(texts, slot="embedding")

    def embed(
        self,
        texts: Sequence[str],
        cancelled: Callable[[], bool] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit vectors for ``texts``, one engine request per batch. Checks ``cancelled``
        before each batch and raises :class:`IngestCancelled` when it says so."""
        if self._info is None:
            self.ensure_loaded()
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            if cancelled is not None and cancelled():
                raise IngestCancelled("kb_cancelled")
            if start:
                self.let_others_in()
            batch = list(texts[start : start + self.batch_size])
            rows.extend(self.embed_batch(batch))
            if on_batch is not None:
                on_batch(len(batch))
        import numpy as np

        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(rows, dtype=np.float32)

    def let_others_in(self) -> None:
        """Between two batches: a request waiting for the engine (a chat reply) goes first.
        Only when one waits: a pause costs far more than ``pause_s`` on a loaded machine
        (tens of milliseconds before the thread runs again)."""
        if self.pause_s and self.client.contended:
            time.sleep(self.pause_s)

    def embed_batch(self, batch: Sequence[str]) -> list[list[float]]:
        """Unit vectors of one batch (at most ``batch_size`` texts), one engine request: an
        ingestion fills its batches with the chunks of several documents."""
        if self._info is None:
            self.ensure_loaded()
        began = time.perf_counter()
        rows = self.client.embed(batch)
        self.embed_seconds += time.perf_counter() - began
        self.texts_embedded += len(batch)
        self.batches += 1
        return rows

    def embed_query(self, text: str) -> np.ndarray:
        vectors: np.ndarray = self.embed([text])[0]
        return vectors
