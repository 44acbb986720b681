"""The main window: chats on the left, the chat in the middle, knowledge on the right.

It is the shell that wires the parts together and owns the three work lanes (the engine,
the knowledge base, downloads), so a long ingestion or download never holds up a reply and
nothing slow runs on the GUI thread. It holds no chat state of its own beyond which chat is
open: the store is the truth, and after every reply the window shows what the store holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.engine.errors import EngineCrashed, EngineError
from core.engine.protocol import ModelInfo
from core.errors import FiresideError
from core.settings import Settings
from desktop.chat import conversation as talk
from desktop.chat.chat_files import ChatFiles
from desktop.chat.chat_list import ChatListPanel
from desktop.chat.chat_view import ChatView, positions_in
from desktop.chat.composer import Composer
from desktop.chat.conversation import Conversation, ReplyEnded, ReplyStarted, SourcesSkipped
from desktop.knowledge.panel import KnowledgePanel
from desktop.window.chat_drops import ChatDrops
from desktop.window.dialogs import WindowDialogs
from desktop.window.empty_state import EmptyChatText
from desktop.window.error_bar import ErrorBar
from desktop.window.layout_memory import LayoutMemory
from desktop.window.menus import MainMenus
from desktop.window.messages import describe_error
from desktop.window.model_loader import ModelLoader
from desktop.window.model_presenter import ModelPresenter
from desktop.window.page_stack import PageStack
from desktop.window.services import AppServices
from desktop.window.status_line import StatusLine
from desktop.window.workers import Job, JobRunner

if TYPE_CHECKING:
    from desktop.models.welcome import WelcomeWidget

UNDO_SECONDS = 12  # how long "Chat deleted · Undo" stays in the status line
WARM_UP_DELAY_MS = 1000  # the vector index opens this long after start (see start)


class MainWindow(QMainWindow):
    """Fireside's window. Signals are emitted on the GUI thread after the window shows the
    change (tests and the benchmark wait on them)."""

    model_ready = Signal(object)  # ModelInfo
    model_failed = Signal(str)
    chat_opened = Signal(int)
    reply_finished = Signal(object)  # ReplyEnded
    error_shown = Signal(str)

    def __init__(self, services: AppServices) -> None:
        super().__init__()
        self.services = services
        self.chat_id: int | None = None
        self.url_opener = QDesktopServices.openUrl  # replaced in tests
        self._deleted: int | None = None
        self._closed = False

        self.engine_lane = JobRunner(self, "engine")
        self.knowledge_lane = JobRunner(self, "knowledge")
        self.download_lane = JobRunner(self, "downloads")
        self.conversation = Conversation(services, self.engine_lane, self)
        self.models = ModelLoader(services, self.engine_lane, self)
        self.dialogs = WindowDialogs(self)
        self._unsent: talk.UnsentText | None = None  # see _text_returned
        self.chat_files = ChatFiles(services.chats, self)
        self.empty_chat = EmptyChatText(self)

        self.setWindowTitle("Fireside")
        self.setAcceptDrops(False)
        self._build_body()
        self._build_status_line()
        self._build_menus()
        self._connect()
        self.layout_memory = LayoutMemory(services.paths.config_dir / "window.ini")
        self.layout_memory.restore(self)
        services.on_settings_changed(self._settings_changed)

    # ---- building ----------------------------------------------------------------------

    def _build_body(self) -> None:
        services = self.services
        self.sidebar = ChatListPanel(services.chats)
        self.chat_view = ChatView()
        self.composer = Composer()
        self.error_bar = ErrorBar()
        chat_column = QVBoxLayout()
        chat_column.setContentsMargins(0, 0, 0, 0)
        chat_column.setSpacing(0)
        chat_column.addWidget(self.chat_view, 1)
        chat_column.addWidget(self.composer)
        chat_page = QWidget()
        chat_page.setLayout(chat_column)
        self._welcome: WelcomeWidget | None = None  # built when first shown (see welcome)
        self.center = PageStack()  # only as wide as the page shown
        self.center.addWidget(chat_page)
        self.chat_page = chat_page
        # The error bar heads the middle column, so it shows over the welcome page too.
        middle_column = QVBoxLayout()
        middle_column.setContentsMargins(0, 0, 0, 0)
        middle_column.setSpacing(0)
        middle_column.addWidget(self.error_bar)
        middle_column.addWidget(self.center, 1)
        middle = QWidget()
        middle.setLayout(middle_column)
        self.knowledge = KnowledgePanel(services, self.knowledge_lane)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(self.knowledge)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([230, 640, 300])
        self.setCentralWidget(self.splitter)

    def _build_status_line(self) -> None:
        self.status_line = StatusLine(self.statusBar(), self, self.conversation)
        self.status_line.undo_requested.connect(self.undo_delete)
        # What tests and the benchmark read, by name.
        self.model_label = self.status_line.model_label
        self.speed_label = self.status_line.speed_label
        self.gauge = self.status_line.gauge
        self.undo_button = self.status_line.undo_button

    def _build_menus(self) -> None:
        self.menus = MainMenus(self)
        self.new_chat_action = self.menus.new_chat_action
        self.export_action = self.menus.export_action
        self.undo_action = self.menus.undo_action
        self.sidebar_action = self.menus.sidebar_action
        self.knowledge_action = self.menus.knowledge_action
        for action in self.menus.sidebar_footer:
            self.sidebar.add_footer_action(action)

    def _connect(self) -> None:
        self.sidebar.chat_selected.connect(self.open_chat)
        self.sidebar.message_selected.connect(self._open_search_hit)
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.chat_deleted.connect(self._chat_deleted)
        self.sidebar.chat_renamed.connect(self._chat_renamed)
        self.sidebar.export_requested.connect(self.export_chat)
        self.composer.send_requested.connect(self.send)
        self.composer.edit_submitted.connect(self.submit_edit)
        self.composer.stop_requested.connect(self.stop)
        self.composer.edit_last_requested.connect(self.edit_last)
        self.chat_view.regenerate_requested.connect(self.regenerate)
        self.chat_view.edit_requested.connect(self.begin_edit)
        self.chat_view.switch_requested.connect(self.switch_version)
        self.chat_view.citation_activated.connect(self.open_citation)
        self.chat_view.sources_requested.connect(self.dialogs.open_sources)
        self.chat_view.status.connect(self._note)
        self.dialogs.note.connect(self._note)
        self.conversation.prepared.connect(self._prepared)
        self.conversation.reply_started.connect(self._reply_started)
        self.conversation.piece.connect(self.chat_view.add_piece)
        self.conversation.reply_ended.connect(self._reply_ended)
        self.conversation.sources_skipped.connect(self._sources_skipped)
        self.conversation.failed.connect(self._reply_failed)
        self.conversation.text_returned.connect(self._text_returned)
        self.error_bar.restart_button.clicked.connect(self.restart_engine)
        self.presenter = ModelPresenter(self)
        self.drops = ChatDrops(self)  # files dropped on the chat: documents picked, or offered
        self.knowledge.embedding_model_needed.connect(self.dialogs.open_embedding_models)
        self.knowledge.embedding_model_suggested.connect(self.dialogs.open_embedding_models)
        self.knowledge.chat_collections_changed.connect(self._collections_changed)

    @property
    def welcome(self) -> WelcomeWidget:
        """The first-run welcome, built when first needed (with a chat model, never)."""
        if self._welcome is None:
            from desktop.models.welcome import WelcomeWidget

            self._welcome = WelcomeWidget(self.services, self.download_lane,
                                          tokens=self.services.tokens)  # fmt: skip
            self.center.addWidget(self._welcome)
            self._welcome.model_ready.connect(self.presenter.installed)
            self._welcome.browse_requested.connect(self.open_model_manager)
        return self._welcome

    # ---- layout memory -----------------------------------------------------------------

    def _layout_settings(self) -> QSettings:
        return self.layout_memory.settings()

    def save_layout(self) -> None:
        self.layout_memory.save(self)

    def set_knowledge_shown(self, shown: bool) -> None:
        self.knowledge.setVisible(shown)
        self.knowledge_action.setChecked(shown)

    # ---- start -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the newest chat and load the default chat model (or welcome the person);
        meanwhile open the knowledge base's vector index, so that its slow first start
        never lands in the middle of a reply; but only once the window is painted: importing
        Chroma holds Python's lock for a second or more on a busy computer."""
        chats = self.services.chats.list_chats()
        if chats:
            self.open_chat(chats[0].id)
        else:
            self.new_chat()
        self.load_default_model()
        QTimer.singleShot(WARM_UP_DELAY_MS, self, self._warm_up_knowledge)

    def _warm_up_knowledge(self) -> None:
        if self._closed:
            return
        knowledge = self.services.knowledge

        def warm_up() -> Iterator[object]:
            knowledge.warm_up()
            yield from ()

        self.knowledge_lane.run(warm_up)

    def load_default_model(self) -> Job | None:
        return self.presenter.load_default()

    def show_welcome(self) -> None:
        self.presenter.show_welcome()

    # ---- the model (shown by ModelPresenter, loaded by ModelLoader) -------------------

    @property
    def model(self) -> ModelInfo | None:
        """The loaded chat model (None while loading, after a failure or a crash)."""
        return self.models.model

    @property
    def loading(self) -> Job | None:
        return self.models.loading

    def load_model(self, path: str) -> Job | None:
        """Load a chat model in the background; the window stays usable meanwhile.
        Asking again for what is loaded (or loading) already does nothing."""
        return self.models.load(path)

    def use_model(self, model_id: str) -> Job | None:
        return self.presenter.use(model_id)

    def import_model(self) -> None:
        self.presenter.ask_import()

    def import_model_file(self, path: str) -> Job | None:
        return self.presenter.import_file(path)

    def restart_engine(self) -> Job:
        return self.presenter.restart()

    # ---- chats -------------------------------------------------------------------------

    def new_chat(self) -> int | None:
        """Start a new chat (an empty one already open is reused); on a full or read-only
        disk, say so and stay where we are."""
        model = self.model.name if self.model else None
        try:
            chat_id, created = self.conversation.new_chat(self.chat_id, model)
        except FiresideError as exc:
            self._show_error(exc)
            return self.chat_id
        if created:
            self.sidebar.refresh()
            self.open_chat(chat_id)
        self.composer.edit.setFocus()
        return chat_id

    def open_chat(self, chat_id: int) -> None:
        """Show a chat's active branch (the store's truth)."""
        chats = self.services.chats
        try:
            chat = chats.get_chat(chat_id, include_trashed=False)
        except FiresideError as exc:
            self._show_error(exc)
            return
        if self.conversation.busy and chat_id != self.chat_id:
            self.conversation.stop()
        self.chat_id = chat_id
        self.composer.cancel_edit()
        branch = chats.branch(chat_id)
        self.chat_view.show_branch(branch, positions_in(chats.messages(chat_id)))
        self.chat_view.set_placeholder(self._empty_chat_text())
        self._show_context(chat_id)
        self.sidebar.select(chat_id)
        self.knowledge.set_chat(chat_id)
        self.drops.opened(chat_id)
        title = chat.title or self.tr("New chat")
        self.setWindowTitle(f"{title} — Fireside")
        self._update_composer()
        self.chat_opened.emit(chat_id)

    def _empty_chat_text(self) -> str:
        return self.empty_chat.text(loaded=self.model is not None, loading=self.loading is not None)

    def _open_search_hit(self, chat_id: int, message_id: int) -> None:
        """A search hit inside another branch: make that branch active, then show it."""
        chats = self.services.chats
        try:
            chats.set_active_leaf(chat_id, chats.latest_leaf(message_id))
        except FiresideError as exc:
            self._show_error(exc)
            return
        self.open_chat(chat_id)

    def rename_chat(self) -> None:
        """Edit the open chat's title in place in the sidebar (shown if it was hidden)."""
        if self.chat_id is not None:
            self.sidebar.setVisible(True)
            self.sidebar_action.setChecked(True)
            self.sidebar.rename(self.chat_id)

    def _chat_renamed(self, chat_id: int) -> None:
        if chat_id == self.chat_id:
            title = self.services.chats.get_chat(chat_id).title or self.tr("New chat")
            self.setWindowTitle(f"{title} — Fireside")
            self.sidebar.select(chat_id)

    def delete_chat(self) -> None:
        if self.chat_id is not None:
            self.sidebar.delete(self.chat_id)

    def _chat_deleted(self, chat_id: int) -> None:
        self._deleted = chat_id
        self.status_line.offer_undo(UNDO_SECONDS)
        self.undo_action.setEnabled(True)
        if chat_id == self.chat_id:
            self.chat_id = None
            remaining = self.services.chats.list_chats()
            if remaining:
                self.open_chat(remaining[0].id)
            else:
                self.new_chat()

    def undo_delete(self) -> None:
        """Bring back the chat deleted last."""
        if self._deleted is None:
            return
        chat_id, self._deleted = self._deleted, None
        self.sidebar.restore(chat_id)
        self.status_line.withdraw_undo()
        self.undo_action.setEnabled(False)
        self.open_chat(chat_id)

    def focus_search(self) -> None:
        self.sidebar.setVisible(True)
        self.sidebar_action.setChecked(True)
        self.sidebar.search_box.setFocus()
        self.sidebar.search_box.selectAll()

    def export_chat(self, chat_id: int | None = None) -> None:
        chat_id = chat_id if isinstance(chat_id, int) else self.chat_id
        if chat_id is None:
            return
        chosen = self.chat_files.ask_export_path(chat_id)
        if chosen is not None:
            self.export_chat_to(chat_id, *chosen)

    def export_chat_to(self, chat_id: int, path: Path, kind: str) -> None:
        try:
            self._note(self.chat_files.write(chat_id, path, kind))
        except OSError as exc:
            self._show_error(exc)

    def import_chat(self) -> None:
        path = self.chat_files.ask_import_path()
        if path is not None:
            self.import_chat_file(path)

    def import_chat_file(self, path: Path) -> int | None:
        try:
            chat = self.chat_files.read(path)
        except FiresideError as exc:
            self._show_error(exc)
            return None
        self.sidebar.refresh()
        self.open_chat(chat.id)
        return chat.id

    # ---- talking -----------------------------------------------------------------------

    def send(self, text: str) -> Job | None:
        if self.model is None or self.conversation.busy or not text.strip():
            return None
        if self.chat_id is None and self.new_chat() is None:
            self.composer.give_back(text)  # no chat could be made: keep what was typed
            return None
        assert self.chat_id is not None
        self.error_bar.hide()
        job = self.conversation.send(self.chat_id, text, self.drops.take(self.chat_id))
        self._update_composer()
        return job

    def regenerate(self, message_id: int) -> Job | None:
        if self.model is None or self.conversation.busy or self.chat_id is None:
            return None
        job = self.conversation.regenerate(self.chat_id, message_id)
        self._update_composer()
        return job

    def begin_edit(self, message_id: int) -> None:
        try:
            message = self.services.chats.get_message(message_id)
        except FiresideError as exc:
            self._show_error(exc)
            return
        if message.role == "user":
            self.composer.begin_edit(message_id, message.content)

    def edit_last(self) -> None:
        """Up arrow in an empty composer: edit the last thing the person said."""
        mine = self.conversation.last_said(self.chat_id) if self.chat_id is not None else None
        if mine is not None:
            self.composer.begin_edit(mine.id, mine.content)

    def submit_edit(self, message_id: int, text: str) -> Job | None:
        if self.model is None or self.conversation.busy or self.chat_id is None:
            return None
        job = self.conversation.edit(self.chat_id, message_id, text, self.drops.take(self.chat_id))
        self._update_composer()
        return job

    def stop(self) -> None:
        self.conversation.stop()

    def switch_version(self, message_id: int, step: int) -> None:
        """The "‹ 2/3 ›" arrows: show another version; the branch below follows it."""
        if self.conversation.busy or self.chat_id is None:
            return
        try:
            self.services.chats.switch_sibling(message_id, step)
        except FiresideError as exc:
            self._show_error(exc)
            return
        self.open_chat(self.chat_id)

    def copy_last_reply(self) -> None:
        self.chat_view.copy_last_reply()

    def _reply_started(self, started: object) -> None:
        assert isinstance(started, ReplyStarted)
        self.drops.asked(started.chat_id)  # the picked documents it read are used up
        if started.chat_id != self.chat_id:
            return
        self.chat_view.begin_reply(started.parent)
        self.sidebar.refresh()  # a first message names the chat
        self._update_composer()

    def _reply_ended(self, ended: object) -> None:
        assert isinstance(ended, ReplyEnded)
        self.chat_view.end_reply()
        result = ended.result
        if result is not None:
            stats = result.stats
            self.status_line.speed(stats.decode_tps)
        if ended.chat_id == self.chat_id:
            self.open_chat(ended.chat_id)
        self.sidebar.refresh()
        self._update_composer()
        self.reply_finished.emit(ended)

    def _text_returned(self, unsent: object) -> None:
        """A turn failed before its message was stored: the text goes back into the box
        once the failure has reopened the chat (which ends any edit)."""
        self._unsent = unsent if isinstance(unsent, talk.UnsentText) else None

    def _reply_failed(self, error: object) -> None:
        self.chat_view.end_reply()
        message = self._say(error)
        crashed = isinstance(error, EngineCrashed) or (
            isinstance(error, EngineError) and not self.services.client.alive
        )
        if crashed:
            self.models.engine_stopped()
            self.status_line.engine_stopped()
        self.error_bar.show_message(message, restart=crashed)
        if self.chat_id is not None:
            self.open_chat(self.chat_id)  # what was saved of the reply stays
        unsent, self._unsent = self._unsent, None
        if unsent is not None and unsent.chat_id == self.chat_id:
            self.composer.give_back(unsent.text, unsent.editing)
        self._update_composer()
        self.error_shown.emit(message)

    def _sources_skipped(self, skipped: object) -> None:
        assert isinstance(skipped, SourcesSkipped)
        self._note(self.tr("Answered without your documents: %1").replace(
            "%1", self._say(skipped.reason)))  # fmt: skip

    def _prepared(self, chat_id: int) -> None:
        if chat_id == self.chat_id:
            self._show_context(chat_id)

    def _show_context(self, chat_id: int) -> None:
        """The context gauge and the "no longer seen" marks, from the chat's session."""
        session = self.conversation.session(chat_id)
        if session is None and self.model is not None and not self.conversation.busy:
            self.conversation.prepare(chat_id)  # shown when ``prepared`` arrives
        if session is None or session.last_prompt is None:
            self.status_line.context_empty(self.model.n_ctx if self.model else 0)
            self.chat_view.set_visibility({})
            return
        self.status_line.context(*session.gauge())
        self.chat_view.set_visibility(session.visibility())

    def _update_composer(self) -> None:
        generating = self.conversation.busy
        self.chat_view.set_placeholder(self._empty_chat_text())  # loading, loaded, none
        self.composer.set_state(can_send=self.model is not None and self.loading is None,
                                generating=generating)  # fmt: skip

    # ---- knowledge ---------------------------------------------------------------------

    def knowledge_add_files(self) -> None:
        files = self.knowledge.ask_files_for_chat()
        if files:
            self.drops.add(files)

    def _collections_changed(self, chat_id: int, collections: list[str]) -> None:
        self.conversation.collections_used(collections)
        if chat_id == self.chat_id:
            self._note(self.tr("This chat's documents changed"))

    def open_citation(self, citation: object) -> None:
        self.dialogs.open_citation(citation)

    # ---- dialogs -----------------------------------------------------------------------

    def open_model_manager(self) -> QWidget:
        return self.dialogs.open_model_manager()

    def open_settings(self) -> QWidget:
        return self.dialogs.open_settings()

    def open_about(self) -> QWidget:
        return self.dialogs.open_about()

    def open_data_folder(self) -> None:
        self.dialogs.open_data_folder()

    def open_engine_log(self) -> None:
        self.dialogs.open_engine_log()

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        """Apply changed settings: the conversation drops what they outdate, and the chat
        model reloads in the background when how it loads changed."""
        self.conversation.settings_changed(old, new)
        self.models.settings_changed(old, new)

    # ---- saying things -----------------------------------------------------------------

    def _say(self, error: object) -> str:
        return describe_error(error, self.services.translate)

    def _show_error(self, error: object) -> None:
        message = self._say(error)
        self.error_bar.show_message(message)
        self.error_shown.emit(message)

    def _note(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # ---- end ---------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self.save_layout()
        self.conversation.stop()
        if self._welcome is not None:
            self._welcome.shutdown()
        self.dialogs.shutdown()
        for lane in (self.download_lane, self.knowledge_lane, self.engine_lane):
            if not lane.shutdown(timeout_ms=3_000):
                # A long engine call (laying out a very long chat, an embedding batch)
                # ends at once when the engine stops: the window is closing anyway.
                self.services.client.close()
                lane.shutdown()
        # Deliver what the lanes reported last while the databases are still open.
        QCoreApplication.sendPostedEvents()
        super().closeEvent(event)
