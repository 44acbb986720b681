"""Help > About: what this Fireside is made of and where it keeps the person's data.

A bug report needs the versions (Fireside, the llama.cpp build that runs the models, Qt,
Python, the system), and a person moving to a new computer needs to know which folders hold
their chats and models. This dialog shows both, with a button that opens each folder in the
file manager and one that copies the details as plain text.

It never starts the engine (that takes a process start, too slow for the GUI thread): the
llama.cpp line comes from the engine's greeting when the engine is running, else from
llama-cpp-python's installed version, read from its metadata without importing it.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import math
import platform
import sys
import tomllib
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSize, Qt, QUrl, Signal, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon, QResizeEvent, QTextOption
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from core.models.units import human_size
from desktop.window.resources import resource_path
from desktop.window.services import AppServices

ICON_SIZE = 64
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def fireside_version() -> str:
    """The installed distribution's version; from source without an install, pyproject's."""
    try:
        return importlib.metadata.version("fireside")
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        project = tomllib.loads((_SOURCE_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        return str(project["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "?"


def llama_cpp_python_version() -> str | None:
    """llama-cpp-python's version from its metadata (importing it would load llama.cpp)."""
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return None


class PathText(QTextEdit):
    """A path shown whole: read-only text that wraps anywhere (a long path has no spaces,
    and a word-wrapping label cut it off at the dialog's edge), as tall as its lines at the
    width it is given (height for width). Selecting and copying gives the path as it is."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextEdit { background: transparent; }")
        self.document().setDocumentMargin(0)
        self.setPlainText(text)

    def text(self) -> str:
        return self.toPlainText()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        document = self.document().clone()
        document.setTextWidth(max(width - 2 * self.frameWidth(), 1))
        height = math.ceil(document.size().height()) + 2
        document.deleteLater()
        return height

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Ask for the height the lines need at this width (layouts inside a form do not
        always ask a row for height-for-width)."""
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width())
        if self.minimumHeight() != needed:
            self.setMinimumHeight(needed)

    def sizeHint(self) -> QSize:
        width = self.fontMetrics().horizontalAdvance(self.text()) + 4
        width = min(width, 420)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        return QSize(80, self.fontMetrics().height() + 2)


