"""A model whose chat template is refused (issue 14, item 4): the window offers Fireside's
plain transcript in one dialog in the person's language, uses it only when they agree,
remembers it for that model, and takes it back from the Models menu. Real engine with a copy
of the Gemma test model whose template divides by zero, real settings file, real Qt
offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.engine.errors import TemplateError
from core.engine.protocol import LoadOptions
from core.i18n import Translator
from core.settings import SettingsStore
from desktop.chat.conversation import Conversation, ReplyEnded
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from desktop.window.translations import install_translators
from desktop.window.workers import JobRunner
from tests.gguf_writer import with_chat_template

REPLY_MS = 120_000


@pytest.fixture(scope="module")
def hostile_model(gemma_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-template")
    return with_chat_template(gemma_path, folder / "gemma-divides-by-zero.gguf", "{{ 1/0 }}")


@pytest.fixture
def lane(qtbot: QtBot) -> Iterator[JobRunner]:
    runner = JobRunner(name="engine")
    yield runner
    runner.shutdown()


def said(services: AppServices, chat_id: int) -> list[str]:
    return [m.role for m in services.chats.branch(chat_id) if m.role != "system"]


def test_the_conversation_uses_the_plain_transcript_only_when_chosen(
    qtbot: QtBot, services: AppServices, lane: JobRunner, hostile_model: Path
) -> None:
    services.client.load_chat(hostile_model, LoadOptions(n_ctx=2048, n_threads=1))
    conversation = Conversation(services, lane)
    chat_id, _ = conversation.new_chat(None, "Gemma")
    assert conversation.plain_transcript() is False

    with qtbot.waitSignal(conversation.failed, timeout=REPLY_MS) as failed:
        conversation.send(chat_id, "Hello.")
    assert isinstance(failed.args[0], TemplateError) and failed.args[0].offers_plain_transcript
    assert said(services, chat_id) == []  # refused before anything was stored
    qtbot.waitUntil(lambda: not conversation.busy)

    conversation.use_plain_transcript(True)  # the person agreed
    assert conversation.plain_transcript() is True
    stored = SettingsStore(services.paths.settings_file).load().plain_transcript_models
    assert stored == (f"{hostile_model.name}:{hostile_model.stat().st_size}",)  # this model's
    with qtbot.waitSignal(conversation.reply_ended, timeout=REPLY_MS) as ended:
        conversation.send(chat_id, "Hello.")
    assert isinstance(ended.args[0], ReplyEnded) and ended.args[0].result is not None
    assert said(services, chat_id) == ["user", "assistant"]
    qtbot.waitUntil(lambda: not conversation.busy)

    conversation.use_plain_transcript(False)  # taken back: the model's own template again
    assert SettingsStore(services.paths.settings_file).load().plain_transcript_models == ()
    with qtbot.waitSignal(conversation.failed, timeout=REPLY_MS) as again:
        conversation.send(chat_id, "And again.")
    assert isinstance(again.args[0], TemplateError)
    assert said(services, chat_id) == ["user", "assistant"]


def test_the_window_offers_the_plain_transcript_in_chinese_and_uses_it_only_after_yes(
    qtbot: QtBot, qapp: QApplication, services: AppServices, hostile_model: Path
) -> None:
    services.update_settings(replace(services.settings, language="zh_CN"))
    services.translate = Translator("zh_CN")
    assert install_translators(qapp, "zh_CN")
    try:
        services.registry.import_file(hostile_model)
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.model_ready, timeout=REPLY_MS):
            window.start()
        offer = window.menus.transcript_offer
        assert offer.action.isEnabled() and not offer.action.isChecked()

        def ask(text: str) -> None:
            window.composer.set_text(text)
            with qtbot.waitSignal(offer.asked, timeout=REPLY_MS):
                window.composer.submit()
            assert offer.dialog is not None and offer.dialog.isVisible()

        ask("你好")
        dialog = offer.dialog
        assert dialog is not None and window.model is not None
        assert window.model.name in dialog.text() and "聊天模板" in dialog.windowTitle()
        informative = dialog.informativeText()
        assert "User:" in informative and "ZeroDivisionError" in informative
        buttons = {b.text() for b in dialog.buttons()}
        assert buttons == {"使用纯文本对话记录", "暂不"}, buttons
        dialog.reject()  # "Not now": nothing is used, nothing is lost
        qtbot.waitUntil(lambda: offer.dialog is None)
        assert services.settings.plain_transcript_models == ()
        assert window.composer.text() == "你好" and window.chat_id is not None
        assert said(services, window.chat_id) == []

        ask("你好")  # asked again at the next refusal
        assert offer.dialog is not None and offer.use_button is not None
        with qtbot.waitSignal(window.reply_finished, timeout=REPLY_MS):
            offer.use_button.click()  # "Use the plain transcript": the message goes out again
        assert said(services, window.chat_id) == ["user", "assistant"]
        assert window.composer.text() == "" and not window.error_bar.isVisible()
        assert offer.action.isChecked() and len(services.settings.plain_transcript_models) == 1

        offer.action.trigger()  # Models > Use a plain transcript for this model: off again
        assert not offer.action.isChecked()
        assert services.settings.plain_transcript_models == ()
        window.close()
    finally:
        install_translators(qapp, "en")
