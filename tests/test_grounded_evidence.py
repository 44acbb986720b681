"""The evidence check (core/knowledge/evidence.py) and the grounded frame it changes: which
key terms of a question no source holds, in English and Chinese, and the plain line the frame
then carries in the question's language. No model: the real-model path is in
tests/test_grounded_answers.py."""

from __future__ import annotations

from core.knowledge.evidence import check
from core.knowledge.grounding import ground
from core.knowledge.retrieval import Hit
from tests.grounded.documents import ORCHARD_PAGES, SHIP_TEXT, TEA_TEXT


def _hit(text: str, file: str = "/docs/report.pdf", heading: str | None = None) -> Hit:
    return Hit(chunk_id="c", document_id=1, collection="c", file=file, title="", page=1,
               heading=heading, text=text, snippet=text[:40], score=0.1, vector_score=0.5,
               keyword_score=3.0)  # fmt: skip


def test_a_term_no_source_holds_is_missing_and_word_forms_count_as_found() -> None:
    orchard = [_hit(ORCHARD_PAGES[0]), _hit(ORCHARD_PAGES[1])]
    assert check("What is the telephone number of the Veltmoor Orchard Cooperative?",
                 orchard).missing == ("telephone",)  # fmt: skip
    # harvested / harvest, apples / apple; the question's own words (many) are no terms.
    evidence = check("How many tonnes of apples were harvested in 2031?", orchard)
    assert evidence.covered and "many" not in evidence.terms
    assert check("How many tonnes of apples were harvested in 2025?", orchard).missing == ("2025",)
    # The file name stands for the document: a Maintenance section need not name the radio.
    radio = [_hit("The antenna must be replaced every 600 operating hours.",
                  file="/docs/kestrel-9-radio-manual.md", heading="Maintenance")]  # fmt: skip
    assert check("After how many operating hours must the Kestrel-9 antenna be replaced?",
                 radio).covered  # fmt: skip


def test_chinese_key_terms_are_matched_as_pieces_not_bigrams() -> None:
    tea, ship = [_hit(TEA_TEXT)], [_hit(SHIP_TEXT)]
    assert check("云栖镇茶叶合作社去年的销售额是多少？", tea).missing == ("去年", "销售额")
    assert check("星槎号科考船是在哪个船厂建造的？", ship).missing == ("船厂建造",)
    # 每年召开两次 answers 一年开几次: every character of the gap is in the source.
    assert check("茶叶合作社的社员大会一年开几次？", tea).covered
    assert check("星槎号的轮机长是谁？", ship).covered
    assert check("云栖镇茶叶专业合作社是什么时候成立的？", tea).covered


def test_the_frame_names_the_missing_terms_in_the_questions_language() -> None:
    english = ground("Which fertiliser do the Veltmoor member farms use?",
                     [_hit(ORCHARD_PAGES[0])])  # fmt: skip
    assert english.unmentioned == ("fertiliser", "use")
    assert 'None of the excerpts mentions "fertiliser", "use".' in english.model_text
    assert english.model_text.rstrip().endswith("Otherwise answer in one complete sentence.")
    assert english.retry_text is not None and '"The documents do not say."' in english.retry_text
    chinese = ground("星槎号科考船是在哪个船厂建造的？", [_hit(SHIP_TEXT)])
    assert chinese.unmentioned == ("船厂建造",)
    assert "以上资料都没有提到“船厂建造”" in chinese.model_text
    assert "“资料中没有提到。”" in chinese.model_text
    # A covered question keeps the usual frame, without the line.
    covered = ground("星槎号的轮机长是谁？", [_hit(SHIP_TEXT)])
    assert not covered.unmentioned and "都没有提到" not in covered.model_text
