"""Truth in what the window shows (issue 12 §4), on the real window, engine and stores:
a reply keeps the name of the model that wrote it, the embedding-model chooser opens on
embedding models, a Hub that cannot be reached is said in words (never a raw OS error),
"Use in this chat" is remembered for the next chat, a base model is shown as one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from core.engine.client import EngineClient
from core.paths import AppPaths
from core.settings import EngineSettings, Settings
from desktop.models.manager import ModelManagerDialog
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from desktop.window.translations import install_translators
from tests.test_desktop import REPLY_MS, ask, make_window


@pytest.fixture
def window(qtbot: QtBot, services: AppServices, gemma_path: Path) -> Iterator[MainWindow]:
    """A window over a home with the Gemma model installed; the model loaded."""
    services.registry.import_file(gemma_path)
    win = make_window(qtbot, services)
    with qtbot.waitSignal(win.model_ready, timeout=REPLY_MS):
        win.start()
    yield win
    win.close()


# ---- a reply keeps its model's name --------------------------------------------------------


@pytest.mark.qwen
def test_a_reply_keeps_the_name_of_the_model_that_wrote_it(
    qtbot: QtBot, window: MainWindow, qwen_path: Path
) -> None:
    gemma = window.model
    assert gemma is not None
    first = ask(qtbot, window, "Hello there.")
    assert first.result is not None
    stored = first.result.message
    assert stored.stats is not None and stored.stats["model"] == gemma.name
    assert stored.stats["model_key"].startswith(Path(gemma.path).name + ":")
    shown = window.chat_view.widget_for(stored.id)
    assert shown is not None and shown.speaker.text() == gemma.name

    qwen = window.services.registry.import_file(qwen_path)
    with qtbot.waitSignal(window.model_ready, timeout=REPLY_MS) as loaded:
        window.use_model(qwen.id)
    qwen_name = loaded.args[0].name
    assert "Qwen" in qwen_name
    # Gemma's reply is still Gemma's, and says it is not the loaded model's.
    old = window.chat_view.widget_for(stored.id)
    assert old is not None
    assert old.speaker.text() == f"{gemma.name} · not the loaded model"

    second = ask(qtbot, window, "And what is your name?")
    assert second.result is not None
    reply = second.result.message
    assert reply.stats is not None and reply.stats["model"] == qwen_name
    new = window.chat_view.widget_for(reply.id)
    assert new is not None and new.speaker.text() == qwen_name
    old = window.chat_view.widget_for(stored.id)
    assert old is not None and old.speaker.text() == f"{gemma.name} · not the loaded model"


# ---- a Hub that cannot be reached is said in words -----------------------------------------

NOWHERE = "https://huggingface.invalid"  # .invalid never resolves (RFC 6761): a real failure
RAW = ("Errno", "Name or service not known", "getaddrinfo")


@pytest.fixture
def zh_services(fireside_home: Path, engine_log: Path, tmp_path: Path) -> Iterator[AppServices]:
    """The window's core objects in Simplified Chinese, the Qt translators installed."""
    settings = Settings(language="zh_CN", hub_endpoint=NOWHERE,
                        engine=EngineSettings(n_ctx=2048, n_threads=1))  # fmt: skip
    hf_cache = tmp_path / "hf-cache"
    hf_cache.mkdir()
    services = AppServices(AppPaths.from_env(), EngineClient(log_path=engine_log),
                           settings=settings, hf_cache_dir=hf_cache)  # fmt: skip
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    install_translators(app, "zh_CN")
    yield services
    install_translators(app, "en")
    services.close()


def offline_window(qtbot: QtBot, services: AppServices) -> MainWindow:
    """A window with no model yet (the welcome shows) and a Hub that cannot be reached."""
    if services.settings.hub_endpoint != NOWHERE:
        services.update_settings(replace(services.settings, hub_endpoint=NOWHERE))
    window = make_window(qtbot, services)
    window.start()
    return window


def check_on_the_hub(qtbot: QtBot, window: MainWindow) -> str:
    welcome = window.welcome
    with qtbot.waitSignal(welcome.suggestion_ready, timeout=60_000):
        welcome.check_link.linkActivated.emit("check")
    return welcome.suggestion_label.text()


