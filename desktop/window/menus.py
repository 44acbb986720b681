"""The main window's menu bar: File, Edit, View, Models, Settings, Help.

Every action calls a method of the window; the ones the window changes later (Undo delete
chat, the two View toggles) are kept here by name. The actions are the window's children,
so their shortcuts work wherever the focus is in the window: Esc stops a reply from the chat,
the sidebar or the knowledge panel, not only from the message box (it is enabled only while
a reply is being written, so Esc keeps its usual meaning otherwise). Settings is Ctrl+, on
every platform: Qt's Preferences key is empty on Linux and Windows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from desktop.chat.transcript_offer import PlainTranscriptOffer
from desktop.window.icons import themed_icon

if TYPE_CHECKING:
    from desktop.window.main_window import MainWindow


class MainMenus(QObject):
    """Builds the window's menus; holds the actions the window updates."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._build()

    def _action(self, text: str, slot: Callable[..., Any],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                checkable: bool = False, icon: str | None = None) -> QAction:  # fmt: skip
        action = QAction(text, self.window)
        if icon is not None:
            action.setIcon(themed_icon(icon))
        if isinstance(shortcut, QKeySequence.StandardKey):
            action.setShortcuts(shortcut)  # all the platform's keys for it
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setShortcutVisibleInContextMenu(True)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        return action

    def _build(self) -> None:
        w = self.window
        bar = w.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.new_chat_action = self._action(self.tr("&New chat"), w.new_chat, "Ctrl+N",
                                            icon="new-chat")  # fmt: skip
        file_menu.addAction(self.new_chat_action)
        file_menu.addAction(self._action(self.tr("&Import chat…"), w.import_chat))
        self.export_action = self._action(self.tr("&Export chat…"), w.export_chat, "Ctrl+E")
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("Add &documents…"), w.knowledge_add_files,
                                         icon="add-files"))  # fmt: skip
        file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("&Quit"), w.close, QKeySequence.StandardKey.Quit))

        edit_menu = bar.addMenu(self.tr("&Edit"))
        self.stop_action = self._action(self.tr("&Stop the reply"), w.stop, "Esc", icon="stop")
        self.stop_action.setEnabled(False)
        w.composer.generating_changed.connect(self.stop_action.setEnabled)
        w.composer.generating_changed.connect(w.chat_view.set_generating)
        edit_menu.addAction(self.stop_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self._action(self.tr("&Copy last reply"), w.copy_last_reply,
                                         "Ctrl+Shift+C", icon="copy"))  # fmt: skip
        edit_menu.addAction(self._action(self.tr("&Rename chat…"), w.rename_chat, "F2",
                                         icon="rename"))  # fmt: skip
        edit_menu.addAction(self._action(self.tr("&Delete chat"), w.delete_chat, icon="delete"))
        self.undo_action = self._action(self.tr("&Undo delete chat"), w.undo_delete)
        self.undo_action.setEnabled(False)
        edit_menu.addAction(self.undo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self._action(self.tr("&Find in chats"), w.focus_search,
                                         QKeySequence.StandardKey.Find))  # fmt: skip

        view_menu = bar.addMenu(self.tr("&View"))
        self.sidebar_action = self._action(self.tr("&Chats"), w.sidebar.setVisible,
                                           "Ctrl+Shift+L", checkable=True)  # fmt: skip
        self.sidebar_action.setChecked(True)
        self.knowledge_action = self._action(self.tr("&Knowledge panel"), w.set_knowledge_shown,
                                             "Ctrl+Shift+K", checkable=True,
                                             icon="knowledge")  # fmt: skip
        self.knowledge_action.setChecked(True)
        view_menu.addActions([self.sidebar_action, self.knowledge_action])

        models_menu = bar.addMenu(self.tr("&Models"))
        self.models_action = self._action(self.tr("&Model manager…"), w.open_model_manager,
                                          "Ctrl+M", icon="models")  # fmt: skip
        models_menu.addAction(self.models_action)
        models_menu.addAction(self._action(self.tr("&Import a GGUF file…"), w.import_model,
                                           QKeySequence.StandardKey.Open))  # fmt: skip
        models_menu.addSeparator()
        models_menu.addAction(self._action(self.tr("&Restart engine"), w.restart_engine))
        models_menu.addSeparator()
        # A refused chat template: the offer of the plain transcript, and its check box here.
        self.transcript_offer = PlainTranscriptOffer(w, models_menu)

        settings_menu = bar.addMenu(self.tr("&Settings"))
        self.settings_action = self._action(self.tr("&Settings…"), w.open_settings, "Ctrl+,",
                                            icon="settings")  # fmt: skip
        preferences = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
        if preferences and preferences[0] != QKeySequence("Ctrl+,"):
            self.settings_action.setShortcuts([QKeySequence("Ctrl+,"), *preferences])
        settings_menu.addAction(self.settings_action)

        # The sidebar's foot shows these three as buttons too (found without the menus).
        self.sidebar_footer = [self.models_action, self.knowledge_action, self.settings_action]

        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self._action(self.tr("Open &data folder"), w.open_data_folder))
        help_menu.addAction(self._action(self.tr("Open engine &log"), w.open_engine_log))
        help_menu.addSeparator()
        help_menu.addAction(self._action(self.tr("&About Fireside"), w.open_about))
