"""Where the person writes: Enter sends, Shift+Enter breaks the line, Esc stops the reply,
the up arrow in an empty box edits the last message, and files dropped on it are picked for
the next question (``picks_bar``: documents of the chat's knowledge) or offered to it. The
keys are the ones every chat app taught people."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.chat.picks_bar import PicksBar
from desktop.window.drops import local_files
from desktop.window.icons import themed_icon


class ComposerEdit(QPlainTextEdit):
    """The text box itself, with the keys of a chat app."""

    submitted = Signal()
    stop_requested = Signal()
    edit_last_requested = Signal()
    files_dropped = Signal(list)  # list[Path]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submitted.emit()
            return
        if key == Qt.Key.Key_Escape:
            self.stop_requested.emit()
            return
        if key == Qt.Key.Key_Up and not self.toPlainText():
            self.edit_last_requested.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(local_files(source)) or super().canInsertFromMimeData(source)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:  # type: ignore[override]
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = local_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.files_dropped.emit(files)
        else:
            super().dropEvent(event)


class Composer(QWidget):
    """The text box with Send / Stop, the line that says a message is being edited, and
    above them the documents picked for the next question (``picks_bar``)."""

    send_requested = Signal(str)
    edit_submitted = Signal(int, str)  # message id, new text
    stop_requested = Signal()
    edit_last_requested = Signal()
    files_dropped = Signal(list)
    generating_changed = Signal(bool)  # a reply began or ended being written

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing: int | None = None  # the message being edited, if any
        self.generating = False
        self.edit = ComposerEdit()
        self.edit.setPlaceholderText(
            self.tr("Message Fireside — Enter sends, Shift+Enter adds a line")
        )
        self.edit.setMaximumHeight(96)
        self.edit.setMinimumHeight(56)
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.edit.setAcceptDrops(True)
        self.edit.submitted.connect(self.submit)
        self.edit.stop_requested.connect(self.stop_requested)
        self.edit.edit_last_requested.connect(self.edit_last_requested)
        self.edit.files_dropped.connect(self.files_dropped)

        self.editing_label = QLabel(self.tr("Editing a message: sending makes a new version."))
        self.cancel_edit_button = QToolButton()
        self.cancel_edit_button.setText(self.tr("Cancel edit"))
        self.cancel_edit_button.clicked.connect(self.cancel_edit)
        edit_row = QHBoxLayout()
        edit_row.setContentsMargins(0, 0, 0, 0)
        edit_row.addWidget(self.editing_label, 1)
        edit_row.addWidget(self.cancel_edit_button)
        self.edit_bar = QWidget()
        self.edit_bar.setLayout(edit_row)
        self.edit_bar.hide()
        self.picks_bar = PicksBar()

        self.send_button = QPushButton(themed_icon("send"), self.tr("Send"))
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.submit)
        self.stop_button = QPushButton(themed_icon("stop"), self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the reply (Esc)"))
        self.stop_button.clicked.connect(self.stop_requested)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addLayout(buttons)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 4, 8, 8)
        column.addWidget(self.picks_bar)
        column.addWidget(self.edit_bar)
        column.addLayout(row)
        self.set_state(can_send=False, generating=False)

    def set_state(self, *, can_send: bool, generating: bool) -> None:
        self._can_send = can_send and not generating
        self.send_button.setEnabled(self._can_send)
        self.send_button.setVisible(not generating)
        self.stop_button.setVisible(generating)
        if generating != self.generating:
            self.generating = generating
            self.generating_changed.emit(generating)

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)

    def give_back(self, text: str, editing: int | None = None) -> None:
        """Put back what the person typed for a turn that could not be sent, before anything
        typed since; an edit goes back into edit mode."""
        typed_since = self.text().strip()
        if typed_since:
            text += "\n\n" + typed_since
        if editing is not None and not typed_since:
            self.begin_edit(editing, text)
        else:
            self.set_text(text)

    def submit(self) -> None:
        text = self.edit.toPlainText().strip()
        if not text or not self._can_send:
            return
        self.edit.clear()
        if self.editing is not None:
            message_id, self.editing = self.editing, None
            self.edit_bar.hide()
            self.edit_submitted.emit(message_id, text)
        else:
            self.send_requested.emit(text)

    def begin_edit(self, message_id: int, text: str) -> None:
        self.editing = message_id
        self.set_text(text)
        self.edit_bar.show()
        self.edit.setFocus()

    def cancel_edit(self) -> None:
        if self.editing is not None:
            self.editing = None
            self.edit.clear()
        self.edit_bar.hide()
