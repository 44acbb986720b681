"""Fireside's own document viewer: a citation opens at its passage, highlighted.

A person who clicks a source wants to see the sentence the answer came from, not hunt for it
in whatever program the system may (or may not) have for the file. A PDF is shown page by
page as PDFium renders it, at a zoom that fits the width, opened at the cited page and
scrolled to the passage, which lies under translucent rectangles over its characters (on a
scanned page, over the lines recognised there); an image is shown the same way, as a PDF
page made of it in memory; every
other format is shown as the text the reader made of it (what the chunk offsets point
into), scrolled to the passage with it highlighted. Where the passage is comes from
``core.knowledge.passages``; what may be opened at all from ``core.knowledge.cited`` (only
documents of the person's own knowledge base). "Open in the system viewer" stays.

Pages are rendered lazily, when they are first painted (a scroll area paints only what is
visible), again only when the width changes the zoom, and only the last few are kept. The
PDF is read in the window's process: it was read once already when it was added (in the
parser process), and a viewer that had to ship bitmaps between processes would be slow for
no gain on a file that read. Other documents are read again off the GUI thread, in a parser
process of the viewer's own (core/knowledge/parser_process.py, with its time and memory
limits): a large Word file takes seconds, and a file changed since it was added is new input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final, cast

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from core.i18n import Translator
from core.knowledge.chunking import document_text
from core.knowledge.cited import CitedSource
from core.knowledge.errors import UnreadableDocument
from core.knowledge.parser_process import ParserProcess
from core.knowledge.passages import Box, PdfPassage, Span, find_in_pdf, text_passage
from core.knowledge.readers import ReadLimits
from core.knowledge.readers.image import image_document
from desktop.window.messages import describe_error, plain_label
from desktop.window.workers import JobRunner, own_lane

HIGHLIGHT: Final = QColor(255, 200, 0, 96)  # translucent amber: the text stays readable
PAGE_GAP: Final = 12  # pixels between pages, and around them
MIN_ZOOM: Final = 0.2
MAX_ZOOM: Final = 4.0
KEPT_PAGES: Final = 8  # rendered pages kept; a long document scrolled through stays small
RELAYOUT_MS: Final = 120  # a resize is settled before the pages are rendered again
LEAD: Final = 48  # pixels kept above the passage when scrolled to it

UrlOpener = Callable[[QUrl], object]


class PdfPageView(QWidget):
    """One page: rendered when first painted at the current zoom, its highlights on top."""

    def __init__(self, pdf: PdfView, index: int, size: tuple[float, float]) -> None:
        super().__init__()
        self.pdf = pdf
        self.index = index  # 0-based
        self.points = size  # width, height in PDF points
        self.image: QImage | None = None
        self.boxes: tuple[Box, ...] = ()  # highlighted, in page coordinates
        self.highlights: list[QRectF] = []  # the same in this widget's pixels
        self.zoom = 1.0
        self.renders = 0  # how often the page was rendered (lazy rendering, tested)

    def set_zoom(self, zoom: float) -> None:
        self.zoom = zoom
        self.image = None
        self.setFixedSize(round(self.points[0] * zoom), round(self.points[1] * zoom))

    def set_boxes(self, boxes: tuple[Box, ...]) -> None:
        self.boxes = boxes
        self.image = None
        self.update()

    def render_now(self) -> None:
        """Render the page at the current zoom and map the highlight boxes onto it."""
        import pypdfium2.raw as pdfium_c

        page = self.pdf.document[self.index]
        try:
            bitmap = page.render(scale=self.zoom, force_bitmap_format=pdfium_c.FPDFBitmap_BGRx)
            image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride,
                           QImage.Format.Format_RGB32)  # fmt: skip
            self.image = image.copy()  # the bitmap's memory goes with the bitmap
            convert = bitmap.get_posconv(page)
            self.highlights = [_device_rect(convert, box) for box in self.boxes]
            bitmap.close()
        finally:
            page.close()
        self.renders += 1
        self.pdf.rendered(self)

    def forget(self) -> None:
        """Drop the rendered image (rendered again when next painted)."""
        self.image = None

    def highlight_rects(self) -> list[QRectF]:
        """The highlight rectangles in this widget's pixels (rendering first if needed)."""
        if self.image is None:
            self.render_now()
        return list(self.highlights)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.image is None:
            self.render_now()
        painter = QPainter(self)
        if self.image is not None:
            painter.drawImage(QPointF(0, 0), self.image)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(HIGHLIGHT)
        for rect in self.highlights:
            painter.drawRect(rect)
        painter.end()


