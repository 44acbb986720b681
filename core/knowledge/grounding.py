"""Grounded turns: the person's question with numbered sources, and the citations to keep.

For a chat that uses knowledge, the retrieved chunks go into the current turn's user frame,
numbered, followed by the request to cite them as [1], [2] and then the question. They never
go into the system frame: that frame starts every prompt, and changing it per question would
invalidate the whole KV cache. The chat stores what the person typed as the message and this
model-facing text beside it, so later turns rebuild exactly the same frame and the cache
stays valid (see ``ChatSession.send``). The reply is stored with the citations: file, title,
page, heading, snippet and scores (fused, keyword, vector) of each numbered source, and
whether the reply cited it.

The instruction is written in Chinese when the question is, so a small model answers in the
person's language; it is part of the stored turn, so it never changes afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.knowledge.retrieval import Hit
from core.knowledge.terms import has_cjk

_CITED = re.compile(r"\[(\d{1,3})\]")

_TEMPLATES: Final = {
    "en": {
        "page": "page {page}",
        "intro": "Sources from the person's documents:",
        "ask": (
            "Answer the question below using these sources. After each fact you take from "
            "them, cite its source number in square brackets, like [1] or [2]. If the sources "
            "do not contain the answer, say so."
        ),
        "question": "Question: {question}",
    },
    "zh_CN": {
        "page": "第 {page} 页",
        "intro": "以下是来自用户文档的资料：",
        "ask": (
            "请根据这些资料回答下面的问题。每引用一条资料中的内容，就在后面用方括号标注资料编号，"
            "例如 [1] 或 [2]。如果资料中没有答案，请直接说明。"
        ),
        "question": "问题：{question}",
    },
}


@dataclass(frozen=True)
class GroundedTurn:
    """What one grounded turn adds: the text the model reads, and its numbered sources."""

    model_text: str
    citations: list[dict[str, Any]]


def citation(number: int, hit: Hit) -> dict[str, Any]:
    return {
        "n": number,
        "file": hit.file,
        "title": hit.title,
        "page": hit.page,
        "heading": hit.heading,
        "snippet": hit.snippet,
        "score": round(hit.score, 6),
        # each side's own score (None when that side did not find the chunk): the Sources panel
        "keyword_score": _rounded(hit.keyword_score),
        "vector_score": _rounded(hit.vector_score),
        # the reranker's score, only when the reranking stage ran (the panel's Rerank column)
        **({} if hit.rerank_score is None else {"rerank_score": round(hit.rerank_score, 6)}),
        "collection": hit.collection,
        "document_id": hit.document_id,
        "chunk_id": hit.chunk_id,
    }


def _rounded(score: float | None) -> float | None:
    return None if score is None else round(score, 6)


def ground(question: str, hits: Sequence[Hit]) -> GroundedTurn:
    """The user turn for ``question`` with ``hits`` as numbered sources."""
    words = _TEMPLATES["zh_CN" if has_cjk(question) else "en"]
    blocks = [words["intro"], ""]
    for number, hit in enumerate(hits, start=1):
        where = [Path(hit.file).name]
        if hit.page is not None:
            where.append(words["page"].format(page=hit.page))
        if hit.heading:
            where.append(hit.heading)
        blocks += [f"[{number}] " + ", ".join(where), hit.text.strip(), ""]
    blocks += [words["ask"], "", words["question"].format(question=question.strip())]
    return GroundedTurn("\n".join(blocks), [citation(n, h) for n, h in enumerate(hits, 1)])


def cited_numbers(reply: str) -> set[int]:
    """The source numbers a reply cites, as [n]."""
    return {int(n) for n in _CITED.findall(reply)}
