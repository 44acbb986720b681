"""The settings window: models, sampling, system prompts, look and language, hub, data.

Each section is a page that reads its part of a :class:`~core.settings.Settings` and writes
it back (``load`` / ``apply_to``), and says what is wrong with what was typed (``problem``).
The dialog applies all pages at once, through ``AppServices.update_settings``, only when
every page is valid, so a bad value never reaches the settings file. Ranges on the spin
boxes keep most bad values from being typed at all; what is left (a hub address, a reply
longer than the context) is one line at the bottom of the dialog.

The installed models are read off the GUI thread (the registry checks the disk and may scan
the Hugging Face cache), so the model lists fill in a moment after the dialog opens.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, Final

from PySide6.QtCore import QLocale, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from core.engine.threads import physical_cores
from core.errors import FiresideError
from core.models.hub import DEFAULT_ENDPOINT, resolve_endpoint
from core.models.registry import InstalledModel
from core.models.tokens import TokenStore
from core.models.units import human_size
from core.settings import (
    EngineSettings,
    SamplingSettings,
    Settings,
    SystemPromptPreset,
)
from desktop.services import AppServices
from desktop.theme import apply_theme
from desktop.workers import Job, JobRunner

CONTEXT_SIZES: Final = (2048, 4096, 8192, 16384, 32768, 65536, 131072)
PRESET_NAME_LIMIT: Final = 60
UrlOpener = Callable[[QUrl], Any]


def _hint(text: str = "") -> QLabel:
    """A quiet explanatory line under a field."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def _number(value: int) -> str:
    return QLocale().toString(value)


def _select_data(combo: QComboBox, data: object) -> bool:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)
    return index >= 0


class SettingsPage(QWidget):
    """One section of the dialog. ``changed`` is emitted whenever something was edited."""

    changed = Signal()

    def load(self, settings: Settings) -> None:
        raise NotImplementedError

    def apply_to(self, settings: Settings) -> Settings:
        """``settings`` with this page's values."""
        raise NotImplementedError

    def problem(self) -> tuple[str, QWidget] | None:
        """What is wrong with the values typed, and the field to go back to."""
        return None


# ---- models ----------------------------------------------------------------------------


