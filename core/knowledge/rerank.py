"""The optional second stage of retrieval: a cross-encoder reranker reorders the fused best.

Fusion (core/knowledge/retrieval.py) ranks chunks by where two independent lists put them; a
cross-encoder reads the question and each candidate chunk together and scores how well the
chunk answers it, which is slower (one model pass per candidate) but sees both texts at once.
So only the fused best ``candidates`` go through it, and their order becomes the reranker's;
the chunks below them keep the fused order. Each hit keeps its ``rerank_score`` (the model's
raw output: comparable within one question, not across models), and the citations carry it
to the Sources panel.

The model sits in the engine's reranker slot (``EngineClient.load_reranker``), beside the
chat and embedding models; it is chosen like the embedding model, by a file or an installed
model's id (``Settings.knowledge.reranker_model``), and used when
``Settings.knowledge.rerank`` is on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from core.engine.client import EngineClient
from core.engine.protocol import DeviceChoice, LoadOptions, ModelInfo
from core.knowledge.embedder import same_device
from core.knowledge.errors import NoRerankerModel
from core.paths import AppPaths
from core.settings import Settings

if TYPE_CHECKING:
    from core.knowledge.retrieval import Hit

DEFAULT_N_CTX = 1024  # a question and one chunk
DEFAULT_CANDIDATES = 20


def resolve_reranker(choice: str | None, settings: Settings, paths: AppPaths) -> Path | None:
    """The reranker model file from a choice (a path or an installed model's id), else the
    one in the settings when the stage is on; None when reranking is off."""
    wanted = choice or (settings.knowledge.reranker_model if settings.knowledge.rerank else "")
    if not wanted:
        return None
    candidate = Path(wanted).expanduser()
    if candidate.is_file():
        return candidate.resolve()
    from core.models.errors import ModelsError
    from core.models.registry import ModelRegistry, default_hf_cache

    try:
        model = ModelRegistry(paths, hf_cache_dir=default_hf_cache()).get(wanted)
    except ModelsError as exc:
        raise NoRerankerModel("kb_embedding_model_unknown", model=wanted) from exc
    return Path(model.path)


class Reranker:
    """The reranker model loaded in an engine, applied to a retrieval's best candidates."""

    def __init__(
        self,
        client: EngineClient,
        model_path: Path,
        *,
        candidates: int = DEFAULT_CANDIDATES,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        device: DeviceChoice | None = None,
    ) -> None:
        self.client = client
        self.model_path = model_path
        self.candidates = max(1, candidates)
        # ``device``: Settings → Device as it applies to this model (switching.device_choice;
        # None: the engine's first GPU, if any).
        self.options = LoadOptions(n_ctx=n_ctx, n_threads=n_threads).on(device or DeviceChoice())
        self.seconds = 0.0  # time spent scoring (the benchmark reads it)
        self._info: ModelInfo | None = None

    @property
    def device(self) -> DeviceChoice:
        """Where this model is to be loaded (``options.gpu_layers`` and ``device``)."""
        return self.options.device_choice

    def ensure_loaded(self) -> ModelInfo:
        """Load the model into the engine's reranker slot unless it is already there, on
        this device."""
        loaded = self.client.models.get("reranker")
        if (
            loaded is None
            or loaded.path != str(self.model_path.resolve())
            or not same_device(self.client.loaded_options("reranker"), self.options)
        ):
            loaded = self.client.load_reranker(self.model_path, self.options)
        self._info = loaded
        return loaded

    def scores(self, query: str, texts: Sequence[str]) -> list[float]:
        if self._info is None:
            self.ensure_loaded()
        began = time.perf_counter()
        try:
            return self.client.rerank(query, texts)
        finally:
            self.seconds += time.perf_counter() - began

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """``hits`` (in fused order) with the first ``candidates`` reordered by the
        reranker's score, each of them carrying it; ties keep the fused order."""
        head = list(hits[: self.candidates])
        if not head:
            return list(hits)
        texts = [f"{h.heading}\n{h.text}" if h.heading else h.text for h in head]
        scores = self.scores(query, texts)
        scored = [replace(h, rerank_score=s) for h, s in zip(head, scores, strict=True)]
        order = sorted(range(len(scored)), key=lambda i: (-(scored[i].rerank_score or 0.0), i))
        return [scored[i] for i in order] + list(hits[self.candidates :])
