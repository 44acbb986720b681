"""The knowledge panel says when the embedding model does not understand the documents.

Real ingestion with the real English-only sentence model (all-MiniLM-L6-v2) on real Chinese
documents (a GBK text file and a Chinese Markdown file): the panel says in one line, in the
person's language, that search there relies on keywords, names a multilingual catalogue
model that fits this computer, and its button opens the model manager on that model.
English documents in their own collection bring no warning. Without any embedding model,
dropped files get the model that suits their language and this computer's memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.i18n import Translator
from core.knowledge.language_check import LanguageAdvisor
from core.models.fit import SystemMemory
from desktop.knowledge.panel import KnowledgePanel
from desktop.models.manager import ModelManagerDialog
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from desktop.window.translations import install_translators
from desktop.window.workers import JobRunner
from tests.grounded.documents import RADIO_MD, RADIO_TEXT, SHIP_MD, SHIP_TEXT, TEA_TEXT, TEA_TXT
from tests.test_desktop_translations import english_sources, untranslated, visible_texts

INGEST_TIMEOUT_MS = 240_000
NOWHERE = "https://huggingface.invalid"  # the model manager's look-ups fail at once, offline
MINILM = "all-MiniLM-L6-v2-f16.gguf"


def chinese_documents(folder: Path) -> list[Path]:
    """A GBK text file and a UTF-8 Chinese Markdown file."""
    folder.mkdir(parents=True, exist_ok=True)
    tea, ship = folder / TEA_TXT, folder / SHIP_MD
    tea.write_bytes(TEA_TEXT.encode("gbk"))
    ship.write_bytes(SHIP_TEXT.encode("utf-8"))
    return [tea, ship]


def english_documents(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    radio = folder / RADIO_MD
    radio.write_text(RADIO_TEXT, encoding="utf-8")
    return [radio]


@pytest.fixture
def lane(qtbot: QtBot) -> Iterator[JobRunner]:
    runner = JobRunner(name="knowledge")
    yield runner
    runner.shutdown()


@pytest.fixture
def with_minilm(services: AppServices, minilm_path: Path) -> AppServices:
    services.update_settings(replace(services.settings, embedding_model=str(minilm_path),
                                     hub_endpoint=NOWHERE))  # fmt: skip
    return services


def ingest(qtbot: QtBot, panel: KnowledgePanel, paths: list[Path]) -> None:
    with qtbot.waitSignal(panel.ingest_finished, timeout=INGEST_TIMEOUT_MS) as finished:
        panel.add_paths(paths)
    report = finished.args[0]
    assert not report.cancelled and report.count("indexed") == len(paths), report.outcomes
    qtbot.waitUntil(lambda: not panel.busy)


def multilingual_choice(services: AppServices) -> tuple[str, str]:
    """The catalogue model this computer would be offered for Chinese: id and name."""
    suggestion = LanguageAdvisor(services.catalogue).first_choice({"zh": 2})
    assert suggestion is not None and suggestion.entry.serves("zh")
    assert suggestion.entry.serves("en")
    return suggestion.entry.id, suggestion.entry.name


def test_chinese_documents_embedded_by_an_english_only_model_bring_a_warning(
    qtbot: QtBot, with_minilm: AppServices, lane: JobRunner, tmp_path: Path
) -> None:
    services = with_minilm
    entry_id, entry_name = multilingual_choice(services)
    panel = KnowledgePanel(services, lane)
    qtbot.addWidget(panel)
    panel.show()
    notice = panel.language_notice
    assert not notice.isVisibleTo(panel)  # an empty collection: nothing to say

    # English documents in a collection of their own: no warning after their ingestion.
    assert panel.create_collection("manuals") == "manuals"
    ingest(qtbot, panel, english_documents(tmp_path / "en"))
    assert not notice.isVisibleTo(panel) and notice.text == ""

    # Chinese documents (GBK text, Markdown) with MiniLM: one line, naming the model, the
    # language, the collection and a multilingual model that fits, with a button for it.
    panel.set_collection("default")
    ingest(qtbot, panel, chinese_documents(tmp_path / "zh"))
    assert notice.isVisibleTo(panel)
    line = notice.label.text()
    assert "\n" not in line
    assert line.startswith(f"The embedding model {MINILM} does not understand Chinese, the "
                           "language of documents in “default”: search there relies on "
                           f"keywords. Better: {entry_name} (")  # fmt: skip
    assert notice.button.isVisibleTo(panel) and notice.button.text() == f"Get {entry_name}…"
    with qtbot.waitSignal(panel.embedding_model_suggested) as asked:
        qtbot.mouseClick(notice.button, Qt.MouseButton.LeftButton)
    assert asked.args == [entry_id]

    # The collection changes: the notice follows it, both ways.
    panel.picker.combo.setCurrentIndex(panel.picker.combo.findData("manuals"))
    assert panel.collection == "manuals" and not notice.isVisibleTo(panel)
    panel.picker.combo.setCurrentIndex(panel.picker.combo.findData("default"))
    assert panel.collection == "default" and notice.isVisibleTo(panel)

    # The embedding model setting changes: the collection keeps its MiniLM vectors (it is
    # re-embedded only on request), so the warning stays true and stays shown.
    services.update_settings(replace(services.settings, embedding_model=None))
    assert notice.isVisibleTo(panel) and notice.label.text() == line

    # The next session's panel says it as it opens.
    later = KnowledgePanel(services, lane)
    qtbot.addWidget(later)
    later.show()
    assert later.language_notice.isVisibleTo(later)
    assert later.language_notice.label.text() == line


def test_the_window_says_the_language_warning_in_chinese_and_opens_the_model_manager_on_it(
    qtbot: QtBot, with_minilm: AppServices, tmp_path: Path, qapp: QApplication
) -> None:
    services = with_minilm
    services.update_settings(replace(services.settings, language="zh_CN"))
    services.translate = Translator("zh_CN")
    assert install_translators(qapp, "zh_CN")
    try:
        entry_id, entry_name = multilingual_choice(services)
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        panel = window.knowledge
        ingest(qtbot, panel, chinese_documents(tmp_path / "zh"))
        notice = panel.language_notice
        assert notice.isVisibleTo(window)
        line = notice.label.text()
        assert "\n" not in line
        assert line.startswith(f"嵌入模型 {MINILM} 不懂中文，而知识库“默认”的文档是中文的："
                               f"这里的检索只能依靠关键词。建议改用 {entry_name}（")  # fmt: skip
        assert notice.button.text() == f"获取 {entry_name}…"
        assert not untranslated(visible_texts(notice), english_sources())

        qtbot.mouseClick(notice.button, Qt.MouseButton.LeftButton)
        manager = window.dialogs.manager
        assert isinstance(manager, ModelManagerDialog) and manager.isVisible()
        assert manager.tabs.currentWidget() is manager.recommended_page
        entry = manager.recommended_page.entry
        assert entry is not None and entry.id == entry_id
        assert manager.recommended_page.title_label.text() == entry_name
        kinds = {services.catalogue.get(e).kind for e in manager.recommended_page.shown_entries()}
        assert kinds == {"embedding"}  # opened on embedding models, this one chosen
        manager.close()
        window.close()
    finally:
        install_translators(qapp, "en")


def test_without_an_embedding_model_dropped_files_get_a_model_for_their_language(
    qtbot: QtBot, services: AppServices, lane: JobRunner, tmp_path: Path
) -> None:
    assert services.settings.embedding_model is None
    entry_id, entry_name = multilingual_choice(services)
    panel = KnowledgePanel(services, lane)
    qtbot.addWidget(panel)
    bar = panel.model_bar
    assert bar.entry is None and bar.button.text() == "Choose an embedding model…"

    files = chinese_documents(tmp_path / "zh")
    panel.add_paths(files)
    assert [panel.status_of(f) for f in files] == ["waiting", "waiting"]
    qtbot.waitUntil(lambda: bar.entry is not None, timeout=60_000)
    assert bar.entry == entry_id
    assert bar.label.text().startswith(
        "No embedding model is set, so documents cannot be made searchable yet. For these "
        f"documents (Chinese) this computer can run {entry_name} ("
    )
    assert bar.button.text() == f"Get {entry_name}…"
    with qtbot.waitSignal(panel.embedding_model_suggested) as asked:
        qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    assert asked.args == [entry_id]
    qtbot.waitUntil(lambda: not lane.busy)
    assert not panel.busy  # the files still wait: nothing was ingested
    assert services.knowledge.documents("default") == []

    # On a computer with little memory free, the small multilingual model is offered.
    cramped = SystemMemory(total=800 << 20, available=400 << 20)
    # The next session: the files that still wait get their suggestion as the panel opens.
    later = KnowledgePanel(services, lane)
    qtbot.addWidget(later)
    assert [later.status_of(f) for f in files] == ["waiting", "waiting"]
    qtbot.waitUntil(lambda: later.model_bar.entry is not None, timeout=60_000)
    assert later.model_bar.entry == entry_id
    assert "(Chinese)" in later.model_bar.label.text()
    qtbot.waitUntil(lambda: not lane.busy)

    # On a computer with little memory free, the small multilingual model is offered.
    cramped = SystemMemory(total=800 << 20, available=400 << 20)
    later.advisor = LanguageAdvisor(services.catalogue, memory=lambda: cramped)
    later.add_paths(english_documents(tmp_path / "en"))
    qtbot.waitUntil(lambda: later.model_bar.entry != entry_id, timeout=60_000)
    assert later.model_bar.entry == "multilingual-e5-small"
    assert later.model_bar.label.text().endswith(
        "For these documents (English) this computer can run multilingual-e5-small (120.0 MB)."
    )