class ModelsPage(SettingsPage):
    """The default chat and embedding models and how the engine runs them."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.loaded = False  # True once the installed models have been read
        self._models: dict[str, InstalledModel] = {}

        self.status = _hint(self.tr("Reading the installed models…"))
        self.chat_combo = QComboBox()
        self.embedding_combo = QComboBox()
        for combo in (self.chat_combo, self.embedding_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(28)
        self.context_combo = QComboBox()
        self.context_hint = _hint()
        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(0, max(os.cpu_count() or 1, physical_cores()))
        cores = physical_cores()
        self.threads_spin.setSpecialValueText(
            self.tr("Automatic (%1)").replace("%1", _number(cores))
        )
        self.threads_hint = _hint(
            self.tr(
                "Automatic uses one thread per physical core (%1 on this computer), "
                "which is usually fastest."
            ).replace("%1", _number(cores))
        )
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(32, 4096)
        self.batch_spin.setSingleStep(32)
        self.batch_spin.setSuffix(self.tr(" tokens"))

        form = QFormLayout(self)
        form.addRow(self.status)
        form.addRow(self.tr("Chat model:"), self.chat_combo)
        form.addRow(self.tr("Embedding model:"), self.embedding_combo)
        form.addRow(
            "",
            _hint(self.tr("The embedding model indexes your documents for the knowledge panel.")),
        )
        form.addRow(self.tr("Context size:"), self.context_combo)
        form.addRow("", self.context_hint)
        form.addRow(self.tr("Threads:"), self.threads_spin)
        form.addRow("", self.threads_hint)
        form.addRow(self.tr("Batch size:"), self.batch_spin)
        form.addRow(
            "",
            _hint(
                self.tr(
                    "Tokens read at once when the model reads a prompt: larger is faster "
                    "and uses more memory."
                )
            ),
        )

        self.chat_combo.currentIndexChanged.connect(self._update_context_hint)
        self.context_combo.currentIndexChanged.connect(self._update_context_hint)
        for combo in (self.chat_combo, self.embedding_combo, self.context_combo):
            combo.currentIndexChanged.connect(self.changed)
        for spin in (self.threads_spin, self.batch_spin):
            spin.valueChanged.connect(self.changed)

    # -- filling -------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self._fill_models(settings.chat_model, settings.embedding_model)
        self.context_combo.blockSignals(True)
        self.context_combo.clear()
        current = settings.engine.n_ctx
        low, high = CONTEXT_SIZES[0], CONTEXT_SIZES[-1]
        sizes = sorted({*CONTEXT_SIZES, current} if low <= current <= high else CONTEXT_SIZES)
        for size in sizes:
            self.context_combo.addItem(self.tr("%1 tokens").replace("%1", _number(size)), size)
        if not _select_data(self.context_combo, current):  # out of range: the nearest
            nearest = min(sizes, key=lambda s: abs(s - current))
            _select_data(self.context_combo, nearest)
        self.context_combo.blockSignals(False)
        self.threads_spin.setValue(settings.engine.n_threads)
        self.batch_spin.setValue(settings.engine.n_batch)
        self._update_context_hint()

    def show_models(self, models: list[InstalledModel]) -> None:
        """The installed models, read off the GUI thread (keeps the choices made so far)."""
        self._models = {m.id: m for m in models}
        self.loaded = True
        self.status.hide()
        self._fill_models(self.chat_combo.currentData(), self.embedding_combo.currentData())
        self._update_context_hint()

    def show_failure(self, message: str) -> None:
        self.loaded = True
        self.status.setText(
            self.tr("Could not read the installed models: %1").replace("%1", message)
        )

    def _fill_models(self, chat: str | None, embedding: str | None) -> None:
        self._fill(self.chat_combo, "chat", chat, self.tr("No chat model chosen"))
        self._fill(self.embedding_combo, "embedding", embedding, self.tr("None"))

    def _fill(self, combo: QComboBox, kind: str, chosen: str | None, nothing: str) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(nothing, None)
        for model in self._models.values():
            if model.kind == kind:
                combo.addItem(self._describe(model), model.id)
        if chosen and combo.findData(chosen) < 0:
            # Not read yet, or not installed any more: kept as it is until changed.
            missing = self.tr("%1 (not installed)").replace("%1", chosen)
            combo.addItem(missing if self.loaded else chosen, chosen)
        _select_data(combo, chosen)
        combo.blockSignals(False)

    @staticmethod
    def _describe(model: InstalledModel) -> str:
        parts = [model.name]
        if model.quantization:
            parts.append(model.quantization)
        parts.append(human_size(model.size))
        return " · ".join(parts)

    def _update_context_hint(self) -> None:
        model = self._models.get(self.chat_combo.currentData() or "")
        trained = model.context_length if model is not None else None
        if not trained:
            self.context_hint.setText(
                self.tr(
                    "How much of the conversation the model sees at once. More uses more memory."
                )
            )
            return
        chosen = self.context_combo.currentData()
        if isinstance(chosen, int) and chosen > trained:
            text = self.tr(
                "%1 was trained with a context of %2 tokens; a larger one may make its "
                "replies worse."
            )
        else:
            text = self.tr("%1 was trained with a context of %2 tokens.")
        name = model.name if model is not None else ""
        self.context_hint.setText(text.replace("%1", name).replace("%2", _number(trained)))

    # -- reading back --------------------------------------------------------------------

    def apply_to(self, settings: Settings) -> Settings:
        engine = EngineSettings(
            n_ctx=int(self.context_combo.currentData() or settings.engine.n_ctx),
            n_threads=self.threads_spin.value(),
            n_batch=self.batch_spin.value(),
        )
        return replace(
            settings,
            chat_model=self.chat_combo.currentData(),
            embedding_model=self.embedding_combo.currentData(),
            engine=engine,
        )

    def set_context(self, n_ctx: int) -> None:
        _select_data(self.context_combo, n_ctx)


# ---- sampling --------------------------------------------------------------------------


class SamplingPage(SettingsPage):
    """How replies are sampled; the same figures the CLI's chat uses."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.temperature = self._real(0.0, 2.0, 0.05)
        self.temperature.setToolTip(
            self.tr(
                "Higher gives more varied replies, lower more predictable ones; 0 always "
                "picks the most likely word."
            )
        )
        self.top_p = self._real(0.0, 1.0, 0.01)
        self.top_p.setToolTip(
            self.tr("Picks only among the most likely words that together reach this share.")
        )
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 1000)
        self.top_k.setSpecialValueText(self.tr("Off"))
        self.top_k.setToolTip(self.tr("Picks only among this many most likely words (0: off)."))
        self.min_p = self._real(0.0, 1.0, 0.01)
        self.min_p.setSpecialValueText(self.tr("Off"))
        self.min_p.setToolTip(
            self.tr("Leaves out words less likely than this share of the likeliest one.")
        )
        self.repeat_penalty = self._real(1.0, 2.0, 0.01)
        self.repeat_penalty.setSpecialValueText(self.tr("Off"))
        self.repeat_penalty.setToolTip(self.tr("Makes the model less likely to repeat itself."))
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(16, 131072)
        self.max_tokens.setSingleStep(64)
        self.max_tokens.setSuffix(self.tr(" tokens"))
        self.max_tokens.setToolTip(self.tr("A reply stops when it reaches this length."))
        self.restore_button = QPushButton(self.tr("Restore Defaults"))
        self.restore_button.clicked.connect(self.restore_defaults)

        form = QFormLayout()
        form.addRow(self.tr("Temperature:"), self.temperature)
        form.addRow(self.tr("Top-p:"), self.top_p)
        form.addRow(self.tr("Top-k:"), self.top_k)
        form.addRow(self.tr("Min-p:"), self.min_p)
        form.addRow(self.tr("Repeat penalty:"), self.repeat_penalty)
        form.addRow(self.tr("Longest reply:"), self.max_tokens)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(_hint(self.tr("These apply to every chat from its next reply.")))
        column.addStretch(1)
        column.addLayout(buttons)

        for spin in (self.temperature, self.top_p, self.min_p, self.repeat_penalty):
            spin.valueChanged.connect(self.changed)
        for whole in (self.top_k, self.max_tokens):
            whole.valueChanged.connect(self.changed)

    @staticmethod
    def _real(low: float, high: float, step: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setDecimals(2)
        spin.setRange(low, high)
        spin.setSingleStep(step)
        return spin

    def load(self, settings: Settings) -> None:
        self._show(settings.sampling)

    def _show(self, sampling: SamplingSettings) -> None:
        self.temperature.setValue(sampling.temperature)
        self.top_p.setValue(sampling.top_p)
        self.top_k.setValue(sampling.top_k)
        self.min_p.setValue(sampling.min_p)
        self.repeat_penalty.setValue(sampling.repeat_penalty)
        self.max_tokens.setValue(sampling.max_tokens)

    def restore_defaults(self) -> None:
        self._show(SamplingSettings())

    def apply_to(self, settings: Settings) -> Settings:
        sampling = SamplingSettings(
            temperature=round(self.temperature.value(), 2),
            top_p=round(self.top_p.value(), 2),
            top_k=self.top_k.value(),
            min_p=round(self.min_p.value(), 2),
            repeat_penalty=round(self.repeat_penalty.value(), 2),
            max_tokens=self.max_tokens.value(),
        )
        return replace(settings, sampling=sampling)


# ---- system prompts --------------------------------------------------------------------

_TEXT_ROLE: Final = Qt.ItemDataRole.UserRole
_NAME_ROLE: Final = Qt.ItemDataRole.UserRole + 1  # the last accepted name, to undo a bad one


class PresetsPage(SettingsPage):
    """Named system prompts, and the one new chats start with."""

    message = Signal(str)  # a one-line complaint about a name (empty, taken)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setMaximumWidth(220)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(self.tr("What the model is told before every chat…"))
        self.add_button = QPushButton(self.tr("Add"))
        self.rename_button = QPushButton(self.tr("Rename"))
        self.delete_button = QPushButton(self.tr("Delete"))
        self.default_combo = QComboBox()

        buttons = QHBoxLayout()
        for button in (self.add_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        right = QVBoxLayout()
        right.addWidget(self.text, 1)
        lists = QHBoxLayout()
        lists.addLayout(left)
        lists.addLayout(right, 1)
        default_row = QFormLayout()
        default_row.addRow(self.tr("New chats start with:"), self.default_combo)
        column = QVBoxLayout(self)
        column.addLayout(lists, 1)
        column.addLayout(buttons)
        column.addLayout(default_row)
        column.addWidget(_hint(self.tr("A chat keeps the system prompt it was started with.")))

        self.add_button.clicked.connect(self._add_clicked)
        self.rename_button.clicked.connect(self._rename_clicked)
        self.delete_button.clicked.connect(self.delete_current)
        self.list.currentItemChanged.connect(self._show_current)
        self.list.itemChanged.connect(self._item_edited)
        self.text.textChanged.connect(self._text_edited)
        self.default_combo.currentIndexChanged.connect(self.changed)

    # -- the list ------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for preset in settings.system_prompt_presets:
            self._append(preset.name, preset.text)
        self.list.blockSignals(False)
        self._refresh_defaults(settings.default_preset)
        self.list.setCurrentRow(0 if self.list.count() else -1)
        self._show_current()

    def _append(self, name: str, text: str) -> QListWidgetItem:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        item.setData(_TEXT_ROLE, text)
        item.setData(_NAME_ROLE, name)
        self.list.addItem(item)
        return item

    def names(self) -> list[str]:
        return [self.list.item(i).data(_NAME_ROLE) for i in range(self.list.count())]

    def presets(self) -> tuple[SystemPromptPreset, ...]:
        return tuple(
            SystemPromptPreset(item.data(_NAME_ROLE), item.data(_TEXT_ROLE))
            for item in map(self.list.item, range(self.list.count()))
        )

    def _refresh_defaults(self, chosen: str) -> None:
        self.default_combo.blockSignals(True)
        self.default_combo.clear()
        self.default_combo.addItem(self.tr("No system prompt"), "")
        for name in self.names():
            self.default_combo.addItem(name, name)
        if not _select_data(self.default_combo, chosen):
            self.default_combo.setCurrentIndex(0)
        self.default_combo.blockSignals(False)

    def default_name(self) -> str:
        return str(self.default_combo.currentData() or "")

    # -- add, rename, delete -------------------------------------------------------------

    def add_preset(self, name: str | None = None, text: str = "") -> QListWidgetItem:
        """A new preset (a free name like "New preset 2" unless given), made current."""
        wanted = self._clean(name) if name else ""
        if not wanted or wanted in self.names():
            base = wanted or self.tr("New preset")
            wanted, n = base, 2
            while wanted in self.names():
                wanted, n = f"{base} {n}", n + 1
        self.list.blockSignals(True)
        item = self._append(wanted, text)
        self.list.blockSignals(False)
        self._refresh_defaults(self.default_name())
        self.list.setCurrentItem(item)
        self.changed.emit()
        return item

    def rename_current(self, name: str) -> bool:
        """Rename the current preset; False (and a message) for an empty or taken name."""
        item = self.list.currentItem()
        if item is None:
            return False
        old = item.data(_NAME_ROLE)
        new = self._clean(name)
        problem = None
        if not new:
            problem = self.tr("A preset needs a name.")
        elif new != old and new in self.names():
            problem = self.tr("There is already a preset named “%1”.").replace("%1", new)
        self.list.blockSignals(True)
        item.setText(old if problem else new)
        if not problem:
            item.setData(_NAME_ROLE, new)
        self.list.blockSignals(False)
        if problem:
            self.message.emit(problem)
            return False
        default = self.default_name()
        self._refresh_defaults(new if default == old else default)
        self.changed.emit()
        return True

    def delete_current(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        default = self.default_name()
        removed = self.list.takeItem(row)
        gone = removed.data(_NAME_ROLE) if removed is not None else None
        self._refresh_defaults("" if default == gone else default)
        self._show_current()
        self.changed.emit()

    def _add_clicked(self) -> None:
        item = self.add_preset()
        self.list.editItem(item)  # the person names it straight away

    def _rename_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def _item_edited(self, item: QListWidgetItem) -> None:
        """A name typed in the list: accepted, or put back with a message."""
        if item.text() == item.data(_NAME_ROLE):
            return
        if item is not self.list.currentItem():
            self.list.setCurrentItem(item)
        self.rename_current(item.text())

    @staticmethod
    def _clean(name: str) -> str:
        return " ".join(name.split())[:PRESET_NAME_LIMIT]

    # -- the text ------------------------------------------------------------------------

    def _show_current(self, *_: object) -> None:
        item = self.list.currentItem()
        self.text.blockSignals(True)
        self.text.setPlainText(item.data(_TEXT_ROLE) if item is not None else "")
        self.text.blockSignals(False)
        self.text.setEnabled(item is not None)
        self.rename_button.setEnabled(item is not None)
        self.delete_button.setEnabled(item is not None)

    def _text_edited(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.blockSignals(True)
            item.setData(_TEXT_ROLE, self.text.toPlainText())
            self.list.blockSignals(False)
            self.changed.emit()

    def apply_to(self, settings: Settings) -> Settings:
        return replace(
            settings, system_prompt_presets=self.presets(), default_preset=self.default_name()
        )


# ---- appearance and language -----------------------------------------------------------


class AppearancePage(SettingsPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language_combo = QComboBox()
        self.language_combo.addItem(self.tr("System default"), "system")
        # Each language is named in itself, so a person can find theirs in any language.
        self.language_combo.addItem("简体中文", "zh_CN")
        self.language_combo.addItem("English", "en")
        self.language_hint = _hint(
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
            if not _select_data(combo, value):
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
        self.token_status = _hint()
        self.remove_token_button = QPushButton(self.tr("Remove Token"))
        self.remove_token_button.clicked.connect(self.remove_token)

        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.remove_token_button)
        form = QFormLayout(self)
        form.addRow(self.tr("Hub address:"), self.endpoint_edit)
        form.addRow(
            "",
            _hint(
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
            _hint(
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
            _hint(
                self.tr(
                    "Your chats, documents and downloaded models are kept here, on this "
                    "computer only."
                )
            ),
        )
        form.addRow(self.tr("Log file:"), self._row(self.log_label, self.open_log_button))
        form.addRow(
            "", _hint(self.tr("What the model engine reported; useful when a model fails to load."))
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
    ) -> None:
        """``tokens``: the store of the Hub token (the system keyring unless given: share
        the window's, so a token kept for the session only reaches the downloads).
        ``opener`` opens folders and files (QDesktopServices.openUrl unless given)."""
        super().__init__(parent)
        self.services = services
        self.tokens = tokens if tokens is not None else TokenStore()
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumSize(QSize(720, 480))

        self.models_page = ModelsPage(services)
        self.sampling_page = SamplingPage()
        self.presets_page = PresetsPage()
        self.appearance_page = AppearancePage()
        self.hub_page = HubPage(services, self.tokens)
        self.data_page = DataPage(services, opener or QDesktopServices.openUrl)
        self.pages: list[tuple[str, SettingsPage]] = [
            (self.tr("Models"), self.models_page),
            (self.tr("Sampling"), self.sampling_page),
            (self.tr("System Prompts"), self.presets_page),
            (self.tr("Appearance & Language"), self.appearance_page),
            (self.tr("Model Hub"), self.hub_page),
            (self.tr("Data"), self.data_page),
        ]

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
            text = text.replace("%1", _number(edited.sampling.max_tokens))
            return text.replace("%2", _number(edited.engine.n_ctx)), self.sampling_page.max_tokens
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
