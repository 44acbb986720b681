"""A chat to and from a file: export as Markdown or Fireside JSON, import Fireside JSON.

The formats and the checks of an imported file are the core's (``core.chat.export``); here
are the file dialogs that ask where, and the writing of the export.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from core.chat import export
from core.chat.store import Chat, ChatStore


def file_stem(title: str) -> str:
    """A chat title as a file name people recognise (no path or shell characters)."""
    safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip()
    return safe or "chat"


class ChatFiles(QObject):
    """Asks where a chat goes or comes from, and writes an export."""

    def __init__(self, chats: ChatStore, parent: QWidget) -> None:
        super().__init__(parent)
        self.chats = chats
        self.parent_widget = parent

    def ask_export_path(self, chat_id: int) -> tuple[Path, str] | None:
        """Where to export a chat, and as what ("md" or "json"); None when cancelled."""
        title = self.chats.get_chat(chat_id).title or "chat"
        path, _ = QFileDialog.getSaveFileName(
            self.parent_widget, self.tr("Export chat"), str(Path.home() / f"{file_stem(title)}.md"),
            self.tr("Markdown (*.md);;Fireside chat, JSON (*.json)"),
        )  # fmt: skip
        if not path:
            return None
        return Path(path), "json" if path.endswith(".json") else "md"

    def write(self, chat_id: int, path: Path, kind: str) -> str:
        """Write the export (raises OSError); returns what the status line says."""
        if kind == "json":
            text = json.dumps(export.to_json(self.chats, chat_id), ensure_ascii=False, indent=2)
        else:
            text = export.to_markdown(self.chats, chat_id)
        path.write_text(text, encoding="utf-8")
        return self.tr("Exported to %1").replace("%1", str(path))

    def read(self, path: Path) -> Chat:
        """Import a Fireside JSON file as a new chat (raises FiresideError, in words)."""
        return export.import_file(self.chats, path)

    def ask_import_path(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget, self.tr("Import a chat"), str(Path.home()),
            self.tr("Fireside chat, JSON (*.json)"),
        )  # fmt: skip
        return Path(path) if path else None
