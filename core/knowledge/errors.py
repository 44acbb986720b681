"""Errors a person can meet with their documents; each carries a message code (core/i18n.py).

A file that cannot be read becomes an :class:`UnreadableDocument`: the ingestion records it
with its code and parameters next to the document's path and goes on with the rest, so the
reason can be shown later, in the person's language, without keeping an exception around.
"""

from __future__ import annotations

from core.errors import FiresideError


class KnowledgeError(FiresideError):
    """Base of everything the knowledge base reports; ``code`` keys the message catalogue."""


class UnreadableDocument(KnowledgeError):
    """A file that is corrupt, encrypted, empty, binary, too large or of an unknown kind."""


class NoEmbeddingModel(KnowledgeError):
    """No embedding model was given and none is set as the default."""


class NoRerankerModel(KnowledgeError):
    """The reranker model named is neither a file nor an installed model."""


class ReindexNeeded(KnowledgeError):
    """A collection was embedded with another model; mixing vectors would be meaningless."""


class CollectionNotFound(KnowledgeError):
    """No collection of that name."""


class DocumentNotFound(KnowledgeError):
    """No document with that id or path."""


class IngestCancelled(KnowledgeError):
    """The person stopped an ingestion; finished documents stay, the rest wait for a rerun."""
