"""The model manager (Models → Model manager…): recommended models, Hub search, downloads and
installed models.

Everything that touches the network or reads a remote header runs off the GUI thread: Hub
look-ups (``desktop.models.hub_lookups``: search, a repository's files, the memory fit of its
quantizations) on a lane of the dialog's own, so a search never waits behind a 5 GB
download; downloads (``desktop.models.downloads``) on the window's downloads lane, one at a
time, in order, shared with the first-run welcome.

Each tab is a module of its own: ``recommended``, ``search`` (both over ``file_table``),
``downloads_page`` and ``installed``; this one holds only the dialog that joins them.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.errors import FiresideError
from core.models.catalogue import Catalogue
from core.models.fit import FitAdvisor
from core.models.tokens import TokenStore
from core.settings import Settings
from desktop.models.downloads import DownloadBoard
from desktop.models.downloads_page import DownloadRow, DownloadsPage
from desktop.models.embedding_choice import EmbeddingChoice
from desktop.models.hub_lookups import HubAccess, RepoLookups
from desktop.models.installed import InstalledPage
from desktop.models.recommended import RecommendedPage
from desktop.models.search import SearchPage
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner, own_lane


class ModelManagerDialog(QDialog):
    """Models → Model manager…: find, download, follow and manage models.

    Not modal: the window opens it with ``show()`` and the person keeps chatting while a
    model downloads. ``use_requested`` asks the window to make a model the default and load
    it; ``model_installed`` says a download finished or a file was imported.
    """

    model_installed = Signal(object)  # InstalledModel
    use_requested = Signal(str)  # the model's registry id

    def __init__(
        self,
        services: AppServices,
        downloads: JobRunner,
        parent: QWidget | None = None,
        *,
        tokens: TokenStore | None = None,
        catalogue: Catalogue | None = None,
        advisor: FitAdvisor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Models"))
        self.setModal(False)
        self.resize(920, 600)
        self.services = services
        self.access = HubAccess(services, tokens if tokens is not None else TokenStore())
        self.lookups_lane = own_lane(self, "model-lookups")
        self.lookups = RepoLookups(
            services, self.access, self.lookups_lane, advisor or FitAdvisor(), self
        )
        self.board = DownloadBoard.of(downloads, services, self.access)
        translate = services.translate
        self.recommended_page = RecommendedPage(
            catalogue if catalogue is not None else services.catalogue, translate, self.lookups,
            self.board,
        )  # fmt: skip
        self.search_page = SearchPage(translate, self.lookups, self.board)
        self.downloads_page = DownloadsPage(self.board, translate)
        self.installed_page = InstalledPage(services)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.recommended_page, self.tr("Recommended"))
        self.tabs.addTab(self.search_page, self.tr("Search the Hub"))
        self.tabs.addTab(self.downloads_page, self.tr("Downloads"))
        self.tabs.addTab(self.installed_page, self.tr("Installed"))
        # "Choose an embedding model…": the installed ones and a file of one's own, above
        # the catalogue's embedding models (shown only when opened for that).
        self.embedding_choice = EmbeddingChoice(services)
        self.embedding_choice.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.embedding_choice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)

        # What a person clicks, by name (tests drive these).
        self.catalogue_list = self.recommended_page.entry_list
        self.catalogue_files = self.recommended_page.file_table
        self.search_box = self.search_page.search_box
        self.search_button = self.search_page.search_button
        self.search_results = self.search_page.results
        self.search_files = self.search_page.file_table
        self.installed_table = self.installed_page.table
        self.use_button = self.installed_page.use_button
        self.delete_button = self.installed_page.delete_button
        self.import_button = self.installed_page.import_button

        self.recommended_page.download_requested.connect(self._download_requested)
        self.search_page.download_requested.connect(self._download_requested)
        self.downloads_page.count_changed.connect(self._downloads_counted)
        self.installed_page.use_requested.connect(self.use_requested)
        self.embedding_choice.use_requested.connect(self.use_requested)
        self.embedding_choice.model_installed.connect(self._downloaded)
        self.installed_page.model_installed.connect(self.model_installed)
        self.board.model_installed.connect(self._downloaded)
        self._downloads_counted(self.board.active_count)
        services.on_settings_changed_while(self, ModelManagerDialog._settings_changed)

    # ---- for the window and tests ------------------------------------------------------------

    def start_download(self, repo: str, filename: str) -> Job:
        """Start (or resume) downloading a file; its progress shows under Downloads."""
        task = self.board.download(repo, filename, self.access)
        assert task.job is not None
        return task.job

    def show_entry(self, entry_id: str) -> None:
        """Show a catalogue model on the Recommended tab (the one the knowledge panel
        suggests for its documents' languages)."""
        self.tabs.setCurrentWidget(self.recommended_page)
        self.recommended_page.select(entry_id)

    def show_embedding_models(self) -> None:
        """Open on embedding models: the installed ones and "Use a file I already have…"
        at the top, the catalogue's embedding models (only those) on the Recommended tab."""
        self.embedding_choice.refresh()
        self.embedding_choice.show()
        self.tabs.setCurrentWidget(self.recommended_page)
        self.recommended_page.show_kind("embedding")

    def download_row(self, repo: str, filename: str) -> DownloadRow | None:
        return self.downloads_page.row_for(repo, filename)

    def shutdown(self) -> None:
        """Stop the dialog's look-up lane (the window calls it as it closes)."""
        self.lookups_lane.shutdown()

    # ---- inside --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.embedding_choice.hide()  # opened again: every kind, until asked otherwise
        self.recommended_page.show_kind(None)
        self.installed_page.refresh()
        self.recommended_page.select_first()

    @Slot(str, str)
    def _download_requested(self, repo: str, filename: str) -> None:
        try:
            self.start_download(repo, filename)
        except FiresideError as exc:
            QMessageBox.warning(self, self.tr("Download"), exc.message(self.services.translate))

    @Slot(int)
    def _downloads_counted(self, count: int) -> None:
        index = self.tabs.indexOf(self.downloads_page)
        title = self.tr("Downloads (%1)").replace("%1", str(count)) if count else None
        self.tabs.setTabText(index, title or self.tr("Downloads"))

    @Slot(object)
    def _downloaded(self, model: object) -> None:
        self.installed_page.refresh()
        self.model_installed.emit(model)

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if (old.chat_model, old.embedding_model) != (new.chat_model, new.embedding_model):
            self.installed_page.refresh()
            if self.embedding_choice.isVisible():
                self.embedding_choice.refresh()
