"""Chunking: sentence ends in both languages, the token limit, overlap, offsets, stable ids.

The token counter here is a plain function (a word, a Chinese character or a punctuation mark
is one token), so the limits can be checked exactly; the real tokenizer is used in
test_knowledge_ingest.py.
"""

from __future__ import annotations

import itertools
import re

from core.knowledge.chunking import Chunker, document_text, sentence_spans
from core.knowledge.ingest import chunk_id
from core.knowledge.readers import ParsedDocument, Section
from core.knowledge.terms import index_text, query_terms

_TOKEN = re.compile(r"[\u4e00-\u9fff]|\w+|[^\w\s]")


def count(text: str) -> int:
    return len(_TOKEN.findall(text))


def test_sentences_end_at_chinese_and_english_punctuation() -> None:
    text = "第一句。第二句！第三句？第四句；The end. Really? Yes! 3.14 is pi.\n\nNew paragraph"
    pieces = [text[s:e].strip() for s, e in sentence_spans(text)]
    assert pieces == ["第一句。", "第二句！", "第三句？", "第四句；", "The end.", "Really?",
                      "Yes!", "3.14 is pi.", "New paragraph"]  # fmt: skip
    spans = sentence_spans(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))  # no gaps


def test_chunks_respect_the_limit_overlap_and_keep_their_place() -> None:
    english = " ".join(f"Sentence number {i} says something about topic {i}." for i in range(40))
    chinese = "".join(f"第{i}句话讲的是一个新的主题。" for i in range(40))
    document = ParsedDocument("pdf", "t", [Section(english, page=1, heading="Intro"),
                                           Section(chinese, page=2, heading="中文")])  # fmt: skip
    chunker = Chunker(count, max_tokens=40, overlap=10)
    chunks = chunker.chunk(document)
    full = document_text(document)
    assert len(chunks) > 6
    for chunk in chunks:
        assert count(chunk.text) <= 40
        assert chunk.tokens == count(chunk.text)
        assert full[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.page in (1, 2)
        assert chunk.heading == ("Intro" if chunk.page == 1 else "中文")
        assert chunk.text.endswith((".", "。"))  # cut at sentence ends
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    # Consecutive chunks of one section share a sentence (the overlap).
    for a, b in itertools.pairwise(chunks):
        if a.page == b.page:
            assert b.char_start < a.char_end
    # No chunk crosses a page.
    assert all(c.char_end <= len(english) for c in chunks if c.page == 1)


def test_a_sentence_longer_than_a_chunk_is_cut() -> None:
    run_on = " ".join(f"word{i}" for i in range(300))  # no sentence end at all
    lines = "\n".join(f"line {i} of code" for i in range(100))
    chinese = "很" * 500
    chunker = Chunker(count, max_tokens=50, overlap=5)
    for text in (run_on, lines, chinese):
        chunks = chunker.chunk(ParsedDocument("text", "t", [Section(text)]))
        assert all(count(c.text) <= 50 for c in chunks)
        covered = "".join(c.text for c in chunks)
        assert covered.replace(" ", "").replace("\n", "") >= text.replace(" ", "")[:10]
        assert chunks[-1].char_end == len(text.rstrip())


def test_chunking_is_deterministic_and_ids_are_stable() -> None:
    document = ParsedDocument("text", "t", [Section("One. Two. Three. " * 30)])
    first = Chunker(count, 20).chunk(document)
    second = Chunker(count, 20).chunk(document)
    assert first == second
    ids = [chunk_id(1, "abc", c) for c in first]
    assert ids == [chunk_id(1, "abc", c) for c in second]
    assert len(set(ids)) == len(ids)  # the same text at two places gets two ids
    assert chunk_id(2, "abc", first[0]) != ids[0]  # another collection, another id


def test_search_terms_are_words_and_chinese_bigrams() -> None:
    assert index_text("The Beacon-Lamp, 熊猫吃竹子") == "the beacon lamp 熊猫 猫吃 吃竹 竹子"
    assert query_terms("What is the weight of an adult panda?") == ["weight", "adult", "panda"]
    terms = query_terms("成年大熊猫的体重是多少？")
    assert {"成年", "熊猫", "体重"} <= set(terms)
    assert not {"是多", "多少"} & set(terms)  # question words say nothing
    assert query_terms("Café") == ["café"]


def test_counting_many_at_once_gives_the_same_chunks_in_two_requests() -> None:
    """With ``count_many`` a document's sentences are counted in one request and its chunks
    in a second (an ingestion cuts the next document while the engine embeds), and the chunks
    are exactly those counted one text at a time; a long sentence is still cut (its pieces
    counted singly)."""
    english = " ".join(f"Sentence number {i} says something about topic {i}." for i in range(40))
    chinese = "".join(f"第{i}句话讲的是一个新的主题。" for i in range(40))
    long_one = " ".join(f"word{i}" for i in range(120)) + "."
    document = ParsedDocument("pdf", "t", [Section(english, page=1, heading="Intro"),
                                           Section(chinese, page=2, heading="中文"),
                                           Section(long_one, page=3, heading="Long")])  # fmt: skip
    singly: list[str] = []
    many: list[list[str]] = []

    def count_one(text: str) -> int:
        singly.append(text)
        return count(text)

    def count_many(texts: object) -> list[int]:
        batch = list(texts)  # type: ignore[call-overload]
        many.append(batch)
        return [count(t) for t in batch]

    expected = Chunker(count, max_tokens=40, overlap=10).chunk(document)
    chunks = Chunker(count_one, max_tokens=40, overlap=10, count_many=count_many).chunk(document)
    assert chunks == expected
    assert len(many) == 2  # the sentences, then the chunks
    assert len(many[0]) == len(set(many[0])) and all(many[0])  # each text once, none empty
    assert 0 < len(singly) < 10  # only the long sentence's pieces
