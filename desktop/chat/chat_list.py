"""The sidebar of chats: new, search as you type, rename, export, delete with undo.

It reads the chat store directly (listing and searching chats is a quick SQLite query, fine
on the GUI thread) and says what the person picked through signals; the window decides what
opening or starting a chat means.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.chat.store import Chat, ChatStore

_CHAT_ID = Qt.ItemDataRole.UserRole
_MESSAGE_ID = Qt.ItemDataRole.UserRole + 1
SEARCH_DELAY_MS = 150  # wait for a pause in typing before searching


class ChatListPanel(QWidget):
    """The chats, newest first; typing in the search box filters by title and messages."""

    chat_selected = Signal(int)
    message_selected = Signal(int, int)  # chat id, message id (a search hit inside a chat)
    new_chat_requested = Signal()
    chat_deleted = Signal(int)  # moved to the trash; the window offers Undo
    export_requested = Signal(int)

    def __init__(self, chats: ChatStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chats = chats
        self.current: int | None = None
        self.new_button = QPushButton(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("Start a new chat (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_chat_requested)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(self.tr("Search chats"))
        self.search_box.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search_box.textChanged.connect(self._search_timer.start)
        self.list = QListWidget()
        # Titles never scroll sideways: a long one is shortened in the middle, and its
        # tooltip has it whole.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setWordWrap(False)
        self.list.setUniformItemSizes(False)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.itemActivated.connect(self._picked)
        self.list.itemClicked.connect(self._picked)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addLayout(top)
        layout.addWidget(self.search_box)
        layout.addWidget(self.list, 1)
        self.refresh()

    # ---- showing -----------------------------------------------------------------------

    def refresh(self) -> None:
        """List the chats again (all of them, or those matching the search text)."""
        text = self.search_box.text().strip()
        self.list.blockSignals(True)
        self.list.clear()
        if text:
            seen: set[int] = set()
            for hit in self.chats.search(text):
                if hit.chat_id in seen:
                    continue
                seen.add(hit.chat_id)
                title = hit.chat_title or self.tr("New chat")
                item = QListWidgetItem(f"{title}\n{hit.snippet}")
                item.setToolTip(hit.snippet)
                item.setData(_CHAT_ID, hit.chat_id)
                item.setData(_MESSAGE_ID, hit.message_id)
                self.list.addItem(item)
            if not seen:
                empty = QListWidgetItem(self.tr("No chat matches “%1”").replace("%1", text))
                empty.setFlags(Qt.ItemFlag.NoItemFlags)
                self.list.addItem(empty)
        else:
            for chat in self.chats.list_chats():
                self.list.addItem(self._item(chat))
        self._highlight()
        self.list.blockSignals(False)

    def _item(self, chat: Chat) -> QListWidgetItem:
        title = chat.title or self.tr("New chat")
        item = QListWidgetItem(title)
        item.setToolTip(f"{title}\n{_when(chat.updated_at)}")
        item.setData(_CHAT_ID, chat.id)
        return item

    def select(self, chat_id: int | None) -> None:
        """Mark the chat shown in the window (without emitting ``chat_selected``)."""
        self.current = chat_id
        self.list.blockSignals(True)
        self._highlight()
        self.list.blockSignals(False)

    def _highlight(self) -> None:
        self.list.clearSelection()
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(_CHAT_ID) == self.current:
                item.setSelected(True)
                self.list.setCurrentItem(item)
                break

    def chat_ids(self) -> list[int]:
        """The chats listed now, top to bottom."""
        ids = [self.list.item(r).data(_CHAT_ID) for r in range(self.list.count())]
        return [i for i in ids if i is not None]

    # ---- acting ------------------------------------------------------------------------

    def _picked(self, item: QListWidgetItem) -> None:
        chat_id = item.data(_CHAT_ID)
        if chat_id is None:
            return
        message_id = item.data(_MESSAGE_ID)
        if message_id is not None:
            self.message_selected.emit(int(chat_id), int(message_id))
        else:
            self.chat_selected.emit(int(chat_id))

    def _context_menu(self, where: QPoint) -> None:
        item = self.list.itemAt(where)
        if item is None or item.data(_CHAT_ID) is None:
            return
        chat_id = int(item.data(_CHAT_ID))
        menu = QMenu(self)
        rename = QAction(self.tr("Rename…"), menu)
        rename.triggered.connect(lambda: self.rename(chat_id))
        export = QAction(self.tr("Export…"), menu)
        export.triggered.connect(lambda: self.export_requested.emit(chat_id))
        delete = QAction(self.tr("Delete"), menu)
        delete.triggered.connect(lambda: self.delete(chat_id))
        menu.addActions([rename, export])
        menu.addSeparator()
        menu.addAction(delete)
        menu.popup(self.list.viewport().mapToGlobal(where))

    def rename(self, chat_id: int, title: str | None = None) -> None:
        """Rename a chat (asks for the new title unless given). Blank titles are refused."""
        if title is None:
            current = self.chats.get_chat(chat_id).title
            title, ok = QInputDialog.getText(
                self, self.tr("Rename chat"), self.tr("Title:"), text=current
            )
            if not ok:
                return
        title = " ".join(title.split())
        if not title:
            return
        self.chats.rename(chat_id, title[:200])
        self.refresh()

    def delete(self, chat_id: int) -> None:
        """Move a chat to the trash; :meth:`restore` brings it back."""
        self.chats.delete(chat_id)
        self.refresh()
        self.chat_deleted.emit(chat_id)

    def restore(self, chat_id: int) -> None:
        self.chats.restore(chat_id)
        self.refresh()


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