def sizes_looked_up(qtbot: QtBot, window: MainWindow) -> tuple[str, list[str]]:
    """Open the model manager on its first catalogue entry and wait for the Hub's answer."""
    manager = window.open_model_manager()
    assert isinstance(manager, ModelManagerDialog)
    page = manager.recommended_page
    table = page.file_table
    qtbot.waitUntil(lambda: bool(table.filenames) and page.status_label.text() != ""
                    and "…" not in page.status_label.text(), timeout=60_000)  # fmt: skip
    sizes = [table.size_text(name) for name in table.filenames]
    fits = {table.badge(name).text() for name in table.filenames}
    assert len(fits) == 1 and "…" not in fits  # the memory fit: unknown, never "…"
    return page.status_label.text(), sizes


def test_offline_the_welcome_and_the_model_manager_say_so_in_words(
    qtbot: QtBot, services: AppServices
) -> None:
    window = offline_window(qtbot, services)
    said = check_on_the_hub(qtbot, window)
    assert "You are offline" in said and "the Hub cannot be reached" in said
    assert not any(raw in said for raw in RAW)
    status, sizes = sizes_looked_up(qtbot, window)
    assert "You are offline" in status and not any(raw in status for raw in RAW)
    # Sizes that could not be fetched say so, never "…" forever.
    assert sizes and all(text == "Not known offline" for text in sizes), sizes


def test_offline_is_said_in_chinese_too(qtbot: QtBot, zh_services: AppServices) -> None:
    window = offline_window(qtbot, zh_services)
    said = check_on_the_hub(qtbot, window)
    assert "你已离线" in said and "无法连接 Hub" in said
    assert not any(raw in said for raw in RAW)
    status, sizes = sizes_looked_up(qtbot, window)
    assert "你已离线" in status and not any(raw in status for raw in RAW)
    assert sizes and all(text == "离线时无法得知" for text in sizes), sizes


# ---- a base model is shown as one ----------------------------------------------------------

BASE_HINT = "it continues your text rather than answering as an assistant"


def test_a_base_model_is_shown_as_such_in_the_lists_and_the_status_line(
    qtbot: QtBot, window: MainWindow, qwen_path: Path
) -> None:
    # Gemma 270M has no chat template; Qwen 0.5B Instruct has one (only listed, not loaded).
    label = window.status_line.model_label
    assert label.text().endswith(" · base model") and BASE_HINT in label.toolTip()
    services = window.services
    qwen = services.registry.import_file(qwen_path)
    gemma = next(m for m in services.registry.models() if m.id != qwen.id)
    assert gemma.is_base_model and not qwen.is_base_model

    manager = window.open_model_manager()
    assert isinstance(manager, ModelManagerDialog)
    page = manager.installed_page
    manager.tabs.setCurrentWidget(page)
    kind = page.table.item(page.row_of(gemma.id), 1)
    assert kind.text() == "Chat · base model" and BASE_HINT in kind.toolTip()
    assert page.table.item(page.row_of(qwen.id), 1).text() == "Chat"
    page.select(gemma.id)
    assert BASE_HINT in page.base_hint.text() and page.base_hint.isVisible()  # one line
    page.select(qwen.id)
    assert not page.base_hint.isVisible()

    settings = window.open_settings()
    models = settings.models_page  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: models.loaded, timeout=10_000)
    combo = models.chat_combo
    gemma_item = combo.findData(gemma.id)
    assert combo.itemText(gemma_item).endswith(" · base model")
    assert BASE_HINT in combo.itemData(gemma_item, Qt.ItemDataRole.ToolTipRole)
    assert "base model" not in combo.itemText(combo.findData(qwen.id))
    settings.close()


def test_a_model_list_from_before_learns_which_models_are_base_models(
    services: AppServices, gemma_path: Path
) -> None:
    """A models.json written before templates were recorded: the next read fills them in."""
    model = services.registry.import_file(gemma_path)
    raw = json.loads(services.registry.file.read_text(encoding="utf-8"))
    for entry in raw["models"]:
        del entry["has_chat_template"]
    services.registry.file.write_text(json.dumps(raw), encoding="utf-8")
    assert services.registry.get(model.id).is_base_model
    kept = json.loads(services.registry.file.read_text(encoding="utf-8"))
    assert kept["models"][0]["has_chat_template"] is False


# ---- "Use in this chat" is remembered --------------------------------------------------------


def use_in_this_chat(window: MainWindow, name: str, used: bool) -> None:
    """Tick (or untick) a collection's box under "Use in this chat", as a person does."""
    item = window.knowledge.chat_collections.item(name)
    assert item is not None
    item.setCheckState(Qt.CheckState.Checked if used else Qt.CheckState.Unchecked)


