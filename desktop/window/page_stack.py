"""A stack of pages that is only as wide as the page it shows.

Qt's QStackedWidget asks for the largest minimum of all its pages, shown or not: the welcome
page (hidden once a model is installed) kept the window from going narrower than 821 px, so
at 800 px the chat could not fit. Here the minimum is the current page's, asked for again
whenever the page changes.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QStackedWidget, QWidget


class PageStack(QStackedWidget):
    """QStackedWidget whose minimum size follows the current page only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _index: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()
