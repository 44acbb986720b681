"""The knowledge panel: where people drop documents and folders to make them searchable.

It sits on the right of the window and folds away. A person picks a collection (or names a
new one), drops files or folders on the panel (or uses Add files… / Add folder…), and
watches each document go from queued through reading and embedding to done, or to failed
with the reason in their language. For the open chat, a checkbox per collection says which
ones its answers draw on (stored with the chat in the chat store).

The panel drives the core the way ``fireside-cli kb`` does: an ingestion is
:meth:`KnowledgeBase.ingestion` run over the paths, and what a kill left running in the
store is finished with :meth:`Ingestion.resume`, which the panel does by itself when it
opens. A cancelled ingestion is closed in the store (the core's resume does not run it
again), so the panel remembers its paths and runs them again, ahead of the new ones, on the
next add or on Resume: finished documents are then skipped as unchanged, never re-embedded.

Threads: everything that reads files, touches Chroma or embeds runs on the knowledge lane
(the ``JobRunner`` given to the panel), one job at a time. Listing collections and
documents is a quick SQLite query and stays on the GUI thread. Embedding requests go
through the shared engine client, which already lets a chat reply go first.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.engine.client import EngineClient
from core.errors import FiresideError
from core.i18n import Translator
from core.knowledge import readers
from core.knowledge.collections import check_name
from core.knowledge.embedder import Embedder, resolve_model
from core.knowledge.errors import NoEmbeddingModel
from core.knowledge.ingest import IngestReport, Outcome, Progress
from core.knowledge.store import DEFAULT_COLLECTION, Collection, Document
from core.settings import Settings
from desktop.drops import local_files
from desktop.messages import describe_error
from desktop.services import AppServices
from desktop.workers import Job, JobRunner

_NAME_ROLE = Qt.ItemDataRole.UserRole
_DOCUMENT_ROLE = Qt.ItemDataRole.UserRole + 1

# Row statuses: keys that tests and the window compare; DocumentList says them in words.
QUEUED, WAITING, READING, EMBEDDING = "queued", "waiting", "reading", "embedding"
DONE, UNCHANGED, MOVED, DUPLICATE, FAILED = "done", "unchanged", "moved", "duplicate", "failed"
STOPPED, READY = "stopped", "ready"
IN_FLIGHT = frozenset({QUEUED, WAITING, READING, EMBEDDING})
_OUTCOME_STATUS = {
    "indexed": DONE,
    "replaced": DONE,
    "unchanged": UNCHANGED,
    "moved": MOVED,
    "duplicate": DUPLICATE,
    "failed": FAILED,
}
_STORED_STATUS = {"indexed": READY, "failed": FAILED, "duplicate": DUPLICATE}


def absolute(path: Path | str) -> str:
    """A path as the ingestion records it (made absolute, not resolved: no disk access)."""
    return str(Path(path).expanduser().absolute())


def shown_name(name: str, default_shown: str) -> str:
    """How a collection is named on screen: the one Fireside makes by itself ("default", the
    name the CLI knows it by too) in the person's language; any other as it was named."""
    return default_shown if name == DEFAULT_COLLECTION else name


# ---- what the knowledge lane reports -------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """The files a job goes through (folders walked the way the ingestion walks them)."""

    files: list[str]
    folders: list[str]


@dataclass(frozen=True)
class EmbeddingStarted:
    """The document in progress is read and cut into ``chunks``; embedding begins."""

    chunks: int


@dataclass(frozen=True)
class RunFinished:
    report: IngestReport


@dataclass(frozen=True)
class Removed:
    document: Document
    chunks: int


@dataclass(frozen=True)
class TaskEvent:
    """An item of an ingestion job: the task it belongs to and what happened."""

    task: IngestTask
    payload: Progress | Planned | EmbeddingStarted | RunFinished


@dataclass(frozen=True)
class RowState:
    """What the document list shows for one file."""

    status: str
    reason: str = ""  # the core's full message (a failure, a duplicate), for the tooltip
    detail: str = ""  # a short fact after the status: a reason with file names, "3 of 8 chunks"
    pages: int | None = None
    chunks: int | None = None
    document_id: int | None = None  # set when the store holds a row that can be removed


@dataclass(eq=False)
class IngestTask:
    """One ingestion job of the panel. Its cancel reaches the core's :class:`Ingestion`
    from any thread, even before the lane has created it."""

    collection: str
    paths: list[str]
    resume: bool = False  # run the store's unfinished jobs (a kill) rather than ``paths``
    job: Job | None = None
    files: list[str] = field(default_factory=list)  # from Planned
    reports: list[IngestReport] = field(default_factory=list)
    current: str | None = None  # the document being worked on
    current_start: int = 0  # chunks_done when it began
    current_chunks: int = 0  # how many chunks it is being embedded as
    _ingestion: Any = None
    _cancelled: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, ingestion: Any) -> None:
        with self._lock:
            self._ingestion = ingestion
            if self._cancelled:
                ingestion.cancel()

    def cancel(self) -> None:
        """Stop before the next embedding batch (safe from any thread)."""
        with self._lock:
            self._cancelled = True
            if self._ingestion is not None:
                self._ingestion.cancel()

    @property
    def completed(self) -> bool:
        """Every run of the job went to its end (none cancelled, none missing)."""
        return bool(self.reports) and not any(r.cancelled for r in self.reports)


