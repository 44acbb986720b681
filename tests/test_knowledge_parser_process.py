"""The parser process (core/knowledge/parser_process.py) on real hostile files: it says how
far it got inside a long document, a cancel or the time limit kills it at once, a crash or
a memory blow-up costs one file (the next gets a fresh process), Ctrl-C is not its to act
on, and a smoothed ETA (core/knowledge/eta.py) stays silent until it means something."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.knowledge.errors import IngestCancelled, UnreadableDocument
from core.knowledge.eta import EtaEstimate
from core.knowledge.parser_process import ParserProcess
from core.knowledge.readers.base import ReadLimits
from tests.hostile_documents import write_page_bomb_pdf, write_repeated_epub

UNBOUNDED = ReadLimits(max_chars=10**10, max_unpacked_bytes=10**12)


@pytest.fixture(scope="module")
def pages_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 pages, about 19,000 characters each: some 30 s of PDFium work when read whole."""
    return write_page_bomb_pdf(tmp_path_factory.mktemp("hostile") / "pages.pdf")


@pytest.fixture
def parser() -> Iterator[ParserProcess]:
    process = ParserProcess()
    yield process
    process.close()


def note(tmp_path: Path) -> Path:
    path = tmp_path / "note.md"
    path.write_text("# Harbour\n\nThe keeper counts the boats.\n", encoding="utf-8")
    return path


def later(seconds: float, action: object) -> threading.Timer:
    timer = threading.Timer(seconds, action)  # type: ignore[arg-type]
    timer.start()
    return timer


def test_reports_pages_read_and_cuts_at_the_character_limit(
    parser: ParserProcess, pages_pdf: Path
) -> None:
    seen: list[tuple[int, int | None, str]] = []
    parsed = parser.parse(pages_pdf, ReadLimits(max_chars=4_000_000),
                          on_read=lambda *a: seen.append(a))  # fmt: skip
    document = parsed.document
    assert document.truncated and document.pages == 3000
    assert sum(len(s.text) for s in document.sections) == 4_000_000
    assert seen and all(unit == "page" and total == 3000 for _, total, unit in seen)
    assert [done for done, _, _ in seen] == sorted(done for done, _, _ in seen)
    assert len(parsed.content_hash) == 64


def test_cancel_kills_a_running_parse_and_the_next_file_gets_a_fresh_process(
    parser: ParserProcess, pages_pdf: Path, tmp_path: Path
) -> None:
    stop = threading.Event()
    later(1.0, stop.set)
    began = time.monotonic()
    with pytest.raises(IngestCancelled):
        parser.parse(pages_pdf, UNBOUNDED, cancelled=stop.is_set)
    assert time.monotonic() - began < 10  # the whole document needs some 30 s
    assert parser.pid is None
    parsed = parser.parse(note(tmp_path), ReadLimits())
    assert "boats" in parsed.document.sections[0].text and parser.started == 2


def test_a_parse_past_the_time_limit_is_killed_and_reported(
    parser: ParserProcess, pages_pdf: Path, tmp_path: Path
) -> None:
    limits = ReadLimits(max_chars=10**10, max_seconds=1.5)
    with pytest.raises(UnreadableDocument) as caught:
        parser.parse(pages_pdf, limits)
    assert caught.value.code == "kb_file_too_slow"
    assert caught.value.params == {"path": str(pages_pdf), "seconds": "1.5"}
    assert parser.parse(note(tmp_path), ReadLimits()).document.has_text


def test_a_crashed_parser_costs_one_file(
    parser: ParserProcess, pages_pdf: Path, tmp_path: Path
) -> None:
    """A segfault in PDFium looks like this to the ingestion: the process dies mid-parse."""
    parser.parse(note(tmp_path), ReadLimits())
    child = parser.pid
    assert child is not None
    later(1.0, lambda: os.kill(child, signal.SIGSEGV))
    with pytest.raises(UnreadableDocument) as caught:
        parser.parse(pages_pdf, UNBOUNDED)
    assert caught.value.code == "kb_file_parser_crashed"
    assert "SIGSEGV" in caught.value.params["reason"]
    assert parser.parse(note(tmp_path), ReadLimits()).document.has_text
    assert parser.started == 2


def test_a_memory_blow_up_stays_in_the_child(tmp_path: Path) -> None:
    """The repeated EPUB unread-bounded would take gigabytes; the child's address space is
    capped, so it fails there (a MemoryError, or its death) and this process is untouched."""
    book = write_repeated_epub(tmp_path / "again.epub", repeats=2000)
    with ParserProcess(memory_limit_bytes=64 << 20) as small:
        with pytest.raises(UnreadableDocument) as caught:
            small.parse(book, UNBOUNDED)
        assert caught.value.code in ("kb_file_out_of_memory", "kb_file_parser_crashed")
        assert small.parse(note(tmp_path), ReadLimits()).document.has_text


def test_ctrl_c_is_left_to_the_ingestion(parser: ParserProcess, tmp_path: Path) -> None:
    """Ctrl-C in a terminal reaches the whole process group; the child must not die of it
    (the ingestion decides, and kills it when it stops)."""
    parser.parse(note(tmp_path), ReadLimits())
    child = parser.pid
    assert child is not None
    os.kill(child, signal.SIGINT)
    time.sleep(0.3)
    assert parser.pid == child
    assert parser.parse(note(tmp_path), ReadLimits()).document.has_text


def test_the_eta_waits_for_meaningful_figures() -> None:
    """The figures of the absurd ETA (324,798 s): the first document embedded was a small
    note that carried the model's load, with hundreds of megabytes still to go."""
    eta = EtaEstimate(total_bytes=400_000_000)
    eta.finished(2_000, 40.0, embedded=True)  # the model's load is in it
    assert eta.eta() is None
    eta.finished(5_000_000, 0.01, embedded=False)  # unchanged: teaches nothing
    for _ in range(2):
        eta.finished(1_000_000, 2.0, embedded=True)
    assert eta.eta() is None  # two documents measured are not enough
    eta.finished(1_000_000, 2.0, embedded=True)
    left = eta.eta()
    assert left is not None and 780 < left < 800  # 393 MB at 0.5 MB/s
    eta.finished(3_000_000, 3.0, embedded=True)  # faster: the estimate moves towards it
    faster = eta.eta()
    assert faster is not None and faster < left
