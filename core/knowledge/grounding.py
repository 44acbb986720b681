"""Grounded turns: the person's question with numbered sources, and the citations to keep.

For a chat that uses knowledge, the retrieved chunks go into the current turn's user frame,
numbered, followed by the question and then the request to answer in sentences that cite
them as [n] (or to say the documents do not hold the answer). They never
go into the system frame: that frame starts every prompt, and changing it per question would
invalidate the whole KV cache. The chat stores what the person typed as the message and this
model-facing text beside it, so later turns rebuild exactly the same frame and the cache
stays valid (see ``ChatSession.send``). The reply is stored with the citations: file, title,
page, heading, snippet and scores (fused, keyword, vector) of each numbered source, and
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
from typing import Any, Final

from core.knowledge.evidence import check
from core.knowledge.retrieval import Hit
from core.knowledge.terms import has_cjk

_CITED = re.compile(r"\[(\d{1,3})\]")

# Measured with bench.grounded on Qwen2.5-Coder 0.5B (see bench/README.md). The frame before
# issue 13 put each source under a "[n] file, page n" header line and asked to cite "like [1]
# or [2]" before the question: the model continued that list, answering "[1]" (a header) and
# stopping, or copied a header and its whole chunk. Now the label is "Source [n]:" alone (file
# names and pages stay in the citations, for the person), the question comes after the sources
# and the instruction last, right before the answer, asking for full sentences with the
# number at the end and giving one fixed reply for "not in the documents".
_TEMPLATES: Final = {
    "en": {
        "intro": "Excerpts from the person's documents:",
        "label": "Source [{n}]:",
        "question": "Question: {question}",
        "ask": (
            "Answer the question in one or two complete sentences, using only the excerpts "
            "above. End the sentence with the number of the source you used in square "
            'brackets, like [2]. If the excerpts do not contain the answer, reply only: "The '
            'documents do not say."'
        ),
        "strict": (
            "Write the answer itself in one or two complete sentences, not only a source "
            "number, using only the excerpts above, and end it with the number of the source "
            'in square brackets. If the excerpts do not contain the answer, reply only: "The '
            'documents do not say."'
        ),
        # When the sources lack key terms of the question: in place of "ask" (measured on
        # Qwen 0.5B: the plain "ask" with this line after it, or the line before the
        # excerpts, still drew an invented telephone number; this wording got the fixed
        # reply for 6 of 6 such questions and still the fact for 2 of 2 paraphrased ones).
        "unmentioned": (
            "None of the excerpts mentions {terms}. If the excerpts do not state the answer, "
            'reply only: "The documents do not say." Otherwise answer in one complete '
            "sentence that ends with the number of the source in square brackets."
        ),
        "term": '"{term}"',
        "joiner": ", ",
    },
    # Chinese: measured apart (bench.grounded, 19 Chinese questions). The English frame
    # above made Qwen 0.5B answer Chinese questions with a bare "[1]" half the time and drop
    # the number after a full answer (cite 0.13); one instruction line, then the excerpts
    # as "[n] text", then the question alone gave cite 0.87 and fact 0.73.
    "zh_CN": {
        "intro": "根据以下资料回答，并用 [n] 注明出处。",
        "label": "[{n}] ",
        "question": "{question}",
        "ask": "",
        "strict": "请用完整的句子写出答案本身，不要只写资料编号，并在句末用 [n] 注明出处。",
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
    """The user turn for ``question`` with ``hits`` as numbered sources, and the same turn
    with the stricter instruction for the session's one retry of a bare reply."""
    words = _TEMPLATES["zh_CN" if has_cjk(question) else "en"]
    blocks = [words["intro"], ""]
    for number, hit in enumerate(hits, start=1):
        label = words["label"].format(n=number)
        if label.endswith(" "):  # on the excerpt's own line
            blocks += [label + hit.text.strip(), ""]
        else:
            blocks += [label, hit.text.strip(), ""]
    blocks.append(words["question"].format(question=question.strip()))
    citations = [citation(n, h) for n, h in enumerate(hits, 1)]
    missing = check(question, hits).missing if hits else ()
    if missing:
        terms = words["joiner"].join(words["term"].format(term=t) for t in missing)
        line = words["unmentioned"].format(terms=terms)
        text = "\n".join([*blocks, "", line])
        # English: the line stands in for both instructions; Chinese: after the strict one.
        strict = text if words["ask"] else "\n".join([*blocks, "", words["strict"], "", line])
        return GroundedTurn(text, citations, strict, missing)
    text = "\n".join([*blocks, "", words["ask"]] if words["ask"] else blocks)
    strict = "\n".join([*blocks, "", words["strict"]])
    return GroundedTurn(text, citations, strict)


def cited_numbers(reply: str) -> set[int]:
    """The source numbers a reply cites, as [n]."""
    return {int(n) for n in _CITED.findall(reply)}
