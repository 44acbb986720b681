"""The sidebar of chats: new, grouped by date, search as you type, rename in place, export,
delete with undo.

It reads the chat store directly (listing and searching chats is a quick SQLite query, fine
on the GUI thread) and says what the person picked through signals; the window decides what
opening or starting a chat means.

The chats sit under date headings (Today, Yesterday, Last 7 days, Last 30 days, Older; see
``desktop.chat.date_groups``), which cannot be picked. Search results are not grouped: they
come in the order of how well they match, and a date heading would break that order.
Pointing at a chat shows its Rename and Delete buttons (``RowActions``; not on search
results, whose rows hold a snippet too); Rename edits the title in place (F2 too), Delete
(the Delete key too) moves the chat to the trash and the window offers Undo.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QKeySequence,
    QLinearGradient,
    QPainter,
    QPaintEvent,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.chat.store import Chat, ChatStore
from desktop.chat.date_groups import DateGroup, date_group
from desktop.window.icons import themed_icon

_CHAT_ID = Qt.ItemDataRole.UserRole
_MESSAGE_ID = Qt.ItemDataRole.UserRole + 1
_HEADING = Qt.ItemDataRole.UserRole + 2  # the DateGroup of a heading row
SEARCH_DELAY_MS = 150  # wait for a pause in typing before searching
ICON_SIZE = QSize(16, 16)
FADE = 16  # pixels over which the hover buttons' background fades in


class RowActions(QWidget):
    """Rename and Delete, shown at the right end of the chat under the pointer."""

    rename_requested = Signal(int)
    delete_requested = Signal(int)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("rowActions")
        self.chat_id: int | None = None
        self.rename_button = self._button("rename", self.tr("Rename"))
        self.rename_button.clicked.connect(self._rename)
        self.delete_button = self._button("delete", self.tr("Delete (Undo brings it back)"))
        self.delete_button.clicked.connect(self._delete)
        self.background = QPalette.ColorRole.Base  # the row's: Highlight when selected
        row = QHBoxLayout(self)
        row.setContentsMargins(FADE, 0, 4, 0)
        row.setSpacing(2)
        row.addWidget(self.rename_button)
        row.addWidget(self.delete_button)
        self.hide()

    def _button(self, icon: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(themed_icon(icon))
        button.setIconSize(ICON_SIZE)
        button.setAutoRaise(True)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    def paintEvent(self, event: QPaintEvent) -> None:
        """The row's colour under the buttons, fading in from the left so that the title
        they cover does not end on a hard edge."""
        color = self.palette().color(self.background)
        clear = QColor(color)
        clear.setAlpha(0)
        fade = QLinearGradient(0, 0, FADE, 0)
        fade.setColorAt(0, clear)
        fade.setColorAt(1, color)
        painter = QPainter(self)
        painter.fillRect(QRect(0, 0, FADE, self.height()), fade)
        painter.fillRect(QRect(FADE, 0, self.width() - FADE, self.height()), color)
        painter.end()

    def _rename(self) -> None:
        if self.chat_id is not None:
            self.rename_requested.emit(self.chat_id)

    def _delete(self) -> None:
        if self.chat_id is not None:
            chat_id, self.chat_id = self.chat_id, None
            self.hide()
            self.delete_requested.emit(chat_id)


class ChatListPanel(QWidget):
    """The chats, newest first under date headings; typing in the search box filters by
    title and messages."""

    chat_selected = Signal(int)
    message_selected = Signal(int, int)  # chat id, message id (a search hit inside a chat)
    new_chat_requested = Signal()
    chat_deleted = Signal(int)  # moved to the trash; the window offers Undo
    chat_renamed = Signal(int)
    export_requested = Signal(int)

    def __init__(self, chats: ChatStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chats = chats
        self.current: int | None = None
        self.clock = time.time  # what "today" is; tests may set it
        self.new_button = QPushButton(themed_icon("new-chat"), self.tr("New chat"))
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
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)  # Rename only
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.itemActivated.connect(self._picked)
        self.list.itemClicked.connect(self._picked)
        self.list.itemChanged.connect(self._title_edited)
        self.list.itemDelegate().closeEditor.connect(self._edit_closed)
        self.list.setMouseTracking(True)
        self.list.viewport().installEventFilter(self)
        self.list.verticalScrollBar().valueChanged.connect(self._place_actions)
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)  # not while typing a title
        delete_key.activated.connect(self._delete_current)
        self.row_actions = RowActions(self.list.viewport())
        self.row_actions.rename_requested.connect(self.rename)
        self.row_actions.delete_requested.connect(self.delete)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.new_button, 1)
        self.footer = QHBoxLayout()
        self.footer.setContentsMargins(0, 0, 0, 0)
        self.footer.setSpacing(2)
        self.footer.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addLayout(top)
        layout.addWidget(self.search_box)
        layout.addWidget(self.list, 1)
        layout.addLayout(self.footer)
        self.refresh()

    def add_footer_action(self, action: QAction) -> QToolButton:
        """A button under the list for one of the window's actions (its icon, its tooltip)."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setAutoRaise(True)
        button.setIconSize(QSize(18, 18))
        button.setToolTip(action.text().replace("&", "").rstrip("…"))
        self.footer.insertWidget(self.footer.count() - 1, button)
        return button

    # ---- showing -----------------------------------------------------------------------

    def refresh(self) -> None:
        """List the chats again (all of them, or those matching the search text)."""
        if self.list.state() == QAbstractItemView.State.EditingState:
            return  # never pull the title editor from under the person: its end refreshes
        text = self.search_box.text().strip()
        self.row_actions.hide()
        self.list.blockSignals(True)
        self.list.clear()
        if text:
            self._fill_search(text)
        else:
            self._fill_grouped()
        self._highlight()
        self.list.blockSignals(False)

    def _fill_search(self, text: str) -> None:
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

    def _fill_grouped(self) -> None:
        now = self.clock()
        group: DateGroup | None = None
        for chat in self.chats.list_chats():
            # The store lists by last use, newest first; a chat dated after now sorts first
            # and counts as today.
            its_group = date_group(chat.updated_at, now)
            if group is None or its_group > group:
                group = its_group
                self.list.addItem(self._heading(group))
            self.list.addItem(self._item(chat))

    def heading_text(self, group: DateGroup) -> str:
        return {
            DateGroup.TODAY: self.tr("Today"),
            DateGroup.YESTERDAY: self.tr("Yesterday"),
            DateGroup.LAST_7_DAYS: self.tr("Last 7 days"),
            DateGroup.LAST_30_DAYS: self.tr("Last 30 days"),
            DateGroup.OLDER: self.tr("Older"),
        }[group]

    def _heading(self, group: DateGroup) -> QListWidgetItem:
        item = QListWidgetItem(self.heading_text(group))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # readable, but never picked
        item.setData(_HEADING, int(group))
        font = QFont(self.list.font())
        font.setBold(True)
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        item.setFont(font)
        item.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))
        item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        height = self.list.fontMetrics().height()
        item.setSizeHint(QSize(0, height + (14 if self.list.count() else 4)))
        return item

    def _item(self, chat: Chat) -> QListWidgetItem:
        title = chat.title or self.tr("New chat")
        item = QListWidgetItem(title)
        item.setToolTip(f"{title}\n{_when(chat.updated_at)}")
        item.setData(_CHAT_ID, chat.id)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        item.setSizeHint(QSize(0, self.list.fontMetrics().height() + 12))
        return item

    def headings(self) -> list[str]:
        """The date headings shown now, top to bottom."""
        rows = (self.list.item(r) for r in range(self.list.count()))
        return [item.text() for item in rows if item.data(_HEADING) is not None]

    def groups(self) -> dict[DateGroup, list[int]]:
        """The chats listed under each heading, top to bottom."""
        grouped: dict[DateGroup, list[int]] = {}
        group: DateGroup | None = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(_HEADING) is not None:
                group = DateGroup(item.data(_HEADING))
                grouped[group] = []
            elif group is not None and item.data(_CHAT_ID) is not None:
                grouped[group].append(int(item.data(_CHAT_ID)))
        return grouped

    def changeEvent(self, event: QEvent) -> None:
        """A theme change: the headings take the new palette's quiet colour."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            color = self.palette().color(QPalette.ColorRole.PlaceholderText)
            for row in range(self.list.count()):
                item = self.list.item(row)
                if item.data(_HEADING) is not None:
                    item.setForeground(color)

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

    def item_for(self, chat_id: int) -> QListWidgetItem | None:
        """The row of a listed chat."""
        rows = (self.list.item(r) for r in range(self.list.count()))
        return next((item for item in rows if item.data(_CHAT_ID) == chat_id), None)

    # ---- the buttons of the chat under the pointer ------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list.viewport():
            kind = event.type()
            if kind == QEvent.Type.MouseMove:
                self._hover(event.position().toPoint())  # type: ignore[attr-defined]
            elif kind == QEvent.Type.Leave:
                self.row_actions.hide()
            elif kind == QEvent.Type.Resize:
                self._place_actions()
        return super().eventFilter(watched, event)

    def _hover(self, where: QPoint) -> None:
        item = self.list.itemAt(where)
        searching = bool(self.search_box.text().strip())
        chat_id = None if item is None or searching else item.data(_CHAT_ID)
        if chat_id is None or self.list.state() == QAbstractItemView.State.EditingState:
            self.row_actions.hide()
            return
        self.row_actions.chat_id = int(chat_id)
        self._place_actions()

    def _place_actions(self, *_args: object) -> None:
        actions = self.row_actions
        item = self.item_for(actions.chat_id) if actions.chat_id is not None else None
        if item is None:
            actions.hide()
            return
        rect = self.list.visualItemRect(item)
        actions.adjustSize()
        width = actions.sizeHint().width()
        actions.setGeometry(rect.right() - width + 1, rect.top(), width, rect.height())
        selected = item.isSelected()
        actions.background = QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base
        actions.update()
        actions.show()
        actions.raise_()

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
        rename = QAction(themed_icon("rename"), self.tr("Rename…"), menu)
        rename.triggered.connect(lambda: self.rename(chat_id))
        export = QAction(self.tr("Export…"), menu)
        export.triggered.connect(lambda: self.export_requested.emit(chat_id))
        delete = QAction(themed_icon("delete"), self.tr("Delete"), menu)
        delete.triggered.connect(lambda: self.delete(chat_id))
        menu.addActions([rename, export])
        menu.addSeparator()
        menu.addAction(delete)
        menu.popup(self.list.viewport().mapToGlobal(where))

    def rename(self, chat_id: int, title: str | None = None) -> None:
        """Rename a chat: with a title, at once (blank titles are refused); without, the
        title becomes editable in place (Enter keeps it, Esc leaves it as it was)."""
        if title is None:
            self._edit_title(chat_id)
            return
        title = " ".join(title.split())
        if not title:
            return
        self.chats.rename(chat_id, title[:200])
        self.refresh()
        self.chat_renamed.emit(chat_id)

    def _edit_title(self, chat_id: int) -> None:
        if self.search_box.text().strip():
            self.search_box.clear()
            self._search_timer.stop()
            self.refresh()
        item = self.item_for(chat_id)
        if item is None:
            return
        self.row_actions.hide()
        self.list.blockSignals(True)
        item.setText(self.chats.get_chat(chat_id).title)  # "New chat" is no title to edit
        self.list.blockSignals(False)
        self.list.scrollToItem(item)
        self.list.editItem(item)

    def _title_edited(self, item: QListWidgetItem) -> None:
        chat_id = item.data(_CHAT_ID)
        if chat_id is None:
            return
        title = " ".join(item.text().split())
        if title and title != self.chats.get_chat(int(chat_id)).title:
            QTimer.singleShot(0, lambda: self.rename(int(chat_id), title))

    def _edit_closed(self, *_args: object) -> None:
        """The title editor closed (kept, blank or Esc): list the store's titles again."""
        QTimer.singleShot(0, self.refresh)

    def _delete_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and item.isSelected() and item.data(_CHAT_ID) is not None:
            self.delete(int(item.data(_CHAT_ID)))

    def delete(self, chat_id: int) -> None:
        """Move a chat to the trash; :meth:`restore` brings it back."""
        self.chats.delete(chat_id)
        self.refresh()
        self.chat_deleted.emit(chat_id)

    def restore(self, chat_id: int) -> None:
        self.chats.restore(chat_id)
        self.refresh()


def _when(timestamp: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
    except (OverflowError, OSError, ValueError):
        return ""
