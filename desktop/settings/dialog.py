"""The settings window: models, sampling, system prompts, look and language, hub, data, and
the local server (when the window gives its server's controller).

Each section is a page that reads its part of a :class:`~core.settings.Settings` and writes
it back (``load`` / ``apply_to``), and says what is wrong with what was typed (``problem``).
The dialog applies all pages at once, through ``AppServices.update_settings``, only when
every page is valid, so a bad value never reaches the settings file. Ranges on the spin
boxes keep most bad values from being typed at all; what is left (a hub address, a reply
longer than the context) is one line at the bottom of the dialog.

The pages live in ``settings_engine`` (models, sampling), ``settings_presets`` (system
prompts), ``settings_general`` (appearance and language, hub, data) and ``server`` (the
local server), over the page contract in ``settings_page``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from core.errors import FiresideError
from core.models.tokens import TokenStore
from core.settings import Settings
from desktop.settings.device import DevicePage
from desktop.settings.engine import ModelsPage, SamplingPage
from desktop.settings.general import AppearancePage, DataPage, HubPage, UrlOpener
from desktop.settings.page import SettingsPage, format_number
from desktop.settings.presets import PresetsPage
from desktop.window.services import AppServices
from desktop.window.theme import apply_theme
from desktop.window.workers import Job, JobRunner

if TYPE_CHECKING:
    from desktop.server.control import LocalServerControl
    from desktop.settings.server import ServerPage

# ---- the dialog ------------------------------------------------------------------------


class SettingsDialog(QDialog):
    """Fireside's settings. Changes are saved together by OK or Apply, never one by one."""

    settings_applied = Signal(object, object)  # (old Settings, new Settings), after saving

    def __init__(
        self,
        services: AppServices,
        parent: QWidget | None = None,
        tokens: TokenStore | None = None,
        *,
        opener: UrlOpener | None = None,
        server: LocalServerControl | None = None,
    ) -> None:
        """``tokens``: the store of the Hub token (the system keyring unless given: share
        the window's, so a token kept for the session only reaches the downloads).
        ``opener`` opens folders and files (QDesktopServices.openUrl unless given).
        ``server``: the window's local server, shown on a page of its own."""
        super().__init__(parent)
        self.services = services
        self.tokens = tokens if tokens is not None else TokenStore()
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumSize(QSize(720, 480))

        self.models_page = ModelsPage(services)
        self.device_page = DevicePage(services.client.ready)
        self.sampling_page = SamplingPage()
        self.presets_page = PresetsPage()
        self.appearance_page = AppearancePage()
        self.hub_page = HubPage(services, self.tokens)
        self.data_page = DataPage(services, opener or QDesktopServices.openUrl)
        self.pages: list[tuple[str, SettingsPage]] = [
            (self.tr("Models"), self.models_page),
            (self.tr("Device"), self.device_page),
            (self.tr("Sampling"), self.sampling_page),
            (self.tr("System Prompts"), self.presets_page),
            (self.tr("Appearance & Language"), self.appearance_page),
            (self.tr("Model Hub"), self.hub_page),
            (self.tr("Data"), self.data_page),
        ]
        self.server_page: ServerPage | None = None
        if server is not None:
            from desktop.settings.server import ServerPage

            self.server_page = ServerPage(server)
            self.pages.append((self.tr("Local server"), self.server_page))

        self.sections = QListWidget()
        self.sections.setSpacing(3)
        self.stack = QStackedWidget()
        for title, page in self.pages:
            self.sections.addItem(title)
            self.stack.addWidget(page)
        self.sections.setFixedWidth(max(140, self.sections.sizeHintForColumn(0) + 28))
        self.sections.currentRowChanged.connect(self.stack.setCurrentIndex)

        style = self.style()
        self.message_icon = QLabel()
        size = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.message_icon.setPixmap(icon.pixmap(size, size))
        self.message_label = QLabel()
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setWordWrap(True)
        message_row = QHBoxLayout()
        message_row.addWidget(self.message_icon)
        message_row.addWidget(self.message_label, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.clicked.connect(self._button_clicked)

        body = QHBoxLayout()
        body.addWidget(self.sections)
        body.addWidget(self.stack, 1)
        column = QVBoxLayout(self)
        column.addLayout(body, 1)
        column.addLayout(message_row)
        column.addWidget(self.buttons)

        for _, page in self.pages:
            page.load(services.settings)
            page.changed.connect(self._edited)
        self.presets_page.message.connect(self.show_message)
        self.sections.setCurrentRow(0)
        self.show_message("")
        self._refresh_apply()

        self._lane = JobRunner(self, "settings")
        job = Job(self._installed_models)
        job.item.connect(self.models_page.show_models)
        job.failed.connect(self._models_failed)
        job.ended.connect(self._stop_lane)
        self._lane.submit(job)

    # ---- the installed models (off the GUI thread) -------------------------------------

    def _installed_models(self) -> Iterator[object]:
        yield self.services.registry.models()

    def _models_failed(self, exc: object) -> None:
        translate = self.services.translate
        text = exc.message(translate) if isinstance(exc, FiresideError) else str(exc)
        self.models_page.show_failure(text)

    def _stop_lane(self, _job: object = None) -> None:
        self._lane.shutdown()

    # ---- saving ------------------------------------------------------------------------

    def edited_settings(self) -> Settings:
        """The settings as the pages now show them (not checked, not saved)."""
        settings = self.services.settings
        for _, page in self.pages:
            settings = page.apply_to(settings)
        return settings

    def problem(self) -> tuple[str, QWidget] | None:
        """The first thing that stops the settings from being saved."""
        for _, page in self.pages:
            found = page.problem()
            if found is not None:
                return found
        edited = self.edited_settings()
        if edited.sampling.max_tokens >= edited.engine.n_ctx:
            text = self.tr(
                "The longest reply (%1 tokens) must be shorter than the context size (%2 tokens)."
            )
            text = text.replace("%1", format_number(edited.sampling.max_tokens))
            text = text.replace("%2", format_number(edited.engine.n_ctx))
            return text, self.sampling_page.max_tokens
        return None

    def apply(self) -> bool:
        """Check and save everything; False (with a message, nothing saved) if something is
        wrong."""
        found = self.problem()
        if found is not None:
            text, field = found
            self._go_to(field)
            self.show_message(text)
            return False
        token_problem = self.hub_page.save_token()
        if token_problem:
            self._go_to(self.hub_page.token_edit)
            self.show_message(token_problem)
            return False
        old, new = self.services.settings, self.edited_settings()
        if new != old:
            try:
                self.services.update_settings(new)
            except OSError as exc:
                self.show_message(
                    self.tr("The settings could not be saved: %1").replace("%1", str(exc))
                )
                return False
            if new.theme != old.theme:
                app = QApplication.instance()
                if isinstance(app, QApplication):
                    apply_theme(app, new.theme)
            self.settings_applied.emit(old, new)
        self.show_message("")
        self._refresh_apply()
        return True

    def accept(self) -> None:
        if self.apply():
            super().accept()

    def done(self, result: int) -> None:
        self._lane.shutdown()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._lane.shutdown()
        super().closeEvent(event)

    # ---- showing -----------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        """One line at the bottom of the dialog ("" hides it)."""
        self.message_label.setText(text)
        self.message_icon.setVisible(bool(text))
        self.message_label.setVisible(bool(text))

    def message(self) -> str:
        return self.message_label.text() if self.message_label.isVisibleTo(self) else ""

    def show_section(self, page: SettingsPage) -> None:
        self.sections.setCurrentRow(self.stack.indexOf(page))

    def _go_to(self, field: QWidget) -> None:
        for _, page in self.pages:
            if page.isAncestorOf(field):
                self.show_section(page)
        field.setFocus()

    def _edited(self) -> None:
        """Something was changed: an old complaint is out of date."""
        self.show_message("")
        self._refresh_apply()

    def _refresh_apply(self) -> None:
        """Apply is live only when there is something to apply."""
        edited = self.edited_settings() != self.services.settings
        self.apply_button.setEnabled(edited or self.hub_page.token_pending())

    def _button_clicked(self, button: QAbstractButton) -> None:
        if button is self.apply_button:
            self.apply()
