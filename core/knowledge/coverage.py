"""Reordering keyword candidates for a Chinese question by how much of it they cover.

BM25 over overlapping bigrams counts a Chinese name once per bigram: 云栖镇茶叶专业合作社
is nine terms, all matched again by every note that mentions the cooperative, twice by a
note that names it twice. The one bigram that says what the question asks (成立 in
"云栖镇茶叶专业合作社是什么时候成立的") then weighs a ninth of the name, and a chunk that
repeats the name outranks the chunk that holds the answer. Words are what count, so this
module counts phrases: each Chinese run of the question is matched against the chunk from
left to right, longest first (the longest piece of the question the chunk holds as it is),
and every matched piece counts once, as much as its rarest useful bigram (inverse document
frequency). Other terms (numbers, Latin words) count their own inverse document frequency,
once. How often a chunk repeats a piece no longer matters; covering more of the question
does. BM25 stays as the tie-breaker.

Only the keyword side's candidates are rescored (the best 60 by BM25,
``Retriever.coverage_pool``), so the cost is a few substring searches in a few dozen chunks:
about 2-6 ms a question at 10k chunks on two cores (``bench.knowledge``, Chinese latency).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Final

from core.knowledge.terms import has_cjk, shared_spans, tokens

_CJK_RUN: Final = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+"
)
_SPACE: Final = re.compile(r"\s+")
TIE_BREAK: Final = 0.01  # how much the BM25 score (scaled to 0..1) adds within equal coverage


def idf(frequency: int, total: int) -> float:
    """BM25's inverse document frequency (never negative)."""
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


class CoverageScorer:
    """Scores chunks by the distinct pieces of one question they hold."""

    def __init__(self, question: str, frequencies: Mapping[str, int], total: int) -> None:
        lowered = question.lower()
        self.runs = _CJK_RUN.findall(lowered)
        self.words = [t for t in tokens(_CJK_RUN.sub(" ", lowered)) if t in frequencies]
        # ``frequencies`` holds the query's useful terms only (core.knowledge.terms).
        self.weights = {t: idf(n, max(total, n)) for t, n in frequencies.items()}
        self._piece_weights: dict[str, float] = {}

    @staticmethod
    def applies(question: str) -> bool:
        return has_cjk(question)

    def score(self, text: str) -> float:
        lowered = text.lower()
        flat = _SPACE.sub("", lowered)
        words = set(tokens(_CJK_RUN.sub(" ", lowered))) if self.words else set()
        total = sum(self.weights[w] for w in dict.fromkeys(self.words) if w in words)
        counted: set[str] = set()
        for run in self.runs:
            for piece in _pieces(run, flat):
                if piece not in counted:
                    counted.add(piece)
                    total += self._weight(piece)
        return total

    def _weight(self, piece: str) -> float:
        """The piece's rarest query bigram's weight (bigrams the query left out, such as
        those holding a particle, have none), remembered across the candidates."""
        weight = self._piece_weights.get(piece)
        if weight is None:
            bigrams = (piece[i : i + 2] for i in range(len(piece) - 1))
            weight = max((self.weights.get(b, 0.0) for b in bigrams), default=0.0)
            self._piece_weights[piece] = weight
        return weight

    def rerank(self, candidates: Sequence[tuple[int, float, str]]) -> list[tuple[int, float]]:
        """(seq, BM25, text) candidates -> (seq, score), best first."""
        top = max((bm25 for _, bm25, _ in candidates), default=0.0) or 1.0
        scored = [(seq, self.score(text) + TIE_BREAK * bm25 / top)
                  for seq, bm25, text in candidates]  # fmt: skip
        scored.sort(key=lambda item: -item[1])
        return scored


def _pieces(run: str, text: str) -> list[str]:
    """The pieces (two characters or more) of ``run`` that ``text`` holds (``shared_spans``)."""
    return [run[i:j] for i, j in shared_spans(run, text)]
