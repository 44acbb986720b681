"""The grounded question set itself: its documents read back through the real readers hold
every fact where the set says, and the set has the shape bench.grounded relies on."""

from __future__ import annotations

import hashlib
from pathlib import Path

from core.knowledge.readers import parse
from tests.grounded.documents import write_documents
from tests.grounded.questions import QUESTIONS, contains_fact, holds_fact


def test_the_documents_hold_each_fact_on_the_stated_page(tmp_path: Path) -> None:
    paths = {p.name: p for p in write_documents(tmp_path)}
    parsed = {name: parse(path, path.read_bytes()) for name, path in paths.items()}
    for question in QUESTIONS:
        if not question.answerable:
            continue
        assert question.file is not None
        sections = parsed[question.file].sections
        holding = [s.page for s in sections if holds_fact(s.text, question.facts)]
        assert holding, question.id
        assert question.page in holding, (question.id, holding)


def test_the_documents_are_written_the_same_every_time(tmp_path: Path) -> None:
    def digests(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in write_documents(folder)}  # fmt: skip

    assert digests(tmp_path / "a") == digests(tmp_path / "b")


def test_the_set_is_bilingual_with_unanswerable_questions() -> None:
    by_lang = {lang: [q for q in QUESTIONS if q.lang == lang] for lang in ("en", "zh")}
    assert len(QUESTIONS) >= 30 and len(by_lang["en"]) == len(by_lang["zh"])
    assert sum(not q.answerable for q in QUESTIONS) >= 6
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)
    # The fact check accepts the other forms and refuses a near miss.
    facts = (("8,915", "8915"),)
    assert contains_fact("About 8915 tonnes [2].", facts)
    assert not contains_fact("About 7,730 tonnes.", facts)
    assert contains_fact("创立于 1994 年 6 月 8 日。", (("1994年6月8日",),))
    # a number inside another is not the fact (GPT4All's layout got "0.2 to 3.6 meters"
    # counted as "2 meters" before this)
    depth = (("2 metres", "2 meters"),)
    assert not contains_fact("from 0.2 meters to 3.6 meters", depth)
    assert not contains_fact("12 metres", depth) and not contains_fact("2.5 metres", depth)
    assert contains_fact("down to 2 metres for 30 minutes", depth)
    assert contains_fact("quota is 45 crates", (("45",),))
    assert not contains_fact("quota is 450 crates", (("45",),))
    assert contains_fact("about 8,915 tonnes", (("8,915", "8915"),))
