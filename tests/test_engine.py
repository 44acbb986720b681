"""The engine process on real models: streaming, cancel, prefix reuse, embeddings."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest

from core.engine.client import EngineClient
from core.engine.errors import NoModelLoaded, PromptTooLong
from core.engine.protocol import ChatMessage, LoadOptions, SamplingParams

GREEDY = SamplingParams(temperature=0.0, max_tokens=24)


def test_load_reports_what_the_model_is(gemma_engine: EngineClient, gemma_path: Path) -> None:
    info = gemma_engine.models["chat"]
    assert info.architecture == "gemma3"
    assert info.name == "Gemma 3 270m"
    assert 260e6 < info.parameter_count < 280e6
    assert info.training_context == 32768
    assert info.n_ctx == 2048
    assert info.has_chat_template is False
    assert info.file_size == gemma_path.stat().st_size
    assert info.quantization == "Q4_K_M"
    assert info.n_threads >= 1


def test_stream_arrives_in_pieces_with_stats(gemma_engine: EngineClient) -> None:
    gemma_engine.reset_cache()
    sampling = SamplingParams(temperature=0.0, max_tokens=16, ignore_eos=True)
    generation = gemma_engine.generate_tokens(
        gemma_engine.tokenize("The history of the printing press"), sampling
    )
    pieces = list(generation)
    stats = generation.stats
    assert stats is not None
    assert len(pieces) >= 8  # streamed, not delivered at the end
    assert "".join(pieces) == generation.text
    assert stats.generated_tokens == 16
    assert stats.stop_reason == "length"
    assert stats.cached_tokens == 0
    assert stats.evaluated_tokens == stats.prompt_tokens
    assert stats.decode_tps > 0 and stats.prompt_tps > 0
    assert stats.ttft_s > 0
    assert len(generation.tokens) == 16


def test_greedy_is_deterministic_and_seed_is_honoured(gemma_engine: EngineClient) -> None:
    # From the same cache state. (Evaluating a prompt in different batch splits changes the
    # floating-point sums slightly, which can flip a near-tie in a greedy choice.)
    prompt = gemma_engine.tokenize("Once upon a time")
    gemma_engine.reset_cache()
    first = gemma_engine.generate_tokens(prompt, GREEDY).result()
    gemma_engine.reset_cache()
    second = gemma_engine.generate_tokens(prompt, GREEDY).result()
    assert first == second
    sampled = SamplingParams(temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, seed=7,
                             max_tokens=24, ignore_eos=True)  # fmt: skip
    gemma_engine.reset_cache()
    a = gemma_engine.generate_tokens(prompt, sampled).result()
    gemma_engine.reset_cache()
    b = gemma_engine.generate_tokens(prompt, sampled).result()
    assert a == b
    assert a != first  # sampling at temperature 1 over the whole vocabulary differs


def test_stop_strings_end_the_reply(gemma_engine: EngineClient) -> None:
    prompt = gemma_engine.tokenize("1, 2, 3, 4, 5, 6,")
    generation = gemma_engine.generate_tokens(
        prompt, SamplingParams(temperature=0.0, max_tokens=40, stop=("9",))
    )
    text = generation.result()
    assert generation.stats is not None
    assert generation.stats.stop_reason == "stop_string"
    assert "9" not in text and "8" in text


def test_cancel_stops_within_one_token(gemma_engine: EngineClient) -> None:
    sampling = SamplingParams(temperature=0.0, max_tokens=400, ignore_eos=True)
    generation = gemma_engine.generate_tokens(gemma_engine.tokenize("A long story:"), sampling)
    received = 0
    for _ in generation:
        received += 1
        if received == 5:
            generation.cancel()
            break
    generation.result()  # drain what was already on its way
    stats = generation.stats
    assert stats is not None
    assert stats.stop_reason == "cancelled"
    # The engine may be one token ahead of the reader, and finishes the token it is on.
    assert stats.generated_tokens <= received + 2


def test_cancel_from_another_thread(gemma_engine: EngineClient) -> None:
    sampling = SamplingParams(temperature=0.0, max_tokens=400, ignore_eos=True)
    generation = gemma_engine.generate_tokens(gemma_engine.tokenize("Chapter one."), sampling)
    fired = threading.Event()
    seen_at_cancel = 0
    for seen, _ in enumerate(generation, start=1):
        if seen == 3:
            threading.Thread(target=lambda: (gemma_engine.cancel(), fired.set())).start()
            fired.wait(5)
            seen_at_cancel = seen
    assert generation.stats is not None
    assert generation.stats.stop_reason == "cancelled"
    assert generation.stats.generated_tokens <= seen_at_cancel + 2


def test_abandoned_generation_is_cancelled_by_next_request(gemma_engine: EngineClient) -> None:
    sampling = SamplingParams(temperature=0.0, max_tokens=400, ignore_eos=True)
    generation = gemma_engine.generate_tokens(gemma_engine.tokenize("Abandon me"), sampling)
    next(generation)
    # A new request from the same thread must not wait 400 tokens for the old one.
    assert gemma_engine.count_tokens("hello world") >= 2
    assert generation.finished
    assert generation.stats is not None and generation.stats.stop_reason == "cancelled"


def test_prompt_extension_evaluates_only_new_tokens(gemma_engine: EngineClient) -> None:
    gemma_engine.reset_cache()
    prompt = gemma_engine.tokenize("Rivers of Europe: the Danube, the Rhine,")
    first = gemma_engine.generate_tokens(prompt, GREEDY)
    first.result()
    assert first.stats is not None
    extension = gemma_engine.tokenize(" and also", add_special=False)
    second = gemma_engine.generate_tokens([*prompt, *first.tokens, *extension], GREEDY)
    second.result()
    assert second.stats is not None
    # Everything but the reply's last sampled token was already in the cache.
    assert second.stats.cached_tokens == len(prompt) + len(first.tokens) - 1
    assert second.stats.evaluated_tokens == len(extension) + 1


def test_same_prompt_again_reuses_all_but_one(gemma_engine: EngineClient) -> None:
    prompt = gemma_engine.tokenize("The same prompt twice")
    gemma_engine.generate_tokens(prompt, GREEDY).result()
    again = gemma_engine.generate_tokens(prompt, GREEDY)
    again.result()
    assert again.stats is not None
    assert again.stats.evaluated_tokens == 1  # its logits are needed to sample


def _two_turns(engine: EngineClient) -> tuple[int, int]:
    """Two chat turns; returns (tokens new in turn 2, tokens turn 2 evaluated)."""
    engine.reset_cache()
    messages = [ChatMessage("system", "You are brief."),
                ChatMessage("user", "Name a colour.")]  # fmt: skip
    first = engine.generate(messages, GREEDY)
    first.result()
    assert first.stats is not None
    messages += [ChatMessage("assistant", first.text), ChatMessage("user", "Another one?")]
    second = engine.generate(messages, GREEDY)
    second.result()
    assert second.stats is not None
    new_tokens = second.stats.prompt_tokens - first.stats.prompt_tokens - len(first.tokens)
    # A reply cut by max_tokens leaves its last sampled token unevaluated: it comes first.
    if first.stats.stop_reason == "length":
        new_tokens += 1
    return new_tokens, second.stats.evaluated_tokens


@pytest.mark.qwen
def test_second_chat_turn_reuses_the_reply_tokens_qwen(qwen_engine: EngineClient) -> None:
    new_tokens, evaluated = _two_turns(qwen_engine)
    # ChatML: the reply's sampled tokens are reused exactly; only the end-of-turn glue,
    # the new user turn and the assistant header are evaluated.
    assert evaluated == new_tokens
    assert evaluated <= qwen_engine.count_tokens("Another one?") + 12


def test_second_chat_turn_reuses_the_reply_tokens_fallback(gemma_engine: EngineClient) -> None:
    new_tokens, evaluated = _two_turns(gemma_engine)
    assert evaluated == new_tokens
    assert evaluated <= gemma_engine.count_tokens("\nUser: Another one?\nAssistant:") + 2


def test_chat_template_from_gguf_is_used(qwen_engine: EngineClient) -> None:
    text = qwen_engine.render([ChatMessage("user", "Hi")])
    assert text.startswith("<|im_start|>system\n")
    assert text.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    reply = qwen_engine.generate([ChatMessage("user", "What is 2+2? Answer with a number.")],
                                 SamplingParams(temperature=0.0, max_tokens=16))  # fmt: skip
    assert "4" in reply.result()
    assert reply.stats is not None and reply.stats.stop_reason == "eos"


def test_fallback_template_for_models_without_one(gemma_engine: EngineClient) -> None:
    text = gemma_engine.render(
        [ChatMessage("system", "Be kind."), ChatMessage("user", "Hello"),
         ChatMessage("assistant", "Hi there."), ChatMessage("user", "Bye")]
    )  # fmt: skip
    assert text == "Be kind.\n\nUser: Hello\nAssistant: Hi there.\nUser: Bye\nAssistant:"
    reply = gemma_engine.generate([ChatMessage("user", "Tell me about cats.")],
                                  SamplingParams(temperature=0.0, max_tokens=64))  # fmt: skip
    assert "User:" not in reply.result()


def test_prompt_larger_than_context_is_refused(gemma_engine: EngineClient) -> None:
    with pytest.raises(PromptTooLong) as info:
        gemma_engine.generate_tokens([2] + [1000] * 2100, GREEDY).result()
    assert info.value.params == {"tokens": 2101, "n_ctx": 2048}
    # ...and the engine goes on answering.
    assert gemma_engine.generate_tokens(gemma_engine.tokenize("Still"), GREEDY).result()


def test_context_full_ends_the_reply_cleanly(gemma_path: Path, fresh_engine: EngineClient) -> None:
    info = fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=64))
    assert info.n_ctx >= 64  # llama.cpp rounds small contexts up
    prompt = fresh_engine.tokenize("Count: one two three")
    generation = fresh_engine.generate_tokens(
        prompt, SamplingParams(temperature=0.0, max_tokens=500, ignore_eos=True)
    )
    generation.result()
    assert generation.stats is not None
    assert generation.stats.stop_reason == "context_full"
    # The last sampled token is shown but needs no room in the cache.
    assert generation.stats.prompt_tokens + generation.stats.generated_tokens == info.n_ctx + 1


def test_tokenize_and_count(gemma_engine: EngineClient) -> None:
    with_bos = gemma_engine.tokenize("hello world")
    without = gemma_engine.tokenize("hello world", add_special=False)
    assert len(with_bos) == len(without) + 1
    assert gemma_engine.count_tokens("hello world") == len(without)
    assert gemma_engine.count_tokens("你好，世界") >= 2


def test_embeddings_are_normalized_and_meaningful(
    gemma_path: Path, fresh_engine: EngineClient
) -> None:
    fresh_engine.load_embedding(gemma_path, LoadOptions(n_ctx=512))
    texts = [
        "The cat sat on the mat.",
        "A cat was sitting on the rug.",
        "Quarterly tax returns are due at the end of the month.",
        "猫坐在垫子上。",
    ]
    vectors = fresh_engine.embed(texts)
    assert len(vectors) == 4
    assert {len(v) for v in vectors} == {640}
    for vector in vectors:
        assert math.isclose(math.fsum(x * x for x in vector), 1.0, rel_tol=1e-3)

    def cos(a: list[float], b: list[float]) -> float:
        return math.fsum(x * y for x, y in zip(a, b, strict=True))

    assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2])
    assert cos(vectors[1], vectors[0]) > cos(vectors[1], vectors[2])
    # A batch gives the same vectors as one text at a time.
    alone = fresh_engine.embed([texts[2]])[0]
    assert cos(alone, vectors[2]) > 0.999
    assert fresh_engine.embed([]) == []
    assert fresh_engine.count_tokens("cat", slot="embedding") >= 1


def test_embedding_needs_an_embedding_model(fresh_engine: EngineClient) -> None:
    with pytest.raises(NoModelLoaded) as info:
        fresh_engine.embed(["text"])
    assert info.value.code == "no_embedding_model"


def test_generate_needs_a_chat_model(fresh_engine: EngineClient) -> None:
    with pytest.raises(NoModelLoaded):
        fresh_engine.generate([ChatMessage("user", "hi")]).result()
