"""Whether two backends' greedy runs agree, allowing for near-ties (issue 15 §2).

Two llama.cpp backends (its CPU kernels, a Vulkan device) compute the same model with
different rounding: on the Q4_K_M test models the logits of a step differ by up to a few
tenths (bench/README, "The GPU path on lavapipe"). Greedy decoding then agrees token for
token except where the two best tokens of a step are closer than that: there either choice
is right, and after it the texts go different ways. So the reference run (the CPU) reports
each step's log-probabilities, and the other backend is walked along the reference's tokens:
at every step it must choose the reference's token, unless the reference rates the token it
chose within ``tolerance`` of its own choice (a near-tie). After a near-tie the other run is
continued from the reference's token, so every step of the run is checked, not only those
before the first tie; a choice the reference rates lower than that (or not among its top
tokens at all) is a real divergence and fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.engine.protocol import TokenLogprob

# How far apart (in log-probability, the same as in logits) the reference's choice and the
# other backend's may be for the difference to count as a near-tie. Measured on lavapipe
# (bench/README): over 64 steps Vulkan moved the CPU's top-2 difference by at most 0.46 on
# Gemma, 0.22 on Qwen, and at every step where the two chose differently the CPU rated
# Vulkan's token within 0.32 of its own.
NEAR_TIE = 0.5

# Continues greedily after the prompt and the given reference tokens, for at most ``n``
# tokens; returns the tokens the other backend chose.
Continue = Callable[[Sequence[int], int], Sequence[int]]


@dataclass(frozen=True)
class Tie:
    """A step where the runs chose differently between two nearly equal tokens."""

    step: int
    reference: int
    other: int
    gap: float  # the reference's log-probability of its token minus that of the other's


@dataclass(frozen=True)
class Comparison:
    steps: int  # steps checked
    ties: tuple[Tie, ...]
    divergence: Tie | None  # the first real one (gap >= tolerance, inf: not in the top)

    def describe(self) -> str:
        ties = ", ".join(f"{t.step} ({t.gap:.3f})" for t in self.ties) or "none"
        found = self.divergence
        real = f"real divergence at step {found.step}: {found}" if found else "no divergence"
        return f"{self.steps} steps checked; near-ties at {ties}; {real}"


def gap(step: TokenLogprob, token: int) -> float:
    """How much more likely the reference found its own token than ``token`` (inf when
    ``token`` is not among the step's top tokens)."""
    rated = dict(step.top)
    return step.logprob - rated[token] if token in rated else float("inf")


def compare_greedy(
    reference: Sequence[int],
    logprobs: Sequence[TokenLogprob],
    other: Continue,
    *,
    tolerance: float = NEAR_TIE,
    chunk: int = 8,
) -> Comparison:
    """Walk ``other`` along ``reference`` (a greedy run with its ``TokenLogprob`` for each
    token), ``chunk`` tokens per call so a near-tie wastes at most that many; stop at the
    first real divergence."""
    assert len(logprobs) == len(reference), "the reference run needs its logprobs"
    ties: list[Tie] = []
    position = 0
    while position < len(reference):
        wanted = min(chunk, len(reference) - position)
        chosen = list(other(reference[:position], wanted))[:wanted]
        assert chosen, "the other backend returned no token"
        for offset, token in enumerate(chosen):
            step = position + offset
            if token == reference[step]:
                continue
            found = Tie(step, reference[step], token, gap(logprobs[step], token))
            if found.gap >= tolerance:
                return Comparison(step + 1, tuple(ties), found)
            ties.append(found)
            position = step + 1  # go on from the reference's choice
            break
        else:
            position += len(chosen)
    return Comparison(len(reference), tuple(ties), None)
