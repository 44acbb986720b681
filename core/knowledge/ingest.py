"""Ingestion: files and folders into a collection, as a resumable, cancellable job.

Folders are walked recursively; hidden files and folders and unsupported types are passed
over; each file is then read, hashed, parsed, chunked, embedded and committed. A document is
committed as a whole (its chunks, vectors and full-text entries in one SQLite transaction,
then its vectors in Chroma, written behind the next document by
core/knowledge/index_writer.py and repaired from SQLite after a kill), so a kill loses at
most the document in progress. Rerunning the same job (or :meth:`Ingestion.resume`, which
runs what a killed job left unfinished) skips what is already done without embedding it
again:

* a file whose content hash is stored for its path is unchanged and skipped;
* a file whose content is stored under another path is a duplicate, or a move when that
  other file is gone (the document just takes the new path; nothing is embedded again);
* a changed file replaces its earlier version in the same transaction;
* a file that is gone from a folder being added is dropped from the collection;
* a file that cannot be read is recorded with its reason and skipped; the rest go on;
* a document with more text than :attr:`ReadLimits.max_chars` is indexed up to the limit
  and recorded with the reason (``kb_file_truncated``);
* pages without text are recognised through OCR in the parser process, each stored as soon
  as it is read (a stopped job resumes at the next page); pages OCR could not read are
  recorded with the reason beside the indexed rest (``kb_ocr_pages_failed``).

Walking a folder never follows a link out of it (a link to ``/etc/passwd`` is reported,
not read), does not descend into linked folders (so link loops cannot hang it) and skips a
subfolder it cannot read with its reason, keeping what it had indexed from there.

Files are parsed in the ingestion's parser process (core/knowledge/parser_process.py): a
crash, a hang or a memory blow-up of a parser costs that one file, and a parse is stopped
by :meth:`Ingestion.cancel` or after :attr:`ReadLimits.max_seconds`.

Progress is reported after every document and every embedding batch (documents, chunks,
chunks per second, a smoothed ETA, see core/knowledge/eta.py), and inside a long document
every half second while it is read (pages, chapters or paragraphs read). :meth:`cancel`
may be called from any thread; the job stops at once while a document is being read, at
the next sentence while it is cut into chunks, or before the next embedding batch, and the
document in progress is left for the next run.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final, Literal

from core.knowledge import readers
from core.knowledge.chunking import Chunk, Chunker
from core.knowledge.collections import CollectionModels
from core.knowledge.embedder import Embedder
from core.knowledge.errors import IngestCancelled, UnreadableDocument
from core.knowledge.eta import EtaEstimate
from core.knowledge.folder_walk import walk_folder
from core.knowledge.index_writer import IndexWriter
from core.knowledge.languages import SAMPLE_CHARS, detect_language
from core.knowledge.ocr import OcrRequest
from core.knowledge.parser_process import ParserProcess
from core.knowledge.read_ahead import NotReady, ReadAhead
from core.knowledge.readers.base import ReadLimits, Unit, human_size
from core.knowledge.store import Collection, DocumentFacts, NewChunk
from core.knowledge.vectors import VectorIndex

Status = Literal["indexed", "replaced", "unchanged", "moved", "duplicate", "failed", "removed"]
_EXPLICIT: Final = "explicit"
# Reasons recorded beside an indexed document that stay true while the file is unchanged.
_NOTES: Final = frozenset({"kb_file_truncated", "kb_ocr_pages_failed"})
_HASH_PIECE: Final = 1 << 20
FILL_WAIT_S: Final = 1.0
_COUNT_BATCH: Final = 512  # texts counted in one engine request (a stop waits for one)


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
class Reading:
    """How far the reader got inside the document being read."""

    done: int
    total: int | None
    unit: Unit  # "page", "chapter" or "paragraph"


@dataclass(frozen=True)
class Progress:
    documents_done: int
    documents_total: int
    chunks_done: int  # chunks embedded by this run so far
    elapsed_s: float
    chunks_per_s: float
    eta_s: float | None  # None until the estimate means something (core/knowledge/eta.py)
    current: str | None  # the file being worked on
    outcome: Outcome | None = None  # set when a file has just been finished
    reading: Reading | None = None  # set while a long document is being read


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


@dataclass(frozen=True)
class _Task:
    path: Path
    size: int
    origin: str  # the folder it was found in, or "explicit"


@dataclass
class _Scan:
    """What a job's paths hold: the files to go through and what was passed over."""

    tasks: list[_Task] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)  # paths given that do not exist
    roots: list[Path] = field(default_factory=list)  # folders given
    skipped: list[Outcome] = field(default_factory=list)  # unreadable folders, links out
    unreadable: list[Path] = field(default_factory=list)  # folders that could not be read
    outside: set[str] = field(default_factory=set)  # links that lead out of their folder


