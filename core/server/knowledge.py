"""Knowledge over the API: a model named ``fireside-kb:<collection>@<chat model>``.

Such a request answers its last user message from that collection the way ``fireside-cli
chat --kb`` does (core/knowledge/grounding.py: the retrieved chunks go into that user turn;
the reply's sentences are cited after it is written, core/knowledge/attribution.py), and the
response carries the citations (a ``citations`` field on the completion, and on the last
chunk of a stream, with ``cited_content`` there when markers sit inside the streamed text).
Collections are opened on the engine lane and kept there: their SQLite connections stay on
one thread, and retrieval's query embedding takes its turn on the engine like everything
else. In the window the server searches the window's own knowledge base (``base``: one
Chroma client per process, and its store is safe to share between threads) instead of
opening another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from core.engine.client import EngineClient
from core.knowledge.cli import CHAT_SOURCES, ChatKnowledge
from core.knowledge.embedder import Embedder, resolve_model
from core.knowledge.grounding import GroundedTurn, ground
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.store import KnowledgeStore
from core.models.switching import device_choice
from core.paths import AppPaths
from core.server.errors import ApiError
from core.settings import SettingsStore

PREFIX: Final = "fireside-kb:"


@dataclass(frozen=True)
class KnowledgeModel:
    collection: str
    chat_model: str

    @property
    def name(self) -> str:
        return f"{PREFIX}{self.collection}@{self.chat_model}"


def parse_knowledge_model(name: str) -> KnowledgeModel | None:
    """The collection and chat model a ``fireside-kb:`` name asks for; None for other names."""
    if not name.startswith(PREFIX):
        return None
    collection, at, chat = name[len(PREFIX) :].rpartition("@")
    if not at or not collection or not chat:
        raise ApiError(400, "server_bad_kb_model", api_code="invalid_value", param="model",
                       model=name)  # fmt: skip
    return KnowledgeModel(collection, chat)


class ServedKnowledge:
    """The person's collections, opened on first use (on the engine lane only)."""

    def __init__(self, paths: AppPaths, client: EngineClient, *, k: int = CHAT_SOURCES,
                 n_threads: int | None = None,
                 base: Callable[[], KnowledgeBase] | None = None) -> None:  # fmt: skip
        self.paths = paths
        self.client = client
        self.k = k
        self.n_threads = n_threads
        self.base = base  # the window's knowledge base, shared (never closed here)
        self._open: dict[str, ChatKnowledge] = {}
        self._embedder: Embedder | None = None

    def collection_names(self) -> list[str]:
        """Safe from any thread: opens and closes its own connection."""
        if self.base is not None:
            return [c.name for c in self.base().collections()]
        if not self.paths.knowledge_db.exists():
            return []
        store = KnowledgeStore(self.paths.knowledge_db)
        try:
            return [c.name for c in store.collections()]
        finally:
            store.close()

    def ground(self, collection: str, question: str) -> GroundedTurn:
        """The grounded user turn for ``question`` (lane only)."""
        if self.base is not None:
            return self._ground_shared(self.base(), collection, question)
        knowledge = self._open.get(collection)
        if knowledge is None:
            settings = SettingsStore(self.paths.settings_file).load()
            model = resolve_model(None, settings, self.paths)
            knowledge = ChatKnowledge(self.paths, self.client, model, [collection],
                                      n_threads=self.n_threads, k=self.k,
                                      engine=settings.engine)  # fmt: skip
            self._open[collection] = knowledge
        return knowledge.ground(question)

    def _ground_shared(self, base: KnowledgeBase, collection: str,
                       question: str) -> GroundedTurn:  # fmt: skip
        settings = SettingsStore(self.paths.settings_file).load()
        model = resolve_model(None, settings, self.paths)
        device = device_choice(settings.engine, "embedding")
        embedder = self._embedder
        # A change of Settings → Device in the window applies from the next request.
        if embedder is None or embedder.model_path != model or embedder.device != device:
            self._embedder = Embedder(self.client, model, n_threads=self.n_threads,
                                      device=device)  # fmt: skip
        retriever = base.retriever(self._embedder)  # an unknown collection fails its search
        return ground(question, retriever.search(question, self.k, [collection]))

    def close(self) -> None:
        """Lane only, like the connections it closes."""
        for knowledge in self._open.values():
            knowledge.close()
        self._open.clear()
