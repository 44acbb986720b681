"""Typed settings with a schema version and ordered migrations.

Settings are a small JSON file in the config folder. Each change to their shape bumps
``SCHEMA_VERSION`` and appends a named migration, so an older file is upgraded in place
rather than reset. A file that cannot be read is never deleted: it is set aside next to the
new one, and the caller is told so it can say it to the person.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

SCHEMA_VERSION: Final = 2

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v0_to_v1_nest_engine(raw: dict[str, Any]) -> dict[str, Any]:
    """v0 kept engine figures at the top level (``n_ctx``, ``n_threads``)."""
    engine = dict(raw.get("engine", {}))
    for key in ("n_ctx", "n_threads", "n_batch"):
        if key in raw:
            engine[key] = raw.pop(key)
    raw["engine"] = engine
    return raw


def _v1_to_v2_language_codes(raw: dict[str, Any]) -> dict[str, Any]:
    """v1 stored the language as 'zh'/'en'; v2 uses Qt locale names ('zh_CN')."""
    if raw.get("language") == "zh":
        raw["language"] = "zh_CN"
    return raw


# Index i upgrades a file of version i to version i + 1.
MIGRATIONS: Final[list[Migration]] = [_v0_to_v1_nest_engine, _v1_to_v2_language_codes]
assert len(MIGRATIONS) == SCHEMA_VERSION


@dataclass(frozen=True)
class EngineSettings:
    n_ctx: int = 4096
    n_threads: int = 0  # 0: the number of physical cores
    n_batch: int = 512


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 1024


@dataclass(frozen=True)
class Settings:
    language: str = "system"  # "system", "zh_CN" or "en"
    theme: str = "system"  # "system", "light" or "dark"
    hub_endpoint: str = "https://huggingface.co"
    chat_model: str | None = None
    embedding_model: str | None = None
    system_prompt: str = ""
    engine: EngineSettings = field(default_factory=EngineSettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_version"] = SCHEMA_VERSION
        return data

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Settings:
        """Build from a migrated dict; unknown keys are ignored, wrong types fall back."""
        defaults = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in raw:
                continue
            value = raw[f.name]
            current = getattr(defaults, f.name)
            if f.name == "engine":
                values[f.name] = _sub(EngineSettings, value)
            elif f.name == "sampling":
                values[f.name] = _sub(SamplingSettings, value)
            elif current is None or isinstance(value, type(current)):
                values[f.name] = value
        return replace(defaults, **values)


def replace_sampling(settings: Settings, **changes: Any) -> Settings:
    """A copy of ``settings`` with some sampling values changed."""
    return replace(settings, sampling=replace(settings.sampling, **changes))


def _sub(cls: type[Any], raw: Any) -> Any:
    default = cls()
    if not isinstance(raw, dict):
        return default
    values = {}
    for f in fields(cls):
        if f.name in raw:
            current = getattr(default, f.name)
            value = raw[f.name]
            if (
                isinstance(current, float)
                and isinstance(value, int)
                and not isinstance(value, bool)
            ):
                value = float(value)
            if type(value) is type(current):
                values[f.name] = value
    return replace(default, **values)


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a settings dict of any older version to the current one."""
    version = raw.get("schema_version", 0)
    if not isinstance(version, int) or version < 0:
        version = 0
    if version > SCHEMA_VERSION:
        raise ValueError(f"settings are from a newer Fireside (schema {version})")
    for step in MIGRATIONS[version:]:
        raw = step(raw)
    raw["schema_version"] = SCHEMA_VERSION
    return raw


@dataclass
class SettingsStore:
    """Loads and saves one settings file atomically."""

    path: Path
    recovered_from: Path | None = None  # set when a bad file was set aside on load

    def load(self) -> Settings:
        if not self.path.exists():
            return Settings()
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            return Settings.from_json(migrate(raw))
        except (OSError, ValueError, UnicodeDecodeError):
            backup = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            os.replace(self.path, backup)
            self.recovered_from = backup
            return Settings()

    def save(self, settings: Settings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(settings.to_json(), ensure_ascii=False, indent=2)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
