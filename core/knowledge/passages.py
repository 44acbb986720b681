"""Where a cited passage lies in its document, so a citation opens at it, highlighted.

The store keeps each chunk's text, page and offsets into the document's text as the reader
made it (:func:`core.knowledge.chunking.document_text`), not the document itself. Opening a
citation reads the file again and finds the passage there:

* **Text, Markdown, Word, HTML, EPUB**: the reader gives the same text again, so the
  offsets point straight at the passage; they are checked against the chunk's text, and when
  the file changed since it was indexed the passage is searched for instead.
* **PDF**: the reader took PDFium's page text and changed it (line ends normalised, NULs
  dropped, line breaks between Chinese characters joined), and its offsets count the whole
  document, so they do not index PDFium's list of characters. The passage is found in the
  cited page's own text by its characters with all whitespace ignored, which is immune to
  those changes; the occurrence nearest to where the offsets put it wins when the text
  repeats. The matched characters' boxes (loose boxes, from the font's ascent and descent:
  the tight ones of a CID font without glyph outlines, such as STSong-Light, are lines of
  zero height) are joined into one rectangle per line, in page coordinates (points, origin
  bottom-left), which the viewer maps onto the rendered page.

* **Recognised pages** (scans and images read through OCR, core/knowledge/ocr.py): the
  passage is found in the page's recognised text (its lines joined as the reader joined
  them) and each line it touches gives its box, cut to the part the passage covers (by the
  characters' widths: a Chinese character counts two Latin ones). The boxes were stored
  in page points when the page was recognised, so the viewer maps them as any other.

A passage that is no longer in the file at all (the file was edited) is found approximately
when most of its characters are still there in order (``exact`` is then False), and not at
all otherwise; the viewer then opens at the page and says so.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, Final, Protocol

from core.knowledge.chunking import document_text
from core.knowledge.ocr import OcrPage, page_text
from core.knowledge.readers import ReadLimits, parse

ELLIPSIS: Final = "…"
_MAX_OCCURRENCES: Final = 1000
_MIN_BLOCK: Final = 4  # matching runs shorter than this are chance
_APPROXIMATE_SHARE: Final = 0.6  # of the passage's characters, in order, for an approximate find
_MAX_FUZZY_CHARS: Final = 200_000  # approximate search only in a haystack this long


class Placed(Protocol):
    """A chunk's place in its document (a stored chunk, or one just cut)."""

    @property
    def page(self) -> int | None: ...
    @property
    def char_start(self) -> int: ...


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF page coordinates: points, origin at the bottom left."""

    left: float
    bottom: float
    right: float
    top: float

    def union(self, other: Box) -> Box:
        return Box(min(self.left, other.left), min(self.bottom, other.bottom),
                   max(self.right, other.right), max(self.top, other.top))  # fmt: skip

    def contains(self, other: Box, slack: float = 0.5) -> bool:
        across = self.left - slack <= other.left and other.right <= self.right + slack
        up = self.bottom - slack <= other.bottom and other.top <= self.top + slack
        return across and up

    @property
    def middle(self) -> float:
        return (self.bottom + self.top) / 2


@dataclass(frozen=True)
class Span:
    """Where a passage was found in a text: ``text[start:end]``; ``exact`` when every
    character of it was found (whitespace aside), False for an approximate find."""

    start: int
    end: int
    exact: bool


@dataclass(frozen=True)
class PdfPassage:
    """A passage on a PDF page: one box per line, and the PDFium characters it covers."""

    page: int  # 1-based
    boxes: tuple[Box, ...]
    chars: tuple[int, int]  # PDFium character indices on the page, end exclusive
    exact: bool


@dataclass(frozen=True)
class TextPassage:
    """A passage in a document shown as text: the text and where the passage lies in it."""

    text: str
    span: Span | None  # None when the passage is not in the file any more


def find_span(haystack: str, needle: str, hint: int | None = None) -> Span | None:
    """Where ``needle`` lies in ``haystack``: as it is, else with whitespace ignored, else
    approximately. With several occurrences, the one starting nearest ``hint`` wins.

    A snippet's leading and trailing "…" are not part of the text and are left out."""
    needle = needle.strip().strip(ELLIPSIS).strip()
    if not needle:
        return None
    starts = _occurrences(haystack, needle)
    if starts:
        start = _nearest(starts, hint)
        return Span(start, start + len(needle), True)
    packed, where = _without_space(haystack)
    packed_needle, _ = _without_space(needle)
    if not packed_needle:
        return None
    starts = _occurrences(packed, packed_needle)
    if starts:
        start = _nearest(starts, hint, where)
        return Span(where[start], where[start + len(packed_needle) - 1] + 1, True)
    return _approximate(packed, where, packed_needle)


