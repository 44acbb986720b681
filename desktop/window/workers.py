"""The one adapter that runs core work off the GUI thread and turns it into Qt signals.

A ``Job`` wraps a function that returns an iterator (a generation, an ingestion's progress,
a download's progress, or a single result). It runs on a ``JobRunner``'s ``QThread``; each
yielded item becomes an ``item`` signal, the end a ``done`` signal, and any exception a
``failed`` signal carrying the exception, so the window decides how to say it.

The window keeps one runner per lane (the engine, the knowledge base, downloads), so a long
ingestion never queues a chat reply behind it; jobs of one lane run one at a time, in order.
Stopping is the core's business (``cancel`` on a generation, an ingestion or a download
control): a job carries the function that asks for it, and :meth:`Job.cancel` calls it from
the GUI thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot


class Job(QObject):
    """Connect to its signals with bound methods of QObjects (never lambdas): Qt then
    delivers them on the receiver's thread; a lambda would run on the worker thread."""

    item = Signal(object)
    done = Signal()
    failed = Signal(object)
    ended = Signal(object)  # the job itself, after done or failed

    def __init__(
        self, work: Callable[[], Iterable[object]], cancel: Callable[[], None] | None = None
    ) -> None:
        super().__init__()
        self._work = work
        self._cancel = cancel
        self.cancelled = False
        self.finished = False

    def cancel(self) -> None:
        """Ask the work to stop (safe from any thread); a job not started yet never runs."""
        self.cancelled = True
        if self._cancel is not None:
            self._cancel()

    @Slot()
    def run(self) -> None:
        try:
            if not self.cancelled:
                for value in self._work():
                    self.item.emit(value)
        except Exception as exc:  # reported to the window, which shows it
            self.failed.emit(exc)
        else:
            self.done.emit()
        self.finished = True
        self.ended.emit(self)


class JobRunner(QObject):
    """Owns one worker thread (a lane); its jobs run one at a time, in order."""

    def __init__(self, parent: QObject | None = None, name: str = "core-work") -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName(f"fireside-{name}")
        self._thread.start()
        self._jobs: list[Job] = []

    def submit(self, job: Job) -> Job:
        job.moveToThread(self._thread)
        self._jobs.append(job)
        job.ended.connect(self._forget)
        # Start on the next turn of the GUI event loop, so whoever receives the job can
        # connect to its signals first: a quick failure must not be emitted to nobody.
        QTimer.singleShot(
            0, lambda: QMetaObject.invokeMethod(job, "run", Qt.ConnectionType.QueuedConnection)
        )
        return job

    def run(
        self, work: Callable[[], Iterable[object]], cancel: Callable[[], None] | None = None
    ) -> Job:
        """Shorthand: wrap ``work`` in a job and submit it."""
        return self.submit(Job(work, cancel))

    @Slot(object)
    def _forget(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def cancel_all(self) -> None:
        for job in list(self._jobs):
            job.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel what is queued or running, then stop the thread; False if it is still
        running after ``timeout_ms`` (the caller can unblock it and call this again)."""
        self.cancel_all()
        self._thread.quit()
        return bool(self._thread.wait(timeout_ms))


def own_lane(owner: QObject, name: str) -> JobRunner:
    """A lane of ``owner``'s own, stopped when ``owner`` goes: its thread must never be
    destroyed while it runs (Qt aborts the process), and a widget can be deleted by its
    parent or by Python without anyone calling its ``shutdown``."""
    lane = JobRunner(owner, name)

    def stop(*_args: object) -> None:
        with contextlib.suppress(RuntimeError):  # its thread is gone already (Python's exit)
            lane.shutdown()

    owner.destroyed.connect(stop)
    return lane
