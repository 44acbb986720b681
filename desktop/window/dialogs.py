"""What the window opens besides itself: the model manager (one, kept while the window
lives, since its downloads and look-ups go on in the background), Settings, About, the
document viewer at a cited passage, a reply's Sources panel, and in the system's viewers the
data folder and the engine log. Settings → Local server shows the window's local server,
whose controller is kept here too (made when first asked for; the server runs only while
the person has it switched on, and stops with the window).

The dialogs are imported when first opened, so the window starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtWidgets import QWidget

from core.models.registry import InstalledModel

if TYPE_CHECKING:
    from desktop.knowledge.viewer import DocumentViewer
    from desktop.models.manager import ModelManagerDialog
    from desktop.server.control import LocalServerControl
    from desktop.window.main_window import MainWindow


class WindowDialogs(QObject):
    """Opens the window's dialogs and folders; links the model manager to the window."""

    note = Signal(str)  # a passing line for the status bar

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.services = window.services
        self.manager: ModelManagerDialog | None = None
        self.settings: QWidget | None = None  # the last Settings dialog opened
        self.viewer: DocumentViewer | None = None  # the document viewer, while it is open
        self._server: LocalServerControl | None = None

    @property
    def local_server(self) -> LocalServerControl:
        """The window's local server: on the window's engine client, the person's chat
        first, and a model a request loads shown in the status line."""
        if self._server is None:
            from desktop.server.control import LocalServerControl

            window = self.window
            conversation = window.conversation
            self._server = LocalServerControl(
                self.services, person_busy=lambda: conversation.busy,
                chat_options=window.models.options, parent=self,
            )  # fmt: skip
            self._server.model_switched.connect(window.presenter.server_switched)
        return self._server

    def open_model_manager(self) -> QWidget:
        from desktop.models.manager import ModelManagerDialog

        manager = self.manager
        if manager is None:
            manager = ModelManagerDialog(self.services, self.window.download_lane, self.window,
                                         tokens=self.services.tokens)  # fmt: skip
            manager.use_requested.connect(self.window.use_model)
            manager.model_installed.connect(self._model_installed)
            self.manager = manager
        manager.show()
        manager.raise_()
        manager.activateWindow()
        return manager

    def open_embedding_models(self, entry: str | None = None) -> QWidget:
        """ "Choose an embedding model…": the model manager on embedding models (installed,
        the catalogue's, and a file the person already has); on the catalogue model
        ``entry`` when one is given (the knowledge panel's suggestion for its languages)."""
        manager = self.open_model_manager()
        if self.manager is not None:
            self.manager.show_embedding_models()
            if entry:
                self.manager.show_entry(entry)
        return manager

    def _model_installed(self, model: object) -> None:
        """A model the manager installed is used at once when it is the first of its kind."""
        assert isinstance(model, InstalledModel)
        window = self.window
        first_chat = model.kind == "chat" and window.model is None and window.loading is None
        first_embedding = model.kind == "embedding" and not self.services.settings.embedding_model
        if first_chat or first_embedding:
            window.use_model(model.id)

    def open_settings(self) -> QWidget:
        from desktop.settings.dialog import SettingsDialog

        dialog = SettingsDialog(self.services, self.window, self.services.tokens,
                                opener=self.window.url_opener,
                                server=self.local_server)  # fmt: skip
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.settings = dialog
        dialog.show()
        return dialog

    def open_about(self) -> QWidget:
        from desktop.window.about import AboutDialog

        dialog = AboutDialog(self.services, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_data_folder(self) -> None:
        self.window.url_opener(QUrl.fromLocalFile(str(self.services.paths.data_dir)))

    def open_engine_log(self) -> None:
        log = self.services.paths.engine_log
        self.window.url_opener(QUrl.fromLocalFile(str(log if log.exists() else log.parent)))

    def open_citation(self, citation: object) -> QWidget | None:
        """Show the cited document at the passage, highlighted, in Fireside's own viewer
        (one viewer window, reused): only a document of the person's own knowledge base. A
        citation's file is otherwise display text (an imported chat can name any local or
        network path)."""
        from core.knowledge.cited import cited_source

        if not isinstance(citation, dict):
            return None
        shown = str(citation.get("file", ""))
        source = cited_source(self.services.knowledge.store, citation)
        if source is None:
            self.note.emit(
                self.tr("Fireside opens only documents in your knowledge base; this source "
                        "is not one of them: %1").replace("%1", shown)
            )  # fmt: skip
            return None
        if not source.path.is_file():
            self.note.emit(
                self.tr("The document is no longer at %1").replace("%1", str(source.path))
            )
            return None
        viewer = self.viewer
        if viewer is None:
            from core.knowledge.readers import ReadLimits
            from desktop.knowledge.viewer import DocumentViewer

            viewer = DocumentViewer(
                self.services.translate, lambda url: self.window.url_opener(url),
                ReadLimits.from_settings(self.services.settings.knowledge), self.window,
            )  # fmt: skip
            viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            viewer.destroyed.connect(self._viewer_closed)
            self.viewer = viewer
        viewer.show_source(source)
        viewer.show()
        viewer.raise_()
        viewer.activateWindow()
        return viewer

    def _viewer_closed(self) -> None:
        self.viewer = None

    def open_sources(self, message: object) -> QWidget | None:
        """The Sources panel of a reply: every retrieved passage, its scores, which ones the
        reply cited; each opens in the viewer."""
        from desktop.knowledge.sources import SourcesDialog

        citations = getattr(message, "citations", None)
        if not citations:
            return None
        dialog = SourcesDialog(citations, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open_requested.connect(self.open_citation)
        dialog.show()
        return dialog

    def shutdown(self) -> None:
        """Stop the local server and the model manager's look-up lane and close the viewer
        (the window is closing)."""
        if self._server is not None:
            self._server.stop()
        if self.viewer is not None:
            self.viewer.close()
        if self.manager is not None:
            self.manager.shutdown()
