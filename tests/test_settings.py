"""Paths follow FIRESIDE_HOME; settings migrate, round-trip, and survive a damaged file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.paths import AppPaths
from core.settings import (
    DEFAULT_PRESETS,
    SCHEMA_VERSION,
    Settings,
    SettingsStore,
    SystemPromptPreset,
    migrate,
)


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
    presets = (SystemPromptPreset("简洁", "请用中文回答。"), SystemPromptPreset("Code", ""))
    changed = Settings(language="zh_CN", system_prompt_presets=presets, default_preset="简洁")
    store.save(changed)
    raw = json.loads(store.path.read_text(encoding="utf-8"))
    assert raw["schema_version"] == SCHEMA_VERSION
    assert raw["system_prompt_presets"][0] == {"name": "简洁", "text": "请用中文回答。"}
    assert "请用中文回答" in store.path.read_text(encoding="utf-8")
    loaded = SettingsStore(store.path).load()
    assert loaded == changed
    assert loaded.system_prompt == "请用中文回答。"


def test_new_install_ships_presets_and_no_default_prompt() -> None:
    settings = Settings()
    assert len(settings.system_prompt_presets) >= 2
    assert any("简体中文" in p.name for p in settings.system_prompt_presets)
    assert settings.default_preset == ""
    assert settings.system_prompt == ""  # new chats start without one until chosen


def test_v2_system_prompt_becomes_the_default_preset(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 2, "language": "en",
                                "system_prompt": "Be brief."}))  # fmt: skip
    settings = SettingsStore(path).load()
    assert settings.system_prompt_presets[0] == SystemPromptPreset("Default", "Be brief.")
    assert settings.system_prompt_presets[1:] == DEFAULT_PRESETS
    assert settings.default_preset == "Default"
    assert settings.system_prompt == "Be brief."
    assert settings.language == "en"


def test_v2_without_a_system_prompt_gets_the_shipped_presets() -> None:
    raw = migrate({"schema_version": 2, "system_prompt": "  "})
    settings = Settings.from_json(raw)
    assert settings.system_prompt_presets == DEFAULT_PRESETS
    assert settings.default_preset == ""
    assert "system_prompt" not in raw


def test_bad_preset_entries_are_ignored() -> None:
    raw = {"schema_version": SCHEMA_VERSION, "default_preset": "Kept",
           "system_prompt_presets": [
               {"name": "Kept", "text": "one"}, "not an object", {"name": 3, "text": "x"},
               {"name": "   ", "text": "blank name"}, {"name": "No text"},
               {"name": "Kept", "text": "a second preset of the same name"},
               {"name": " Trimmed ", "text": "two", "extra": True},
           ]}  # fmt: skip
    settings = Settings.from_json(migrate(raw))
    assert settings.system_prompt_presets == (
        SystemPromptPreset("Kept", "one"),
        SystemPromptPreset("Trimmed", "two"),
    )
    assert settings.system_prompt == "one"


def test_presets_of_the_wrong_shape_fall_back() -> None:
    not_a_list = Settings.from_json({"system_prompt_presets": {"name": "x", "text": "y"}})
    assert not_a_list.system_prompt_presets == DEFAULT_PRESETS
    emptied = Settings.from_json({"system_prompt_presets": []})
    assert emptied.system_prompt_presets == ()  # the person deleted them all: kept so
    missing = Settings.from_json({"default_preset": "Gone"})
    assert missing.default_preset == ""
    wrong_type = Settings.from_json({"default_preset": ["General assistant"]})
    assert wrong_type.default_preset == ""


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


def test_the_collections_used_last_are_kept_and_checked(fireside_home: Path) -> None:
    """ "Use in this chat" is remembered (on by default); a hand-edited list keeps only
    names."""
    assert Settings().remember_collections is True and Settings().last_collections == ()
    store = SettingsStore(AppPaths.from_env().settings_file)
    store.save(Settings(last_collections=("合同", "notes")))
    assert SettingsStore(store.path).load().last_collections == ("合同", "notes")
    raw = json.loads(store.path.read_text(encoding="utf-8"))
    raw["last_collections"] = ["notes", 5, None, "", "notes", {"a": 1}]
    raw["remember_collections"] = "yes"
    store.path.write_text(json.dumps(raw), encoding="utf-8")
    loaded = SettingsStore(store.path).load()
    assert loaded.last_collections == ("notes",)
    assert loaded.remember_collections is True  # not a boolean: the default
    raw["last_collections"] = "notes"
    store.path.write_text(json.dumps(raw), encoding="utf-8")
    assert SettingsStore(store.path).load().last_collections == ()
