"""The window's action icons: one set (Lucide, shipped as SVG in resources/icons/actions/),
drawn in the theme's text colour.

Why an icon engine of our own and not ``QIcon("file.svg")``: Lucide draws with
``currentColor``, which Qt's SVG engine paints black, unreadable on the dark theme. This
engine fills in the application palette's colour each time the icon is painted, so an icon
follows a switch between light and dark at once, with no widget having to set it again
(disabled icons take the palette's disabled text colour, selected ones its highlighted text).
Nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
from typing import Final

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop.window.resources import resource_path

# What each action shows, by the name the code uses (the file is Lucide's name for it).
ICON_FILES: Final[dict[str, str]] = {
    "new-chat": "message-square-plus",
    "send": "send-horizontal",
    "stop": "square",
    "copy": "copy",
    "edit": "pencil",
    "regenerate": "refresh-cw",
    "sources": "book-open",
    "knowledge": "panel-right",
    "settings": "settings",
    "models": "boxes",
    "delete": "trash-2",
    "rename": "pen-line",
    "add-files": "file-plus",
}


def icon_file(name: str) -> str:
    """Path of an action's SVG (a name of ICON_FILES)."""
    return str(resource_path("icons", "actions", ICON_FILES[name] + ".svg"))


def tint_color(mode: QIcon.Mode, palette: QPalette | None = None) -> QColor:
    """The colour an icon is drawn in for a mode, from the application's palette."""
    palette = palette or QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.HighlightedText)
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)


class TintedSvgEngine(QIconEngine):
    """Paints one SVG with ``currentColor`` replaced by the palette's colour for the mode."""

    def __init__(self, svg: bytes) -> None:
        super().__init__()
        self._svg = svg
        self._renderers: dict[str, QSvgRenderer] = {}  # by colour: a theme has few

    def _renderer(self, color: QColor) -> QSvgRenderer:
        key = color.name(QColor.NameFormat.HexArgb)
        renderer = self._renderers.get(key)
        if renderer is None:
            svg = self._svg.replace(b"currentColor", color.name().encode("ascii"))
            renderer = QSvgRenderer(QByteArray(svg))
            self._renderers[key] = renderer
        return renderer

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        color = tint_color(mode)
        side = min(rect.width(), rect.height())
        square = QRect(0, 0, side, side)
        square.moveCenter(rect.center())
        painter.save()
        painter.setOpacity(painter.opacity() * color.alphaF())
        self._renderer(color).render(painter, square)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State,
                     scale: float) -> QPixmap:  # fmt: skip
        pixmap = self.pixmap(size * scale, mode, state)
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        return size

    def clone(self) -> QIconEngine:
        return TintedSvgEngine(self._svg)

    def key(self) -> str:
        return "fireside-tinted-svg"


def themed_icon(name: str) -> QIcon:
    """An action's icon (a name of ICON_FILES), drawn in the theme's text colour."""
    return QIcon(_shared_icon(name))  # a copy sharing one engine: its renderers are kept


@functools.cache
def _shared_icon(name: str) -> QIcon:
    """One icon per action for the whole window: every message carries four of them, and
    reading and parsing the SVG for each made opening a long chat measurably slower. The
    engine picks its colour at every paint, so sharing it never pins a theme."""
    with open(icon_file(name), "rb") as svg:
        return QIcon(TintedSvgEngine(svg.read()))
