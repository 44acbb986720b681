"""How one download looks wherever it is shown (the welcome, the model manager's Downloads
page): name, progress bar, figures, and Pause / Resume / Cancel / Retry.

It only reads a :class:`DownloadTask` and calls its buttons; the task and the board that
keeps every task are in ``desktop.models.downloads`` and have no widget.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.i18n import Translator
from core.models.units import human_duration, human_rate, human_size
from desktop.models.downloads import DownloadTask
from desktop.window.messages import describe_error, plain_label


class DownloadProgressView(QWidget):
    """A download as a person follows it: a bar, bytes, speed and time left, the buttons, and
    what went wrong on a line of its own."""

    def __init__(self, translate: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.translate = translate
        self.task: DownloadTask | None = None
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.status_label = plain_label(wrap=False)
        self.error_label = plain_label()
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.hide()
        self.pause_button = QPushButton(self.tr("Pause"))
        self.resume_button = QPushButton(self.tr("Resume"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)
        self._redraw()

    def bind(self, task: DownloadTask | None) -> None:
        if self.task is not None and shiboken6.isValid(self.task):
            self.task.changed.disconnect(self._redraw)
        self.task = task
        if task is not None:
            task.changed.connect(self._redraw)
        self._redraw()

    @Slot()
    def pause(self) -> None:
        if self.task is not None:
            self.task.pause()

    @Slot()
    def resume(self) -> None:
        if self.task is not None:
            self.task.start()

    @Slot()
    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    @Slot()
    def _redraw(self) -> None:
        task = self.task
        if task is None or not shiboken6.isValid(task):
            self.status_label.clear()
            self.bar.setValue(0)
            for button in (self.pause_button, self.resume_button, self.cancel_button):
                button.setVisible(False)
            self.error_label.hide()
            return
        state = task.state
        self.pause_button.setVisible(task.active)
        self.resume_button.setVisible(state in ("paused", "failed", "new"))
        self.resume_button.setText(self.tr("Retry") if state == "failed" else self.tr("Resume"))
        self.cancel_button.setVisible(state not in ("done", "cancelled"))
        done, total = self._figures(task)
        self.bar.setValue(int(1000 * done / total) if total else 0)
        if state == "done":
            self.bar.setValue(1000)
        self.status_label.setText(self._status(task, done, total))
        if state == "failed" and task.error is not None:
            self.error_label.setText(describe_error(task.error, self.translate))
            self.error_label.show()
        else:
            self.error_label.hide()

    @staticmethod
    def _figures(task: DownloadTask) -> tuple[int, int | None]:
        if task.progress is not None and task.active:
            return task.progress.done, task.progress.total
        if task.state == "done" and task.model is not None:
            return task.model.size, task.model.size
        return task.bytes_on_disk(), task.total

    def _status(self, task: DownloadTask, done: int, total: int | None) -> str:
        state, progress = task.state, task.progress
        of_total = (
            self.tr("%1 of %2").replace("%1", human_size(done)).replace("%2", human_size(total))
            if total
            else human_size(done)
        )
        if state == "queued":
            return self.tr("Waiting to start…")
        if state == "running":
            resumed = human_size(task.resumed_from)
            if progress is None or progress.phase == "starting":
                if task.resumed_from:
                    return self.tr("Resuming from %1…").replace("%1", resumed)
                return self.tr("Connecting…")
            if progress.phase == "retrying":
                return self.tr("Connection lost, retrying…")
            if progress.phase in ("verifying", "done"):
                return self.tr("Verifying…")
            rate = human_rate(progress.rate_bps) if progress.rate_bps > 0 else "–"
            text = (
                self.tr("%1 · %2 · %3 left")
                .replace("%1", of_total)
                .replace("%2", rate)
                .replace("%3", human_duration(progress.eta_s))
            )
            if task.resumed_from:
                text += " · " + self.tr("resumed from %1").replace("%1", resumed)
            return text
        if state in ("paused", "new"):
            return self.tr("Paused at %1").replace("%1", of_total) if done else self.tr("Paused")
        if state == "failed":
            return self.tr("Stopped at %1").replace("%1", of_total) if done else self.tr("Stopped")
        if state == "done":
            name = task.model.id if task.model is not None else task.filename
            return self.tr("Installed as %1").replace("%1", name)
        return self.tr("Cancelled")
