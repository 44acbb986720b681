"""Shared pieces of the local server's tests: a real engine with Qwen, the installed-model
registry of the test's own FIRESIDE_HOME, and a server on 127.0.0.1 at a free port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest

from core.engine.client import EngineClient
from core.engine.protocol import LoadOptions, SamplingParams
from core.i18n import Translator
from core.models.registry import InstalledModel, ModelRegistry
from core.paths import AppPaths
from core.server.knowledge import ServedKnowledge
from core.server.recent import RequestRecord
from core.server.served_models import ServedModels
from core.server.server import LocalServer, ServerConfig

CHAT_OPTIONS = LoadOptions(n_ctx=2048, n_threads=1)  # two cores shared by several engineers
GREEDY_SHORT = SamplingParams(temperature=0.0, max_tokens=8)


class OpenAIClients:
    """The official clients a test makes, all closed when it ends. An unclosed client's
    pooled socket is collected during some later test, and the warning it raises then
    (warnings are errors here) fails that innocent test: CI failed so on
    test_a_dying_engine_is_a_500_and_the_next_request_is_answered."""

    def __init__(self) -> None:
        self._made: list[openai.OpenAI] = []

    def __call__(self, url: str, key: str = "unused") -> openai.OpenAI:
        client = openai.OpenAI(base_url=url, api_key=key, max_retries=0, timeout=120)
        self._made.append(client)
        return client

    def close(self) -> None:
        for client in self._made:
            client.close()


@pytest.fixture
def client_for() -> Iterator[OpenAIClients]:
    """``client_for(url)``: an openai client for the test's server, closed at its end."""
    clients = OpenAIClients()
    yield clients
    clients.close()


@pytest.fixture(scope="module")
def server_engine(qwen_path: Path, engine_log: Path) -> Iterator[EngineClient]:
    """One engine for a test module's servers (tests that switch models switch it back)."""
    client = EngineClient(log_path=engine_log)
    client.start()
    client.load_chat(qwen_path, CHAT_OPTIONS)
    yield client
    client.close()


@pytest.fixture
def registry(fireside_home: Path, qwen_path: Path) -> ModelRegistry:
    """The test's installed models: Qwen (the test's chat model), imported where it is."""
    paths = AppPaths.from_env()
    paths.ensure()
    registry = ModelRegistry(paths)
    registry.import_file(qwen_path)
    return registry


def model_id(registry: ModelRegistry, path: Path) -> str:
    found: InstalledModel | None = registry.find_path(path)
    assert found is not None
    return found.id


@contextmanager
def running(client: EngineClient, registry: ModelRegistry, config: ServerConfig | None = None,
            *, pinned: bool = False,
            knowledge: ServedKnowledge | None = None) -> Iterator[LocalServer]:  # fmt: skip
    """A server on 127.0.0.1 at a free port, in a thread, stopped afterwards."""
    config = config or ServerConfig(port=0)
    models = ServedModels(registry, client, chat_options=CHAT_OPTIONS, pinned=pinned)
    server = LocalServer(config, client, models, GREEDY_SHORT, Translator("en"), knowledge)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def finished(server: LocalServer, count: int, timeout_s: float = 60) -> list[RequestRecord]:
    """The first ``count`` request records once the engine is done with all of them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        records = server.recent.snapshot()
        if len(records) >= count and all(r.finished_at for r in records[:count]):
            return records[:count]
        time.sleep(0.02)
    raise AssertionError(f"requests not finished: {server.recent.snapshot()}")
