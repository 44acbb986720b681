"""What a citation points at, resolved against the person's own knowledge base.

A citation stored with a reply is a small dict (``grounding.citation``): the file, page,
snippet and, for replies this app wrote, the document and chunk ids. Its file is display text
until proven otherwise: an imported chat can name any local or network path, and a row
written by an older version that trusted imports may carry any ids. So a citation opens only
when its file is a document indexed in the person's knowledge base, and its chunk id is used
only when that chunk belongs to that very file; otherwise the passage looked for is the
citation's snippet (a few words of the chunk, all an imported chat has).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.knowledge.ocr import OcrPage
from core.knowledge.passages import page_hint
from core.knowledge.readers.image import SUFFIXES as IMAGE_SUFFIXES
from core.knowledge.store import KnowledgeStore

Kind = Literal["pdf", "image", "text"]


@dataclass(frozen=True)
class CitedSource:
    """A citation a viewer may open: the file, how to show it, and the passage to find."""

    path: Path
    kind: Kind  # "pdf", "image": shown page by page; "text": every other format, as its text
    page: int | None  # 1-based, PDFs
    passage: str  # the chunk's text, or the snippet when the chunk is not known
    char_start: int | None = None  # the chunk's offsets into the document's text
    char_end: int | None = None
    hint: int | None = None  # roughly where the passage starts in its page's text (PDF)
    recognised: tuple[OcrPage, ...] = ()  # pages read through OCR, with their lines' boxes


def cited_source(store: KnowledgeStore, citation: Mapping[str, Any]) -> CitedSource | None:
    """The source ``citation`` names, or None when its file is not a document of the
    knowledge base (then it must not be opened at all)."""
    shown = citation.get("file")
    if not isinstance(shown, str) or not shown:
        return None
    documents = store.documents_at(shown)
    if not documents:
        return None
    path = Path(shown)
    suffix = path.suffix.lower()
    kind: Kind = "pdf" if suffix == ".pdf" else "image" if suffix in IMAGE_SUFFIXES else "text"
    recognised: tuple[OcrPage, ...] = ()
    if kind != "text":
        hashes = dict.fromkeys(d.content_hash for d in documents if d.content_hash)
        recognised = next((tuple(p) for h in hashes if (p := store.ocr_pages(h))), ())
    page = citation.get("page")
    page = page if isinstance(page, int) and not isinstance(page, bool) and page > 0 else None
    snippet = citation.get("snippet")
    passage = snippet if isinstance(snippet, str) else ""
    chunk_id = citation.get("chunk_id")
    if isinstance(chunk_id, str):
        chunk = store.chunks_by_id([chunk_id]).get(chunk_id)
        if chunk is not None and chunk.document_id in {d.id for d in documents}:
            paged = kind != "text"
            hint = page_hint(chunk, store.chunks_of(chunk.document_id)) if paged else None
            return CitedSource(path, kind, chunk.page if chunk.page else page, chunk.text,
                               chunk.char_start, chunk.char_end, hint, recognised)  # fmt: skip
    return CitedSource(path, kind, page, passage, recognised=recognised)
