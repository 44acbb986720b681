"""The local OpenAI-compatible server, driven by the official ``openai`` client and plain
httpx on the real Qwen model (issue 17): models, chat with and without streaming, the
resent conversation's cache reuse, errors in OpenAI's shape, one request at a time in order,
and a client that leaves mid-stream stopping its generation."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import openai
import pytest

from core.engine.client import EngineClient
from core.models.registry import ModelRegistry
from core.server.server import ServerConfig
from tests.server_fixtures import (
    CHAT_OPTIONS,
    OpenAIClients,
    client_for,
    finished,
    model_id,
    registry,
    running,
    server_engine,
)

__all__ = ["client_for", "registry", "server_engine"]  # fixtures

HELLO = [{"role": "user", "content": "Say hello."}]
LONG = [{"role": "user", "content": "Count from 1 to 200, one number per line."}]


def test_models_lists_installed_chat_and_embedding_models_by_registry_id(
    server_engine: EngineClient,
    registry: ModelRegistry,
    minilm_path: Path,
    client_for: OpenAIClients,
) -> None:
    registry.import_file(minilm_path)
    with running(server_engine, registry) as server:
        listed = client_for(server.base_url).models.list()
    ids = {m.id for m in listed.data}
    assert ids == {m.id for m in registry.models()}
    assert len(ids) == 2 and all(m.object == "model" for m in listed.data)


def test_chat_completion_through_the_openai_client(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    with running(server_engine, registry) as server:
        reply = client_for(server.base_url).chat.completions.create(
            model=qwen,
            messages=HELLO,
            max_tokens=6,
            temperature=0,
            seed=7,  # type: ignore[arg-type]
        )
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and choice.message.content
    assert "<|im" not in choice.message.content  # no control token leaks into the text
    assert choice.finish_reason in ("length", "stop") and reply.model == qwen
    usage = reply.usage
    assert usage is not None and 0 < usage.completion_tokens <= 6
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details is not None


def test_a_stream_ends_with_a_usage_chunk_and_resent_turns_reuse_the_cache(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    with running(server_engine, registry) as server:
        api = client_for(server.base_url)
        first = api.chat.completions.create(model=qwen, messages=HELLO, max_tokens=6)  # type: ignore[arg-type]
        answer = first.choices[0].message.content or ""
        conversation = [*HELLO, {"role": "assistant", "content": answer},
                        {"role": "user", "content": "Once more."}]  # fmt: skip
        chunks = list(api.chat.completions.create(
            model=qwen, messages=conversation, max_tokens=6, stream=True,  # type: ignore[arg-type]
            stream_options={"include_usage": True},
        ))  # fmt: skip
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason in ("length", "stop")
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens <= 6
    assert first.usage is not None and last.usage.prompt_tokens_details is not None
    # The resent first turn (prompt and the reply as it was sampled) came from the KV cache.
    cached = last.usage.prompt_tokens_details.cached_tokens or 0
    assert cached >= first.usage.prompt_tokens + first.usage.completion_tokens - 1


def test_errors_come_in_openai_shape_with_their_status(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    with running(server_engine, registry) as server:
        api = client_for(server.base_url)
        with pytest.raises(openai.NotFoundError) as unknown:
            api.chat.completions.create(model="no-such-model", messages=HELLO)  # type: ignore[arg-type]
        assert unknown.value.code == "model_not_found" and "no-such-model" in unknown.value.message
        with pytest.raises(openai.BadRequestError) as several:
            api.chat.completions.create(model=qwen, messages=HELLO, n=2)  # type: ignore[arg-type]
        assert several.value.param == "n" and "n" in several.value.message
        with pytest.raises(openai.BadRequestError) as hot:
            api.chat.completions.create(model=qwen, messages=HELLO, temperature=9)  # type: ignore[arg-type]
        assert hot.value.param == "temperature"
        with pytest.raises(openai.BadRequestError) as long_prompt:
            api.chat.completions.create(
                model=qwen, messages=[{"role": "user", "content": "word " * 2500}], max_tokens=4
            )
        assert long_prompt.value.code == "context_length_exceeded"
        with httpx.Client(base_url=server.base_url, timeout=120) as http:
            not_json = http.post("/chat/completions", content=b"{not json")
            assert not_json.status_code == 400
            assert not_json.json()["error"]["code"] == "invalid_json"
            huge = http.post("/chat/completions", content=b" " * (4 * 1024 * 1024 + 1),
                             headers={"Content-Type": "application/json"})  # fmt: skip
            assert huge.status_code == 413
            assert huge.json()["error"]["type"] == "invalid_request_error"
            nowhere = http.get("/nowhere")
            assert nowhere.status_code == 404 and "error" in nowhere.json()
        # Refusals are not kept as answers: the server still answers afterwards.
        reply = api.chat.completions.create(model=qwen, messages=HELLO, max_tokens=2)  # type: ignore[arg-type]
        assert reply.choices[0].message.content


def test_a_client_that_leaves_mid_stream_stops_its_generation(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path
) -> None:
    qwen = model_id(registry, qwen_path)
    body = {"model": qwen, "messages": LONG, "max_tokens": 300, "stream": True}
    with running(server_engine, registry) as server, httpx.Client(timeout=120) as http:
        pieces = 0
        with http.stream("POST", server.base_url + "/chat/completions", json=body) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                chunk = json.loads(line[6:]) if line.startswith("data: {") else {}
                if chunk and chunk["choices"][0]["delta"].get("content"):
                    pieces += 1
                if pieces == 4:
                    break  # leaving the block closes the connection mid-reply
        (record,) = finished(server, 1)
    assert record.outcome == "cancelled"
    # Counted by the engine: it stopped within a token or two of the client leaving,
    # far short of the 300 it was allowed.
    assert 4 <= record.completion_tokens <= 4 + 3, record


def test_two_clients_at_once_are_answered_in_order(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    replies: dict[str, str] = {}

    def ask(name: str, url: str) -> None:
        reply = client_for(url).chat.completions.create(
            model=qwen, messages=[{"role": "user", "content": f"Say {name}."}], max_tokens=4,
        )  # type: ignore[arg-type]  # fmt: skip
        replies[name] = reply.choices[0].message.content or ""

    with running(server_engine, registry) as server:
        first = threading.Thread(target=ask, args=("one", server.base_url))
        first.start()
        while not server.recent.snapshot() or server.recent.snapshot()[0].engine_started_at is None:
            first.join(0.01)
        second = threading.Thread(target=ask, args=("two", server.base_url))
        second.start()
        first.join(120)
        second.join(120)
        one, two = finished(server, 2)
    assert set(replies) == {"one", "two"} and all(replies.values())
    assert one.started_at <= two.started_at
    assert two.engine_started_at is not None and one.finished_at is not None
    assert two.engine_started_at >= one.finished_at  # the second waited for the first


def test_a_busy_server_says_503_with_retry_after(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path
) -> None:
    qwen = model_id(registry, qwen_path)
    body = {"model": qwen, "messages": LONG, "max_tokens": 300, "stream": True}
    config = ServerConfig(port=0, max_waiting=0)
    with running(server_engine, registry, config) as server, httpx.Client(timeout=120) as http:
        with http.stream("POST", server.base_url + "/chat/completions", json=body) as streaming:
            next(streaming.iter_lines())  # the first request holds the engine
            busy = http.post(server.base_url + "/chat/completions",
                             json={**body, "stream": False})  # fmt: skip
        assert busy.status_code == 503
        assert int(busy.headers["Retry-After"]) >= 1
        assert busy.json()["error"]["type"] == "server_error"


def test_another_installed_model_is_loaded_for_its_request_unless_pinned(
    server_engine: EngineClient,
    registry: ModelRegistry,
    qwen_path: Path,
    gemma_path: Path,
    client_for: OpenAIClients,
) -> None:
    registry.import_file(gemma_path)
    gemma = model_id(registry, gemma_path)
    with running(server_engine, registry, pinned=True) as server:
        with pytest.raises(openai.BadRequestError) as pinned:
            client_for(server.base_url).completions.create(model=gemma, prompt="Once", max_tokens=2)
        assert pinned.value.param == "model"
    try:
        with running(server_engine, registry) as server, httpx.Client(timeout=120) as http:
            # Gemma 270M is a base model: /v1/completions continues the text as it is.
            response = http.post(server.base_url + "/completions", json={
                "model": gemma, "prompt": "The capital of France is", "max_tokens": 4,
                "temperature": 0,
            })  # fmt: skip
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["object"] == "text_completion" and body["choices"][0]["text"]
            assert body["usage"]["completion_tokens"] <= 4
            assert Path(server_engine.models["chat"].path) == gemma_path.resolve()
    finally:
        server_engine.load_chat(qwen_path, CHAT_OPTIONS)  # for the module's other tests


def test_nothing_of_a_prompt_reaches_a_log_file(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path,
    fireside_home: Path, engine_log: Path, client_for: OpenAIClients,
) -> None:  # fmt: skip
    secret = "zebra-violet-4417"
    qwen = model_id(registry, qwen_path)
    with running(server_engine, registry) as server:
        client_for(server.base_url).chat.completions.create(
            model=qwen, messages=[{"role": "user", "content": f"Repeat {secret}"}], max_tokens=4
        )
        records = server.recent.snapshot()
    assert secret not in json.dumps([vars(r) for r in records])
    logs = [p for p in fireside_home.rglob("*") if p.is_file() and p.suffix in (".log", ".txt")]
    for path in [*logs, engine_log]:
        assert secret not in path.read_text(errors="replace"), path


def test_embeddings_come_from_the_embedding_model_in_one_batch(
    server_engine: EngineClient,
    registry: ModelRegistry,
    minilm_path: Path,
    client_for: OpenAIClients,
) -> None:
    registry.import_file(minilm_path)
    minilm = model_id(registry, minilm_path)
    texts = ["The cat sat on the mat.", "A kitten rested on a rug.", "Stock prices fell."]
    with running(server_engine, registry) as server:
        result = client_for(server.base_url).embeddings.create(model=minilm, input=texts)
        (record,) = finished(server, 1)
        plain = httpx.post(server.base_url + "/embeddings", timeout=120, json={
            "model": minilm, "input": texts[0], "encoding_format": "float"})  # fmt: skip
    vectors = [item.embedding for item in result.data]  # the client asked for base64
    assert plain.json()["data"][0]["embedding"] == pytest.approx(vectors[0], abs=1e-6)
    assert [item.index for item in result.data] == [0, 1, 2]
    assert all(len(v) == 384 for v in vectors)
    direct = server_engine.embed(texts)
    for got, want in zip(vectors, direct, strict=True):
        assert sum(a * b for a, b in zip(got, want, strict=True)) == pytest.approx(1.0, abs=1e-4)
    related = sum(a * b for a, b in zip(vectors[0], vectors[1], strict=True))
    unrelated = sum(a * b for a, b in zip(vectors[0], vectors[2], strict=True))
    assert related > unrelated
    assert result.usage.prompt_tokens > 0 and record.prompt_tokens == result.usage.prompt_tokens


def test_a_dying_engine_is_a_500_and_the_next_request_is_answered(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    body = {"model": qwen, "messages": LONG, "max_tokens": 300}
    with running(server_engine, registry) as server, httpx.Client(timeout=120) as http:
        result: list[httpx.Response] = []
        asking = threading.Thread(
            target=lambda: result.append(
                http.post(server.base_url + "/chat/completions", json=body)
            )
        )
        asking.start()
        while not server.recent.snapshot() or server.recent.snapshot()[0].engine_started_at is None:
            asking.join(0.01)
        asking.join(1.0)  # mid-reply
        server_engine.kill()
        asking.join(60)
        (failed,) = result
        assert failed.status_code == 500
        assert failed.json()["error"]["type"] == "server_error"
        again = client_for(server.base_url).chat.completions.create(
            model=qwen,
            messages=HELLO,
            max_tokens=2,  # type: ignore[arg-type]
        )
        assert again.choices[0].message.content


def test_a_client_that_gives_up_on_a_whole_reply_stops_its_generation(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path
) -> None:
    qwen = model_id(registry, qwen_path)
    body = {"model": qwen, "messages": LONG, "max_tokens": 300}
    with running(server_engine, registry) as server:
        with pytest.raises(httpx.ReadTimeout):  # the client hangs up, as a script's timeout does
            httpx.post(server.base_url + "/chat/completions", json=body, timeout=3)
        (record,) = finished(server, 1)
    assert record.outcome == "cancelled"
    assert record.completion_tokens < 300, record


def test_stop_strings_end_the_reply_and_a_seed_repeats_a_sampled_one(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    count = [{"role": "user", "content": "Count from 1 to 10, one number per line."}]
    with running(server_engine, registry) as server:
        api = client_for(server.base_url)
        stopped = api.chat.completions.create(
            model=qwen,
            messages=count,
            max_tokens=40,
            temperature=0,
            stop=["4"],  # type: ignore[arg-type]
        )
        sampled = []
        for _ in range(2):
            server_engine.reset_cache()  # the same cold state for both: equal logits
            reply = api.chat.completions.create(
                model=qwen, messages=HELLO, max_tokens=8, temperature=1.0, top_p=1.0,  # type: ignore[arg-type]
                seed=1234,
            )  # fmt: skip
            sampled.append(reply.choices[0].message.content)
    text = stopped.choices[0].message.content or ""
    assert "3" in text and "4" not in text and stopped.choices[0].finish_reason == "stop"
    assert sampled[0] and sampled[0] == sampled[1]
