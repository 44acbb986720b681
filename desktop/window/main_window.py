"""The main window: chats on the left, the chat in the middle, knowledge on the right.

It is the shell that wires the parts together and owns the three work lanes (the engine,
the knowledge base, downloads), so a long ingestion or download never holds up a reply and
nothing slow runs on the GUI thread. It holds no chat state of its own beyond which chat is
open: the store is the truth, and after every reply the window shows what the store holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.chat import export
from core.engine.errors import EngineCrashed, EngineError
from core.engine.protocol import LoadOptions, ModelInfo
from core.errors import FiresideError
from core.models.registry import InstalledModel
from core.models.units import human_count
from core.settings import Settings
from desktop.chat.chat_list import ChatListPanel
from desktop.chat.chat_view import ChatView, positions_in
from desktop.chat.composer import Composer
from desktop.chat.conversation import Conversation, ReplyEnded, ReplyStarted, SourcesSkipped
from desktop.knowledge.panel import KnowledgePanel
from desktop.models.welcome import WelcomeWidget
from desktop.window.messages import describe_error
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner

UNDO_SECONDS = 12  # how long "Chat deleted · Undo" stays in the status line
_ENGINE_KEYS = ("chat_model", "engine")  # settings whose change means loading the model again


class ErrorBar(QFrame):
    """A problem said in one line above the composer, with what can be done about it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBar")
        # Light red with dark text: readable on light and dark themes alike.
        self.setStyleSheet(
            "QFrame#errorBar { background: #fdecea; border-bottom: 1px solid #f1b0ab; }"
            " QFrame#errorBar QLabel { color: #5f1410; }"
        )
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.restart_button = QPushButton(self.tr("Restart engine"))
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.dismiss_button.setFlat(True)
        self.dismiss_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.restart_button)
        row.addWidget(self.dismiss_button)
        self.hide()

    def show_message(self, text: str, restart: bool = False) -> None:
        self.label.setText(text)
        self.restart_button.setVisible(restart)
        self.show()


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
        self.model: ModelInfo | None = None
        self.loading: Job | None = None
        self.url_opener = QDesktopServices.openUrl  # replaced in tests
        self._deleted: int | None = None
        self._wanted: tuple[str, LoadOptions] | None = None  # the chat model asked for last
        self._dialogs: dict[str, QWidget] = {}

        self.engine_lane = JobRunner(self, "engine")
        self.knowledge_lane = JobRunner(self, "knowledge")
        self.download_lane = JobRunner(self, "downloads")
        self.conversation = Conversation(services, self.engine_lane, self)

        self.setWindowTitle("Fireside")
        self.setAcceptDrops(False)
        self._build_body()
        self._build_status_line()
        self._build_menus()
        self._connect()
        self._restore_layout()
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
        self.welcome = WelcomeWidget(services, self.download_lane, tokens=services.tokens)
        self.center = QStackedWidget()
        self.center.addWidget(chat_page)
        self.center.addWidget(self.welcome)
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
        self.model_label = QLabel(self.tr("No model loaded"))
        self.speed_label = QLabel("")
        self.gauge = QProgressBar()
        self.gauge.setObjectName("contextGauge")
        self.gauge.setFixedWidth(170)
        self.gauge.setTextVisible(True)
        self.gauge.setRange(0, 1)
        self.gauge.setValue(0)
        self.gauge.setFormat(self.tr("context empty"))
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setFlat(True)
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo_delete)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self.undo_button.hide)
        status = self.statusBar()
        status.addWidget(self.model_label, 1)
        status.addPermanentWidget(self.undo_button)
        status.addPermanentWidget(self.speed_label)
        status.addPermanentWidget(self.gauge)

    def _action(self, text: str, slot: Any, shortcut: QKeySequence | str | None = None,
                checkable: bool = False) -> QAction:  # fmt: skip
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.new_chat_action = self._action(self.tr("&New chat"), self.new_chat, "Ctrl+N")
        file_menu.addAction(self.new_chat_action)
        file_menu.addAction(self._action(self.tr("&Import chat…"), self.import_chat))
        self.export_action = self._action(self.tr("&Export chat…"), self.export_chat, "Ctrl+E")
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("Add &documents…"), self.knowledge_add_files))
        file_menu.addSeparator()
        file_menu.addAction(
            self._action(self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        )

        edit_menu = bar.addMenu(self.tr("&Edit"))
        edit_menu.addAction(self._action(self.tr("&Copy last reply"), self.copy_last_reply,
                                         "Ctrl+Shift+C"))  # fmt: skip
        edit_menu.addAction(self._action(self.tr("&Rename chat…"), self.rename_chat, "F2"))
        edit_menu.addAction(self._action(self.tr("&Delete chat"), self.delete_chat))
        self.undo_action = self._action(self.tr("&Undo delete chat"), self.undo_delete)
        self.undo_action.setEnabled(False)
        edit_menu.addAction(self.undo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self._action(self.tr("&Find in chats"), self.focus_search,
                                         QKeySequence.StandardKey.Find))  # fmt: skip

        view_menu = bar.addMenu(self.tr("&View"))
        self.sidebar_action = self._action(self.tr("&Chats"), self.sidebar.setVisible,
                                           "Ctrl+Shift+L", checkable=True)  # fmt: skip
        self.sidebar_action.setChecked(True)
        self.knowledge_action = self._action(self.tr("&Knowledge panel"), self.set_knowledge_shown,
                                             "Ctrl+Shift+K", checkable=True)  # fmt: skip
        self.knowledge_action.setChecked(True)
        view_menu.addActions([self.sidebar_action, self.knowledge_action])

        models_menu = bar.addMenu(self.tr("&Models"))
        models_menu.addAction(self._action(self.tr("&Model manager…"), self.open_model_manager,
                                           "Ctrl+M"))  # fmt: skip
        models_menu.addAction(self._action(self.tr("&Import a GGUF file…"), self.import_model,
                                           QKeySequence.StandardKey.Open))  # fmt: skip
        models_menu.addSeparator()
        models_menu.addAction(self._action(self.tr("&Restart engine"), self.restart_engine))

        settings_menu = bar.addMenu(self.tr("&Settings"))
        settings_menu.addAction(self._action(self.tr("&Settings…"), self.open_settings,
                                             QKeySequence.StandardKey.Preferences))  # fmt: skip

        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self._action(self.tr("Open &data folder"), self.open_data_folder))
        help_menu.addAction(self._action(self.tr("Open engine &log"), self.open_engine_log))
        help_menu.addSeparator()
        help_menu.addAction(self._action(self.tr("&About Fireside"), self.open_about))

    def _connect(self) -> None:
        self.sidebar.chat_selected.connect(self.open_chat)
        self.sidebar.message_selected.connect(self._open_search_hit)
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.chat_deleted.connect(self._chat_deleted)
        self.sidebar.export_requested.connect(self.export_chat)
        self.composer.send_requested.connect(self.send)
        self.composer.edit_submitted.connect(self.submit_edit)
        self.composer.stop_requested.connect(self.stop)
        self.composer.edit_last_requested.connect(self.edit_last)
        self.composer.files_dropped.connect(self._files_dropped)
        self.chat_view.regenerate_requested.connect(self.regenerate)
        self.chat_view.edit_requested.connect(self.begin_edit)
        self.chat_view.switch_requested.connect(self.switch_version)
        self.chat_view.citation_activated.connect(self.open_citation)
        self.chat_view.status.connect(self._note)
        self.conversation.prepared.connect(self._prepared)
        self.conversation.reply_started.connect(self._reply_started)
        self.conversation.piece.connect(self.chat_view.add_piece)
        self.conversation.reply_ended.connect(self._reply_ended)
        self.conversation.sources_skipped.connect(self._sources_skipped)
        self.conversation.failed.connect(self._reply_failed)
        self.error_bar.restart_button.clicked.connect(self.restart_engine)
        self.welcome.model_ready.connect(self._model_installed)
        self.welcome.browse_requested.connect(self.open_model_manager)
        self.knowledge.embedding_model_needed.connect(self.open_model_manager)
        self.knowledge.chat_collections_changed.connect(self._collections_changed)

    # ---- layout memory -----------------------------------------------------------------

    def _layout_settings(self) -> QSettings:
        path = self.services.paths.config_dir / "window.ini"
        return QSettings(str(path), QSettings.Format.IniFormat)

    def _restore_layout(self) -> None:
        stored = self._layout_settings()
        geometry = stored.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1180, 760)
        splitter = stored.value("splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        self.set_knowledge_shown(stored.value("knowledge_shown", "true") in (True, "true"))
        sidebar = stored.value("sidebar_shown", "true") in (True, "true")
        self.sidebar.setVisible(sidebar)
        self.sidebar_action.setChecked(sidebar)

    def save_layout(self) -> None:
        stored = self._layout_settings()
        stored.setValue("geometry", self.saveGeometry())
        stored.setValue("splitter", self.splitter.saveState())
        stored.setValue("knowledge_shown", "true" if self.knowledge_action.isChecked() else "false")
        stored.setValue("sidebar_shown", "true" if self.sidebar_action.isChecked() else "false")
        stored.sync()

    def set_knowledge_shown(self, shown: bool) -> None:
        self.knowledge.setVisible(shown)
        self.knowledge_action.setChecked(shown)

    # ---- start -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the newest chat and load the default chat model (or welcome the person);
        meanwhile open the knowledge base's vector index, so that its slow first start
        never lands in the middle of a reply."""
        chats = self.services.chats.list_chats()
        if chats:
            self.open_chat(chats[0].id)
        else:
            self.new_chat()
        self.load_default_model()
        knowledge = self.services.knowledge
        self.knowledge_lane.run(lambda: [knowledge.warm_up()])

    def load_default_model(self) -> Job | None:
        switcher = self.services.switcher
        model = switcher.default("chat")
        if model is None:
            installed = [m for m in self.services.registry.models() if m.kind == "chat"]
            if installed:
                model = switcher.use(installed[0].id)
                self.services.reload_settings()
        if model is None:
            self.show_welcome()
            return None
        return self.load_model(model.path)

    def show_welcome(self) -> None:
        self.center.setCurrentWidget(self.welcome)
        self.model_label.setText(self.tr("No model yet"))

    # ---- the model ---------------------------------------------------------------------

    def load_options(self) -> LoadOptions:
        engine = self.services.settings.engine
        return LoadOptions(
            n_ctx=engine.n_ctx, n_threads=engine.n_threads or None, n_batch=engine.n_batch
        )

    def load_model(self, path: str) -> Job | None:
        """Load a chat model in the background; the window stays usable meanwhile.
        Asking again for what is loaded (or loading) already does nothing."""
        wanted = (str(Path(path).resolve()), self.load_options())
        if wanted == self._wanted and (self.loading is not None or self.model is not None):
            return self.loading
        self._wanted = wanted
        self.model_label.setText(self.tr("Loading %1…").replace("%1", Path(path).name))
        self.model = None
        self._update_composer()
        client, options = self.services.client, self.load_options()

        def work() -> Iterator[ModelInfo]:
            yield client.load_chat(path, options)

        job = Job(work)
        job.item.connect(self._model_loaded)
        job.failed.connect(self._model_failed)
        job.ended.connect(self._load_ended)
        self.loading = job
        return self.engine_lane.submit(job)

    def _model_loaded(self, info: object) -> None:
        assert isinstance(info, ModelInfo)
        self.model = info
        self.loading = None
        self.conversation.forget()
        self.chat_view.assistant_name = info.name or self.tr("Assistant")
        self.center.setCurrentWidget(self.chat_page)
        self.model_label.setText(self.tr("%1 · %2 · context %3").replace("%1", info.name)
                                 .replace("%2", info.quantization or info.architecture)
                                 .replace("%3", human_count(info.n_ctx)))  # fmt: skip
        self.error_bar.hide()
        if self.chat_id is not None:
            self.open_chat(self.chat_id)
        self._update_composer()
        self.model_ready.emit(info)

    def _model_failed(self, error: object) -> None:
        self._wanted = None
        message = self._say(error)
        self.model_label.setText(self.tr("No model loaded"))
        self.error_bar.show_message(message, restart=isinstance(error, EngineCrashed))
        self.error_shown.emit(message)
        self.model_failed.emit(message)

    def _load_ended(self, job: object) -> None:
        if job is self.loading:
            self.loading = None
        self._update_composer()

    def _model_installed(self, model: object) -> None:
        assert isinstance(model, InstalledModel)
        if model.kind == "chat":
            self.use_model(model.id)

    def use_model(self, model_id: str) -> Job | None:
        """Make an installed model the default of its kind and load it if it chats."""
        try:
            model = self.services.switcher.use(model_id)
        except FiresideError as exc:
            self._show_error(exc)
            return None
        self.services.reload_settings()
        if model.kind == "chat":
            return self.load_model(model.path)
        self.conversation.forget_knowledge()
        return None

    def import_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a GGUF model"), str(Path.home()),
            self.tr("GGUF models (*.gguf)"),
        )  # fmt: skip
        if path:
            self.import_model_file(path)

    def import_model_file(self, path: str) -> Job | None:
        """Register a GGUF file the person already has and chat with it."""
        try:
            model = self.services.registry.import_file(Path(path))
        except FiresideError as exc:
            self._show_error(exc)
            return None
        return self.use_model(model.id) if model.kind == "chat" else None

    def restart_engine(self) -> Job:
        """A fresh engine process with the models reloaded (after a crash, or on request)."""
        self.error_bar.hide()
        self.model_label.setText(self.tr("Restarting the engine…"))
        self.model = None
        self._update_composer()
        client = self.services.client
        path = self.services.switcher.default("chat")

        def work() -> Iterator[ModelInfo]:
            client.restart(reload=True)
            info = client.models.get("chat")
            if info is None and path is not None:
                info = client.load_chat(path.path, self.load_options())
            if info is not None:
                yield info

        job = Job(work)
        job.item.connect(self._model_loaded)
        job.failed.connect(self._model_failed)
        job.ended.connect(self._load_ended)
        self.loading = job
        return self.engine_lane.submit(job)

    # ---- chats -------------------------------------------------------------------------

    def new_chat(self) -> int:
        """Start a new chat (an empty one already open is reused)."""
        settings = self.services.settings
        if self.chat_id is not None and not self.services.chats.messages(self.chat_id):
            # Nothing said yet: it takes the current default system prompt, as a new one would.
            self.services.chats.update_chat(self.chat_id, system_prompt=settings.system_prompt)
            self.composer.edit.setFocus()
            return self.chat_id
        chat = self.services.chats.create_chat(
            model=self.model.name if self.model else None,
            system_prompt=settings.system_prompt,
        )
        self.sidebar.refresh()
        self.open_chat(chat.id)
        self.composer.edit.setFocus()
        return chat.id

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
        self.chat_view.set_placeholder(
            self.tr("Ask anything. Your words stay on this computer.") if self.model
            else self.tr("Load a model to start chatting (Models → Model manager…).")
        )  # fmt: skip
        self._show_context(chat_id)
        self.sidebar.select(chat_id)
        self.knowledge.set_chat(chat_id)
        title = chat.title or self.tr("New chat")
        self.setWindowTitle(f"{title} — Fireside")
        self._update_composer()
        self.chat_opened.emit(chat_id)

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
        if self.chat_id is not None:
            self.sidebar.rename(self.chat_id)
            self.open_chat(self.chat_id)

    def delete_chat(self) -> None:
        if self.chat_id is not None:
            self.sidebar.delete(self.chat_id)

    def _chat_deleted(self, chat_id: int) -> None:
        self._deleted = chat_id
        self.undo_button.setText(self.tr("Chat deleted · Undo"))
        self.undo_button.show()
        self.undo_action.setEnabled(True)
        self._undo_timer.start(UNDO_SECONDS * 1000)
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
        self.undo_button.hide()
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
        title = self.services.chats.get_chat(chat_id).title or "chat"
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip() or "chat"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export chat"), str(Path.home() / f"{safe}.md"),
            self.tr("Markdown (*.md);;Fireside chat, JSON (*.json)"),
        )  # fmt: skip
        if path:
            self.export_chat_to(chat_id, Path(path), "json" if path.endswith(".json") else "md")

    def export_chat_to(self, chat_id: int, path: Path, kind: str) -> None:
        import json

        chats = self.services.chats
        try:
            if kind == "json":
                text = json.dumps(export.to_json(chats, chat_id), ensure_ascii=False, indent=2)
            else:
                text = export.to_markdown(chats, chat_id)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self._show_error(exc)
            return
        self._note(self.tr("Exported to %1").replace("%1", str(path)))

    def import_chat(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a chat"), str(Path.home()),
            self.tr("Fireside chat, JSON (*.json)"),
        )  # fmt: skip
        if path:
            self.import_chat_file(Path(path))

    def import_chat_file(self, path: Path) -> int | None:
        try:
            chat = export.import_file(self.services.chats, path)
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
        if self.chat_id is None:
            self.new_chat()
        assert self.chat_id is not None
        self.error_bar.hide()
        job = self.conversation.send(self.chat_id, text)
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
        if self.chat_id is None:
            return
        mine = [m for m in self.services.chats.branch(self.chat_id) if m.role == "user"]
        if mine:
            self.composer.begin_edit(mine[-1].id, mine[-1].content)

    def submit_edit(self, message_id: int, text: str) -> Job | None:
        if self.model is None or self.conversation.busy or self.chat_id is None:
            return None
        job = self.conversation.edit(self.chat_id, message_id, text)
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
        replies = [w for w in self.chat_view.widgets if w.message.role == "assistant"]
        if replies:
            replies[-1].copy()

    def _reply_started(self, started: object) -> None:
        assert isinstance(started, ReplyStarted)
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
            self.speed_label.setText(
                self.tr("%1 tokens/s").replace("%1", f"{stats.decode_tps:.1f}")
            )
        if ended.chat_id == self.chat_id:
            self.open_chat(ended.chat_id)
        self.sidebar.refresh()
        self._update_composer()
        self.reply_finished.emit(ended)

    def _reply_failed(self, error: object) -> None:
        self.chat_view.end_reply()
        message = self._say(error)
        crashed = isinstance(error, EngineCrashed) or (
            isinstance(error, EngineError) and not self.services.client.alive
        )
        if crashed:
            self.model = None
            self.model_label.setText(self.tr("The engine stopped"))
        self.error_bar.show_message(message, restart=crashed)
        if self.chat_id is not None:
            self.open_chat(self.chat_id)  # what was saved of the reply stays
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
            n_ctx = self.model.n_ctx if self.model else 0
            self.gauge.setRange(0, max(1, n_ctx))
            self.gauge.setValue(0)
            self.gauge.setFormat(self.tr("context empty"))
            self.chat_view.set_visibility({})
            return
        used, n_ctx = session.gauge()
        self.gauge.setRange(0, max(1, n_ctx))
        self.gauge.setValue(used)
        self.gauge.setFormat(self.tr("%1 / %2 tokens").replace("%1", human_count(used))
                             .replace("%2", human_count(n_ctx)))  # fmt: skip
        self.gauge.setToolTip(self.tr("How much of the model's context this chat fills"))
        self.chat_view.set_visibility(session.visibility())

    def _update_composer(self) -> None:
        generating = self.conversation.busy
        self.composer.set_state(can_send=self.model is not None and self.loading is None,
                                generating=generating)  # fmt: skip

    # ---- knowledge ---------------------------------------------------------------------

    def _files_dropped(self, paths: list[Path]) -> None:
        """Files dropped on the composer join this chat's knowledge: they go into the
        panel's collection, and this chat starts using that collection."""
        self.set_knowledge_shown(True)
        self.knowledge.add_paths(list(paths))
        item = self.knowledge.chat_collections.item(self.knowledge.collection)
        if item is not None and self.chat_id is not None:
            item.setCheckState(Qt.CheckState.Checked)

    def knowledge_add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add documents"), str(Path.home()))
        if files:
            self._files_dropped([Path(f) for f in files])

    def _collections_changed(self, chat_id: int, _collections: list[str]) -> None:
        if chat_id == self.chat_id:
            self._note(self.tr("This chat's documents changed"))

    def open_citation(self, citation: object) -> None:
        """Open the cited document (at the page, for a PDF) in the system's viewer."""
        if not isinstance(citation, dict):
            return
        path = Path(str(citation.get("file", "")))
        if not path.is_file():
            self._note(self.tr("The document is no longer at %1").replace("%1", str(path)))
            return
        url = QUrl.fromLocalFile(str(path))
        page = citation.get("page")
        if page is not None and path.suffix.lower() == ".pdf":
            url.setFragment(f"page={page}")
        self.url_opener(url)

    # ---- dialogs -----------------------------------------------------------------------

    def open_model_manager(self) -> QWidget:
        from desktop.models.manager import ModelManagerDialog

        dialog = self._dialogs.get("models")
        if dialog is None:
            manager = ModelManagerDialog(self.services, self.download_lane, self,
                                         tokens=self.services.tokens)  # fmt: skip
            manager.use_requested.connect(self.use_model)
            manager.model_installed.connect(self._model_installed_from_manager)
            self._dialogs["models"] = dialog = manager
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _model_installed_from_manager(self, model: object) -> None:
        assert isinstance(model, InstalledModel)
        first_chat = model.kind == "chat" and self.model is None and self.loading is None
        first_embedding = model.kind == "embedding" and not self.services.settings.embedding_model
        if first_chat or first_embedding:
            self.use_model(model.id)

    def open_settings(self) -> QWidget:
        from desktop.settings.dialog import SettingsDialog

        dialog = SettingsDialog(self.services, self, self.services.tokens, opener=self.url_opener)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialogs["settings"] = dialog
        dialog.show()
        return dialog

    def open_about(self) -> QWidget:
        from desktop.window.about import AboutDialog

        dialog = AboutDialog(self.services, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_data_folder(self) -> None:
        self.url_opener(QUrl.fromLocalFile(str(self.services.paths.data_dir)))

    def open_engine_log(self) -> None:
        log = self.services.paths.engine_log
        self.url_opener(QUrl.fromLocalFile(str(log if log.exists() else log.parent)))

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        """Apply changed settings: reload the model in the background when it changed."""
        if old.embedding_model != new.embedding_model:
            self.conversation.forget_knowledge()
        if old.sampling != new.sampling or old.system_prompt != new.system_prompt:
            self.conversation.forget()
        if any(getattr(old, key) != getattr(new, key) for key in _ENGINE_KEYS):
            default = self.services.switcher.default("chat")
            if default is not None:
                self.load_model(default.path)

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
        self.save_layout()
        self.conversation.stop()
        self.welcome.shutdown()
        manager = self._dialogs.get("models")
        if manager is not None:
            manager.shutdown()  # type: ignore[attr-defined]
        for lane in (self.download_lane, self.knowledge_lane, self.engine_lane):
            if not lane.shutdown(timeout_ms=3_000):
                # A long engine call (laying out a very long chat, an embedding batch)
                # ends at once when the engine stops: the window is closing anyway.
                self.services.client.close()
                lane.shutdown()
        # Deliver what the lanes reported last while the databases are still open.
        QCoreApplication.sendPostedEvents()
        super().closeEvent(event)
