"""Light and dark looks for the whole application, switched without a restart.

"system" leaves the look to the platform (its own style and palette, which follow the
desktop's light or dark mode where the platform supports it). "light" and "dark" use Qt's
Fusion style, the one style that draws every widget from the palette, with palettes of our
own, so both look the same on Windows, macOS and Linux. The platform's style is remembered
on the application object the first time a theme is applied, so "system" can bring it back.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QWidget,
)

THEMES: Final = ("system", "light", "dark")
_PLATFORM_STYLE: Final = "fireside_platform_style"  # a dynamic property of the application

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

# role: (active and inactive, disabled)
_LIGHT: Final[dict[QPalette.ColorRole, tuple[str, str]]] = {
    Role.Window: ("#f3f3f3", "#f3f3f3"),
    Role.WindowText: ("#1f1f1f", "#9a9a9a"),
    Role.Base: ("#ffffff", "#f6f6f6"),
    Role.AlternateBase: ("#f5f5f5", "#f5f5f5"),
    Role.ToolTipBase: ("#ffffe8", "#ffffe8"),
    Role.ToolTipText: ("#1f1f1f", "#9a9a9a"),
    Role.PlaceholderText: ("#666666", "#b0b0b0"),  # AA (>= 4.5:1) on Base and AlternateBase
    Role.Text: ("#1f1f1f", "#9a9a9a"),
    Role.Button: ("#ececec", "#f0f0f0"),
    Role.ButtonText: ("#1f1f1f", "#9a9a9a"),
    Role.BrightText: ("#c01c28", "#c01c28"),
    Role.Light: ("#ffffff", "#ffffff"),
    Role.Midlight: ("#e3e3e3", "#e3e3e3"),
    Role.Mid: ("#b8b8b8", "#c8c8c8"),
    Role.Dark: ("#a0a0a0", "#b0b0b0"),
    Role.Shadow: ("#6a6a6a", "#9a9a9a"),
    Role.Highlight: ("#2f6fd6", "#c8c8c8"),
    Role.HighlightedText: ("#ffffff", "#6a6a6a"),
    Role.Link: ("#1a5fb4", "#7f9cc4"),
    Role.LinkVisited: ("#7a3db8", "#a58cc4"),
}

_DARK: Final[dict[QPalette.ColorRole, tuple[str, str]]] = {
    Role.Window: ("#2b2b2b", "#2b2b2b"),
    Role.WindowText: ("#e8e8e8", "#7a7a7a"),
    Role.Base: ("#1e1e1e", "#262626"),
    Role.AlternateBase: ("#262626", "#262626"),
    Role.ToolTipBase: ("#3a3a3a", "#3a3a3a"),
    Role.ToolTipText: ("#f0f0f0", "#7a7a7a"),
    Role.PlaceholderText: ("#9e9e9e", "#5f5f5f"),  # AA on Base and Window
    Role.Text: ("#e8e8e8", "#7a7a7a"),
    Role.Button: ("#353535", "#2f2f2f"),
    Role.ButtonText: ("#e8e8e8", "#7a7a7a"),
    Role.BrightText: ("#ff7b72", "#ff7b72"),
    Role.Light: ("#4a4a4a", "#4a4a4a"),
    Role.Midlight: ("#3e3e3e", "#3e3e3e"),
    Role.Mid: ("#5c5c5c", "#4a4a4a"),  # edges of chips, marks and slim scroll bars
    Role.Dark: ("#1a1a1a", "#1a1a1a"),
    Role.Shadow: ("#000000", "#000000"),
    Role.Highlight: ("#3d7be0", "#4a4a4a"),
    Role.HighlightedText: ("#ffffff", "#9a9a9a"),
    Role.Link: ("#6cb4ff", "#4f7399"),
    Role.LinkVisited: ("#c49cff", "#7d6a99"),
}


def palette(theme: str) -> QPalette:
    """The Fusion palette of "light" or "dark" (active, inactive and disabled colours)."""
    colours = _DARK if theme == "dark" else _LIGHT
    result = QPalette()
    for role, (normal, disabled) in colours.items():
        for group in (Group.Active, Group.Inactive):
            result.setColor(group, role, QColor(normal))
        result.setColor(Group.Disabled, role, QColor(disabled))
    accent = getattr(Role, "Accent", None)  # Qt 6.6+: checkboxes and sliders use it
    if accent is not None:
        highlight = colours[Role.Highlight]
        for group in (Group.Active, Group.Inactive):
            result.setColor(group, accent, QColor(highlight[0]))
        result.setColor(Group.Disabled, accent, QColor(highlight[1]))
    return result


class FusionStyle(QProxyStyle):
    """Qt's Fusion with check box outlines that can be seen.

    Fusion outlines a check box in the window colour made darker: black on near-black in the
    dark theme (the "Use in this chat" boxes were all but invisible) and under 2:1 on white.
    Here a box gets a second outline in the text colour, partly transparent (3:1 or more
    against the list behind it, WCAG's measure for the parts of a control).
    """

    _CHECKS = (
        QStyle.PrimitiveElement.PE_IndicatorCheckBox,
        QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
    )

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def name(self) -> str:
        """ "fusion", the style underneath (a proxy has no name of its own)."""
        return self.baseStyle().name()

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,
                      painter: QPainter, widget: QWidget | None = None) -> None:  # fmt: skip
        super().drawPrimitive(element, option, painter, widget)
        colours = option.palette
        if element in self._CHECKS:
            edge = QColor(colours.color(Role.Text))
            edge.setAlpha(150)
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(edge, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            rect = option.rect.adjusted(1, 1, -1, -1)
            painter.drawRoundedRect(rect, 2, 2)
            painter.restore()


def apply_theme(app: QApplication, theme: str) -> None:
    """Apply "system", "light" or "dark" to every window at once (an unknown name is
    "system": a settings file from a later version must not break the look)."""
    remembered = app.property(_PLATFORM_STYLE)
    if not remembered:
        remembered = app.style().name()
        app.setProperty(_PLATFORM_STYLE, remembered)
    if theme in ("light", "dark"):
        if not isinstance(app.style(), FusionStyle):
            app.setStyle(FusionStyle())
        app.setPalette(palette(theme))
    else:
        if app.style().name().lower() != str(remembered).lower():
            app.setStyle(str(remembered))
        app.setPalette(QPalette())  # an empty palette: the platform's own again
    restyle_sheets(app)


def restyle_sheets(app: QApplication) -> None:
    """Polish every widget that has a style sheet again, so its ``palette(...)`` colours
    follow the new palette. Qt resolves those when a sheet is polished and keeps them: without
    this, the chat kept the old theme's background and text until a restart. Widgets that draw
    more than the palette (the chat's rendered Markdown) also get a ``StyleChange`` event
    from this, which is where they redraw themselves."""
    for widget in app.allWidgets():
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet(sheet)


def is_dark(app: QApplication) -> bool:
    """True when windows are dark (light text on a dark background), whatever the reason:
    our dark theme, or the platform's dark mode under "system"."""
    colours = app.palette()
    window = colours.color(Role.Window).lightness()
    text = colours.color(Role.WindowText).lightness()
    return window < text
