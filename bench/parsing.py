"""What parsing in the parser process costs, and what the limits do to hostile documents.

For the test library (tests/documents.py: PDFs, DOCX, EPUB, Markdown, GBK text, HTML) each
document is parsed in this process (``readers.parse``) and through a ``ParserProcess``
(reading the file there and sending its text back); the process's start is reported on its
own. For the hostile documents (tests/hostile_documents.py) it reports, with the default
limits, how long reading took, how many characters came out and whether the text was cut.

    .venv/bin/python -m bench.parsing [--repetitions 5]

Prints a short table and writes ``bench/results/parsing.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from core.knowledge import readers
from core.knowledge.errors import UnreadableDocument
from core.knowledge.parser_process import ParserProcess
from core.knowledge.readers.base import ReadLimits
from tests.documents import write_library
from tests.hostile_documents import write_lying_docx, write_page_bomb_pdf, write_repeated_epub

RESULTS = Path(__file__).parent / "results" / "parsing.json"


def _timed(action: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    value = action()
    return time.perf_counter() - began, value


def library(folder: Path, repetitions: int) -> dict[str, Any]:
    write_library(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and readers.supported(p))
    limits = ReadLimits()
    rows: dict[str, Any] = {}
    with ParserProcess() as parser:
        start_s, _ = _timed(lambda: parser.parse(files[0], limits))
        for path in files:
            inline = [_timed(lambda p=path: readers.parse(p, p.read_bytes(), limits))[0]
                      for _ in range(repetitions)]  # fmt: skip
            child = [_timed(lambda p=path: parser.parse(p, limits))[0]
                     for _ in range(repetitions)]  # fmt: skip
            rows[path.name] = {"size": path.stat().st_size,
                               "in_process_ms": 1000 * statistics.median(inline),
                               "parser_process_ms": 1000 * statistics.median(child)}  # fmt: skip
    return {"first_parse_with_start_ms": 1000 * start_s, "documents": rows}


def hostile(folder: Path) -> dict[str, Any]:
    files = [
        write_repeated_epub(folder / "again.epub"),
        write_page_bomb_pdf(folder / "pages.pdf"),
        write_lying_docx(folder / "lying.docx"),
    ]
    rows: dict[str, Any] = {}
    with ParserProcess() as parser:
        for path in files:
            began = time.perf_counter()
            try:
                parsed = parser.parse(path, ReadLimits())
                chars = sum(len(s.text) for s in parsed.document.sections)
                outcome = "cut at the limit" if parsed.document.truncated else "whole"
            except UnreadableDocument as exc:
                chars, outcome = 0, exc.code
            rows[path.name] = {"size": path.stat().st_size, "chars": chars, "outcome": outcome,
                               "seconds": time.perf_counter() - began}  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        (root / "library").mkdir()
        (root / "hostile").mkdir()
        results = {"library": library(root / "library", args.repetitions),
                   "hostile": hostile(root / "hostile")}  # fmt: skip
    first = results["library"]["first_parse_with_start_ms"]
    print(f"parser process: first parse, start included: {first:.0f} ms")
    print(f"{'document':<22}{'size':>9}{'in process ms':>15}{'parser process ms':>19}")
    for name, row in results["library"]["documents"].items():
        print(f"{name:<22}{row['size']:>9}{row['in_process_ms']:>15.1f}"
              f"{row['parser_process_ms']:>19.1f}")  # fmt: skip
    print(f"\n{'hostile (default limits)':<26}{'size':>9}{'chars':>12}{'s':>7}  outcome")
    for name, row in results["hostile"].items():
        print(f"{name:<26}{row['size']:>9}{row['chars']:>12}{row['seconds']:>7.1f}  "
              f"{row['outcome']}")  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
