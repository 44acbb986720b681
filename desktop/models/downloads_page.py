"""The model manager's Downloads page: every download of the downloads lane (the board's),
one row each, with an empty state.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.i18n import Translator
from desktop.models.download_view import DownloadProgressView
from desktop.models.downloads import DownloadBoard, DownloadTask
from desktop.window.messages import plain_label


class DownloadRow(QFrame):
    """One download in the Downloads list: what it is, then its progress view."""

    def __init__(
        self, task: DownloadTask, translate: Translator, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.task = task
        self.title_label = plain_label(task.title)
        font = QFont(self.title_label.font())
        font.setBold(True)
        self.title_label.setFont(font)
        self.view = DownloadProgressView(translate)
        self.view.bind(task)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.view)


class DownloadsPage(QWidget):
    """Every download of the lane, newest last, each with its own buttons."""

    count_changed = Signal(int)  # downloads running or waiting

    def __init__(
        self, board: DownloadBoard, translate: Translator, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.board = board
        self.translate = translate
        self.rows: dict[DownloadTask, DownloadRow] = {}
        self.empty_label = QLabel(
            self.tr("No downloads. Pick a model under Recommended or Search the Hub.")
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        inner = QWidget()
        self.column = QVBoxLayout(inner)
        self.column.addWidget(self.empty_label)
        self.column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        board.task_added.connect(self._add)
        board.task_removed.connect(self._remove)
        board.task_changed.connect(self._changed)
        for task in board.tasks:
            self._add(task)

    def row_for(self, repo: str, filename: str) -> DownloadRow | None:
        task = self.board.find(repo, filename)
        return self.rows.get(task) if task is not None else None

    @Slot(object)
    def _add(self, task: object) -> None:
        if not isinstance(task, DownloadTask) or task in self.rows:
            return
        row = DownloadRow(task, self.translate)
        self.rows[task] = row
        self.column.insertWidget(self.column.count() - 1, row)
        self._changed(task)

    @Slot(object)
    def _remove(self, task: object) -> None:
        row = self.rows.pop(task, None)  # type: ignore[call-overload]
        if row is not None:
            row.view.bind(None)
            row.setParent(None)
            row.deleteLater()
        self._changed(task)

    @Slot(object)
    def _changed(self, _task: object) -> None:
        self.empty_label.setVisible(not self.rows)
        self.count_changed.emit(self.board.active_count)
