"""How the window follows its chat model, and the window's model commands.

The loading itself is :class:`desktop.window.model_loader.ModelLoader`'s (a controller
without a widget); this part of the main window shows what it reports — the status line,
the chat page or the welcome, the error bar with *Restart engine* after a crash — and runs
what the menus and dialogs ask: use an installed model, import a GGUF file, restart the
engine. It is the window's own code put in a module of its own, so it uses the window's
helpers (``_say``, ``_show_error``, ``_update_composer``) as the window's methods did.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from core.chat.session import model_key
from core.engine.errors import EngineCrashed
from core.engine.protocol import ModelInfo
from core.errors import FiresideError
from core.models.registry import InstalledModel
from desktop.window.workers import Job

if TYPE_CHECKING:
    from desktop.window.main_window import MainWindow


class ModelPresenter(QObject):
    """Shows the loader's reports in the window; the window's model commands."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.models = window.models
        self.models.loading_started.connect(self._loading)
        self.models.loaded.connect(self._loaded)
        self.models.failed.connect(self._failed)
        self.models.ended.connect(window._update_composer)

    def load_default(self) -> Job | None:
        """Load the default chat model, or welcome the person when none is installed."""
        model = self.models.default_model()
        if model is None:
            self.show_welcome()
            return None
        return self.models.load(model.path)

    def show_welcome(self) -> None:
        self.window.center.setCurrentWidget(self.window.welcome)
        self.window.status_line.no_model_yet()

    def use(self, model_id: str) -> Job | None:
        """Make an installed model the default of its kind and load it if it chats."""
        try:
            model = self.models.use(model_id)
        except FiresideError as exc:
            self.window._show_error(exc)
            return None
        if model.kind == "chat":
            return self.models.load(model.path)
        self.window.conversation.forget_knowledge()
        return None

    def installed(self, model: object) -> None:
        """A chat model the welcome installed is used at once."""
        assert isinstance(model, InstalledModel)
        if model.kind == "chat":
            self.use(model.id)

    def ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, self.tr("Import a GGUF model"), str(Path.home()),
            self.tr("GGUF models (*.gguf)"),
        )  # fmt: skip
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> Job | None:
        """Register a GGUF file the person already has and chat with it."""
        try:
            model = self.window.services.registry.import_file(Path(path))
        except FiresideError as exc:
            self.window._show_error(exc)
            return None
        return self.use(model.id) if model.kind == "chat" else None

    def restart(self) -> Job:
        """A fresh engine process with the models reloaded (after a crash, or on request)."""
        self.window.error_bar.hide()
        self.window.status_line.restarting()
        job = self.models.restart()
        self.window._update_composer()
        return job

    def server_switched(self, info: object) -> None:
        """A request to the local server loaded another chat model: the window shows it
        (the status line names it, and a note says why it changed)."""
        assert isinstance(info, ModelInfo)
        self.models.switched(info)
        self.window._note(self.tr("The local server switched the model to %1 for a request")
                          .replace("%1", info.name or Path(info.path).name))  # fmt: skip

    # ---- what the loader reports -------------------------------------------------------

    def _loading(self, name: str) -> None:
        self.window.status_line.loading(name)
        self.window._update_composer()

    def _loaded(self, info: object) -> None:
        assert isinstance(info, ModelInfo)
        window = self.window
        window.conversation.forget()
        window.chat_view.assistant_name = info.name or self.tr("Assistant")
        window.chat_view.model_key = model_key(info)
        window.center.setCurrentWidget(window.chat_page)
        window.status_line.model(info)
        window.error_bar.hide()
        if window.chat_id is not None:
            window.open_chat(window.chat_id)
        window._update_composer()
        window.model_ready.emit(info)

    def _failed(self, error: object) -> None:
        window = self.window
        message = window._say(error)
        window.status_line.no_model()
        window.error_bar.show_message(message, restart=isinstance(error, EngineCrashed))
        window.error_shown.emit(message)
        window.model_failed.emit(message)
