"""The settings pages about running models: which chat and embedding model, the engine's
context, threads and batch (ModelsPage), and how replies are sampled (SamplingPage).

The installed models are read off the GUI thread (the registry checks the disk and may scan
the Hugging Face cache), so the model lists fill in a moment after the dialog opens.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.engine.threads import physical_cores
from core.models.registry import InstalledModel
from core.models.units import human_size
from core.settings import EngineSettings, SamplingSettings, Settings
from desktop.settings.page import SettingsPage, format_number, hint_label, select_data
from desktop.window.messages import base_model_hint
from desktop.window.services import AppServices

CONTEXT_SIZES: Final = (2048, 4096, 8192, 16384, 32768, 65536, 131072)

# ---- models ----------------------------------------------------------------------------


class ModelsPage(SettingsPage):
    """The default chat and embedding models and how the engine runs them."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.loaded = False  # True once the installed models have been read
        self._models: dict[str, InstalledModel] = {}

        self.status = hint_label(self.tr("Reading the installed models…"))
        self.chat_combo = QComboBox()
        self.embedding_combo = QComboBox()
        for combo in (self.chat_combo, self.embedding_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(28)
        self.context_combo = QComboBox()
        self.context_hint = hint_label()
        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(0, max(os.cpu_count() or 1, physical_cores()))
        cores = physical_cores()
        self.threads_spin.setSpecialValueText(
            self.tr("Automatic (%1)").replace("%1", format_number(cores))
        )
        self.threads_hint = hint_label(
            self.tr(
                "Automatic uses one thread per physical core (%1 on this computer), "
                "which is usually fastest."
            ).replace("%1", format_number(cores))
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
            hint_label(
                self.tr("The embedding model indexes your documents for the knowledge panel.")
            ),
        )
        self.remember_collections = QCheckBox(
            self.tr("New chats use the collections I chose last (“Use in this chat”)")
        )
        form.addRow("", self.remember_collections)
        self.ocr_check = QCheckBox(self.tr("Recognise text in scanned pages and images (OCR)"))
        form.addRow("", self.ocr_check)
        form.addRow(
            "",
            hint_label(
                self.tr(
                    "Recognition runs on this computer, a few seconds per page. Turned off, "
                    "images and PDF pages without text are not indexed."
                )
            ),
        )
        form.addRow(self.tr("Context size:"), self.context_combo)
        form.addRow("", self.context_hint)
        form.addRow(self.tr("Threads:"), self.threads_spin)
        form.addRow("", self.threads_hint)
        form.addRow(self.tr("Batch size:"), self.batch_spin)
        form.addRow(
            "",
            hint_label(
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
        self.remember_collections.toggled.connect(self.changed)
        self.ocr_check.toggled.connect(self.changed)
        for spin in (self.threads_spin, self.batch_spin):
            spin.valueChanged.connect(self.changed)

    # -- filling -------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self._fill_models(settings.chat_model, settings.embedding_model)
        self.remember_collections.setChecked(settings.remember_collections)
        self.ocr_check.setChecked(settings.knowledge.ocr)
        self.context_combo.blockSignals(True)
        self.context_combo.clear()
        current = settings.engine.n_ctx
        low, high = CONTEXT_SIZES[0], CONTEXT_SIZES[-1]
        sizes = sorted({*CONTEXT_SIZES, current} if low <= current <= high else CONTEXT_SIZES)
        for size in sizes:
            self.context_combo.addItem(
                self.tr("%1 tokens").replace("%1", format_number(size)), size
            )
        if not select_data(self.context_combo, current):  # out of range: the nearest
            nearest = min(sizes, key=lambda s: abs(s - current))
            select_data(self.context_combo, nearest)
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
                if model.is_base_model:
                    combo.setItemData(combo.count() - 1, base_model_hint(),
                                      Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        if chosen and combo.findData(chosen) < 0:
            # Not read yet, or not installed any more: kept as it is until changed.
            missing = self.tr("%1 (not installed)").replace("%1", chosen)
            combo.addItem(missing if self.loaded else chosen, chosen)
        select_data(combo, chosen)
        combo.blockSignals(False)

    def _describe(self, model: InstalledModel) -> str:
        parts = [model.name]
        if model.quantization:
            parts.append(model.quantization)
        parts.append(human_size(model.size))
        if model.is_base_model:
            parts.append(self.tr("base model"))
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
        self.context_hint.setText(text.replace("%1", name).replace("%2", format_number(trained)))

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
            remember_collections=self.remember_collections.isChecked(),
            knowledge=replace(settings.knowledge, ocr=self.ocr_check.isChecked()),
        )

    def set_context(self, n_ctx: int) -> None:
        select_data(self.context_combo, n_ctx)


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
        column.addWidget(hint_label(self.tr("These apply to every chat from its next reply.")))
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
