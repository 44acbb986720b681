"""Whole-document questions in one chat, for the CLI (``chat --kb C --whole``) and the window.

Each question re-lists the chosen documents (one may have been added or changed since the
last question), reuses what earlier questions of the chat's branch read of them, reads the
rest on the side cache with progress, and returns the turn the chat session sends. A stop
from another thread ends the reading at once; the turn is then made of what was read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from core.engine.client import EngineClient
from core.knowledge.store import Document, KnowledgeStore
from core.knowledge.whole import (
    Progress,
    WholeDocuments,
    WholeReading,
    WholeTurn,
    earlier_notes,
    named_in,
)

# A chat's setting (``chats.settings``): its questions read whole documents (the window's
# "Whole documents" switch beside "Use in this chat").
WHOLE_DOCUMENTS: Final = "whole_documents"


class WholeChat:
    """Reads whole documents for each question of a chat; :meth:`cancel` stops a reading."""

    def __init__(self, store: KnowledgeStore, client: EngineClient,
                 collections: Sequence[str], names: Sequence[str] = (), *,
                 whole: WholeDocuments | None = None) -> None:  # fmt: skip
        """Raises now for an unknown collection, a collection with no document, or a
        name that picks none (``kb_collection_not_found``, ``kb_whole_empty``,
        ``kb_document_not_found``), so a bad argument is said before any question."""
        self.whole = whole or WholeDocuments(store, client)
        self.collections = list(collections)
        self.names = list(names)
        self.whole.documents(self.collections, self.names)
        self.reading: WholeReading | None = None

    def documents(self) -> list[Document]:
        return self.whole.documents(self.collections, self.names)

    def ground(self, question: str, groundings: Sequence[Any] = (),
               progress: Callable[[Progress], None] | None = None) -> WholeTurn:  # fmt: skip
        """Read (what earlier questions in ``groundings`` did not) and make the turn. A
        question that names documents of the collections reads only those."""
        documents = self.documents()
        if not self.names:
            documents = named_in(question, documents) or documents
        reading = self.whole.reading(question, documents, earlier_notes(groundings))
        self.reading = reading
        try:
            for step in reading:
                if progress is not None:
                    progress(step)
        finally:
            self.reading = None
        return reading.turn()

    def cancel(self) -> bool:
        """Stop the reading in progress (from any thread); False when none runs."""
        reading = self.reading
        if reading is None:
            return False
        reading.cancel()
        return True
