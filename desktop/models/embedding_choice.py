"""The top of the model manager when it opens on embedding models ("Choose an embedding
model…" in the knowledge panel): the embedding models already installed, each ready to use,
and a file the person already has — so the choice is made right there, with the catalogue's
embedding models listed under it (the Recommended tab, showing only those).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import FiresideError
from core.models.registry import InstalledModel
from core.models.units import human_size
from desktop.window.messages import describe_error, plain_label
from desktop.window.services import AppServices

_ID: Final = Qt.ItemDataRole.UserRole


class EmbeddingChoice(QWidget):
    """Installed embedding models to use, and "Use a file I already have…"."""

    use_requested = Signal(str)  # the registry id of the embedding model to use
    model_installed = Signal(object)  # InstalledModel: an imported file that is not one

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.models: list[InstalledModel] = []
        title = QLabel(self.tr("Choose an embedding model"))
        font = QFont(title.font())
        font.setBold(True)
        title.setFont(font)
        self.hint = plain_label(
            self.tr(
                "It makes your documents searchable. Use one you have, get one of the "
                "catalogue's below, or use a GGUF file you already have."
            )
        )
        self.list = QListWidget()
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self.list.itemDoubleClicked.connect(self.use_selected)
        self.use_button = QPushButton(self.tr("Use"))
        self.use_button.clicked.connect(self.use_selected)
        self.file_button = QPushButton(self.tr("Use a file I already have…"))
        self.file_button.clicked.connect(self.choose_file)
        self.message_label = plain_label()
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addStretch(1)
        buttons.addWidget(self.file_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.hint)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)

    def refresh(self) -> None:
        """List the installed embedding models, the one in use marked."""
        try:
            models = self.services.registry.models()
        except (FiresideError, OSError) as exc:
            self._say(describe_error(exc, self.services.translate))
            models = []
        self.models = [m for m in models if m.kind == "embedding"]
        current = self.services.settings.embedding_model
        self.list.clear()
        for model in self.models:
            parts = [model.name, model.quantization or "", human_size(model.size)]
            text = " · ".join(p for p in parts if p)
            if model.id == current:
                text += " · " + self.tr("in use")
            item = QListWidgetItem(text)
            item.setData(_ID, model.id)
            item.setToolTip(model.path)
            self.list.addItem(item)
        if not self.models:
            empty = QListWidgetItem(self.tr("No embedding model is installed yet."))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(empty)
        # As tall as its rows (up to four): the catalogue below keeps the room.
        rows = min(max(self.list.count(), 1), 4)
        self.list.setFixedHeight(rows * self.list.sizeHintForRow(0) + 2 * self.list.frameWidth())
        if current is not None:
            self.select(current)
        self._selection_changed()

    def selected(self) -> str | None:
        items = self.list.selectedItems()
        value = items[0].data(_ID) if items else None
        return value if isinstance(value, str) else None

    def select(self, model_id: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(_ID) == model_id:
                self.list.setCurrentRow(row)

    @Slot()
    def _selection_changed(self) -> None:
        self.use_button.setEnabled(self.selected() is not None)

    @Slot()
    def use_selected(self) -> None:
        model_id = self.selected()
        if model_id is not None:
            self.use_requested.emit(model_id)
            self._say("")

    @Slot()
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose an embedding model file"), str(Path.home()),
            self.tr("GGUF models (*.gguf)"),
        )  # fmt: skip
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> InstalledModel | None:
        """Use a GGUF file where it is: an embedding model at once; a chat model is added
        to the models and said to be one."""
        try:
            model = self.services.registry.import_file(path)
        except (FiresideError, OSError) as exc:
            self._say(describe_error(exc, self.services.translate))
            return None
        if model.kind == "embedding":
            self.use_requested.emit(model.id)
            self.refresh()
            self.select(model.id)
            self._say("")
        else:
            self.model_installed.emit(model)
            self._say(
                self.tr(
                    "%1 is a chat model, not an embedding model. It was added to your models."
                ).replace("%1", model.name)
            )
        return model

    def _say(self, text: str) -> None:
        self.message_label.setText(text)
