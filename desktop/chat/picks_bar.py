"""Above the message box: the documents the next question reads whole, and what a drop left.

The picks (``desktop/chat/document_picks.py``) are chips that wrap like a reply's citation
chips, each with an × that takes its document out. A drop of files that are not documents
of the chat's collections gets one line saying so, with *Add to this chat* when Fireside
can read them. The bar shows nothing, and takes no room, when neither is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from desktop.chat.document_picks import DropResult, PickedDocument
from desktop.chat.flow_layout import FlowLayout

CHIP_NAME_WIDTH = 180  # pixels: a longer file name is shortened in the middle
NAMED_FILES = 3  # the notice names this many dropped files, then "…"


class PicksBar(QWidget):
    """The picked documents as removable chips, and the notice about files left out."""

    remove_requested = Signal(int)  # a picked document's id
    add_requested = Signal(list)  # list[Path]: the files the notice offered to add

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chips: list[QToolButton] = []
        self._addable: list[Path] = []
        self.title = QLabel(self.tr("Read whole for the next question:"))
        self.title.setObjectName("note")
        self.flow = FlowLayout(spacing=4)
        self.flow.addWidget(self.title)
        self.picks_row = QWidget()
        self.picks_row.setLayout(self.flow)

        # The sentence wraps in a narrow chat rather than lose its middle or its names.
        self.notice_label = QLabel()
        self.notice_label.setWordWrap(True)
        self.notice_label.setTextFormat(Qt.TextFormat.PlainText)
        self.add_button = QPushButton(self.tr("Add to this chat"))
        self.add_button.setToolTip(self.tr("Add these files to the documents this chat uses"))
        self.add_button.clicked.connect(self._add)
        self.dismiss_button = QToolButton()
        self.dismiss_button.setText("×")
        self.dismiss_button.setToolTip(self.tr("Dismiss"))
        self.dismiss_button.clicked.connect(self.hide_notice)
        notice_row = QHBoxLayout()
        notice_row.setContentsMargins(0, 0, 0, 0)
        notice_row.addWidget(self.notice_label, 1)
        notice_row.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)
        notice_row.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        self.notice = QWidget()
        self.notice.setLayout(notice_row)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 4)
        column.setSpacing(4)
        column.addWidget(self.picks_row)
        column.addWidget(self.notice)
        self.picks_row.hide()
        self.notice.hide()
        self.hide()

    def show_picks(self, picks: Sequence[PickedDocument]) -> None:
        """Show these documents as the chips (none: the row goes)."""
        for chip in self.chips:
            self.flow.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for pick in picks:
            chip = QToolButton()
            chip.setObjectName("chip")
            name = chip.fontMetrics().elidedText(pick.name, Qt.TextElideMode.ElideMiddle,
                                                 CHIP_NAME_WIDTH)  # fmt: skip
            chip.setText(f"{name}  ×")
            chip.setToolTip(self.tr("%1 (%2): click to leave it out of the next question")
                            .replace("%1", pick.path).replace("%2", pick.collection))  # fmt: skip
            chip.setProperty("document_id", pick.document_id)
            chip.clicked.connect(lambda _=False, d=pick.document_id: self.remove_requested.emit(d))
            self.flow.addWidget(chip)
            self.chips.append(chip)
        if self.chips:  # the title on the chips' middle line, not above it
            self.title.setFixedHeight(self.chips[0].sizeHint().height())
            self.title.setAlignment(Qt.AlignmentFlag.AlignVCenter)
        self.picks_row.setVisible(bool(picks))
        self._update_shown()

    def show_drop(self, result: DropResult) -> None:
        """One line about the dropped files that are not in the chat's documents (none:
        the line goes)."""
        self._addable = list(result.addable)
        names = ", ".join(p.name or str(p) for p in result.outside[:NAMED_FILES])
        if len(result.outside) > NAMED_FILES:
            names += ", …"
        if self._addable:
            text = self.tr("Not in this chat's documents: %1")
        else:
            text = self.tr("Not in this chat's documents (not a kind of file Fireside reads): %1")
        self.notice_label.setText(text.replace("%1", names))
        self.add_button.setVisible(bool(self._addable))
        self.notice.setVisible(bool(result.outside))
        self._update_shown()

    def hide_notice(self) -> None:
        self._addable = []
        self.notice.hide()
        self._update_shown()

    def _add(self) -> None:
        paths = self._addable
        self.hide_notice()
        if paths:
            self.add_requested.emit(paths)

    def _update_shown(self) -> None:
        self.setVisible(not self.picks_row.isHidden() or not self.notice.isHidden())
