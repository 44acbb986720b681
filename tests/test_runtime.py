"""The engine's own decode loop agrees with llama.cpp where it takes a shortcut, and models
load the way this llama.cpp build can run them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import llama_cpp
import pytest

from core.engine import runtime as runtime_module
from core.engine.gguf import read_header
from core.engine.protocol import LoadOptions, SamplingParams
from core.engine.runtime import ChatRuntime, TextStream, build_uses_amx


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


def test_amx_builds_load_models_without_extra_buffers(runtime: ChatRuntime) -> None:
    """ggml's AMX kernels crash when built by GCC (llama.cpp PR 26954): an AMX build must
    load weights into plain CPU buffers, any other build keeps the faster repacked ones."""
    info = llama_cpp.llama_print_system_info().decode()
    assert build_uses_amx() == ("AMX_INT8 = 1" in info)
    assert bool(runtime.llm.model_params.use_extra_bufts) == (not build_uses_amx())
    # and the model it loaded computes: a greedy continuation comes out
    tokens = _tokens(
        runtime,
        runtime.tokenize("1, 2, 3,", True, False),
        SamplingParams(temperature=0.0, max_tokens=4, ignore_eos=True),
    )
    assert len(tokens) == 4


def test_the_extra_buffer_switch_applies_only_while_loading() -> None:
    defaults = llama_cpp.llama_cpp.llama_model_default_params
    assert defaults().use_extra_bufts
    with runtime_module._model_params(extra_buffers=False):
        assert not llama_cpp.llama_cpp.llama_model_default_params().use_extra_bufts
    assert llama_cpp.llama_cpp.llama_model_default_params is defaults
    assert defaults().use_extra_bufts
