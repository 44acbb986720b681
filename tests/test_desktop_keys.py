"""Keys and live figures (issue 12 §3): Esc stops a reply from anywhere in the window,
Ctrl+, opens Settings on every platform, menus show their shortcuts, Regenerate and Edit
wait while a reply is written, and tokens/s and the context gauge move while it streams.
Real window offscreen, real engine with the Gemma test model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from core.settings import replace_sampling
from desktop.settings.dialog import SettingsDialog
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices

REPLY_MS = 120_000


def active(qtbot: QtBot, window: MainWindow) -> None:
    """Shortcuts go to the active window only."""
    window.activateWindow()
    window.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


@pytest.fixture
def window(qtbot: QtBot, services: AppServices, gemma_path: Path) -> Iterator[MainWindow]:
    """The window with Gemma loaded and a chat holding one earlier turn."""
    services.registry.import_file(gemma_path)
    services.update_settings(replace_sampling(services.settings, max_tokens=400))
    chats = services.chats
    chat = chats.create_chat("keys")
    question = chats.add_message(chat.id, None, "user", "Hello there.")
    chats.add_message(chat.id, question.id, "assistant", "Hello! How can I help?")
    win = MainWindow(services)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.model_ready, timeout=REPLY_MS):
        win.start()
    win.open_chat(chat.id)
    active(qtbot, win)
    yield win
    win.close()


def start_long_reply(qtbot: QtBot, window: MainWindow) -> None:
    window.composer.edit.setPlainText("Write a very long story about a lighthouse keeper.")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.chat_view.stream_text) > 10, timeout=REPLY_MS)


def press_escape_in(qtbot: QtBot, window: MainWindow, target: QWidget) -> None:
    target.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is target, timeout=2000)
    with qtbot.waitSignal(window.reply_finished, timeout=REPLY_MS) as blocker:
        qtbot.keyClick(target, Qt.Key.Key_Escape)
    result = blocker.args[0].result
    assert result.stats.stop_reason == "cancelled"
    assert result.stats.generated_tokens < 400


def test_escape_in_the_chat_view_stops_the_reply_and_figures_move_meanwhile(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = window.chat_view
    start_long_reply(qtbot, window)
    # While it is written: no Edit, Regenerate or version switch anywhere.
    assert view.widgets[0].message.role == "user"
    for widget in view.widgets:
        assert not widget.edit_button.isEnabled()
        assert not widget.regenerate_button.isEnabled()
    # tokens/s and the gauge follow the reply as it streams, not only at its end.
    qtbot.waitUntil(lambda: "tokens/s" in window.speed_label.text(), timeout=REPLY_MS)
    first_gauge = window.gauge.value()
    assert first_gauge > 0 and "/" in window.status_line.context_label.text()
    qtbot.waitUntil(lambda: window.gauge.value() > first_gauge, timeout=REPLY_MS)
    assert window.conversation.busy  # still streaming: these were live figures
    # Esc from a message in the chat, not the message box.
    press_escape_in(qtbot, window, view.widgets[1].body)
    for widget in view.widgets:
        role = widget.message.role
        button = widget.edit_button if role == "user" else widget.regenerate_button
        assert button.isEnabled() and button.isVisible()


def test_escape_in_the_knowledge_panel_stops_the_reply(qtbot: QtBot, window: MainWindow) -> None:
    start_long_reply(qtbot, window)
    # The panel has no documents: its list gives way to the drop target; a button of it.
    press_escape_in(qtbot, window, window.knowledge.add_folder_button)


def test_ctrl_comma_opens_settings_and_menus_show_their_keys(
    qtbot: QtBot, services: AppServices
) -> None:
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    active(qtbot, window)
    window.chat_view.setFocus()
    qtbot.keyClick(window.chat_view, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(SettingsDialog)))
    for dialog in window.findChildren(SettingsDialog):
        dialog.close()
    settings = window.menus.settings_action
    assert QKeySequence("Ctrl+,") in settings.shortcuts()
    assert window.menus.stop_action.shortcut() == QKeySequence("Esc")
    assert not window.menus.stop_action.isEnabled()  # nothing to stop: Esc is left alone
    keyed = [a for m in window.menuBar().findChildren(QWidget) for a in m.actions()
             if not a.shortcut().isEmpty()]  # fmt: skip
    assert len(keyed) >= 10
    assert all(a.isShortcutVisibleInContextMenu() for a in keyed)
