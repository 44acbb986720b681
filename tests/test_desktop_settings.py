"""The settings dialog, the themes and the translations, driven as a person would."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt, QUrl
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit
from pytestqt.qtbot import QtBot

from core.models.tokens import ACCOUNT, SERVICE, TokenStore
from core.settings import DEFAULT_PRESETS, Settings, SettingsStore
from desktop.settings.dialog import SettingsDialog
from desktop.window.resources import resource_path
from desktop.window.services import AppServices
from desktop.window.theme import apply_theme, is_dark
from desktop.window.translations import install_translators
from tests.hub_server import MemoryKeyring

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "packaging" / "translations.py"
TRANSLATIONS = resource_path("translations")


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def opened(services: AppServices) -> list[QUrl]:
    return []


@pytest.fixture
def dialog(
    qtbot: QtBot, services: AppServices, keyring_backend: MemoryKeyring, opened: list[QUrl]
) -> Iterator[SettingsDialog]:
    """The dialog over the test's services, its model list read, the token in a test
    keyring, and folders "opened" into a list."""
    dlg = SettingsDialog(services, tokens=TokenStore(keyring_backend), opener=opened.append)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.models_page.loaded, timeout=10_000)
    yield dlg
    if dlg.isVisible():
        dlg.reject()


@pytest.fixture
def app_theme() -> Iterator[QApplication]:
    """The application, put back to the platform's look afterwards (it is shared by every
    test)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    yield app
    apply_theme(app, "system")


def saved(services: AppServices) -> Settings:
    return SettingsStore(services.paths.settings_file).load()


def click(dlg: SettingsDialog, which: QDialogButtonBox.StandardButton) -> None:
    dlg.buttons.button(which).click()


# ---- saving --------------------------------------------------------------------------


def test_ok_saves_sampling_and_context_once_and_tells_old_and_new(
    qtbot: QtBot, dialog: SettingsDialog, services: AppServices
) -> None:
    before = services.settings
    assert not dialog.apply_button.isEnabled()  # nothing to apply yet
    dialog.show_section(dialog.sampling_page)
    dialog.sampling_page.temperature.setValue(1.25)
    dialog.sampling_page.top_k.setValue(17)
    dialog.models_page.set_context(8192)
    dialog.models_page.threads_spin.setValue(0)
    assert dialog.apply_button.isEnabled()
    emitted: list[tuple[Settings, Settings]] = []
    dialog.settings_applied.connect(lambda old, new: emitted.append((old, new)))
    with qtbot.waitSignal(dialog.finished, timeout=5_000):
        click(dialog, QDialogButtonBox.StandardButton.Ok)
    assert len(emitted) == 1
    old, new = emitted[0]
    assert old == before and new == services.settings
    assert new.sampling.temperature == 1.25 and new.sampling.top_k == 17
    assert new.engine.n_ctx == 8192 and new.engine.n_threads == 0
    assert new.sampling.max_tokens == before.sampling.max_tokens  # untouched values kept
    on_disk = saved(services)
    assert on_disk == new
    raw = json.loads(services.paths.settings_file.read_text(encoding="utf-8"))
    assert raw["engine"]["n_ctx"] == 8192


def test_apply_keeps_the_dialog_open_and_cancel_keeps_what_was_applied(
    dialog: SettingsDialog, services: AppServices
) -> None:
    dialog.sampling_page.min_p.setValue(0.2)
    click(dialog, QDialogButtonBox.StandardButton.Apply)
    assert dialog.isVisible() and services.settings.sampling.min_p == 0.2
    assert not dialog.apply_button.isEnabled()
    dialog.sampling_page.min_p.setValue(0.3)
    click(dialog, QDialogButtonBox.StandardButton.Cancel)
    assert saved(services).sampling.min_p == 0.2


def test_restore_defaults_puts_back_the_shipped_sampling(
    dialog: SettingsDialog, services: AppServices
) -> None:
    page = dialog.sampling_page
    assert page.temperature.value() == 0.0  # the services fixture's greedy decoding
    page.restore_button.click()
    assert dialog.edited_settings().sampling == Settings().sampling


def test_spin_boxes_refuse_values_out_of_range(dialog: SettingsDialog) -> None:
    page = dialog.sampling_page
    page.temperature.setValue(9.0)
    page.top_p.setValue(-1.0)
    page.max_tokens.setValue(0)
    sampling = dialog.edited_settings().sampling
    assert sampling.temperature == 2.0 and sampling.top_p == 0.0 and sampling.max_tokens == 16