def _device_rect(convert: Any, box: Box) -> QRectF:
    x0, y0 = convert.to_bitmap(box.left, box.top)
    x1, y1 = convert.to_bitmap(box.right, box.bottom)
    return QRectF(QPointF(min(x0, x1), min(y0, y1)), QPointF(max(x0, x1), max(y0, y1)))


class PdfView(QScrollArea):
    """A PDF's pages one under the other, fitted to the width."""

    page_changed = Signal(int)  # 1-based page at the top of the view

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Any = None
        self.pages: list[PdfPageView] = []
        self._kept: list[PdfPageView] = []  # pages holding an image, oldest first
        self.passage: PdfPassage | None = None
        self.setWidgetResizable(False)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.setBackgroundRole(self.palette().ColorRole.Dark)
        self._column = QWidget()
        self._layout = QVBoxLayout(self._column)
        self._layout.setContentsMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP)
        self._layout.setSpacing(PAGE_GAP)
        self.setWidget(self._column)
        self._relayout = QTimer(self, singleShot=True, interval=RELAYOUT_MS)
        self._relayout.timeout.connect(self.fit_width)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def open(self, document: Any) -> None:
        """Show ``document``, an open ``pypdfium2.PdfDocument`` (this view closes it)."""
        self.close_document()
        self.document = document
        for index in range(len(document)):
            width, height = document.get_page_size(index)
            page = PdfPageView(self, index, (float(width), float(height)))
            self.pages.append(page)
            self._layout.addWidget(page, 0, Qt.AlignmentFlag.AlignHCenter)
        self.fit_width()

    def close_document(self) -> None:
        for page in self.pages:
            self._layout.removeWidget(page)
            page.deleteLater()
        self.pages = []
        self._kept = []
        self.passage = None
        if self.document is not None:
            self.document.close()
            self.document = None

    def rendered(self, page: PdfPageView) -> None:
        """Keep the images of the pages rendered last; forget the oldest beyond
        :data:`KEPT_PAGES` (an A4 page at a fitted zoom is some 4 MB)."""
        if page in self._kept:
            self._kept.remove(page)
        self._kept.append(page)
        while len(self._kept) > KEPT_PAGES:
            self._kept.pop(0).forget()

    @property
    def zoom(self) -> float:
        return self.pages[0].zoom if self.pages else 1.0

    def fit_width(self) -> None:
        """Zoom so that the widest page fills the view's width; keep the place in view."""
        if not self.pages:
            return
        page, offset = self._place()
        widest = max(p.points[0] for p in self.pages)
        room = max(100, self.viewport().width() - 2 * PAGE_GAP)
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, room / widest))
        for view in self.pages:
            view.set_zoom(zoom)
        self._column.adjustSize()
        self.scroll_to(page, offset * zoom)

    def _place(self) -> tuple[int, float]:
        """The page at the top of the view and how far into it, in points."""
        index = self.current_page() - 1
        page = self.pages[index]
        return index, max(0.0, (self.verticalScrollBar().value() - page.y()) / page.zoom)

    def current_page(self) -> int:
        top = self.verticalScrollBar().value() + PAGE_GAP
        for view in self.pages:
            if view.y() + view.height() >= top:
                return view.index + 1
        return len(self.pages)

    def scroll_to(self, index: int, pixels: float = 0.0) -> None:
        """Scroll so that ``pixels`` below the top of page ``index`` (0-based) is at the top."""
        if 0 <= index < len(self.pages):
            self.verticalScrollBar().setValue(round(self.pages[index].y() + pixels))

    def show_passage(self, passage: PdfPassage | None, page: int | None) -> None:
        """Highlight ``passage`` and scroll to it; without one, open at ``page``."""
        for view in self.pages:
            if view.boxes:  # the last passage's page (others keep their images)
                view.set_boxes(())
        self.passage = passage
        if passage is not None and 1 <= passage.page <= len(self.pages):
            view = self.pages[passage.page - 1]
            view.set_boxes(passage.boxes)
            top = max((b.top for b in passage.boxes), default=view.points[1])
            self.scroll_to(view.index, max(0.0, (view.points[1] - top) * view.zoom - LEAD))
        elif page is not None:
            self.scroll_to(page - 1)
        self.page_changed.emit(self.current_page())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.pages and event.size().width() != event.oldSize().width():
            self._relayout.start()

    def _scrolled(self, _value: int) -> None:
        if self.pages:
            self.page_changed.emit(self.current_page())


