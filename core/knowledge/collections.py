"""Collections: named sets of documents, each bound to the embedding model it was built with.

A chat chooses the collections it draws on (stored with the chat); a search is filtered to
them. The first document embedded into a collection binds it to that model (file name and
size, see :func:`core.knowledge.embedder.model_key`); from then on, adding to it or searching
it with another model is refused with :class:`ReindexNeeded`, which says how to re-embed,
because similarities between vectors of two models mean nothing. An empty collection takes
whichever model comes next.
"""

from __future__ import annotations

import re
from typing import Final

from core.knowledge.errors import KnowledgeError, ReindexNeeded
from core.knowledge.store import DEFAULT_COLLECTION, Collection, KnowledgeStore

__all__ = ["DEFAULT_COLLECTION", "CollectionModels", "check_name", "model_name"]

_NAME: Final = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,64}$")


def check_name(name: str) -> str:
    """A collection name as given, trimmed: any language, no slashes or control characters."""
    cleaned = name.strip()
    if not _NAME.match(cleaned):
        raise KnowledgeError("kb_bad_collection_name", name=name)
    return cleaned


def model_name(key: str | None) -> str:
    """The file name part of a model key, for messages."""
    return (key or "").rsplit(":", 1)[0]


class CollectionModels:
    """Keeps each collection to one embedding model."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store

    def require(self, collection: Collection, key: str) -> None:
        """Raise :class:`ReindexNeeded` if the collection's vectors came from another model."""
        if collection.embedding_model in (None, key):
            return
        if self.store.chunk_count(collection.id) == 0:
            return  # nothing embedded yet: it will take this model
        raise ReindexNeeded(
            "kb_reindex_needed",
            collection=collection.name,
            built=model_name(collection.embedding_model),
            current=model_name(key),
        )

    def bind(self, collection: Collection, key: str, path: str, dim: int) -> Collection:
        """Bind a collection to a model (after :meth:`require` allowed it)."""
        self.require(collection, key)
        if collection.embedding_model != key or collection.embedding_dim != dim:
            self.store.set_embedding_model(collection.id, key, path, dim)
            collection = self.store.collection_by_id(collection.id)
        return collection
