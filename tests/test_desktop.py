"""The first window, driven as a person would: open a model, ask, watch the reply stream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.engine.client import EngineClient
from core.i18n import Translator
from core.settings import Settings, replace_sampling
from desktop.main_window import MainWindow
from desktop.resources import resource_path


@pytest.fixture
def window(qtbot: QtBot, engine_log: Path) -> Iterator[MainWindow]:
    client = EngineClient(log_path=engine_log)
    settings = replace_sampling(Settings(), temperature=0.0, max_tokens=12)
    win = MainWindow(client, settings, Translator("en"))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    client.close()


def test_window_starts_without_a_model(window: MainWindow) -> None:
    assert window.windowTitle() == "Fireside"
    assert window.model_label.text() == "No model loaded"
    assert not window.send_button.isEnabled()
    assert resource_path("icons", "fireside.svg").is_file()


def test_open_model_then_chat(window: MainWindow, qtbot: QtBot, gemma_path: Path) -> None:
    # Wait on the window's own signals: they are emitted on the GUI thread.
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.load_model(str(gemma_path))
    assert "Gemma 3 270m" in window.model_label.text()
    assert window.send_button.isEnabled()

    window.composer.setPlainText("Tell me about the sea.")
    pieces: list[str] = []
    window.piece_shown.connect(pieces.append)
    with qtbot.waitSignal(window.reply_finished, timeout=60_000):
        assert window.send() is not None
        assert window.stop_button.isEnabled()
    assert len(pieces) >= 2  # streamed piece by piece
    transcript = window.transcript.toPlainText()
    assert "Tell me about the sea." in transcript
    assert "".join(map(str, pieces)) in transcript
    assert window.history[-1].role == "assistant"
    assert "tokens/s" in window.speed_label.text()
    assert not window.stop_button.isEnabled()


def test_bad_model_shows_a_message(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        "desktop.main_window.QMessageBox.warning", lambda _w, _t, text: shown.append(text)
    )
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all")
    with qtbot.waitSignal(window.error_shown, timeout=10_000):
        window.load_model(str(junk))
    assert shown and "not a GGUF model file" in shown[0]
    assert window.model is None
