"""The one adapter that runs core work off the GUI thread and turns it into Qt signals.

A ``Job`` wraps a function that returns an iterator (a generation, later an ingestion or a
download). It runs on a ``QThread``; each yielded item becomes an ``item`` signal, the end a
``done`` signal, and any exception a ``failed`` signal carrying the exception, so the window
decides how to say it. Stopping is the core's business (``cancel`` on the generation); the
job only carries the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot


class Job(QObject):
    """Connect to its signals with bound methods of QObjects (never lambdas): Qt then
    delivers them on the receiver's thread; a lambda would run on the worker thread."""

    item = Signal(object)
    done = Signal()
    failed = Signal(object)
    ended = Signal(object)  # the job itself, after done or failed

    def __init__(self, work: Callable[[], Iterable[object]]) -> None:
        super().__init__()
        self._work = work

    @Slot()
    def run(self) -> None:
        try:
            for value in self._work():
                self.item.emit(value)
        except Exception as exc:  # reported to the window, which shows it
            self.failed.emit(exc)
        else:
            self.done.emit()
        self.ended.emit(self)


class JobRunner(QObject):
    """Owns the worker thread; one job at a time, in order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("fireside-core-work")
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

    @Slot(object)
    def _forget(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def shutdown(self) -> None:
        self._thread.quit()
        self._thread.wait()
