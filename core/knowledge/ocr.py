"""Text recognised in page images (OCR): what a recognised page holds, and the recogniser.

Scanned PDFs and photos of pages have no text layer; RapidOCR (PaddleOCR's Chinese and
English PP-OCRv4 models on onnxruntime, shipped inside the ``rapidocr-onnxruntime`` wheel:
nothing is downloaded) reads them. Recognition is native code on a person's image and takes
seconds per page, so it only ever runs in the parser process
(core/knowledge/parser_process.py), one page at a time: each page is sent back to the
ingestion as soon as it is read and stored (``ocr_pages`` in the knowledge store), so a
stopped or killed ingestion resumes at the next page instead of recognising everything
again, and a page that fails is kept with its reason while the rest goes on.

A recognised page keeps every line's box in page coordinates (points, origin bottom-left,
as PDFium's), so a citation of the passage opens at the page with those lines highlighted.
The page's text is its lines in reading order, joined with a line break, except between two
Chinese characters (a line of Chinese ends where the line was full, as in the PDF reader).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from core.knowledge.errors import UnreadableDocument

if TYPE_CHECKING:
    from PIL.Image import Image

# A page whose text layer holds fewer visible characters than this is taken for a scan.
MIN_TEXT_LAYER_CHARS: Final = 16
OCR_DPI: Final = 200.0  # a PDF page is rendered for OCR at this resolution …
OCR_LONG_SIDE: Final = 2000  # … or less, to this many pixels (RapidOCR scales larger down)
_CJK: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

BoxTuple = tuple[float, float, float, float]  # left, bottom, right, top in page points


@dataclass(frozen=True)
class OcrLine:
    """One recognised line and its box on the page (points, origin bottom-left)."""

    text: str
    box: BoxTuple
    score: float = 1.0


@dataclass(frozen=True)
class OcrPage:
    """One page's recognition: its lines, or why it could not be recognised."""

    page: int  # 1-based
    lines: tuple[OcrLine, ...] = ()
    error: str | None = None  # the reason, for a page that failed
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return page_text(self.lines)[0]


@dataclass(frozen=True)
class OcrRequest:
    """What the ingestion sends with a file: pages of these very bytes recognised before
    (a stopped job resumes there), keyed by the content hash the child checks."""

    content_hash: str | None = None
    known: tuple[OcrPage, ...] = field(default_factory=tuple)


def page_text(lines: tuple[OcrLine, ...] | list[OcrLine]) -> tuple[str, list[int]]:
    """The page's text and where each line starts in it."""
    parts: list[str] = []
    starts: list[int] = []
    at = 0
    previous = ""
    for line in lines:
        if parts:
            joint = "" if _CJK.match(previous[-1:]) and _CJK.match(line.text[:1]) else "\n"
            parts.append(joint)
            at += len(joint)
        starts.append(at)
        parts.append(line.text)
        at += len(line.text)
        previous = line.text
    return "".join(parts), starts


def scant(text: str) -> bool:
    """Whether a page's text layer is (almost) empty: a scan, at most a page number."""
    return sum(1 for ch in text if not ch.isspace()) < MIN_TEXT_LAYER_CHARS


Render = Callable[[], tuple["Image", float, float]]  # the image, pixels per point, page height


class Recogniser:
    """RapidOCR, loaded when the first page needs it (a parser process that reads only
    Word files never pays for it). Lives in the parser process only."""

    def __init__(self) -> None:
        self._engine: Any = None

    def _load(self) -> Any:
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            self._engine = RapidOCR()
        return self._engine

    def recognise(self, page: int, image: Image, scale: float, height: float) -> OcrPage:
        """The lines on ``image``, their boxes turned into page points (``scale`` pixels
        per point, the page ``height`` points tall)."""
        import numpy as np

        began = time.perf_counter()
        engine = self._load()
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        # RapidOCR wants BGR. Its direction classifier is left out: on clean printed pages
        # it took whole lines for upside down and turned them into nothing (4 of 26 lines of
        # a generated A4 page lost with it, none without); an upside-down scan is the cost.
        found, _ = engine(np.asarray(rgb)[:, :, ::-1].copy(), use_cls=False)
        lines = []
        for quad, text, score in found or ():
            text = str(text).strip()
            if not text:
                continue
            xs = [float(p[0]) / scale for p in quad]
            ys = [float(p[1]) / scale for p in quad]
            box = (min(xs), height - max(ys), max(xs), height - min(ys))
            lines.append(OcrLine(text, box, float(score)))
        return OcrPage(page, tuple(lines), None, time.perf_counter() - began)


class PageRecognition:
    """The OCR a reader may use for one document: pages known from an earlier run are
    taken as they are, new ones are recognised and handed to ``send`` at once (the
    ingestion stores them), and a page that fails becomes its reason, never an exception.
    """

    def __init__(self, recogniser: Recogniser, known: dict[int, OcrPage],
                 send: Callable[[OcrPage], None] | None = None) -> None:  # fmt: skip
        self.recogniser = recogniser
        self.known = known
        self.send = send
        self.recognised: list[int] = []  # pages read from images (known ones too)
        self.failed: list[tuple[int, str]] = []  # pages that could not be, with the reason

    def page(self, number: int, render: Render) -> OcrPage:
        result = self.known.get(number)
        if result is None:
            began = time.perf_counter()
            try:
                image, scale, height = render()
                result = self.recogniser.recognise(number, image, scale, height)
            except MemoryError:
                result = OcrPage(number, error="out of memory")
            except UnreadableDocument as exc:  # the page could not be decoded
                reason = str(exc.params.get("reason") or exc.code)[:200]
                result = OcrPage(number, error=reason, seconds=time.perf_counter() - began)
            except Exception as exc:  # the recogniser's own failure on this page only
                reason = f"{type(exc).__name__}: {exc}"[:200]
                result = OcrPage(number, error=reason, seconds=time.perf_counter() - began)
            if self.send is not None:
                self.send(result)
        if result.error is not None:
            self.failed.append((number, result.error))
        else:
            self.recognised.append(number)
        return result
