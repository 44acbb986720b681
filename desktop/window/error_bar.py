"""The error bar: a problem said in one line above the composer (and over the welcome page),
with what can be done about it (*Restart engine* after a crash, *Dismiss*)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class ErrorBar(QFrame):
    """A problem said in one line above the composer, with what can be done about it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBar")
        # Light red with dark text: readable on light and dark themes alike.
        self.setStyleSheet(
            "QFrame#errorBar { background: #fdecea; border-bottom: 1px solid #f1b0ab; }"
            " QFrame#errorBar QLabel { color: #5f1410; }"
        )
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # file and model names: text only
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.restart_button = QPushButton(self.tr("Restart engine"))
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.dismiss_button.setFlat(True)
        self.dismiss_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.restart_button)
        row.addWidget(self.dismiss_button)
        self.hide()

    def show_message(self, text: str, restart: bool = False) -> None:
        self.label.setText(text)
        self.restart_button.setVisible(restart)
        self.show()
