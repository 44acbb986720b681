"""The look of issue 12 §5 in the real window: the chats grouped by date with hover actions,
empty states that say what to do next, and one icon set drawn in the theme's colours."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QMouseEvent, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QToolButton
from pytestqt.qtbot import QtBot

from desktop.chat.date_groups import DateGroup, date_group
from desktop.chat.message_widget import COMPACT_WIDTH
from desktop.window.empty_state import EmptyChatText
from desktop.window.icons import ICON_FILES, icon_file, themed_icon, tint_color
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from desktop.window.theme import apply_theme
from desktop.window.translations import install_translators

DAY = 86_400.0


@pytest.fixture
def window(qtbot: QtBot, services: AppServices) -> Iterator[MainWindow]:
    """The real window without a model (the sidebar, the panels and the icons need none)."""
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.resize(1180, 760)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[None]:
    install_translators(qapp, "zh_CN")
    yield
    install_translators(qapp, "en")


def noon_today() -> float:
    """Local noon: a day either side is still another calendar day, whatever the DST."""
    return dt.datetime.combine(dt.date.today(), dt.time(12, 0)).timestamp()


def dated_chats(services: AppServices) -> dict[str, int]:
    """Six chats whose last use is set straight in SQLite, one a day in the future."""
    now = noon_today()
    when = {
        "future": now + 2 * DAY,
        "today": now - 60,
        "yesterday": now - DAY,
        "3 days": now - 3 * DAY,
        "20 days": now - 20 * DAY,
        "100 days": now - 100 * DAY,
    }
    ids = {name: services.chats.create_chat(f"Chat {name}").id for name in when}
    with sqlite3.connect(services.chats.path) as db:
        for name, stamp in when.items():
            db.execute("UPDATE chats SET updated_at = ? WHERE id = ?", (stamp, ids[name]))
    return ids


def grouped_window(window: MainWindow) -> dict[str, int]:
    ids = dated_chats(window.services)
    window.sidebar.clock = noon_today
    window.sidebar.refresh()
    return ids


def hover(window: MainWindow, chat_id: int | None, where: QPoint | None = None) -> None:
    """Move the pointer over a chat's row (or to ``where``) in the sidebar's list."""
    chats = window.sidebar.list
    if where is None:
        assert chat_id is not None
        item = window.sidebar.item_for(chat_id)
        assert item is not None
        where = chats.visualItemRect(item).center()
    on_screen = QPointF(chats.viewport().mapToGlobal(where))
    move = QMouseEvent(QEvent.Type.MouseMove, QPointF(where), on_screen, Qt.MouseButton.NoButton,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(chats.viewport(), move)


# ---- the sidebar grouped by date -----------------------------------------------------------


def test_date_groups_by_calendar_day_and_a_future_date_is_today() -> None:
    now = noon_today()
    assert date_group(now + 400 * DAY, now) == DateGroup.TODAY
    assert date_group(now - 11.5 * 3600, now) == DateGroup.TODAY  # 00:30 today
    assert date_group(now - 12.5 * 3600, now) == DateGroup.YESTERDAY  # 23:30 yesterday
    assert date_group(now - 7 * DAY, now) == DateGroup.LAST_7_DAYS
    assert date_group(now - 8 * DAY, now) == DateGroup.LAST_30_DAYS
    assert date_group(now - 31 * DAY, now) == DateGroup.OLDER
    # Dates no calendar holds never raise.
    assert date_group(1e300, now) == DateGroup.TODAY
    assert date_group(-1e300, now) == DateGroup.OLDER
    assert date_group(float("nan"), now) == DateGroup.TODAY


def test_the_sidebar_groups_chats_by_date_under_headings_that_cannot_be_picked(
    qtbot: QtBot, window: MainWindow
) -> None:
    ids = grouped_window(window)
    sidebar = window.sidebar
    assert sidebar.headings() == ["Today", "Yesterday", "Last 7 days", "Last 30 days", "Older"]
    assert sidebar.groups() == {
        DateGroup.TODAY: [ids["future"], ids["today"]],
        DateGroup.YESTERDAY: [ids["yesterday"]],
        DateGroup.LAST_7_DAYS: [ids["3 days"]],
        DateGroup.LAST_30_DAYS: [ids["20 days"]],
        DateGroup.OLDER: [ids["100 days"]],
    }
    # A heading is no chat: clicking it opens nothing and it is never selected.
    heading = sidebar.list.item(0)
    assert not heading.flags() & Qt.ItemFlag.ItemIsSelectable
    opened: list[int] = []
    sidebar.chat_selected.connect(opened.append)
    qtbot.mouseClick(sidebar.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=sidebar.list.visualItemRect(heading).center())  # fmt: skip
    assert opened == [] and not heading.isSelected()
    yesterday = sidebar.item_for(ids["yesterday"])
    assert yesterday is not None
    qtbot.mouseClick(sidebar.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=sidebar.list.visualItemRect(yesterday).center())  # fmt: skip
    assert opened == [ids["yesterday"]]
    # Search results come by how well they match, without headings.
    sidebar.search_box.setText("Chat")
    qtbot.waitUntil(lambda: sidebar.headings() == [], timeout=5_000)
    assert len(sidebar.chat_ids()) == 6
    sidebar.search_box.clear()
    qtbot.waitUntil(lambda: len(sidebar.headings()) == 5, timeout=5_000)


def test_the_date_headings_in_chinese(window: MainWindow, chinese: None) -> None:
    grouped_window(window)
    assert window.sidebar.headings() == ["今天", "昨天", "最近 7 天", "最近 30 天", "更早"]


def test_hover_shows_rename_and_delete_on_the_row_under_the_pointer(
    qtbot: QtBot, window: MainWindow
) -> None:
    ids = grouped_window(window)
    sidebar = window.sidebar
    actions = sidebar.row_actions
    assert not actions.isVisible()
    hover(window, ids["3 days"])
    assert actions.isVisible() and actions.chat_id == ids["3 days"]
    three_days = sidebar.item_for(ids["3 days"])
    assert three_days is not None
    row = sidebar.list.visualItemRect(three_days)
    assert row.contains(actions.geometry().center())
    assert actions.geometry().right() <= sidebar.list.viewport().width()
    for button in (actions.rename_button, actions.delete_button):
        assert button.isVisible() and not button.icon().isNull() and button.toolTip()
    # Over a heading or off the list, they go.
    hover(window, None, sidebar.list.visualItemRect(sidebar.list.item(0)).center())
    assert not actions.isVisible()
    hover(window, ids["today"])
    assert actions.chat_id == ids["today"]
    QApplication.sendEvent(sidebar.list.viewport(), QEvent(QEvent.Type.Leave))
    assert not actions.isVisible()


def test_rename_from_the_hover_button_edits_the_title_in_place(
    qtbot: QtBot, window: MainWindow
) -> None:
    ids = grouped_window(window)
    window.open_chat(ids["20 days"])
    hover(window, ids["20 days"])
    qtbot.mouseClick(window.sidebar.row_actions.rename_button, Qt.MouseButton.LeftButton)
    editor = window.sidebar.list.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    assert editor.text() == "Chat 20 days"
    editor.selectAll()
    qtbot.keyClicks(editor, "  and storms ")  # typed over the old title
    editor.home(False)
    editor.insert("灯塔 ")  # QTest types Latin-1 only
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    store = window.services.chats
    renamed = "灯塔 and storms"
    qtbot.waitUntil(lambda: store.get_chat(ids["20 days"]).title == renamed, timeout=5_000)
    qtbot.waitUntil(lambda: window.windowTitle() == f"{renamed} — Fireside", timeout=5_000)
    # Renaming counts as using it: it moves to Today, still the one selected.
    sidebar = window.sidebar
    qtbot.waitUntil(lambda: ids["20 days"] in sidebar.groups().get(DateGroup.TODAY, []),
                    timeout=5_000)  # fmt: skip
    item = sidebar.item_for(ids["20 days"])
    assert item is not None and item.isSelected() and item.text() == "灯塔 and storms"
    # Esc leaves the title as it was; a blank title is refused.
    sidebar.rename(ids["yesterday"])
    editor = sidebar.list.findChild(QLineEdit)
    assert editor is not None
    editor.setText("never kept")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    sidebar.rename(ids["3 days"])
    editor = sidebar.list.findChild(QLineEdit)
    assert editor is not None
    editor.setText("   ")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.wait(50)
    assert store.get_chat(ids["yesterday"]).title == "Chat yesterday"
    assert store.get_chat(ids["3 days"]).title == "Chat 3 days"

    def title_shown() -> str | None:
        item = sidebar.item_for(ids["3 days"])
        return None if item is None else item.text()

    qtbot.waitUntil(lambda: title_shown() == "Chat 3 days", timeout=5_000)


def test_delete_from_the_hover_button_is_undone_with_undo(qtbot: QtBot, window: MainWindow) -> None:
    ids = grouped_window(window)
    window.open_chat(ids["today"])
    hover(window, ids["100 days"])
    qtbot.mouseClick(window.sidebar.row_actions.delete_button, Qt.MouseButton.LeftButton)
    sidebar = window.sidebar
    assert ids["100 days"] not in sidebar.chat_ids()
    assert "Older" not in sidebar.headings()  # no heading over nothing
    assert window.services.chats.list_chats(trashed=True)[0].id == ids["100 days"]
    assert window.chat_id == ids["today"]  # another chat than the open one: it stays
    assert window.undo_button.isVisible()
    window.undo_button.click()
    assert ids["100 days"] in sidebar.chat_ids()
    assert window.chat_id == ids["100 days"]
    # The Delete key on the list deletes the chat selected there, the same way.
    sidebar.list.setFocus()
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Delete)
    assert ids["100 days"] not in sidebar.chat_ids() and window.undo_button.isVisible()


# ---- empty states ------------------------------------------------------------------------------


def test_at_800_px_the_welcome_leaves_the_sidebar_room_for_titles(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The welcome's two buttons side by side made its page ~450 px wide, so at 800 px the
    sidebar was squeezed to ~110 px and cut every title; they wrap now."""
    window.start()  # no model installed: the welcome shows
    welcome = window.welcome
    window.resize(800, 760)
    qtbot.waitUntil(lambda: window.width() == 800 and welcome.isVisible())
    QApplication.processEvents()
    assert window.sidebar.width() >= 180, window.sidebar.width()
    page = welcome.rect()
    for button in (welcome.download_button, welcome.import_button):
        corner = button.mapTo(welcome, button.rect().bottomRight())
        assert button.isVisible() and page.contains(corner), button.text()


