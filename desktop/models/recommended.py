"""The model manager's Recommended page: the curated catalogue, chat and embedding models,
described in the person's language, with each model's files and their memory fit.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.i18n import Translator
from core.models.catalogue import Catalogue, CatalogueEntry, ModelKind
from core.models.units import human_count
from desktop.models.downloads import DownloadBoard
from desktop.models.file_table import FileTable, file_rows
from desktop.models.hub_lookups import RepoDetails, RepoLookups, is_offline
from desktop.window.messages import describe_error, plain_label

_ENTRY: Final = Qt.ItemDataRole.UserRole + 1
_KIND: Final = Qt.ItemDataRole.UserRole + 2


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
            head.setData(_KIND, kind)
            self.entry_list.addItem(head)
            for entry in entries:
                item = QListWidgetItem(f"{entry.name}\n{entry.describe(language)}")
                item.setData(_ENTRY, entry.id)
                item.setData(_KIND, kind)
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

    def show_kind(self, kind: ModelKind | None) -> None:
        """Only the catalogue's models of ``kind`` (None: all), the default one chosen."""
        for row in range(self.entry_list.count()):
            item = self.entry_list.item(row)
            item.setHidden(kind is not None and item.data(_KIND) != kind)
        if kind is not None:
            entries = self.catalogue.of_kind(kind)
            first = self.catalogue.default(kind) or (entries[0] if entries else None)
            if first is not None:
                self.select(first.id)

    def shown_entries(self) -> list[str]:
        """The catalogue ids listed now (not hidden), in order."""
        items = [self.entry_list.item(row) for row in range(self.entry_list.count())]
        return [str(i.data(_ENTRY)) for i in items if i.data(_ENTRY) and not i.isHidden()]

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
        rows = file_rows(details, list(entry.files.items()), entry.sizes)
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
            why = describe_error(error, self.translate)
            self.status_label.setText(why)
            self.file_table.lookup_failed(is_offline(error), why)

    @Slot(object)
    def _task_changed(self, _task: object) -> None:
        self.file_table.update_buttons(self.board)