def test_a_reply_longer_than_the_context_is_refused(
    dialog: SettingsDialog, services: AppServices
) -> None:
    before = saved(services)
    dialog.sampling_page.max_tokens.setValue(4096)  # the fixture's context is 2048
    emitted: list[object] = []
    dialog.settings_applied.connect(lambda *args: emitted.append(args))
    click(dialog, QDialogButtonBox.StandardButton.Ok)
    assert dialog.isVisible() and not emitted
    assert "shorter than the context size" in dialog.message()
    assert dialog.stack.currentWidget() is dialog.sampling_page
    assert saved(services) == before == services.settings
    dialog.models_page.set_context(8192)  # an edit clears the complaint
    assert dialog.message() == ""
    click(dialog, QDialogButtonBox.StandardButton.Ok)
    assert saved(services).sampling.max_tokens == 4096


# ---- system prompt presets -------------------------------------------------------------


def test_presets_add_rename_delete_and_default_persist(
    qtbot: QtBot, dialog: SettingsDialog, services: AppServices, keyring_backend: MemoryKeyring
) -> None:
    page = dialog.presets_page
    assert page.names() == [p.name for p in DEFAULT_PRESETS]
    assert page.default_name() == ""
    dialog.show_section(page)

    page.add_button.click()  # "New preset", its name open for typing in the list
    editor = page.list.findChild(QLineEdit)
    assert editor is not None and editor.text() == "New preset"
    editor.setText("Pirate")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the view takes the name on its next turn
    qtbot.waitUntil(lambda: page.names()[-1] == "Pirate")
    page.text.setPlainText("Answer like a pirate.")
    page.default_combo.setCurrentIndex(page.default_combo.findData("Pirate"))
    page.list.setCurrentRow(0)  # delete the first shipped one
    page.delete_current()
    # A name taken by another preset is refused with a message, and the name stays.
    page.list.setCurrentRow(page.names().index("Pirate"))
    assert not page.rename_current(DEFAULT_PRESETS[1].name)
    assert "already a preset" in dialog.message()
    assert not page.rename_current("   ")
    assert page.names()[-1] == "Pirate"

    click(dialog, QDialogButtonBox.StandardButton.Ok)
    on_disk = saved(services)
    assert [p.name for p in on_disk.system_prompt_presets] == [
        *(p.name for p in DEFAULT_PRESETS[1:]),
        "Pirate",
    ]
    assert on_disk.default_preset == "Pirate"
    assert on_disk.system_prompt == "Answer like a pirate."

    # Opened again: the same list; renaming the default keeps it the default.
    again = SettingsDialog(services, tokens=TokenStore(keyring_backend), opener=print)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.models_page.loaded)
    pages = again.presets_page
    again.show_section(pages)
    assert pages.names()[-1] == "Pirate" and pages.default_name() == "Pirate"
    pages.list.setCurrentRow(pages.names().index("Pirate"))
    assert pages.text.toPlainText() == "Answer like a pirate."
    pages.rename_button.click()
    editor = pages.list.findChild(QLineEdit)
    assert editor is not None and editor.text() == "Pirate"
    editor.setText("  Pirate   captain ")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pages.names()[-1] == "Pirate captain")  # spaces tidied
    assert pages.default_name() == "Pirate captain"
    pages.delete_current()
    assert pages.default_name() == ""  # the default went with it
    again.accept()
    assert saved(services).system_prompt == ""
    assert "Pirate captain" not in [p.name for p in saved(services).system_prompt_presets]


def test_renaming_in_the_list_itself_is_checked(dialog: SettingsDialog) -> None:
    page = dialog.presets_page
    item = page.list.item(1)
    item.setText(page.list.item(0).text())  # as if typed into the list: taken
    assert item.text() == DEFAULT_PRESETS[1].name
    assert "already a preset" in dialog.message()
    item.setText("Mine")
    assert page.names()[1] == "Mine" and dialog.message() == ""


# ---- hub -----------------------------------------------------------------------------


def test_a_bad_hub_address_is_refused_and_nothing_is_saved(
    dialog: SettingsDialog, services: AppServices, keyring_backend: MemoryKeyring
) -> None:
    before = saved(services)
    emitted: list[object] = []
    dialog.settings_applied.connect(lambda *args: emitted.append(args))
    dialog.sampling_page.temperature.setValue(0.5)
    dialog.hub_page.token_edit.setText("hf_secret")
    dialog.hub_page.endpoint_edit.setText("ftp://mirror.example")
    click(dialog, QDialogButtonBox.StandardButton.Ok)
    assert dialog.isVisible() and not emitted
    message = dialog.message()
    assert "Not a Hub address" in message and "\n" not in message
    assert dialog.stack.currentWidget() is dialog.hub_page
    assert saved(services) == before == services.settings
    assert services.settings.sampling.temperature == 0.0
    assert keyring_backend.passwords == {}  # the token waits for a valid form too

    dialog.hub_page.endpoint_edit.setText("https://hf-mirror.com/")
    click(dialog, QDialogButtonBox.StandardButton.Ok)
    assert not dialog.isVisible()
    assert saved(services).hub_endpoint == "https://hf-mirror.com"


