"""Knowledge over the API: a model named ``fireside-kb:<collection>@<chat model>``.

Such a request answers its last user message from that collection the way ``fireside-cli
chat --kb`` does (core/knowledge/grounding.py: the retrieved chunks go into that user turn,
numbered, with the request to cite them), and the response carries the citations (a
``citations`` field on the completion, and on the last chunk of a stream). Collections are
opened on the engine lane and kept there: their SQLite connections stay on one thread, and
retrieval's query embedding takes its turn on the engine like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from core.engine.client import EngineClient
from core.knowledge.cli import CHAT_SOURCES, ChatKnowledge
from core.knowledge.embedder import resolve_model
from core.knowledge.grounding import GroundedTurn
from core.knowledge.store import KnowledgeStore
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
                 n_threads: int | None = None) -> None:  # fmt: skip
        self.paths = paths
        self.client = client
        self.k = k
        self.n_threads = n_threads
        self._open: dict[str, ChatKnowledge] = {}

    def collection_names(self) -> list[str]:
        """Safe from any thread: opens and closes its own connection."""
        if not self.paths.knowledge_db.exists():
            return []
        store = KnowledgeStore(self.paths.knowledge_db)
        try:
            return [c.name for c in store.collections()]
        finally:
            store.close()

    def ground(self, collection: str, question: str) -> GroundedTurn:
        """The grounded user turn for ``question`` (lane only)."""
        knowledge = self._open.get(collection)
        if knowledge is None:
            settings = SettingsStore(self.paths.settings_file).load()
            model = resolve_model(None, settings, self.paths)
            knowledge = ChatKnowledge(self.paths, self.client, model, [collection],
                                      n_threads=self.n_threads, k=self.k)  # fmt: skip
            self._open[collection] = knowledge
        return knowledge.ground(question)

    def close(self) -> None:
        """Lane only, like the connections it closes."""
        for knowledge in self._open.values():
            knowledge.close()
        self._open.clear()
