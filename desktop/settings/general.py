"""The settings pages about Fireside itself: look and language, the model hub (address
and token), and where the data lives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from core.errors import FiresideError
from core.models.hub import DEFAULT_ENDPOINT, resolve_endpoint
from core.models.tokens import TokenStore
from core.settings import Settings
from desktop.settings.page import SettingsPage, hint_label, select_data
from desktop.window.services import AppServices

UrlOpener = Callable[[QUrl], Any]

# ---- appearance and language -----------------------------------------------------------


class AppearancePage(SettingsPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language_combo = QComboBox()
        self.language_combo.addItem(self.tr("System default"), "system")
        # Each language is named in itself, so a person can find theirs in any language.
        self.language_combo.addItem("简体中文", "zh_CN")
        self.language_combo.addItem("English", "en")
        self.language_hint = hint_label(
            self.tr("A new language takes effect the next time Fireside starts.")
        )
        self.theme_combo = QComboBox()
        self.theme_combo.addItem(self.tr("System"), "system")
        self.theme_combo.addItem(self.tr("Light"), "light")
        self.theme_combo.addItem(self.tr("Dark"), "dark")

        form = QFormLayout(self)
        form.addRow(self.tr("Language:"), self.language_combo)
        form.addRow("", self.language_hint)
        form.addRow(self.tr("Theme:"), self.theme_combo)
        self.language_combo.currentIndexChanged.connect(self.changed)
        self.theme_combo.currentIndexChanged.connect(self.changed)

    def load(self, settings: Settings) -> None:
        for combo, value in ((self.language_combo, settings.language),
                             (self.theme_combo, settings.theme)):  # fmt: skip
            if not select_data(combo, value):
                combo.setCurrentIndex(0)

    def apply_to(self, settings: Settings) -> Settings:
        return replace(
            settings,
            language=str(self.language_combo.currentData()),
            theme=str(self.theme_combo.currentData()),
        )


# ---- hub -------------------------------------------------------------------------------


class HubPage(SettingsPage):
    """Where models are downloaded from, and the access token for gated models."""

    def __init__(
        self, services: AppServices, tokens: TokenStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.tokens = tokens
        self.endpoint_edit = QLineEdit()
        try:  # what an empty field means: huggingface.co, or HF_ENDPOINT when set
            self.endpoint_edit.setPlaceholderText(resolve_endpoint(DEFAULT_ENDPOINT))
        except FiresideError:
            self.endpoint_edit.setPlaceholderText(DEFAULT_ENDPOINT)
        self.endpoint_edit.setClearButtonEnabled(True)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("hf_…")  # a token's prefix, not words
        self.token_status = hint_label()
        self.remove_token_button = QPushButton(self.tr("Remove Token"))
        self.remove_token_button.clicked.connect(self.remove_token)

        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.remove_token_button)
        form = QFormLayout(self)
        form.addRow(self.tr("Hub address:"), self.endpoint_edit)
        form.addRow(
            "",
            hint_label(
                self.tr(
                    "Where models are downloaded from. Use a mirror (for example "
                    "https://hf-mirror.com) if huggingface.co cannot be reached."
                )
            ),
        )
        form.addRow(self.tr("Access token:"), token_row)
        form.addRow("", self.token_status)
        form.addRow(
            "",
            hint_label(
                self.tr("Only needed for gated models, such as Llama. It is sent only to the hub.")
            ),
        )
        self.endpoint_edit.textChanged.connect(self.changed)
        self.token_edit.textChanged.connect(self.changed)

    def load(self, settings: Settings) -> None:
        shown = (
            "" if settings.hub_endpoint.rstrip("/") == DEFAULT_ENDPOINT else settings.hub_endpoint
        )
        self.endpoint_edit.setText(shown)
        self.token_edit.clear()
        self.refresh_token_status()

    def refresh_token_status(self) -> None:
        persistent = self.tokens.persistent
        saved = self.tokens.get() is not None
        where = self.tokens.backend.name
        if not persistent and saved:
            text = self.tr(
                "A token is in use until Fireside quits: no system keyring is available "
                "here to keep it."
            )
        elif not persistent:
            text = self.tr(
                "No system keyring is available here, so a token is kept only until Fireside quits."
            )
        elif saved:
            text = self.tr("A token is saved in the system keyring (%1).").replace("%1", where)
        else:
            text = self.tr(
                "No token saved. A token is kept in the system keyring (%1), never in the "
                "settings file."
            ).replace("%1", where)
        self.token_status.setText(text)
        self.remove_token_button.setEnabled(saved)

    def endpoint(self) -> str:
        """The address typed, checked and without a trailing slash; raises FiresideError."""
        text = self.endpoint_edit.text().strip()
        if not text:
            return DEFAULT_ENDPOINT
        return resolve_endpoint(text, override=text)

    def problem(self) -> tuple[str, QWidget] | None:
        try:
            self.endpoint()
        except FiresideError as exc:
            return exc.message(self.services.translate), self.endpoint_edit
        return None

    def apply_to(self, settings: Settings) -> Settings:
        try:
            endpoint = self.endpoint()
        except FiresideError:
            endpoint = self.endpoint_edit.text().strip()  # refused by problem() before saving
        return replace(settings, hub_endpoint=endpoint)

    def token_pending(self) -> bool:
        return bool(self.token_edit.text().strip())

    def save_token(self) -> str | None:
        """Keep a token that was typed; a message if the keyring refused it."""
        if not self.token_pending():
            return None
        try:
            self.tokens.set(self.token_edit.text())
        except FiresideError as exc:
            return exc.message(self.services.translate)
        self.token_edit.clear()
        self.refresh_token_status()
        return None

    def remove_token(self) -> None:
        try:
            self.tokens.clear()
        except FiresideError as exc:
            self.token_status.setText(exc.message(self.services.translate))
            return
        self.token_edit.clear()
        self.refresh_token_status()


# ---- data ------------------------------------------------------------------------------


class DataPage(SettingsPage):
    """Where Fireside keeps things, with a way to look."""

    def __init__(
        self, services: AppServices, opener: UrlOpener, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.opener = opener
        paths = services.paths
        self.data_label = self._path_label(str(paths.data_dir))
        self.open_data_button = QPushButton(self.tr("Open"))
        self.open_data_button.clicked.connect(self.open_data_folder)
        self.log_label = self._path_label(str(paths.engine_log))
        self.open_log_button = QPushButton(self.tr("Open"))
        self.open_log_button.clicked.connect(self.open_log)

        form = QFormLayout(self)
        form.addRow(self.tr("Data folder:"), self._row(self.data_label, self.open_data_button))
        form.addRow(
            "",
            hint_label(
                self.tr(
                    "Your chats, documents and downloaded models are kept here, on this "
                    "computer only."
                )
            ),
        )
        form.addRow(self.tr("Log file:"), self._row(self.log_label, self.open_log_button))
        form.addRow(
            "",
            hint_label(
                self.tr("What the model engine reported; useful when a model fails to load.")
            ),
        )

    @staticmethod
    def _path_label(text: str) -> QLabel:
        label = QLabel(text)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setWordWrap(True)
        return label

    @staticmethod
    def _row(label: QLabel, button: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(label, 1)
        row.addWidget(button)
        return row

    def open_data_folder(self) -> None:
        self.opener(QUrl.fromLocalFile(str(self.services.paths.data_dir)))

    def open_log(self) -> None:
        """The log file if the engine has written one yet, else its folder."""
        log = self.services.paths.engine_log
        self.opener(QUrl.fromLocalFile(str(log if log.is_file() else log.parent)))

    def load(self, settings: Settings) -> None:
        pass  # nothing here is a setting

    def apply_to(self, settings: Settings) -> Settings:
        return settings
