"""PDF: the text of each page with its page number, via PDFium (pypdfium2).

PDFium is the engine Chrome uses: it reads damaged files as far as they can be read, knows
the predefined CJK character maps (so Chinese text comes out as Chinese), and reports a
password-protected file as such. Each page is one section; the document outline, when there
is one, gives each page the heading of the bookmark it falls under. Pages are read until the
document's character limit is reached (a file of a few kilobytes can repeat one page's
text thousands of times); each page read is reported.

A page whose text layer is (almost) empty but which holds an image is a scan: when the
reading has OCR (in the parser process, unless turned off) the page is rendered and
recognised instead (core/knowledge/ocr.py), and its number is kept in ``recognised``.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any, Final

from core.knowledge.errors import UnreadableDocument
from core.knowledge.ocr import OCR_DPI, OCR_LONG_SIDE, scant
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
                text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
                text = _CJK_WRAP.sub("", text)
                if reading.ocr is not None and scant(text) and _has_image(page):
                    text = reading.ocr.page(index + 1, partial(_render, page)).text
            finally:
                page.close()
            text = reading.take(text)
            if text.strip():
                sections.append(Section(text, page=index + 1, heading=heading))
            reading.read(index + 1, count, "page")
        parsed = ParsedDocument(kind="pdf", title=title, sections=sections, pages=count)
        if reading.ocr is not None:
            parsed.recognised = list(reading.ocr.recognised)
            parsed.unrecognised = list(reading.ocr.failed)
        return parsed
    finally:
        document.close()


def _has_image(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4):
        return True
    return False


def _render(page: Any) -> tuple[Any, float, float]:
    """The page as an image for OCR (at :data:`OCR_DPI`, its long side at most
    :data:`OCR_LONG_SIDE` pixels), the pixels per point, and the page's height in points."""
    width, height = page.get_size()
    scale = min(OCR_DPI / 72.0, OCR_LONG_SIDE / max(width, height, 1.0))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        image = bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()
    return image, scale, float(height)


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
