"""OCR in the window (offscreen): a cited passage of an image opens in Fireside's viewer
with its recognised lines highlighted on the picture, the knowledge panel says a document
was recognised from an image, and the setting that turns OCR off is saved (both languages).

The recognised lines here are where the test drew them (PIL's own text boxes), stored as
an OCR page would store them: what the viewer does with a recognised page is what is
tested; the recognition itself is tested in tests/test_knowledge_ocr.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import ImageDraw, ImageFont
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from core.i18n import Translator
from core.knowledge.cited import CitedSource
from core.knowledge.ocr import OcrLine, OcrPage
from core.knowledge.readers.image import POINTS_PER_PIXEL
from core.models.tokens import TokenStore
from core.settings import SettingsStore
from desktop.knowledge.jobs import READY, RowState
from desktop.knowledge.viewer import DocumentViewer
from desktop.knowledge.widgets import DocumentList
from desktop.settings.dialog import SettingsDialog
from desktop.window.services import AppServices
from desktop.window.translations import install_translators
from tests.hub_server import MemoryKeyring
from tests.ocr_pages import EN_LINES, render_page

FONT_SIZE = 30
PITCH = int(FONT_SIZE * 1.9)


def drawn_lines(size: tuple[int, int]) -> tuple[OcrLine, ...]:
    """Where render_page drew each line, as a recognised line (page points, bottom-left)."""
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", FONT_SIZE)
    draw = ImageDraw.Draw(render_page(EN_LINES, size=size))
    height = size[1] * POINTS_PER_PIXEL
    lines = []
    for number, text in enumerate(EN_LINES):
        left, top, right, bottom = draw.textbbox((60, 60 + number * PITCH), text, font=font)
        box = (left * POINTS_PER_PIXEL, height - bottom * POINTS_PER_PIXEL,
               right * POINTS_PER_PIXEL, height - top * POINTS_PER_PIXEL)  # fmt: skip
        lines.append(OcrLine(text, box, 0.99))
    return tuple(lines)


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[None]:
    assert install_translators(qapp, "zh_CN"), "no zh_CN catalogue was loaded"
    yield
    install_translators(qapp, "en")


def test_a_recognised_passage_of_an_image_opens_highlighted(qtbot: QtBot, tmp_path: Path) -> None:
    size = (1000, 520)
    path = tmp_path / "storms.png"
    render_page(EN_LINES, size=size).save(path)
    lines = drawn_lines(size)
    passage = f"{EN_LINES[1]}\n{EN_LINES[2]}"  # the second and third lines
    source = CitedSource(path, "image", 1, passage, recognised=(OcrPage(1, lines),))
    opened: list[QUrl] = []
    viewer = DocumentViewer(Translator("en"), opened.append)
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.show_source(source)
    qtbot.waitUntil(lambda: viewer.loaded_source is source, timeout=10_000)
    view = viewer.pdf_view
    assert viewer.stack.currentWidget() is view and len(view.pages) == 1
    assert viewer.note.isHidden() and viewer.where.text() == "Page 1 of 1"
    page = view.pages[0]
    assert page.points == pytest.approx((size[0] * POINTS_PER_PIXEL, size[1] * POINTS_PER_PIXEL))
    rects = sorted(page.highlight_rects(), key=lambda r: r.top())
    assert len(rects) == 2
    pixels_per_image_pixel = page.zoom * POINTS_PER_PIXEL
    for rect, number in zip(rects, (1, 2), strict=True):
        drawn_top = (60 + number * PITCH) * pixels_per_image_pixel
        assert abs(rect.top() - drawn_top) < 8 * pixels_per_image_pixel + 2, (number, rect)
        assert rect.left() == pytest.approx(60 * pixels_per_image_pixel, abs=3)
    shown = page.image  # the picture itself, rendered at the page's width
    assert shown is not None and shown.width() == page.width()
    box = rects[0].toRect()  # under the highlight: the drawn letters, dark
    darkest = min(shown.pixelColor(x, y).lightness()
                  for x in range(box.left(), box.right(), 2)
                  for y in range(box.top(), box.bottom(), 2))  # fmt: skip
    assert darkest < 100
    viewer.close()


def test_the_document_list_says_recognised_from_image_in_both_languages(
    qtbot: QtBot, qapp: QApplication, chinese: None
) -> None:
    documents = DocumentList()
    qtbot.addWidget(documents)
    documents.set_row("/scans/storms.png", RowState(READY, pages=1, chunks=1, recognised=True))
    documents.set_row("/notes/ferry.md", RowState(READY, pages=None, chunks=1))
    scan, note = documents.state("/scans/storms.png"), documents.state("/notes/ferry.md")
    assert scan is not None and note is not None
    assert "从图片识别" in documents.status_text(scan)
    assert "从图片识别" not in documents.status_text(note)
    install_translators(qapp, "en")
    english = DocumentList()
    qtbot.addWidget(english)
    state = RowState(READY, pages=1, chunks=1, recognised=True)
    assert english.status_text(state).endswith("recognised from image")


def test_turning_ocr_off_is_saved(qtbot: QtBot, services: AppServices) -> None:
    dialog = SettingsDialog(services, tokens=TokenStore(MemoryKeyring()), opener=lambda _: None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.models_page.loaded, timeout=10_000)
    page = dialog.models_page
    assert page.ocr_check.isChecked()  # on by default
    page.ocr_check.setChecked(False)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert SettingsStore(services.paths.settings_file).load().knowledge.ocr is False