def said_something(window: MainWindow) -> None:
    """The open chat is not empty any more (so "New chat" makes a new one)."""
    assert window.chat_id is not None
    window.services.chats.add_message(window.chat_id, None, "user", "Hello")


def test_a_new_chat_starts_with_the_collections_used_last(
    qtbot: QtBot, services: AppServices
) -> None:
    window = make_window(qtbot, services)
    window.start()
    for name in ("lease", "notes"):
        assert window.knowledge.create_collection(name) == name
    first = window.new_chat()
    use_in_this_chat(window, "lease", True)
    assert services.chats.get_chat(first).collections == ["lease"]
    said_something(window)

    second = window.new_chat()
    assert second != first
    assert services.chats.get_chat(second).collections == ["lease"]
    assert window.knowledge.chat_collections.checked() == ["lease"]
    use_in_this_chat(window, "notes", True)
    use_in_this_chat(window, "lease", False)
    said_something(window)
    # Remembered in the settings file, so the next start does the same.
    assert services.reload_settings().last_collections == ("notes",)
    third = window.new_chat()
    assert services.chats.get_chat(third).collections == ["notes"]
    window.close()


def test_remembering_the_collections_can_be_turned_off_in_settings(
    qtbot: QtBot, services: AppServices
) -> None:
    window = make_window(qtbot, services)
    window.start()
    window.knowledge.create_collection("lease")
    window.new_chat()
    use_in_this_chat(window, "lease", True)
    said_something(window)

    dialog = window.open_settings()
    models = dialog.models_page  # type: ignore[attr-defined]
    assert models.remember_collections.isChecked()  # on by default
    models.remember_collections.setChecked(False)
    dialog.accept()  # type: ignore[attr-defined]
    assert services.settings.remember_collections is False

    fresh = window.new_chat()
    assert services.chats.get_chat(fresh).collections == []
    assert window.knowledge.chat_collections.checked() == []
    window.close()


# ---- "Choose an embedding model…" opens on embedding models --------------------------------


def pick_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The system's file dialog answers ``path``, as if the person had picked it."""

    def chosen(*_args: object, **_kwargs: object) -> tuple[str, str]:
        return str(path), "GGUF models (*.gguf)"

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(chosen))


def choose_an_embedding_model(window: MainWindow) -> ModelManagerDialog:
    bar = window.knowledge.model_bar
    assert bar.button.text() == "Choose an embedding model…"
    bar.button.click()
    manager = window.dialogs.manager
    assert manager is not None and manager.isVisible()
    return manager


def test_choose_an_embedding_model_opens_the_manager_on_embedding_models(
    qtbot: QtBot, services: AppServices, minilm_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(qtbot, services)
    window.start()
    window.knowledge.model_bar.show_missing()
    manager = choose_an_embedding_model(window)
    choice = manager.embedding_choice
    assert choice.isVisible() and choice.file_button.isVisible()
    assert choice.models == [] and not choice.use_button.isEnabled()
    # The catalogue's embedding models, and only those, the default one chosen.
    catalogue = services.catalogue
    assert manager.tabs.currentWidget() is manager.recommended_page
    page = manager.recommended_page
    assert page.shown_entries() == [e.id for e in catalogue.of_kind("embedding")]
    default = catalogue.default("embedding")
    assert page.entry is not None and default is not None and page.entry.id == default.id

    # "Use a file I already have…", right there: the file is used at once.
    pick_file(monkeypatch, minilm_path)
    choice.file_button.click()
    used = services.settings.embedding_model
    assert used is not None and services.registry.get(used).path == str(minilm_path.resolve())
    assert [m.id for m in choice.models] == [used]
    assert choice.list.item(0).text().endswith(" · in use")
    manager.close()

    # Opened again from the panel, the installed one is listed ready to use.
    services.update_settings(replace(services.settings, embedding_model=None))
    manager = choose_an_embedding_model(window)
    choice = manager.embedding_choice
    choice.select(used)
    choice.use_button.click()
    assert services.settings.embedding_model == used
    manager.close()

    # The menu's Model manager… shows every kind again.
    window.open_model_manager()
    assert not manager.embedding_choice.isVisible()
    listed = [e.id for kind in ("chat", "embedding") for e in catalogue.of_kind(kind)]
    assert manager.recommended_page.shown_entries() == listed
