"""Images (PNG, JPEG, TIFF, WebP): photos and scans of pages, read through OCR.

Each image is one page; a multi-page TIFF is read page by page. The size an image declares
is checked before a pixel is decoded: a PNG of 50000×50000 pixels is a few kilobytes on
disk and 7.5 GB once decoded, so anything above :attr:`ReadLimits.max_image_pixels` is
refused with its size (``kb_image_too_large``). A file Pillow cannot make sense of is
``kb_image_corrupt`` with Pillow's reason. Without OCR (outside the parser process, or
turned off in the settings) an image has no text for Fireside (``kb_image_ocr_off``).

An image page measures its pixels at :data:`IMAGE_DPI` in points, so a recognised line's
box is in page points as on a PDF page, and the viewer shows the image as such a page.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any, Final

from core.knowledge.errors import UnreadableDocument
from core.knowledge.readers.base import ParsedDocument, Reading, Section

SUFFIXES: Final = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp"})
IMAGE_DPI: Final = 150.0  # pixels per inch an image page is taken to have
POINTS_PER_PIXEL: Final = 72.0 / IMAGE_DPI


def open_image(path: Path, data: bytes, max_pixels: int) -> Any:
    """The image in ``data``, its header checked (not yet decoded). Raises
    :class:`UnreadableDocument` for a bomb or a file that is not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise UnreadableDocument("kb_image_too_large", path=str(path), size=_size_of(exc),
                                 limit=f"{max_pixels / 1e6:g}") from exc  # fmt: skip
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableDocument("kb_image_corrupt", path=str(path),
                                 reason=_reason(exc)) from exc  # fmt: skip
    check_size(path, image.size, max_pixels)
    return image


def check_size(path: Path, size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise UnreadableDocument("kb_image_too_large", path=str(path), size=f"{width}×{height}",
                                 limit=f"{max_pixels / 1e6:g}")  # fmt: skip


def frames(path: Path, image: Any, max_pixels: int) -> Any:
    """Each page of ``image`` decoded to RGB (a TIFF's pages one after the other)."""
    count = int(getattr(image, "n_frames", 1) or 1)
    for index in range(count):
        yield index + 1, count, decode(path, image, index, max_pixels)


def decode(path: Path, image: Any, index: int, max_pixels: int) -> Any:
    """Page ``index`` (0-based) of ``image`` in RGB; raises :class:`UnreadableDocument`."""
    try:
        image.seek(index)
        check_size(path, image.size, max_pixels)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on odd but readable files
            return image.convert("RGB")
    except UnreadableDocument:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnreadableDocument("kb_image_corrupt", path=str(path), reason=_reason(exc)) from exc


def read_image(path: Path, data: bytes, reading: Reading) -> ParsedDocument:
    """Each page decoded when it is recognised: a damaged page of a multi-page TIFF is
    one page that failed (with its reason), the rest is read; a damaged single image is
    ``kb_image_corrupt``."""
    ocr = reading.ocr
    if ocr is None:
        raise UnreadableDocument("kb_image_ocr_off", path=str(path))
    max_pixels = reading.limits.max_image_pixels
    image = open_image(path, data, max_pixels)
    sections: list[Section] = []
    try:
        count = int(getattr(image, "n_frames", 1) or 1)
        for number in range(1, count + 1):
            if reading.full:
                reading.truncated = True
                break

            def render(index: int = number - 1) -> tuple[Any, float, float]:
                page = decode(path, image, index, max_pixels)
                return page, 1.0 / POINTS_PER_PIXEL, page.size[1] * POINTS_PER_PIXEL

            text = reading.take(ocr.page(number, render).text)
            if text.strip():
                sections.append(Section(text, page=number))
            reading.read(number, count, "page")
    finally:
        image.close()
    if count == 1 and ocr.failed:
        raise UnreadableDocument("kb_image_corrupt", path=str(path), reason=ocr.failed[0][1])
    parsed = ParsedDocument(kind="image", title=path.stem, sections=sections, pages=count)
    parsed.recognised, parsed.unrecognised = list(ocr.recognised), list(ocr.failed)
    return parsed


def _size_of(exc: Exception) -> str:
    """Pillow's bomb message names the pixel count: 'Image size (2500000000 pixels) …'."""
    text = str(exc)
    digits = "".join(ch for ch in text.split("pixels")[0] if ch.isdigit())
    return f"{int(digits):,}" if digits else "?"


def _reason(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:200]


def image_document(path: Path, max_pixels: int = 100_000_000) -> Any:
    """The image at ``path`` as a PDF in memory, a page per image page measured at
    :data:`IMAGE_DPI` (as when it was recognised), so it is shown, and its recognised
    lines highlighted, like any PDF page. Raises :class:`UnreadableDocument` or OSError."""
    import pypdfium2 as pdfium

    image = open_image(path, path.read_bytes(), max_pixels)
    document = pdfium.PdfDocument.new()
    try:
        for _, _, frame in frames(path, image, max_pixels):
            width, height = frame.size[0] * POINTS_PER_PIXEL, frame.size[1] * POINTS_PER_PIXEL
            page = document.new_page(width, height)
            picture = pdfium.PdfImage.new(document)
            bitmap = pdfium.PdfBitmap.from_pil(frame)
            picture.set_bitmap(bitmap)
            picture.set_matrix(pdfium.PdfMatrix().scale(width, height))
            page.insert_obj(picture)
            page.gen_content()
            page.close()
    except BaseException:
        document.close()
        raise
    finally:
        image.close()
    return document
