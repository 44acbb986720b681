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
from typing import Any, Final, Literal

SCHEMA_VERSION: Final = 3
MAX_REMEMBERED: Final = 100  # collection names kept for the next chat

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


def _v2_to_v3_system_prompt_presets(raw: dict[str, Any]) -> dict[str, Any]:
    """v2 kept one ``system_prompt``; v3 keeps named presets and the name of the one new
    chats start with. A v2 prompt becomes the preset "Default" (still the default), next to
    the presets a new install ships with, so nothing the person wrote is lost."""
    text = raw.pop("system_prompt", "")
    shipped = [{"name": p.name, "text": p.text} for p in DEFAULT_PRESETS]
    if isinstance(text, str) and text.strip():
        raw["system_prompt_presets"] = [{"name": "Default", "text": text}, *shipped]
        raw["default_preset"] = "Default"
    else:
        raw["system_prompt_presets"] = shipped
        raw["default_preset"] = ""
    return raw


# Index i upgrades a file of version i to version i + 1.
MIGRATIONS: Final[list[Migration]] = [
    _v0_to_v1_nest_engine,
    _v1_to_v2_language_codes,
    _v2_to_v3_system_prompt_presets,
]
assert len(MIGRATIONS) == SCHEMA_VERSION


@dataclass(frozen=True)
class SystemPromptPreset:
    """A named system prompt the person can start a chat with."""

    name: str
    text: str

    @classmethod
    def from_json(cls, raw: Any) -> SystemPromptPreset | None:
        """The preset in ``raw``, or None when it is not one (a hand-edited file)."""
        if not isinstance(raw, dict):
            return None
        name, text = raw.get("name"), raw.get("text")
        if not isinstance(name, str) or not isinstance(text, str) or not name.strip():
            return None
        return cls(name.strip(), text)


# What a new install offers; none is the default, so a new chat has no system prompt
# until the person chooses one.
DEFAULT_PRESETS: Final[tuple[SystemPromptPreset, ...]] = (
    SystemPromptPreset(
        "General assistant",
        "You are a helpful, honest assistant. Answer clearly and to the point. When you are "
        "not sure, say so instead of guessing.",
    ),
    SystemPromptPreset(
        "Answer in 简体中文",
        "无论用户使用哪种语言提问，请始终用简体中文回答。表达自然、准确、简洁；"
        "专有名词和代码保持原文。",
    ),
    SystemPromptPreset(
        "Translator 中⇄EN",
        "You are a translator. When the user writes Chinese, translate it into natural "
        "English; otherwise translate it into natural Simplified Chinese. Reply with the "
        "translation only, keeping the meaning, tone and formatting.",
    ),
)


AUTO: Final = "auto"
CPU_ONLY: Final = "cpu"


@dataclass(frozen=True)
class EngineSettings:
    n_ctx: int = 4096
    n_threads: int = 0  # 0: the number of physical cores
    n_batch: int = 512
    # Where models run: "auto" (the engine's first GPU, if its build has one), "cpu", or a
    # device by its backend name ("Vulkan1"); and how many layers go there: "auto" (as
    # many as its free memory holds) or a number. Values a file gives that are neither
    # fall back to "auto" (``invalid_engine_values`` says which, for the start's notice).
    device: str = AUTO
    gpu_layers: int | Literal["auto"] = AUTO


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 1024


@dataclass(frozen=True)
class KnowledgeSettings:
    """The knowledge base's settings. First the limits on reading one document
    (core/knowledge/readers), generous for real files and a stop for hostile ones: a
    document with more text is indexed up to the limit, one that takes longer is skipped."""

    max_document_chars: int = 20_000_000  # ≈ 10,000 pages of a book
    parse_time_limit_s: float = 300.0  # one document's reading (or one OCR page), then given up
    # Scanned PDF pages and images are recognised through OCR (core/knowledge/ocr.py); off,
    # they are not indexed (the reason says how to turn it on).
    ocr: bool = True
    # The reranking stage (core/knowledge/rerank.py): off unless turned on, with a reranker
    # model (a file or an installed model's id); it reorders the fused retrieval's best
    # ``rerank_candidates``.
    rerank: bool = False
    reranker_model: str = ""
    rerank_candidates: int = 20


@dataclass(frozen=True)
class ServerSettings:
    """The window's local OpenAI-compatible server (core/server/). It runs only while the
    person has it switched on; these say how it listens and what it answers."""

    host: str = "127.0.0.1"  # any other address needs the API key and a confirmation
    port: int = 8808
    require_key: bool = False  # the API key on this computer too
    cors_origins: tuple[str, ...] = ()  # web pages allowed to read answers; none by default
    pinned: bool = False  # answer only with the loaded chat model


