"""The model manager's Installed page: the registry's models; use one, delete one (after
asking), import a GGUF file the person already has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.errors import FiresideError
from core.models.registry import InstalledModel, UnreadableModel
from core.models.units import human_size
from desktop.window.messages import base_model_hint, describe_error, plain_label
from desktop.window.services import AppServices

_REPO: Final = Qt.ItemDataRole.UserRole


class InstalledPage(QWidget):
    """The installed models: use one, delete one (after asking), import a GGUF file."""

    use_requested = Signal(str)
    model_installed = Signal(object)  # InstalledModel, after an import

    COLUMNS: Final = 6

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.models: list[InstalledModel] = []
        self.unreadable: list[UnreadableModel] = []  # files found that are not usable models
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
        self.base_hint = plain_label(base_model_hint())  # when a base model is chosen
        self.base_hint.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.base_hint)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        self.refresh()

    # ---- showing -----------------------------------------------------------------------

    def refresh(self) -> None:
        """List the installed models again (a small JSON file and a look at the folders)."""
        selected = self.selected()
        try:
            listing = self.services.registry.listing()
            self.models, self.unreadable = listing.models, listing.unreadable
        except (FiresideError, OSError) as exc:
            self._say(describe_error(exc, self.services.translate), error=True)
            self.models, self.unreadable = [], []
        settings = self.services.settings
        defaults = {settings.chat_model, settings.embedding_model,
                    settings.knowledge.reranker_model or None}  # fmt: skip
        self.table.setRowCount(len(self.models) + len(self.unreadable))
        self._show_unreadable(len(self.models))
        for row, model in enumerate(self.models):
            kind = {"chat": self.tr("Chat"), "reranker": self.tr("Reranker")}.get(
                model.kind, self.tr("Embedding")
            )
            if model.is_base_model:
                kind = self.tr("Chat · base model")
            cells = [
                model.name, kind, human_size(model.size), model.quantization or "?",
                self.tr("Default") if model.id in defaults else "", model.path,
            ]  # fmt: skip
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(_REPO, model.id)
                if column == 0:
                    item.setToolTip(model.id)
                if column == 1 and model.is_base_model:
                    item.setToolTip(base_model_hint())
                if column == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        if selected is not None:
            self.select(selected.id, quiet=True)
        self._selection_changed()

    def _show_unreadable(self, first_row: int) -> None:
        """GGUF files found that cannot be used, after the models: listed with the reason
        (in the core's words, which name the file and the field at fault), never hidden,
        never selectable (nothing can be done with them here)."""
        say = self.services.translate
        for offset, bad in enumerate(self.unreadable):
            reason = bad.reason(say)
            cells = [Path(bad.path).name, say("models_unreadable_kind"), "", "", "", reason]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(reason)
                self.table.setItem(first_row + offset, column, item)

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
        model = self.selected()
        self.use_button.setEnabled(model is not None)
        self.delete_button.setEnabled(model is not None)
        self.base_hint.setVisible(model is not None and model.is_base_model)

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
