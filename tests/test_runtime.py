"""The engine's own decode loop agrees with llama.cpp where it takes a shortcut."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import llama_cpp
import pytest

from core.engine.gguf import read_header
from core.engine.protocol import LoadOptions, SamplingParams
from core.engine.runtime import ChatRuntime, TextStream


@pytest.fixture(scope="module")
def runtime(gemma_path: Path) -> Iterator[ChatRuntime]:
    rt = ChatRuntime(read_header(gemma_path), LoadOptions(n_ctx=1024))
    yield rt
    rt.close()


def _tokens(rt: ChatRuntime, prompt: list[int], params: SamplingParams) -> list[int]:
    rt.reset_cache()
    for item in rt.generate(prompt, params, lambda: False):
        if isinstance(item, tuple):
            return list(item[1])
    raise AssertionError("no result")


@pytest.mark.parametrize("penalty", [1.0, 1.1, 1.5, 0.8])
@pytest.mark.parametrize("text", ["The list of prime numbers: 2, 3, 5,", "你好，我是", "a a a a"])
def test_greedy_shortcut_matches_llama_cpp_sampler_chain(
    runtime: ChatRuntime, text: str, penalty: float
) -> None:
    params = SamplingParams(temperature=0.0, max_tokens=32, repeat_penalty=penalty,
                            ignore_eos=True)  # fmt: skip
    prompt = runtime.tokenize(text)
    ours = _tokens(runtime, prompt, params)
    # The same loop, but every token chosen by llama.cpp's own penalties + greedy chain.
    chain = runtime._sampler(params, prompt)
    original = runtime._greedy
    try:
        runtime._greedy = lambda _p, _r: llama_cpp.llama_sampler_sample(  # type: ignore[method-assign]
            chain, runtime.ctx, -1
        )
        reference = _tokens(runtime, prompt, params)
    finally:
        runtime._greedy = original  # type: ignore[method-assign]
        llama_cpp.llama_sampler_free(chain)
    assert ours == reference


def test_text_stream_holds_back_a_possible_stop_string() -> None:
    stream = TextStream(["\nUser:"])
    assert stream.push(b"Hello") == "Hello"
    assert stream.push(b"\nUs") == ""  # could be the start of "\nUser:"
    assert stream.push(b"ual") == "\nUsual"
    assert stream.push(b"\nUser: hi") == ""
    assert stream.stopped
    assert stream.text == "Hello\nUsual"


def test_text_stream_joins_split_utf8() -> None:
    stream = TextStream([])
    data = "猫".encode()
    assert stream.push(data[:1]) == ""
    assert not stream.at_char_boundary
    assert stream.push(data[1:]) == "猫"
    assert stream.at_char_boundary
    assert stream.push(b"\xff") == "\ufffd"  # a byte that starts nothing is replaced at once
    assert stream.push("é".encode()[:1]) == ""
    assert stream.flush() == "\ufffd"  # an unfinished character at the end, too
