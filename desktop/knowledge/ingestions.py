"""The knowledge panel's ingestions, without a widget: the state machine of its saved jobs.

:class:`Ingestions` runs every ingestion of the panel on the knowledge lane and keeps what
a person sees of each file (a :class:`RowState` per path and collection). Its jobs move
through these states:

* **running**: submitted to the lane, in order (``tasks``); cancelling one stops it before
  its next embedding batch, finished documents are kept;
* **left over** (``left_over``): a job stopped by a cancel, or files added while no embedding
  model is set. Its paths run again, ahead of new ones, on the next add or on Resume
  (finished files are then skipped as unchanged, never re-embedded). The core closes a
  cancelled ingestion in the store, and jobs that never reached the core (stopped while
  still queued, or waiting for a model) are recorded there as stopped jobs here, so a
  restart finds every one with ``stopped_jobs`` and offers it again (``offer_stopped``);
* **killed**: what a crash or kill left "running" in the store is finished with the core's
  :meth:`Ingestion.resume` (``resume_killed``), only while no job of the panel runs (its own
  jobs are "running" in the store too).

Signals report rows and progress; the panel only shows them. Tests drive it over a real
lane, real SQLite and Chroma and a real embedding model, without a window.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from core.engine.client import EngineClient
from core.engine.protocol import DeviceChoice
from core.errors import FiresideError
from core.knowledge.embedder import resolve_model
from core.knowledge.errors import NoEmbeddingModel
from core.knowledge.ingest import IngestReport, Outcome, Progress, Reading
from core.knowledge.readers.base import ReadLimits
from core.knowledge.store import Document
from core.models.switching import device_choice
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
    ReportingEmbedder,
    RowState,
    RunFinished,
    TaskEvent,
    absolute,
    plan_files,
)
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner


class Ingestions(QObject):
    """Every ingestion of the knowledge panel and the rows they show. Signals come on the
    GUI thread."""

    row_changed = Signal(str, str, object)  # collection, path, RowState (None: row dropped)
    status_changed = Signal(str, str)  # path, its new status key
    started = Signal(bool)  # a job was submitted; True when no other was running
    progressed = Signal(object)  # Progress of the running job
    run_done = Signal(object, bool)  # IngestReport of a run that was not cancelled; last one
    idle = Signal(bool)  # no job left; whether Resume has something to run
    waiting = Signal()  # files wait for an embedding model
    stopped_offered = Signal()  # jobs stopped in an earlier session wait for Resume
    model_missing = Signal(str)  # no embedding model: the core's message, or "" (the panel's)
    failed = Signal(object)  # a job failed with this exception
    finished = Signal(object)  # IngestReport: one per core run, cancelled ones too
    changed = Signal()  # the store's documents may have changed: show them again

    def __init__(
        self, services: AppServices, runner: JobRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.kb = services.knowledge
        self.tasks: list[IngestTask] = []  # submitted and not ended, in order
        self.last_task: IngestTask | None = None
        self.left_over: dict[str, list[str]] = {}  # collection -> paths to run again
        self._rows: dict[str, dict[str, RowState]] = {}  # collection -> path -> row
        self._embedder: ReportingEmbedder | None = None  # touched on the lane only

    # ---- what the panel asks -----------------------------------------------------------

    @property
    def has_embedding_model(self) -> bool:
        return bool(self.services.settings.embedding_model)

    @property
    def busy(self) -> bool:
        return bool(self.tasks)

    @property
    def can_resume(self) -> bool:
        return any(self.left_over.values())

    def add(self, collection: str, paths: Sequence[Path | str]) -> Job | None:
        """Make files and folders searchable in ``collection``. What a cancel left in that
        collection goes first. Without an embedding model the paths wait for one."""
        given = list(dict.fromkeys(absolute(p) for p in paths))
        if not given:
            return None
        wanted = list(dict.fromkeys([*self.left_over.pop(collection, []), *given]))
        if not self.has_embedding_model:
            self.left_over[collection] = wanted
            self.record_stopped(collection, wanted)
            for path in given:
                self.set_row(collection, path, RowState(WAITING))
            self.model_missing.emit("")
            self.waiting.emit()
            return None
        for path in given:
            self.set_row(collection, path, RowState(QUEUED))
        return self._submit(IngestTask(collection, wanted))

    def resume(self) -> list[Job]:
        """Run again what a cancel (or a missing model) left, then what a kill left."""
        if not self.has_embedding_model:
            self.model_missing.emit("")
            return []
        jobs = self.resume_killed()
        for name in list(self.left_over):
            paths = self.left_over.pop(name)
            for path in paths:
                self.set_row(name, path, RowState(QUEUED))
            jobs.append(self._submit(IngestTask(name, paths)))
        return jobs

    def resume_killed(self) -> list[Job]:
        """Ingestions a kill left running in the store are finished (Ingestion.resume).
        Only while none of these runs: their own jobs are "running" in the store too."""
        if self.tasks or not self.has_embedding_model:
            return []
        jobs = []
        unfinished = self.kb.store.unfinished_jobs()
        for name in dict.fromkeys(job.collection for job in unfinished):
            paths = [p for job in unfinished if job.collection == name for p in job.paths]
            for path in dict.fromkeys(paths):
                self.set_row(name, path, RowState(QUEUED))
            jobs.append(self._submit(IngestTask(name, list(dict.fromkeys(paths)), resume=True)))
        return jobs

    def offer_stopped(self) -> None:
        """Ingestions stopped in an earlier session wait for Resume (or the next add), as
        in the session that stopped them; they do not start by themselves, since the
        person chose to stop them."""
        status = STOPPED if self.has_embedding_model else WAITING  # as when they were added
        for job in self.kb.store.stopped_jobs():
            left = self.left_over.setdefault(job.collection, [])
            left.extend(p for p in job.paths if p not in left)
            stored = {d.path for d in self.kb.documents(job.collection)}
            for path in job.paths:  # a folder's row stands for its files until they are seen
                if path not in stored and self.row(job.collection, path) is None:
                    self.set_row(job.collection, path, RowState(status))
        if self.can_resume and not self.tasks:
            if self.has_embedding_model:
                self.stopped_offered.emit()
            else:
                self.waiting.emit()

    def record_stopped(self, collection: str, paths: Sequence[str]) -> None:
        """Record paths that will not run now, and that no ingestion recorded, as a stopped
        job: a task stopped while still queued, or files waiting for an embedding model. A
        restart then offers them again like any other stop."""
        store = self.kb.store
        store.finish_job(store.start_job(collection, list(paths)), "cancelled")

    def cancel(self) -> None:
        """Stop every ingestion; finished documents are kept, and the rest run again on the
        next add or on Resume."""
        for task in list(self.tasks):
            if task.job is not None:
                task.job.cancel()  # calls task.cancel; a job not started never runs
            else:
                task.cancel()

    # ---- the job on the knowledge lane -------------------------------------------------

    def _submit(self, task: IngestTask) -> Job:
        settings = self.services.settings
        paths = self.services.paths
        client = self.services.client
        kb = self.kb

        def work() -> Iterator[object]:
            embedder = self._embedder_for(resolve_model(None, settings, paths),
                                          settings.engine.n_threads or None, client,
                                          device_choice(settings.engine, "embedding"))  # fmt: skip
            planned = plan_files(task.paths)
            yield TaskEvent(task, planned)

            def progress(value: Progress) -> None:
                job.item.emit(TaskEvent(task, value))

            def embedding(chunks: int) -> None:
                job.item.emit(TaskEvent(task, EmbeddingStarted(chunks)))

            embedder.on_start = embedding
            try:
                limits = ReadLimits.from_settings(settings.knowledge)
                ingestion = kb.ingestion(embedder, task.collection, limits=limits,
                                         on_progress=progress)  # fmt: skip
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
        self.started.emit(first)
        return job

    def _embedder_for(
        self, model: Path, threads: int | None, client: EngineClient, device: DeviceChoice
    ) -> ReportingEmbedder:
        """Runs on the lane: one embedder while the model, threads and device (Settings →
        Device) stay the same (it keeps what the engine said about the model)."""
        embedder = self._embedder
        if embedder is None or embedder.model_path != model or (
            embedder.options.n_threads != threads or embedder.device != device
        ):  # fmt: skip
            embedder = ReportingEmbedder(client, model, n_threads=threads, device=device)
            self._embedder = embedder
        return embedder

    def _job_item(self, event: object) -> None:
        if not isinstance(event, TaskEvent):
            return
        task, payload = event.task, event.payload
        if isinstance(payload, Planned):
            task.files = payload.files
            for folder in payload.folders:
                self.drop_row(task.collection, folder)
            for path in payload.files:
                self.set_row(task.collection, path, RowState(QUEUED))
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
        elif progress.reading is not None and progress.current is not None:
            task.current = progress.current  # a long document is still being read
            task.current_start = progress.chunks_done
            detail = self._reading_detail(progress.reading)
            self.set_row(task.collection, progress.current, RowState(READING, detail=detail))
        elif progress.current is not None and progress.current != task.current:
            task.current = progress.current
            task.current_start = progress.chunks_done
            self.set_row(task.collection, progress.current, RowState(READING))
        elif progress.current is not None:  # a batch of the current document is embedded
            self._show_embedding(task, progress.chunks_done)
        self.progressed.emit(progress)

    def _reading_detail(self, reading: Reading) -> str:
        """How far inside a long document the reader is: "page 53 of 3000"."""
        words = {
            "page": self.tr("page %1 of %2"),
            "chapter": self.tr("chapter %1 of %2"),
            "paragraph": self.tr("paragraph %1 of %2"),
        }
        text = words.get(reading.unit, words["page"]).replace("%1", str(reading.done))
        return text.replace("%2", str(reading.total) if reading.total else "?")

    def _show_embedding(self, task: IngestTask, chunks_done: int) -> None:
        if task.current is None:
            return
        done = chunks_done - task.current_start
        detail = self.tr("Chunks: %1 of %2").replace("%1", str(done))
        detail = detail.replace("%2", str(task.current_chunks))
        self.set_row(task.collection, task.current, RowState(EMBEDDING, detail=detail))

    def _run_finished(self, task: IngestTask, report: IngestReport) -> None:
        task.reports.append(report)
        for outcome in report.outcomes:
            self._show_outcome(task.collection, outcome)
        if report.cancelled:
            self._stopped(task)
        else:
            last = self.tasks == [task] and not task.resume  # nothing more is coming
            self.run_done.emit(report, last)
            if last:
                self.idle.emit(self.can_resume)
        self.changed.emit()
        self.finished.emit(report)

    def _stopped(self, task: IngestTask) -> None:
        """A task that will not finish now: its paths run again later (skipping what is
        done), and its files not reached say so."""
        left = self.left_over.setdefault(task.collection, [])
        left.extend(p for p in task.paths if p not in left)
        for path in {*task.files, *task.paths}:
            state = self.row(task.collection, path)
            if state is not None and state.status in IN_FLIGHT:
                self.set_row(task.collection, path, replace(state, status=STOPPED, detail=""))

    def _job_failed(self, error: object) -> None:
        if isinstance(error, NoEmbeddingModel):  # said once, next to the way to fix it
            self.model_missing.emit(error.message(self.services.translate))
        else:
            self.failed.emit(error)

    def _job_ended(self, job: object) -> None:
        task = next((t for t in self.tasks if t.job is job), None)
        if task is None:
            return
        self.tasks.remove(task)
        if not task.reports:  # cancelled before it ran, or failed: run it again later
            if not task.started and not task.resume:  # (a kill's job is in the store)
                self.record_stopped(task.collection, task.paths)
            self._stopped(task)
            self.changed.emit()
        if not self.tasks:
            self.idle.emit(self.can_resume)

    # ---- the rows ----------------------------------------------------------------------

    def row(self, collection: str, path: str) -> RowState | None:
        return self._rows.get(collection, {}).get(path)

    def status_of(self, collection: str, path: Path | str) -> str | None:
        """The status key of a file's row (queued, reading, embedding, done, failed, …)."""
        state = self.row(collection, absolute(path))
        return None if state is None else state.status

    def set_row(self, collection: str, path: str, state: RowState) -> None:
        rows = self._rows.setdefault(collection, {})
        previous = rows.get(path)
        if previous is not None and state.status in IN_FLIGHT:
            # a stored document worked on again keeps its figures until it is done
            state = replace(state, pages=previous.pages, chunks=previous.chunks,
                            document_id=previous.document_id)  # fmt: skip
        rows[path] = state
        self.row_changed.emit(collection, path, state)
        if previous is None or previous.status != state.status:
            self.status_changed.emit(path, state.status)

    def drop_row(self, collection: str, path: str) -> None:
        self._rows.get(collection, {}).pop(path, None)
        self.row_changed.emit(collection, path, None)

    def _show_outcome(self, collection: str, outcome: Outcome) -> None:
        if outcome.status == "removed":
            self.drop_row(collection, outcome.path)
            return
        status = OUTCOME_STATUS.get(outcome.status, DONE)
        reason, detail = self._reason(outcome.code, outcome.params)
        if status == DUPLICATE:
            detail = self._same_as(outcome.params)
        elif status != FAILED and not outcome.code:
            reason = detail = ""  # indexed as it is; a note (shortened, moved) is kept
        chunks = outcome.chunks if status in (DONE, UNCHANGED, MOVED) else None
        # A duplicate's document id is its original's; its own row is found on refresh.
        document_id = None if status == DUPLICATE else outcome.document_id
        self.set_row(
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
        return RowState(status, reason, detail, document.pages, chunks, document.id,
                        document.recognised)  # fmt: skip

    def rows(self, collection: str) -> dict[str, RowState]:
        """Every row of a collection: its stored documents (SQLite), each with what this
        session saw of it (in flight, done, unchanged, failed) over what the store says,
        and the files not stored (yet) that are in flight, stopped or failed."""
        try:
            stored = self.kb.documents(collection)
        except FiresideError:
            stored = []
        seen = self._rows.get(collection, {})
        states: dict[str, RowState] = {}
        for document in stored:
            state = self._stored_state(document)
            earlier = seen.get(document.path)
            if earlier is not None and earlier.status != READY:
                indexed = document.status == "indexed"
                state = replace(earlier, document_id=document.id, pages=document.pages,
                                chunks=document.chunk_count if indexed else None,
                                recognised=document.recognised)  # fmt: skip
            states[document.path] = state
        for path, earlier in seen.items():  # not stored (yet): in flight, stopped, missing
            if path not in states and earlier.status in (*IN_FLIGHT, STOPPED, FAILED):
                states[path] = earlier
        self._rows[collection] = states
        return states
