"""Settings → Device applies to the embedding model and the reranker, not only to the chat
model (issue 15): what the engine is asked to load them with, shown on the CPU build (the
choices reach the engine; a change of device loads them again, the same one does not).
Where they then run on a GPU is tested on lavapipe in tests/test_gpu_offload.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from core.engine.client import EngineClient
from core.engine.protocol import DeviceChoice, GpuLayers, LoadOptions, ModelSlot
from core.knowledge.embedder import Embedder
from core.knowledge.rerank import Reranker
from core.models.switching import device_choice, engine_load_options
from core.settings import EngineSettings
from desktop.window.services import AppServices
from tests.reranker_files import minilm_as_reranker


@pytest.mark.parametrize(
    ("device", "layers", "slot", "expected"),
    [
        ("auto", "auto", "embedding", ("auto", None)),
        ("auto", 12, "chat", (12, None)),
        ("auto", 12, "embedding", ("auto", None)),  # the number is the chat model's
        ("auto", 0, "reranker", (0, None)),  # none on the GPU: none for any model
        ("cpu", 12, "chat", (0, None)),
        ("cpu", "auto", "embedding", (0, None)),
        ("cpu", "auto", "reranker", (0, None)),
        ("Vulkan1", 12, "chat", (12, "Vulkan1")),
        ("Vulkan1", 12, "embedding", ("auto", "Vulkan1")),
        ("Vulkan1", 12, "reranker", ("auto", "Vulkan1")),
    ],
)  # fmt: skip
def test_each_model_is_asked_to_run_where_the_settings_say(
    device: str, layers: GpuLayers, slot: ModelSlot, expected: tuple[GpuLayers, str | None]
) -> None:
    engine = EngineSettings(device=device, gpu_layers=layers)
    assert device_choice(engine, slot) == DeviceChoice(*expected)
    if slot == "chat":  # the chat model's loader asks the same
        assert engine_load_options(engine).device_choice == DeviceChoice(*expected)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineClient]:
    client = EngineClient(log_path=tmp_path_factory.mktemp("devices") / "engine.log")
    yield client
    client.close()


CPU_ONLY = EngineSettings(device="cpu", gpu_layers=12)
ELSEWHERE = EngineSettings(device="Vulkan7", gpu_layers=12)  # a device this build lacks


def test_the_embedder_loads_on_the_chosen_device_and_again_when_it_changes(
    engine: EngineClient, minilm_path: Path
) -> None:
    embedder = Embedder(engine, minilm_path, n_threads=1,
                        device=device_choice(CPU_ONLY, "embedding"))  # fmt: skip
    info = embedder.ensure_loaded()
    assert (info.gpu_layers, info.device) == (0, "CPU")
    loaded = engine.loaded_options("embedding")
    assert loaded is not None and loaded.device_choice == DeviceChoice(0, None)
    same = Embedder(engine, minilm_path, n_threads=1,
                    device=device_choice(CPU_ONLY, "embedding"))  # fmt: skip
    assert same.ensure_loaded() is info  # nothing loaded again
    moved = Embedder(engine, minilm_path, n_threads=1,
                     device=device_choice(ELSEWHERE, "embedding"))  # fmt: skip
    again = moved.ensure_loaded()
    assert again is not info
    loaded = engine.loaded_options("embedding")
    assert loaded is not None and loaded.device_choice == DeviceChoice("auto", "Vulkan7")
    # A device the engine does not have counts as no choice: here, the CPU.
    assert again.device == "CPU" and len(moved.embed(["a lighthouse"])[0]) == 384


def test_the_reranker_loads_on_the_chosen_device_and_again_when_it_changes(
    engine: EngineClient,
) -> None:
    path = minilm_as_reranker()
    first = Reranker(engine, path, n_ctx=512, n_threads=1,
                     device=device_choice(CPU_ONLY, "reranker"))  # fmt: skip
    info = first.ensure_loaded()
    loaded = engine.loaded_options("reranker")
    assert loaded is not None and loaded.device_choice == DeviceChoice(0, None)
    assert (info.gpu_layers, info.device) == (0, "CPU")
    moved = Reranker(engine, path, n_ctx=512, n_threads=1,
                     device=device_choice(ELSEWHERE, "reranker"))  # fmt: skip
    assert moved.ensure_loaded() is not info
    loaded = engine.loaded_options("reranker")
    assert loaded is not None and loaded.device_choice == DeviceChoice("auto", "Vulkan7")
    assert len(moved.scores("a question", ["a passage", "another"])) == 2


def test_the_model_manager_loads_an_embedding_model_on_the_chosen_device(
    services: AppServices, minilm_path: Path
) -> None:
    model = services.registry.import_file(minilm_path)
    assert model.kind == "embedding"
    engine = replace(services.settings.engine, device="cpu", gpu_layers=12)
    services.settings_store.save(replace(services.settings, engine=engine))
    info = services.switcher.switch(services.client, model.id)
    loaded = services.client.loaded_options("embedding")
    assert loaded is not None and loaded.device_choice == DeviceChoice(0, None)
    assert (loaded.n_ctx, info.device) == (512, "CPU")
    assert loaded == LoadOptions(n_ctx=512, n_threads=1, gpu_layers=0)
