"""Themes switch live: every rendered message, code block and note stays readable after
Light <-> Dark in Settings, with a chat already open (issue 12 §3, WCAG AA >= 4.5:1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette, QTextCursor
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.chat.message_widget import MessageBody, MessageWidget
from desktop.settings.dialog import SettingsDialog
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from desktop.window.theme import apply_theme
from tests.nasty_chat import write_nasty_chat

AA = 4.5


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def backdrop(widget: MessageWidget, child: QWidget) -> QColor:
    """The colour drawn behind ``child`` (the message's own background, as painted)."""
    image = widget.grab().toImage()
    spot = child.mapTo(widget, child.rect().topLeft())
    return image.pixelColor(max(spot.x() - 4, 0), spot.y() + 1)


def low_contrast(widget: MessageWidget) -> list[str]:
    """Every text run of a message whose colour reads under AA on what is behind it."""
    problems = [p for body in widget.bodies for p in body_low_contrast(widget, body)]
    for label in (widget.speaker, widget.note):
        if label.isVisible():
            colour = label.palette().color(label.foregroundRole())
            ratio = contrast(colour, backdrop(widget, label))
            if ratio < AA:
                problems.append(f"{label.objectName()}: {colour.name()} = {ratio:.2f}")
    return problems


def body_low_contrast(widget: MessageWidget, body: MessageBody) -> list[str]:
    behind = backdrop(widget, body)
    default_text = body.palette().color(QPalette.ColorRole.Text)
    problems = []
    block = body.document().begin()
    while block.isValid():
        cursor = QTextCursor(block)
        table = cursor.currentTable()
        ground = behind
        if table is not None:
            cell = table.cellAt(cursor)
            for brush in (cell.format().background(), table.format().background()):
                if brush.style().value != 0:
                    ground = brush.color()
                    break
        fragment_iter = block.begin()
        while not fragment_iter.atEnd():
            fragment = fragment_iter.fragment()
            if fragment.isValid() and fragment.text().strip():
                brush = fragment.charFormat().foreground()
                colour = brush.color() if brush.style().value != 0 else default_text
                ratio = contrast(colour, ground)
                if ratio < AA:
                    problems.append(
                        f"{widget.message.role} {fragment.text()[:20]!r}: {colour.name()} on "
                        f"{ground.name()} = {ratio:.2f}"
                    )
            fragment_iter += 1
        block = block.next()
    return problems


def code_block_background(widget: MessageWidget) -> QColor:
    """The background of the first code block of a rendered reply."""
    for body in widget.bodies:
        block = body.document().begin()
        while block.isValid():
            table = QTextCursor(block).currentTable()
            if table is not None and "print(x)" in block.text():
                return table.format().background().color()
            block = block.next()
    raise AssertionError("no code block")


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[QApplication]:
    apply_theme(qapp, "light")
    yield qapp
    apply_theme(qapp, "system")


def switch_theme(window: MainWindow, theme: str, qtbot: QtBot) -> None:
    dialog = window.open_settings()
    assert isinstance(dialog, SettingsDialog)
    combo = dialog.appearance_page.theme_combo
    combo.setCurrentIndex(combo.findData(theme))
    assert dialog.apply()
    dialog.close()
    qtbot.wait(50)


def test_switching_themes_restyles_every_rendered_message(
    qtbot: QtBot, services: AppServices, themed: QApplication
) -> None:
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    chat_id, messages = write_nasty_chat(services.chats)
    window.open_chat(chat_id)
    window.chat_view.set_visibility({messages[0].id: False})
    qtbot.wait(50)
    widgets = window.chat_view.widgets
    assert [p for w in widgets for p in low_contrast(w)] == []
    for theme in ("dark", "light", "dark"):
        switch_theme(window, theme, qtbot)
        assert window.chat_view.widgets == widgets  # restyled in place, not rebuilt
        assert [p for w in widgets for p in low_contrast(w)] == [], theme
        # The chat follows the theme, not only the rest of the window.
        for widget in widgets:
            dark_ground = luminance(backdrop(widget, widget.body)) < 0.2
            assert dark_ground == (theme == "dark"), (theme, widget.message.role)
        code = code_block_background(widgets[3])
        assert (luminance(code) < 0.2) == (theme == "dark"), (theme, code.name())
    window.close()


def test_the_use_in_this_chat_boxes_are_visible_in_the_dark(
    qtbot: QtBot, services: AppServices, themed: QApplication
) -> None:
    """A check box's edge must stand out from the list behind it (WCAG's 3:1 for the parts
    of a control); Fusion's own edge is black on near-black in the dark."""
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    window.open_chat(services.chats.create_chat("documents").id)
    boxes = window.knowledge.chat_collections.list
    assert boxes.count() >= 1 and boxes.isEnabled()
    for theme in ("dark", "light"):
        switch_theme(window, theme, qtbot)
        image = boxes.viewport().grab().toImage()
        rect = boxes.visualItemRect(boxes.item(0))
        base = boxes.palette().color(QPalette.ColorRole.Base)
        best = max(
            contrast(image.pixelColor(x, y), base)
            for x in range(rect.left(), rect.left() + rect.height())
            for y in range(rect.top(), rect.bottom())
        )
        assert best >= 3.0, (theme, best)
    window.close()
