"""A one-line label that shortens its text with "…" in the middle instead of widening the
window, and shows the whole text as its tooltip.

Why the middle: the parts that tell names apart are at both ends (a file's start and its
extension, a model's family and its quantization), so ``report-2024…final.pdf`` says more
than ``report-2024-q3-dra…``.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """Plain text on one line, elided to fit; its minimum width is a few characters."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle) -> None:  # fmt: skip
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        super().setText(text)
        self.setToolTip(text if text else "")

    def full_text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """What fits now: the text, or its elided form."""
        return self.fontMetrics().elidedText(
            self._full, self._mode, max(self.contentsRect().width(), 0)
        )

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(
            min(hint.width(), self.fontMetrics().horizontalAdvance("M…M") + 4), hint.height()
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        rect = self.contentsRect()
        painter.drawText(
            rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), self.shown_text()
        )