def _occurrences(haystack: str, needle: str) -> list[int]:
    found: list[int] = []
    at = haystack.find(needle)
    while at >= 0 and len(found) < _MAX_OCCURRENCES:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def _nearest(starts: list[int], hint: int | None, where: list[int] | None = None) -> int:
    if hint is None:
        return starts[0]
    return min(starts, key=lambda s: abs((where[s] if where is not None else s) - hint))


def _without_space(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace and NULs, with the index in ``text`` of each character."""
    kept = [(i, ch) for i, ch in enumerate(text) if not ch.isspace() and ch != "\x00"]
    return "".join(ch for _, ch in kept), [i for i, _ in kept]


def _approximate(packed: str, where: list[int], needle: str) -> Span | None:
    """The stretch holding most of ``needle``'s characters in order, or None."""
    if not packed or len(packed) > _MAX_FUZZY_CHARS:
        return None
    matcher = SequenceMatcher(None, packed, needle, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= _MIN_BLOCK]
    matched = sum(b.size for b in blocks)
    if not blocks or matched < _APPROXIMATE_SHARE * len(needle):
        return None
    first, last = blocks[0].a, blocks[-1].a + blocks[-1].size
    if last - first > 2 * len(needle):  # scattered pieces, not the passage
        return None
    return Span(where[first], where[last - 1] + 1, False)


# ---- PDF ---------------------------------------------------------------------------------


def page_hint(chunk: Placed, chunks: Sequence[Placed]) -> int | None:
    """Roughly where ``chunk`` starts in its page's text, from the chunks of its document:
    its offset from the first chunk of the same page (which starts at the page's first
    word)."""
    same = [c.char_start for c in chunks if c.page == chunk.page]
    return chunk.char_start - min(same) if same else None


def pdf_passage(document: Any, page: int, text: str, hint: int | None = None) -> PdfPassage | None:
    """``text`` on page ``page`` (1-based) of an open ``pypdfium2.PdfDocument``, or None."""
    if not 1 <= page <= len(document):
        return None
    pdf_page = document[page - 1]
    try:
        textpage = pdf_page.get_textpage()
        try:
            raw = textpage.get_text_range()
            span = find_span(raw, text, hint)
            if span is None:
                return None
            first = _char_index(textpage, raw, span.start)
            last = _char_index(textpage, raw, span.end - 1)
            if first < 0 or last < first:
                return None
            boxes = line_boxes(textpage, first, last + 1)
            return PdfPassage(page, boxes, (first, last + 1), span.exact)
        finally:
            textpage.close()
    finally:
        pdf_page.close()


def find_in_pdf(document: Any, page: int | None, text: str, hint: int | None = None,
                recognised: Sequence[OcrPage] = ()) -> PdfPassage | None:  # fmt: skip
    """The passage on its cited page, else on the pages next to it (a page inserted or
    removed since indexing), else on any page when no page was cited. A page in
    ``recognised`` (read through OCR) is searched in its recognised lines."""
    count = len(document)
    by_page = {p.page: p for p in recognised if p.error is None}
    if page is None:
        pages: list[int] = list(range(1, count + 1))
    else:
        pages = [p for p in (page, page - 1, page + 1) if 1 <= p <= count]
    for number in pages:
        near = hint if number == page else None
        ocr = by_page.get(number)
        found = ocr_passage(ocr, text, near) if ocr is not None else \
            pdf_passage(document, number, text, near)  # fmt: skip
        if found is not None:
            return found
    return None


def ocr_passage(page: OcrPage, text: str, hint: int | None = None) -> PdfPassage | None:
    """``text`` in a recognised page's lines: one box per line it touches, cut to the part
    it covers. ``chars`` are then offsets into the page's recognised text."""
    whole, starts = page_text(page.lines)
    span = find_span(whole, text, hint)
    if span is None:
        return None
    boxes: list[Box] = []
    for line, start in zip(page.lines, starts, strict=True):
        end = start + len(line.text)
        first, last = max(start, span.start), min(end, span.end)
        if first >= last:
            continue
        left, bottom, right, top = line.box
        widths = [_width(ch) for ch in line.text]
        total = sum(widths) or 1.0
        before = sum(widths[: first - start]) / total
        upto = sum(widths[: last - start]) / total
        span_width = right - left
        boxes.append(Box(left + span_width * before, bottom, left + span_width * upto, top))
    return PdfPassage(page.page, tuple(boxes), (span.start, span.end), span.exact)


def _width(ch: str) -> float:
    """A character's width in a recognised line, roughly: CJK and full-width ones count
    two, a space less than a letter."""
    if ch.isspace():
        return 0.6
    return 2.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 1.0


def _char_index(textpage: Any, raw: str, index: int) -> int:
    """PDFium's character index for ``raw[index]``; PDFium counts text in UTF-16 units."""
    import pypdfium2.raw as pdfium_c

    units = index + sum(1 for ch in raw[:index] if ord(ch) > 0xFFFF)
    return int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, units))


