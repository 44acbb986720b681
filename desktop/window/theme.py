"""Light and dark looks for the whole application, switched without a restart.

"system" leaves the look to the platform (its own style and palette, which follow the
desktop's light or dark mode where the platform supports it). "light" and "dark" use Qt's
Fusion style, the one style that draws every widget from the palette, with palettes of our
own, so both look the same on Windows, macOS and Linux. The platform's style is remembered
on the application object the first time a theme is applied, so "system" can bring it back.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

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
    Role.PlaceholderText: ("#8a8a8a", "#b0b0b0"),
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
    Role.PlaceholderText: ("#8c8c8c", "#5f5f5f"),
    Role.Text: ("#e8e8e8", "#7a7a7a"),
    Role.Button: ("#353535", "#2f2f2f"),
    Role.ButtonText: ("#e8e8e8", "#7a7a7a"),
    Role.BrightText: ("#ff7b72", "#ff7b72"),
    Role.Light: ("#4a4a4a", "#4a4a4a"),
    Role.Midlight: ("#3e3e3e", "#3e3e3e"),
    Role.Mid: ("#242424", "#242424"),
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


def apply_theme(app: QApplication, theme: str) -> None:
    """Apply "system", "light" or "dark" to every window at once (an unknown name is
    "system": a settings file from a later version must not break the look)."""
    remembered = app.property(_PLATFORM_STYLE)
    if not remembered:
        remembered = app.style().name()
        app.setProperty(_PLATFORM_STYLE, remembered)
    if theme in ("light", "dark"):
        if app.style().name().lower() != "fusion":
            app.setStyle("Fusion")
        app.setPalette(palette(theme))
        return
    if app.style().name().lower() != str(remembered).lower():
        app.setStyle(str(remembered))
    app.setPalette(QPalette())  # an empty palette: the platform's own again


def is_dark(app: QApplication) -> bool:
    """True when windows are dark (light text on a dark background), whatever the reason:
    our dark theme, or the platform's dark mode under "system"."""
    colours = app.palette()
    window = colours.color(Role.Window).lightness()
    text = colours.color(Role.WindowText).lightness()
    return window < text