@dataclass(frozen=True)
class Settings:
    language: str = "system"  # "system", "zh_CN" or "en"
    theme: str = "system"  # "system", "light" or "dark"
    hub_endpoint: str = "https://huggingface.co"
    chat_model: str | None = None
    embedding_model: str | None = None
    system_prompt_presets: tuple[SystemPromptPreset, ...] = DEFAULT_PRESETS
    default_preset: str = ""  # the preset new chats start with; "" for none
    engine: EngineSettings = field(default_factory=EngineSettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    knowledge: KnowledgeSettings = field(default_factory=KnowledgeSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    # "Use in this chat" is remembered: a new chat starts with the collections the person
    # chose last (``last_collections``), unless this is turned off.
    remember_collections: bool = True
    last_collections: tuple[str, ...] = ()
    # Models whose own chat template was refused and whose chats the person agreed to write
    # as Fireside's plain transcript instead, by model key (file name and size); the window
    # asks before adding one and its Models menu takes one off again.
    plain_transcript_models: tuple[str, ...] = ()

    @property
    def system_prompt(self) -> str:
        """The system prompt new chats start with: the default preset's text, or ""."""
        preset = self.preset(self.default_preset)
        return preset.text if preset is not None else ""

    def preset(self, name: str) -> SystemPromptPreset | None:
        return next((p for p in self.system_prompt_presets if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["system_prompt_presets"] = [asdict(p) for p in self.system_prompt_presets]
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
                values[f.name] = _engine(value)
            elif f.name == "sampling":
                values[f.name] = _sub(SamplingSettings, value)
            elif f.name == "knowledge":
                values[f.name] = _sub(KnowledgeSettings, value)
            elif f.name == "server":
                values[f.name] = _server(value)
            elif f.name == "system_prompt_presets":
                values[f.name] = _presets(value)
            elif f.name in ("last_collections", "plain_transcript_models"):
                values[f.name] = _names(value)
            elif current is None or isinstance(value, type(current)):
                values[f.name] = value
        settings = replace(defaults, **values)
        if settings.default_preset and settings.preset(settings.default_preset) is None:
            settings = replace(settings, default_preset="")  # names a preset that is gone
        return settings


def replace_sampling(settings: Settings, **changes: Any) -> Settings:
    """A copy of ``settings`` with some sampling values changed."""
    return replace(settings, sampling=replace(settings.sampling, **changes))


def _presets(raw: Any) -> tuple[SystemPromptPreset, ...]:
    """The valid presets of a list, the first of each name; anything else is dropped."""
    if not isinstance(raw, list):
        return DEFAULT_PRESETS
    presets: dict[str, SystemPromptPreset] = {}
    for entry in raw:
        preset = SystemPromptPreset.from_json(entry)
        if preset is not None and preset.name not in presets:
            presets[preset.name] = preset
    return tuple(presets.values())


def _names(raw: Any) -> tuple[str, ...]:
    """Collection names from a list; anything else (or a name that is not text) is dropped."""
    if not isinstance(raw, list):
        return ()
    return tuple(dict.fromkeys(n for n in raw[:MAX_REMEMBERED] if isinstance(n, str) and n))


def _server(raw: Any) -> ServerSettings:
    """The server's settings; the origins come back from JSON as a list of text."""
    server: ServerSettings = _sub(ServerSettings, raw)
    origins = raw.get("cors_origins") if isinstance(raw, dict) else None
    return replace(server, cors_origins=_names(origins))


def _valid_device(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _valid_gpu_layers(value: object) -> bool:
    if value == AUTO:
        return True
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def invalid_engine_values(raw: Any) -> list[tuple[str, str]]:
    """The device and GPU-layer values of a (hand-edited) file's engine section that cannot
    be used, as (setting, value as written): they fall back to "auto", and the person is
    told once, in one line each."""
    if not isinstance(raw, dict):
        return []
    found = []
    for name, valid in (("device", _valid_device), ("gpu_layers", _valid_gpu_layers)):
        if name in raw and not valid(raw[name]):
            found.append((f"engine.{name}", json.dumps(raw[name], ensure_ascii=False)[:40]))
    return found


def _engine(raw: Any) -> EngineSettings:
    engine: EngineSettings = _sub(EngineSettings, raw)
    if not isinstance(raw, dict):
        return engine
    device = raw.get("device", AUTO)
    layers = raw.get("gpu_layers", AUTO)
    return replace(
        engine,
        device=device.strip() if _valid_device(device) else AUTO,
        gpu_layers=layers if _valid_gpu_layers(layers) else AUTO,
    )


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
    unreadable_kept: str | None = None  # why a bad file could not be set aside (read-only)
    # Values the file gives that could not be used and fell back (``invalid_engine_values``)
    invalid: list[tuple[str, str]] = field(default_factory=list)

    def load(self) -> Settings:
        self.invalid = []
        if not self.path.exists():
            return Settings()
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            settings = Settings.from_json(migrate(raw))
            self.invalid = invalid_engine_values(raw.get("engine"))
            return settings
        except (OSError, ValueError, TypeError, AttributeError, UnicodeDecodeError):
            # A damaged or hand-broken file (wrong types make the migrations raise too).
            backup = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            try:
                os.replace(self.path, backup)
            except OSError as exc:  # a read-only folder: defaults, the file left as it is
                self.unreadable_kept = exc.strerror or str(exc)
                return Settings()
            self.recovered_from = backup
            return Settings()

    def notice(self, translate: Callable[..., str]) -> str | None:
        """What to tell the person about the file just loaded, if anything."""
        if self.recovered_from is not None:
            return translate("settings_reset", backup=self.recovered_from)
        if self.unreadable_kept is not None:
            return translate("settings_unreadable_kept", path=self.path,
                             reason=self.unreadable_kept)  # fmt: skip
        if self.invalid:
            return "\n".join(
                translate("settings_value_invalid", name=name, value=value, path=self.path)
                for name, value in self.invalid
            )
        return None

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
