"""An unexpected error, shown once and survived.

``core.diagnostics.Diagnostics`` catches what nothing else catches (an exception in a slot or
a worker thread) and logs it; this turns its callback into one dialog on the GUI thread,
with the summary and a *Copy details* button (versions, llama.cpp build, the traceback and
the log's last lines) for a bug report. The app keeps running. Later errors of the same
session go to the log and the window's error line, not into a stack of dialogs.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ErrorReporter(QObject):
    """Thread-safe: ``report`` may be called from any thread; the dialog opens on the GUI
    thread (a queued signal)."""

    reported = Signal(str, str)
    shown_again = Signal(str)  # later errors: one line for the window's error bar

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog: ErrorDialog | None = None
        self.count = 0
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def report(self, summary: str, details: str) -> None:
        self.reported.emit(summary, details)

    def _show(self, summary: str, details: str) -> None:
        self.count += 1
        if self.count > 1:
            self.shown_again.emit(summary)
            return
        parent = self.parent()
        self.dialog = ErrorDialog(summary, details, parent if isinstance(parent, QWidget) else None)
        self.dialog.show()


class ErrorDialog(QDialog):
    """The summary, the details in a box to read, *Copy details* (stays open) and *Close*."""

    def __init__(self, summary: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.details = details
        self.setWindowTitle(self.tr("Fireside: unexpected error"))
        layout = QVBoxLayout(self)
        text = QLabel(
            self.tr("Something went wrong, and Fireside kept going. Nothing you saved is lost.")
            + "\n\n" + summary
        )  # fmt: skip
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        layout.addWidget(text)
        self.details_box = QPlainTextEdit(details)
        self.details_box.setReadOnly(True)
        self.details_box.setMinimumHeight(160)
        layout.addWidget(self.details_box)
        buttons = QDialogButtonBox()
        self.copy_button = QPushButton(self.tr("Copy details"))
        self.copy_button.clicked.connect(self.copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.close)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.details)
