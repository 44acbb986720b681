"""Grounded answers on the real engine with Qwen2.5-Coder 0.5B and the real sentence-embedding
model, over the question set's generated documents (tests/grounded): a bare reply is
regenerated once and the person sees one answer; a Chinese question over the Chinese
documents cites the right page; a question the documents cannot answer is answered with
"not in the documents". A handful of questions, not the whole set (that is bench.grounded).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.chat.replies import is_bare
from core.chat.session import ChatSession
from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.engine.protocol import LoadOptions, SamplingParams
from core.knowledge.embedder import Embedder
from core.knowledge.grounding import cited_numbers, ground
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.retrieval import Hit, Retriever
from core.knowledge.terms import has_cjk
from core.paths import AppPaths
from tests.grounded.documents import LAKE_PDF, write_documents
from tests.grounded.questions import QUESTIONS, Question, contains_fact, honest_refusal

GREEDY = SamplingParams(temperature=0.0, seed=0, max_tokens=96)
COLLECTION = "grounded"
SOURCES = 4  # as chat --kb


def _question(id: str) -> Question:
    return next(q for q in QUESTIONS if q.id == id)


@dataclass
class Library:
    retriever: Retriever
    store: ChatStore
    engine: EngineClient

    def search(self, text: str) -> list[Hit]:
        return self.retriever.search(text, SOURCES, [COLLECTION])

    def session(self) -> ChatSession:
        chat = self.store.create_chat(collections=[COLLECTION])
        return ChatSession(self.store, self.engine, chat.id, GREEDY)


@pytest.fixture(scope="module")
def library(
    qwen_path: Path, minilm_path: Path, engine_log: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Library]:
    """The question set's documents ingested with all-MiniLM-L6-v2; Qwen as the chat model."""
    root = tmp_path_factory.mktemp("grounded")
    files = write_documents(root / "documents")
    paths = AppPaths.under(root / "home").ensure()
    with EngineClient(log_path=engine_log) as engine, KnowledgeBase(paths) as kb, \
            ChatStore(paths.chats_db) as store:  # fmt: skip
        embedder = Embedder(engine, minilm_path, n_ctx=512)
        kb.ingestion(embedder, COLLECTION).run(files)
        engine.load_chat(qwen_path, LoadOptions(n_ctx=4096))
        yield Library(kb.retriever(embedder), store, engine)


@dataclass(frozen=True)
class Turn:
    """A grounded turn in a layout of the test's choosing (what ``ground`` returns)."""

    model_text: str
    citations: list[dict[str, Any]]
    retry_text: str | None = None


def provoking_text(question: str, hits: list[Hit]) -> str:
    """Fireside's grounded frame before issue 13: the sources under "[n] file, page" header
    lines, the request to cite, then the question. Qwen 0.5B answered "[1]" to it."""
    blocks = ["Sources from the person's documents:", ""]
    for number, hit in enumerate(hits, start=1):
        blocks += [f"[{number}] {Path(hit.file).name}, page {hit.page}", hit.text.strip(), ""]
    blocks += [
        "Answer the question below using these sources. After each fact you take from them, "
        "cite its source number in square brackets, like [1] or [2]. If the sources do not "
        "contain the answer, say so.",
        "",
        f"Question: {question}",
    ]
    return "\n".join(blocks)


def _plain(text: str) -> str:
    return re.sub(r"\[\d{1,3}\]", "", text).strip()


def test_what_counts_as_a_bare_reply() -> None:
    for bare in ("[2]", " [1] [3]\n", "【2】", "Ilse Brandvold [1].", "柏云舟[1]", "418只", "",
                 "[1] [n] [2] [n] [3] [n]"):  # fmt: skip
        assert is_bare(bare), bare
    for answer in (
        "It was founded in 1987 [1].",
        "观测站由柏云舟创立[1]。",
        "The documents do not say.",
    ):
        assert not is_bare(answer), answer


