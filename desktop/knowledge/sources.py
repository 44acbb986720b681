"""The Sources panel of one reply: every passage retrieved for it, and why.

People trust an answer from their documents when they can see what was looked up: every
retrieved chunk with its keyword score (BM25 over words and Chinese bigrams), its vector
score (cosine similarity of the embeddings) and the combined rank score that ordered them,
which ones the reply actually cited, and a button to open each in the document viewer.
Replies written before the scores were kept show a dash; so does a side that did not find
the chunk at all. A Rerank column appears when the citations carry a ``rerank_score`` (the
optional reranking stage of issue 13 §4, which Fireside does not have yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.window.messages import plain_label

DASH: Final = "—"
NUMBER, CITED, SOURCE, KEYWORD, VECTOR, COMBINED, RERANK, PASSAGE, OPEN = range(9)


def score_text(value: Any, digits: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DASH
    return f"{value:.{digits}f}"


class SourcesDialog(QDialog):
    """One reply's sources; ``open_requested`` carries the citation to show."""

    open_requested = Signal(object)  # the citation dict

    def __init__(self, citations: Sequence[dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setModal(False)
        self.setWindowTitle(self.tr("Sources of this reply"))
        self.resize(900, 420)
        self.citations = list(citations)
        cited = sum(1 for c in self.citations if c.get("cited"))
        summary = self.tr(
            "%1 passages were retrieved for this reply; it cites %2 of them (in bold). "
            "Keyword: how well the words match (BM25). Vector: how close the meaning "
            "is (cosine similarity, up to 1). Combined: the rank both give together."
        )
        if any(c.get("whole") for c in self.citations):  # documents read whole (issue 16)
            summary = self.tr(
                "The documents were read whole for this reply. %1 passages gave notes (the "
                "Passage column shows each note); the reply cites %2 of them (in bold)."
            )
        self.summary = plain_label(
            summary.replace("%1", str(len(self.citations))).replace("%2", str(cited))
        )  # fmt: skip
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setHeaderLabels([
            "#", self.tr("Cited"), self.tr("Document"), self.tr("Keyword"), self.tr("Vector"),
            self.tr("Combined"), self.tr("Rerank"), self.tr("Passage"), "",
        ])  # fmt: skip
        header = self.table.header()
        header.setStretchLastSection(False)
        for column in (NUMBER, CITED, SOURCE, KEYWORD, VECTOR, COMBINED, RERANK, OPEN):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PASSAGE, QHeaderView.ResizeMode.Stretch)
        self.table.itemActivated.connect(self._activated)
        self.open_buttons: list[QPushButton] = []
        for citation in self.citations:
            self._add(citation)
        # the reranking stage's score, when a reranker ordered these passages
        self.table.setColumnHidden(RERANK, not any(
            c.get("rerank_score") is not None for c in self.citations))  # fmt: skip
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def _add(self, citation: dict[str, Any]) -> None:
        name = Path(str(citation.get("file", ""))).name
        page = citation.get("page")
        where = (
            self.tr("%1, page %2").replace("%1", name).replace("%2", str(page)) if page else name
        )
        item = QTreeWidgetItem([
            str(citation.get("n", "")),
            self.tr("yes") if citation.get("cited") else "",
            where,
            score_text(citation.get("keyword_score"), 2),
            score_text(citation.get("vector_score"), 3),
            score_text(citation.get("score"), 4),
            score_text(citation.get("rerank_score"), 3),
            str(citation.get("snippet") or ""),
        ])  # fmt: skip
        item.setToolTip(SOURCE, str(citation.get("file", "")))
        item.setToolTip(PASSAGE, str(citation.get("snippet") or ""))
        for column in (KEYWORD, VECTOR, COMBINED, RERANK):
            item.setTextAlignment(
                column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
        if citation.get("cited"):
            bold = QFont(self.font())
            bold.setBold(True)
            for column in range(OPEN):
                item.setFont(column, bold)
        item.setData(NUMBER, Qt.ItemDataRole.UserRole, len(self.open_buttons))
        self.table.addTopLevelItem(item)
        button = QPushButton(self.tr("Open"))
        button.setToolTip(self.tr("Show this passage in its document"))
        button.clicked.connect(lambda _=False, c=citation: self.open_requested.emit(c))
        self.table.setItemWidget(item, OPEN, button)
        self.open_buttons.append(button)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        index = item.data(NUMBER, Qt.ItemDataRole.UserRole)
        if isinstance(index, int) and 0 <= index < len(self.citations):
            self.open_requested.emit(self.citations[index])
