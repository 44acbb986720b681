"""Documents are parsed in a process of their own, so a parser can be stopped, timed and
contained.

PDFium, lxml and the other parsers are native code working on whatever file a person
drops. One can crash (a segfault in PDFium), hang, run for minutes on a crafted file or
take gigabytes; none of that may take the window or ``kb add`` with it, and Stop or Ctrl-C
must take effect at once rather than when the parser returns. So an ingestion keeps one
long-lived child process (started with ``spawn`` like the engine, on the first document)
that reads and parses each file and sends back its text:

* while it parses, the child reports how far it got (pages, chapters, paragraphs) at most
  twice a second, which the ingestion passes on as progress;
* a cancel (Stop, Ctrl-C) kills the child at once and raises :class:`IngestCancelled`;
* a parse that runs past :attr:`ReadLimits.max_seconds` is killed and the file is skipped
  (``kb_file_too_slow``);
* a child that dies (a crash, the kernel's out-of-memory killer) makes the file skipped
  with the reason (``kb_file_parser_crashed``); the next file gets a fresh child;
* on POSIX the child's address space is capped at what it uses at start plus
  ``memory_limit_bytes``, so a memory blow-up fails inside the child (a ``MemoryError``,
  reported as such, or its death) instead of swapping the machine.

Pages without text (scans, images) are recognised here too (core/knowledge/ocr.py), one
page at a time: each recognised page is sent back at once (``on_page``: the ingestion stores
it, so a stopped job resumes at the next page), pages recognised before are passed in and
not read again, and the time limit counts per recognised page rather than per document
(a 200-page scan takes longer than any one page may).

The child ignores SIGINT: Ctrl-C in a terminal reaches the whole process group, and it is
the ingestion's job (the parent) to decide what a Ctrl-C means. On Linux it also dies with
its parent (``PR_SET_PDEATHSIG``), so a ``kill -9`` of ``kb add`` leaves no parse running.
The kernel takes "parent" to be the thread that started the child: use a ParserProcess from
one thread that outlives it (the ingestion closes it at the end of its run, on its thread).
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Final

from core.child_process import limit_address_space, stop_child
from core.knowledge import readers
from core.knowledge.errors import IngestCancelled, UnreadableDocument
from core.knowledge.ocr import OcrPage, OcrRequest, PageRecognition, Recogniser
from core.knowledge.readers.base import OnRead, ParsedDocument, ReadLimits, Unit

MEMORY_LIMIT_BYTES: Final = 3 << 30  # address space the child may add to what it starts with
READ_REPORT_S: Final = 0.5  # the child says how far it got at most this often
_START_TIMEOUT_S: Final = 60.0
_POLL_S: Final = 0.05


@dataclass(frozen=True)
class Parsed:
    """A parsed document and the hash of the bytes it was parsed from."""

    document: ParsedDocument
    content_hash: str


class ParserProcess:
    """The ingestion's handle on its parser process. One parse at a time; :meth:`kill` may
    be called from any thread. Close it when the ingestion ends."""

    def __init__(self, *, memory_limit_bytes: int = MEMORY_LIMIT_BYTES) -> None:
        self.memory_limit_bytes = memory_limit_bytes
        self._mp = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self.started = 0  # how many children were started (one, unless one died or was killed)

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def parse(
        self,
        path: Path,
        limits: ReadLimits,
        *,
        on_read: OnRead | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        ocr: OcrRequest | None = None,
        on_page: Callable[[str, OcrPage], None] | None = None,
    ) -> Parsed:
        """Read and parse ``path`` in the child. Raises :class:`UnreadableDocument` (the
        file's own problem, a time limit, a crash) or :class:`IngestCancelled`. ``ocr``
        holds the pages recognised before; ``on_page`` hears each page recognised now, with the
        content hash of the bytes it was recognised from."""
        with self._lock:
            conn = self._start(path, cancelled)
            try:
                conn.send(("parse", str(path), limits, ocr or OcrRequest()))
            except OSError:
                self._gone(path, cancelled)
            deadline = time.monotonic() + limits.max_seconds
            while True:
                if cancelled():
                    self._stop()
                    raise IngestCancelled("kb_cancelled")
                if time.monotonic() > deadline:
                    self._stop()
                    raise UnreadableDocument("kb_file_too_slow", path=str(path),
                                             seconds=f"{limits.max_seconds:g}")  # fmt: skip
                try:
                    if not conn.poll(_POLL_S):
                        if not self._alive():
                            self._gone(path, cancelled)
                        continue
                    message = conn.recv()
                except (EOFError, OSError):
                    self._gone(path, cancelled)
                kind = message[0]
                if kind == "read":
                    if on_read is not None:
                        on_read(message[1], message[2], message[3])
                elif kind == "ocr":  # a page recognised: the time limit starts again
                    deadline = time.monotonic() + limits.max_seconds
                    if on_page is not None:
                        on_page(message[2], message[1])
                elif kind == "done":
                    return Parsed(message[1], message[2])
                else:
                    raise UnreadableDocument(message[1], **message[2])

    def kill(self) -> None:
        """Kill the child now (a parse waiting on it sees it gone)."""
        process = self._process
        if process is not None and process.is_alive():
            process.kill()

    def close(self) -> None:
        if self._lock.acquire(timeout=1.0):
            try:
                self._stop()
            finally:
                self._lock.release()
        else:
            self.kill()

    def __enter__(self) -> ParserProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing ----------------------------------------------------------------------

    def _alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _start(self, path: Path, cancelled: Callable[[], bool]) -> Connection:
        if self._alive() and self._conn is not None:
            return self._conn
        self._stop()
        parent, child = self._mp.Pipe(duplex=True)
        process = self._mp.Process(target=serve, args=(child, self.memory_limit_bytes),
                                   name="fireside-parser", daemon=True)  # fmt: skip
        try:
            process.start()
        except OSError as exc:  # no memory or processes left for it: this file waits
            child.close()
            parent.close()
            raise UnreadableDocument("kb_file_parser_crashed", path=str(path),
                                     reason=f"it could not start: {exc}") from exc  # fmt: skip
        child.close()
        self._process, self._conn = process, parent
        self.started += 1
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not parent.poll(_POLL_S):
            if cancelled():
                self._stop()
                raise IngestCancelled("kb_cancelled")
            if not process.is_alive() or time.monotonic() > deadline:
                self._stop()
                raise UnreadableDocument("kb_file_parser_crashed", path=str(path),
                                         reason="the parser process did not start")  # fmt: skip
        try:
            parent.recv()  # its greeting: imports done, limits set
        except (EOFError, OSError):
            self._stop()
            raise UnreadableDocument(
                "kb_file_parser_crashed", path=str(path), reason="the parser process did not start"
            ) from None
        return parent

    def _gone(self, path: Path, cancelled: Callable[[], bool]) -> Any:
        """The child died while parsing ``path``: killed by a cancel (from another thread
        or a signal handler), or a crash: then the file is skipped, saying how it died."""
        process = self._process
        if process is not None:
            process.join(timeout=2)
        code = process.exitcode if process is not None else None
        self._stop()
        if cancelled():
            raise IngestCancelled("kb_cancelled")
        raise UnreadableDocument("kb_file_parser_crashed", path=str(path), reason=_death(code))

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        stop_child(process, conn)


def _death(exitcode: int | None) -> str:
    if exitcode is None:
        return "it stopped answering"
    if exitcode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-exitcode).name}"
        return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


# ---- the child -------------------------------------------------------------------------


class _Reporter:
    """Sends how far the reader got, at most every :data:`READ_REPORT_S`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.last = time.monotonic()

    def __call__(self, done: int, total: int | None, unit: Unit) -> None:
        now = time.monotonic()
        if now - self.last >= READ_REPORT_S:
            self.last = now
            self.conn.send(("read", done, total, unit))


def _parse(conn: Connection, path: Path, limits: ReadLimits, request: OcrRequest,
           recogniser: Recogniser) -> tuple[Any, ...]:  # fmt: skip
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ("error", "kb_file_unreadable", {"path": str(path),
                                                "reason": exc.strerror or str(exc)})  # fmt: skip
    digest = hashlib.sha256(data).hexdigest()
    known = {p.page: p for p in request.known} if request.content_hash == digest else {}
    ocr = PageRecognition(recogniser, known, lambda page: conn.send(("ocr", page, digest)))
    try:
        document = readers.parse(path, data, limits, _Reporter(conn), ocr)
    except UnreadableDocument as exc:
        return ("error", exc.code, exc.params)
    return ("done", document, digest)


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (even by SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1: PR_SET_PDEATHSIG


def serve(conn: Connection, memory_limit_bytes: int) -> None:
    """Entry point of the parser process: parse files until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the ingestion
    _die_with_parent()
    import charset_normalizer  # noqa: F401  (the parsers' libraries load before the cap)
    import docx  # noqa: F401
    import pypdfium2  # noqa: F401

    limit_address_space(memory_limit_bytes)
    recogniser = Recogniser()  # RapidOCR loads when a first page needs it
    conn.send("ready")
    while True:
        try:
            _, name, limits, request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = _parse(conn, Path(name), limits, request, recogniser)
        except MemoryError:
            reply = ("error", "kb_file_out_of_memory", {"path": name})
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("error", "kb_file_out_of_memory", {"path": name}))
