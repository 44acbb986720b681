"""The default chat and embedding models, and switching what the engine has loaded.

Defaults are remembered in the settings (``chat_model``, ``embedding_model``) by registry
id. Switching loads the chosen model into the running engine (the engine replaces its current
model in that slot), so the app changes model without restarting; the window's settings menu
calls :meth:`ModelSwitcher.switch` off the GUI thread. Before loading, the memory estimate is
checked so that a model that cannot fit is refused with a clear message instead of the
engine being killed by the system.
"""

from __future__ import annotations

from dataclasses import replace

from core.engine.client import EngineClient
from core.engine.gguf import read_header
from core.engine.probe import offload_device
from core.engine.protocol import DeviceChoice, GpuLayers, LoadOptions, ModelInfo, ModelSlot
from core.models.catalogue import ModelKind
from core.models.fit import FitAdvisor, FitOptions
from core.models.registry import InstalledModel, ModelRegistry
from core.settings import AUTO, CPU_ONLY, EngineSettings, Settings, SettingsStore


def engine_load_options(engine: EngineSettings) -> LoadOptions:
    """How the engine settings load a chat model: context, threads, batch, and where it
    runs (``device_choice``)."""
    return LoadOptions(
        n_ctx=engine.n_ctx, n_threads=engine.n_threads or None, n_batch=engine.n_batch
    ).on(device_choice(engine, "chat"))


def device_choice(engine: EngineSettings, slot: ModelSlot) -> DeviceChoice:
    """Where Settings → Device and GPU layers ask a model of ``slot`` to run.

    Device applies to every model: "auto" is the engine's first GPU (llama.cpp's own
    choice), "cpu" no layers on a GPU, a name that device. GPU layers is a number fitted to
    the chat model, so the embedding model and the reranker take it only when it is 0
    (nothing on the GPU); otherwise they get "auto": they are small, and go whole to the
    device when its free memory (read at their load, after the chat model's) holds them."""
    layers: GpuLayers = engine.gpu_layers
    if engine.device == CPU_ONLY:
        layers = 0
    elif slot != "chat" and layers != 0:
        layers = AUTO
    return DeviceChoice(layers, None if engine.device in (AUTO, CPU_ONLY) else engine.device)


# The contexts of the embedding model and the reranker when the model manager or the
# server loads them (the engine client's defaults for those slots; core/knowledge's
# Embedder and Reranker choose their own).
_SIDE_CONTEXT: dict[ModelKind, int] = {"embedding": 512, "reranker": 1024}


def side_load_options(engine: EngineSettings, kind: ModelKind) -> LoadOptions:
    """How the engine settings load an embedding model or a reranker: its own context,
    the settings' threads, and ``device_choice``."""
    return LoadOptions(n_ctx=_SIDE_CONTEXT[kind], n_threads=engine.n_threads or None).on(
        device_choice(engine, kind)
    )


class ModelSwitcher:
    """Chooses the default models and loads them into an engine."""

    def __init__(
        self,
        registry: ModelRegistry,
        settings: SettingsStore,
        advisor: FitAdvisor | None = None,
    ) -> None:
        self.registry = registry
        self.settings = settings
        self.advisor = advisor or FitAdvisor()

    def default(self, kind: ModelKind) -> InstalledModel | None:
        """The default model of a kind, if it is still installed."""
        current = self.settings.load()
        if kind == "reranker":
            wanted: str | None = current.knowledge.reranker_model
        else:
            wanted = current.chat_model if kind == "chat" else current.embedding_model
        if not wanted:
            return None
        return next((m for m in self.registry.models() if m.id == wanted), None)

    def use(self, model_id: str) -> InstalledModel:
        """Make an installed model the default of its kind (chat, embedding or reranker:
        choosing a reranker turns the reranking stage on)."""
        model = self.registry.get(model_id)
        current = self.settings.load()
        if model.kind == "chat":
            self.settings.save(replace(current, chat_model=model.id))
        elif model.kind == "reranker":
            knowledge = replace(current.knowledge, rerank=True, reranker_model=model.id)
            self.settings.save(replace(current, knowledge=knowledge))
        else:
            self.settings.save(replace(current, embedding_model=model.id))
        return model

    def forget(self, model_id: str) -> None:
        """After a removal: a default that named the model names nothing."""
        current = self.settings.load()
        updated = replace(
            current,
            chat_model=None if current.chat_model == model_id else current.chat_model,
            embedding_model=(
                None if current.embedding_model == model_id else current.embedding_model
            ),
        )
        if current.knowledge.reranker_model == model_id:
            knowledge = replace(current.knowledge, rerank=False, reranker_model="")
            updated = replace(updated, knowledge=knowledge)
        if updated != current:
            self.settings.save(updated)

    def load_options(self, settings: Settings | None = None) -> LoadOptions:
        return engine_load_options((settings or self.settings.load()).engine)

    def switch(
        self,
        client: EngineClient,
        model_id: str,
        options: LoadOptions | None = None,
        *,
        check_fit: bool = True,
    ) -> ModelInfo:
        """Load the model into the running engine in place of the current one of its kind,
        then remember it as the default. Raises WontFit before loading when it cannot fit."""
        model = self.registry.get(model_id)
        if options is None:
            engine = self.settings.load().engine
            options = (
                engine_load_options(engine)
                if model.kind == "chat"
                else side_load_options(engine, model.kind)
            )
        if check_fit:
            header = read_header(model.path)
            n_ctx = options.n_ctx if options is not None else 512
            n_ubatch = options.n_ubatch if options is not None else 512
            # What goes to the engine's GPU (if it reported one) does not need RAM.
            advisor = self.advisor
            if client.ready is not None:
                device = options.device if options is not None else None
                advisor = advisor.with_device(offload_device(client.ready, device))
            answer = advisor.check_header(
                header,
                # a chat model may read whole documents on its side cache (a second context)
                FitOptions(n_ctx=n_ctx, n_ubatch=n_ubatch, side_cache=model.kind == "chat"),
                weights=model.size,
                gpu_layers=options.gpu_layers if options is not None else "auto",
            )
            answer.raise_if_wont_fit()
        if model.kind == "chat":
            info = client.load_chat(model.path, options)
        elif model.kind == "reranker":
            info = client.load_reranker(model.path, options)
        else:
            info = client.load_embedding(model.path, options)
        self.use(model.id)
        return info
