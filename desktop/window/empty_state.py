"""What a part of the window shows while it has nothing in it: an icon, one line that says
what to do next, and the button that does it.

An empty list or a blank area tells a new person nothing; this says the next step where
they are looking. The frame has a dashed edge so that it reads as a place to drop things
(the widget around it takes the drops). Its colours come from the palette, and its icon is
drawn again when the theme changes.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from desktop.window.icons import themed_icon

ICON_SIDE = 32  # pixels

_STYLE = """
QFrame#emptyState {
    border: 1px dashed palette(mid);
    border-radius: 8px;
    background: transparent;
}
QFrame#emptyState QLabel#emptyLine {
    color: palette(placeholder-text);
}
"""


class EmptyState(QFrame):
    """An icon, a line and (optionally) a button, centred in a dashed frame."""

    def __init__(self, icon: str, line: str, button_text: str | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.setStyleSheet(_STYLE)
        self._icon = icon
        self.icon_label = QLabel()
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.line = QLabel(line)
        self.line.setObjectName("emptyLine")
        self.line.setWordWrap(True)
        self.line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.line.setTextFormat(Qt.TextFormat.PlainText)
        self.button: QPushButton | None = None
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 20, 16, 20)
        column.setSpacing(10)
        column.addStretch(1)
        column.addWidget(self.icon_label)
        column.addWidget(self.line)
        if button_text is not None:
            self.button = QPushButton(themed_icon(icon), button_text)
            column.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self._draw_icon()

    def _draw_icon(self) -> None:
        self.icon_label.setPixmap(themed_icon(self._icon).pixmap(QSize(ICON_SIDE, ICON_SIDE)))

    def changeEvent(self, event: QEvent) -> None:
        """A theme change: the icon (a picture once drawn) takes the new text colour."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._draw_icon()


class EmptyChatText(QObject):
    """What an empty chat says in place of messages: a heading and the next step, as rich
    text for the chat view's placeholder (our own words only, escaped all the same)."""

    def text(self, *, loaded: bool, loading: bool) -> str:
        if loaded:
            heading = self.tr("No messages yet")
            step = self.tr("Type a question below and press Enter. Your words stay on this "
                           "computer; drop documents on the right to ask about them.")  # fmt: skip
        elif loading:
            heading = self.tr("The model is loading")
            step = self.tr("You can ask as soon as it is ready; this takes a few seconds.")
        else:
            heading = self.tr("No model loaded")
            step = self.tr("Choose one in Models → Model manager… (Ctrl+M), or import a GGUF "
                           "file you already have.")  # fmt: skip
        return (f"<p style='font-size:20px; font-weight:600'>{escape(heading)}</p>"
                f"<p>{escape(step)}</p>")  # fmt: skip
