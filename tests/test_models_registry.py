"""Installed models: registry, import, removal, Hugging Face cache, defaults, and switching
the model a real engine has loaded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.engine.client import EngineClient
from core.engine.errors import ModelFileError
from core.engine.protocol import LoadOptions
from core.models.errors import RegistryError, WontFit
from core.models.fit import FitAdvisor, SystemMemory
from core.models.registry import ModelRegistry, default_hf_cache
from core.models.switching import ModelSwitcher
from core.paths import AppPaths
from core.settings import SettingsStore
from tests.hub_server import BERT_LIKE, gguf_bytes


@pytest.fixture
def paths(fireside_home: Path) -> AppPaths:
    return AppPaths.from_env().ensure()


def _downloaded(paths: AppPaths, name: str, n_floats: int = 50_000) -> Path:
    target = paths.models_dir / "acme" / "Tiny-GGUF" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gguf_bytes(n_floats))
    return target


def test_models_in_the_models_folder_are_found_and_removal_reclaims_space(
    paths: AppPaths,
) -> None:
    target = _downloaded(paths, "tiny-Q4_K_M.gguf")
    registry = ModelRegistry(paths)
    (model,) = registry.models()
    assert (model.id, model.source, model.kind) == ("tiny-q4_k_m", "downloaded", "chat")
    assert model.repo == "acme/Tiny-GGUF" and model.quantization == "Q4_K_M"
    assert model.size == target.stat().st_size
    removal = registry.remove(model.id)
    assert removal.deleted and removal.freed == model.size
    assert not target.exists()
    assert not (paths.models_dir / "acme").exists()  # empty folders go too
    assert registry.models() == []
    with pytest.raises(RegistryError) as info:
        registry.remove(model.id)
    assert info.value.code == "models_unknown_id"


def test_split_parts_are_one_model_and_incomplete_sets_are_not_listed(paths: AppPaths) -> None:
    for i in (1, 2):
        _downloaded(paths, f"big-Q8_0-0000{i}-of-00003.gguf")
    registry = ModelRegistry(paths)
    assert registry.models() == []  # part 3 is missing
    third = _downloaded(paths, "big-Q8_0-00003-of-00003.gguf")
    (model,) = registry.models()
    assert model.id == "big-q8_0" and len(model.files) == 3
    assert model.size == 3 * third.stat().st_size
    assert registry.remove(model.id).freed == model.size


def test_import_uses_the_file_where_it_is_and_removal_never_deletes_it(
    paths: AppPaths, gemma_path: Path, tmp_path: Path
) -> None:
    registry = ModelRegistry(paths)
    model = registry.import_file(gemma_path)
    assert model.source == "imported" and model.kind == "chat"
    assert model.quantization == "Q4_K_M" and model.architecture == "gemma3"
    assert model.path == str(gemma_path.resolve())
    assert registry.import_file(gemma_path) == model  # importing twice changes nothing
    bert = tmp_path / "mini-embed-Q8_0.gguf"
    bert.write_bytes(gguf_bytes(1000, BERT_LIKE))
    assert registry.import_file(bert).kind == "embedding"
    removal = registry.remove(model.id)
    assert not removal.deleted and removal.freed == 0
    assert gemma_path.exists()


def test_import_refuses_what_is_not_a_model(paths: AppPaths, tmp_path: Path) -> None:
    registry = ModelRegistry(paths)
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(ModelFileError) as info:
        registry.import_file(text)
    assert info.value.code == "model_not_gguf"
    with pytest.raises(ModelFileError):
        registry.import_file(tmp_path / "missing.gguf")
    first = tmp_path / "m-Q8_0-00001-of-00002.gguf"
    first.write_bytes(gguf_bytes(100))
    with pytest.raises(RegistryError) as rinfo:
        registry.import_file(first)
    assert rinfo.value.code == "models_import_incomplete"
    assert registry.models() == []


def test_models_in_the_hugging_face_cache_are_found_and_only_forgotten(
    paths: AppPaths, tmp_path: Path
) -> None:
    cache = tmp_path / "hf" / "hub"
    repo = cache / "models--Qwen--Qwen2.5-0.5B-Instruct-GGUF"
    blob = repo / "blobs" / ("ab" * 32)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(gguf_bytes(1000))
    snapshot = repo / "snapshots" / ("c" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "qwen2.5-0.5b-instruct-q4_k_m.gguf").symlink_to(os.path.relpath(blob, snapshot))
    assert default_hf_cache({"HF_HUB_CACHE": str(cache)}) == cache
    assert default_hf_cache({"HF_HOME": str(tmp_path / "hf")}) == cache
    registry = ModelRegistry(paths, hf_cache_dir=cache)
    (model,) = registry.models()
    assert model.source == "hf_cache" and model.repo == "Qwen/Qwen2.5-0.5B-Instruct-GGUF"
    assert model.id == "qwen2.5-0.5b-instruct-q4_k_m"
    removal = registry.remove(model.id)
    assert not removal.deleted and blob.exists()
    assert registry.models() == []  # and it is not found again


def test_a_damaged_registry_is_set_aside_and_rebuilt(paths: AppPaths) -> None:
    _downloaded(paths, "tiny-Q4_K_M.gguf")
    registry = ModelRegistry(paths)
    assert len(registry.models()) == 1
    registry.file.write_text("{ this is not json")
    again = ModelRegistry(paths)
    (model,) = again.models()
    assert model.id == "tiny-q4_k_m"
    assert again.recovered_from is not None
    assert again.recovered_from.read_text() == "{ this is not json"
    saved = json.loads(again.file.read_text())
    assert saved["schema_version"] == 1 and len(saved["models"]) == 1


def test_files_deleted_behind_our_back_leave_the_list(paths: AppPaths) -> None:
    target = _downloaded(paths, "tiny-Q4_K_M.gguf")
    registry = ModelRegistry(paths)
    assert len(registry.models()) == 1
    target.unlink()
    assert registry.models() == []


def test_removal_never_deletes_outside_the_models_folder(paths: AppPaths, tmp_path: Path) -> None:
    _downloaded(paths, "tiny-Q4_K_M.gguf")
    registry = ModelRegistry(paths)
    registry.models()
    outside = tmp_path / "precious-Q4_K_M.gguf"
    outside.write_bytes(gguf_bytes(100))
    raw = json.loads(registry.file.read_text())
    raw["models"][0]["path"] = str(outside)
    raw["models"][0]["files"] = [str(outside)]
    registry.file.write_text(json.dumps(raw))
    assert registry.remove("tiny-q4_k_m").freed == 0
    assert outside.exists()


def test_defaults_are_kept_in_settings(paths: AppPaths, tmp_path: Path) -> None:
    _downloaded(paths, "tiny-Q4_K_M.gguf")
    bert = tmp_path / "mini-embed-Q8_0.gguf"
    bert.write_bytes(gguf_bytes(1000, BERT_LIKE))
    registry = ModelRegistry(paths)
    store = SettingsStore(paths.settings_file)
    switcher = ModelSwitcher(registry, store)
    embed = registry.import_file(bert)
    switcher.use("tiny-q4_k_m")
    switcher.use(embed.id)
    settings = store.load()
    assert (settings.chat_model, settings.embedding_model) == ("tiny-q4_k_m", embed.id)
    assert switcher.default("chat") is not None
    with pytest.raises(RegistryError):
        switcher.use("no-such-model")
    registry.remove("tiny-q4_k_m")
    switcher.forget("tiny-q4_k_m")
    assert store.load().chat_model is None and store.load().embedding_model == embed.id


@pytest.mark.qwen
def test_switching_the_loaded_model_without_restarting(
    paths: AppPaths, gemma_path: Path, qwen_path: Path, fresh_engine: EngineClient
) -> None:
    registry = ModelRegistry(paths)
    store = SettingsStore(paths.settings_file)
    switcher = ModelSwitcher(registry, store)
    gemma = registry.import_file(gemma_path)
    qwen = registry.import_file(qwen_path)
    options = LoadOptions(n_ctx=512)
    info = switcher.switch(fresh_engine, gemma.id, options)
    pid = fresh_engine.pid
    assert info.architecture == "gemma3"
    info = switcher.switch(fresh_engine, qwen.id, options)
    assert info.architecture == "qwen2"
    assert fresh_engine.pid == pid  # the same engine process: no restart
    assert fresh_engine.models["chat"].path == qwen.path
    assert store.load().chat_model == qwen.id


def test_a_model_that_cannot_fit_is_refused_before_loading(
    paths: AppPaths, gemma_path: Path, fresh_engine: EngineClient
) -> None:
    registry = ModelRegistry(paths)
    small = SystemMemory(total=256 << 20, available=128 << 20)
    switcher = ModelSwitcher(
        registry, SettingsStore(paths.settings_file), FitAdvisor(lambda: small)
    )
    gemma = registry.import_file(gemma_path)
    with pytest.raises(WontFit) as info:
        switcher.switch(fresh_engine, gemma.id, LoadOptions(n_ctx=512))
    assert str(info.value).endswith("this computer has 134.2 MB free")
    assert not fresh_engine.alive  # never started: nothing was loaded
    assert SettingsStore(paths.settings_file).load().chat_model is None
