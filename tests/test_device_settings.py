"""Device and GPU layers in the settings (issue 15): stored in ``EngineSettings``, a bad
value in the file said in one line and replaced by Auto, turned into ``LoadOptions`` by the
window's model loader (driven without a window, over a real engine), and chosen on the
Settings dialog's Device page (Qt offscreen)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.engine.protocol import DeviceInfo, LoadOptions, Ready
from core.i18n import Translator
from core.models.switching import engine_load_options
from core.settings import EngineSettings, Settings, SettingsStore
from desktop.settings.device import AUTO_LAYERS
from desktop.settings.dialog import SettingsDialog
from desktop.window.model_loader import ModelLoader
from desktop.window.services import AppServices
from desktop.window.workers import JobRunner

GIB = 1 << 30
LOAD_MS = 120_000


def _write(path: Path, engine: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema_version": 3, "engine": engine}), encoding="utf-8")


def test_device_and_gpu_layers_are_stored_and_read_back(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    engine = EngineSettings(n_ctx=2048, device="Vulkan1", gpu_layers=12)
    store.save(Settings(engine=engine))
    again = store.load()
    assert again.engine == engine and store.notice(Translator("en")) is None
    store.save(Settings(engine=EngineSettings(device="cpu", gpu_layers="auto")))
    assert (store.load().engine.device, store.load().engine.gpu_layers) == ("cpu", "auto")


@pytest.mark.parametrize(
    ("written", "shown"),
    [({"gpu_layers": -3}, "-3"), ({"gpu_layers": "many"}, '"many"'),
     ({"gpu_layers": True}, "true"), ({"device": 7}, "7"), ({"device": " "}, '" "')],
)  # fmt: skip
def test_a_bad_value_in_the_file_falls_back_to_auto_with_one_line(
    tmp_path: Path, written: dict[str, object], shown: str
) -> None:
    path = tmp_path / "settings.json"
    _write(path, {"n_ctx": 8192, **written})
    store = SettingsStore(path)
    settings = store.load()
    assert (settings.engine.device, settings.engine.gpu_layers) == ("auto", "auto")
    assert settings.engine.n_ctx == 8192  # the rest of the file is kept
    assert store.recovered_from is None and path.exists()  # nothing set aside
    name = f"engine.{next(iter(written))}"
    english = store.notice(Translator("en"))
    assert english is not None and "\n" not in english
    assert name in english and shown in english and "Auto is used" in english
    chinese = store.notice(Translator("zh_CN"))
    assert chinese is not None and name in chinese and "自动" in chinese


def test_the_engine_settings_become_load_options() -> None:
    base = EngineSettings(n_ctx=2048, n_threads=1)
    assert engine_load_options(base) == LoadOptions(n_ctx=2048, n_threads=1)
    assert engine_load_options(replace(base, gpu_layers=12)).gpu_layers == 12
    cpu = engine_load_options(replace(base, device="cpu", gpu_layers=12))
    assert (cpu.gpu_layers, cpu.device) == (0, None)
    chosen = engine_load_options(replace(base, device="Vulkan1"))
    assert (chosen.gpu_layers, chosen.device) == ("auto", "Vulkan1")


@pytest.fixture
def lane(qtbot: QtBot) -> Iterator[JobRunner]:
    runner = JobRunner(name="engine")
    yield runner
    runner.shutdown()


def test_the_model_loader_loads_where_the_settings_say(
    qtbot: QtBot, services: AppServices, lane: JobRunner, gemma_path: Path
) -> None:
    """Without a window: the device settings reach the engine, a change of them loads the
    model again, and a device this engine does not have (a file from another computer)
    still loads, on what the engine has."""
    services.registry.import_file(gemma_path)
    loader = ModelLoader(services, lane)
    default = loader.default_model()
    assert default is not None
    old = services.settings
    cpu_only = replace(old, engine=replace(old.engine, device="cpu", gpu_layers=8))
    services.update_settings(cpu_only)
    with qtbot.waitSignal(loader.loaded, timeout=LOAD_MS) as loaded:
        loader.load(default.path)
    assert loader.options().gpu_layers == 0
    assert (loaded.args[0].gpu_layers, loaded.args[0].device) == (0, "CPU")

    elsewhere = replace(old, engine=replace(old.engine, device="CUDA3", gpu_layers="auto"))
    services.update_settings(elsewhere)
    with qtbot.waitSignal(loader.loaded, timeout=LOAD_MS) as reloaded:
        assert loader.settings_changed(cpu_only, elsewhere) is not None
    assert loader.options().device == "CUDA3"
    ready = services.client.ready
    assert ready is not None
    gpus = ready.gpus
    info = reloaded.args[0]
    assert info.device == (gpus[0].name if gpus else "CPU")


def _ready(*gpus: DeviceInfo) -> Ready:
    cpu = DeviceInfo("CPU", "the processor", "cpu", free=8 * GIB, total=16 * GIB)
    return Ready(pid=1, llama_cpp_version="0", system_info="", gpu_offload=bool(gpus),
                 devices=(cpu, *gpus))  # fmt: skip


@pytest.fixture
def dialog(qtbot: QtBot, services: AppServices) -> Iterator[SettingsDialog]:
    dlg = SettingsDialog(services)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.models_page.loaded, timeout=10_000)
    yield dlg
    if dlg.isVisible():
        dlg.reject()


def test_the_device_page_lists_the_engines_gpus_and_saves_the_choice(
    dialog: SettingsDialog, services: AppServices
) -> None:
    page = dialog.device_page
    dialog.show_section(page)
    assert page.isVisible()
    combo, spin = page.device_combo, page.layers_spin
    assert [combo.itemData(i) for i in range(combo.count())] == ["auto", "cpu"]
    assert spin.value() == AUTO_LAYERS and spin.text() == "Auto"
    page.show_devices(_ready())  # a CPU build's greeting
    assert "no GPU backend" in page.device_hint.text()

    # A computer with two GPUs (the engine's greeting, simulated: this one has none).
    radeon = DeviceInfo("Vulkan0", "Radeon", "gpu", 6 * GIB, 8 * GIB)
    page.show_devices(_ready(radeon, DeviceInfo("Vulkan1", "GeForce", "gpu", 11 * GIB, 12 * GIB)))
    assert [combo.itemData(i) for i in range(combo.count())] == [
        "auto", "cpu", "Vulkan0", "Vulkan1"]  # fmt: skip
    assert "GeForce" in combo.itemText(3) and "Vulkan0" in page.device_hint.text()
    combo.setCurrentIndex(1)
    assert not spin.isEnabled()  # CPU only: no layers to give
    combo.setCurrentIndex(3)
    assert spin.isEnabled() and dialog.apply_button.isEnabled()
    spin.setValue(12)
    assert dialog.apply()
    saved = SettingsStore(services.paths.settings_file).load()
    assert (saved.engine.device, saved.engine.gpu_layers) == ("Vulkan1", 12)
    assert services.settings.engine == saved.engine

    spin.setValue(AUTO_LAYERS)
    assert dialog.apply()
    assert SettingsStore(services.paths.settings_file).load().engine.gpu_layers == "auto"


def test_a_stored_device_the_engine_does_not_list_stays_chosen(
    qtbot: QtBot, services: AppServices
) -> None:
    services.update_settings(
        replace(services.settings, engine=replace(services.settings.engine, device="CUDA3"))
    )
    dlg = SettingsDialog(services)
    qtbot.addWidget(dlg)
    combo = dlg.device_page.device_combo
    assert combo.currentData() == "CUDA3" and "not found" in combo.currentText()
    assert dlg.edited_settings() == services.settings  # opening changes nothing
    assert not dlg.apply_button.isEnabled()
    dlg.reject()


def test_the_window_says_a_bad_device_value_once_at_the_start(
    qtbot: QtBot, fireside_home: Path, engine_log: Path
) -> None:
    from core.engine.client import EngineClient
    from core.paths import AppPaths
    from desktop.window.app import show_start_notices
    from desktop.window.main_window import MainWindow

    paths = AppPaths.from_env().ensure()
    _write(paths.settings_file, {"gpu_layers": -1, "n_ctx": 2048})
    services = AppServices(paths, EngineClient(log_path=engine_log))
    try:
        assert services.settings.engine.gpu_layers == "auto"
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        notices = show_start_notices(window, services)
        assert len(notices) == 1 and "engine.gpu_layers" in notices[0]
        assert window.error_bar.isVisible()
        window.close()
    finally:
        services.close()
