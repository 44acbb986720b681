"""Running the server: a socket, uvicorn, and a clean stop.

``LocalServer`` binds its socket itself (port 0 picks a free one, which tests use) and runs
uvicorn on it, in the foreground for ``fireside-cli serve`` or in a thread of its own for the
window and the tests. It listens on 127.0.0.1 unless told otherwise, and any other address
needs an API key: a server reachable from the network is never open to it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from dataclasses import dataclass

import uvicorn

from core.engine.client import EngineClient
from core.engine.protocol import SamplingParams
from core.errors import FiresideError
from core.i18n import Translator
from core.server.app import ServerContext, build_app
from core.server.knowledge import ServedKnowledge
from core.server.lane import EngineLane
from core.server.priority import PersonFirst
from core.server.recent import RecentRequests
from core.server.served_models import ServedModels

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8808


class ServerError(FiresideError):
    """The server cannot start as asked (no key for a public address, port taken)."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_key: str | None = None  # required by every request when set
    cors_origins: tuple[str, ...] = ()  # none: no CORS header is ever sent
    max_body_bytes: int = 4 * 1024 * 1024
    max_waiting: int = 8  # requests waiting behind the running one before 503


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalServer:
    """One server over one engine client and its served models."""

    def __init__(
        self,
        config: ServerConfig,
        client: EngineClient,
        models: ServedModels,
        sampling: SamplingParams,
        translate: Translator | None = None,
        knowledge: ServedKnowledge | None = None,
        person_first: PersonFirst | None = None,
    ) -> None:
        """``person_first``: the window's turns, which go before queued requests."""
        if not is_loopback(config.host) and not config.api_key:
            raise ServerError("server_key_needed", host=config.host)
        self.config = config
        self.recent = RecentRequests()
        self.lane = EngineLane(config.max_waiting, person_first=person_first)
        self.context = ServerContext(
            client=client, models=models, lane=self.lane, recent=self.recent, sampling=sampling,
            translate=translate or Translator(), api_key=config.api_key,
            cors_origins=config.cors_origins, max_body_bytes=config.max_body_bytes,
            knowledge=knowledge,
        )  # fmt: skip
        self.app = build_app(self.context)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens (the real port, also when 0 was asked for)."""
        assert self._socket is not None, "not bound"
        host, port = self._socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        host, port = self.address
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/v1"

    def bind(self) -> None:
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        try:
            self._socket = socket.create_server((self.config.host, self.config.port),
                                                family=family)  # fmt: skip
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ServerError("server_cannot_listen", host=self.config.host,
                              port=self.config.port, reason=reason) from exc  # fmt: skip
        self._server = uvicorn.Server(uvicorn.Config(
            self.app, log_config=None, access_log=False, log_level="warning", lifespan="off",
            timeout_graceful_shutdown=2,
        ))  # fmt: skip

    def serve(self) -> None:
        """Serve in this thread until stopped (Ctrl-C in the main thread stops it)."""
        if self._socket is None:
            self.bind()
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._shutdown()

    def start(self) -> None:
        """Serve in a thread of its own; returns once it accepts connections."""
        if self._socket is None:
            self.bind()
        self._thread = threading.Thread(target=self.serve, name="fireside-server", daemon=True)
        self._thread.start()
        while not (self._server is not None and self._server.started):
            if not self._thread.is_alive():
                raise ServerError("server_cannot_listen", host=self.config.host,
                                  port=self.config.port, reason="stopped at start")  # fmt: skip
            self._thread.join(0.02)

    def stop(self) -> None:
        """Stop accepting, cancel the server's own generations (never the window's) and
        wait for the thread."""
        self.lane.stop_waiting()
        self.context.cancel_all()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _shutdown(self) -> None:
        self.lane.stop_waiting()
        self.context.cancel_all()
        knowledge = self.context.knowledge
        if knowledge is not None:  # its connections belong to the lane's thread
            with contextlib.suppress(Exception):
                self.lane.submit(knowledge.close).result(timeout=10)
        self.lane.close()
        if self._socket is not None:
            self._socket.close()
