"""Grounded turns: the person's question with the retrieved excerpts, and the citations to keep.

For a chat that uses knowledge, the retrieved chunks go into the current turn's user frame,
unnumbered, followed by the question and then the request to answer in full sentences (or to
say the documents do not hold the answer). The model is not asked to cite: the reply's
citations are found after it is written (core/knowledge/attribution.py), from the question and
the excerpts kept in ``GroundedTurn.attribute``. They never go into the system frame: that
frame starts every prompt, and changing it per question would invalidate the whole KV cache.
The chat stores what the person typed as the message and this model-facing text beside it,
so later turns rebuild exactly the same frame and the cache stays valid (see
``ChatSession.send``). The reply is stored with the citations, numbered in retrieval order:
file, title, page, heading, snippet and scores (fused, keyword, vector) of each source, and
whether the reply cited it.

The instruction is written in Chinese when the question is, so a small model answers in the
person's language; it is part of the stored turn, so it never changes afterwards.

When none of the sources holds a key term of the question (core/knowledge/evidence.py: the
telephone of "what is the cooperative's telephone number?"), the instruction says so plainly,
naming the terms, and gives the reply for "not in the documents" in the question's language;
an excerpt that states the answer in other words (1.5 degrees Celsius for a temperature) is
still answered from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.knowledge.attribution import attribute
from core.knowledge.evidence import check
from core.knowledge.retrieval import Hit
from core.knowledge.terms import has_cjk

_CITED = re.compile(r"\[(\d{1,3})\]")

# Measured with bench.grounded on Qwen2.5-Coder 0.5B (see bench/README.md). Asked to cite
# numbered sources, the model continued the numbering ("[1] Service and warranty [2] …"),
# copied "[n]" or cited a neighbour, and stated the fact in 0.74 of answers against 0.92 for
# GPT4All's unnumbered layout. So the excerpts are not numbered and the model is not asked to
# cite: it answers, and core/knowledge/attribution.py cites each sentence's excerpt. The
# question comes after the excerpts and the instruction last, right before the answer,
# asking for full sentences.
_TEMPLATES: Final = {
    "en": {
        "intro": "Excerpts from the person's documents:",
        "label": "Excerpt from {where}:",
        "page": "{file}, page {page}",
        "question": "Question: {question}",
        # No fixed reply for "not in the documents" here: with it, Qwen 0.5B refused 3 of
        # 17 answerable questions ("How often must the beacon lamp be cleaned?" over the
        # page that says "every Tuesday"); without it, none. The unanswerable questions
        # are the evidence check's (below): it named a missing term for 14 of 16.
        "ask": (
            "Answer the question in one or two complete sentences, using only the excerpts above."
        ),
        "strict": (
            "Write the answer itself in one or two complete sentences, using only the "
            "excerpts above."
        ),
        # When the sources lack key terms of the question: in place of "ask" (measured on
        # Qwen 0.5B: the plain "ask" with this line after it, or the line before the
        # excerpts, still drew an invented telephone number).
        "unmentioned": (
            "None of the excerpts mentions {terms}. If the excerpts do not state the answer, "
            'reply only: "The documents do not say." Otherwise answer in one complete '
            "sentence."
        ),
        "term": '"{term}"',
        "joiner": ", ",
    },
    "zh_CN": {
        # One instruction line first, the question last (as the numbered frame measured
        # best for Chinese); "资料（file，第 2 页）：" labels were echoed into the answers.
        "intro": "根据以下资料回答问题。",
        "label": "资料：",
        "question": "问题：{question}",
        "ask": "",
        "strict": "请用完整的句子写出答案本身，只根据以上资料。",
        # After the question (Qwen 0.5B answered "资料中没有提到。" to 6 of 6 such questions).
        "unmentioned": (
            "注意：以上资料都没有提到{terms}。如果资料不能回答这个问题，请只回答：“资料中没有提到。”"
        ),
        "term": "“{term}”",
        "joiner": "、",
    },
}


@dataclass(frozen=True)
class GroundedTurn:
    """What one grounded turn adds: the text the model reads, and its numbered sources."""

    model_text: str
    citations: list[dict[str, Any]]
    retry_text: str | None = None  # the stricter turn, if the reply is bare (ChatSession)
    unmentioned: tuple[str, ...] = ()  # the question's key terms that no source holds
    # What ChatSession needs to cite the reply (core/knowledge/attribution.py): the
    # question and each source's text, in the citations' order.
    attribute: dict[str, Any] | None = None


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
        **({} if hit.rerank_score is None else {"rerank_score": _rounded(hit.rerank_score)}),
        "collection": hit.collection,
        "document_id": hit.document_id,
        "chunk_id": hit.chunk_id,
    }


def _rounded(score: float | None) -> float | None:
    return None if score is None else round(score, 6)


def ground(question: str, hits: Sequence[Hit]) -> GroundedTurn:
    """The user turn for ``question`` with ``hits`` as sources (unnumbered for the model,
    numbered in the citations), and the same turn with the stricter instruction for the
    session's one retry of a bare reply."""
    words = _TEMPLATES["zh_CN" if has_cjk(question) else "en"]
    blocks = [words["intro"], ""]
    for hit in hits:
        label = words["label"]
        if "{where}" in label:
            label = label.format(where=_where(hit, words))
        blocks += [label, hit.text.strip(), ""]
    blocks.append(words["question"].format(question=question.strip()))
    citations = [citation(n, h) for n, h in enumerate(hits, 1)]
    attribute = {"question": question.strip(), "excerpts": [h.text.strip() for h in hits]}
    missing = check(question, hits).missing if hits else ()
    if missing:
        terms = words["joiner"].join(words["term"].format(term=t) for t in missing)
        line = words["unmentioned"].format(terms=terms)
        text = "\n".join([*blocks, "", line])
        return GroundedTurn(text, citations, text, missing, attribute)
    text = "\n".join([*blocks, "", words["ask"]] if words["ask"] else blocks)
    strict = "\n".join([*blocks, "", words["strict"]])
    return GroundedTurn(text, citations, strict, attribute=attribute)


def _where(hit: Hit, words: dict[str, str]) -> str:
    """The excerpt's file name, and its page when it has one."""
    name = Path(hit.file).name or hit.file
    return words["page"].format(file=name, page=hit.page) if hit.page else name


def cited_numbers(reply: str) -> set[int]:
    """The source numbers a reply cites, as [n]."""
    return {int(n) for n in _CITED.findall(reply)}


def mark_cited(citations: Sequence[dict[str, Any]], reply: str) -> list[dict[str, Any]]:
    """The citations with ``cited`` set for those ``reply`` refers to as [n]."""
    numbers = cited_numbers(reply)
    return [{**c, "cited": c.get("n") in numbers} for c in citations]


def attributed(turn: GroundedTurn, reply: str) -> str:
    """``reply`` with the citations found for it (core/knowledge/attribution.py), for a turn
    answered outside a chat session (the local server)."""
    if turn.attribute is None:
        return reply
    return attribute(reply, turn.attribute["excerpts"], turn.attribute["question"]).text
