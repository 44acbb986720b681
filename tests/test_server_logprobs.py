"""Log-probabilities from the local server, read by the official ``openai`` client on the
real Qwen model: chat's ``logprobs`` / ``top_logprobs`` with and without streaming, the
legacy completions' ``logprobs``, Chinese text whose tokens hold parts of characters, and
the arguments OpenAI refuses refused here too (issue 15: the engine had them, the server
answered ``"logprobs": null`` whatever was asked)."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import openai
import pytest

from core.engine.client import EngineClient
from core.models.registry import ModelRegistry
from tests.server_fixtures import (
    OpenAIClients,
    client_for,
    model_id,
    registry,
    running,
    server_engine,
)

__all__ = ["client_for", "registry", "server_engine"]  # fixtures

HELLO = [{"role": "user", "content": "Say hello."}]
CHINESE = [{"role": "user", "content": "用一句话介绍长城。"}]


def _check_steps(content: list[object], top: int) -> bytes:
    """Every token's entry is well formed; returns the reply's bytes, token after token."""
    joined = b""
    for entry in content:
        token, value = entry.token, entry.logprob  # type: ignore[attr-defined]
        raw = bytes(entry.bytes)  # type: ignore[attr-defined]
        assert raw and token == raw.decode("utf-8", errors="replace")
        assert -9999.0 <= value <= 0.0 and math.isfinite(value)
        alternatives = entry.top_logprobs  # type: ignore[attr-defined]
        assert len(alternatives) == top
        values = [a.logprob for a in alternatives]
        assert values == sorted(values, reverse=True)
        if top:
            # greedy: the token taken is the most likely one, with its own log-probability
            assert bytes(alternatives[0].bytes) == raw
            assert alternatives[0].logprob == pytest.approx(value)
        joined += raw
    return joined


def test_chat_logprobs_with_and_without_streaming(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    with running(server_engine, registry) as server:
        api = client_for(server.base_url)
        whole = api.chat.completions.create(
            model=qwen, messages=HELLO, max_tokens=8, temperature=0, logprobs=True,  # type: ignore[arg-type]
            top_logprobs=3,
        )  # fmt: skip
        chunks = list(api.chat.completions.create(
            model=qwen, messages=CHINESE, max_tokens=12, temperature=0, logprobs=True,  # type: ignore[arg-type]
            top_logprobs=2, stream=True,
        ))  # fmt: skip
        bare = api.chat.completions.create(
            model=qwen,
            messages=HELLO,
            max_tokens=4,
            temperature=0,
            logprobs=True,  # type: ignore[arg-type]
        )
        none = api.chat.completions.create(model=qwen, messages=HELLO, max_tokens=4, temperature=0)  # type: ignore[arg-type]

    choice = whole.choices[0]
    assert choice.logprobs is not None and choice.logprobs.content is not None
    assert whole.usage is not None and len(choice.logprobs.content) == whole.usage.completion_tokens
    assert _check_steps(choice.logprobs.content, 3).decode("utf-8") == choice.message.content

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    steps = [e for c in chunks if c.choices and c.choices[0].logprobs
             for e in c.choices[0].logprobs.content or []]  # fmt: skip
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)  # a Chinese answer
    # the bytes, token after token, are the text (a token may hold part of a character)
    assert _check_steps(steps, 2).decode("utf-8") == text
    # the log-probabilities come with the last chunk, all at once
    assert all(chunk.choices[0].logprobs is None for chunk in chunks[:-1] if chunk.choices)

    assert bare.choices[0].logprobs is not None and bare.choices[0].logprobs.content
    _check_steps(bare.choices[0].logprobs.content, 0)
    assert none.choices[0].logprobs is None


def test_completions_logprobs(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    with running(server_engine, registry) as server:
        api = client_for(server.base_url)
        reply = api.completions.create(model=qwen, prompt="The capital of France is", max_tokens=6,
                                       temperature=0, logprobs=2)  # fmt: skip
        streamed = list(api.completions.create(model=qwen, prompt="The capital of France is",
                                               max_tokens=6, temperature=0, logprobs=2,
                                               stream=True))  # fmt: skip
    choice = reply.choices[0]
    found = choice.logprobs
    assert found is not None and found.tokens and found.token_logprobs and found.top_logprobs
    assert "".join(found.tokens) == choice.text
    assert len(found.tokens) == len(found.token_logprobs) == len(found.top_logprobs)
    assert found.text_offset == [sum(len(t) for t in found.tokens[:i])
                                 for i in range(len(found.tokens))]  # fmt: skip
    for token, value, alternatives in zip(found.tokens, found.token_logprobs, found.top_logprobs,
                                          strict=True):  # fmt: skip
        assert len(alternatives) <= 2 and value <= 0.0
        assert max(alternatives, key=alternatives.__getitem__) == token  # greedy
    last = streamed[-1].choices[0]
    assert last.logprobs is not None and last.logprobs.tokens == found.tokens
    assert "".join(c.choices[0].text for c in streamed) == choice.text


def test_logprobs_arguments_openai_refuses_are_refused(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    with running(server_engine, registry) as server:
        api = client_for(server.base_url)
        for extra, field in (
            ({"logprobs": True, "top_logprobs": 21}, "top_logprobs"),
            ({"top_logprobs": 2}, "top_logprobs"),  # without logprobs
            ({"logprobs": "yes"}, "logprobs"),
        ):
            with pytest.raises(openai.BadRequestError) as refused:
                api.chat.completions.create(model=qwen, messages=HELLO, max_tokens=2, **extra)  # type: ignore[call-overload]
            assert refused.value.param == field, extra
        with pytest.raises(openai.BadRequestError) as too_many:
            api.completions.create(model=qwen, prompt="Hi", max_tokens=2, logprobs=6)
        assert too_many.value.param == "logprobs"
        with httpx.Client(base_url=server.base_url, timeout=120) as http:
            # a number is not true or false (the openai client would not send one)
            number = http.post("/chat/completions",
                               json={"model": qwen, "messages": HELLO, "logprobs": 1})  # fmt: skip
        assert number.status_code == 400 and number.json()["error"]["param"] == "logprobs"
        # the server still answers after the refusals
        assert api.chat.completions.create(model=qwen, messages=HELLO, max_tokens=2).choices  # type: ignore[arg-type]
