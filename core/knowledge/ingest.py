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

import hashlib
import os
import threading
import time
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
from core.knowledge.readers.base import ReadLimits, Unit, human_size
from core.knowledge.store import Collection, DocumentFacts, NewChunk
from core.knowledge.vectors import VectorIndex

Status = Literal["indexed", "replaced", "unchanged", "moved", "duplicate", "failed", "removed"]
_EXPLICIT: Final = "explicit"
# Reasons recorded beside an indexed document that stay true while the file is unchanged.
_NOTES: Final = frozenset({"kb_file_truncated", "kb_ocr_pages_failed"})
_HASH_PIECE: Final = 1 << 20


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
        self.writer = IndexWriter(index)  # Chroma writes, behind the next document

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
        report = IngestReport()
        collection = self.store.ensure_collection(self.collection_name)
        key = self.embedder.key
        models = CollectionModels(self.store)
        models.require(collection, key)  # before any work: never mix two models' vectors
        self.vectors.sync(collection)  # repair what a kill between SQLite and Chroma left
        scan = self._scan(paths)
        tasks = scan.tasks
        eta = EtaEstimate(sum(t.size for t in tasks))
        chunks = 0

        def progress(current: str | None, done: int, outcome: Outcome | None = None,
                     reading: Reading | None = None) -> None:  # fmt: skip
            if self.on_progress is None:
                return
            elapsed = max(self._clock() - started, 1e-9)
            self.on_progress(Progress(done, len(tasks), chunks, elapsed, chunks / elapsed,
                                      eta.eta(), current, outcome, reading))  # fmt: skip

        for skipped in scan.skipped:  # folders it could not read, links out of them
            report.outcomes.append(skipped)
            progress(None, 0, skipped)
        for index, task in enumerate(tasks):
            if self.cancelled:
                report.cancelled = True
                break
            progress(str(task.path), index)

            def on_batch(n: int, current: str = str(task.path), at: int = index) -> None:
                nonlocal chunks
                chunks += n
                progress(current, at)

            def on_read(done: int, total: int | None, unit: Unit,
                        current: str = str(task.path), at: int = index) -> None:  # fmt: skip
                progress(current, at, reading=Reading(done, total, unit))

            began = self._clock()
            try:
                outcome, collection = self._one(collection, models, task, report.times,
                                                on_batch, on_read)  # fmt: skip
            except IngestCancelled:
                report.cancelled = True
                break
            eta.finished(task.size, self._clock() - began,
                         embedded=outcome.status in ("indexed", "replaced"))  # fmt: skip
            report.outcomes.append(outcome)
            progress(None, index + 1, outcome)
        self.writer.flush()  # a job reports once its documents are in Chroma too
        if not report.cancelled:  # after the files, so that a moved file is seen as moved
            for path in scan.missing:
                report.outcomes.append(self._missing(collection, path))
            for root in scan.roots:
                report.outcomes.extend(self._drop_vanished(collection, root, scan))
        report.times.embed = self.embedder.embed_seconds - embed_before
        report.seconds = self._clock() - started
        return report

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

    def _one(self, collection: Collection, models: CollectionModels, task: _Task,
             times: PhaseTimes, on_batch: Callable[[int], None],
             on_read: Callable[[int, int | None, Unit], None],
             ) -> tuple[Outcome, Collection]:  # fmt: skip
        path = str(task.path)
        began = self._clock()
        try:
            stat = task.path.stat()
            if stat.st_size > self.limits.max_file_bytes:
                raise UnreadableDocument("kb_file_too_large", path=path,
                                         size=human_size(stat.st_size),
                                         limit=human_size(self.limits.max_file_bytes))  # fmt: skip
            digest = _hash_file(task.path)
        except UnreadableDocument as exc:
            return self._failed(collection, path, exc.code, exc.params), collection
        except OSError as exc:
            params = {"path": path, "reason": exc.strerror or str(exc)}
            return self._failed(collection, path, "kb_file_unreadable", params), collection
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
        known = OcrRequest(digest, tuple(self.store.ocr_pages(digest))) if self.limits.ocr \
            else None  # fmt: skip
        try:
            parsed = self.parser.parse(task.path, self.limits, on_read=on_read,
                                       cancelled=self._cancel.is_set, ocr=known,
                                       on_page=partial(self.store.save_ocr_page,
                                                       path=path))  # fmt: skip
        except UnreadableDocument as exc:
            return self._failed(collection, path, exc.code, exc.params, stat.st_size,
                                stat.st_mtime, digest), collection  # fmt: skip
        finally:
            times.parse += self._clock() - began
        document, digest = parsed.document, parsed.content_hash  # the bytes it was read from

        began = self._clock()
        self.embedder.ensure_loaded()
        chunker = Chunker(self._count_tokens, self.embedder.max_tokens, self.overlap)
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
        return Outcome(path, status, len(rows), document.pages, cut, facts_noted,
                       document_id), collection  # fmt: skip

    def _count_tokens(self, text: str) -> int:
        """The embedding model's count, one sentence at a time while a document is cut into
        chunks (a long document has many thousands): a stop takes effect between two."""
        if self._cancel.is_set():
            raise IngestCancelled("kb_cancelled")
        return self.embedder.count_tokens(text)

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