def char_box(textpage: Any, index: int) -> Box | None:
    """The loose box of one character (font ascent to descent), None for a generated or
    blank one."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    code = int(pdfium_c.FPDFText_GetUnicode(textpage, index))
    if code == 0 or chr(code).isspace():
        return None
    try:
        left, bottom, right, top = textpage.get_charbox(index, loose=True)
    except pdfium.PdfiumError:
        return None
    if right <= left or top <= bottom:
        return None
    return Box(float(left), float(bottom), float(right), float(top))


def line_boxes(textpage: Any, start: int, end: int) -> tuple[Box, ...]:
    """The boxes of characters ``start:end`` joined into one rectangle per line: a
    character starts a new line when it is not level with the line (its middle outside
    the line's height) or lies back left of where the line got to."""
    lines: list[Box] = []
    for index in range(start, end):
        box = char_box(textpage, index)
        if box is None:
            continue
        if lines:
            line = lines[-1]
            level = line.bottom <= box.middle <= line.top
            if level and box.left >= line.left - 1.0:
                lines[-1] = line.union(box)
                continue
        lines.append(box)
    return tuple(lines)


# ---- documents shown as text ---------------------------------------------------------------


def displayed_text(path: Path, limits: ReadLimits | None = None) -> str:
    """The text of a non-PDF document as the reader makes it: what chunk offsets point
    into. Raises :class:`UnreadableDocument` like ingestion does."""
    return document_text(parse(path, path.read_bytes(), limits))


def text_passage(text: str, passage: str, start: int | None = None,
                 end: int | None = None) -> TextPassage:  # fmt: skip
    """``passage`` in ``text``: at ``start:end`` when the text there is the passage (the
    file is as it was indexed), else searched for near ``start``."""
    if start is not None and end is not None and 0 <= start < end <= len(text):
        return _at_offsets(text, passage, start, end)
    return TextPassage(text, find_span(text, passage, start))


def _at_offsets(text: str, passage: str, start: int, end: int) -> TextPassage:
    if text[start:end].strip() == passage.strip():
        return TextPassage(text, Span(start, end, True))
    return TextPassage(text, find_span(text, passage, start))