def test_empty_states_say_what_to_do_and_go_when_there_is_something(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.start()  # no chat yet: a new one opens; no model installed: the welcome shows
    view = window.chat_view
    assert "No model loaded" in view.placeholder.text()
    assert "Model manager" in view.placeholder.text()
    # The chat area with a model loaded, in both languages' words.
    assert "No messages yet" in EmptyChatText().text(loaded=True, loading=False)
    assert "Enter" in EmptyChatText().text(loaded=True, loading=False)
    # The chat's empty state goes with the first message.
    assert window.chat_id is not None
    store = window.services.chats
    store.add_message(window.chat_id, None, "user", "Hello")
    window.open_chat(window.chat_id)
    assert view.placeholder.isHidden() and not view.scroll.isHidden()
    # The knowledge panel: a drop target with one line and Add files… in place of the list.
    panel = window.knowledge
    empty = panel.empty_state
    assert empty.isVisible() and not panel.documents.isVisible()
    assert "Drop files or folders here" in empty.line.text()
    assert empty.button is not None and empty.button.text() == "Add files…"
    assert empty.button.isVisible() and not panel.add_files_button.isVisible()
    assert not empty.icon_label.pixmap().isNull()
    note = tmp_path / "note.md"
    note.write_text("# Harbour\n\nThe keeper logs storms.\n", encoding="utf-8")
    panel.add_paths([note])  # no embedding model: the file waits for one, listed
    qtbot.waitUntil(lambda: panel.documents.topLevelItemCount() == 1, timeout=10_000)
    assert not empty.isVisible() and panel.documents.isVisible()
    assert panel.add_files_button.isVisible()


def test_empty_states_in_chinese(window: MainWindow, chinese: None) -> None:
    texts = EmptyChatText()
    for loaded, loading in ((True, False), (False, True), (False, False)):
        text = texts.text(loaded=loaded, loading=loading)
        assert not any(word in text for word in ("model", "messages", "question"))
    fresh = MainWindow(window.services)
    try:
        assert fresh.knowledge.empty_state.button is not None
        assert fresh.knowledge.empty_state.button.text() == "添加文件…"
        assert "拖" in fresh.knowledge.empty_state.line.text()
        assert [fresh.sidebar.row_actions.rename_button.toolTip()] != ["Rename"]
    finally:
        fresh.close()
        fresh.deleteLater()


# ---- icons ---------------------------------------------------------------------------------


def ink(icon: QIcon, mode: QIcon.Mode = QIcon.Mode.Normal) -> set[str]:
    """The colours of an icon's opaque pixels, drawn at 24 px."""
    image = icon.pixmap(QSize(24, 24), mode).toImage()
    return {image.pixelColor(x, y).name() for x in range(24) for y in range(24)
            if image.pixelColor(x, y).alpha() > 200}  # fmt: skip


def close_to(colours: set[str], wanted: QColor) -> bool:
    return all(abs(QColor(c).lightness() - wanted.lightness()) <= 8 for c in colours)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_icon_exists_and_is_drawn_in_the_themes_text_colour(
    qapp: QApplication, theme: str
) -> None:
    apply_theme(qapp, theme)
    try:
        palette = qapp.palette()
        for name in ICON_FILES:
            assert Path(icon_file(name)).is_file(), name
            icon = themed_icon(name)
            normal = ink(icon)
            assert len(normal) >= 1 and close_to(normal, tint_color(QIcon.Mode.Normal)), name
            disabled = ink(icon, QIcon.Mode.Disabled)
            assert disabled and close_to(disabled, tint_color(QIcon.Mode.Disabled)), name
        text = palette.color(QPalette.ColorRole.ButtonText)
        assert (text.lightness() > 128) == (theme == "dark")
    finally:
        apply_theme(qapp, "system")


def test_an_icon_follows_a_theme_switch_without_being_set_again(
    qapp: QApplication, window: MainWindow
) -> None:
    send = window.composer.send_button.icon()
    try:
        apply_theme(qapp, "light")
        light = ink(send)
        apply_theme(qapp, "dark")
        dark = ink(send)
    finally:
        apply_theme(qapp, "system")
    assert light and dark
    assert max(QColor(c).lightness() for c in light) < 100
    assert min(QColor(c).lightness() for c in dark) > 150


def test_the_main_actions_carry_their_icons(window: MainWindow) -> None:
    menus = window.menus
    shown = {
        "new chat": window.sidebar.new_button.icon(),
        "send": window.composer.send_button.icon(),
        "stop": window.composer.stop_button.icon(),
        "knowledge": window.knowledge_action.icon(),
        "settings": menus.settings_action.icon(),
        "models": menus.models_action.icon(),
        "rename": window.sidebar.row_actions.rename_button.icon(),
        "delete": window.sidebar.row_actions.delete_button.icon(),
        "add files": window.knowledge.add_files_button.icon(),
    }
    assert [name for name, icon in shown.items() if icon.isNull() or not ink(icon)] == []
    # The sidebar's foot has Model manager, the knowledge panel and Settings as buttons.
    foot = window.sidebar.footer
    buttons = [foot.itemAt(i).widget() for i in range(foot.count())]
    footer = [button for button in buttons if isinstance(button, QToolButton)]
    actions = [button.defaultAction() for button in footer]
    assert actions == [menus.models_action, window.knowledge_action, menus.settings_action]
    window.set_knowledge_shown(True)
    footer[1].click()
    assert not window.knowledge.isVisible()


def test_a_messages_buttons_carry_icons_names_beside_them_or_in_the_tooltip(
    qtbot: QtBot, qapp: QApplication, services: AppServices, window: MainWindow
) -> None:
    """Copy, Edit, Regenerate and Sources show the Lucide icons in the theme's colours; a
    wide message names them beside the icon, a narrow one shows icons alone and names them
    in the tooltip (issue 12 §5)."""
    chats = services.chats
    chat = chats.create_chat("icons")
    asked = chats.add_message(chat.id, None, "user", "Where is the harbour?")
    citation = {"n": 1, "file": "harbour.pdf", "page": 2, "snippet": "the harbour", "cited": True}
    chats.add_message(chat.id, asked.id, "assistant", "By the lighthouse [1].",
                      citations=[citation])  # fmt: skip
    window.open_chat(chat.id)
    mine, reply = window.chat_view.widgets
    buttons = [mine.copy_button, mine.edit_button, reply.copy_button,
               reply.regenerate_button, reply.sources_button]  # fmt: skip
    qtbot.waitUntil(lambda: all(b.isVisible() for b in buttons))
    try:
        for theme in ("light", "dark"):
            apply_theme(qapp, theme)
            for button in buttons:
                colours = ink(button.icon())
                assert colours and close_to(colours, tint_color(QIcon.Mode.Normal)), button.text()
        wide = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        assert all(b.toolButtonStyle() == wide for b in buttons)
        window.resize(800, 760)
        qtbot.waitUntil(lambda: reply.width() < COMPACT_WIDTH)
        for button in buttons:
            assert button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
            assert button.toolTip().startswith(button.text() + ": ")
            assert button.isVisible() and button.width() >= button.iconSize().width()
    finally:
        apply_theme(qapp, "system")


def test_the_welcomes_links_follow_a_theme_switch(qapp: QApplication, window: MainWindow) -> None:
    """The welcome (no model yet) reads on dark too: its links were left in the light
    palette's link colour, dark blue on dark grey, after a switch."""
    link = window.welcome.check_link
    link.resize(link.sizeHint())

    def link_ink() -> QColor:
        image = link.grab().toImage()
        pixels = [image.pixelColor(x, y) for x in range(image.width())
                  for y in range(image.height())]  # fmt: skip
        return max(pixels, key=lambda c: c.saturation() * c.alpha())

    try:
        for theme in ("light", "dark"):
            apply_theme(qapp, theme)
            QApplication.processEvents()
            wanted = qapp.palette().color(QPalette.ColorRole.Link)
            drawn = link_ink()
            assert abs(drawn.hue() - wanted.hue()) <= 12, (theme, drawn.name(), wanted.name())
            assert abs(drawn.lightness() - wanted.lightness()) <= 40, (theme, drawn.name())
    finally:
        apply_theme(qapp, "system")
