"""Downloads as the window shows them: one task per file, shared by every screen.

The downloads themselves are the core's (``core.models.downloads``): resumable ``.part``
files, verification, pause and cancel. A :class:`DownloadTask` follows one of them on the
window's downloads lane and turns it into signals; a :class:`DownloadBoard` keeps every task
of that lane, so the welcome and the model manager show the same downloads, and a download
left unfinished when the app closed comes back as paused.

Nothing here is a widget, so tests drive a board over a real lane without a window; how a
download looks is ``desktop.models.download_view``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Final, Literal

from PySide6.QtCore import QObject, Signal, Slot

from core.errors import FiresideError
from core.models.downloads import DownloadControl, DownloadProgress, PartialState
from core.models.errors import DownloadCancelled, DownloadPaused
from core.models.naming import check_filename, check_repo_id, split_names
from core.models.registry import InstalledModel, ModelRegistry
from core.paths import AppPaths
from desktop.models.hub_lookups import HubAccess
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner

TaskState = Literal["new", "queued", "running", "paused", "failed", "cancelled", "done"]


def unfinished_downloads(paths: AppPaths) -> list[PartialState]:
    """The downloads whose ``.part`` files the core keeps in ``downloads_dir``.

    Read from the core's ``<key>.json`` records (a :class:`PartialState` each, written before
    a download's first byte and removed after its last). The core does not list them itself
    yet; when it does (``Downloader.unfinished()``), this becomes a call to it.
    """
    found: list[PartialState] = []
    folder = paths.downloads_dir
    if not folder.is_dir():
        return found
    for record in sorted(folder.glob("*.json")):
        try:
            state = PartialState(**json.loads(record.read_text(encoding="utf-8")))
            check_repo_id(state.repo)
            check_filename(state.filename)
        except (OSError, ValueError, TypeError, FiresideError):
            continue  # not one of the core's records, or damaged: the core starts it over
        found.append(state)
    return found


# ---- reaching the Hub ----------------------------------------------------------------------


_STARTED: Final = "started"  # the work began (before the Hub answered the first request)


class DownloadTask(QObject):
    """One model download as the window follows it: start, pause, resume, cancel, progress.

    The bytes are the core's business (:class:`Downloader`): a pause keeps the ``.part`` file
    and the next start continues from it; a cancel deletes it. The work runs as a
    :class:`Job` on the downloads lane; when that lane is shut down (the app closing), the
    job's stop request is a pause, so the download comes back as paused next time.
    """

    progressed = Signal(object)  # DownloadProgress
    changed = Signal()  # state, numbers or error changed: redraw
    finished = Signal(object)  # InstalledModel, once verified and registered
    failed = Signal(object)  # the exception, for failures other than pause and cancel
    _reported = Signal(object)  # from the worker thread: progress, or _STARTED

    def __init__(
        self,
        repo: str,
        filename: str,
        *,
        runner: JobRunner,
        registry: ModelRegistry,
        access: HubAccess,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.repo = check_repo_id(repo)
        self.filename = split_names(check_filename(filename))[0]  # a split model's first part
        self.runner = runner
        self.registry = registry
        self.access = access
        self.state: TaskState = "new"
        self.progress: DownloadProgress | None = None
        self.error: BaseException | None = None
        self.model: InstalledModel | None = None
        self.job: Job | None = None
        self.resumed_from = 0  # bytes already on disk when the current attempt started
        self.known_total: int | None = None  # before the Hub says (a download from last time)
        self._control: DownloadControl | None = None
        self._local = access.local_downloader()
        self._reported.connect(self._on_report)

    # ---- what the views read -------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def title(self) -> str:
        return f"{self.repo} · {self.filename}"

    def bytes_on_disk(self) -> int:
        """Bytes of the unfinished download kept on disk (all parts of a split model)."""
        return sum(self._local.partial_bytes(self.repo, n) for n in split_names(self.filename))

    @property
    def total(self) -> int | None:
        return self.progress.total if self.progress is not None else self.known_total

    # ---- what the buttons do -------------------------------------------------------------

    def start(self) -> Job:
        """Start, resume or retry; the running job when it runs already."""
        if self.active and self.job is not None:
            return self.job
        self.resumed_from = self.bytes_on_disk()
        self.error = None
        self.model = None
        self.progress = None
        control = DownloadControl()
        self._control = control
        repo, filename, access, registry = self.repo, self.filename, self.access, self.registry
        report = self._reported

        def work() -> Iterator[InstalledModel]:  # on the downloads lane
            report.emit(_STARTED)
            downloader = access.downloader()
            result = downloader.download(repo, filename, control=control, on_progress=report.emit)
            checksum = result.checksums[0] if result.checksums else None
            yield registry.add_downloaded(repo, result.paths, checksum)

        job = Job(work, functools.partial(_pause_for_shutdown, control))
        job.item.connect(self._on_result)
        job.failed.connect(self._on_failed)
        job.ended.connect(self._on_ended)
        self.job = job
        self._set_state("queued")
        return self.runner.submit(job)

    def pause(self) -> None:
        """Stop and keep the bytes; a download still waiting its turn simply does not start."""
        if self.active and self.job is not None and self._control is not None:
            self._control.pause()
            self.job.cancel()

    def cancel(self) -> None:
        """Stop and delete the bytes (at once when nothing is running)."""
        if self.active and self.job is not None and self._control is not None:
            self._control.cancel()
            self.job.cancel()
            return
        if self.state != "done":
            self._local.discard(self.repo, self.filename)
            self._set_state("cancelled")

    # ---- what the worker says --------------------------------------------------------------

    @Slot(object)
    def _on_report(self, value: object) -> None:
        if self.state not in ("queued", "running"):
            return  # a late report of an attempt that already ended
        if isinstance(value, DownloadProgress):
            self.progress = value
            self.state = "running"
            self.progressed.emit(value)
            self.changed.emit()
        elif value == _STARTED:
            self._set_state("running")

    @Slot(object)
    def _on_result(self, model: object) -> None:
        assert isinstance(model, InstalledModel)
        self.model = model
        self._set_state("done")
        self.finished.emit(model)

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        if isinstance(error, DownloadPaused):
            self._set_state("paused")
        elif isinstance(error, DownloadCancelled):
            self._local.discard(self.repo, self.filename)  # every part, not only the current one
            self._set_state("cancelled")
        else:
            self.error = error if isinstance(error, BaseException) else RuntimeError(str(error))
            self._set_state("failed")
            self.failed.emit(self.error)

    @Slot(object)
    def _on_ended(self, job: object) -> None:
        if job is not self.job or not self.active:
            return
        # The job ended without a result or an error: it was stopped before it started.
        if self._control is not None and self._control.request == "cancel":
            self._local.discard(self.repo, self.filename)
            self._set_state("cancelled")
        else:
            self._set_state("paused")

    def _set_state(self, state: TaskState) -> None:
        self.state = state
        self.changed.emit()


def _pause_for_shutdown(control: DownloadControl) -> None:
    """A job's stop request (the downloads lane shutting down as the app closes): keep the
    bytes for next time, unless the person already asked to cancel."""
    if control.request == "run":
        control.pause()


class DownloadBoard(QObject):
    """Every download of one downloads lane, whoever started it (the welcome, the dialog).

    It lives as a child of the lane's runner, so everything built over the same lane finds
    the same board (:meth:`of`) without a global; at its creation it lists the downloads left
    unfinished on disk, as paused.
    """

    task_added = Signal(object)  # DownloadTask
    task_removed = Signal(object)  # DownloadTask (cancelled)
    task_changed = Signal(object)  # DownloadTask
    model_installed = Signal(object)  # InstalledModel, from any task

    def __init__(self, runner: JobRunner, services: AppServices, access: HubAccess) -> None:
        super().__init__(runner)
        self.runner = runner
        self.services = services
        self.access = access
        self.tasks: list[DownloadTask] = []
        self._load_unfinished()

    @classmethod
    def of(cls, runner: JobRunner, services: AppServices, access: HubAccess) -> DownloadBoard:
        found = runner.findChild(cls)
        return found if isinstance(found, cls) else cls(runner, services, access)

    def find(self, repo: str, filename: str) -> DownloadTask | None:
        first = split_names(filename)[0]
        return next(
            (t for t in self.tasks if t.repo.lower() == repo.lower() and t.filename == first), None
        )

    def download(self, repo: str, filename: str, access: HubAccess | None = None) -> DownloadTask:
        """Start (or resume) a download; a file already downloading keeps its one task."""
        task = self.find(repo, filename)
        if task is None or task.state == "done":
            if task is not None:
                self._remove(task)
            task = self._add(repo, filename, access or self.access)
        task.start()
        return task

    @property
    def active_count(self) -> int:
        return sum(t.active for t in self.tasks)

    def _add(self, repo: str, filename: str, access: HubAccess) -> DownloadTask:
        task = DownloadTask(
            repo, filename, runner=self.runner, registry=self.services.registry, access=access,
            parent=self,
        )  # fmt: skip
        task.changed.connect(self._task_changed)
        task.finished.connect(self.model_installed)
        self.tasks.append(task)
        self.task_added.emit(task)
        return task

    def _remove(self, task: DownloadTask) -> None:
        if task in self.tasks:
            self.tasks.remove(task)
            self.task_removed.emit(task)
            task.deleteLater()

    @Slot()
    def _task_changed(self) -> None:
        task = self.sender()
        if not isinstance(task, DownloadTask):
            return
        if task.state == "cancelled":
            self._remove(task)
        else:
            self.task_changed.emit(task)

    def _load_unfinished(self) -> None:
        totals: dict[tuple[str, str], int] = {}
        for state in unfinished_downloads(self.services.paths):
            key = (state.repo, split_names(state.filename)[0])
            totals[key] = totals.get(key, 0) + state.size
        for (repo, filename), size in totals.items():
            task = self._add(repo, filename, self.access)
            task.known_total = size
            task.state = "paused"
