"""The window's language: Qt translators for Fireside's own strings and Qt's.

The window's strings are marked with ``tr()`` and translated by Qt's own system:
``packaging/translations.py`` extracts them into ``resources/translations/fireside_<lang>.ts``
and compiles those into ``.qm`` files, which are loaded here. Qt's own strings (the OK and
Cancel of standard buttons, the context menu of a text field) come from the ``qtbase``
catalogue that PySide6 ships. Installing a translator sends every widget a
``QEvent.LanguageChange``, so calling this again switches the language of widgets that
retranslate themselves on that event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

from core.i18n import resolve_language
from desktop.window.resources import resource_path

_OURS: Final = "fireside-translator"  # objectName of the translators installed here


def translation_files(language: str) -> list[Path]:
    """The catalogues for a language that exist here: Fireside's, then Qt's own (none for
    English, which is what Qt's strings are written in)."""
    files = [resource_path("translations", f"fireside_{language}.qm")]
    if language != "en":
        qt_folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
        files.append(qt_folder / f"qtbase_{language}.qm")
    return [f for f in files if f.is_file()]


def install_translators(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Speak ``language`` ("system", "zh_CN" or "en"; "system" follows FIRESIDE_LANG and
    the system locale like the rest of Fireside). Translators installed by an earlier call
    are removed first. Returns the new ones; they are children of ``app``, and the caller
    may keep the list too."""
    for old in app.findChildren(QTranslator):
        if old.objectName() == _OURS:
            app.removeTranslator(old)
            old.setParent(None)  # owned by Python again: freed when nobody holds it
    installed: list[QTranslator] = []
    for path in translation_files(resolve_language(language)):
        translator = QTranslator(app)
        translator.setObjectName(_OURS)
        if translator.load(str(path)) and app.installTranslator(translator):
            installed.append(translator)
        else:
            translator.setParent(None)
    return installed
