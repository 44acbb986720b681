"""The status line says where the model runs: the CPU, or the GPU device and its layers."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from core.engine.client import EngineClient
from desktop.window.status_line import StatusLine


def _line(qtbot: QtBot) -> StatusLine:
    window = QMainWindow()
    qtbot.addWidget(window)
    line = StatusLine(window.statusBar(), window)
    line.window = window  # type: ignore[attr-defined]  # kept alive with the line
    return line


def test_a_model_on_this_cpu_build_says_cpu(qtbot: QtBot, gemma_engine: EngineClient) -> None:
    info = gemma_engine.models["chat"]  # the Gemma test model is a base model
    assert info.gpu_layers == 0
    line = _line(qtbot)
    line.model(info)
    assert line.model_label.text().endswith(" · CPU · base model")
    line.model(replace(info, has_chat_template=True))
    assert line.model_label.text().endswith(" · CPU")
    assert "layers" not in line.model_label.text() and line.model_label.toolTip() == ""


def test_a_model_on_a_gpu_says_the_device_and_layers(
    qtbot: QtBot, gemma_engine: EngineClient
) -> None:
    # What the engine reports after loading on a GPU build (ModelInfo as it arrives).
    info = replace(
        gemma_engine.models["chat"], device="Vulkan0", n_layers=18, has_chat_template=True
    )
    line = _line(qtbot)
    line.model(replace(info, gpu_layers=18))
    assert line.model_label.text().endswith(" · Vulkan0, all layers")
    line.model(replace(info, gpu_layers=9, gpu_layers_tried=18))
    assert line.model_label.text().endswith(" · Vulkan0, 9 of 18 layers")
    assert line.model_label.toolTip() == "18 layers on the GPU did not fit; loaded with 9"
