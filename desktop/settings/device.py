"""The settings page about where models run: Device (Auto, CPU only, or one GPU the engine
reported) and GPU layers (Auto or a number).

The devices are the running engine's (its greeting, ``Ready``): only the engine process
loads llama.cpp, so the page lists what that build found and never probes on its own. A
device stored in the settings that the engine does not list now (another computer, a CPU
build) stays chosen and is marked, so opening Settings never changes it silently.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from PySide6.QtWidgets import QComboBox, QFormLayout, QSpinBox, QWidget

from core.engine.protocol import DeviceInfo, Ready
from core.models.units import human_size
from core.settings import AUTO, CPU_ONLY, Settings
from desktop.settings.page import SettingsPage, hint_label, select_data

AUTO_LAYERS: Final = -1  # the spin box's special value: "Auto"
MAX_LAYERS: Final = 999


class DevicePage(SettingsPage):
    """Device and GPU layers, stored in ``EngineSettings.device`` / ``gpu_layers``."""

    def __init__(self, ready: Ready | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ready = ready
        self.device_combo = QComboBox()
        self.device_hint = hint_label()
        self.layers_spin = QSpinBox()
        self.layers_spin.setRange(AUTO_LAYERS, MAX_LAYERS)
        self.layers_spin.setSpecialValueText(self.tr("Auto"))
        self.layers_hint = hint_label(
            self.tr(
                "Auto puts as many layers on the GPU as its free memory holds; a number puts "
                "that many there (0: none), fewer if they do not fit."
            )
        )
        form = QFormLayout(self)
        form.addRow(self.tr("Device:"), self.device_combo)
        form.addRow("", self.device_hint)
        form.addRow(self.tr("GPU layers:"), self.layers_spin)
        form.addRow("", self.layers_hint)
        self._fill(AUTO)
        self.device_combo.currentIndexChanged.connect(self._device_changed)
        self.device_combo.currentIndexChanged.connect(self.changed)
        self.layers_spin.valueChanged.connect(self.changed)

    # -- filling -------------------------------------------------------------------------

    def show_devices(self, ready: Ready | None) -> None:
        """The engine's devices (its greeting), keeping the choice made so far."""
        self.ready = ready
        self._fill(self.device_combo.currentData() or AUTO)

    def _gpus(self) -> tuple[DeviceInfo, ...]:
        return self.ready.gpus if self.ready is not None else ()

    def _fill(self, chosen: str) -> None:
        combo = self.device_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(self.tr("Auto"), AUTO)
        combo.addItem(self.tr("CPU only"), CPU_ONLY)
        for gpu in self._gpus():
            memory = (self.tr("%1 free of %2").replace("%1", human_size(gpu.free))
                      .replace("%2", human_size(gpu.total)))  # fmt: skip
            combo.addItem(f"{gpu.name} · {gpu.description} · {memory}", gpu.name)
        if combo.findData(chosen) < 0:
            combo.addItem(self.tr("%1 (not found by the engine)").replace("%1", chosen), chosen)
        select_data(combo, chosen)
        combo.blockSignals(False)
        self._device_changed()

    def _device_changed(self) -> None:
        device = self.device_combo.currentData()
        self.layers_spin.setEnabled(device != CPU_ONLY)
        gpus = self._gpus()
        if self.ready is None:
            text = self.tr("The engine's devices are listed here once it has started.")
        elif not gpus:
            text = self.tr("This llama.cpp build has no GPU backend: models run on the CPU.")
        elif device == CPU_ONLY:
            text = self.tr("Models run on the CPU; the GPU is left alone.")
        elif device == AUTO:
            text = self.tr("Auto uses %1.").replace("%1", gpus[0].name)
        else:
            text = self.tr("The whole model goes to %1.").replace("%1", str(device))
        self.device_hint.setText(text)

    def load(self, settings: Settings) -> None:
        self._fill(settings.engine.device)
        layers = settings.engine.gpu_layers
        self.layers_spin.setValue(AUTO_LAYERS if layers == AUTO else min(int(layers), MAX_LAYERS))

    # -- reading back --------------------------------------------------------------------

    def apply_to(self, settings: Settings) -> Settings:
        device = str(self.device_combo.currentData() or AUTO)
        value = self.layers_spin.value()
        engine = replace(
            settings.engine, device=device, gpu_layers=AUTO if value == AUTO_LAYERS else value
        )
        return replace(settings, engine=engine)