class TextView(QPlainTextEdit):
    """A document as text, read-only, the passage highlighted and scrolled to."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.passage: tuple[int, int] | None = None  # in the document's positions (UTF-16)

    def show_text(self, text: str, span: Span | None) -> None:
        self.setPlainText(text)
        self.passage = None
        if span is None:
            self.setExtraSelections([])
            return
        start, end = _utf16(text, span.start), _utf16(text, span.end)
        self.passage = (start, end)
        mark = QTextEdit.ExtraSelection()
        mark.cursor = QTextCursor(self.document())
        mark.cursor.setPosition(start)
        mark.cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        highlight = QTextCharFormat()
        highlight.setBackground(HIGHLIGHT)
        mark.format = highlight
        self.setExtraSelections([mark])
        self.scroll_to_passage()

    def scroll_to_passage(self) -> None:
        """Put the passage's first line near the top of the view."""
        if self.passage is None:
            return
        cursor = self.textCursor()
        cursor.setPosition(self.passage[0])
        self.setTextCursor(cursor)
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())  # then back up, so the passage lands at the top
        self.ensureCursorVisible()
        bar.setValue(max(0, bar.value() - 2))


def _utf16(text: str, index: int) -> int:
    """A Python index into ``text`` as a Qt position (Qt counts UTF-16 units)."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


class DocumentViewer(QDialog):
    """The viewer window; :meth:`show_source` puts a citation in it."""

    loaded = Signal()  # the source is shown at its passage, or said to be unreadable

    def __init__(
        self,
        translate: Translator,
        url_opener: UrlOpener,
        limits: ReadLimits | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setModal(False)
        self.translate = translate
        self.url_opener = url_opener
        self.limits = limits
        self.source: CitedSource | None = None
        self.loaded_source: CitedSource | None = None  # shown, or said to be unreadable
        self._lane: JobRunner | None = None  # reads text documents, started when first needed
        self._parser: ParserProcess | None = None
        self.resize(820, 900)

        self.title = plain_label(wrap=False)
        self.title.setObjectName("viewerTitle")
        self.where = QLabel()
        self.note = plain_label()
        self.note.setObjectName("viewerNote")
        self.note.hide()
        self.system_button = QPushButton(self.tr("Open in the system viewer"))
        self.system_button.clicked.connect(self.open_in_system_viewer)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.where)
        header.addWidget(self.system_button)

        self.pdf_view = PdfView()
        self.pdf_view.page_changed.connect(self._page_shown)
        self.text_view = TextView()
        self.problem = QWidget()
        self.problem_text = plain_label()
        self.problem_path = QLineEdit()  # the path, to copy
        self.problem_path.setReadOnly(True)
        problem = QVBoxLayout(self.problem)
        problem.addWidget(self.problem_text)
        problem.addWidget(self.problem_path)
        problem.addStretch(1)
        self.stack = QStackedWidget()
        for widget in (self.pdf_view, self.text_view, self.problem):
            self.stack.addWidget(widget)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.note)
        layout.addWidget(self.stack, 1)

    # ---- showing a source --------------------------------------------------------------

    def show_source(self, source: CitedSource) -> None:
        self.source = source
        self.setWindowTitle(self.tr("%1 — Fireside").replace("%1", source.path.name))
        self.title.setText(source.path.name)
        self.title.setToolTip(str(source.path))
        self.note.hide()
        self.where.clear()
        self.pdf_view.close_document()
        if source.kind in ("pdf", "image"):
            self._show_pdf(source)
        else:
            self._show_text(source)

    def _show_pdf(self, source: CitedSource) -> None:
        import pypdfium2 as pdfium

        try:
            if source.kind == "image":  # shown as a PDF page made of the image
                pixels = (self.limits or ReadLimits()).max_image_pixels
                document = image_document(source.path, pixels)
            else:
                document = pdfium.PdfDocument(source.path)
        except UnreadableDocument as exc:
            self._cannot_show(describe_error(exc, self.translate))
            return
        except (pdfium.PdfiumError, OSError) as exc:
            self._cannot_show(str(exc) or type(exc).__name__)
            return
        try:
            passage = find_in_pdf(document, source.page, source.passage, source.hint,
                                  source.recognised)  # fmt: skip
        except pdfium.PdfiumError:
            passage = None
        self.stack.setCurrentWidget(self.pdf_view)
        self.pdf_view.open(document)
        self._say_found(passage is not None, passage is None or passage.exact, pdf=True)
        QTimer.singleShot(0, self, lambda: self._scroll_pdf(passage, source.page))
        self.pdf_view.show_passage(passage, source.page)

    def _scroll_pdf(self, passage: PdfPassage | None, page: int | None) -> None:
        """Scroll again once the window is laid out (its width sets the zoom)."""
        if self.pdf_view.document is not None and self.pdf_view.passage is passage:
            self.pdf_view.fit_width()
            self.pdf_view.show_passage(passage, page)
            self._loaded()

    def _show_text(self, source: CitedSource) -> None:
        """Read the document again off the GUI thread, in a parser process of the viewer's
        own (as ingestion does: a file changed since it was added is a stranger's file)."""
        self.stack.setCurrentWidget(self.text_view)
        self.text_view.show_text("", None)
        self.where.setText(self.tr("Opening…"))
        if self._lane is None or self._parser is None:
            self._lane = own_lane(self, "viewer")
            self._parser = ParserProcess()
        parser, limits = self._parser, self.limits or ReadLimits()

        def read() -> Iterator[object]:  # on the viewer's lane
            try:
                yield source, document_text(parser.parse(source.path, limits).document)
            except Exception as exc:  # the reader's UnreadableDocument, a kill at closing
                yield source, exc

        self._lane.run(read).item.connect(self._text_read)

    def _text_read(self, value: object) -> None:
        source, text = cast(tuple[CitedSource, object], value)  # text, or what failed
        if source is not self.source:  # another citation was opened meanwhile
            return
        self.where.clear()
        if not isinstance(text, str):
            self._cannot_show(describe_error(text, self.translate))
            return
        found = text_passage(text, source.passage, source.char_start, source.char_end)
        self.text_view.show_text(text, found.span)
        self._say_found(found.span is not None, found.span is None or found.span.exact, pdf=False)
        self._loaded()

    def _loaded(self) -> None:
        self.loaded_source = self.source
        self.loaded.emit()

    def _say_found(self, found: bool, exact: bool, *, pdf: bool) -> None:
        if not found and pdf:
            self.note.setText(
                self.tr("The cited passage is not in this file any more (it changed since it "
                        "was added); it opens at the cited page.")
            )  # fmt: skip
        elif not found:
            self.note.setText(
                self.tr("The cited passage is not in this file any more (it changed since it "
                        "was added).")
            )  # fmt: skip
        elif not exact:
            self.note.setText(
                self.tr("The file changed since it was added; the closest passage is "
                        "highlighted.")
            )  # fmt: skip
        self.note.setVisible(not found or not exact)

    def _cannot_show(self, reason: str) -> None:
        self.problem_text.setText(
            self.tr("Fireside cannot show this file (%1). Its path, to open it elsewhere:")
            .replace("%1", reason)
        )  # fmt: skip
        self.problem_path.setText(str(self.source.path if self.source else ""))
        self.stack.setCurrentWidget(self.problem)
        self._loaded()

    def _page_shown(self, page: int) -> None:
        self.where.setText(
            self.tr("Page %1 of %2")
            .replace("%1", str(page))
            .replace("%2", str(len(self.pdf_view.pages)))
        )

    # ---- the rest ----------------------------------------------------------------------

    def open_in_system_viewer(self) -> None:
        """The file in the system's own viewer (at the cited page, for a PDF)."""
        if self.source is None:
            return
        url = QUrl.fromLocalFile(str(self.source.path))
        if self.source.page is not None and self.source.kind == "pdf":
            url.setFragment(f"page={self.source.page}")
        self.url_opener(url)

    def done(self, result: int) -> None:
        self.pdf_view.close_document()
        if self._parser is not None:
            self._parser.kill()  # a parse in progress ends now, and then the lane's thread
            self._parser.close()
            self._parser = None
        if self._lane is not None:
            self._lane.shutdown()
            self._lane = None
        super().done(result)
