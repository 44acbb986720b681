"""The chat view never breaks: nasty content stays inside the view at every width, in both
languages, and every message keeps its buttons visible and clickable (issue 12 §2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from desktop.chat.message_widget import MessageWidget
from desktop.knowledge.jobs import EMBEDDING, RowState
from desktop.window.about import AboutDialog, PathText
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from desktop.window.translations import install_translators
from tests.nasty_chat import write_nasty_chat

WIDTHS = (800, 1180, 1600)


@pytest.fixture(params=["en", "zh_CN"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    install_translators(qapp, request.param)
    yield request.param
    install_translators(qapp, "en")


@pytest.fixture
def nasty_window(qtbot: QtBot, services: AppServices, language: str) -> Iterator[MainWindow]:
    """A window (no model needed) showing the nasty chat, its oldest turn marked unseen."""
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    chat_id, messages = write_nasty_chat(services.chats)
    window.sidebar.refresh()
    window.open_chat(chat_id)
    window.chat_view.set_visibility({messages[0].id: False, messages[1].id: False})
    yield window
    window.close()


def settle(qtbot: QtBot) -> None:
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def outside(widget: QWidget, viewport: QWidget) -> str | None:
    """Why the widget is not horizontally inside the viewport (None when it is)."""
    rect = rect_in(widget, viewport)
    if rect.left() < 0 or rect.right() > viewport.width() - 1:
        return f"{widget.objectName() or type(widget).__name__} at x {rect.left()}..{rect.right()}"
    return None


def action_buttons(widget: MessageWidget) -> list[QToolButton]:
    role = widget.message.role
    buttons = [widget.copy_button]
    buttons.append(widget.edit_button if role == "user" else widget.regenerate_button)
    return buttons


@pytest.mark.parametrize("width", WIDTHS)
def test_nasty_content_stays_inside_the_view(
    qtbot: QtBot, nasty_window: MainWindow, width: int
) -> None:
    window = nasty_window
    window.resize(width, 760)
    settle(qtbot)
    assert window.width() == width
    view = window.chat_view
    viewport = view.scroll.viewport()
    assert view.scroll.horizontalScrollBar().maximum() == 0
    assert len(view.widgets) == 6
    problems = []
    for widget in view.widgets:
        parts = [widget, *widget.bodies, *widget.chip_buttons, *action_buttons(widget)]
        for part in parts:
            reason = outside(part, viewport)
            if reason:
                problems.append(f"{widget.message.role} {widget.message.id}: {reason}")
        for body in widget.bodies:
            too_wide = body.document().size().width() > body.viewport().width() + 1
            if too_wide and not (body.wide and body.horizontalScrollBar().maximum() > 0):
                problems.append(f"message {widget.message.id}: text wider than its block")
    assert problems == []
    reply = view.widgets[3]
    assert len(reply.chip_buttons) == 8
    # The code block keeps its 400-character line and scrolls sideways in its own box.
    code = [b for b in reply.bodies if b.wide and "print(x)" in b.toPlainText()]
    assert len(code) == 1 and code[0].horizontalScrollBar().maximum() > 0
    assert code[0].horizontalScrollBar().isVisible()
    assert code[0].code_copy_button is not None and code[0].code_copy_button.isVisible()
    assert any(b.wide and "column 12" in b.toPlainText() for b in reply.bodies)
    unseen = view.widgets[0]
    assert unseen.note.isVisible()
    assert outside(unseen.note, viewport) is None
    stopped = view.widgets[5]
    assert stopped.note.isVisible() and outside(stopped.note, viewport) is None


@pytest.mark.parametrize("width", WIDTHS)
def test_every_action_button_is_visible_and_takes_a_click(
    qtbot: QtBot, nasty_window: MainWindow, width: int
) -> None:
    window = nasty_window
    window.resize(width, 760)
    settle(qtbot)
    view = window.chat_view
    viewport = view.scroll.viewport()
    for widget in view.widgets:
        # A long code line's own Copy stays at its box's top right.
        code_copies = [b.code_copy_button for b in widget.bodies if b.code_copy_button]
        for button in action_buttons(widget) + widget.chip_buttons + code_copies:
            view.scroll.ensureWidgetVisible(button, 0, 0)
            settle(qtbot)
            rect = rect_in(button, viewport)
            assert button.isVisible() and button.isEnabled(), button.text()
            assert viewport.rect().contains(rect), (button.text(), rect, viewport.rect())
            centre = rect.center()
            assert viewport.childAt(centre) is button or button.isAncestorOf(
                viewport.childAt(centre)
            ), button.text()
            with qtbot.waitSignal(button.clicked, timeout=1000):
                qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            if button in code_copies:
                assert QApplication.clipboard().text() == widget.code_blocks[0]
            window.composer.cancel_edit()


LONG_NAME = "000_a58f9e_quarterly-report-of-the-harbour-lighthouse-keepers-association.pdf"


@pytest.mark.parametrize("width", WIDTHS)
def test_names_elide_in_the_middle_with_the_whole_text_in_tooltips(
    qtbot: QtBot, nasty_window: MainWindow, width: int
) -> None:
    window = nasty_window
    window.resize(width, 760)
    documents = window.knowledge.documents
    path = f"/home/person/Documents/{LONG_NAME}"
    documents.set_row(path, RowState(EMBEDDING, detail="3 / 8", pages=12, chunks=40))
    long_title = "A chat with a very long title about lighthouses, storms and keepers " * 2
    chat_id = window.services.chats.create_chat(long_title.strip()).id
    window.sidebar.refresh()
    settle(qtbot)
    # The chat list never scrolls sideways; a long title is shortened in the middle.
    chats = window.sidebar.list
    assert chats.horizontalScrollBar().maximum() == 0
    item = next(chats.item(r) for r in range(chats.count())
                if chats.item(r).data(Qt.ItemDataRole.UserRole) == chat_id)  # fmt: skip
    assert item.toolTip().startswith(long_title.strip())
    assert chats.textElideMode() == Qt.TextElideMode.ElideMiddle
    # The document's name gets most of the list, its status enough for its first word.
    row = documents.topLevelItem(0)
    header = documents.header()
    assert documents.horizontalScrollBar().maximum() == 0
    assert header.sectionSize(documents.NAME) >= 0.4 * documents.viewport().width()
    status = documents.status_text(documents.state(path))  # type: ignore[arg-type]
    first_word = status.split()[0].rstrip(":…")
    metrics = documents.fontMetrics()
    assert header.sectionSize(documents.STATUS) >= metrics.horizontalAdvance(first_word) + 16
    assert row.toolTip(documents.NAME).startswith(path) and "12" in row.toolTip(documents.NAME)
    assert row.toolTip(documents.STATUS) == status
    # The context gauge's words are whole, beside its bar and not drawn over its fill.
    window.status_line.context(717, 2048)
    settle(qtbot)
    words = window.status_line.context_label
    assert words.text() == "717 / 2048 tokens" or "717" in words.text()
    assert words.isVisible() and not window.gauge.isTextVisible()
    assert words.fontMetrics().horizontalAdvance(words.text()) <= words.contentsRect().width()


def test_the_about_box_shows_long_paths_whole(qtbot: QtBot, services: AppServices) -> None:
    dialog = AboutDialog(services)
    qtbot.addWidget(dialog)
    long_folder = Path("/home/person/" + "a-rather-long-folder-name_without-spaces" * 4)
    dialog.folders["data"] = long_folder
    dialog.findChildren(PathText)[1].setPlainText(str(long_folder))
    dialog.show()
    dialog.resize(520, dialog.height())
    settle(qtbot)
    for path in dialog.findChildren(PathText):
        assert path.isVisible()
        document = path.document()
        assert document.size().width() <= path.viewport().width() + 1, path.text()
        assert document.size().height() <= path.viewport().height() + 1, path.text()
    assert str(long_folder) in {p.text() for p in dialog.findChildren(PathText)}
    assert dialog.height() < 700  # as tall as its lines, not as if each letter had one
