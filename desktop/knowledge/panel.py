"""The knowledge panel: where people drop documents and folders to make them searchable.

It sits on the right of the window and folds away. A person picks a collection (or names a
new one), drops files or folders on the panel (or uses Add files… / Add folder…), and
watches each document go from queued through reading and embedding to done, or to failed
with the reason in their language. For the open chat, a checkbox per collection says which
ones its answers draw on (stored with the chat in the chat store).

The panel drives the core the way ``fireside-cli kb`` does, through
:class:`desktop.knowledge.ingestions.Ingestions`, a controller without a widget that holds
the saved-job state machine (running, left over after a stop or for want of a model, left
by a kill) and each file's row; the panel shows what it reports. Its parts live in
``desktop.knowledge.widgets`` (document list, collection picker, per-chat boxes, progress
line), the lane's work and reports in ``desktop.knowledge.jobs``, and the word on languages
(the collection's embedding model does not understand its documents; which model to get
first) in ``desktop.knowledge.language_notice``.

Threads: everything that reads files, touches Chroma or embeds runs on the knowledge lane
(the ``JobRunner`` given to the panel), one job at a time. Listing collections and
documents is a quick SQLite query and stays on the GUI thread. Embedding requests go
through the shared engine client, which already lets a chat reply go first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import FiresideError
from core.knowledge import readers
from core.knowledge.collections import check_name
from core.knowledge.ingest import IngestReport
from core.knowledge.language_check import LanguageAdvisor, language_names
from core.knowledge.store import DEFAULT_COLLECTION, Collection, Document
from core.knowledge.whole_chat import WHOLE_DOCUMENTS
from core.models.units import human_size
from core.settings import Settings
from desktop.knowledge.ingestions import Ingestions
from desktop.knowledge.jobs import (
    IngestTask,
    Removed,
    RowState,
    absolute,
)
from desktop.knowledge.language_notice import FirstChoice, LanguageNotice, first_choice_job
from desktop.knowledge.widgets import (
    ChatCollections,
    CollectionPicker,
    DocumentList,
    EmbeddingModelBar,
    IngestProgress,
)
from desktop.window.drops import accept_drag, take_drop
from desktop.window.empty_state import EmptyState
from desktop.window.icons import themed_icon
from desktop.window.messages import describe_error
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner

# ---- the panel -----------------------------------------------------------------------------


class KnowledgePanel(QWidget):
    """Collections, their documents, adding and removing documents, and which collections
    the open chat uses. Every signal is emitted on the GUI thread, after the panel shows the
    change."""

    ingest_finished = Signal(object)  # IngestReport: one per core run, cancelled ones too
    document_removed = Signal(object)  # the Document removed
    chat_collections_changed = Signal(int, list)  # chat id, the collection names it uses
    embedding_model_needed = Signal()  # the person asked to choose an embedding model
    embedding_model_suggested = Signal(str)  # ... to get this catalogue embedding model
    status_changed = Signal(str, str)  # file path, its new row status (queued, reading, …)
    collapsed_changed = Signal(bool)

    def __init__(
        self, services: AppServices, runner: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.kb = services.knowledge  # SQLite now; Chroma opens on the lane when needed
        self.chat_id: int | None = None
        self.ingestions = Ingestions(services, runner, self)
        self.advisor = LanguageAdvisor(services.catalogue)  # languages against the model
        self._removals: dict[Job, Document] = {}
        self.setAcceptDrops(True)
        self._build()
        self._follow_ingestions()
        if not self.kb.collections():
            try:
                self.kb.store.ensure_collection(DEFAULT_COLLECTION)
            except FiresideError as exc:  # a full or read-only disk: say so, start anyway
                self._show_message(exc)
        self._refresh(select=DEFAULT_COLLECTION)
        if not self.has_embedding_model:
            self.model_bar.show_missing()
        services.on_settings_changed_while(self, KnowledgePanel._settings_changed)
        self.ingestions.resume_killed()
        self.ingestions.offer_stopped()
        if not self.has_embedding_model:  # files of an earlier session wait for a model
            self._suggest_first_model([p for ps in self.ingestions.left_over.values() for p in ps])

    def _build(self) -> None:
        self.collapse_button = QToolButton()
        self.collapse_button.setArrowType(Qt.ArrowType.DownArrow)
        self.collapse_button.setAutoRaise(True)
        self.collapse_button.setToolTip(self.tr("Fold or unfold the knowledge panel"))
        self.collapse_button.clicked.connect(self.toggle_collapsed)
        title = QLabel(self.tr("Knowledge"))
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.collapse_button)
        header.addWidget(title, 1)

        self.model_bar = EmbeddingModelBar()
        self.model_bar.choose_requested.connect(self.embedding_model_needed)
        self.model_bar.suggested.connect(self.embedding_model_suggested)
        self.model_bar.hide()
        self.language_notice = LanguageNotice(self.services.translate)
        self.language_notice.model_requested.connect(self.embedding_model_suggested)
        self.picker = CollectionPicker(self.services.translate)
        self.picker.chosen.connect(self._collection_chosen)
        self.picker.create_requested.connect(self.create_collection)
        self.chat_collections = ChatCollections()
        self.chat_collections.changed.connect(self._chat_choice_changed)
        self.chat_collections.whole_changed.connect(self._whole_changed)

        self.documents = DocumentList()
        self.documents.setToolTip(self.tr("Drop files or folders here to make them searchable"))
        self.documents.customContextMenuRequested.connect(self._document_menu)
        self.documents.currentItemChanged.connect(self._update_buttons)
        # Whatever fills or empties the list, the drop target follows it.
        rows = self.documents.model()
        for change in (rows.rowsInserted, rows.rowsRemoved, rows.modelReset):
            change.connect(self._update_empty)
        remove_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.documents)
        remove_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.activated.connect(self.remove_selected)
        # No documents yet: the list gives way to a drop target that says what to do.
        self.empty_state = EmptyState(
            "add-files", self.tr("No documents yet. Drop files or folders here to make them "
                                 "searchable."), self.tr("Add files…"),
        )  # fmt: skip
        assert self.empty_state.button is not None
        self.empty_state.button.clicked.connect(self.choose_files)
        self.add_files_button = QPushButton(themed_icon("add-files"), self.tr("Add files…"))
        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button = QPushButton(self.tr("Add folder…"))
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Remove the selected document from the collection"))
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)

        self.progress = IngestProgress()
        self.progress.cancel_requested.connect(self.cancel)
        self.progress.resume_requested.connect(self.resume)
        self.message_label = QLabel()
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)  # file names: text only
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        body = QVBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.model_bar)
        body.addWidget(self.language_notice)
        body.addWidget(self.picker)
        body.addWidget(self.chat_collections)
        body.addWidget(self.documents, 1)
        body.addWidget(self.empty_state, 1)
        body.addLayout(buttons)
        body.addWidget(self.progress)
        body.addWidget(self.message_label)
        self.body = QWidget()
        self.body.setLayout(body)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 8, 8, 8)
        column.addLayout(header)
        column.addWidget(self.body, 1)

    # ---- folding -----------------------------------------------------------------------

    @property
    def collapsed(self) -> bool:
        return self.body.isHidden()

    def set_collapsed(self, collapsed: bool) -> None:
        if collapsed == self.collapsed:
            return
        self.body.setVisible(not collapsed)
        arrow = Qt.ArrowType.LeftArrow if collapsed else Qt.ArrowType.DownArrow
        self.collapse_button.setArrowType(arrow)
        self.collapsed_changed.emit(collapsed)

    def toggle_collapsed(self) -> None:
        self.set_collapsed(not self.collapsed)

    # ---- collections -------------------------------------------------------------------

    @property
    def collection(self) -> str:
        """The collection whose documents the panel shows and adds to."""
        return self.picker.current

    def set_collection(self, name: str) -> None:
        self.picker.fill(self.kb.collections(), name)
        self.refresh_documents()

    def create_collection(self, name: str) -> str | None:
        """Make a collection and show it (an empty list ready for drops). A bad name is
        said in one line under the picker; nothing is created."""
        try:
            cleaned = check_name(name)
        except FiresideError as exc:
            self.picker.error_label.setText(exc.message(self.services.translate))
            self.picker.error_label.show()
            return None
        self.kb.store.ensure_collection(cleaned)
        self._refresh(select=cleaned)
        return cleaned

    def _collection_chosen(self, _name: str) -> None:
        self.refresh_documents()

    def _refresh(self, select: str | None = None) -> None:
        """The picker, the chat's checkboxes and the document list, from the store."""
        collections = self.kb.collections()
        self.picker.fill(collections, select or self.collection)
        self._fill_chat_collections(collections)
        self.refresh_documents()

    # ---- the chat's collections --------------------------------------------------------

    def set_chat(self, chat_id: int | None) -> None:
        """Show which collections this chat uses (None: no chat is open)."""
        self.chat_id = chat_id
        self._fill_chat_collections(self.kb.collections())

    def _fill_chat_collections(self, collections: Sequence[Collection]) -> None:
        chosen: list[str] = []
        if self.chat_id is not None:
            chosen = self.services.chats.get_chat(self.chat_id).collections
        self.chat_collections.fill([c.name for c in collections], chosen,
                                   self.chat_id is not None)  # fmt: skip
        chat = self.services.chats.get_chat(self.chat_id) if self.chat_id is not None else None
        self.chat_collections.set_whole(bool(chat and chat.settings.get(WHOLE_DOCUMENTS)))

    def _whole_changed(self, on: bool) -> None:
        """The open chat's questions read whole documents, or search passages again."""
        if self.chat_id is not None:
            settings = self.services.chats.get_chat(self.chat_id).settings
            self.services.chats.update_chat(
                self.chat_id, settings={**settings, WHOLE_DOCUMENTS: on}
            )

    def _chat_choice_changed(self, checked: list[str]) -> None:
        if self.chat_id is None:
            return
        listed = set(self.chat_collections.names())
        stored = self.services.chats.get_chat(self.chat_id).collections
        names = checked + [n for n in stored if n not in listed]  # unlisted: never dropped
        self.services.chats.update_chat(self.chat_id, collections=names)
        self.chat_collections_changed.emit(self.chat_id, names)

    # ---- the embedding model -----------------------------------------------------------

    @property
    def has_embedding_model(self) -> bool:
        return self.ingestions.has_embedding_model

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if old.embedding_model == new.embedding_model:
            return
        self.check_languages()
        if not new.embedding_model:
            self.model_bar.show_missing()
            return
        self.model_bar.hide()
        self.resume()  # what waited for a model goes now

    def check_languages(self) -> None:
        """Say when the shown collection's embedding model does not understand the
        language of its documents (see ``desktop.knowledge.language_notice``)."""
        try:
            collection = self.kb.store.collection(self.collection)
            mismatch = self.advisor.check_collection(self.kb.store, collection)
        except FiresideError:  # no such collection (yet), or the store cannot be read
            mismatch = None
        self.language_notice.show_mismatch(mismatch)

    def _suggest_first_model(self, paths: Sequence[Path | str]) -> None:
        """No embedding model yet: read the languages of (the first of) these files on the
        lane, then name the catalogue model that suits them and this computer."""
        if not paths:
            return
        job = first_choice_job(self.advisor, paths)
        job.item.connect(self._first_choice)
        self.runner.submit(job)

    def _first_choice(self, choice: object) -> None:
        if not isinstance(choice, FirstChoice) or choice.suggestion is None:
            return
        if self.has_embedding_model:  # chosen meanwhile
            return
        suggestion = choice.suggestion
        languages = language_names(choice.languages, self.services.translate)
        self.model_bar.suggest(suggestion.entry.id, suggestion.entry.name,
                               human_size(suggestion.size), languages)  # fmt: skip

    # ---- adding documents --------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        accept_drag(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        accept_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = take_drop(event)
        if paths:
            self.add_paths(paths)

    def choose_files(self) -> None:
        patterns = " ".join(f"*{suffix}" for suffix in sorted(readers.SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Add documents"), str(Path.home()),
            self.tr("Documents (%1);;All files (*)").replace("%1", patterns),
        )  # fmt: skip
        if files:
            self.add_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder"), str(Path.home()))
        if folder:
            self.add_paths([Path(folder)])

    def ask_files_for_chat(self) -> list[Path]:
        """Files -> Add documents…: any files, for the open chat (see ``add_for_chat``)."""
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add documents"), str(Path.home()))
        return [Path(f) for f in files]

    def add_for_chat(self, paths: Sequence[Path]) -> None:
        """Files dropped on the composer join the open chat's knowledge: they go into the
        shown collection, and the chat starts using that collection."""
        self.add_paths(list(paths))
        item = self.chat_collections.item(self.collection)
        if item is not None and self.chat_id is not None:
            item.setCheckState(Qt.CheckState.Checked)

    def add_paths(self, paths: Sequence[Path | str], collection: str | None = None) -> Job | None:
        """Make files and folders searchable in ``collection`` (default: the one shown).
        What a cancel left in that collection goes first (finished files are skipped as
        unchanged). Without an embedding model the paths wait for one."""
        if not paths:
            return None
        self._clear_message()
        job = self.ingestions.add(collection or self.collection, paths)
        if not self.has_embedding_model:
            self._suggest_first_model(paths)
        return job

    def resume(self) -> list[Job]:
        """Run again what a cancel (or a missing model) left, then what a kill left."""
        return self.ingestions.resume()

    def cancel(self) -> None:
        """Stop every ingestion of the panel; finished documents are kept, and the rest
        run again on the next add or on Resume."""
        self.ingestions.cancel()

    @property
    def busy(self) -> bool:
        return self.ingestions.busy

    @property
    def last_task(self) -> IngestTask | None:
        """The ingestion submitted last (tests stop it at a chosen point)."""
        return self.ingestions.last_task

    # ---- what the ingestions report ----------------------------------------------------

    def _follow_ingestions(self) -> None:
        ingestions = self.ingestions
        ingestions.row_changed.connect(self._row_changed)
        ingestions.status_changed.connect(self.status_changed)
        ingestions.started.connect(lambda first: self.progress.starting(first=first))
        ingestions.progressed.connect(self.progress.running)
        ingestions.run_done.connect(self._run_done)
        ingestions.idle.connect(lambda can_resume: self.progress.idle(can_resume=can_resume))
        ingestions.waiting.connect(self.progress.waiting)
        ingestions.stopped_offered.connect(self._stopped_offered)
        ingestions.model_missing.connect(lambda text: self.model_bar.show_missing(text or None))
        ingestions.failed.connect(self._show_message)
        ingestions.changed.connect(self._refresh)
        ingestions.finished.connect(self.ingest_finished)

    def _row_changed(self, collection: str, path: str, state: object) -> None:
        if collection != self.collection:
            return
        if isinstance(state, RowState):
            self.documents.set_row(path, state)
        else:
            self.documents.drop_row(path)
        self._update_empty()

    def _run_done(self, report: IngestReport, _last: bool) -> None:
        summary = self.services.translate(
            "kb_summary", seconds=f"{report.seconds:.1f}",
            indexed=report.count("indexed", "replaced"),
            unchanged=report.count("unchanged", "moved"),
            duplicates=report.count("duplicate"), failed=report.count("failed"),
            removed=report.count("removed"), chunks=report.chunks,
        )  # fmt: skip
        done = self.progress.bar.maximum() or report.count(
            "indexed", "replaced", "unchanged", "moved", "duplicate", "failed"
        )
        self.progress.finished(done, summary)

    def _stopped_offered(self) -> None:
        self.progress.show()
        self.progress.idle(can_resume=True)

    # ---- removing documents ------------------------------------------------------------

    def _document_menu(self, position: QPoint) -> None:
        item = self.documents.itemAt(position)
        if item is None:
            return
        self.documents.setCurrentItem(item)
        menu = QMenu(self)
        action = menu.addAction(self.tr("Remove from collection…"))
        action.setEnabled(self.documents.selected_document() is not None)
        action.triggered.connect(self.remove_selected)
        menu.exec(self.documents.viewport().mapToGlobal(position))

    def remove_selected(self) -> Job | None:
        """Remove the selected document, after asking (the file itself stays on disk)."""
        document_id = self.documents.selected_document()
        if document_id is None:
            return None
        document = self.kb.store.document(document_id)
        question = self.tr("Remove “%1” from the collection “%2”? The file itself stays "
                           "where it is.")  # fmt: skip
        question = question.replace("%1", Path(document.path).name)
        answer = QMessageBox.question(
            self, self.tr("Remove document"), question.replace("%2", document.collection),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return None
        return self.remove_document(document)

    def remove_document(self, document: Document) -> Job:
        """Remove a document from its collection, on the lane (it touches Chroma)."""
        kb = self.kb

        def work() -> Iterator[object]:
            yield Removed(document, kb.remove(document))

        job = Job(work)
        job.item.connect(self._removed)
        job.failed.connect(self._show_message)
        job.ended.connect(self._removal_ended)
        self._removals[job] = document
        self.remove_button.setEnabled(False)
        return self.runner.submit(job)

    def _removed(self, removed: object) -> None:
        if isinstance(removed, Removed):
            self.ingestions.drop_row(removed.document.collection, removed.document.path)
            self._refresh()
            self.document_removed.emit(removed.document)

    def _removal_ended(self, job: object) -> None:
        if isinstance(job, Job):
            self._removals.pop(job, None)
        self._update_buttons()

    # ---- what the list shows -----------------------------------------------------------

    def refresh_documents(self) -> None:
        """Show the shown collection's rows: its stored documents, each with what this
        session saw of it, and the files in flight, stopped or failed."""
        self.documents.show_rows(self.ingestions.rows(self.collection))
        self._update_empty()
        self._update_buttons()
        self.check_languages()

    def _update_empty(self, *_change: object) -> None:
        empty = self.documents.topLevelItemCount() == 0
        self.empty_state.setVisible(empty)
        self.documents.setVisible(not empty)
        self.add_files_button.setVisible(not empty)  # the drop target has its own

    def _update_buttons(self, *_args: object) -> None:
        removable = self.documents.selected_document() is not None
        self.remove_button.setEnabled(removable and not self._removals)

    def status_of(self, path: Path | str, collection: str | None = None) -> str | None:
        """The status key of a file's row (queued, reading, embedding, done, failed, …)."""
        return self.ingestions.status_of(collection or self.collection, path)

    def status_text_of(self, path: Path | str) -> str:
        """What the status column says for a file of the shown collection."""
        state = self.documents.state(absolute(path))
        return "" if state is None else self.documents.status_text(state)

    # ---- messages ----------------------------------------------------------------------

    def _show_message(self, error: object) -> None:
        self.message_label.setText(describe_error(error, self.services.translate))
        self.message_label.show()

    def _clear_message(self) -> None:
        self.message_label.clear()
        self.message_label.hide()
