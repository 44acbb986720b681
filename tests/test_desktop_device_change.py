"""A change of device in the Settings dialog, seen in the window (issue 15 §1): the chat
model loads again where the person chose, and the status line says where it runs now.

On this project's CPU build the engine has no GPU, so "Auto" already runs on the CPU and
the check is that choosing "CPU only" and then "Auto" again each reload the model with the
options they stand for, and the status line keeps saying "CPU". Run on a build with a GPU
backend (``.venv-vulkan-wheel/bin/python -m pytest tests/test_desktop_device_change.py``,
lavapipe) the same test sees the model move from the GPU to the CPU and back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.settings.dialog import SettingsDialog
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices

LOAD_MS = 300_000  # lavapipe loads a model slowly


@pytest.fixture
def window(qtbot: QtBot, services: AppServices, gemma_path: Path) -> Iterator[MainWindow]:
    services.registry.import_file(gemma_path)
    win = MainWindow(services)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.model_ready, timeout=LOAD_MS):
        win.start()
    yield win
    win.close()


def _choose(qtbot: QtBot, window: MainWindow, device: str) -> str:
    """Pick ``device`` on the Settings dialog's Device page, apply, wait for the model to
    load again; the status line's text after."""
    dialog = window.open_settings()
    assert isinstance(dialog, SettingsDialog)
    dialog.show_section(dialog.device_page)
    combo = dialog.device_page.device_combo
    index = combo.findData(device)
    assert index >= 0, [combo.itemData(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)
    with qtbot.waitSignal(window.model_ready, timeout=LOAD_MS) as loaded:
        assert dialog.apply()
    dialog.reject()
    info = loaded.args[0]
    return f"{info.device}|{info.gpu_layers}|{window.model_label.text()}"


def test_choosing_a_device_reloads_the_model_there_and_the_status_line_says_so(
    qtbot: QtBot, window: MainWindow, services: AppServices
) -> None:
    ready = services.client.ready
    assert ready is not None and window.model is not None
    gpus = ready.gpus
    start = window.model_label.text()
    if gpus:  # Auto offloads every layer to the first GPU
        assert start.endswith(f" · {gpus[0].name}, all layers · base model"), start
    else:
        assert start.endswith(" · CPU · base model"), start
    n_layers = window.model.n_layers

    device, layers, text = _choose(qtbot, window, "cpu").split("|")
    assert (device, layers) == ("CPU", "0")
    assert text.endswith(" · CPU · base model") and "layers" not in text
    assert services.settings.engine.device == "cpu"

    device, layers, text = _choose(qtbot, window, "auto").split("|")
    assert services.settings.engine.device == "auto"
    if gpus:
        assert (device, int(layers)) == (gpus[0].name, n_layers)
        assert text == start
    else:
        assert (device, layers) == ("CPU", "0") and text == start
