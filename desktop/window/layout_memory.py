"""The window's layout, remembered between starts in ``config/window.ini``: its geometry, the
splitter's column sizes, and whether the chat list and the knowledge panel show."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings

if TYPE_CHECKING:
    from desktop.window.main_window import MainWindow

DEFAULT_SIZE = (1180, 760)


class LayoutMemory:
    """Reads and writes one window's layout file (Qt's INI format, so geometry stays
    Qt's own encoding)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def settings(self) -> QSettings:
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    def restore(self, window: MainWindow) -> None:
        stored = self.settings()
        geometry = stored.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            window.restoreGeometry(geometry)
        else:
            window.resize(*DEFAULT_SIZE)
        splitter = stored.value("splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            window.splitter.restoreState(splitter)
        window.set_knowledge_shown(stored.value("knowledge_shown", "true") in (True, "true"))
        sidebar = stored.value("sidebar_shown", "true") in (True, "true")
        window.sidebar.setVisible(sidebar)
        window.sidebar_action.setChecked(sidebar)

    def save(self, window: MainWindow) -> None:
        stored = self.settings()
        stored.setValue("geometry", window.saveGeometry())
        stored.setValue("splitter", window.splitter.saveState())
        shown = {True: "true", False: "false"}
        stored.setValue("knowledge_shown", shown[window.knowledge_action.isChecked()])
        stored.setValue("sidebar_shown", shown[window.sidebar_action.isChecked()])
        stored.sync()
