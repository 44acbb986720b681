"""What the knowledge lane does for the panel, and what it reports back.

An :class:`IngestTask` is one ingestion into one collection; on the lane it reports the
files it will go through (:class:`Planned`), when embedding starts, each file's outcome and
the end (:class:`RunFinished`) as :class:`TaskEvent` items, which the panel turns into the
per-document statuses defined here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.knowledge.embedder import Embedder
from core.knowledge.folder_walk import walk_folder
from core.knowledge.ingest import IngestReport, Progress
from core.knowledge.store import Document
from desktop.window.workers import Job

if TYPE_CHECKING:
    import numpy as np

# Row statuses: keys that tests and the window compare; DocumentList says them in words.
QUEUED, WAITING, READING, EMBEDDING = "queued", "waiting", "reading", "embedding"
DONE, UNCHANGED, MOVED, DUPLICATE, FAILED = "done", "unchanged", "moved", "duplicate", "failed"
STOPPED, READY = "stopped", "ready"
IN_FLIGHT = frozenset({QUEUED, WAITING, READING, EMBEDDING})
OUTCOME_STATUS = {
    "indexed": DONE,
    "replaced": DONE,
    "unchanged": UNCHANGED,
    "moved": MOVED,
    "duplicate": DUPLICATE,
    "failed": FAILED,
}
STORED_STATUS = {"indexed": READY, "failed": FAILED, "duplicate": DUPLICATE}


def absolute(path: Path | str) -> str:
    """A path as the ingestion records it (made absolute, not resolved: no disk access)."""
    return str(Path(path).expanduser().absolute())


# ---- what the knowledge lane reports -------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """The files a job goes through (folders walked the way the ingestion walks them)."""

    files: list[str]
    folders: list[str]


@dataclass(frozen=True)
class EmbeddingStarted:
    """The document in progress is read and cut into ``chunks``; embedding begins."""

    chunks: int


@dataclass(frozen=True)
class RunFinished:
    report: IngestReport


@dataclass(frozen=True)
class Removed:
    document: Document
    chunks: int


@dataclass(frozen=True)
class TaskEvent:
    """An item of an ingestion job: the task it belongs to and what happened."""

    task: IngestTask
    payload: Progress | Planned | EmbeddingStarted | RunFinished


@dataclass(frozen=True)
class RowState:
    """What the document list shows for one file."""

    status: str
    reason: str = ""  # the core's full message (a failure, a duplicate), for the tooltip
    detail: str = ""  # a short fact after the status: a reason with file names, "3 of 8 chunks"
    pages: int | None = None
    chunks: int | None = None
    document_id: int | None = None  # set when the store holds a row that can be removed
    recognised: bool = False  # some of its text was recognised from images (OCR)


@dataclass(eq=False)
class IngestTask:
    """One ingestion job of the panel. Its cancel reaches the core's :class:`Ingestion`
    from any thread, even before the lane has created it."""

    collection: str
    paths: list[str]
    resume: bool = False  # run the store's unfinished jobs (a kill) rather than ``paths``
    job: Job | None = None
    files: list[str] = field(default_factory=list)  # from Planned
    reports: list[IngestReport] = field(default_factory=list)
    current: str | None = None  # the document being worked on
    current_start: int = 0  # chunks_done when it began
    current_chunks: int = 0  # how many chunks it is being embedded as
    _ingestion: Any = None
    _cancelled: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, ingestion: Any) -> None:
        with self._lock:
            self._ingestion = ingestion
            if self._cancelled:
                ingestion.cancel()

    def cancel(self) -> None:
        """Stop before the next embedding batch (safe from any thread)."""
        with self._lock:
            self._cancelled = True
            if self._ingestion is not None:
                self._ingestion.cancel()

    @property
    def started(self) -> bool:
        """The core's ingestion exists, so the store has recorded the job."""
        with self._lock:
            return self._ingestion is not None

    @property
    def completed(self) -> bool:
        """Every run of the job went to its end (none cancelled, none missing)."""
        return bool(self.reports) and not any(r.cancelled for r in self.reports)


class ReportingEmbedder(Embedder):
    """An embedder that says when a document's embedding begins: the core reports progress
    after each batch, and a person should see "Embedding…" as soon as it starts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_start: Callable[[int], None] | None = None

    def embed(
        self,
        texts: Sequence[str],
        cancelled: Callable[[], bool] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        if self.on_start is not None and texts:
            self.on_start(len(texts))
        return super().embed(texts, cancelled, on_batch)


def plan_files(paths: Iterable[str]) -> Planned:
    """The files an ingestion of ``paths`` goes through (runs on the lane: it walks
    folders). Mirrors the ingestion's walk: hidden files and folders and unsupported kinds
    inside folders are passed over; a file given by itself is always tried."""
    files: dict[str, None] = {}
    folders: list[str] = []
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            files.setdefault(given)
            continue
        folders.append(given)
        # The ingestion's own walk: links out of the folder are not followed and a folder
        # that cannot be read is passed over (os.walk with is_file() raised on one, and
        # listed files behind outside links as queued).
        for found, _size in walk_folder(path).files:
            files.setdefault(str(found))
    return Planned(sorted(files), folders)
