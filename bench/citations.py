"""What opening a citation costs: finding the passage and drawing the page it is on.

A click on a citation chip reads the file again (core/knowledge/passages.py) before the
viewer can show anything, so this is the wait a person has. For PDFs of 10 to 500 pages
(English, and Chinese in the STSong-Light CID font), made by tests.documents.write_pdf,
it times opening the file, finding a passage on the last page (whitespace-insensitive
search, then the line rectangles from the char boxes) and rendering that page at the zoom
the viewer uses for a 800-pixel-wide window (about 1.3); for Markdown files of 1 and 10 MB,
reading the displayed text again and finding the passage near its end.

    .venv/bin/python -m bench.citations [--repetitions 3]

Prints a short table and writes ``bench/results/citations.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from core.knowledge.passages import displayed_text, find_in_pdf, text_passage
from tests.documents import write_pdf

RESULTS = Path(__file__).parent / "results" / "citations.json"
ZOOM = 776 / 595.28  # a 800-pixel view of an A4 page, less the margins


def _median_ms(action: Callable[[], Any], repetitions: int) -> float:
    times = []
    for _ in range(repetitions):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return 1000 * statistics.median(times)


def _page(n: int, chinese: bool) -> str:
    if chinese:
        return "".join(f"第{n}页第{i}句：港口的第{i}号码头在清晨装卸货物。" for i in range(30))
    return " ".join(f"Page {n}, sentence {i}: boat {n * 100 + i} is moored at the quay."
                    for i in range(40))  # fmt: skip


def pdf_rows(folder: Path, repetitions: int) -> list[dict[str, Any]]:
    rows = []
    for chinese in (False, True):
        for count in (10, 100, 500):
            pages = [_page(n, chinese) for n in range(1, count + 1)]
            path = write_pdf(folder / f"{count}-{chinese}.pdf", pages, chinese=chinese)
            passage = pages[-1][len(pages[-1]) // 3 : len(pages[-1]) // 3 * 2]

            def open_close(p: Path = path) -> None:
                pdfium.PdfDocument(p).close()

            document = pdfium.PdfDocument(path)
            try:
                found = find_in_pdf(document, count, passage)
                assert found is not None and found.exact

                def find(d: Any = document, c: int = count, t: str = passage) -> None:
                    find_in_pdf(d, c, t)

                def render(d: Any = document, c: int = count) -> None:
                    page = d[c - 1]
                    page.render(scale=ZOOM, force_bitmap_format=pdfium_c.FPDFBitmap_BGRx).close()
                    page.close()

                rows.append({
                    "document": f"PDF {'zh' if chinese else 'en'} {count} pages",
                    "size_kb": path.stat().st_size // 1024,
                    "open_ms": _median_ms(open_close, repetitions),
                    "find_ms": _median_ms(find, repetitions),
                    "render_ms": _median_ms(render, repetitions),
                    "lines": len(found.boxes),
                })  # fmt: skip
            finally:
                document.close()
    return rows


def text_rows(folder: Path, repetitions: int) -> list[dict[str, Any]]:
    rows = []
    for megabytes in (1, 10):
        paragraphs = []
        size = 0
        while size < megabytes << 20:
            paragraph = f"Paragraph {len(paragraphs)}: boat {len(paragraphs)} is at the quay."
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        path = folder / f"{megabytes}.md"
        path.write_text("\n\n".join(paragraphs), encoding="utf-8")
        passage = paragraphs[-3]
        text = displayed_text(path)
        start = text.rindex(passage)

        def read(p: Path = path) -> None:
            displayed_text(p)

        def find(t: str = text, s: int = start, q: str = passage) -> None:
            text_passage(t, q, s, s + len(q))

        def search(t: str = text, q: str = passage) -> None:  # offsets stale: searched for
            text_passage(t, q, 0, len(q))

        rows.append({
            "document": f"Markdown {megabytes} MB", "size_kb": path.stat().st_size // 1024,
            "open_ms": _median_ms(read, repetitions), "find_ms": _median_ms(find, repetitions),
            "search_ms": _median_ms(search, repetitions),
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        pdfs = pdf_rows(Path(folder), args.repetitions)
        texts = text_rows(Path(folder), args.repetitions)
    print(f"{'document':<22} {'KB':>7} {'open ms':>9} {'find ms':>9} {'render ms':>10}")
    for row in pdfs:
        print(f"{row['document']:<22} {row['size_kb']:>7} {row['open_ms']:>9.1f} "
              f"{row['find_ms']:>9.1f} {row['render_ms']:>10.1f}")  # fmt: skip
    print(f"{'document':<22} {'KB':>7} {'read ms':>9} {'find ms':>9} {'search ms':>10}")
    for row in texts:
        print(f"{row['document']:<22} {row['size_kb']:>7} {row['open_ms']:>9.1f} "
              f"{row['find_ms']:>9.1f} {row['search_ms']:>10.1f}")  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"pdf": pdfs, "text": texts}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
