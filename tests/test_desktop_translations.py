"""The window in Simplified Chinese: every string a person sees is translated.

Two checks that complement each other: every ``tr()`` string in desktop/ has a finished
zh_CN translation (``packaging/translations.py check``, on a fresh extraction of the source),
and the real window, opened in zh_CN with its dialogs, shows none of the English source
strings (so a string built outside ``tr()`` or a missing translator would be caught).
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QTableWidget,
    QTabWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from core.settings import replace_sampling
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from desktop.window.translations import install_translators

ROOT = Path(__file__).resolve().parent.parent
ZH_TS = ROOT / "resources" / "translations" / "fireside_zh_CN.ts"


def english_sources() -> dict[str, str]:
    """Every source string of the zh_CN catalogue, with its translation."""
    found: dict[str, str] = {}
    for message in ET.parse(ZH_TS).getroot().iter("message"):
        source = message.findtext("source") or ""
        found[source] = message.findtext("translation") or ""
    return found


def visible_texts(root: QWidget) -> set[str]:
    """The strings a person can read in a widget tree (texts, tips, placeholders, menus)."""
    texts: set[str] = set()
    for widget in [root, *root.findChildren(QWidget)]:
        texts.update([widget.toolTip(), widget.windowTitle()])
        if isinstance(widget, QAbstractButton | QLabel | QLineEdit):
            texts.add(widget.text())
        if isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit):
            texts.add(widget.placeholderText())
        if isinstance(widget, QGroupBox):
            texts.add(widget.title())
        if isinstance(widget, QComboBox):
            texts.update(widget.itemText(i) for i in range(widget.count()))
        if isinstance(widget, QTabWidget):
            texts.update(widget.tabText(i) for i in range(widget.count()))
        if isinstance(widget, QListWidget):
            texts.update(widget.item(i).text() for i in range(widget.count()))
        if isinstance(widget, QTableWidget):
            for column in range(widget.columnCount()):
                header = widget.horizontalHeaderItem(column)
                if header is not None:
                    texts.add(header.text())
        if isinstance(widget, QMenu):
            texts.update(a.text() for a in widget.actions())
        texts.update(a.text() for a in widget.actions())
        texts.update(a.toolTip() for a in widget.actions())
    return {t for t in texts if t and t.strip()}


def untranslated(texts: set[str], sources: dict[str, str]) -> list[str]:
    """Texts that are still an English source string (one whose Chinese is different, or
    missing). Mnemonic ampersands are ignored: "&File" and "File" are the same words."""

    def plain(text: str) -> str:
        return re.sub(r"&(?=\w)", "", text)

    catalogue = {plain(source): plain(chinese) for source, chinese in sources.items()}
    return sorted(t for t in texts if plain(t) in catalogue and catalogue[plain(t)] != plain(t))


def test_every_marked_string_has_a_finished_chinese_translation() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "translations.py"), "check"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[None]:
    installed = install_translators(qapp, "zh_CN")
    assert installed, "no zh_CN catalogue was loaded"
    yield
    install_translators(qapp, "en")


# Words that stay as they are in a Chinese window: names, and technical terms of the trade.
KEEP = {"Fireside", "English", "GGUF", "Hugging Face", "Python", "llama.cpp", "Qt", "PySide6"}
TECHNICAL_LABEL = re.compile(r"^(Top-[kp]|Min-p|Python|llama\.cpp)：$")


def english_words(texts: set[str], names: set[str]) -> list[str]:
    """Texts with English words and no Chinese that are not names, paths, addresses or
    versions: a string that escaped tr() altogether would be one of these."""

    def allowed(line: str) -> bool:
        line = line.strip()
        return (
            not re.search(r"[A-Za-z]{3,}", line)
            or bool(re.search(r"[\u4e00-\u9fff]", line))
            or line in KEEP
            or line in names
            or any(line.startswith(n) for n in names if len(n) > 3)  # "model · Q4_K_M · size"
            or line.startswith(("/", "http://", "https://"))
            or bool(TECHNICAL_LABEL.match(line))
            or bool(re.match(r"^[\d.]+ \(|^Qt [\d.]|^Linux-|^Windows-|^macOS-", line))
        )

    return sorted(t for t in texts if not all(allowed(line) for line in t.splitlines()))


def test_the_window_and_its_dialogs_in_chinese_show_no_english(
    qtbot: QtBot, services: AppServices, gemma_path: Path, chinese: None
) -> None:
    from dataclasses import replace

    from core.i18n import Translator

    services.update_settings(replace(replace_sampling(services.settings, max_tokens=8),
                                     language="zh_CN"))  # fmt: skip
    services.translate = Translator("zh_CN")
    installed = services.registry.import_file(gemma_path)
    names = {entry.name for entry in services.catalogue.entries} | {installed.name}
    names |= {preset.name for preset in services.settings.system_prompt_presets}
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    sources = english_sources()
    # The welcome first (no model chosen yet is not the case here: check it on its own).
    assert not untranslated(visible_texts(window.welcome), sources)
    with qtbot.waitSignal(window.model_ready, timeout=120_000):
        window.start()
    with qtbot.waitSignal(window.reply_finished, timeout=120_000):
        window.send("你好")
    shown = visible_texts(window)
    for menu in window.menuBar().findChildren(QMenu):
        shown |= visible_texts(menu)
    assert "文件(&F)" in shown or any("文件" in t for t in shown)
    assert not untranslated(shown, sources)
    for open_dialog in (window.open_model_manager, window.open_settings, window.open_about):
        dialog = open_dialog()
        qtbot.wait(200)
        shown |= visible_texts(dialog)
        assert not untranslated(visible_texts(dialog), sources), dialog.objectName()
        dialog.close()
    shown |= visible_texts(window.welcome)
    assert not english_words(shown, names)
    window.close()
