"""What every section of the settings window shares: the page contract and small helpers.

A page reads its part of a :class:`~core.settings.Settings` and writes it back (``load`` /
``apply_to``), and says what is wrong with what was typed (``problem``); the dialog
(:mod:`desktop.settings.dialog`) applies all pages at once, only when every page is valid.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from core.settings import Settings


def hint_label(text: str = "") -> QLabel:
    """A quiet explanatory line under a field."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def format_number(value: int) -> str:
    return QLocale().toString(value)


def select_data(combo: QComboBox, data: object) -> bool:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)
    return index >= 0


class SettingsPage(QWidget):
    """One section of the dialog. ``changed`` is emitted whenever something was edited."""

    changed = Signal()

    def load(self, settings: Settings) -> None:
        raise NotImplementedError

    def apply_to(self, settings: Settings) -> Settings:
        """``settings`` with this page's values."""
        raise NotImplementedError

    def problem(self) -> tuple[str, QWidget] | None:
        """What is wrong with the values typed, and the field to go back to."""
        return None
