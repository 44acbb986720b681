"""The keyword side carries Chinese questions when the embedding model cannot.

Real SQLite and real Chroma; the vectors are random unit vectors, standing for what an
English-only model makes of Chinese text (a ranking that knows nothing). The real model's
figures are in bench/README.md (``bench.retrieval_languages``)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from core.knowledge.collections import CollectionModels
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.languages import query_language
from core.knowledge.retrieval import Retriever
from core.knowledge.store import MIGRATIONS, Collection, DocumentFacts, KnowledgeStore, NewChunk
from core.knowledge.terms import query_terms, tokens
from core.paths import AppPaths

MODEL = "all-MiniLM-L6-v2-f16.gguf:46223616"
DIM = 16
# The answer sits in a long chunk among other facts, as in a real document.
ANSWER = ("云栖镇茶叶专业合作社成立于2009年4月17日，首批社员四十二户。茶园分布在海拔六百米以上的"
          "山坡，土壤以黄壤为主。每年清明前后开园，采摘一芽一叶和一芽二叶。鲜叶当天摊晾，"
          "经过杀青、揉捻和烘干三道工序。加工车间在二零一八年改建，新增两条生产线。"
          "合作社为社员统一提供有机肥和技术培训，并按交售量返还盈余。")  # fmt: skip
# Notes that name the cooperative, twice, and say nothing about when it was founded.
DISTRACTORS = [
    f"根据云栖镇茶叶专业合作社的记录，茶园管理的费用约为{n}万元。云栖镇茶叶专业合作社于"
    f"20{n % 30:02d}年举办了开放日活动。"
    for n in range(11, 31)
]
# And notes on other subjects, so that the name is in a minority of chunks, as in a folder.
OTHERS = [
    f"青岚湖生态观测站第{n}次巡护记录：水鸟{n * 3}只，水温{n % 9 + 10}度，浮标运行正常。"
    for n in range(60)
]


def unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def kb() -> KnowledgeBase:
    base = KnowledgeBase(AppPaths.from_env().ensure())
    yield base  # type: ignore[misc]
    base.close()


def fill(kb: KnowledgeBase, texts: list[str], rng: np.random.Generator) -> Collection:
    collection = CollectionModels(kb.store).bind(kb.store.ensure_collection("notes"), MODEL,
                                                 "/models/minilm.gguf", DIM)  # fmt: skip
    for n, text in enumerate(texts):
        digest = hashlib.sha256(text.encode()).hexdigest()
        chunk = NewChunk(digest[:16], 0, text, None, None, 0, len(text), digest, 30, unit(rng))
        facts = DocumentFacts(f"/docs/{n:02d}.txt", str(n), "text", digest, 1, 0.0, None, "zh")
        _, added, removed = kb.store.commit_document(collection.id, facts, [chunk], MODEL)
        kb.index.apply(kb.store.collection_by_id(collection.id), added, removed)
    return kb.store.collection_by_id(collection.id)


def test_numbers_do_not_swallow_the_chinese_after_them() -> None:
    assert tokens("截至2031年底，共记录到163种水鸟。") == [
        "截至", "2031", "年底", "共记", "记录", "录到", "163", "种水", "水鸟"]  # fmt: skip
    assert tokens("平台QL-07是") == ["平台", "ql", "07", "是"]


def test_question_words_and_particles_are_not_searched_for() -> None:
    assert query_terms("星槎号的轮机长是谁？") == ["星槎", "槎号", "轮机", "机长"]
    terms = query_terms("云栖镇茶叶专业合作社是什么时候成立的？")
    assert "成立" in terms and not {"什么", "时候", "立的", "社是", "么时"} & set(terms)
    assert query_language("合作社是什么时候成立的？") == "zh"
    assert query_language("When was it founded?") == "en"


def test_a_chunk_that_covers_the_question_beats_one_that_repeats_its_name(
    kb: KnowledgeBase,
) -> None:
    """BM25 over bigrams counts the nine bigrams of the name twice in every note; the answer
    holds the name once and 成立, the one word the question is about."""
    collection = fill(kb, [*OTHERS, *DISTRACTORS, ANSWER], np.random.default_rng(3))
    retriever = Retriever(kb.index, model_languages=("en",))
    hits = retriever.search_with_vector("云栖镇茶叶专业合作社是什么时候成立的？", None, 5,
                                        [collection])  # fmt: skip
    assert hits[0].text == ANSWER


def test_an_english_only_model_does_not_push_the_keyword_answer_down(kb: KnowledgeBase) -> None:
    collection = fill(kb, [*OTHERS, *DISTRACTORS, ANSWER], np.random.default_rng(4))
    question = "云栖镇茶叶专业合作社是什么时候成立的？"
    english_only = Retriever(kb.index, model_languages=("en",))
    by_keywords = english_only.search_with_vector(question, None, 5, [collection])
    # The query vector lands on the keywords' second choice, as an English-only model's may.
    second = by_keywords[1]
    _, rows = next(kb.store.vectors(collection.id, MODEL, [second.chunk_id]))
    query = rows[0]
    hits = english_only.search_with_vector(question, query, 5, [collection])
    assert hits[0].text == ANSWER and hits[0].vector_score is not None
    # A model that understands Chinese is trusted: there its nearest chunk goes first.
    multilingual = Retriever(kb.index, model_languages=("multilingual", "zh", "en"))
    assert multilingual.search_with_vector(question, query, 5, [collection])[0].text == second.text
    assert english_only.vector_weight(question) == 0.0
    assert english_only.vector_weight("When was the cooperative founded?") == 1.0
    assert Retriever(kb.index).vector_weight(question) == 1.0  # unknown model: trusted


def test_a_store_indexed_with_the_old_terms_is_indexed_again(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    old = sqlite3.connect(db)
    old.executescript("\n".join(script for _, script in MIGRATIONS[:2])
                      + "\nPRAGMA user_version = 2;")  # fmt: skip
    old.execute("INSERT INTO collections(name, created_at) VALUES ('notes', 0)")
    old.execute("INSERT INTO documents(collection_id, path, status, added_at, indexed_at,"
                " chunk_count) VALUES (1, '/d/lake.txt', 'indexed', 0, 0, 1)")  # fmt: skip
    text = "2031年观测站共记录到水鸟163种。"
    old.execute("INSERT INTO chunks(id, document_id, collection_id, ordinal, text, char_start,"
                " char_end, content_hash, tokens) VALUES ('c1', 1, 1, 0, ?, 0, 1, 'h', 1)",
                (text,))  # fmt: skip
    # As the old tokenizer indexed it: the year and the Chinese after it as one term.
    old.execute("INSERT INTO chunks_fts(rowid, terms, collection_id) VALUES (1, ?, 1)",
                ("2031年观测站共记录到水鸟163种",))  # fmt: skip
    old.commit()
    old.close()
    with KnowledgeStore(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.keyword_search(["2031"], [1], 5) != []
        assert store.keyword_search(["水鸟"], [1], 5) != []
