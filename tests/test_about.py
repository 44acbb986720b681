"""Help > About: versions (with the engine's llama.cpp build), data folders, copy details."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator, QUrl, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from desktop.window import about
from desktop.window.about import AboutDialog, fireside_version
from desktop.window.services import AppServices

ROOT = Path(__file__).resolve().parent.parent


def _dialog(qtbot: QtBot, services: AppServices) -> AboutDialog:
    dialog = AboutDialog(services)
    qtbot.addWidget(dialog)
    return dialog


def test_version_is_the_installed_one_or_pyprojects(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fireside_version() == importlib.metadata.version("fireside")

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(about.importlib.metadata, "version", not_installed)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert fireside_version() == project["project"]["version"]


def test_shows_versions_and_the_installed_llama_cpp_before_the_engine_starts(
    qtbot: QtBot, services: AppServices
) -> None:
    dialog = _dialog(qtbot, services)
    assert services.client.ready is None  # the dialog did not start the engine
    assert fireside_version() in dialog.version_label.text()
    llama = importlib.metadata.version("llama-cpp-python")
    assert llama in dialog.engine_label.text()
    assert "engine not started" in dialog.engine_label.text()
    assert qVersion() in dialog.qt_label.text()
    assert services.client.ready is None


def test_shows_the_running_engines_build(qtbot: QtBot, services: AppServices) -> None:
    ready = services.client.start()
    dialog = _dialog(qtbot, services)
    assert ready.llama_cpp_version in dialog.engine_label.text()
    assert "not started" not in dialog.engine_label.text()
    assert f"CPU: {ready.system_info}" in dialog.details()
    # pip's build links its CPU code in; a release build names the library it chose
    assert "CPU kernels: built in" in dialog.details().splitlines()


def test_shows_the_engines_devices_and_cpu_only(qtbot: QtBot, services: AppServices) -> None:
    before = _dialog(qtbot, services)
    assert before.devices_label.text() == "known once the engine has started"
    ready = services.client.start()
    dialog = _dialog(qtbot, services)
    lines = dialog.devices_label.text().splitlines()
    assert lines[0] == "CPU only: this llama.cpp build has no GPU backend"
    cpu = ready.devices[0]
    assert lines[1].startswith(f"CPU ({cpu.description}): ") and " free of " in lines[1]
    assert len(lines) == 1 + len(ready.devices)
    assert f"Devices: {lines[0]}" in dialog.details()


def test_data_folders_are_shown_and_open_in_the_file_manager(
    qtbot: QtBot, services: AppServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(about.QDesktopServices, "openUrl", lambda url: opened.append(url))
    dialog = _dialog(qtbot, services)
    shown = {label.text() for label in dialog.findChildren(QLabel)}
    shown |= {path.text() for path in dialog.findChildren(about.PathText)}
    paths = services.paths
    for folder in (paths.data_dir, paths.config_dir, paths.log_dir):
        assert str(folder) in shown
    with qtbot.waitSignal(dialog.folder_opened) as signal:
        dialog.open_buttons["logs"].click()
    assert signal.args == [paths.log_dir]
    assert [url.toLocalFile() for url in opened] == [str(paths.log_dir)]


def test_open_folder_creates_a_missing_folder_first(
    qtbot: QtBot, services: AppServices, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(about.QDesktopServices, "openUrl", lambda url: True)
    dialog = _dialog(qtbot, services)
    missing = tmp_path / "not-yet" / "logs"
    dialog.open_folder(missing)
    assert missing.is_dir()


def test_copy_details_puts_versions_and_folders_on_the_clipboard(
    qtbot: QtBot, services: AppServices
) -> None:
    dialog = _dialog(qtbot, services)
    with qtbot.waitSignal(dialog.details_copied) as signal:
        dialog.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert text == signal.args[0]
    assert text.startswith(f"Fireside {fireside_version()}\n")
    assert importlib.metadata.version("llama-cpp-python") in text
    assert f"Qt: Qt {qVersion()}" in text
    assert f"data: {services.paths.data_dir}" in text
    assert f"logs: {services.paths.log_dir}" in text


class _Marking(QTranslator):
    """Translates every AboutDialog string to itself in brackets: shows what went
    through tr() (and that placeholders are filled after translation)."""

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str:  # fmt: skip
        return f"[{source}]" if context == "AboutDialog" else source


def test_every_visible_string_goes_through_tr(qtbot: QtBot, services: AppServices) -> None:
    translator = _Marking()
    QCoreApplication.installTranslator(translator)
    try:
        dialog = _dialog(qtbot, services)
    finally:
        QCoreApplication.removeTranslator(translator)
    assert dialog.windowTitle() == "[About Fireside]"
    assert dialog.version_label.text() == f"[Version {fireside_version()}]"
    buttons = [
        b.text() for b in dialog.findChildren(QPushButton) if b.text() not in ("Close", "&Close")
    ]
    assert buttons and all(t.startswith("[") and t.endswith("]") for t in buttons), buttons
    assert dialog.engine_label.text().startswith("[llama-cpp-python ")
