"""Ingestion: files and folders into a collection, as a resumable, cancellable job.

Folders are walked recursively; hidden files and folders and unsupported types are passed
over; each file is then read, hashed, parsed, chunked, embedded and committed. A document is
committed as a whole (its chunks, vectors and full-text entries in one SQLite transaction,
then its vectors in Chroma), so a kill loses at most the document in progress. Rerunning
the same job (or :meth:`Ingestion.resume`, which runs what a killed job left unfinished)
skips what is already done without embedding it again:

* a file whose content hash is stored for its path is unchanged and skipped;
* a file whose content is stored under another path is a duplicate, or a move when that
  other file is gone (the document just takes the new path; nothing is embedded again);
* a changed file replaces its earlier version in the same transaction;
* a file that is gone from a folder being added is dropped from the collection;
* a file that cannot be read is recorded with its reason and skipped; the rest go on.

Progress is reported after every document and every embedding batch (documents, chunks,
chunks per second, an ETA from the bytes still to read). :meth:`Ingestion.cancel` may be
called from any thread; the job stops before the next embedding batch and the document in
progress is left for the next run.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from core.knowledge import readers
from core.knowledge.chunking import Chunk, Chunker
from core.knowledge.collections import CollectionModels
from core.knowledge.embedder import Embedder
from core.knowledge.errors import IngestCancelled, UnreadableDocument
from core.knowledge.languages import SAMPLE_CHARS, detect_language
from core.knowledge.readers.base import ReadLimits, human_size
from core.knowledge.store import Collection, DocumentFacts, NewChunk
from core.knowledge.vectors import VectorIndex

Status = Literal["indexed", "replaced", "unchanged", "moved", "duplicate", "failed", "removed"]
_EXPLICIT: Final = "explicit"


@dataclass(frozen=True)
class Outcome:
    """What happened to one file."""

    path: str
    status: Status
    chunks: int = 0
    pages: int | None = None
    code: str | None = None  # why it failed, or the duplicate's message
    params: dict[str, Any] = field(default_factory=dict)
    document_id: int | None = None


@dataclass(frozen=True)
class Progress:
    documents_done: int
    documents_total: int
    chunks_done: int  # chunks embedded by this run so far
    elapsed_s: float
    chunks_per_s: float
    eta_s: float | None
    current: str | None  # the file being worked on
    outcome: Outcome | None = None  # set when a file has just been finished


@dataclass
class PhaseTimes:
    """Where an ingestion's time went (seconds), for the benchmark."""

    read: float = 0.0
    parse: float = 0.0
    chunk: float = 0.0
    embed: float = 0.0
    store: float = 0.0
    index: float = 0.0


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    times: PhaseTimes = field(default_factory=PhaseTimes)
    cancelled: bool = False

    def count(self, *statuses: Status) -> int:
        return sum(1 for o in self.outcomes if o.status in statuses)

    @property
    def chunks(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status in ("indexed", "replaced"))

    @property
    def pages(self) -> int:
        return sum(o.pages or 0 for o in self.outcomes if o.status in ("indexed", "replaced"))


def chunk_id(collection_id: int, content_hash: str, chunk: Chunk) -> str:
    """Stable: the same file in the same collection always gives the same ids."""
    key = f"{collection_id}\0{content_hash}\0{chunk.ordinal}\0{chunk.text}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def is_hidden(path: Path, root: Path | None = None) -> bool:
    parts = path.relative_to(root).parts if root is not None else (path.name,)
    return any(p.startswith(".") for p in parts)


@dataclass
class _Tally:
    """Running figures for progress: the ETA assumes the files left need the same work per
    byte as the files that had to be embedded so far."""

    remaining_bytes: int
    chunks: int = 0
    worked_bytes: int = 0
    worked_seconds: float = 0.0

    def eta(self) -> float | None:
        if not self.worked_bytes:
            return None
        return max(0.0, self.remaining_bytes * self.worked_seconds / self.worked_bytes)


@dataclass(frozen=True)
class _Task:
    path: Path
    size: int
    origin: str  # the folder it was found in, or "explicit"


