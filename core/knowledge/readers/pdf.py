"""PDF: the text of each page with its page number, via PDFium (pypdfium2).

PDFium is the engine Chrome uses: it reads damaged files as far as they can be read, knows
the predefined CJK character maps (so Chinese text comes out as Chinese), and reports a
password-protected file as such. Each page is one section; the document outline, when there
is one, gives each page the heading of the bookmark it falls under. Pages are read until the
document's character limit is reached (a file of a few kilobytes can repeat one page's
text thousands of times); each page read is reported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from core.knowledge.errors import UnreadableDocument
from core.knowledge.readers.base import ParsedDocument, Reading, Section

SUFFIXES: Final = frozenset({".pdf"})
_PASSWORD_ERROR: Final = 4  # FPDF_ERR_PASSWORD
_MAX_OUTLINE: Final = 2000
# A line break between two Chinese characters is only where the line was full: no space,
# no sentence end; joining them keeps words (and search bigrams) whole.
_CJK_WRAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])\n(?=[\u3400-\u9fff\uf900-\ufaff])")


def read_pdf(path: Path, data: bytes, reading: Reading) -> ParsedDocument:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PASSWORD_ERROR:
            raise UnreadableDocument("kb_file_encrypted", path=str(path)) from exc
        raise UnreadableDocument("kb_file_corrupt", path=str(path), reason=str(exc)) from exc
    try:
        title = _title(document) or path.stem
        headings = _outline(document)
        sections: list[Section] = []
        heading: str | None = None
        count = len(document)
        for index in range(count):
            if reading.full:
                reading.truncated = True
                break
            heading = headings.get(index, heading)
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                finally:
                    textpage.close()
            finally:
                page.close()
            text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
            text = reading.take(_CJK_WRAP.sub("", text))
            if text.strip():
                sections.append(Section(text, page=index + 1, heading=heading))
            reading.read(index + 1, count, "page")
        return ParsedDocument(kind="pdf", title=title, sections=sections, pages=count)
    finally:
        document.close()


def _title(document: Any) -> str:
    try:
        value = document.get_metadata_value("Title")
    except Exception:  # metadata is optional; a damaged info dictionary is no reason to fail
        return ""
    return str(value or "").strip()


def _outline(document: Any) -> dict[int, str]:
    """Page index -> the first top-level bookmark that starts there."""
    found: dict[int, str] = {}
    try:
        for number, item in enumerate(document.get_toc()):
            if number >= _MAX_OUTLINE:
                break
            dest = item.get_dest()
            index = dest.get_index() if dest is not None else None
            title = (item.get_title() or "").strip()
            if index is not None and title and index not in found:
                found[index] = title
    except Exception:  # an outline is a nicety; a broken one must not lose the text
        return {}
    return found
