"""Which models the server offers and which one answers a request.

Models are named by their registry id (core/models/registry.py), as ``GET /v1/models`` lists
them. A request for the chat model that is loaded uses it as it is (the engine keeps its KV
cache, so a client resending a growing conversation gets the prefix reuse the window gets);
a request for another installed chat model loads it in its place when it fits, unless the
server is pinned to the loaded model. Loading happens on the engine lane, between requests;
``on_switch`` hears of every chat model loaded this way (the window shows it in its status
line, since its own chat now talks to that model too).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.engine.client import EngineClient
from core.engine.gguf import read_header
from core.engine.protocol import LoadOptions, ModelInfo, ModelSlot
from core.models.fit import FitAdvisor, FitOptions
from core.models.registry import InstalledModel, ModelRegistry
from core.server.errors import ApiError

SERVED_KINDS = ("chat", "embedding")


class ServedModels:
    """The registry's chat and embedding models, and loading one on demand."""

    def __init__(self, registry: ModelRegistry, client: EngineClient, *,
                 chat_options: LoadOptions | None = None,
                 embedding_options: LoadOptions | None = None,
                 pinned: bool = False, advisor: FitAdvisor | None = None) -> None:  # fmt: skip
        self.registry = registry
        self.client = client
        self.chat_options = chat_options or LoadOptions()
        self.embedding_options = embedding_options or LoadOptions(n_ctx=512)
        self.pinned = pinned  # only the loaded chat model answers
        self.advisor = advisor or FitAdvisor()
        self.on_switch: Callable[[InstalledModel, ModelInfo], None] | None = None

    def listed(self) -> list[InstalledModel]:
        return [m for m in self.registry.models() if m.kind in SERVED_KINDS]

    def find(self, model_id: object, kind: ModelSlot) -> InstalledModel:
        """The installed model a request names; 404 for an unknown name, 400 for a model of
        the wrong kind. Safe on the event loop (reads the registry only)."""
        if not isinstance(model_id, str) or not model_id:
            raise ApiError(400, "server_field_required", param="model", field="model")
        model = next((m for m in self.listed() if m.id == model_id), None)
        if model is None:
            raise ApiError(404, "server_unknown_model", api_code="model_not_found",
                           param="model", model=model_id)  # fmt: skip
        if model.kind != kind:
            raise ApiError(400, "server_wrong_model_kind", api_code="model_not_supported",
                           param="model", model=model_id, kind=model.kind)  # fmt: skip
        return model

    def loaded(self, slot: ModelSlot) -> InstalledModel | None:
        """The installed model the engine holds in a slot, if the registry knows it."""
        info = self.client.models.get(slot)
        if info is None:
            return None
        return next((m for m in self.listed() if _same_file(m.path, info.path)), None)

    def ensure(self, model: InstalledModel) -> None:
        """Have the engine hold ``model`` in its slot (on the engine lane only)."""
        slot: ModelSlot = "chat" if model.kind == "chat" else "embedding"
        info = self.client.models.get(slot)
        if info is not None and _same_file(model.path, info.path):
            return
        if slot == "chat" and self.pinned and info is not None:
            raise ApiError(400, "server_model_pinned", api_code="model_not_supported",
                           param="model", model=model.id)  # fmt: skip
        options = self.chat_options if slot == "chat" else self.embedding_options
        answer = self.advisor.check_header(
            read_header(model.path), FitOptions(n_ctx=options.n_ctx, n_ubatch=options.n_ubatch),
            weights=model.size,
        )  # fmt: skip
        answer.raise_if_wont_fit()  # WontFit: a clear 400, the loaded model stays
        if slot == "chat":
            loaded = self.client.load_chat(model.path, options)
            if self.on_switch is not None:
                self.on_switch(model, loaded)
        else:
            self.client.load_embedding(model.path, options)


def _same_file(a: str, b: str) -> bool:
    return Path(a).resolve() == Path(b).resolve()
