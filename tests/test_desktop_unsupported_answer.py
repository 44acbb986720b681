"""A grounded reply that cites none of its sources says so under it, in the person's
language: no excerpt was found to hold what it says (issue 13: citations people can trust)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from desktop.window.translations import install_translators

NOTES = {
    "en": "no source holds this answer: check it before relying on it",
    "zh_CN": "没有资料能印证这个回答，使用前请先核实",
}
SOURCES = [{"n": 1, "file": "/docs/ship.pdf", "page": 1, "snippet": "船长为聂秋帆"}]


@pytest.fixture(params=["en", "zh_CN"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    install_translators(qapp, request.param)
    yield request.param
    install_translators(qapp, "en")


def test_an_uncited_grounded_answer_carries_the_note_and_the_others_do_not(
    qtbot: QtBot, services: AppServices, language: str
) -> None:
    store = services.chats
    chat = store.create_chat("Ship")
    parent = None
    replies = {
        "made up": ("船长聂秋帆的出生年份是1931年。", [{**SOURCES[0], "cited": False}]),
        "cited": ("船长为聂秋帆。[1]", [{**SOURCES[0], "cited": True}]),
        "refusal": ("资料中没有提到。", [{**SOURCES[0], "cited": False}]),
        "plain chat": ("Hello!", []),
    }
    for question, (answer, citations) in replies.items():
        parent = store.add_message(chat.id, parent, "user", question).id
        parent = store.add_message(chat.id, parent, "assistant", answer,
                                   citations=citations).id  # fmt: skip
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    window.open_chat(chat.id)
    widgets = [w for w in window.chat_view.widgets if w.message.role == "assistant"]
    shown = {w.message.content: (w.note.isVisible(), w.note.text()) for w in widgets}
    assert shown["船长聂秋帆的出生年份是1931年。"] == (True, NOTES[language])
    for content in ("船长为聂秋帆。[1]", "资料中没有提到。", "Hello!"):
        assert not shown[content][0], content
    window.close()
