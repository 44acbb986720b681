"""Paths follow FIRESIDE_HOME; settings migrate, round-trip, and survive a damaged file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.paths import AppPaths
from core.settings import SCHEMA_VERSION, Settings, SettingsStore, migrate


def test_fireside_home_moves_everything(fireside_home: Path) -> None:
    paths = AppPaths.from_env().ensure()
    for folder in (paths.config_dir, paths.data_dir, paths.cache_dir, paths.log_dir):
        assert folder.is_dir()
        assert folder.is_relative_to(fireside_home)
    assert paths.models_dir.is_relative_to(fireside_home)
    assert paths.engine_log.is_relative_to(fireside_home)


def test_without_fireside_home_platform_folders_are_used() -> None:
    paths = AppPaths.from_env({})
    assert "Fireside" in str(paths.data_dir)
    assert paths.config_dir != paths.data_dir or "Fireside" in str(paths.config_dir)


def test_round_trip(fireside_home: Path) -> None:
    store = SettingsStore(AppPaths.from_env().settings_file)
    assert store.load() == Settings()  # no file yet: defaults
    changed = Settings(language="zh_CN", system_prompt="请用中文回答。")
    store.save(changed)
    raw = json.loads(store.path.read_text(encoding="utf-8"))
    assert raw["schema_version"] == SCHEMA_VERSION
    assert "请用中文回答" in store.path.read_text(encoding="utf-8")
    assert SettingsStore(store.path).load() == changed


def test_old_schema_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"n_ctx": 8192, "n_threads": 3, "language": "zh"}))
    settings = SettingsStore(path).load()
    assert settings.engine.n_ctx == 8192
    assert settings.engine.n_threads == 3
    assert settings.language == "zh_CN"


def test_migrate_refuses_a_newer_schema() -> None:
    with pytest.raises(ValueError):
        migrate({"schema_version": SCHEMA_VERSION + 1})


def test_damaged_file_is_set_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{ not json", encoding="utf-8")
    store = SettingsStore(path)
    assert store.load() == Settings()
    assert store.recovered_from is not None
    assert store.recovered_from.read_text(encoding="utf-8") == "{ not json"
    assert not path.exists()


def test_wrong_types_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "theme": 5,
                                "engine": {"n_ctx": "big", "n_batch": 256},
                                "sampling": {"temperature": 1}}))  # fmt: skip
    settings = SettingsStore(path).load()
    assert settings.theme == "system"
    assert settings.engine.n_ctx == Settings().engine.n_ctx
    assert settings.engine.n_batch == 256
    assert settings.sampling.temperature == 1.0
