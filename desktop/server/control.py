"""The window's local server: switched on and off, its address and key, its recent requests.

``LocalServerControl`` is a controller without a widget: Settings → Local server shows it,
and tests drive it without a window. It runs core/server's ``LocalServer`` in the window's
process on the window's engine client, so a request uses the model the window has loaded
(never a second copy), and the person's own chat goes first (``PersonFirst`` over the
conversation's ``busy``). A request that loads another chat model is reported
(``model_switched``), since the window's chat now talks to that model too.

A host other than this computer is refused unless the person confirmed it, and always takes
the API key (kept in the keyring). The request list is polled from the server's in-memory
record (core/server/recent.py: time, endpoint, model, tokens, duration, never text) while it
runs; nothing is written anywhere. core/server is imported when the server first starts, so
the window's start does not pay for uvicorn and Starlette.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from core.engine.protocol import LoadOptions, ModelInfo
from core.models.registry import InstalledModel
from core.models.switching import side_load_options
from core.settings import ServerSettings
from desktop.window.services import AppServices

if TYPE_CHECKING:
    from core.server.keys import ApiKeyStore
    from core.server.recent import RequestRecord
    from core.server.server import LocalServer

POLL_MS = 300  # how often the request list is looked at while the server runs


class HostNotConfirmed(Exception):
    """A host beyond this computer that the person has not confirmed."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


def is_local(host: str) -> bool:
    """Whether ``host`` is this computer only (127.0.0.1, ::1, localhost)."""
    from core.server.server import is_loopback

    return is_loopback(host.strip())


class LocalServerControl(QObject):
    """Starts and stops the window's server; signals come on the GUI thread."""

    state_changed = Signal()  # started or stopped
    requests_changed = Signal()  # the recent requests changed
    model_switched = Signal(object)  # ModelInfo: a request loaded another chat model
    _switched_on_lane = Signal(object)

    def __init__(
        self,
        services: AppServices,
        *,
        person_busy: Callable[[], bool],
        chat_options: Callable[[], LoadOptions],
        keys: ApiKeyStore | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``person_busy`` says whether a turn of the person's is in progress (read from
        the server's lane thread); ``chat_options`` how the window loads chat models;
        ``keys`` where the API key is kept (the system keyring unless given)."""
        super().__init__(parent)
        self.services = services
        self._person_busy = person_busy
        self._chat_options = chat_options
        self._keys = keys
        self._server: LocalServer | None = None
        self._records: list[RequestRecord] = []
        self._seen: tuple[object, ...] = ()
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._look_at_requests)
        self._switched_on_lane.connect(self._switched)

    # ---- state -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str | None:
        """Where clients reach it (``http://127.0.0.1:8808/v1``), while it runs."""
        return self._server.base_url if self._server is not None else None

    @property
    def server(self) -> LocalServer | None:
        return self._server

    def keys(self) -> ApiKeyStore:
        if self._keys is None:
            from core.server.keys import ApiKeyStore

            self._keys = ApiKeyStore()
        return self._keys

    def api_key(self) -> str:
        """The server's API key, made now if there is none yet."""
        return self.keys().get_or_create()

    def records(self) -> list[RequestRecord]:
        """The recent requests, oldest first (the last server's after it stopped)."""
        return list(self._records)

    # ---- on and off --------------------------------------------------------------------

    def start(self, settings: ServerSettings, *, confirmed: bool = False) -> None:
        """Listen as ``settings`` say. Raises :class:`HostNotConfirmed` for a host beyond
        this computer without ``confirmed``, and core's ``ServerError`` when it cannot
        listen (the port is taken)."""
        if self._server is not None:
            return
        from core.server.cli import sampling_defaults
        from core.server.knowledge import ServedKnowledge
        from core.server.priority import PersonFirst
        from core.server.served_models import ServedModels
        from core.server.server import LocalServer, ServerConfig

        host = settings.host.strip()
        local = is_local(host)
        if not local and not confirmed:
            raise HostNotConfirmed(host)
        services = self.services
        client = services.client
        key = self.api_key() if settings.require_key or not local else None
        config = ServerConfig(host=host, port=settings.port, api_key=key,
                              cors_origins=settings.cors_origins)  # fmt: skip
        embedding = side_load_options(services.settings.engine, "embedding")
        models = ServedModels(services.registry, client, chat_options=self._chat_options(),
                              embedding_options=embedding, pinned=settings.pinned)  # fmt: skip
        models.on_switch = self._on_switch
        threads = services.settings.engine.n_threads or None
        knowledge = ServedKnowledge(services.paths, client, n_threads=threads,
                                    base=lambda: services.knowledge)  # fmt: skip
        server = LocalServer(config, client, models, sampling_defaults(services.settings),
                             services.translate, knowledge,
                             PersonFirst(self._person_busy))  # fmt: skip
        server.start()
        self._server = server
        self._records, self._seen = [], ()
        self._poll.start()
        self.state_changed.emit()
        self.requests_changed.emit()

    def stop(self) -> None:
        """Stop listening; the server's own generations stop (never the window's)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._poll.stop()
        server.stop()
        self._look_at(server)
        self.state_changed.emit()

    def set_pinned(self, pinned: bool) -> None:
        """Pin to the loaded chat model (or not) at once, while it runs."""
        if self._server is not None:
            self._server.context.models.pinned = pinned

    # ---- what it reports ---------------------------------------------------------------

    def _look_at_requests(self) -> None:
        if self._server is not None:
            self._look_at(self._server)

    def _look_at(self, server: LocalServer) -> None:
        records = server.recent.snapshot()
        seen = tuple((id(r), r.finished_at, r.completion_tokens, r.status) for r in records)
        if seen != self._seen:
            self._records, self._seen = records, seen
            self.requests_changed.emit()

    def _on_switch(self, model: InstalledModel, info: ModelInfo) -> None:
        """On the server's lane: a request loaded ``model``; said on the GUI thread."""
        self._switched_on_lane.emit(info)

    def _switched(self, info: object) -> None:
        self.model_switched.emit(info)
