"""The settings page of system prompts: named presets, and the one new chats start with."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.settings import Settings, SystemPromptPreset
from desktop.settings.page import SettingsPage, hint_label, select_data

PRESET_NAME_LIMIT: Final = 60

# ---- system prompts --------------------------------------------------------------------

_TEXT_ROLE: Final = Qt.ItemDataRole.UserRole
_NAME_ROLE: Final = Qt.ItemDataRole.UserRole + 1  # the last accepted name, to undo a bad one


class PresetsPage(SettingsPage):
    """Named system prompts, and the one new chats start with."""

    message = Signal(str)  # a one-line complaint about a name (empty, taken)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setMaximumWidth(220)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(self.tr("What the model is told before every chat…"))
        self.add_button = QPushButton(self.tr("Add"))
        self.rename_button = QPushButton(self.tr("Rename"))
        self.delete_button = QPushButton(self.tr("Delete"))
        self.default_combo = QComboBox()

        buttons = QHBoxLayout()
        for button in (self.add_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        right = QVBoxLayout()
        right.addWidget(self.text, 1)
        lists = QHBoxLayout()
        lists.addLayout(left)
        lists.addLayout(right, 1)
        default_row = QFormLayout()
        default_row.addRow(self.tr("New chats start with:"), self.default_combo)
        column = QVBoxLayout(self)
        column.addLayout(lists, 1)
        column.addLayout(buttons)
        column.addLayout(default_row)
        column.addWidget(hint_label(self.tr("A chat keeps the system prompt it was started with.")))

        self.add_button.clicked.connect(self._add_clicked)
        self.rename_button.clicked.connect(self._rename_clicked)
        self.delete_button.clicked.connect(self.delete_current)
        self.list.currentItemChanged.connect(self._show_current)
        self.list.itemChanged.connect(self._item_edited)
        self.text.textChanged.connect(self._text_edited)
        self.default_combo.currentIndexChanged.connect(self.changed)

    # -- the list ------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for preset in settings.system_prompt_presets:
            self._append(preset.name, preset.text)
        self.list.blockSignals(False)
        self._refresh_defaults(settings.default_preset)
        self.list.setCurrentRow(0 if self.list.count() else -1)
        self._show_current()

    def _append(self, name: str, text: str) -> QListWidgetItem:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        item.setData(_TEXT_ROLE, text)
        item.setData(_NAME_ROLE, name)
        self.list.addItem(item)
        return item

    def names(self) -> list[str]:
        return [self.list.item(i).data(_NAME_ROLE) for i in range(self.list.count())]

    def presets(self) -> tuple[SystemPromptPreset, ...]:
        return tuple(
            SystemPromptPreset(item.data(_NAME_ROLE), item.data(_TEXT_ROLE))
            for item in map(self.list.item, range(self.list.count()))
        )

    def _refresh_defaults(self, chosen: str) -> None:
        self.default_combo.blockSignals(True)
        self.default_combo.clear()
        self.default_combo.addItem(self.tr("No system prompt"), "")
        for name in self.names():
            self.default_combo.addItem(name, name)
        if not select_data(self.default_combo, chosen):
            self.default_combo.setCurrentIndex(0)
        self.default_combo.blockSignals(False)

    def default_name(self) -> str:
        return str(self.default_combo.currentData() or "")

    # -- add, rename, delete -------------------------------------------------------------

    def add_preset(self, name: str | None = None, text: str = "") -> QListWidgetItem:
        """A new preset (a free name like "New preset 2" unless given), made current."""
        wanted = self._clean(name) if name else ""
        if not wanted or wanted in self.names():
            base = wanted or self.tr("New preset")
            wanted, n = base, 2
            while wanted in self.names():
                wanted, n = f"{base} {n}", n + 1
        self.list.blockSignals(True)
        item = self._append(wanted, text)
        self.list.blockSignals(False)
        self._refresh_defaults(self.default_name())
        self.list.setCurrentItem(item)
        self.changed.emit()
        return item

    def rename_current(self, name: str) -> bool:
        """Rename the current preset; False (and a message) for an empty or taken name."""
        item: QListWidgetItem | None = self.list.currentItem()  # None: no row (stubs say never)
        if item is None:
            return False
        old = item.data(_NAME_ROLE)
        new = self._clean(name)
        problem = None
        if not new:
            problem = self.tr("A preset needs a name.")
        elif new != old and new in self.names():
            problem = self.tr("There is already a preset named “%1”.").replace("%1", new)
        self.list.blockSignals(True)
        item.setText(old if problem else new)
        if not problem:
            item.setData(_NAME_ROLE, new)
        self.list.blockSignals(False)
        if problem:
            self.message.emit(problem)
            return False
        default = self.default_name()
        self._refresh_defaults(new if default == old else default)
        self.changed.emit()
        return True

    def delete_current(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        default = self.default_name()
        removed = self.list.takeItem(row)
        gone = removed.data(_NAME_ROLE) if removed is not None else None
        self._refresh_defaults("" if default == gone else default)
        self._show_current()
        self.changed.emit()

    def _add_clicked(self) -> None:
        item = self.add_preset()
        self.list.editItem(item)  # the person names it straight away

    def _rename_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def _item_edited(self, item: QListWidgetItem) -> None:
        """A name typed in the list: accepted, or put back with a message."""
        if item.text() == item.data(_NAME_ROLE):
            return
        if item is not self.list.currentItem():
            self.list.setCurrentItem(item)
        self.rename_current(item.text())

    @staticmethod
    def _clean(name: str) -> str:
        return " ".join(name.split())[:PRESET_NAME_LIMIT]

    # -- the text ------------------------------------------------------------------------

    def _show_current(self, *_: object) -> None:
        item = self.list.currentItem()
        self.text.blockSignals(True)
        self.text.setPlainText(item.data(_TEXT_ROLE) if item is not None else "")
        self.text.blockSignals(False)
        self.text.setEnabled(item is not None)
        self.rename_button.setEnabled(item is not None)
        self.delete_button.setEnabled(item is not None)

    def _text_edited(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.blockSignals(True)
            item.setData(_TEXT_ROLE, self.text.toPlainText())
            self.list.blockSignals(False)
            self.changed.emit()

    def apply_to(self, settings: Settings) -> Settings:
        return replace(
            settings, system_prompt_presets=self.presets(), default_preset=self.default_name()
        )
