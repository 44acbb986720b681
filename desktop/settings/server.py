"""Settings → Local server: other programs on this computer use Fireside's models.

The page is a view over the window's :class:`~desktop.server.control.LocalServerControl`,
which outlives it: the switch starts and stops the server at once (with the values shown,
which are saved then, so what runs is what the settings say), the address and the other
listening values are locked while it runs, and the pin takes effect at once. A host beyond
this computer is confirmed in a dialog first. The recent requests follow the controller's
list (time, endpoint, model, tokens, duration; never what was asked or answered).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.errors import FiresideError
from core.settings import ServerSettings, Settings
from desktop.server.control import HostNotConfirmed, LocalServerControl, is_local
from desktop.settings.page import SettingsPage, hint_label
from desktop.window.messages import describe_error

Confirm = Callable[[str], bool]  # asked with the host; True to listen there


class ServerPage(SettingsPage):
    """The local server's switch, address, key, CORS origins, pin and recent requests."""

    def __init__(self, control: LocalServerControl, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.control = control
        self.confirm: Confirm = self._ask_to_confirm  # replaced in tests
        self.switch = QCheckBox(self.tr("Run the local server"))
        self.switch.setObjectName("serverSwitch")
        self.state_label = QLabel()
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.host_edit = QLineEdit()
        self.port_spin = QSpinBox()
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText(self.tr("any free port"))
        self.key_edit = QLineEdit()
        self.key_edit.setReadOnly(True)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_key_button = QPushButton(self.tr("Show"))
        self.show_key_button.setCheckable(True)
        self.copy_key_button = QPushButton(self.tr("Copy"))
        self.require_key_box = QCheckBox(
            self.tr("Require the key from programs on this computer too")
        )
        self.origins_edit = QLineEdit()
        self.origins_edit.setPlaceholderText("http://localhost:3000")
        self.pin_box = QCheckBox(self.tr("Answer only with the loaded model"))
        self.requests = QTreeWidget()
        self.requests.setRootIsDecorated(False)
        self.requests.setHeaderLabels([self.tr("Time"), self.tr("Endpoint"), self.tr("Model"),
                                       self.tr("Tokens"), self.tr("Duration"),
                                       self.tr("Result")])  # fmt: skip
        header = self.requests.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # the model's id
        self.message = hint_label()
        self._build()
        self.switch.toggled.connect(self._switched)
        self.show_key_button.toggled.connect(self._show_key)
        self.copy_key_button.clicked.connect(self.copy_key)
        self.pin_box.toggled.connect(self.control.set_pinned)
        for edit in (self.host_edit, self.origins_edit):
            edit.textChanged.connect(self.changed)
        self.port_spin.valueChanged.connect(self.changed)
        for box in (self.require_key_box, self.pin_box):
            box.toggled.connect(self.changed)
        control.state_changed.connect(self._show_state)
        control.requests_changed.connect(self.show_requests)
        self._show_state()
        self.show_requests()

    def _build(self) -> None:
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.show_key_button)
        key_row.addWidget(self.copy_key_button)
        address = QHBoxLayout()
        address.addWidget(self.host_edit, 1)
        address.addWidget(QLabel(self.tr("Port:")))
        address.addWidget(self.port_spin)
        form = QFormLayout()
        form.addRow(self.switch)
        form.addRow("", self.state_label)
        form.addRow(self.tr("Address:"), address)
        form.addRow("", hint_label(self.tr(
            "127.0.0.1 is this computer only. Any other address lets other computers on your "
            "network use your models; it needs the API key and your confirmation."
        )))  # fmt: skip
        form.addRow(self.tr("API key:"), key_row)
        form.addRow("", self.require_key_box)
        form.addRow(self.tr("Allowed web pages:"), self.origins_edit)
        form.addRow("", hint_label(self.tr(
            "Origins of web pages that may read answers, separated by spaces. Empty: no web "
            "page in a browser can."
        )))  # fmt: skip
        form.addRow("", self.pin_box)
        form.addRow("", hint_label(self.tr(
            "Otherwise a request for another installed model loads it, and your chat uses it "
            "too. Your own chat always goes before waiting requests."
        )))  # fmt: skip
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(QLabel(self.tr("Recent requests (what was asked is never kept):")))
        column.addWidget(self.requests, 1)
        column.addWidget(self.message)

    # ---- the settings contract ---------------------------------------------------------

    def load(self, settings: Settings) -> None:
        server = settings.server
        self.host_edit.setText(server.host)
        self.port_spin.setValue(server.port)
        self.require_key_box.setChecked(server.require_key)
        self.origins_edit.setText(" ".join(server.cors_origins))
        self.pin_box.setChecked(server.pinned)

    def shown_settings(self) -> ServerSettings:
        origins = tuple(dict.fromkeys(self.origins_edit.text().replace(",", " ").split()))
        return ServerSettings(host=self.host_edit.text().strip(), port=self.port_spin.value(),
                              require_key=self.require_key_box.isChecked(),
                              cors_origins=origins,
                              pinned=self.pin_box.isChecked())  # fmt: skip

    def apply_to(self, settings: Settings) -> Settings:
        return replace(settings, server=self.shown_settings())

    def problem(self) -> tuple[str, QWidget] | None:
        shown = self.shown_settings()
        if not shown.host:
            return self.tr("Enter the address the server listens on."), self.host_edit
        for origin in shown.cors_origins:
            if not origin.startswith(("http://", "https://")):
                text = self.tr(
                    "An allowed web page is named by its origin, such as "
                    "http://localhost:3000, not '%1'."
                ).replace("%1", origin)
                return text, self.origins_edit
        return None

    # ---- on and off --------------------------------------------------------------------

    def _switched(self, on: bool) -> None:
        if on == self.control.running:
            return
        if on:
            self.start()
        else:
            self.control.stop()

    def start(self) -> bool:
        """Start with the values shown (confirmed first for a host beyond this computer),
        and save them; False, with the reason on the page, if it did not start."""
        found = self.problem()
        if found is not None:
            self._refuse(found[0])
            return False
        shown = self.shown_settings()
        confirmed = not is_local(shown.host) and self.confirm(shown.host)
        try:
            self.control.start(shown, confirmed=confirmed)
        except HostNotConfirmed:
            self._refuse(self.tr("Not started: listening on %1 was not confirmed.")
                         .replace("%1", shown.host))  # fmt: skip
            return False
        except (FiresideError, OSError) as exc:
            self._refuse(describe_error(exc, self.control.services.translate))
            return False
        services = self.control.services
        if services.settings.server != shown:
            try:
                services.update_settings(replace(services.settings, server=shown))
            except OSError:  # it runs; only remembering its values failed
                self.message.setText(self.tr("The settings could not be saved."))
        return True

    def _refuse(self, text: str) -> None:
        self.message.setText(text)
        self._show_state()

    def _ask_to_confirm(self, host: str) -> bool:
        answer = QMessageBox.warning(
            self, self.tr("Listen beyond this computer?"),
            self.tr("On %1, other computers that can reach this one can use your models and "
                    "documents with the API key. Listen there?").replace("%1", host),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )  # fmt: skip
        return answer == QMessageBox.StandardButton.Yes

    # ---- showing -----------------------------------------------------------------------

    def _show_state(self) -> None:
        running = self.control.running
        self.switch.blockSignals(True)
        self.switch.setChecked(running)
        self.switch.blockSignals(False)
        for field in (self.host_edit, self.port_spin, self.require_key_box, self.origins_edit):
            field.setEnabled(not running)
        url = self.control.base_url
        if url is not None:
            self.message.setText("")
            self.state_label.setText(self.tr("Listening at %1").replace("%1", url))
        else:
            self.state_label.setText(self.tr("Off"))
        self._show_key_text()

    def _show_key_text(self, make: bool = False) -> None:
        """The key as the keyring holds it; made only when shown, copied or needed, so that
        opening Settings writes nothing to the keyring."""
        try:
            key = self.control.api_key() if make else self.control.keys().get()
        except FiresideError as exc:
            self.key_edit.setText("")
            self.key_edit.setPlaceholderText(describe_error(exc, self.control.services.translate))
            return
        self.key_edit.setText(key or "")
        self.key_edit.setPlaceholderText(
            "" if key else self.tr("Made when you show or copy it, or when the server needs it")
        )

    def _show_key(self, shown: bool) -> None:
        if shown:
            self._show_key_text(make=True)
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.key_edit.setEchoMode(mode)

    def copy_key(self) -> None:
        self._show_key_text(make=True)
        QGuiApplication.clipboard().setText(self.key_edit.text())

    def show_requests(self) -> None:
        """The controller's recent requests, newest first."""
        self.requests.clear()
        for record in reversed(self.control.records()):
            tokens = str(record.prompt_tokens)
            if record.endpoint != "/v1/embeddings":
                tokens += f" + {record.completion_tokens}"
            duration = record.duration_s
            took = "…" if duration is None else self.tr("%1 s").replace("%1", f"{duration:.1f}")
            when = time.strftime("%H:%M:%S", time.localtime(record.started_at))
            result = record.outcome if record.status == 200 else f"{record.status} {record.outcome}"
            self.requests.addTopLevelItem(QTreeWidgetItem(
                [when, record.endpoint, record.model, tokens, took, result or "…"]
            ))  # fmt: skip