class ReportingEmbedder(Embedder):
    """An embedder that says when a document's embedding begins: the core reports progress
    after each batch, and a person should see "Embedding…" as soon as it starts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_start: Callable[[int], None] | None = None

    def embed(
        self,
        texts: Sequence[str],
        cancelled: Callable[[], bool] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        if self.on_start is not None and texts:
            self.on_start(len(texts))
        return super().embed(texts, cancelled, on_batch)


def plan_files(paths: Iterable[str]) -> Planned:
    """The files an ingestion of ``paths`` goes through (runs on the lane: it walks
    folders). Mirrors the ingestion's walk: hidden files and folders and unsupported kinds
    inside folders are passed over; a file given by itself is always tried."""
    files: dict[str, None] = {}
    folders: list[str] = []
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            files.setdefault(given)
            continue
        folders.append(given)
        for folder, dirs, names in os.walk(path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                found = Path(folder) / name
                if not name.startswith(".") and readers.supported(found) and found.is_file():
                    files.setdefault(str(found))
    return Planned(sorted(files), folders)


# ---- the parts of the panel ----------------------------------------------------------------


class DocumentList(QTreeWidget):
    """The documents of one collection, one row per file, keyed by its path."""

    NAME, PAGES, CHUNKS, STATUS = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(4)
        self.setHeaderLabels([self.tr("Name"), self.tr("Pages"), self.tr("Chunks"),
                              self.tr("Status")])  # fmt: skip
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSortingEnabled(True)
        self.sortByColumn(self.NAME, Qt.SortOrder.AscendingOrder)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(self.NAME, QHeaderView.ResizeMode.Stretch)
        for column in (self.PAGES, self.CHUNKS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.STATUS, QHeaderView.ResizeMode.Stretch)
        self._warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._states: dict[str, RowState] = {}
        self._words = {
            QUEUED: self.tr("Queued"),
            WAITING: self.tr("Waiting for an embedding model"),
            READING: self.tr("Reading…"),
            EMBEDDING: self.tr("Embedding…"),
            DONE: self.tr("Done"),
            UNCHANGED: self.tr("Unchanged"),
            MOVED: self.tr("Moved"),
            DUPLICATE: self.tr("Duplicate"),
            FAILED: self.tr("Failed"),
            STOPPED: self.tr("Stopped"),
            READY: self.tr("Searchable"),
        }

    def status_text(self, state: RowState) -> str:
        word = self._words.get(state.status, state.status)
        return f"{word}: {state.detail}" if state.detail else word

    def paths(self) -> list[str]:
        return list(self._items)

    def state(self, path: str) -> RowState | None:
        return self._states.get(path)

    def set_row(self, path: str, state: RowState) -> None:
        item = self._items.get(path)
        if item is None:
            item = QTreeWidgetItem()
            item.setData(self.NAME, _NAME_ROLE, path)
            item.setText(self.NAME, Path(path).name or path)
            item.setToolTip(self.NAME, path)
            for column in (self.PAGES, self.CHUNKS):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            self._items[path] = item
            self.addTopLevelItem(item)
        self._states[path] = state
        text = self.status_text(state)
        item.setData(self.NAME, _DOCUMENT_ROLE, state.document_id)
        item.setText(self.PAGES, "" if state.pages is None else str(state.pages))
        item.setText(self.CHUNKS, "" if state.chunks is None else str(state.chunks))
        item.setText(self.STATUS, text)
        item.setToolTip(self.STATUS, state.reason or text)
        item.setIcon(self.STATUS, self._warning if state.status == FAILED else QIcon())

    def drop_row(self, path: str) -> None:
        item = self._items.pop(path, None)
        self._states.pop(path, None)
        if item is not None:
            self.takeTopLevelItem(self.indexOfTopLevelItem(item))

    def show_rows(self, states: dict[str, RowState]) -> None:
        """Show exactly these rows, keeping the selection where it still exists."""
        selected = self.selected_path()
        for path in [p for p in self._items if p not in states]:
            self.drop_row(path)
        for path, state in states.items():
            self.set_row(path, state)
        if selected in self._items:
            self.setCurrentItem(self._items[selected])

    def select(self, path: str) -> None:
        item = self._items.get(path)
        if item is not None:
            self.setCurrentItem(item)

    def selected_path(self) -> str | None:
        item = self.currentItem()
        return None if item is None else str(item.data(self.NAME, _NAME_ROLE))

    def selected_document(self) -> int | None:
        item = self.currentItem()
        if item is None:
            return None
        value = item.data(self.NAME, _DOCUMENT_ROLE)
        return None if value is None else int(value)


class CollectionPicker(QWidget):
    """The collection combo, with "New collection…" naming one inline; a bad name is said
    in one line under the box and nothing is created."""

    chosen = Signal(str)  # a collection picked in the combo
    create_requested = Signal(str)  # a new collection's name, already checked

    def __init__(self, translate: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.translate = translate
        self.current = DEFAULT_COLLECTION
        self._filling = False
        self.combo = QComboBox()
        self.combo.setToolTip(self.tr("The collection whose documents are shown below"))
        self.combo.currentIndexChanged.connect(self._picked)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("Name of the new collection"))
        self.name_edit.returnPressed.connect(self.submit_name)
        self.create_button = QPushButton(self.tr("Create"))
        self.create_button.clicked.connect(self.submit_name)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.clicked.connect(self.close_name_box)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        combo_row = QHBoxLayout()
        combo_row.setContentsMargins(0, 0, 0, 0)
        combo_row.addWidget(QLabel(self.tr("Collection:")))
        combo_row.addWidget(self.combo, 1)
        name_row = QHBoxLayout()
        name_row.setContentsMargins(0, 0, 0, 0)
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(self.create_button)
        name_row.addWidget(cancel)
        self.name_box = QWidget()
        self.name_box.setLayout(name_row)
        self.name_box.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(combo_row)
        column.addWidget(self.name_box)
        column.addWidget(self.error_label)

    def fill(self, collections: Sequence[Collection], select: str) -> None:
        """List the collections (then "New collection…") and show ``select``."""
        self._filling = True
        try:
            self.combo.clear()
            for c in collections:
                self.combo.addItem(shown_name(c.name, self.tr("default")), c.name)
                tip = self.tr("Documents: %1 · chunks: %2")
                tip = tip.replace("%1", str(c.documents)).replace("%2", str(c.chunks))
                self.combo.setItemData(self.combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
            self.combo.addItem(self.tr("New collection…"), None)
            index = max(0, self.combo.findData(select, _NAME_ROLE))
            self.combo.setCurrentIndex(index)
            self.current = str(self.combo.itemData(index, _NAME_ROLE) or select)
        finally:
            self._filling = False

    def _picked(self, index: int) -> None:
        if self._filling or index < 0:
            return
        name = self.combo.itemData(index, _NAME_ROLE)
        if name is None:  # "New collection…": stay on the current one while naming
            self._filling = True
            self.combo.setCurrentIndex(max(0, self.combo.findData(self.current, _NAME_ROLE)))
            self._filling = False
            self.open_name_box()
            return
        self.current = str(name)
        self.chosen.emit(self.current)

    def open_name_box(self) -> None:
        self.error_label.hide()
        self.name_edit.clear()
        self.name_box.show()
        self.name_edit.setFocus()

    def close_name_box(self) -> None:
        self.name_box.hide()
        self.error_label.hide()

    def submit_name(self) -> None:
        try:
            name = check_name(self.name_edit.text())
        except FiresideError as exc:
            self.error_label.setText(exc.message(self.translate))
            self.error_label.show()
            return
        self.close_name_box()
        self.create_requested.emit(name)


class ChatCollections(QWidget):
    """The "Use in this chat" list: a checkbox per collection for the open chat."""

    changed = Signal(list)  # the checked collection names, in the list's order

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filling = False
        self.label = QLabel(self.tr("Use in this chat:"))
        self.list = QListWidget()
        self.list.setMaximumHeight(96)
        self.list.itemChanged.connect(self._item_changed)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.label)
        column.addWidget(self.list)

    def fill(self, names: Sequence[str], checked: Iterable[str], enabled: bool) -> None:
        chosen = set(checked)
        self._filling = True
        try:
            self.list.clear()
            for name in names:
                item = QListWidgetItem(shown_name(name, self.tr("default")))
                item.setData(_NAME_ROLE, name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                state = Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked
                item.setCheckState(state)
                self.list.addItem(item)
        finally:
            self._filling = False
        self.setEnabled(enabled)
        self.list.setToolTip(
            self.tr("Answers in this chat draw on the checked collections and cite them")
            if enabled else self.tr("Open a chat to choose the collections it uses")
        )  # fmt: skip

    def item(self, name: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(_NAME_ROLE) == name:
                return item
        return None

    def names(self) -> list[str]:
        return [str(self.list.item(r).data(_NAME_ROLE)) for r in range(self.list.count())]

    def checked(self) -> list[str]:
        return [
            str(self.list.item(r).data(_NAME_ROLE)) for r in range(self.list.count())
            if self.list.item(r).checkState() == Qt.CheckState.Checked
        ]  # fmt: skip

    def _item_changed(self, _item: QListWidgetItem) -> None:
        if not self._filling:
            self.changed.emit(self.checked())


class EmbeddingModelBar(QWidget):
    """Says in one line that documents need an embedding model, with the way to choose one."""

    choose_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.button = QPushButton(self.tr("Choose an embedding model…"))
        self.button.clicked.connect(self.choose_requested)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.label)
        column.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)

    def show_missing(self, problem: str | None = None) -> None:
        self.label.setText(problem or self.tr(
            "No embedding model is set, so documents cannot be made searchable yet."
        ))  # fmt: skip
        self.show()


class IngestProgress(QWidget):
    """The overall progress: "n of m documents · ETA 1 min", Cancel, and Resume after a stop."""

    cancel_requested = Signal()
    resume_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.cancel_button = QPushButton(self.tr("Stop"))
        self.cancel_button.setToolTip(self.tr("Stop; finished documents are kept"))
        self.cancel_button.clicked.connect(self._cancel)
        self.resume_button = QPushButton(self.tr("Resume"))
        self.resume_button.setToolTip(self.tr("Go on where the ingestion stopped"))
        self.resume_button.clicked.connect(self.resume_requested)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.resume_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.label)
        self.hide()

    @property
    def complete(self) -> bool:
        return self.bar.maximum() > 0 and self.bar.value() == self.bar.maximum()

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_requested.emit()

    def starting(self, *, first: bool) -> None:
        """A job was submitted; when no other runs, nothing is known yet: a busy bar."""
        self.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.resume_button.hide()
        if first:
            self.bar.setRange(0, 0)
            self.label.setText(self.tr("Looking at the files…"))

    def running(self, progress: Progress) -> None:
        total = max(progress.documents_total, 1)
        self.bar.setRange(0, total)
        self.bar.setValue(min(progress.documents_done, total))
        text = self.documents_text(progress.documents_done, progress.documents_total)
        eta = self.eta_text(progress.eta_s)
        self.label.setText(f"{text} · {eta}" if eta else text)

    def finished(self, done: int, summary: str) -> None:
        total = max(done, 1)
        self.bar.setRange(0, total)
        self.bar.setValue(total)
        self.label.setText(f"{self.documents_text(done, done)} · {summary}")

    def idle(self, *, can_resume: bool) -> None:
        """No job left. After a stop, Resume is offered."""
        self.cancel_button.hide()
        self.resume_button.setVisible(can_resume)
        if self.bar.maximum() == 0:
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
        if can_resume:
            self.label.setText(self.tr(
                "Stopped. Finished documents are kept; the rest go on with the next add "
                "or with Resume."
            ))  # fmt: skip

    def waiting(self) -> None:
        self.show()
        self.cancel_button.hide()
        self.resume_button.hide()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.label.setText(self.tr(
            "Waiting for an embedding model: the documents are added once one is chosen."
        ))  # fmt: skip

    def documents_text(self, done: int, total: int) -> str:
        return self.tr("Documents: %1 of %2").replace("%1", str(done)).replace("%2", str(total))

    def eta_text(self, seconds: float | None) -> str:
        if seconds is None:
            return ""
        if seconds < 45:
            return self.tr("ETA under a minute")
        minutes = round(seconds / 60)
        if minutes < 120:
            return self.tr("ETA %1 min").replace("%1", str(max(1, minutes)))
        return self.tr("ETA %1 h").replace("%1", str(round(minutes / 60)))


# ---- the panel -----------------------------------------------------------------------------


class KnowledgePanel(QWidget):
    """Collections, their documents, adding and removing documents, and which collections
    the open chat uses. Every signal is emitted on the GUI thread, after the panel shows the
    change."""

    ingest_finished = Signal(object)  # IngestReport: one per core run, cancelled ones too
    document_removed = Signal(object)  # the Document removed
    chat_collections_changed = Signal(int, list)  # chat id, the collection names it uses
    embedding_model_needed = Signal()  # the person asked to choose an embedding model
    status_changed = Signal(str, str)  # file path, its new row status (queued, reading, …)
    collapsed_changed = Signal(bool)

    def __init__(
        self, services: AppServices, runner: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.kb = services.knowledge  # SQLite now; Chroma opens on the lane when needed
        self.chat_id: int | None = None
        self.tasks: list[IngestTask] = []  # submitted and not ended, in order
        self.last_task: IngestTask | None = None
        self._left_over: dict[str, list[str]] = {}  # collection -> paths to run again
        self._rows: dict[str, dict[str, RowState]] = {}  # collection -> path -> row
        self._removals: dict[Job, Document] = {}
        self._embedder: ReportingEmbedder | None = None  # touched on the lane only
        self.setAcceptDrops(True)
        self._build()
        if not self.kb.collections():
            self.kb.store.ensure_collection(DEFAULT_COLLECTION)
        self._refresh(select=DEFAULT_COLLECTION)
        if not self.has_embedding_model:
            self.model_bar.show_missing()
        self._listen_to_settings()
        self._resume_killed_jobs()

    def _build(self) -> None:
        self.collapse_button = QToolButton()
        self.collapse_button.setArrowType(Qt.ArrowType.DownArrow)
        self.collapse_button.setAutoRaise(True)
        self.collapse_button.setToolTip(self.tr("Fold or unfold the knowledge panel"))
        self.collapse_button.clicked.connect(self.toggle_collapsed)
        title = QLabel(self.tr("Knowledge"))
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.collapse_button)
        header.addWidget(title, 1)

        self.model_bar = EmbeddingModelBar()
        self.model_bar.choose_requested.connect(self.embedding_model_needed)
        self.model_bar.hide()
        self.picker = CollectionPicker(self.services.translate)
        self.picker.chosen.connect(self._collection_chosen)
        self.picker.create_requested.connect(self.create_collection)
        self.chat_collections = ChatCollections()
        self.chat_collections.changed.connect(self._chat_choice_changed)

        self.documents = DocumentList()
        self.documents.setToolTip(self.tr("Drop files or folders here to make them searchable"))
        self.documents.customContextMenuRequested.connect(self._document_menu)
        self.documents.currentItemChanged.connect(self._update_buttons)
        remove_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.documents)
        remove_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.activated.connect(self.remove_selected)
        self.empty_label = QLabel(self.tr("Drop files or folders here to make them searchable."))
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_files_button = QPushButton(self.tr("Add files…"))
        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button = QPushButton(self.tr("Add folder…"))
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Remove the selected document from the collection"))
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)

        self.progress = IngestProgress()
        self.progress.cancel_requested.connect(self.cancel)
        self.progress.resume_requested.connect(self.resume)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        body = QVBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.model_bar)
        body.addWidget(self.picker)
        body.addWidget(self.chat_collections)
        body.addWidget(self.documents, 1)
        body.addWidget(self.empty_label)
        body.addLayout(buttons)
        body.addWidget(self.progress)
        body.addWidget(self.message_label)
        self.body = QWidget()
        self.body.setLayout(body)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 8, 8, 8)
        column.addLayout(header)
        column.addWidget(self.body, 1)

    # ---- folding -----------------------------------------------------------------------

    @property
    def collapsed(self) -> bool:
        return self.body.isHidden()

    def set_collapsed(self, collapsed: bool) -> None:
        if collapsed == self.collapsed:
            return
        self.body.setVisible(not collapsed)
        arrow = Qt.ArrowType.LeftArrow if collapsed else Qt.ArrowType.DownArrow
        self.collapse_button.setArrowType(arrow)
        self.collapsed_changed.emit(collapsed)

    def toggle_collapsed(self) -> None:
        self.set_collapsed(not self.collapsed)

    # ---- collections -------------------------------------------------------------------

    @property
    def collection(self) -> str:
        """The collection whose documents the panel shows and adds to."""
        return self.picker.current

    def set_collection(self, name: str) -> None:
        self.picker.fill(self.kb.collections(), name)
        self.refresh_documents()

    def create_collection(self, name: str) -> str | None:
        """Make a collection and show it (an empty list ready for drops). A bad name is
        said in one line under the picker; nothing is created."""
        try:
            cleaned = check_name(name)
        except FiresideError as exc:
            self.picker.error_label.setText(exc.message(self.services.translate))
            self.picker.error_label.show()
            return None
        self.kb.store.ensure_collection(cleaned)
        self._refresh(select=cleaned)
        return cleaned

    def _collection_chosen(self, _name: str) -> None:
        self.refresh_documents()

    def _refresh(self, select: str | None = None) -> None:
        """The picker, the chat's checkboxes and the document list, from the store."""
        collections = self.kb.collections()
        self.picker.fill(collections, select or self.collection)
        self._fill_chat_collections(collections)
        self.refresh_documents()

    # ---- the chat's collections --------------------------------------------------------

    def set_chat(self, chat_id: int | None) -> None:
        """Show which collections this chat uses (None: no chat is open)."""
        self.chat_id = chat_id
        self._fill_chat_collections(self.kb.collections())

    def _fill_chat_collections(self, collections: Sequence[Collection]) -> None:
        chosen: list[str] = []
        if self.chat_id is not None:
            chosen = self.services.chats.get_chat(self.chat_id).collections
        self.chat_collections.fill([c.name for c in collections], chosen,
                                   self.chat_id is not None)  # fmt: skip

    def _chat_choice_changed(self, checked: list[str]) -> None:
        if self.chat_id is None:
            return
        listed = set(self.chat_collections.names())
        stored = self.services.chats.get_chat(self.chat_id).collections
        names = checked + [n for n in stored if n not in listed]  # unlisted: never dropped
        self.services.chats.update_chat(self.chat_id, collections=names)
        self.chat_collections_changed.emit(self.chat_id, names)

    # ---- the embedding model -----------------------------------------------------------

    @property
    def has_embedding_model(self) -> bool:
        return bool(self.services.settings.embedding_model)

    def _listen_to_settings(self) -> None:
        """Follow the settings through a weak listener: the services outlive the panel."""
        method = weakref.WeakMethod(self._settings_changed)

        def listener(old: Settings, new: Settings) -> None:
            bound = method()
            if bound is not None and shiboken6.isValid(bound.__self__):
                bound(old, new)

        self.services.on_settings_changed(listener)

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if old.embedding_model == new.embedding_model:
            return
        if not new.embedding_model:
            self.model_bar.show_missing()
            return
        self.model_bar.hide()
        self.resume()  # what waited for a model goes now

    # ---- adding documents --------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_files(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_paths(paths)

    def choose_files(self) -> None:
        patterns = " ".join(f"*{suffix}" for suffix in sorted(readers.SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Add documents"), str(Path.home()),
            self.tr("Documents (%1);;All files (*)").replace("%1", patterns),
        )  # fmt: skip
        if files:
            self.add_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder"), str(Path.home()))
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: Sequence[Path | str], collection: str | None = None) -> Job | None:
        """Make files and folders searchable in ``collection`` (default: the one shown).
        What a cancel left in that collection goes first (finished files are skipped as
        unchanged). Without an embedding model the paths wait for one."""
        name = collection or self.collection
        given = list(dict.fromkeys(absolute(p) for p in paths))
        if not given:
            return None
        self._clear_message()
        wanted = list(dict.fromkeys([*self._left_over.pop(name, []), *given]))
        if not self.has_embedding_model:
            self._left_over[name] = wanted
            for path in given:
                self._set_state(name, path, RowState(WAITING))
            self.model_bar.show_missing()
            self.progress.waiting()
            return None
        for path in given:
            self._set_state(name, path, RowState(QUEUED))
        return self._submit(IngestTask(name, wanted))

    def resume(self) -> list[Job]:
        """Run again what a cancel (or a missing model) left, then what a kill left."""
        if not self.has_embedding_model:
            self.model_bar.show_missing()
            return []
        jobs = self._resume_killed_jobs()
        for name in list(self._left_over):
            paths = self._left_over.pop(name)
            for path in paths:
                self._set_state(name, path, RowState(QUEUED))
            jobs.append(self._submit(IngestTask(name, paths)))
        return jobs

    def _resume_killed_jobs(self) -> list[Job]:
        """Ingestions a kill left running in the store are finished (Ingestion.resume).
        Only while the panel runs none: its own jobs are "running" in the store too."""
        if self.tasks or not self.has_embedding_model:
            return []
        jobs = []
        unfinished = self.kb.store.unfinished_jobs()
        for name in dict.fromkeys(job.collection for job in unfinished):
            paths = [p for job in unfinished if job.collection == name for p in job.paths]
            for path in dict.fromkeys(paths):
                self._set_state(name, path, RowState(QUEUED))
            jobs.append(self._submit(IngestTask(name, list(dict.fromkeys(paths)), resume=True)))
        return jobs

    def cancel(self) -> None:
        """Stop every ingestion of the panel; finished documents are kept, and the rest
        run again on the next add or on Resume."""
        for task in list(self.tasks):
            if task.job is not None:
                task.job.cancel()  # calls task.cancel; a job not started never runs
            else:
                task.cancel()

    @property
    def busy(self) -> bool:
        return bool(self.tasks)

    # ---- the job on the knowledge lane -------------------------------------------------

    def _submit(self, task: IngestTask) -> Job:
        settings = self.services.settings
        paths = self.services.paths
        client = self.services.client
        kb = self.kb

        def work() -> Iterator[object]:
            embedder = self._embedder_for(resolve_model(None, settings, paths),
                                          settings.engine.n_threads or None, client)  # fmt: skip
            planned = plan_files(task.paths)
            yield TaskEvent(task, planned)

            def progress(value: Progress) -> None:
                job.item.emit(TaskEvent(task, value))

            def embedding(chunks: int) -> None:
                job.item.emit(TaskEvent(task, EmbeddingStarted(chunks)))

            embedder.on_start = embedding
            try:
                ingestion = kb.ingestion(embedder, task.collection, on_progress=progress)
                task.attach(ingestion)
                if task.resume:
                    reports = ingestion.resume()
                else:
                    reports = [ingestion.run([Path(p) for p in task.paths])]
            finally:
                embedder.on_start = None
            for report in reports:
                yield TaskEvent(task, RunFinished(report))

        job = Job(work, cancel=task.cancel)
        task.job = job
        job.item.connect(self._job_item)
        job.failed.connect(self._job_failed)
        job.ended.connect(self._job_ended)
        first = not self.tasks
        self.tasks.append(task)
        self.last_task = task
        self.runner.submit(job)
        self.progress.starting(first=first)
        return job

    def _embedder_for(
        self, model: Path, threads: int | None, client: EngineClient
    ) -> ReportingEmbedder:
        """Runs on the lane: one embedder while the model and threads stay the same (it
        keeps what the engine said about the model)."""
        embedder = self._embedder
        if embedder is None or embedder.model_path != model or (
            embedder.options.n_threads != threads
        ):  # fmt: skip
            embedder = ReportingEmbedder(client, model, n_threads=threads)
            self._embedder = embedder
        return embedder

    def _job_item(self, event: object) -> None:
        if not isinstance(event, TaskEvent):
            return
        task, payload = event.task, event.payload
        if isinstance(payload, Planned):
            task.files = payload.files
            for folder in payload.folders:
                self._drop_state(task.collection, folder)
            for path in payload.files:
                self._set_state(task.collection, path, RowState(QUEUED))
        elif isinstance(payload, EmbeddingStarted):
            task.current_chunks = payload.chunks
            if task.current is not None:
                self._show_embedding(task, task.current_start)
        elif isinstance(payload, Progress):
            self._progress(task, payload)
        elif isinstance(payload, RunFinished):
            self._run_finished(task, payload.report)

    def _progress(self, task: IngestTask, progress: Progress) -> None:
        if progress.outcome is not None:
            self._show_outcome(task.collection, progress.outcome)
            task.current = None
        elif progress.current is not None and progress.current != task.current:
            task.current = progress.current
            task.current_start = progress.chunks_done
            self._set_state(task.collection, progress.current, RowState(READING))
        elif progress.current is not None:  # a batch of the current document is embedded
            self._show_embedding(task, progress.chunks_done)
        self.progress.running(progress)

    def _show_embedding(self, task: IngestTask, chunks_done: int) -> None:
        if task.current is None:
            return
        done = chunks_done - task.current_start
        detail = self.tr("Chunks: %1 of %2").replace("%1", str(done))
        detail = detail.replace("%2", str(task.current_chunks))
        self._set_state(task.collection, task.current, RowState(EMBEDDING, detail=detail))

    def _run_finished(self, task: IngestTask, report: IngestReport) -> None:
        task.reports.append(report)
        for outcome in report.outcomes:
            self._show_outcome(task.collection, outcome)
        if report.cancelled:
            self._stopped(task)
        else:
            summary = self.services.translate(
                "kb_summary", seconds=f"{report.seconds:.1f}",
                indexed=report.count("indexed", "replaced"),
                unchanged=report.count("unchanged", "moved"),
                duplicates=report.count("duplicate"), failed=report.count("failed"),
                removed=report.count("removed"), chunks=report.chunks,
            )  # fmt: skip
            done = self.progress.bar.maximum() or report.count(
                "indexed", "replaced", "unchanged", "moved", "duplicate", "failed"
            )
            self.progress.finished(done, summary)
            if self.tasks == [task] and not task.resume:  # nothing more is coming
                self.progress.idle(can_resume=any(self._left_over.values()))
        self._refresh()
        self.ingest_finished.emit(report)

    def _stopped(self, task: IngestTask) -> None:
        """A task that will not finish now: its paths run again later (skipping what is
        done), and its files not reached say so."""
        left = self._left_over.setdefault(task.collection, [])
        left.extend(p for p in task.paths if p not in left)
        for path in {*task.files, *task.paths}:
            state = self._state(task.collection, path)
            if state is not None and state.status in IN_FLIGHT:
                self._set_state(task.collection, path, replace(state, status=STOPPED, detail=""))

    def _job_failed(self, error: object) -> None:
        if isinstance(error, NoEmbeddingModel):  # said once, next to the way to fix it
            self.model_bar.show_missing(error.message(self.services.translate))
        else:
            self._show_message(error)

    def _job_ended(self, job: object) -> None:
        task = next((t for t in self.tasks if t.job is job), None)
        if task is None:
            return
        self.tasks.remove(task)
        if not task.reports:  # cancelled before it ran, or failed: run it again later
            self._stopped(task)
            self._refresh()
        if not self.tasks:
            self.progress.idle(can_resume=any(self._left_over.values()))

    # ---- removing documents ------------------------------------------------------------

    def _document_menu(self, position: QPoint) -> None:
        item = self.documents.itemAt(position)
        if item is None:
            return
        self.documents.setCurrentItem(item)
        menu = QMenu(self)
        action = menu.addAction(self.tr("Remove from collection…"))
        action.setEnabled(self.documents.selected_document() is not None)
        action.triggered.connect(self.remove_selected)
        menu.exec(self.documents.viewport().mapToGlobal(position))

    def remove_selected(self) -> Job | None:
        """Remove the selected document, after asking (the file itself stays on disk)."""
        document_id = self.documents.selected_document()
        if document_id is None:
            return None
        document = self.kb.store.document(document_id)
        question = self.tr("Remove “%1” from the collection “%2”? The file itself stays "
                           "where it is.")  # fmt: skip
        question = question.replace("%1", Path(document.path).name)
        answer = QMessageBox.question(
            self, self.tr("Remove document"), question.replace("%2", document.collection),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return None
        return self.remove_document(document)

    def remove_document(self, document: Document) -> Job:
        """Remove a document from its collection, on the lane (it touches Chroma)."""
        kb = self.kb

        def work() -> Iterator[object]:
            yield Removed(document, kb.remove(document))

        job = Job(work)
        job.item.connect(self._removed)
        job.failed.connect(self._show_message)
        job.ended.connect(self._removal_ended)
        self._removals[job] = document
        self.remove_button.setEnabled(False)
        return self.runner.submit(job)

    def _removed(self, removed: object) -> None:
        if isinstance(removed, Removed):
            self._drop_state(removed.document.collection, removed.document.path)
            self._refresh()
            self.document_removed.emit(removed.document)

    def _removal_ended(self, job: object) -> None:
        if isinstance(job, Job):
            self._removals.pop(job, None)
        self._update_buttons()

    # ---- what the list shows -----------------------------------------------------------

    def _state(self, collection: str, path: str) -> RowState | None:
        return self._rows.get(collection, {}).get(path)

    def _set_state(self, collection: str, path: str, state: RowState) -> None:
        rows = self._rows.setdefault(collection, {})
        previous = rows.get(path)
        if previous is not None and state.status in IN_FLIGHT:
            # a stored document worked on again keeps its figures until it is done
            state = replace(state, pages=previous.pages, chunks=previous.chunks,
                            document_id=previous.document_id)  # fmt: skip
        rows[path] = state
        if collection == self.collection:
            self.documents.set_row(path, state)
            self._update_empty()
        if previous is None or previous.status != state.status:
            self.status_changed.emit(path, state.status)

    def _drop_state(self, collection: str, path: str) -> None:
        self._rows.get(collection, {}).pop(path, None)
        if collection == self.collection:
            self.documents.drop_row(path)
            self._update_empty()

    def _show_outcome(self, collection: str, outcome: Outcome) -> None:
        if outcome.status == "removed":
            self._drop_state(collection, outcome.path)
            return
        status = _OUTCOME_STATUS.get(outcome.status, DONE)
        reason, detail = self._reason(outcome.code, outcome.params)
        if status == DUPLICATE:
            detail = self._same_as(outcome.params)
        elif status != FAILED:
            reason = detail = ""
        chunks = outcome.chunks if status in (DONE, UNCHANGED, MOVED) else None
        # A duplicate's document id is its original's; its own row is found on refresh.
        document_id = None if status == DUPLICATE else outcome.document_id
        self._set_state(
            collection,
            outcome.path,
            RowState(status, reason, detail, outcome.pages, chunks, document_id),
        )

    def _same_as(self, params: dict[str, Any] | None) -> str:
        original = Path(str((params or {}).get("original", ""))).name
        return self.tr("same as %1").replace("%1", original)

    def _reason(self, code: str | None, params: dict[str, Any] | None) -> tuple[str, str]:
        """The core's message for a code: in full (the tooltip), and with file names for
        paths (the status column is narrow)."""
        if not code:
            return "", ""
        params = dict(params or {})
        translate = self.services.translate
        short = {k: Path(str(v)).name if k in ("path", "original", "old") and v else v
                 for k, v in params.items()}  # fmt: skip
        return translate(code, **params), translate(code, **short)

    def _stored_state(self, document: Document) -> RowState:
        status = _STORED_STATUS.get(document.status, READY)
        reason, detail = self._reason(document.error_code, document.error_params)
        if status == DUPLICATE:
            detail = self._same_as(document.error_params)
        chunks = document.chunk_count if document.status == "indexed" else None
        return RowState(status, reason, detail, document.pages, chunks, document.id)

    def refresh_documents(self) -> None:
        """Show the collection's stored documents (SQLite), each with what this session
        saw of it (in flight, done, unchanged, failed) over what the store says."""
        name = self.collection
        try:
            stored = self.kb.documents(name)
        except FiresideError:
            stored = []
        seen = self._rows.get(name, {})
        states: dict[str, RowState] = {}
        for document in stored:
            state = self._stored_state(document)
            earlier = seen.get(document.path)
            if earlier is not None and earlier.status != READY:
                indexed = document.status == "indexed"
                state = replace(earlier, document_id=document.id, pages=document.pages,
                                chunks=document.chunk_count if indexed else None)  # fmt: skip
            states[document.path] = state
        for path, earlier in seen.items():  # not stored (yet): in flight, stopped, missing
            if path not in states and earlier.status in (*IN_FLIGHT, STOPPED, FAILED):
                states[path] = earlier
        self._rows[name] = states
        self.documents.show_rows(states)
        self._update_empty()
        self._update_buttons()

    def _update_empty(self) -> None:
        self.empty_label.setVisible(self.documents.topLevelItemCount() == 0)

    def _update_buttons(self, *_args: object) -> None:
        removable = self.documents.selected_document() is not None
        self.remove_button.setEnabled(removable and not self._removals)

    def status_of(self, path: Path | str, collection: str | None = None) -> str | None:
        """The status key of a file's row (queued, reading, embedding, done, failed, …)."""
        state = self._state(collection or self.collection, absolute(path))
        return None if state is None else state.status

    def status_text_of(self, path: Path | str) -> str:
        """What the status column says for a file of the shown collection."""
        state = self.documents.state(absolute(path))
        return "" if state is None else self.documents.status_text(state)

    # ---- messages ----------------------------------------------------------------------

    def _show_message(self, error: object) -> None:
        self.message_label.setText(describe_error(error, self.services.translate))
        self.message_label.show()

    def _clear_message(self) -> None:
        self.message_label.clear()
        self.message_label.hide()
