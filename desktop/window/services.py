"""What the window works with: the core objects of one Fireside home, opened once.

``AppServices`` is created by ``desktop.window.app`` at start and handed to every part of the
window (no module-level singletons), so a test can build a window over a temporary home
and a real engine of its own. It holds the current settings too: a part of the window that
changes them calls :meth:`update_settings`, which saves them and tells everyone through
the ``settings_changed`` callbacks (the window turns those into Qt signals).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import shiboken6
from PySide6.QtCore import QObject

from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.i18n import Translator, resolve_language
from core.models.catalogue import Catalogue, load_catalogue
from core.models.registry import ModelRegistry, default_hf_cache
from core.models.switching import ModelSwitcher
from core.paths import AppPaths
from core.settings import Settings, SettingsStore

if TYPE_CHECKING:  # both imported when first used: off the window's start
    from core.knowledge.knowledge_base import KnowledgeBase
    from core.models.tokens import TokenStore

_Owner = TypeVar("_Owner", bound=QObject)


class AppServices:
    """The core objects of one Fireside home, shared by the parts of the window."""

    def __init__(
        self,
        paths: AppPaths,
        client: EngineClient | None = None,
        *,
        settings: Settings | None = None,
        hf_cache_dir: Path | None = None,
        tokens: TokenStore | None = None,
    ) -> None:
        """``settings`` replaces what is on disk (tests); ``hf_cache_dir`` is where models
        already downloaded by other Hugging Face tools are looked for (default: the usual);
        ``tokens`` holds the Hub token (default: the system keyring). One token store is
        shared by the settings and the downloads, so a token kept for this session only
        (no keyring on the system) still reaches the downloads."""
        self.paths = paths.ensure()
        self.settings_store = SettingsStore(paths.settings_file)
        if settings is not None:  # given (tests, benchmarks): the file says the same
            self.settings_store.save(settings)
        self.settings = settings if settings is not None else self.settings_store.load()
        self.translate = Translator(resolve_language(self.settings.language))
        self.client = client if client is not None else EngineClient(paths)
        self.chats = ChatStore(paths.chats_db)
        self.registry = ModelRegistry(
            paths, hf_cache_dir=hf_cache_dir if hf_cache_dir is not None else default_hf_cache()
        )
        self.switcher = ModelSwitcher(self.registry, self.settings_store)
        self._tokens = tokens
        self._catalogue: Catalogue | None = None
        self._knowledge: KnowledgeBase | None = None
        self._listeners: list[Callable[[Settings, Settings], None]] = []

    @property
    def catalogue(self) -> Catalogue:
        """The recommended models shipped in resources/ (read on first use)."""
        if self._catalogue is None:
            self._catalogue = load_catalogue()
        return self._catalogue

    @property
    def tokens(self) -> TokenStore:
        """The Hub token store (made on first use: the keyring is slow to import)."""
        if self._tokens is None:
            from core.models.tokens import TokenStore

            self._tokens = TokenStore()
        return self._tokens

    @property
    def knowledge(self) -> KnowledgeBase:
        """The knowledge base (opened on first use: Chroma is slow to import)."""
        if self._knowledge is None:
            from core.knowledge.knowledge_base import KnowledgeBase

            self._knowledge = KnowledgeBase(self.paths)
        return self._knowledge

    # ---- settings ----------------------------------------------------------------------

    def on_settings_changed(self, listener: Callable[[Settings, Settings], None]) -> None:
        """``listener(old, new)`` runs after every :meth:`update_settings`."""
        self._listeners.append(listener)

    def on_settings_changed_while(
        self, owner: _Owner, method: Callable[[_Owner, Settings, Settings], None]
    ) -> None:
        """``method(owner, old, new)`` after every change while ``owner`` lives: the services
        outlive the widgets, and keep their listeners for good, so only a weak reference to
        the owner is kept (a deleted Qt object is skipped too)."""
        ref = weakref.ref(owner)

        def listener(old: Settings, new: Settings) -> None:
            target = ref()
            if target is not None and shiboken6.isValid(target):
                method(target, old, new)

        self.on_settings_changed(listener)

    def update_settings(self, settings: Settings) -> None:
        """Save new settings and tell the listeners (on the calling thread: the GUI's)."""
        old = self.settings
        self.settings_store.save(settings)
        self.settings = settings
        for listener in list(self._listeners):
            listener(old, settings)

    def reload_settings(self) -> Settings:
        """Read the settings again (after a core call that saved them, such as ``use``)."""
        old, self.settings = self.settings, self.settings_store.load()
        if old != self.settings:
            for listener in list(self._listeners):
                listener(old, self.settings)
        return self.settings

    # ---- end ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the engine and close the databases (each step even if another fails)."""
        with contextlib.suppress(Exception):
            self.client.close()
        if self._knowledge is not None:
            with contextlib.suppress(Exception):
                self._knowledge.close()
        with contextlib.suppress(Exception):
            self.chats.close()
