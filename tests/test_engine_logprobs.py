"""Each sampled token's log-probability and the step's most likely tokens (``top_logprobs``),
and the near-tie check the GPU tests compare backends with (tests/greedy_compare.py),
shown on the CPU build: a run that takes the other of two nearly equal tokens passes it, a
different text does not."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from core.engine.client import EngineClient
from core.engine.errors import InvalidRequest
from core.engine.protocol import SamplingParams, TokenLogprob
from core.engine.runtime import step_log_probabilities, token_logprob
from tests.greedy_compare import NEAR_TIE, Continue, compare_greedy

GREEDY = SamplingParams(temperature=0.0, max_tokens=16, seed=1, ignore_eos=True)
PROMPT = "Write a short story about a lighthouse keeper."


Run = tuple[tuple[int, ...], tuple[TokenLogprob, ...]]


def _run(engine: EngineClient, prompt: Sequence[int], params: SamplingParams) -> Run:
    generation = engine.generate_tokens(list(prompt), params)
    generation.result()
    return generation.tokens, generation.logprobs


@pytest.fixture(scope="module")
def reference(gemma_engine: EngineClient) -> Run:
    """Gemma's greedy run with each step's five most likely tokens."""
    return _run(gemma_engine, gemma_engine.tokenize(PROMPT), replace(GREEDY, top_logprobs=5))


def test_greedy_tokens_come_with_their_log_probabilities(
    gemma_engine: EngineClient, reference: Run
) -> None:
    tokens, logprobs = reference
    assert len(tokens) == len(logprobs) == GREEDY.max_tokens
    for token, step in zip(tokens, logprobs, strict=True):
        assert step.token == token and len(step.top) == 5
        # The greedy choice (the engine's own argmax with the repeat penalty) is the best
        # of the distribution reported: the two are computed apart.
        assert step.top[0] == (token, step.logprob)
        values = [v for _, v in step.top]
        assert values == sorted(values, reverse=True) and values[0] <= 0.0
        assert sum(math.exp(v) for v in values) <= 1.0 + 1e-9
        assert step.margin == values[0] - values[1] >= 0.0
    plain, none = _run(gemma_engine, gemma_engine.tokenize(PROMPT), GREEDY)
    assert plain == tokens and none == ()  # asking for them changes nothing else


def test_sampled_tokens_come_with_their_log_probabilities(gemma_engine: EngineClient) -> None:
    params = SamplingParams(temperature=1.0, seed=7, max_tokens=12, top_logprobs=2)
    tokens, logprobs = _run(gemma_engine, gemma_engine.tokenize("Once upon a time"), params)
    assert [s.token for s in logprobs] == list(tokens)
    for step in logprobs:
        assert len(step.top) == 2 and step.logprob <= step.top[0][1] <= 0.0


@pytest.mark.parametrize("value", [-1, 21, True, 2.0])
def test_top_logprobs_out_of_range_is_refused(value: object) -> None:
    with pytest.raises(InvalidRequest):
        SamplingParams(top_logprobs=value).validate()  # type: ignore[arg-type]


def test_the_distribution_has_the_repeat_penalty_applied() -> None:
    logits = np.array([2.0, 1.0, -1.0, 0.5], dtype=np.float32)
    values = step_log_probabilities(logits, [0, 2, 0], 2.0)  # 2 -> 1, -1 -> -2
    expected = np.array([1.0, 1.0, -2.0, 0.5])
    expected -= np.log(np.exp(expected).sum())
    assert np.allclose(values, expected) and logits[0] == 2.0  # the buffer is left as it was
    step = token_logprob(values, 3, 2)
    assert step.top == ((0, values[0]), (1, values[1])) and step.margin == 0.0
    assert step.logprob == values[3]


def _continue(engine: EngineClient, prompt: Sequence[int]) -> Continue:
    def run(prefix: Sequence[int], n: int) -> Sequence[int]:
        return _run(engine, [*prompt, *prefix], replace(GREEDY, max_tokens=n))[0]

    return run


def test_a_run_that_takes_the_other_of_two_near_equal_tokens_agrees(
    gemma_engine: EngineClient, reference: Run
) -> None:
    prompt = gemma_engine.tokenize(PROMPT)
    tokens, logprobs = reference
    tie = next(i for i, s in enumerate(logprobs) if s.margin < NEAR_TIE)
    runner_up = logprobs[tie].top[1][0]
    same = _continue(gemma_engine, prompt)
    flipped = [*tokens[:tie], runner_up]
    after = list(same(flipped, len(tokens) - tie - 1))

    def other(prefix: Sequence[int], n: int) -> Sequence[int]:
        """The same backend, except that it takes the runner-up at the near-tie."""
        if len(prefix) <= tie:
            return [*flipped, *after][len(prefix) : len(prefix) + n]
        return same(prefix, n)

    result = compare_greedy(tokens, logprobs, other)
    assert result.divergence is None, result.describe()
    # The flip is forgiven as a near-tie; later steps agree (or part at near-ties of their
    # own: the continuation evaluates the prefix in other batches than the reference did).
    assert (result.ties[0].step, result.ties[0].other) == (tie, runner_up)
    assert result.steps == len(tokens)


def test_a_different_text_is_a_real_divergence(gemma_engine: EngineClient, reference: Run) -> None:
    tokens, logprobs = reference
    elsewhere = _continue(gemma_engine, gemma_engine.tokenize("Write a short poem about the sea."))
    result = compare_greedy(tokens, logprobs, elsewhere)
    assert result.divergence is not None, result.describe()
    assert result.divergence.gap >= NEAR_TIE
