"""Truth in what the window shows (issue 12 §4), on the real window, engine and stores:
a reply keeps the name of the model that wrote it, the embedding-model chooser opens on
embedding models, a Hub that cannot be reached is said in words (never a raw OS error),
"Use in this chat" is remembered for the next chat, a base model is shown as one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
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
    sizes += [table.badge(name).text() for name in table.filenames]
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
