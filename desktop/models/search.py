"""The model manager's Search the Hub page: GGUF repositories found by name, then a chosen
repository's files with their sizes and memory fit.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.i18n import Translator
from core.models.hub import RepoSummary
from desktop.models.downloads import DownloadBoard
from desktop.models.file_table import FileTable, file_rows
from desktop.models.hub_lookups import RepoDetails, RepoLookups, is_offline
from desktop.window.messages import describe_error, plain_label
from desktop.window.workers import Job

_REPO: Final = Qt.ItemDataRole.UserRole


class SearchPage(QWidget):
    """Search the Hub for GGUF repositories; pick one to see its files by quantization."""

    download_requested = Signal(str, str)
    results_shown = Signal(int)  # how many repositories the last search found

    def __init__(
        self,
        translate: Translator,
        lookups: RepoLookups,
        board: DownloadBoard,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.translate = translate
        self.lookups = lookups
        self.board = board
        self.repo: str | None = None
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(self.tr("Search GGUF models, e.g. qwen 7b"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.returnPressed.connect(self.search)
        self.search_button = QPushButton(self.tr("Search"))
        self.search_button.clicked.connect(self.search)
        self.search_status = plain_label()
        self.results = QListWidget()
        self.results.currentItemChanged.connect(self._picked)
        self.repo_label = plain_label()
        self.status_label = plain_label()
        self.file_table = FileTable()
        self.file_table.download_requested.connect(self.download_requested)
        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.search_button)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(self.results, 1)
        left_column.addWidget(self.search_status)
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(self.repo_label)
        right_column.addWidget(self.file_table, 1)
        right_column.addWidget(self.status_label)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 500])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        lookups.looked_up.connect(self._details_arrived)
        lookups.lookup_failed.connect(self._lookup_failed)
        board.task_changed.connect(self._task_changed)
        board.task_added.connect(self._task_changed)
        self._search_job: Job | None = None

    @Slot()
    def search(self) -> Job | None:
        text = self.search_box.text().strip()
        if not text:
            return None
        if self._search_job is not None and not self._search_job.finished:
            self._search_job.cancel()  # a search not started yet need not run
        self.search_status.setText(self.tr("Searching…"))
        self.search_button.setEnabled(False)
        job = self.lookups.search(text)
        job.item.connect(self._results_arrived)
        job.failed.connect(self._search_failed)
        job.ended.connect(self._search_ended)
        self._search_job = job
        return job

    @Slot(object)
    def _results_arrived(self, hits: object) -> None:
        if self.sender() is not self._search_job or not isinstance(hits, list):
            return
        self.results.clear()
        self.file_table.clear_files()
        self.repo_label.clear()
        self.status_label.clear()
        self.repo = None
        for hit in hits:
            assert isinstance(hit, RepoSummary)
            facts = (
                self.tr("%1 downloads · %2 likes")
                .replace("%1", f"{hit.downloads:,}")
                .replace("%2", f"{hit.likes:,}")
            )
            if hit.gated:
                facts += " · " + self.tr("needs an access token")
            item = QListWidgetItem(f"{hit.repo}\n{facts}")
            item.setData(_REPO, hit.repo)
            self.results.addItem(item)
        if hits:
            self.search_status.setText(self.tr("Models found: %1").replace("%1", str(len(hits))))
        else:
            self.search_status.setText(
                self.tr("No GGUF models found for “%1”").replace("%1", self.search_box.text())
            )
        self.results_shown.emit(len(hits))

    @Slot(object)
    def _search_failed(self, error: object) -> None:
        if self.sender() is self._search_job:
            self.search_status.setText(describe_error(error, self.translate))

    @Slot(object)
    def _search_ended(self, job: object) -> None:
        if job is self._search_job:
            self.search_button.setEnabled(True)

    def result_repos(self) -> list[str]:
        return [str(self.results.item(i).data(_REPO)) for i in range(self.results.count())]

    def select(self, repo: str) -> None:
        for row in range(self.results.count()):
            if self.results.item(row).data(_REPO) == repo:
                self.results.setCurrentRow(row)
                return
        raise KeyError(repo)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _picked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is None:
            return
        repo = str(item.data(_REPO))
        self.repo = repo
        self.repo_label.setText(repo)
        cached = self.lookups.cached(repo)
        if cached is not None:
            self._show(cached)
            return
        self.file_table.clear_files()
        self.status_label.setText(self.tr("Listing files and checking memory fit…"))
        self.lookups.request(repo)

    def _show(self, details: RepoDetails) -> None:
        self.file_table.show_files(details.repo, file_rows(details), self.board)
        if details.fit_error is not None:
            self.status_label.setText(describe_error(details.fit_error, self.translate))
        elif not details.files:
            self.status_label.setText(self.tr("This repository has no GGUF model files."))
        elif details.embedding:
            self.status_label.setText(self.tr("An embedding model: it searches your documents."))
        else:
            self.status_label.clear()

    @Slot(object)
    def _details_arrived(self, details: object) -> None:
        if not isinstance(details, RepoDetails) or self.repo is None:
            return
        if details.repo.lower() == self.repo.lower() and details.only is None:
            self._show(details)

    @Slot(str, object)
    def _lookup_failed(self, repo: str, error: object) -> None:
        if self.repo is not None and repo == self.repo.lower():
            why = describe_error(error, self.translate)
            self.status_label.setText(why)
            self.file_table.lookup_failed(is_offline(error), why)

    @Slot(object)
    def _task_changed(self, _task: object) -> None:
        self.file_table.update_buttons(self.board)
