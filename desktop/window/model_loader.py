"""Which chat model the window has, and loading one on the engine lane.

:class:`ModelLoader` is a controller without a widget: it picks the default chat model (or
makes the first installed one the default), loads a model in the background (asking again
for what is loaded or loading does nothing), makes an installed model the default of its
kind, and restarts the engine with the models reloaded. The window shows what it reports;
tests drive it over a real engine without a window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.engine.protocol import LoadOptions, ModelInfo
from core.models.registry import InstalledModel
from core.models.switching import engine_load_options
from core.settings import Settings
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner

_ENGINE_KEYS = ("chat_model", "engine")  # settings whose change means loading the model again


class ModelLoader(QObject):
    """The loaded chat model (``model``) and the load under way (``loading``). Signals come
    on the GUI thread: ``loading_started`` as a new load is submitted, then ``loaded`` or
    ``failed``, then ``ended`` once the load's job is over."""

    loading_started = Signal(str)  # the model file's name
    loaded = Signal(object)  # ModelInfo
    failed = Signal(object)  # the exception
    ended = Signal()

    def __init__(
        self, services: AppServices, engine: JobRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.engine = engine
        self.model: ModelInfo | None = None
        self.loading: Job | None = None
        self._wanted: tuple[str, LoadOptions] | None = None  # the chat model asked for last

    def options(self) -> LoadOptions:
        """How the settings say a chat model is loaded (context, threads, batch, device
        and GPU layers)."""
        return engine_load_options(self.services.settings.engine)

    def default_model(self) -> InstalledModel | None:
        """The default chat model; with none set, the first installed chat model becomes
        the default. None when no chat model is installed (the welcome's turn)."""
        switcher = self.services.switcher
        model = switcher.default("chat")
        if model is None:
            installed = [m for m in self.services.registry.models() if m.kind == "chat"]
            if installed:
                model = switcher.use(installed[0].id)
                self.services.reload_settings()
        return model

    def load(self, path: str) -> Job | None:
        """Load a chat model in the background. Asking again for what is loaded (or
        loading) with the same options does nothing and returns the load under way."""
        wanted = (str(Path(path).resolve()), self.options())
        if wanted == self._wanted and (self.loading is not None or self.model is not None):
            return self.loading
        self._wanted = wanted
        self.model = None
        self.loading_started.emit(Path(path).name)
        client, options = self.services.client, self.options()

        def work() -> Iterator[ModelInfo]:
            yield client.load_chat(path, options)

        return self._submit(work)

    def use(self, model_id: str) -> InstalledModel:
        """Make an installed model the default of its kind (raises FiresideError for an
        unknown one); the caller loads it if it chats."""
        model = self.services.switcher.use(model_id)
        self.services.reload_settings()
        return model

    def restart(self) -> Job:
        """A fresh engine process with the models reloaded (after a crash, or on request)."""
        self.model = None
        client = self.services.client
        default = self.services.switcher.default("chat")
        options = self.options()

        def work() -> Iterator[ModelInfo]:
            client.restart(reload=True)
            info = client.models.get("chat")
            if info is None and default is not None:
                info = client.load_chat(default.path, options)
            if info is not None:
                yield info

        return self._submit(work)

    def settings_changed(self, old: Settings, new: Settings) -> Job | None:
        """Load the default chat model again when the settings that say how changed."""
        if all(getattr(old, key) == getattr(new, key) for key in _ENGINE_KEYS):
            return None
        default = self.services.switcher.default("chat")
        return self.load(default.path) if default is not None else None

    def switched(self, info: ModelInfo) -> None:
        """Another chat model was loaded for the window's local server: it is the window's
        model now (the default stays the person's choice, so loading that again works)."""
        self._wanted = (str(Path(info.path).resolve()), self.options())
        self.model = info
        self.loaded.emit(info)

    def engine_stopped(self) -> None:
        """The engine died under a reply: no model is loaded any more."""
        self.model = None

    # ---- the job -----------------------------------------------------------------------

    def _submit(self, work: Callable[[], Iterable[object]]) -> Job:
        job = Job(work)
        job.item.connect(self._loaded)
        job.failed.connect(self._failed)
        job.ended.connect(self._ended)
        self.loading = job
        return self.engine.submit(job)

    def _loaded(self, info: object) -> None:
        assert isinstance(info, ModelInfo)
        self.model = info
        self.loading = None
        self.loaded.emit(info)

    def _failed(self, error: object) -> None:
        self._wanted = None
        self.failed.emit(error)

    def _ended(self, job: object) -> None:
        if job is self.loading:
            self.loading = None
        self.ended.emit()