def test_the_default_hub_shows_empty_and_saves_as_the_default(
    dialog: SettingsDialog, services: AppServices
) -> None:
    assert dialog.hub_page.endpoint_edit.text() == ""
    assert dialog.edited_settings().hub_endpoint == Settings().hub_endpoint


def test_token_is_saved_to_the_keyring_and_removed(
    dialog: SettingsDialog, services: AppServices, keyring_backend: MemoryKeyring
) -> None:
    hub = dialog.hub_page
    assert "No token saved" in hub.token_status.text()
    assert keyring_backend.name in hub.token_status.text()  # says where it would go
    assert not hub.remove_token_button.isEnabled()
    hub.token_edit.setText("  hf_abc123  ")
    assert dialog.apply_button.isEnabled()
    click(dialog, QDialogButtonBox.StandardButton.Apply)
    assert keyring_backend.passwords == {(SERVICE, ACCOUNT): "hf_abc123"}
    assert hub.token_edit.text() == ""  # never shown again
    assert "saved in the system keyring" in hub.token_status.text()
    assert "hf_abc123" not in services.paths.settings_file.read_text(encoding="utf-8")
    hub.remove_token_button.click()
    assert keyring_backend.passwords == {}
    assert "No token saved" in hub.token_status.text()
    assert not hub.remove_token_button.isEnabled()


def test_without_a_keyring_the_dialog_says_the_token_is_for_this_session(
    qtbot: QtBot, services: AppServices
) -> None:
    from keyring.backends import fail

    tokens = TokenStore(fail.Keyring())
    dlg = SettingsDialog(services, tokens=tokens, opener=print)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.models_page.loaded)
    assert "No system keyring" in dlg.hub_page.token_status.text()
    dlg.hub_page.token_edit.setText("hf_session")
    assert dlg.apply()
    assert tokens.get() == "hf_session"
    assert "in use until Fireside quits" in dlg.hub_page.token_status.text()
    dlg.reject()


# ---- appearance, data, models ----------------------------------------------------------


def test_dark_theme_is_applied_at_once_and_system_restores(
    dialog: SettingsDialog, services: AppServices, app_theme: QApplication
) -> None:
    assert not is_dark(app_theme)
    page = dialog.appearance_page
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("dark"))
    page.language_combo.setCurrentIndex(page.language_combo.findData("zh_CN"))
    assert dialog.apply()
    assert is_dark(app_theme) and app_theme.style().name().lower() == "fusion"
    assert saved(services).theme == "dark" and saved(services).language == "zh_CN"
    palette = app_theme.palette()
    base, text = palette.color(palette.ColorRole.Base), palette.color(palette.ColorRole.Text)
    assert base.lightness() < 64 < text.lightness()
    disabled = palette.color(palette.ColorGroup.Disabled, palette.ColorRole.Text)
    assert disabled != text
    link = palette.color(palette.ColorRole.Link)
    assert link.lightness() > base.lightness() + 80  # links readable on the dark base

    apply_theme(app_theme, "light")
    assert not is_dark(app_theme)
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("system"))
    assert dialog.apply()
    assert not is_dark(app_theme)


def test_open_data_folder_and_log(
    dialog: SettingsDialog, services: AppServices, opened: list[QUrl]
) -> None:
    dialog.show_section(dialog.data_page)
    assert str(services.paths.data_dir) in dialog.data_page.data_label.text()
    dialog.data_page.open_data_button.click()
    assert opened == [QUrl.fromLocalFile(str(services.paths.data_dir))]
    assert Path(opened[0].toLocalFile()) == services.paths.data_dir
    dialog.data_page.open_log_button.click()  # no log yet: its folder
    assert Path(opened[1].toLocalFile()) == services.paths.engine_log.parent


