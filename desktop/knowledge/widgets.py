"""The parts of the knowledge panel: the document list, the collection picker, the
per-chat "use in this chat" boxes, the embedding-model line and the progress line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QIcon, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.errors import FiresideError
from core.i18n import Translator
from core.knowledge.collections import check_name
from core.knowledge.ingest import Progress
from core.knowledge.store import DEFAULT_COLLECTION, Collection
from desktop.knowledge.jobs import (
    DONE,
    DUPLICATE,
    EMBEDDING,
    FAILED,
    MOVED,
    QUEUED,
    READING,
    READY,
    STOPPED,
    UNCHANGED,
    WAITING,
    RowState,
)
from desktop.knowledge.language_notice import fill_in

_NAME_ROLE = Qt.ItemDataRole.UserRole
_DOCUMENT_ROLE = Qt.ItemDataRole.UserRole + 1


def shown_name(name: str, default_shown: str) -> str:
    """How a collection is named on screen: the one Fireside makes by itself ("default", the
    name the CLI knows it by too) in the person's language; any other as it was named."""
    return default_shown if name == DEFAULT_COLLECTION else name


# ---- the parts of the panel ----------------------------------------------------------------


NARROW_LIST = 360  # pixels: under this the document list hides its Pages and Chunks columns


class _ElideRight(QStyledItemDelegate):
    """A column whose text is cut at its end (a status reads from its first word)."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


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
        # The name takes what is left and is shortened in the middle (start and extension
        # tell files apart); the status keeps a width of its own that the person can drag,
        # and is shortened at its end. Both have their whole text in the tooltip.
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setItemDelegateForColumn(self.STATUS, _ElideRight(self))
        header = self.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(32)
        header.setSectionResizeMode(self.NAME, QHeaderView.ResizeMode.Stretch)
        for column in (self.PAGES, self.CHUNKS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.STATUS, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(self.STATUS, self._status_width())
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

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A narrow panel shows name and status only; pages and chunks are in the name's
        tooltip then, and come back as columns when the panel is dragged wider."""
        super().resizeEvent(event)
        narrow = self.viewport().width() < NARROW_LIST
        for column in (self.PAGES, self.CHUNKS):
            if self.isColumnHidden(column) != narrow:
                self.setColumnHidden(column, narrow)

    def _status_width(self) -> int:
        """Room for the usual words ("Embedding…", "Searchable"), not for the longest."""
        metrics = self.fontMetrics()
        usual = (self.tr("Embedding…"), self.tr("Searchable"), self.tr("Reading…"))
        return min(max(metrics.horizontalAdvance(w) for w in usual) + 28, 140)

    def status_text(self, state: RowState) -> str:
        word = self._words.get(state.status, state.status)
        text = f"{word}: {state.detail}" if state.detail else word
        if state.recognised:  # a scan or an image: its text may hold recognition errors
            recognised = self.tr("recognised from image")
            text = f"{text} · {recognised}"
        return text

    def paths(self) -> list[str]:
        return list(self._items)

    def state(self, path: str) -> RowState | None:  # type: ignore[override]
        """A row's state by path. (It hides the view's own state(), its edit/drag state,
        which Qt never calls through Python and this list never uses.)"""
        return self._states.get(path)

    def set_row(self, path: str, state: RowState) -> None:
        item = self._items.get(path)
        if item is None:
            item = QTreeWidgetItem()
            item.setData(self.NAME, _NAME_ROLE, path)
            item.setText(self.NAME, Path(path).name or path)
            for column in (self.PAGES, self.CHUNKS):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            self._items[path] = item
            self.addTopLevelItem(item)
        self._states[path] = state
        text = self.status_text(state)
        # The header's own words ("Pages", "Chunks": translated there) for the tooltip.
        counts = [
            f"{self.headerItem().text(column)}: {value}"
            for column, value in ((self.PAGES, state.pages), (self.CHUNKS, state.chunks))
            if value is not None
        ]
        item.setToolTip(self.NAME, "\n".join([path, " · ".join(counts)]) if counts else path)
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
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
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
    whole_changed = Signal(bool)  # "Whole documents" switched on or off for the open chat

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filling = False
        self.label = QLabel(self.tr("Use in this chat:"))
        # Questions read every page of the checked collections (core/knowledge/whole.py).
        self.whole = QCheckBox(self.tr("Whole documents"))
        self.whole.setToolTip(self.tr(
            "Read every page of the checked collections for each question, instead of the "
            "passages that match it best: for summaries and lists. Slower; Stop answers "
            "from what was read so far."))  # fmt: skip
        self.whole.toggled.connect(self._whole_toggled)
        self.list = QListWidget()
        self.list.setMaximumHeight(96)
        self.list.itemChanged.connect(self._item_changed)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.label, 1)
        row.addWidget(self.whole)
        column.addLayout(row)
        column.addWidget(self.list)

    def set_whole(self, on: bool) -> None:
        """Show the open chat's choice without reporting it as a change."""
        self._filling = True
        try:
            self.whole.setChecked(on)
        finally:
            self._filling = False

    def _whole_toggled(self, on: bool) -> None:
        if not self._filling:
            self.whole_changed.emit(on)

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
    """Says in one line that documents need an embedding model, with the way to choose one:
    once files are dropped, the catalogue model that suits their languages and this
    computer's memory (its button opens the model manager on it)."""

    choose_requested = Signal()
    suggested = Signal(str)  # the catalogue id of the suggested embedding model

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry: str | None = None  # the suggested model, once files were dropped
        self._suggestion = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.button = QPushButton(self.tr("Choose an embedding model…"))
        self.button.clicked.connect(self._clicked)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.label)
        column.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)

    def show_missing(self, problem: str | None = None) -> None:
        self.label.setText(problem or self._missing())
        self.show()

    def suggest(self, entry: str, name: str, size: str, languages: str) -> None:
        """The model that suits the dropped documents (their languages, said in words)."""
        self.entry = entry
        self._suggestion = fill_in(
            self.tr("For these documents (%1) this computer can run %2 (%3)."),
            languages, name, size,
        )  # fmt: skip
        self.button.setText(fill_in(self.tr("Get %1…"), name))
        self.show_missing()

    def _missing(self) -> str:
        missing = self.tr("No embedding model is set, so documents cannot be made searchable yet.")
        return f"{missing} {self._suggestion}" if self._suggestion else missing

    def _clicked(self) -> None:
        if self.entry is not None:
            self.suggested.emit(self.entry)
        else:
            self.choose_requested.emit()


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
        self.bar.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.resume_button.hide()
        if first:
            self.bar.setRange(0, 0)
            self.label.setText(self.tr("Looking at the files…"))

    def running(self, progress: Progress) -> None:
        total = max(progress.documents_total, 1)
        self.bar.show()
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
        """No job left. After a stop, Resume is offered beside the bar; after a finished
        job only the summary stays (a full bar left standing was the panel's loudest part)."""
        self.cancel_button.hide()
        self.resume_button.setVisible(can_resume)
        self.bar.setVisible(can_resume)
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
        self.bar.show()
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
