"""A Hub that cannot be reached is said in words, never as the system's raw error (real
sockets: a name that cannot resolve, a port where nothing listens)."""

from __future__ import annotations

import socket

import pytest

from core.i18n import Translator
from core.models.errors import HubTransient
from core.models.hub import DEFAULT_ENDPOINT, HubClient
from core.models.network import cause_of, unreachable

NOWHERE = "https://huggingface.invalid"  # .invalid never resolves (RFC 6761)


def name_error() -> socket.gaierror:
    try:
        socket.getaddrinfo("huggingface.invalid", 443)
    except socket.gaierror as exc:
        return exc
    raise AssertionError("a .invalid name resolved")


def test_no_network_is_you_are_offline_in_both_languages() -> None:
    error = unreachable(name_error(), DEFAULT_ENDPOINT)
    assert isinstance(error, HubTransient)
    assert error.message(Translator("en")) == "You are offline: the Hub cannot be reached"
    assert error.message(Translator("zh_CN")) == "你已离线：无法连接 Hub"


def test_the_hub_client_says_offline_without_the_errno() -> None:
    with pytest.raises(HubTransient) as caught:
        HubClient(NOWHERE, timeout_s=5).search("qwen", limit=1)
    for language in ("en", "zh_CN"):
        text = caught.value.message(Translator(language))
        assert "Errno" not in text and "Name or service" not in text
    assert caught.value.message(Translator("en")).startswith("You are offline")
    assert NOWHERE in caught.value.message(Translator("en"))  # a mirror's address may be wrong


def test_a_refused_connection_is_said_in_the_persons_language() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.raises(HubTransient) as caught:
        HubClient(endpoint, timeout_s=5).file_metadata("acme/Big-GGUF", "Big-Q4_K_M.gguf")
    assert cause_of(caught.value) == "refused"
    english = caught.value.message(Translator("en"))
    chinese = caught.value.message(Translator("zh_CN"))
    assert english == f"Cannot reach the model hub at {endpoint}: it refused the connection"
    assert chinese == f"无法连接模型仓库 {endpoint}：对方拒绝了连接"
