"""The model manager (Models → Model manager…): recommended models, Hub search, downloads and
installed models.

Everything that touches the network or reads a remote header runs off the GUI thread: Hub
look-ups (``desktop.models.hub_lookups``: search, a repository's files, the memory fit of its
quantizations) on a lane of the dialog's own, so a search never waits behind a 5 GB
download; downloads (``desktop.models.downloads``) on the window's downloads lane, one at a
time, in order, shared with the first-run welcome.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Final

import shiboken6
from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.errors import FiresideError
from core.i18n import Translator
from core.models.catalogue import Catalogue, CatalogueEntry, ModelKind
from core.models.fit import FitAdvisor, FitAnswer, Verdict
from core.models.hub import RepoSummary
from core.models.registry import InstalledModel
from core.models.tokens import TokenStore
from core.models.units import human_count, human_size
from core.settings import Settings
from desktop.models.downloads import (
    DownloadBoard,
    DownloadProgressView,
    DownloadTask,
)
from desktop.models.hub_lookups import HubAccess, RepoDetails, RepoLookups
from desktop.window.messages import describe_error, plain_label
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner, own_lane

_REPO: Final = Qt.ItemDataRole.UserRole
_ENTRY: Final = Qt.ItemDataRole.UserRole + 1
_FIT_COLORS: Final = {
    Verdict.FITS: "#2e7d32",
    Verdict.TIGHT: "#b26a00",
    Verdict.WONT_FIT: "#c62828",
}

# A file table row: quantization, file name, size (None: not known yet), fit (None: not
# known), and whether the look-up is done (so "…" becomes "Unknown").
FileRow = tuple[str, str, int | None, FitAnswer | None, bool]


class FileTable(QTableWidget):
    """A repository's files: quantization, size, memory fit, and a Download button each."""

    download_requested = Signal(str, str)  # repository, file name

    COLUMNS: Final = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, self.COLUMNS, parent)
        self.setHorizontalHeaderLabels(
            [self.tr("Quantization"), self.tr("Size"), self.tr("Memory"), ""]
        )
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.repo = ""
        self.filenames: list[str] = []

    # ---- filling -----------------------------------------------------------------------

    def show_files(
        self,
        repo: str,
        rows: list[FileRow],
        board: DownloadBoard,
    ) -> None:
        self.repo = repo
        self.filenames = [row[1] for row in rows]
        self.setRowCount(len(rows))
        for index, (quant, filename, size, answer, known) in enumerate(rows):
            quant_item = QTableWidgetItem(quant)
            quant_item.setToolTip(filename)
            self.setItem(index, 0, quant_item)
            size_item = QTableWidgetItem(human_size(size) if size is not None else "…")
            size_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(index, 1, size_item)
            self.setCellWidget(index, 2, self._badge(answer, known))
            button = QPushButton(self.tr("Download"))
            button.clicked.connect(functools.partial(self._download_clicked, filename))
            self.setCellWidget(index, 3, button)
        self.update_buttons(board)

    def clear_files(self) -> None:
        self.repo = ""
        self.filenames = []
        self.setRowCount(0)

    def _badge(self, answer: FitAnswer | None, known: bool) -> QLabel:
        label = plain_label(wrap=False)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if answer is None:
            label.setText("…" if not known else self.tr("Unknown"))
            if known:
                unknown = self.tr("Fireside could not read this model's size and memory needs.")
                label.setToolTip(unknown)
            return label
        texts = {
            Verdict.FITS: self.tr("Fits"),
            Verdict.TIGHT: self.tr("Tight"),
            Verdict.WONT_FIT: self.tr("Won't fit"),
        }
        label.setText(texts[answer.verdict])
        label.setStyleSheet(f"color: {_FIT_COLORS[answer.verdict]}; font-weight: bold;")
        params = answer.params
        tip = (
            self.tr("Needs about %1 of memory at context %2; %3 free of %4.")
            .replace("%1", params["need"])
            .replace("%2", str(answer.estimate.n_ctx))
            .replace("%3", params["free"])
            .replace("%4", params["total"])
        )
        if answer.verdict is Verdict.TIGHT:
            tip += " " + self.tr("Close other programs before you use it.")
        label.setToolTip(tip)
        return label

    # ---- reading (tests, and the pages) ----------------------------------------------------

    def row_of(self, filename: str) -> int:
        return self.filenames.index(filename)

    def download_button(self, filename: str) -> QPushButton:
        widget = self.cellWidget(self.row_of(filename), 3)
        assert isinstance(widget, QPushButton)
        return widget

    def badge(self, filename: str) -> QLabel:
        widget = self.cellWidget(self.row_of(filename), 2)
        assert isinstance(widget, QLabel)
        return widget

    def size_text(self, filename: str) -> str:
        item = self.item(self.row_of(filename), 1)
        return item.text() if item is not None else ""

    def update_buttons(self, board: DownloadBoard) -> None:
        """Each button says what clicking it would do now."""
        for filename in self.filenames:
            button = self.download_button(filename)
            task = board.find(self.repo, filename) if self.repo else None
            if task is None or task.state == "cancelled":
                button.setText(self.tr("Download"))
                button.setEnabled(True)
            elif task.active:
                percent = int(100 * task.progress.fraction) if task.progress is not None else 0
                button.setText(self.tr("Downloading %1%").replace("%1", str(percent)))
                button.setEnabled(False)
            elif task.state == "done":
                button.setText(self.tr("Installed"))
                button.setEnabled(False)
            else:
                button.setText(self.tr("Resume"))
                button.setEnabled(True)

    def _download_clicked(self, filename: str) -> None:
        self.download_requested.emit(self.repo, filename)


