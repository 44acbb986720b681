"""Readers: one module per file format, chosen by the file's suffix.

:func:`parse` is the one entry point. It refuses empty files, turns any unexpected failure
of a parsing library into ``kb_file_corrupt`` (so one odd file never stops a batch) and a
file without any text into ``kb_file_no_text``. Each reader takes its text through a
:class:`Reading` (the per-document character limit, the container's unpacked bytes, how far
it got); a document cut at the limit comes back with ``truncated`` set.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from core.knowledge.errors import UnreadableDocument
from core.knowledge.readers import docx, epub, html, image, pdf, text
from core.knowledge.readers.base import OnRead, ParsedDocument, Reading, ReadLimits, Section

if TYPE_CHECKING:
    from core.knowledge.ocr import PageRecognition

__all__ = ["SUFFIXES", "ParsedDocument", "ReadLimits", "Section", "parse", "supported"]

Reader = Callable[[Path, bytes, Reading], ParsedDocument]

_READERS: Final[dict[str, Reader]] = {
    **dict.fromkeys(text.SUFFIXES, text.read_text),
    **dict.fromkeys(html.SUFFIXES, html.read_html),
    **dict.fromkeys(pdf.SUFFIXES, pdf.read_pdf),
    **dict.fromkeys(docx.SUFFIXES, docx.read_docx),
    **dict.fromkeys(epub.SUFFIXES, epub.read_epub),
    **dict.fromkeys(image.SUFFIXES, image.read_image),
}
SUFFIXES: Final = frozenset(_READERS)


def supported(path: Path) -> bool:
    return path.suffix.lower() in _READERS


def parse(path: Path, data: bytes, limits: ReadLimits | None = None,
          on_read: OnRead | None = None, ocr: PageRecognition | None = None,
          ) -> ParsedDocument:  # fmt: skip
    """The text of a file, by its suffix. Raises :class:`UnreadableDocument`. ``on_read``
    hears how far a reader got inside the document (pages, chapters, paragraphs); ``ocr``
    recognises pages without text (given only in the parser process)."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableDocument("kb_file_unsupported", path=str(path),
                                 suffix=path.suffix or path.name)  # fmt: skip
    if not data:
        raise UnreadableDocument("kb_file_empty", path=str(path))
    reading = Reading(limits or ReadLimits(), on_read, ocr)
    try:
        document = reader(path, data, reading)
    except UnreadableDocument:
        raise
    except MemoryError as exc:
        raise UnreadableDocument("kb_file_out_of_memory", path=str(path)) from exc
    except Exception as exc:  # a parsing library's own failure on a damaged file
        reason = f"{type(exc).__name__}: {exc}"[:200]
        raise UnreadableDocument("kb_file_corrupt", path=str(path), reason=reason) from exc
    if not document.has_text:
        if document.unrecognised:  # every page with text was a scan OCR could not read
            page, reason = document.unrecognised[0]
            raise UnreadableDocument("kb_ocr_failed", path=str(path), page=str(page),
                                     reason=reason)  # fmt: skip
        if reading.ocr is None and document.kind == "pdf" and not reading.limits.ocr:
            raise UnreadableDocument("kb_file_no_text_ocr_off", path=str(path))
        raise UnreadableDocument("kb_file_no_text", path=str(path))
    document.truncated = reading.truncated
    return document