class Ingestion:
    """One ingestion job into one collection."""

    def __init__(
        self,
        index: VectorIndex,
        embedder: Embedder,
        collection: str,
        *,
        limits: ReadLimits | None = None,
        overlap: int = 32,
        on_progress: Callable[[Progress], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.vectors = index
        self.store = index.store
        self.embedder = embedder
        self.collection_name = collection
        self.limits = limits or ReadLimits()
        self.overlap = overlap
        self.on_progress = on_progress
        self._clock = clock
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Stop before the next embedding batch (safe from any thread)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # ---- the job -----------------------------------------------------------------------

    def run(self, paths: Sequence[Path | str]) -> IngestReport:
        absolute = [str(Path(p).expanduser().absolute()) for p in paths]
        job = self._adopt_job(absolute)
        report = self._run([Path(p) for p in absolute])
        self.store.finish_job(job, "cancelled" if report.cancelled else "done")
        return report

    def resume(self) -> list[IngestReport]:
        """Run again every job of this collection that a kill left unfinished."""
        reports = []
        for job in self.store.unfinished_jobs():
            if job.collection == self.collection_name:
                reports.append(self._run([Path(p) for p in job.paths]))
                self.store.finish_job(job.id, "cancelled" if reports[-1].cancelled else "done")
        return reports

    def _adopt_job(self, paths: list[str]) -> int:
        for job in self.store.unfinished_jobs():
            if job.collection == self.collection_name and job.paths == paths:
                return job.id  # the same job, killed before: this run finishes it
        return self.store.start_job(self.collection_name, paths)

    def _run(self, paths: Sequence[Path]) -> IngestReport:
        started = self._clock()
        embed_before = self.embedder.embed_seconds
        report = IngestReport()
        collection = self.store.ensure_collection(self.collection_name)
        key = self.embedder.key
        models = CollectionModels(self.store)
        models.require(collection, key)  # before any work: never mix two models' vectors
        self.vectors.sync(collection)  # repair what a kill between SQLite and Chroma left
        tasks, missing, roots = self._scan(paths)
        tally = _Tally(remaining_bytes=sum(t.size for t in tasks))

        def progress(current: str | None, done: int, outcome: Outcome | None = None) -> None:
            if self.on_progress is None:
                return
            elapsed = max(self._clock() - started, 1e-9)
            self.on_progress(Progress(done, len(tasks), tally.chunks, elapsed,
                                      tally.chunks / elapsed, tally.eta(), current,
                                      outcome))  # fmt: skip

        for index, task in enumerate(tasks):
            if self.cancelled:
                report.cancelled = True
                break
            progress(str(task.path), index)

            def on_batch(n: int, current: str = str(task.path), at: int = index) -> None:
                tally.chunks += n
                progress(current, at)

            began = self._clock()
            try:
                outcome, collection = self._one(collection, models, task, report.times, on_batch)
            except IngestCancelled:
                report.cancelled = True
                break
            tally.remaining_bytes -= task.size
            if outcome.status in ("indexed", "replaced"):
                tally.worked_bytes += task.size
                tally.worked_seconds += self._clock() - began
            report.outcomes.append(outcome)
            progress(None, index + 1, outcome)
        if not report.cancelled:  # after the files, so that a moved file is seen as moved
            for path in missing:
                report.outcomes.append(self._missing(collection, path))
            for root in roots:
                report.outcomes.extend(self._drop_vanished(collection, root, tasks))
        report.times.embed = self.embedder.embed_seconds - embed_before
        report.seconds = self._clock() - started
        return report

    # ---- finding the files -------------------------------------------------------------

    def _scan(self, paths: Sequence[Path]) -> tuple[list[_Task], list[Path], list[Path]]:
        tasks: dict[Path, _Task] = {}
        missing: list[Path] = []
        roots: list[Path] = []
        for path in paths:
            if path.is_dir():
                roots.append(path)
                for found in self._walk(path):
                    tasks.setdefault(found.path, found)
            elif path.is_file():
                tasks.setdefault(path, _Task(path, _size(path), _EXPLICIT))
            else:
                missing.append(path)
        return sorted(tasks.values(), key=lambda t: str(t.path)), missing, roots

    def _walk(self, root: Path) -> list[_Task]:
        found: list[_Task] = []
        for folder, dirs, files in os.walk(root, onerror=None, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                if name.startswith(".") or not readers.supported(path) or not path.is_file():
                    continue
                found.append(_Task(path, _size(path), str(root)))
        return found

    def _missing(self, collection: Collection, path: Path) -> Outcome:
        existing = self.store.find_document(collection.id, str(path))
        if existing is not None:
            return self._remove(collection, existing.id, str(path))
        return Outcome(str(path), "failed", code="kb_file_missing", params={"path": str(path)})

    def _drop_vanished(self, collection: Collection, root: Path,
                       tasks: Sequence[_Task]) -> list[Outcome]:  # fmt: skip
        present = {str(t.path) for t in tasks}
        outcomes = []
        for document in self.store.documents_under(collection.id, str(root)):
            if document.path not in present and not Path(document.path).exists():
                outcomes.append(self._remove(collection, document.id, document.path))
        return outcomes

    def _remove(self, collection: Collection, document_id: int, path: str) -> Outcome:
        removed = self.store.remove_document(document_id)
        self.vectors.apply(self.store.collection_by_id(collection.id), [], removed)
        return Outcome(path, "removed", chunks=len(removed), document_id=document_id)

    # ---- one file ----------------------------------------------------------------------

    def _one(self, collection: Collection, models: CollectionModels, task: _Task,
             times: PhaseTimes, on_batch: Callable[[int], None],
             ) -> tuple[Outcome, Collection]:  # fmt: skip
        path = str(task.path)
        began = self._clock()
        try:
            stat = task.path.stat()
            if stat.st_size > self.limits.max_file_bytes:
                raise UnreadableDocument("kb_file_too_large", path=path,
                                         size=human_size(stat.st_size),
                                         limit=human_size(self.limits.max_file_bytes))  # fmt: skip
            data = task.path.read_bytes()
        except UnreadableDocument as exc:
            return self._failed(collection, path, exc.code, exc.params), collection
        except OSError as exc:
            params = {"path": path, "reason": exc.strerror or str(exc)}
            return self._failed(collection, path, "kb_file_unreadable", params), collection
        digest = hashlib.sha256(data).hexdigest()
        times.read += self._clock() - began

        existing = self.store.find_document(collection.id, path)
        unchanged = existing is not None and existing.content_hash == digest
        if existing is not None and unchanged and existing.status == "indexed":
            if existing.mtime != stat.st_mtime or existing.error_code:
                self.store.touch_document(existing.id, stat.st_mtime)
            return Outcome(path, "unchanged", existing.chunk_count, existing.pages,
                           document_id=existing.id), collection  # fmt: skip
        for twin in self.store.find_by_hash(collection.id, digest):
            if twin.path == path:
                continue
            if existing is None and not Path(twin.path).exists():
                self.store.move_document(twin.id, path, stat.st_mtime)
                return Outcome(path, "moved", twin.chunk_count, twin.pages, "kb_file_moved",
                               {"path": path, "old": twin.path}, twin.id), collection  # fmt: skip
            params = {"path": path, "original": twin.path}
            self.store.record_problem(collection.id, path, "kb_file_duplicate", params,
                                      size=stat.st_size, mtime=stat.st_mtime,
                                      content_hash=digest, duplicate_of=twin.id)  # fmt: skip
            return Outcome(path, "duplicate", code="kb_file_duplicate", params=params,
                           document_id=twin.id), collection  # fmt: skip

        began = self._clock()
        try:
            document = readers.parse(task.path, data, self.limits)
        except UnreadableDocument as exc:
            return self._failed(collection, path, exc.code, exc.params, stat.st_size,
                                stat.st_mtime, digest), collection  # fmt: skip
        finally:
            times.parse += self._clock() - began
        del data

        began = self._clock()
        self.embedder.ensure_loaded()
        chunker = Chunker(self.embedder.count_tokens, self.embedder.max_tokens, self.overlap)
        chunks = chunker.chunk(document)
        times.chunk += self._clock() - began

        vectors = self.embedder.embed([c.text for c in chunks], self._cancel.is_set, on_batch)
        collection = models.bind(collection, self.embedder.key, str(self.embedder.model_path),
                                 self.embedder.dim)  # fmt: skip

        began = self._clock()
        facts = DocumentFacts(path, document.title, document.kind, digest, stat.st_size,
                              stat.st_mtime, document.pages,
                              document_language(document))  # fmt: skip
        rows = [
            NewChunk(chunk_id(collection.id, digest, c), c.ordinal, c.text, c.page, c.heading,
                     c.char_start, c.char_end, hashlib.sha256(c.text.encode()).hexdigest(),
                     c.tokens, vectors[i])
            for i, c in enumerate(chunks)
        ]  # fmt: skip
        document_id, added, removed = self.store.commit_document(
            collection.id, facts, rows, self.embedder.key
        )
        times.store += self._clock() - began
        began = self._clock()
        self.vectors.apply(collection, added, removed)
        times.index += self._clock() - began
        status: Status = "replaced" if existing is not None and existing.status == "indexed" \
            else "indexed"  # fmt: skip
        return Outcome(path, status, len(rows), document.pages,
                       document_id=document_id), collection  # fmt: skip

    def _failed(
        self,
        collection: Collection,
        path: str,
        code: str,
        params: dict[str, Any],
        size: int = 0,
        mtime: float = 0.0,
        digest: str | None = None,
    ) -> Outcome:
        document_id = self.store.record_problem(collection.id, path, code, params, size=size,
                                                mtime=mtime, content_hash=digest)  # fmt: skip
        return Outcome(path, "failed", code=code, params=params, document_id=document_id)


def document_language(document: readers.ParsedDocument) -> str:
    """The document's language from its first sections ('' when too short to tell)."""
    sample: list[str] = []
    taken = 0
    for section in document.sections:
        if taken >= SAMPLE_CHARS:
            break
        sample.append(section.text)
        taken += len(section.text)
    return detect_language("\n".join(sample)) or ""


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
