"""The knowledge panel: where people drop documents and folders to make them searchable.

It sits on the right of the window and folds away. A person picks a collection (or names a
new one), drops files or folders on the panel (or uses Add files… / Add folder…), and
watches each document go from queued through reading and embedding to done, or to failed
with the reason in their language. For the open chat, a checkbox per collection says which
ones its answers draw on (stored with the chat in the chat store).

The panel drives the core the way ``fireside-cli kb`` does: an ingestion is
:meth:`KnowledgeBase.ingestion` run over the paths, and what a kill left running in the
store is finished with :meth:`Ingestion.resume`, which the panel does by itself when it
opens. A stopped ingestion is closed in the store (the core's resume does not run it
again), so the panel keeps its paths and runs them again, ahead of the new ones, on the
next add or on Resume: finished documents are then skipped as unchanged, never re-embedded.
One stopped in an earlier session is found in the store (``stopped_jobs``) and offered the
same way when the panel opens; so are files that were added while no embedding model was
set, or stopped while still queued (the panel records those as stopped jobs itself).

Its parts live in ``desktop.knowledge.widgets`` (document list, collection picker, per-chat
boxes, progress line) and the lane's work and reports in ``desktop.knowledge.jobs``.

Threads: everything that reads files, touches Chroma or embeds runs on the knowledge lane
(the ``JobRunner`` given to the panel), one job at a time. Listing collections and
documents is a quick SQLite query and stays on the GUI thread. Embedding requests go
through the shared engine client, which already lets a chat reply go first.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import shiboken6
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

from core.engine.client import EngineClient
from core.errors import FiresideError
from core.knowledge import readers
from core.knowledge.collections import check_name
from core.knowledge.embedder import resolve_model
from core.knowledge.errors import NoEmbeddingModel
from core.knowledge.ingest import IngestReport, Outcome, Progress
from core.knowledge.store import DEFAULT_COLLECTION, Collection, Document
from core.settings import Settings
from desktop.knowledge.jobs import (
    DONE,
    DUPLICATE,
    EMBEDDING,
    FAILED,
    IN_FLIGHT,
    MOVED,
    OUTCOME_STATUS,
    QUEUED,
    READING,
    READY,
    STOPPED,
    STORED_STATUS,
    UNCHANGED,
    WAITING,
    EmbeddingStarted,
    IngestTask,
    Planned,
    Removed,
    ReportingEmbedder,
    RowState,
    RunFinished,
    TaskEvent,
    absolute,
    plan_files,
)
from desktop.knowledge.widgets import (
    ChatCollections,
    CollectionPicker,
    DocumentList,
    EmbeddingModelBar,
    IngestProgress,
)
from desktop.window.drops import local_files
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
        self.tasks: list[IngestTask] = []  # submitted and not ended, in order
        self.last_task: IngestTask | None = None
        self._left_over: dict[str, list[str]] = {}  # collection -> paths to run again
        self._rows: dict[str, dict[str, RowState]] = {}  # collection -> path -> row
        self._removals: dict[Job, Document] = {}
        self._embedder: ReportingEmbedder | None = None  # touched on the lane only
        self.setAcceptDrops(True)
        self._build()
        if not self.kb.collections():
            self.kb.store.ensure_collection(DEFAULT_COLLECTION)
        self._refresh(select=DEFAULT_COLLECTION)
        if not self.has_embedding_model:
            self.model_bar.show_missing()
        self._listen_to_settings()
        self._resume_killed_jobs()
        self._offer_stopped_jobs()

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
        self.model_bar.hide()
        self.picker = CollectionPicker(self.services.translate)
        self.picker.chosen.connect(self._collection_chosen)
        self.picker.create_requested.connect(self.create_collection)
        self.chat_collections = ChatCollections()
        self.chat_collections.changed.connect(self._chat_choice_changed)

        self.documents = DocumentList()
        self.documents.setToolTip(self.tr("Drop files or folders here to make them searchable"))
        self.documents.customContextMenuRequested.connect(self._document_menu)
        self.documents.currentItemChanged.connect(self._update_buttons)
        remove_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.documents)
        remove_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.activated.connect(self.remove_selected)
        self.empty_label = QLabel(self.tr("Drop files or folders here to make them searchable."))
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_files_button = QPushButton(self.tr("Add files…"))
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
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        body = QVBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.model_bar)
        body.addWidget(self.picker)
        body.addWidget(self.chat_collections)
        body.addWidget(self.documents, 1)
        body.addWidget(self.empty_label)
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
        return bool(self.services.settings.embedding_model)

    def _listen_to_settings(self) -> None:
        """Follow the settings through a weak listener: the services outlive the panel."""
        method = weakref.WeakMethod(self._settings_changed)

        def listener(old: Settings, new: Settings) -> None:
            bound = method()
            if bound is not None and shiboken6.isValid(bound.__self__):
                bound(old, new)

        self.services.on_settings_changed(listener)

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if old.embedding_model == new.embedding_model:
            return
        if not new.embedding_model:
            self.model_bar.show_missing()
            return
        self.model_bar.hide()
        self.resume()  # what waited for a model goes now

    # ---- adding documents --------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_files(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
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

    def add_paths(self, paths: Sequence[Path | str], collection: str | None = None) -> Job | None:
        """Make files and folders searchable in ``collection`` (default: the one shown).
        What a cancel left in that collection goes first (finished files are skipped as
        unchanged). Without an embedding model the paths wait for one."""
        name = collection or self.collection
        given = list(dict.fromkeys(absolute(p) for p in paths))
        if not given:
            return None
        self._clear_message()
        wanted = list(dict.fromkeys([*self._left_over.pop(name, []), *given]))
        if not self.has_embedding_model:
            self._left_over[name] = wanted
            self._record_stopped(name, wanted)
            for path in given:
                self._set_state(name, path, RowState(WAITING))
            self.model_bar.show_missing()
            self.progress.waiting()
            return None
        for path in given:
            self._set_state(name, path, RowState(QUEUED))
        return self._submit(IngestTask(name, wanted))

    def resume(self) -> list[Job]:
        """Run again what a cancel (or a missing model) left, then what a kill left."""
        if not self.has_embedding_model:
            self.model_bar.show_missing()
            return []
        jobs = self._resume_killed_jobs()
        for name in list(self._left_over):
            paths = self._left_over.pop(name)
            for path in paths:
                self._set_state(name, path, RowState(QUEUED))
            jobs.append(self._submit(IngestTask(name, paths)))
        return jobs

    def _resume_killed_jobs(self) -> list[Job]:
        """Ingestions a kill left running in the store are finished (Ingestion.resume).
        Only while the panel runs none: its own jobs are "running" in the store too."""
        if self.tasks or not self.has_embedding_model:
            return []
        jobs = []
        unfinished = self.kb.store.unfinished_jobs()
        for name in dict.fromkeys(job.collection for job in unfinished):
            paths = [p for job in unfinished if job.collection == name for p in job.paths]
            for path in dict.fromkeys(paths):
                self._set_state(name, path, RowState(QUEUED))
            jobs.append(self._submit(IngestTask(name, list(dict.fromkeys(paths)), resume=True)))
        return jobs

    def _offer_stopped_jobs(self) -> None:
        """Ingestions stopped in an earlier session wait for Resume (or the next add), as
        in the session that stopped them; they do not start by themselves, since the
        person chose to stop them."""
        status = STOPPED if self.has_embedding_model else WAITING  # as when they were added
        for job in self.kb.store.stopped_jobs():
            left = self._left_over.setdefault(job.collection, [])
            left.extend(p for p in job.paths if p not in left)
            stored = {d.path for d in self.kb.documents(job.collection)}
            for path in job.paths:  # a folder's row stands for its files until they are seen
                if path not in stored and self._state(job.collection, path) is None:
                    self._set_state(job.collection, path, RowState(status))
        if any(self._left_over.values()) and not self.tasks:
            if self.has_embedding_model:
                self.progress.show()
                self.progress.idle(can_resume=True)
            else:
                self.progress.waiting()

    def _record_stopped(self, collection: str, paths: Sequence[str]) -> None:
        """Record paths that will not run now, and that no ingestion recorded, as a stopped
        job: a task stopped while still queued, or files waiting for an embedding model. A
        restart then offers them again like any other stop."""
        store = self.kb.store
        store.finish_job(store.start_job(collection, list(paths)), "cancelled")

    def cancel(self) -> None:
        """Stop every ingestion of the panel; finished documents are kept, and the rest
        run again on the next add or on Resume."""
        for task in list(self.tasks):
            if task.job is not None:
                task.job.cancel()  # calls task.cancel; a job not started never runs
            else:
                task.cancel()

    @property
    def busy(self) -> bool:
        return bool(self.tasks)

    # ---- the job on the knowledge lane -------------------------------------------------

    def _submit(self, task: IngestTask) -> Job:
        settings = self.services.settings
        paths = self.services.paths
        client = self.services.client
        kb = self.kb

        def work() -> Iterator[object]:
            embedder = self._embedder_for(resolve_model(None, settings, paths),
                                          settings.engine.n_threads or None, client)  # fmt: skip
            planned = plan_files(task.paths)
            yield TaskEvent(task, planned)

            def progress(value: Progress) -> None:
                job.item.emit(TaskEvent(task, value))

            def embedding(chunks: int) -> None:
                job.item.emit(TaskEvent(task, EmbeddingStarted(chunks)))

            embedder.on_start = embedding
            try:
                ingestion = kb.ingestion(embedder, task.collection, on_progress=progress)
                task.attach(ingestion)
                if task.resume:
                    reports = ingestion.resume()
                else:
                    reports = [ingestion.run([Path(p) for p in task.paths])]
            finally:
                embedder.on_start = None
            for report in reports:
                yield TaskEvent(task, RunFinished(report))

        job = Job(work, cancel=task.cancel)
        task.job = job
        job.item.connect(self._job_item)
        job.failed.connect(self._job_failed)
        job.ended.connect(self._job_ended)
        first = not self.tasks
        self.tasks.append(task)
        self.last_task = task
        self.runner.submit(job)
        self.progress.starting(first=first)
        return job

    def _embedder_for(
        self, model: Path, threads: int | None, client: EngineClient
    ) -> ReportingEmbedder:
        """Runs on the lane: one embedder while the model and threads stay the same (it
        keeps what the engine said about the model)."""
        embedder = self._embedder
        if embedder is None or embedder.model_path != model or (
            embedder.options.n_threads != threads
        ):  # fmt: skip
            embedder = ReportingEmbedder(client, model, n_threads=threads)
            self._embedder = embedder
        return embedder

    def _job_item(self, event: object) -> None:
        if not isinstance(event, TaskEvent):
            return
        task, payload = event.task, event.payload
        if isinstance(payload, Planned):
            task.files = payload.files
            for folder in payload.folders:
                self._drop_state(task.collection, folder)
            for path in payload.files:
                self._set_state(task.collection, path, RowState(QUEUED))
        elif isinstance(payload, EmbeddingStarted):
            task.current_chunks = payload.chunks
            if task.current is not None:
                self._show_embedding(task, task.current_start)
        elif isinstance(payload, Progress):
            self._progress(task, payload)
        elif isinstance(payload, RunFinished):
            self._run_finished(task, payload.report)

    def _progress(self, task: IngestTask, progress: Progress) -> None:
        if progress.outcome is not None:
            self._show_outcome(task.collection, progress.outcome)
            task.current = None
        elif progress.current is not None and progress.current != task.current:
            task.current = progress.current
            task.current_start = progress.chunks_done
            self._set_state(task.collection, progress.current, RowState(READING))
        elif progress.current is not None:  # a batch of the current document is embedded
            self._show_embedding(task, progress.chunks_done)
        self.progress.running(progress)

    def _show_embedding(self, task: IngestTask, chunks_done: int) -> None:
        if task.current is None:
            return
        done = chunks_done - task.current_start
        detail = self.tr("Chunks: %1 of %2").replace("%1", str(done))
        detail = detail.replace("%2", str(task.current_chunks))
        self._set_state(task.collection, task.current, RowState(EMBEDDING, detail=detail))

    def _run_finished(self, task: IngestTask, report: IngestReport) -> None:
        task.reports.append(report)
        for outcome in report.outcomes:
            self._show_outcome(task.collection, outcome)
        if report.cancelled:
            self._stopped(task)
        else:
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
            if self.tasks == [task] and not task.resume:  # nothing more is coming
                self.progress.idle(can_resume=any(self._left_over.values()))
        self._refresh()
        self.ingest_finished.emit(report)

    def _stopped(self, task: IngestTask) -> None:
        """A task that will not finish now: its paths run again later (skipping what is
        done), and its files not reached say so."""
        left = self._left_over.setdefault(task.collection, [])
        left.extend(p for p in task.paths if p not in left)
        for path in {*task.files, *task.paths}:
            state = self._state(task.collection, path)
            if state is not None and state.status in IN_FLIGHT:
                self._set_state(task.collection, path, replace(state, status=STOPPED, detail=""))

    def _job_failed(self, error: object) -> None:
        if isinstance(error, NoEmbeddingModel):  # said once, next to the way to fix it
            self.model_bar.show_missing(error.message(self.services.translate))
        else:
            self._show_message(error)

    def _job_ended(self, job: object) -> None:
        task = next((t for t in self.tasks if t.job is job), None)
        if task is None:
            return
        self.tasks.remove(task)
        if not task.reports:  # cancelled before it ran, or failed: run it again later
            if not task.started and not task.resume:  # (a kill's job is in the store)
                self._record_stopped(task.collection, task.paths)
            self._stopped(task)
            self._refresh()
        if not self.tasks:
            self.progress.idle(can_resume=any(self._left_over.values()))

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
            self._drop_state(removed.document.collection, removed.document.path)
            self._refresh()
            self.document_removed.emit(removed.document)

    def _removal_ended(self, job: object) -> None:
        if isinstance(job, Job):
            self._removals.pop(job, None)
        self._update_buttons()

    # ---- what the list shows -----------------------------------------------------------

    def _state(self, collection: str, path: str) -> RowState | None:
        return self._rows.get(collection, {}).get(path)

    def _set_state(self, collection: str, path: str, state: RowState) -> None:
        rows = self._rows.setdefault(collection, {})
        previous = rows.get(path)
        if previous is not None and state.status in IN_FLIGHT:
            # a stored document worked on again keeps its figures until it is done
            state = replace(state, pages=previous.pages, chunks=previous.chunks,
                            document_id=previous.document_id)  # fmt: skip
        rows[path] = state
        if collection == self.collection:
            self.documents.set_row(path, state)
            self._update_empty()
        if previous is None or previous.status != state.status:
            self.status_changed.emit(path, state.status)

    def _drop_state(self, collection: str, path: str) -> None:
        self._rows.get(collection, {}).pop(path, None)
        if collection == self.collection:
            self.documents.drop_row(path)
            self._update_empty()

    def _show_outcome(self, collection: str, outcome: Outcome) -> None:
        if outcome.status == "removed":
            self._drop_state(collection, outcome.path)
            return
        status = OUTCOME_STATUS.get(outcome.status, DONE)
        reason, detail = self._reason(outcome.code, outcome.params)
        if status == DUPLICATE:
            detail = self._same_as(outcome.params)
        elif status != FAILED:
            reason = detail = ""
        chunks = outcome.chunks if status in (DONE, UNCHANGED, MOVED) else None
        # A duplicate's document id is its original's; its own row is found on refresh.
        document_id = None if status == DUPLICATE else outcome.document_id
        self._set_state(
            collection,
            outcome.path,
            RowState(status, reason, detail, outcome.pages, chunks, document_id),
        )

    def _same_as(self, params: dict[str, Any] | None) -> str:
        original = Path(str((params or {}).get("original", ""))).name
        return self.tr("same as %1").replace("%1", original)

    def _reason(self, code: str | None, params: dict[str, Any] | None) -> tuple[str, str]:
        """The core's message for a code: in full (the tooltip), and with file names for
        paths (the status column is narrow)."""
        if not code:
            return "", ""
        params = dict(params or {})
        translate = self.services.translate
        short = {k: Path(str(v)).name if k in ("path", "original", "old") and v else v
                 for k, v in params.items()}  # fmt: skip
        return translate(code, **params), translate(code, **short)

    def _stored_state(self, document: Document) -> RowState:
        status = STORED_STATUS.get(document.status, READY)
        reason, detail = self._reason(document.error_code, document.error_params)
        if status == DUPLICATE:
            detail = self._same_as(document.error_params)
        chunks = document.chunk_count if document.status == "indexed" else None
        return RowState(status, reason, detail, document.pages, chunks, document.id)

    def refresh_documents(self) -> None:
        """Show the collection's stored documents (SQLite), each with what this session
        saw of it (in flight, done, unchanged, failed) over what the store says."""
        name = self.collection
        try:
            stored = self.kb.documents(name)
        except FiresideError:
            stored = []
        seen = self._rows.get(name, {})
        states: dict[str, RowState] = {}
        for document in stored:
            state = self._stored_state(document)
            earlier = seen.get(document.path)
            if earlier is not None and earlier.status != READY:
                indexed = document.status == "indexed"
                state = replace(earlier, document_id=document.id, pages=document.pages,
                                chunks=document.chunk_count if indexed else None)  # fmt: skip
            states[document.path] = state
        for path, earlier in seen.items():  # not stored (yet): in flight, stopped, missing
            if path not in states and earlier.status in (*IN_FLIGHT, STOPPED, FAILED):
                states[path] = earlier
        self._rows[name] = states
        self.documents.show_rows(states)
        self._update_empty()
        self._update_buttons()

    def _update_empty(self) -> None:
        self.empty_label.setVisible(self.documents.topLevelItemCount() == 0)

    def _update_buttons(self, *_args: object) -> None:
        removable = self.documents.selected_document() is not None
        self.remove_button.setEnabled(removable and not self._removals)

    def status_of(self, path: Path | str, collection: str | None = None) -> str | None:
        """The status key of a file's row (queued, reading, embedding, done, failed, …)."""
        state = self._state(collection or self.collection, absolute(path))
        return None if state is None else state.status

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