def test_a_bare_reply_is_regenerated_once_and_the_person_sees_one_answer(
    library: Library,
) -> None:
    question = _question("en-02")
    hits = library.search(question.text)
    fireside = ground(question.text, hits)
    provoking = provoking_text(question.text, hits)

    # Without a retry text the provoking frame gets the bare reply, and it stays.
    plain = library.session()
    kept = plain.send(question.text, Turn(provoking, fireside.citations))
    assert is_bare("".join(kept)) and not kept.retried

    # With one, the session holds the bare reply back, asks again with the stricter frame,
    # and streams only the second answer; the chat keeps one reply.
    session = library.session()
    reply = session.send(question.text, Turn(provoking, fireside.citations, fireside.retry_text))
    shown = "".join(reply)
    assert reply.retried and is_bare(reply.first_text)
    assert reply.result is not None
    message = reply.result.message
    # The stored reply is the streamed one with its citations (found by attribution, some
    # may sit inside the text): the person sees one answer.
    assert _plain(message.content) == _plain(shown) and not is_bare(shown)
    assert contains_fact(shown, question.facts), shown
    assert [m.role for m in session.store.branch(session.chat_id)] == ["user", "assistant"]
    assert message.citations is not None
    assert {c["n"] for c in message.citations if c["cited"]} == cited_numbers(message.content)


def test_a_chinese_question_cites_the_page_that_holds_the_fact(
    library: Library,
) -> None:
    """Source [1] is the page that holds the fact, the answer states it, and every source it
    cites is that page."""
    question = _question("zh-04")  # 黑颈鹤越冬种群有多少只？ (page 2 of the Chinese PDF)
    hits = library.search(question.text)
    assert Path(hits[0].file).name == LAKE_PDF and hits[0].page == 2
    reply = library.session().send(question.text, ground(question.text, hits))
    "".join(reply)
    assert reply.result is not None
    text = reply.result.message.content  # with the citations found for it
    assert contains_fact(text, question.facts), text
    citations = reply.result.message.citations or []
    assert (Path(citations[0]["file"]).name, citations[0]["page"]) == (LAKE_PDF, 2)
    assert all(c["cited"] == (c["n"] in cited_numbers(text)) for c in citations)
    cited = [(Path(c["file"]).name, c["page"]) for c in citations if c["cited"]]
    assert cited and set(cited) == {(LAKE_PDF, 2)}, text


def test_a_question_the_documents_cannot_answer_is_answered_honestly(library: Library) -> None:
    question = _question("en-17")  # what the radio cost at launch: in no document
    assert not question.answerable
    hits = library.search(question.text)
    text = "".join(library.session().send(question.text, ground(question.text, hits)))
    assert honest_refusal(text), text


def test_not_in_the_documents_in_the_questions_language_without_citations(
    library: Library,
) -> None:
    """A telephone number and a postcode the documents do not hold: Qwen 0.5B invented both
    ("located at 1431 Harrowgate Fen", "邮政编码是 130025") until the frame said plainly that
    no source mentions them. The reply is a normal answer in the question's language that
    cites nothing."""
    for id, chinese in (("en-16", False), ("zh-16", True)):
        question = _question(id)
        assert not question.answerable
        turn = ground(question.text, library.search(question.text))
        assert turn.unmentioned, id
        reply = library.session().send(question.text, turn)
        text = "".join(reply)
        assert honest_refusal(text) and has_cjk(text) == chinese, text
        assert reply.result is not None and not reply.result.message.incomplete
        assert not cited_numbers(text)
        assert not any(c["cited"] for c in reply.result.message.citations or []), text


def test_an_answer_in_other_words_is_still_given(library: Library) -> None:
    """The word mode is in no source, yet "19 hours of receive time" answers the question
    about receive mode: the line about unmentioned terms must not turn it into "not in the
    documents". (Its neighbour en-05, temperature against "1.5 degrees Celsius", is answered
    or refused depending on what the engine's cache held before: too close to call.)"""
    question = _question("en-09")
    turn = ground(question.text, library.search(question.text))
    assert turn.unmentioned == ("mode",)
    text = "".join(library.session().send(question.text, turn))
    assert contains_fact(text, question.facts) and not honest_refusal(text), text