def file_rows(
    details: RepoDetails | None, fallback: list[tuple[str, str]] | None = None
) -> list[FileRow]:
    """Rows for a :class:`FileTable`: from a look-up, or (quantization, file) before one."""
    if details is None:
        return [(quant, name, None, None, False) for quant, name in fallback or []]
    rows: list[FileRow] = []
    for fit in details.files:
        group = fit.group
        quant = group.quantization
        if group.is_split:
            quant = (
                QCoreApplication.translate("ModelManager", "%1 (%2 parts)")
                .replace("%1", quant)
                .replace("%2", str(len(group.parts)))
            )
        rows.append((quant, group.filename, group.size, fit.answer, True))
    return rows


# ---- the pages -----------------------------------------------------------------------------


class RecommendedPage(QWidget):
    """The curated catalogue: chat and embedding models, described in the person's language."""

    download_requested = Signal(str, str)

    def __init__(
        self,
        catalogue: Catalogue,
        translate: Translator,
        lookups: RepoLookups,
        board: DownloadBoard,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.translate = translate
        self.lookups = lookups
        self.board = board
        self.entry: CatalogueEntry | None = None
        self.entry_list = QListWidget()
        self.entry_list.setWordWrap(True)
        self.entry_list.currentItemChanged.connect(self._picked)
        self.title_label = plain_label()
        title_font = QFont(self.title_label.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.description_label = plain_label()
        self.facts_label = plain_label()
        self.facts_label.setStyleSheet("color: palette(mid);")
        self.status_label = plain_label()
        self.file_table = FileTable()
        self.file_table.download_requested.connect(self.download_requested)
        details = QWidget()
        column = QVBoxLayout(details)
        column.addWidget(self.title_label)
        column.addWidget(self.description_label)
        column.addWidget(self.facts_label)
        column.addWidget(self.file_table, 1)
        column.addWidget(self.status_label)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.entry_list)
        splitter.addWidget(details)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 520])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        lookups.looked_up.connect(self._details_arrived)
        lookups.lookup_failed.connect(self._lookup_failed)
        board.task_changed.connect(self._task_changed)
        board.task_added.connect(self._task_changed)
        self._fill()

    def _fill(self) -> None:
        sections: tuple[tuple[ModelKind, str], ...] = (
            ("chat", self.tr("Chat models")),
            ("embedding", self.tr("Embedding models")),
        )
        language = self.translate.language
        for kind, heading in sections:
            entries = self.catalogue.of_kind(kind)
            if not entries:
                continue
            head = QListWidgetItem(heading)
            font = QFont(head.font())
            font.setBold(True)
            head.setFont(font)
            head.setFlags(Qt.ItemFlag.NoItemFlags)
            self.entry_list.addItem(head)
            for entry in entries:
                item = QListWidgetItem(f"{entry.name}\n{entry.describe(language)}")
                item.setData(_ENTRY, entry.id)
                item.setToolTip(entry.repo)
                self.entry_list.addItem(item)

    def item_of(self, entry_id: str) -> QListWidgetItem:
        for row in range(self.entry_list.count()):
            item = self.entry_list.item(row)
            if item.data(_ENTRY) == entry_id:
                return item
        raise KeyError(entry_id)

    def select(self, entry_id: str) -> None:
        self.entry_list.setCurrentItem(self.item_of(entry_id))

    def select_first(self) -> None:
        if self.entry_list.currentItem() is None:
            default = self.catalogue.default("chat")
            chat = self.catalogue.of_kind("chat")
            first = default or (chat[0] if chat else None) or self.catalogue.entries[0]
            self.select(first.id)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _picked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        entry = self.catalogue.get(str(item.data(_ENTRY))) if item is not None else None
        if entry is None:
            return
        self.entry = entry
        self.title_label.setText(entry.name)
        self.description_label.setText(entry.describe(self.translate.language))
        kind = self.tr("Chat model") if entry.kind == "chat" else self.tr("Embedding model")
        facts = (
            self.tr("%1 · %2 parameters · context %3 · licence %4 · %5")
            .replace("%1", kind)
            .replace("%2", human_count(entry.parameters))
            .replace("%3", f"{entry.context_length:,}")
            .replace("%4", entry.license)
            .replace("%5", entry.repo)
        )
        self.facts_label.setText(facts)
        cached = self.lookups.cached(entry.repo, entry.files.values())
        if cached is not None:
            self._show(entry, cached)
            return
        self._show(entry, None)
        self.status_label.setText(self.tr("Checking sizes and memory fit on the Hub…"))
        self.lookups.request(entry.repo, entry.files.values())

    def _show(self, entry: CatalogueEntry, details: RepoDetails | None) -> None:
        rows = file_rows(details, list(entry.files.items()))
        rows = [
            (
                self.tr("%1 · recommended").replace("%1", q) if f == entry.recommended_file else q,
                f, size, answer, known,
            )
            for q, f, size, answer, known in rows
        ]  # fmt: skip
        self.file_table.show_files(entry.repo, rows, self.board)
        if details is not None:
            error = details.fit_error
            self.status_label.setText(describe_error(error, self.translate) if error else "")

    @Slot(object)
    def _details_arrived(self, details: object) -> None:
        entry = self.entry
        if not isinstance(details, RepoDetails) or entry is None:
            return
        wanted = tuple(sorted(entry.files.values()))
        if details.repo.lower() == entry.repo.lower() and details.only == wanted:
            self._show(entry, details)

    @Slot(str, object)
    def _lookup_failed(self, repo: str, error: object) -> None:
        if self.entry is not None and repo == self.entry.repo.lower():
            self.status_label.setText(describe_error(error, self.translate))

    @Slot(object)
    def _task_changed(self, _task: object) -> None:
        self.file_table.update_buttons(self.board)


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
            self.status_label.setText(describe_error(error, self.translate))

    @Slot(object)
    def _task_changed(self, _task: object) -> None:
        self.file_table.update_buttons(self.board)


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


