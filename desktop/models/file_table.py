"""The model manager's table of a repository's files: quantization, file, size, a memory-fit
badge and a Download button per file (shared by the Recommended and Search pages).
"""

from __future__ import annotations

import functools
from typing import Final

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from core.models.fit import FitAnswer, Verdict
from core.models.units import human_size
from desktop.models.downloads import DownloadBoard
from desktop.models.hub_lookups import RepoDetails
from desktop.window.messages import plain_label

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
        for column in (1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)  # see _fit_badges
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
        self._fit_badges()
        self.update_buttons(board)

    def lookup_failed(self, offline: bool, why: str) -> None:
        """The Hub could not be asked: sizes and fits still waiting say so (and why, in
        their tooltip) instead of "…" forever. Sizes known without the Hub stay."""
        text = self.tr("Not known offline") if offline else self.tr("Unknown")
        for row in range(self.rowCount()):
            size = self.item(row, 1)
            if size is not None and size.text() == "…":
                size.setText(text)
                size.setToolTip(why)
            badge = self.cellWidget(row, 2)
            if isinstance(badge, QLabel) and badge.text() == "…":
                badge.setText(self.tr("Unknown"))
                badge.setToolTip(why)
        self.resizeColumnToContents(1)
        self._fit_badges()

    def _fit_badges(self) -> None:
        """The memory column as wide as its widest badge: a cell widget's text does not
        size its column the way an item's does (a longer word, or Chinese, was cut)."""
        badges = [self.cellWidget(row, 2) for row in range(self.rowCount())]
        widest = max((b.sizeHint().width() for b in badges if b is not None), default=0)
        self.setColumnWidth(2, max(widest + 12, self.horizontalHeader().sectionSizeHint(2)))

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
    details: RepoDetails | None,
    fallback: list[tuple[str, str]] | None = None,
    sizes: dict[str, int] | None = None,
) -> list[FileRow]:
    """Rows for a :class:`FileTable`: from a look-up, or (quantization, file) before one."""
    if details is None:  # sizes the catalogue knows, the rest waits for the Hub
        known = sizes or {}
        return [(quant, name, known.get(quant), None, False) for quant, name in fallback or []]
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
