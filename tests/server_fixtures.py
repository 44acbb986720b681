"""Shared pieces of the local server's tests: a real engine with Qwen, the installed-model
registry of the test's own FIRESIDE_HOME, and a server on 127.0.0.1 at a free port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