@dataclass
class _Prepared:
    """A file read ahead: its outcome when it needs no embedding (unchanged, a duplicate,
    failed...), else its parsed document and chunks, whose vectors come in batches."""

    index: int
    task: _Task
    outcome: Outcome | None = None
    deferred: bool = False  # its bytes are those of a document not stored yet: decide later
    stat: os.stat_result | None = None
    document: readers.ParsedDocument | None = None
    digest: str | None = None  # of the bytes parsed
    chunks: list[Chunk] = field(default_factory=list)
    vectors: list[list[float]] = field(default_factory=list)
    digests: set[str] = field(default_factory=set)  # held back from twins until stored
    announced: bool = False  # its progress told: reading, then embedding (in file order)

    @property
    def waiting(self) -> int:
        """Chunks still without a vector."""
        return len(self.chunks) - len(self.vectors)


class _RunState:
    """What one run keeps while its documents go through: the report, the collection (bound
    to the model at the first document), progress and ETA. Progress is reported from the
    ingestion's thread and, while a long document is read, from the read-ahead thread."""

    def __init__(self, ingestion: Ingestion, tasks: Sequence[_Task], collection: Collection,
                 models: CollectionModels, started: float) -> None:  # fmt: skip
        self.ingestion = ingestion
        self.tasks = tasks
        self.collection = collection
        self.models = models
        self.started = started
        self.last_finished = started
        self.report = IngestReport()
        self.eta = EtaEstimate(sum(t.size for t in tasks))
        self.chunks = 0  # embedded by this run
        self.batches = 0
        self.ahead: ReadAhead[_Task, _Prepared] | None = None
        self.stopping = threading.Event()  # the run ends: reading ahead gives up
        # Nothing to embed: the document being read is the one worked on, and how far its
        # reading got is reported (while others embed, it would interleave their progress).
        self.waiting_for_reading = False
        self._lock = threading.Lock()

    def progress(self, current: str | None, done: int, outcome: Outcome | None = None,
                 reading: Reading | None = None) -> None:  # fmt: skip
        ingestion = self.ingestion
        if ingestion.on_progress is None:
            return
        with self._lock:
            elapsed = max(ingestion._clock() - self.started, 1e-9)
            ingestion.on_progress(Progress(done, len(self.tasks), self.chunks, elapsed,
                                           self.chunks / elapsed, self.eta.eta(), current,
                                           outcome, reading))  # fmt: skip


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
        self.parser = ParserProcess()
        # How long chunks waiting to be embedded wait for the next document's, to fill a
        # batch, before they go in a smaller one (the reading is behind: a long document).
        self.fill_wait_s = FILL_WAIT_S
        self.writer = IndexWriter(index)  # Chroma writes, behind the next document
        # Content hashes of documents read ahead and not stored yet (a twin waits for them).
        self._inflight: set[str] = set()
        self._inflight_lock = threading.Lock()

    def cancel(self) -> None:
        """Stop now while a document is being read, else before the next embedding batch
        (safe from any thread)."""
        self._cancel.set()
        self.parser.kill()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # ---- the job -----------------------------------------------------------------------

    def run(self, paths: Sequence[Path | str]) -> IngestReport:
        absolute = [str(Path(p).expanduser().absolute()) for p in paths]
        job = self._adopt_job(absolute)
        try:
            report = self._run([Path(p) for p in absolute])
        finally:
            self.parser.close()
            self.writer.flush(raise_errors=False)  # after an error: what was committed
        self.store.finish_job(job, "cancelled" if report.cancelled else "done")
        return report

    def resume(self) -> list[IngestReport]:
        """Run again every job of this collection that a kill left unfinished."""
        reports = []
        try:
            for job in self.store.unfinished_jobs():
                if job.collection == self.collection_name:
                    reports.append(self._run([Path(p) for p in job.paths]))
                    state = "cancelled" if reports[-1].cancelled else "done"
                    self.store.finish_job(job.id, state)
        finally:
            self.parser.close()
            self.writer.flush(raise_errors=False)
        return reports

    def _adopt_job(self, paths: list[str]) -> int:
        for job in self.store.unfinished_jobs():
            if job.collection == self.collection_name and job.paths == paths:
                return job.id  # the same job, killed before: this run finishes it
        return self.store.start_job(self.collection_name, paths)

    def _run(self, paths: Sequence[Path]) -> IngestReport:
        started = self._clock()
        embed_before = self.embedder.embed_seconds
        collection = self.store.ensure_collection(self.collection_name)
        models = CollectionModels(self.store)
        models.require(collection, self.embedder.key)  # never mix two models' vectors
        scan = self._scan(paths)
        run = _RunState(self, scan.tasks, collection, models, started)
        for skipped in scan.skipped:  # folders it could not read, links out of them
            run.report.outcomes.append(skipped)
            run.progress(None, 0, skipped)
        ahead = ReadAhead(scan.tasks, functools.partial(self._prepare_ahead, run),
                          stopping=run.stopping)  # fmt: skip
        run.ahead = ahead
        # Repair what a kill between SQLite and Chroma left, first on the index writer's
        # thread (opening Chroma takes seconds), while the first documents are embedded.
        self.writer.sync(collection)
        try:
            self._embed_all(run)
        except IngestCancelled:
            run.report.cancelled = True
        finally:
            ahead.stop()
            with self._inflight_lock:
                self._inflight.clear()
        report, collection = run.report, run.collection
        self.writer.flush()  # a job reports once its documents are in Chroma too
        if not report.cancelled:  # after the files, so that a moved file is seen as moved
            for path in scan.missing:
                report.outcomes.append(self._missing(collection, path))
            for root in scan.roots:
                report.outcomes.extend(self._drop_vanished(collection, root, scan))
        report.times.embed = self.embedder.embed_seconds - embed_before
        report.seconds = self._clock() - started
        return report

    # ---- embedding what is read ahead --------------------------------------------------

    def _embed_all(self, run: _RunState) -> None:
        """Take the documents read ahead in order, embed their chunks in full batches
        (across documents), and store each document as soon as its last chunk has its
        vector; a document that needs no embedding is reported in its place."""
        pending: deque[_Prepared] = deque()
        reading = True
        size = self.embedder.batch_size
        while True:
            while reading and (waiting := sum(p.waiting for p in pending)) < size:
                if self.cancelled:
                    raise IngestCancelled("kb_cancelled")
                assert run.ahead is not None
                # A batch waits a little to be filled, not for a slow document (a long PDF).
                run.waiting_for_reading = waiting == 0
                item = run.ahead.next(timeout=None if waiting == 0 else self.fill_wait_s)
                run.waiting_for_reading = False
                if isinstance(item, NotReady):
                    break
                if item is None:
                    reading = False
                    break
                if item.deferred:  # the same bytes as a document not stored yet: after it
                    while pending:
                        self._embed_batch(run, pending)
                        self._settle(run, pending)
                    item = self._prepare(run, item.index, item.task, deferred_ok=False)
                pending.append(item)
            self._settle(run, pending)
            if not pending:
                if not reading:
                    return
                continue
            if self.cancelled:
                raise IngestCancelled("kb_cancelled")
            self._embed_batch(run, pending)
            self._settle(run, pending)
            head = pending[0] if pending else None
            if head is not None and head.announced and head.outcome is None:
                run.progress(str(head.task.path), head.index)  # a batch of it embedded

    def _embed_batch(self, run: _RunState, pending: deque[_Prepared]) -> None:
        """One engine request: the next ``batch_size`` chunks waiting, whichever their
        documents."""
        taken: list[tuple[_Prepared, int]] = []
        for item in pending:
            room = self.embedder.batch_size - len(taken)
            taken += [(item, len(item.vectors) + k) for k in range(min(room, item.waiting))]
            if len(taken) >= self.embedder.batch_size:
                break
        if not taken:
            return
        if run.batches:
            self.embedder.let_others_in()  # a waiting chat request takes the engine first
        rows = self.embedder.embed_batch([item.chunks[k].text for item, k in taken])
        run.batches += 1
        for (item, _), row in zip(taken, rows, strict=True):
            item.vectors.append(row)
        run.chunks += len(rows)

    def _settle(self, run: _RunState, pending: deque[_Prepared]) -> None:
        """Store and report the documents at the head that have all they need, then tell
        the start of the next one."""
        while pending and pending[0].waiting == 0:
            if self.cancelled:  # what is not stored yet is left for the next run
                raise IngestCancelled("kb_cancelled")
            item = pending.popleft()
            self._announce(run, item)
            outcome = item.outcome
            if outcome is None:
                outcome = self._store_document(run, item)
                with self._inflight_lock:
                    self._inflight.difference_update(item.digests)
            now = self._clock()
            run.eta.finished(item.task.size, now - run.last_finished,
                             embedded=outcome.status in ("indexed", "replaced"))  # fmt: skip
            run.last_finished = now
            run.report.outcomes.append(outcome)
            run.progress(None, item.index + 1, outcome)
        if pending:
            self._announce(run, pending[0])

    def _announce(self, run: _RunState, item: _Prepared) -> None:
        """A document's start, told once and in the files' order whatever was read or
        embedded ahead of it, as a sequential ingestion tells it: the file worked on, then
        (with chunks to embed) how many."""
        if item.announced:
            return
        item.announced = True
        run.progress(str(item.task.path), item.index)
        if item.outcome is None and item.chunks and self.embedder.on_start is not None:
            self.embedder.on_start(len(item.chunks))

    # ---- finding the files -------------------------------------------------------------

    def _scan(self, paths: Sequence[Path]) -> _Scan:
        scan = _Scan()
        tasks: dict[Path, _Task] = {}
        for path in paths:
            if path.is_dir():
                scan.roots.append(path)
                walk = walk_folder(path)
                for found, size in walk.files:
                    tasks.setdefault(found, _Task(found, size, str(path)))
                scan.skipped += [Outcome(str(p.path), "failed", code=p.code, params=p.params)
                                 for p in walk.passed_over]  # fmt: skip
                scan.unreadable += walk.unreadable
                scan.outside |= walk.outside
            elif path.is_file():
                tasks.setdefault(path, _Task(path, _size(path), _EXPLICIT))
            else:
                scan.missing.append(path)
        scan.tasks = sorted(tasks.values(), key=lambda t: str(t.path))
        return scan

    def _missing(self, collection: Collection, path: Path) -> Outcome:
        existing = self.store.find_document(collection.id, str(path))
        if existing is not None:
            return self._remove(collection, existing.id, str(path))
        return Outcome(str(path), "failed", code="kb_file_missing", params={"path": str(path)})

    def _drop_vanished(self, collection: Collection, root: Path, scan: _Scan) -> list[Outcome]:
        """Documents of ``root`` whose file is gone, or which a link out of the folder had
        brought in; those of a subfolder that could not be read are kept."""
        present = {str(t.path) for t in scan.tasks}
        unreadable = [str(f) for f in scan.unreadable]
        outcomes = []
        for document in self.store.documents_under(collection.id, str(root)):
            path = document.path
            if path in scan.outside or (
                path not in present and not _under(path, unreadable) and not _exists(path)
            ):  # fmt: skip
                outcomes.append(self._remove(collection, document.id, path))
        return outcomes

    def _remove(self, collection: Collection, document_id: int, path: str) -> Outcome:
        self.writer.flush()  # the additions before, in their order
        removed = self.store.remove_document(document_id)
        self.vectors.apply(self.store.collection_by_id(collection.id), [], removed)
        return Outcome(path, "removed", chunks=len(removed), document_id=document_id)

    # ---- one file ----------------------------------------------------------------------

    def _prepare_ahead(self, run: _RunState, index: int, task: _Task) -> _Prepared:
        return self._prepare(run, index, task, deferred_ok=True)

    def _prepare(self, run: _RunState, index: int, task: _Task, *,
                 deferred_ok: bool) -> _Prepared:  # fmt: skip
        """Everything of one file but its embedding: hashed, compared with what is stored,
        parsed and cut into chunks (on the read-ahead thread, or on the ingestion's own for a
        file ``deferred`` behind a document with its bytes that is not stored yet)."""
        path, times, collection = str(task.path), run.report.times, run.collection
        began = self._clock()

        def done(outcome: Outcome) -> _Prepared:
            return _Prepared(index, task, outcome=outcome)

        try:
            stat = task.path.stat()
            if stat.st_size > self.limits.max_file_bytes:
                raise UnreadableDocument("kb_file_too_large", path=path,
                                         size=human_size(stat.st_size),
                                         limit=human_size(self.limits.max_file_bytes))  # fmt: skip
            digest = _hash_file(task.path)
        except UnreadableDocument as exc:
            return done(self._failed(collection, path, exc.code, exc.params))
        except OSError as exc:
            params = {"path": path, "reason": exc.strerror or str(exc)}
            return done(self._failed(collection, path, "kb_file_unreadable", params))
        times.read += self._clock() - began

        existing = self.store.find_document(collection.id, path)
        unchanged = existing is not None and existing.content_hash == digest
        if existing is not None and unchanged and existing.status == "indexed":
            note = existing.error_code if existing.error_code in _NOTES else None
            if existing.mtime != stat.st_mtime or (existing.error_code and note is None):
                self.store.touch_document(existing.id, stat.st_mtime)
                if note is not None:  # still true of the unchanged file
                    self.store.record_problem(collection.id, path, note,
                                              existing.error_params or {})  # fmt: skip
            return done(Outcome(path, "unchanged", existing.chunk_count, existing.pages,
                                document_id=existing.id))  # fmt: skip
        with self._inflight_lock:
            if digest in self._inflight:
                if deferred_ok:
                    return _Prepared(index, task, deferred=True)
                raise AssertionError("a deferred file's twin is still being embedded")
        for twin in self.store.find_by_hash(collection.id, digest):
            if twin.path == path:
                continue
            if existing is None and not Path(twin.path).exists():
                self.store.move_document(twin.id, path, stat.st_mtime)
                return done(Outcome(path, "moved", twin.chunk_count, twin.pages,
                                    "kb_file_moved", {"path": path, "old": twin.path},
                                    twin.id))  # fmt: skip
            params = {"path": path, "original": twin.path}
            self.store.record_problem(collection.id, path, "kb_file_duplicate", params,
                                      size=stat.st_size, mtime=stat.st_mtime,
                                      content_hash=digest, duplicate_of=twin.id)  # fmt: skip
            return done(Outcome(path, "duplicate", code="kb_file_duplicate", params=params,
                                document_id=twin.id))  # fmt: skip

        def on_read(done: int, total: int | None, unit: Unit) -> None:
            if run.waiting_for_reading:
                run.progress(path, index, reading=Reading(done, total, unit))

        def cancelled() -> bool:
            return self._cancel.is_set() or run.stopping.is_set()

        began = self._clock()
        known = OcrRequest(digest, tuple(self.store.ocr_pages(digest))) if self.limits.ocr \
            else None  # fmt: skip
        try:
            parsed = self.parser.parse(task.path, self.limits, on_read=on_read,
                                       cancelled=cancelled, ocr=known,
                                       on_page=partial(self.store.save_ocr_page,
                                                       path=path))  # fmt: skip
        except UnreadableDocument as exc:
            return done(self._failed(collection, path, exc.code, exc.params, stat.st_size,
                                     stat.st_mtime, digest))  # fmt: skip
        finally:
            times.parse += self._clock() - began
        document = parsed.document

        began = self._clock()
        self.embedder.ensure_loaded()

        def count_many(texts: Sequence[str]) -> list[int]:
            counts: list[int] = []
            for at in range(0, len(texts), _COUNT_BATCH):
                if cancelled():
                    raise IngestCancelled("kb_cancelled")
                counts += self.embedder.count_tokens_many(texts[at : at + _COUNT_BATCH])
            return counts

        def count_one(text: str) -> int:
            if cancelled():
                raise IngestCancelled("kb_cancelled")
            return self.embedder.count_tokens(text)

        chunker = Chunker(count_one, self.embedder.max_tokens, self.overlap, count_many)
        chunks = chunker.chunk(document)
        times.chunk += self._clock() - began
        digests = {digest, parsed.content_hash}
        with self._inflight_lock:
            self._inflight.update(digests)
        return _Prepared(index, task, stat=stat, document=document,
                         digest=parsed.content_hash, chunks=chunks,
                         digests=digests)  # fmt: skip

    def _store_document(self, run: _RunState, item: _Prepared) -> Outcome:
        """A document whose chunks all have their vectors: into SQLite in one transaction,
        then to the index writer (Chroma, behind)."""
        import numpy as np

        assert item.document is not None and item.stat is not None and item.digest is not None
        document, stat, digest, chunks = item.document, item.stat, item.digest, item.chunks
        path, times = str(item.task.path), run.report.times
        existing = self.store.find_document(run.collection.id, path)
        collection = run.models.bind(run.collection, self.embedder.key,
                                     str(self.embedder.model_path),
                                     self.embedder.dim)  # fmt: skip
        run.collection = collection
        vectors = np.asarray(item.vectors, dtype=np.float32)

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
        self.writer.submit(collection, added, removed)
        times.index += self._clock() - began
        status: Status = "replaced" if existing is not None and existing.status == "indexed" \
            else "indexed"  # fmt: skip
        cut: str | None = None
        facts_noted: dict[str, Any] = {}
        if document.truncated:  # indexed up to the limit; the reason stays beside it
            cut = "kb_file_truncated"
            facts_noted = {"path": path, "limit": f"{self.limits.max_chars:,}"}
            self.store.record_problem(collection.id, path, cut, facts_noted)
        elif document.unrecognised:  # pages OCR could not read; the rest is indexed
            cut = "kb_ocr_pages_failed"
            pages = ", ".join(str(p) for p, _ in document.unrecognised)
            facts_noted = {"path": path, "reason": document.unrecognised[0][1], "pages": pages}
            self.store.record_problem(collection.id, path, cut, facts_noted)
        return Outcome(path, status, len(rows), document.pages, cut, facts_noted, document_id)

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


def _under(path: str, folders: Sequence[str]) -> bool:
    return any(path.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders)


def _exists(path: str) -> bool:
    """Whether a file is still there; a file that cannot be checked counts as there (an
    unreachable folder is no reason to drop what was indexed from it)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def _hash_file(path: Path) -> str:
    """The file's content hash, read in pieces (the parser process reads it again)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while piece := file.read(_HASH_PIECE):
            digest.update(piece)
    return digest.hexdigest()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
