"""The local server's security rules (issue 17): loopback by default, an API key for any
other address (kept in the keyring, checked as ``Authorization: Bearer``), and no CORS
headers unless the person lists origins, so a web page cannot read answers. These need no
model: the refusals come before the engine is asked anything."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from core.engine.client import EngineClient
from core.models.registry import ModelRegistry
from core.server.keys import ApiKeyStore, key_matches
from core.server.server import LocalServer, ServerConfig, ServerError
from tests.hub_server import MemoryKeyring
from tests.server_fixtures import OpenAIClients, client_for, registry, running

__all__ = ["client_for", "registry"]  # fixtures

PREFLIGHT = {
    "Origin": "https://evil.example",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.fixture
def idle_engine() -> Iterator[EngineClient]:
    """An engine client never started: these requests must not reach it."""
    client = EngineClient()
    yield client
    client.close()


def test_it_listens_on_loopback_by_default(
    idle_engine: EngineClient, registry: ModelRegistry
) -> None:
    assert ServerConfig().host == "127.0.0.1"
    with running(idle_engine, registry) as server:
        assert server.address[0] == "127.0.0.1"
        assert httpx.get(server.base_url + "/models").status_code == 200  # no key on loopback
    assert not idle_engine.alive


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_a_host_beyond_loopback_needs_an_api_key(
    idle_engine: EngineClient, registry: ModelRegistry, host: str
) -> None:
    with (
        pytest.raises(ServerError) as refused,
        running(idle_engine, registry, ServerConfig(host=host, port=0)),
    ):
        pass
    assert refused.value.code == "server_key_needed" and host in str(refused.value)


def test_requests_without_the_right_key_get_401(
    idle_engine: EngineClient, registry: ModelRegistry, client_for: OpenAIClients
) -> None:
    key = ApiKeyStore(MemoryKeyring()).get_or_create()
    with running(idle_engine, registry, ServerConfig(port=0, api_key=key)) as server:
        url = server.base_url
        with pytest.raises(openai.AuthenticationError) as wrong:
            client_for(url, "fs-wrong").models.list()
        assert wrong.value.status_code == 401 and wrong.value.code == "invalid_api_key"
        bare = httpx.post(url + "/chat/completions", json={"model": "x", "messages": []})
        assert bare.status_code == 401
        assert bare.json()["error"]["type"] == "authentication_error"
        listed = client_for(url, key).models.list()
        assert [m.id for m in listed.data] == [m.id for m in registry.models()]
    assert not idle_engine.alive


def test_no_cors_headers_unless_origins_are_listed(
    idle_engine: EngineClient, registry: ModelRegistry
) -> None:
    with running(idle_engine, registry) as server:
        preflight = httpx.options(server.base_url + "/chat/completions", headers=PREFLIGHT)
        read = httpx.get(server.base_url + "/models", headers={"Origin": "https://evil.example"})
    for response in (preflight, read):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    assert preflight.status_code >= 400


def test_a_listed_origin_and_only_it_gets_cors_headers(
    idle_engine: EngineClient, registry: ModelRegistry
) -> None:
    config = ServerConfig(port=0, cors_origins=("http://localhost:3000",))
    with running(idle_engine, registry, config) as server:
        url = server.base_url + "/chat/completions"
        allowed = httpx.options(url, headers={**PREFLIGHT, "Origin": "http://localhost:3000"})
        other = httpx.options(url, headers=PREFLIGHT)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "access-control-allow-origin" not in other.headers


def test_the_api_key_is_kept_in_the_keyring_and_compared_exactly() -> None:
    backend = MemoryKeyring()
    key = ApiKeyStore(backend).get_or_create()
    assert key.startswith("fs-") and len(key) > 40
    assert ApiKeyStore(backend).get_or_create() == key  # a later session finds it
    assert list(backend.passwords.values()) == [key]
    renewed = ApiKeyStore(backend).renew()
    assert renewed != key and ApiKeyStore(backend).get() == renewed
    assert key_matches(renewed, f"Bearer {renewed}")
    assert not key_matches(renewed, f"Bearer {key}")
    assert not key_matches(renewed, renewed) and not key_matches(renewed, None)


def test_without_a_keyring_the_key_lasts_for_the_session() -> None:
    import keyring.backends.fail

    store = ApiKeyStore(keyring.backends.fail.Keyring())
    key = store.get_or_create()
    assert not store.persistent and store.get_or_create() == key


def test_stopping_frees_the_port(idle_engine: EngineClient, registry: ModelRegistry) -> None:
    with running(idle_engine, registry) as server:
        host, port = server.address
    again = LocalServer(ServerConfig(host=host, port=port), idle_engine,
                        server.context.models, server.context.sampling)  # fmt: skip
    again.start()
    again.stop()
