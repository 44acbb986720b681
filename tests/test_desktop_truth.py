"""Truth in what the window shows (issue 12 §4), on the real window, engine and stores:
a reply keeps the name of the model that wrote it, the embedding-model chooser opens on
embedding models, a Hub that cannot be reached is said in words (never a raw OS error),
"Use in this chat" is remembered for the next chat, a base model is shown as one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from tests.test_desktop import REPLY_MS, ask, make_window


@pytest.fixture
def window(qtbot: QtBot, services: AppServices, gemma_path: Path) -> Iterator[MainWindow]:
    """A window over a home with the Gemma model installed; the model loaded."""
    services.registry.import_file(gemma_path)
    win = make_window(qtbot, services)
    with qtbot.waitSignal(win.model_ready, timeout=REPLY_MS):
        win.start()
    yield win
    win.close()


# ---- a reply keeps its model's name --------------------------------------------------------


@pytest.mark.qwen
def test_a_reply_keeps_the_name_of_the_model_that_wrote_it(
    qtbot: QtBot, window: MainWindow, qwen_path: Path
) -> None:
    gemma = window.model
    assert gemma is not None
    first = ask(qtbot, window, "Hello there.")
    assert first.result is not None
    stored = first.result.message
    assert stored.stats is not None and stored.stats["model"] == gemma.name
    assert stored.stats["model_key"].startswith(Path(gemma.path).name + ":")
    shown = window.chat_view.widget_for(stored.id)
    assert shown is not None and shown.speaker.text() == gemma.name

    qwen = window.services.registry.import_file(qwen_path)
    with qtbot.waitSignal(window.model_ready, timeout=REPLY_MS) as loaded:
        window.use_model(qwen.id)
    qwen_name = loaded.args[0].name
    assert "Qwen" in qwen_name
    # Gemma's reply is still Gemma's, and says it is not the loaded model's.
    old = window.chat_view.widget_for(stored.id)
    assert old is not None
    assert old.speaker.text() == f"{gemma.name} · not the loaded model"

    second = ask(qtbot, window, "And what is your name?")
    assert second.result is not None
    reply = second.result.message
    assert reply.stats is not None and reply.stats["model"] == qwen_name
    new = window.chat_view.widget_for(reply.id)
    assert new is not None and new.speaker.text() == qwen_name
    old = window.chat_view.widget_for(stored.id)
    assert old is not None and old.speaker.text() == f"{gemma.name} · not the loaded model"