class InstalledPage(QWidget):
    """The installed models: use one, delete one (after asking), import a GGUF file."""

    use_requested = Signal(str)
    model_installed = Signal(object)  # InstalledModel, after an import

    COLUMNS: Final = 6

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.models: list[InstalledModel] = []
        self.table = QTableWidget(0, self.COLUMNS)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Kind"), self.tr("Size"), self.tr("Quantization"),
             self.tr("Default"), self.tr("File")]
        )  # fmt: skip
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        for column in range(self.COLUMNS - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.COLUMNS - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(self.use_selected)
        self.use_button = QPushButton(self.tr("Use"))
        self.use_button.setToolTip(self.tr("Make this the default model of its kind and load it"))
        self.use_button.clicked.connect(self.use_selected)
        self.delete_button = QPushButton(self.tr("Delete…"))
        self.delete_button.clicked.connect(self.delete_selected)
        self.import_button = QPushButton(self.tr("Import a GGUF file…"))
        self.import_button.clicked.connect(self.choose_file)
        self.message_label = plain_label()
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        self.refresh()

    # ---- showing -----------------------------------------------------------------------

    def refresh(self) -> None:
        """List the installed models again (a small JSON file and a look at the folders)."""
        selected = self.selected()
        try:
            self.models = self.services.registry.models()
        except (FiresideError, OSError) as exc:
            self._say(describe_error(exc, self.services.translate), error=True)
            self.models = []
        settings = self.services.settings
        defaults = {settings.chat_model, settings.embedding_model}
        self.table.setRowCount(len(self.models))
        for row, model in enumerate(self.models):
            kind = self.tr("Chat") if model.kind == "chat" else self.tr("Embedding")
            cells = [
                model.name, kind, human_size(model.size), model.quantization or "?",
                self.tr("Default") if model.id in defaults else "", model.path,
            ]  # fmt: skip
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(_REPO, model.id)
                if column == 0:
                    item.setToolTip(model.id)
                if column == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        if selected is not None:
            self.select(selected.id, quiet=True)
        self._selection_changed()

    def row_of(self, model_id: str) -> int:
        return next(i for i, m in enumerate(self.models) if m.id == model_id)

    def select(self, model_id: str, *, quiet: bool = False) -> None:
        try:
            self.table.selectRow(self.row_of(model_id))
        except StopIteration:
            if not quiet:
                raise KeyError(model_id) from None

    def selected(self) -> InstalledModel | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        if not rows:
            return None
        row = min(rows)
        return self.models[row] if row < len(self.models) else None

    def default_text(self, model_id: str) -> str:
        item = self.table.item(self.row_of(model_id), 4)
        return item.text() if item is not None else ""

    @Slot()
    def _selection_changed(self) -> None:
        chosen = self.selected() is not None
        self.use_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #c62828;" if error else "")
        self.message_label.setText(text)

    # ---- acting ------------------------------------------------------------------------

    @Slot()
    def use_selected(self) -> None:
        model = self.selected()
        if model is not None:
            self.use_requested.emit(model.id)

    @Slot()
    def delete_selected(self) -> bool:
        """Ask, then delete a downloaded model's files (or forget an imported one)."""
        model = self.selected()
        if model is None:
            return False
        if model.source == "downloaded":
            question = self.tr("Delete %1? Its file (%2) will be removed from this computer.")
        else:
            question = self.tr(
                "Remove %1 from the list? Its file (%2) stays where it is; Fireside never "
                "deletes your own files."
            )
        answer = QMessageBox.question(
            self,
            self.tr("Delete model"),
            question.replace("%1", model.name).replace("%2", human_size(model.size)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        services = self.services
        was_default = model.id in (services.settings.chat_model, services.settings.embedding_model)
        try:
            removal = services.registry.remove(model.id)
            services.switcher.forget(model.id)
        except (FiresideError, OSError) as exc:
            self._say(describe_error(exc, services.translate), error=True)
            self.refresh()
            return False
        if was_default:
            services.reload_settings()  # the switcher saved the settings without it
        if removal.deleted:
            self._say(
                self.tr("Deleted %1; %2 freed.")
                .replace("%1", model.name)
                .replace("%2", human_size(removal.freed))
            )
        else:
            self._say(self.tr("Removed %1 from the list.").replace("%1", model.name))
        self.refresh()
        return True

    @Slot()
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a GGUF model"), str(Path.home()), self.tr("GGUF models (*.gguf)")
        )
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> InstalledModel | None:
        """Use a GGUF file where it is; a bad one gets the core's one-line message."""
        try:
            model = self.services.registry.import_file(path)
        except (FiresideError, OSError) as exc:
            self._say(describe_error(exc, self.services.translate), error=True)
            return None
        self._say(
            self.tr("Imported %1 (%2). The file stays where it is.")
            .replace("%1", model.name)
            .replace("%2", human_size(model.size))
        )
        self.refresh()
        self.select(model.id, quiet=True)
        self.model_installed.emit(model)
        return model


# ---- the dialog ------------------------------------------------------------------------------


class ModelManagerDialog(QDialog):
    """Models → Model manager…: find, download, follow and manage models.

    Not modal: the window opens it with ``show()`` and the person keeps chatting while a
    model downloads. ``use_requested`` asks the window to make a model the default and load
    it; ``model_installed`` says a download finished or a file was imported.
    """

    model_installed = Signal(object)  # InstalledModel
    use_requested = Signal(str)  # the model's registry id

    def __init__(
        self,
        services: AppServices,
        downloads: JobRunner,
        parent: QWidget | None = None,
        *,
        tokens: TokenStore | None = None,
        catalogue: Catalogue | None = None,
        advisor: FitAdvisor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Models"))
        self.setModal(False)
        self.resize(920, 600)
        self.services = services
        self.access = HubAccess(services, tokens if tokens is not None else TokenStore())
        self.lookups_lane = own_lane(self, "model-lookups")
        self.lookups = RepoLookups(
            services, self.access, self.lookups_lane, advisor or FitAdvisor(), self
        )
        self.board = DownloadBoard.of(downloads, services, self.access)
        translate = services.translate
        self.recommended_page = RecommendedPage(
            catalogue if catalogue is not None else services.catalogue, translate, self.lookups,
            self.board,
        )  # fmt: skip
        self.search_page = SearchPage(translate, self.lookups, self.board)
        self.downloads_page = DownloadsPage(self.board, translate)
        self.installed_page = InstalledPage(services)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.recommended_page, self.tr("Recommended"))
        self.tabs.addTab(self.search_page, self.tr("Search the Hub"))
        self.tabs.addTab(self.downloads_page, self.tr("Downloads"))
        self.tabs.addTab(self.installed_page, self.tr("Installed"))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)

        # What a person clicks, by name (tests drive these).
        self.catalogue_list = self.recommended_page.entry_list
        self.catalogue_files = self.recommended_page.file_table
        self.search_box = self.search_page.search_box
        self.search_button = self.search_page.search_button
        self.search_results = self.search_page.results
        self.search_files = self.search_page.file_table
        self.installed_table = self.installed_page.table
        self.use_button = self.installed_page.use_button
        self.delete_button = self.installed_page.delete_button
        self.import_button = self.installed_page.import_button

        self.recommended_page.download_requested.connect(self._download_requested)
        self.search_page.download_requested.connect(self._download_requested)
        self.downloads_page.count_changed.connect(self._downloads_counted)
        self.installed_page.use_requested.connect(self.use_requested)
        self.installed_page.model_installed.connect(self.model_installed)
        self.board.model_installed.connect(self._downloaded)
        self._downloads_counted(self.board.active_count)
        _listen_to_settings(services, self, ModelManagerDialog._settings_changed)

    # ---- for the window and tests ------------------------------------------------------------

    def start_download(self, repo: str, filename: str) -> Job:
        """Start (or resume) downloading a file; its progress shows under Downloads."""
        task = self.board.download(repo, filename, self.access)
        assert task.job is not None
        return task.job

    def download_row(self, repo: str, filename: str) -> DownloadRow | None:
        return self.downloads_page.row_for(repo, filename)

    def shutdown(self) -> None:
        """Stop the dialog's look-up lane (the window calls it as it closes)."""
        self.lookups_lane.shutdown()

    # ---- inside --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.installed_page.refresh()
        self.recommended_page.select_first()

    @Slot(str, str)
    def _download_requested(self, repo: str, filename: str) -> None:
        try:
            self.start_download(repo, filename)
        except FiresideError as exc:
            QMessageBox.warning(self, self.tr("Download"), exc.message(self.services.translate))

    @Slot(int)
    def _downloads_counted(self, count: int) -> None:
        index = self.tabs.indexOf(self.downloads_page)
        title = self.tr("Downloads (%1)").replace("%1", str(count)) if count else None
        self.tabs.setTabText(index, title or self.tr("Downloads"))

    @Slot(object)
    def _downloaded(self, model: object) -> None:
        self.installed_page.refresh()
        self.model_installed.emit(model)

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if (old.chat_model, old.embedding_model) != (new.chat_model, new.embedding_model):
            self.installed_page.refresh()


def _listen_to_settings(
    services: AppServices,
    widget: QWidget,
    method: Callable[..., None],
) -> None:
    """Call ``method(widget, old, new)`` on settings changes while the widget exists
    (AppServices keeps its listeners for good, and the widget may go first)."""
    ref = weakref.ref(widget)

    def listener(old: Settings, new: Settings) -> None:
        target = ref()
        if target is not None and shiboken6.isValid(target):
            method(target, old, new)

    services.on_settings_changed(listener)