def test_installed_models_fill_the_combos(
    qtbot: QtBot, services: AppServices, gemma_path: Path, keyring_backend: MemoryKeyring
) -> None:
    model = services.registry.import_file(gemma_path)
    dlg = SettingsDialog(services, tokens=TokenStore(keyring_backend), opener=print)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.models_page.loaded, timeout=10_000)
    page = dlg.models_page
    chats = [page.chat_combo.itemData(i) for i in range(page.chat_combo.count())]
    embeddings = [page.embedding_combo.itemData(i) for i in range(page.embedding_combo.count())]
    assert chats == [None, model.id]
    assert embeddings == [None]  # "None" is a choice; the chat model is not offered
    assert model.name in page.chat_combo.itemText(1)
    page.chat_combo.setCurrentIndex(1)
    assert model.context_length
    assert QLocale().toString(model.context_length) in page.context_hint.text()
    page.set_context(65536)  # more than it was trained for: a warning
    assert "worse" in page.context_hint.text()
    page.set_context(8192)
    assert dlg.apply()
    assert saved(services).chat_model == model.id
    assert saved(services).embedding_model is None
    dlg.reject()


def test_a_default_model_that_is_gone_is_kept_until_changed(
    qtbot: QtBot, services: AppServices, keyring_backend: MemoryKeyring
) -> None:
    services.update_settings(Settings(chat_model="gone/model.gguf", language="en"))
    dlg = SettingsDialog(services, tokens=TokenStore(keyring_backend), opener=print)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.models_page.loaded)
    assert "not installed" in dlg.models_page.chat_combo.currentText()
    assert dlg.edited_settings().chat_model == "gone/model.gguf"
    dlg.reject()


def test_threads_say_what_automatic_means(dialog: SettingsDialog) -> None:
    page = dialog.models_page
    page.threads_spin.setValue(0)
    assert page.threads_spin.text().startswith("Automatic")
    assert "physical core" in page.threads_hint.text()


# ---- translations --------------------------------------------------------------------


def test_install_translators_speaks_chinese_and_switches_back(qapp: QApplication) -> None:
    try:
        installed = install_translators(qapp, "zh_CN")
        assert installed  # Fireside's catalogue, and Qt's own when PySide6 ships it
        assert QCoreApplication.translate("SettingsDialog", "Settings") == "设置"
        assert QCoreApplication.translate("SamplingPage", "Temperature:") == "温度："
        english = install_translators(qapp, "en")
        assert all(t not in english for t in installed)
        assert QCoreApplication.translate("SettingsDialog", "Settings") == "Settings"
    finally:
        install_translators(qapp, "en")


def test_the_dialog_is_chinese_under_a_chinese_translator(
    qtbot: QtBot, qapp: QApplication, services: AppServices, keyring_backend: MemoryKeyring
) -> None:
    try:
        install_translators(qapp, "zh_CN")
        dlg = SettingsDialog(services, tokens=TokenStore(keyring_backend), opener=print)
        qtbot.addWidget(dlg)
        qtbot.waitUntil(lambda: dlg.models_page.loaded)
        assert dlg.windowTitle() == "设置"
        assert dlg.sections.item(0).text() == "模型"
        dlg.reject()
    finally:
        install_translators(qapp, "en")


def test_committed_catalogues_match_a_fresh_build(tmp_path: Path) -> None:
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.qm"))
    run = subprocess.run([sys.executable, SCRIPT, "build", "--ts-dir", copy],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    for language in ("zh_CN", "en"):
        name = f"fireside_{language}.qm"
        assert (copy / name).read_bytes() == (TRANSLATIONS / name).read_bytes(), name


def test_check_lists_a_string_without_a_chinese_translation(tmp_path: Path) -> None:
    sources = tmp_path / "desktop"
    fake = sources / "settings" / "fake.py"  # the window lives in subpackages
    fake.parent.mkdir(parents=True)
    fake.write_text(
        "from PySide6.QtWidgets import QWidget\n\n\n"
        "class SettingsDialog(QWidget):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.setWindowTitle(self.tr('Settings'))\n"
        "        self.setToolTip(self.tr('A brand new untranslated string'))\n",
        encoding="utf-8",
    )
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy)
    before = (copy / "fireside_zh_CN.ts").read_bytes()
    args = [sys.executable, SCRIPT, "check", "--sources", sources, "--ts-dir", copy]
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "A brand new untranslated string" in run.stdout
    assert "'Settings'" not in run.stdout  # translated already
    assert (copy / "fireside_zh_CN.ts").read_bytes() == before  # check changes nothing

    fake.write_text(
        fake.read_text(encoding="utf-8").replace(
            "        self.setToolTip(self.tr('A brand new untranslated string'))\n", ""
        ),
        encoding="utf-8",
    )
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
