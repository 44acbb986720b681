"""Every location Fireside reads or writes on disk.

All other modules ask an :class:`AppPaths` for their folders instead of building paths
themselves, so that one environment variable (``FIRESIDE_HOME``) can move the whole product:
tests point it at a temporary folder, and a person can keep Fireside on a USB stick.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Fireside"
HOME_ENV = "FIRESIDE_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The folders of one Fireside installation. Created on first use, never at import."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppPaths:
        """Platform folders, or everything under ``$FIRESIDE_HOME`` when it is set."""
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV, "").strip()
        if home:
            return cls.under(Path(home).expanduser())
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        """One self-contained tree, as used for FIRESIDE_HOME and portable installs."""
        root = root.resolve()
        return cls(
            config_dir=root / "config",
            data_dir=root / "data",
            cache_dir=root / "cache",
            log_dir=root / "logs",
        )

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def models_dir(self) -> Path:
        """Downloaded and imported GGUF files."""
        return self.data_dir / "models"

    @property
    def chats_db(self) -> Path:
        return self.data_dir / "chats.sqlite3"

    @property
    def knowledge_db(self) -> Path:
        return self.data_dir / "knowledge.sqlite3"

    @property
    def vector_dir(self) -> Path:
        """Chroma's folder: an index that can be rebuilt from the knowledge database."""
        return self.data_dir / "vectors"

    @property
    def downloads_dir(self) -> Path:
        """Incomplete downloads live here until verified, then move into models_dir."""
        return self.cache_dir / "downloads"

    @property
    def engine_log(self) -> Path:
        """llama.cpp's own messages from the engine process (stderr is sent here)."""
        return self.log_dir / "engine.log"

    def ensure(self) -> AppPaths:
        """Create the folders; returns self so callers can chain it."""
        for folder in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
