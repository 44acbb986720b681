"""Documents picked, by dropping their files on the chat, for its next whole-documents question.

"Compare these two contracts" is asked of two documents, not of a whole collection: the
person drops their files on the chat (the message box or the messages), and the next
question reads those documents whole (core/knowledge/whole.py), whatever the chat's *Whole
documents* switch says. A file that is not a document of the chat's collections is not
picked: the window offers to add it when Fireside can read it, else says it is not in the
chat's knowledge.

Why a plain class: what a drop means depends on the knowledge base (is this file indexed in
one of the chat's collections?) and on the chat (its picks wait for its next question), not
on a widget; the window shows what it answers (``desktop/chat/picks_bar.py``), and the tests
ask it without one (tests/test_desktop_document_picks.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the knowledge modules bring numpy along: imported on first drop only
    from core.knowledge.store import Document, KnowledgeStore


@dataclass(frozen=True)
class PickedDocument:
    """One document the chat's next question reads whole."""

    document_id: int
    path: str
    collection: str

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class DropResult:
    """What a drop on the chat did."""

    picked: tuple[PickedDocument, ...] = ()  # newly picked documents of the chat's collections
    outside: tuple[Path, ...] = ()  # dropped files that are no document of them
    addable: tuple[Path, ...] = ()  # of those, the ones Fireside can read (offered to add)


class DocumentPicks:
    """Each chat's picked documents, until the question that reads them is stored."""

    def __init__(self, store: Callable[[], KnowledgeStore],
                 readable: Collection[str] | None = None) -> None:  # fmt: skip
        """``store`` opens the knowledge store when first needed; ``readable``: the file
        suffixes the readers take (default: ``core.knowledge.readers.SUFFIXES``)."""
        self._store = store
        self._readable = readable
        self._picks: dict[int, list[PickedDocument]] = {}

    def picked(self, chat_id: int | None) -> list[PickedDocument]:
        return list(self._picks.get(chat_id, [])) if chat_id is not None else []

    def drop(self, chat_id: int | None, collections: Sequence[str],
             paths: Sequence[Path]) -> DropResult:  # fmt: skip
        """Pick the indexed documents the dropped files (or the files under a dropped
        folder) are in ``collections``, the chat's; the rest are ``outside``. Without a
        chat (none open yet) nothing can be picked."""
        store = self._store()
        kept = self._picks.setdefault(chat_id, []) if chat_id is not None else []
        have = {p.document_id for p in kept}
        picked: list[PickedDocument] = []
        outside: list[Path] = []
        for path in paths:
            found = self._documents(store, collections, path) if chat_id is not None else []
            if not found:
                outside.append(path)
            for document in found:
                if document.id not in have:
                    have.add(document.id)
                    picked.append(PickedDocument(document.id, document.path,
                                                 document.collection))  # fmt: skip
        kept += picked
        addable = tuple(p for p in outside if self._can_read(p))
        return DropResult(tuple(picked), tuple(outside), addable)

    def remove(self, chat_id: int, document_id: int) -> None:
        """The person took a document out (the chip's ×)."""
        kept = [p for p in self._picks.get(chat_id, []) if p.document_id != document_id]
        self._set(chat_id, kept)

    def for_question(self, chat_id: int, collections: Sequence[str]) -> list[PickedDocument]:
        """The picks the next question of the chat reads: those still in its collections
        (one may have been unticked under "Use in this chat" since the drop)."""
        kept = [p for p in self._picks.get(chat_id, []) if p.collection in collections]
        self._set(chat_id, kept)
        return list(kept)

    def asked(self, chat_id: int, used: Sequence[PickedDocument]) -> None:
        """The question that reads ``used`` is stored: they are no longer waiting (documents
        dropped meanwhile wait for the next one)."""
        gone = {p.document_id for p in used}
        self._set(chat_id, [p for p in self._picks.get(chat_id, []) if p.document_id not in gone])

    def forget(self, chat_id: int) -> None:
        self._picks.pop(chat_id, None)

    def _set(self, chat_id: int, kept: list[PickedDocument]) -> None:
        if kept:
            self._picks[chat_id] = kept
        else:
            self._picks.pop(chat_id, None)

    @staticmethod
    def _documents(store: KnowledgeStore, collections: Sequence[str],
                   path: Path) -> list[Document]:  # fmt: skip
        """The indexed documents with text at ``path`` (a file), or under it (a folder), in
        the chat's collections; paths are stored absolute, as the ingestion made them."""
        where = str(path.expanduser().absolute())
        if path.is_dir():
            found = []
            for collection in store.collections():
                if collection.name in collections:
                    found += store.documents_under(collection.id, where)
        else:
            found = store.documents_at(where)
        return [d for d in found if d.collection in collections and d.status == "indexed"
                and d.chunk_count > 0]  # fmt: skip

    def _can_read(self, path: Path) -> bool:
        """A folder (its readable files go in) or a file of a kind the readers take."""
        if self._readable is None:
            from core.knowledge.readers import SUFFIXES

            self._readable = SUFFIXES
        return path.is_dir() or path.suffix.lower() in self._readable
