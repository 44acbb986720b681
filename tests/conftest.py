"""Shared fixtures: a temporary FIRESIDE_HOME for every test, real models, a real engine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# llama.cpp's OpenMP threads sleep between graphs instead of spinning: tests run engines
# side by side on a two-core machine, where spinning threads starve each other.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

from core.engine.client import EngineClient
from core.engine.protocol import LoadOptions
from core.paths import AppPaths
from core.settings import EngineSettings, SamplingSettings, Settings
from desktop.window.services import AppServices
from tests.model_files import GEMMA_270M, QWEN_05B, MissingModel, fetch, sentence_model


@pytest.fixture(autouse=True)
def fireside_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder; nothing touches the real one."""
    home = tmp_path / "fireside-home"
    monkeypatch.setenv("FIRESIDE_HOME", str(home))
    monkeypatch.setenv("FIRESIDE_LANG", "en")
    return home


@pytest.fixture(scope="session")
def gemma_path() -> Path:
    return fetch(GEMMA_270M)


@pytest.fixture(scope="session")
def qwen_path() -> Path:
    return fetch(QWEN_05B)


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """The real sentence-embedding model tests embed with (English only, 512 positions)."""
    try:
        return sentence_model()
    except MissingModel as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def engine_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine") / "engine.log"


@pytest.fixture(scope="session")
def gemma_engine(gemma_path: Path, engine_log: Path) -> Iterator[EngineClient]:
    """One engine with the Gemma test model, shared by the tests that only read from it."""
    client = EngineClient(log_path=engine_log)
    client.start()
    client.load_chat(gemma_path, LoadOptions(n_ctx=2048))
    yield client
    client.close()


@pytest.fixture(scope="session")
def qwen_engine(qwen_path: Path, engine_log: Path) -> Iterator[EngineClient]:
    client = EngineClient(log_path=engine_log)
    client.start()
    client.load_chat(qwen_path, LoadOptions(n_ctx=2048))
    yield client
    client.close()


@pytest.fixture
def fresh_engine(engine_log: Path) -> Iterator[EngineClient]:
    """An engine of the test's own, for tests that kill or break it."""
    client = EngineClient(log_path=engine_log)
    yield client
    client.close()


@pytest.fixture
def services(fireside_home: Path, engine_log: Path, tmp_path: Path) -> Iterator[AppServices]:
    """The window's core objects over the test's own home, with an engine of its own (not
    started until used). One engine thread and short greedy replies: GUI tests check
    behaviour, not speed, and share two cores with the rest of the suite."""
    settings = Settings(
        language="en",
        engine=EngineSettings(n_ctx=2048, n_threads=1),
        sampling=SamplingSettings(temperature=0.0, max_tokens=24),
    )
    hf_cache = tmp_path / "hf-cache"
    hf_cache.mkdir()
    app_services = AppServices(
        AppPaths.from_env(), EngineClient(log_path=engine_log), settings=settings,
        hf_cache_dir=hf_cache,
    )  # fmt: skip
    yield app_services
    app_services.close()