class AboutDialog(QDialog):
    """Versions, data folders, and a copy of both for bug reports."""

    folder_opened = Signal(Path)  # after asking the desktop to show a folder
    details_copied = Signal(str)  # the text put on the clipboard

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle(self.tr("About Fireside"))
        self.version = fireside_version()

        icon = QLabel()
        icon.setPixmap(QIcon(str(resource_path("icons", "fireside.svg"))).pixmap(ICON_SIZE))
        name = QLabel("Fireside")
        font = name.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        name.setFont(font)
        self.version_label = QLabel(self.tr("Version %1").replace("%1", self.version))
        tagline = QLabel(self.tr("Private, offline chat with local models and your own documents."))
        tagline.setWordWrap(True)
        heading = QVBoxLayout()
        heading.addWidget(name)
        heading.addWidget(self.version_label)
        heading.addWidget(tagline)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(heading, 1)

        self.engine_label = self._value(self._engine_text())
        self.qt_label = self._value(
            self.tr("Qt %1 (PySide6 %2)").replace("%1", qVersion()).replace("%2", pyside_version)
        )
        self.python_label = PathText(f"{platform.python_version()} ({sys.executable})")
        self.system_label = self._value(platform.platform())
        self.devices_label = self._value(self._devices_text())
        built = QGroupBox(self.tr("Built with"))
        built_form = QFormLayout(built)
        built_form.addRow(self.tr("llama.cpp:"), self.engine_label)
        built_form.addRow(self.tr("Devices:"), self.devices_label)
        built_form.addRow(self.tr("Qt:"), self.qt_label)
        built_form.addRow(self.tr("Python:"), self.python_label)
        built_form.addRow(self.tr("System:"), self.system_label)

        paths = services.paths
        self.folders: dict[str, Path] = {
            "data": paths.data_dir,
            "settings": paths.config_dir,
            "logs": paths.log_dir,
        }
        self.open_buttons: dict[str, QPushButton] = {}
        data = QGroupBox(self.tr("Where your data lives"))
        data_form = QFormLayout(data)
        titles = {
            "data": self.tr("Chats, models and documents:"),
            "settings": self.tr("Settings:"),
            "logs": self.tr("Logs:"),
        }
        for key, folder in self.folders.items():
            button = QPushButton(self.tr("Open folder"))
            button.setToolTip(self.tr("Show this folder in the file manager"))
            button.clicked.connect(lambda _=False, f=folder: self.open_folder(f))
            self.open_buttons[key] = button
            row = QHBoxLayout()
            row.addWidget(PathText(str(folder)), 1)
            row.addWidget(button)
            data_form.addRow(titles[key], row)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton(
            self.tr("Copy details"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.copy_button.setToolTip(self.tr("Copy versions and folders, for a bug report"))
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(built)
        layout.addWidget(data)
        layout.addWidget(buttons)

    @staticmethod
    def _value(text: str) -> QLabel:
        label = QLabel(text)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setWordWrap(True)
        return label

    def _engine_text(self) -> str:
        """The llama.cpp build: from the running engine's greeting, else the installed
        llama-cpp-python. ``llama_build`` (ggml's version and commit) is read when the
        engine's greeting carries it."""
        ready = self.services.client.ready
        if ready is not None:
            text = self.tr("llama-cpp-python %1").replace("%1", ready.llama_cpp_version)
            build = getattr(ready, "llama_build", "")
            if build:
                text += " · " + self.tr("build %1").replace("%1", str(build))
            return text
        installed = llama_cpp_python_version()
        if installed is None:
            return self.tr("not installed")
        return self.tr("llama-cpp-python %1 (engine not started)").replace("%1", installed)

    def _devices_text(self) -> str:
        """Whether the build offloads to a GPU, and each device it sees with its memory
        (from the engine's greeting; unknown until the engine has started)."""
        ready = self.services.client.ready
        if ready is None:
            return self.tr("known once the engine has started")
        lines = [
            self.tr("GPU offload: yes")
            if ready.gpu_offload
            else self.tr("CPU only: this llama.cpp build has no GPU backend")
        ]
        for device in ready.devices:
            lines.append(
                self.tr("%1 (%2): %3 free of %4")
                .replace("%1", device.name)
                .replace("%2", device.description)
                .replace("%3", human_size(device.free))
                .replace("%4", human_size(device.total))
            )
        return "\n".join(lines)

    # ---- what the buttons do -----------------------------------------------------------

    def details(self) -> str:
        """Plain text for a bug report: versions, CPU features and folders."""
        lines = [
            f"Fireside {self.version}",
            f"llama.cpp: {self.engine_label.text()}",
            f"Qt: {self.qt_label.text()}",
            f"Python: {self.python_label.text()}",
            f"System: {self.system_label.text()}",
        ]
        lines += [f"Devices: {line}" for line in self.devices_label.text().splitlines()]
        ready = self.services.client.ready
        if ready is not None and ready.system_info:
            lines.append(f"CPU: {ready.system_info}")
        if ready is not None:  # a release build's CPU library, chosen at start
            lines.append(f"CPU kernels: {ready.cpu_variant or 'built in'}")
        lines += [f"{key}: {folder}" for key, folder in self.folders.items()]
        return "\n".join(lines)

    def copy_details(self) -> None:
        text = self.details()
        QGuiApplication.clipboard().setText(text)
        self.details_copied.emit(text)

    def open_folder(self, folder: Path) -> None:
        """Show ``folder`` in the file manager (created first: a fresh install may not have
        written its logs yet)."""
        with contextlib.suppress(OSError):  # the file manager then says what is wrong
            folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        self.folder_opened.emit(folder)
