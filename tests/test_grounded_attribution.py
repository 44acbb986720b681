"""Citations found after the reply (core/knowledge/attribution.py): each sentence cites the
excerpt that holds what it adds to the question, never one that does not, and nothing is
cited for a number no excerpt holds, a restated question or "not in the documents"."""

from __future__ import annotations

from core.knowledge.attribution import attribute, unsupported
from core.knowledge.grounding import cited_numbers

# Four excerpts as retrieval returns them for a question about the radio: all share its
# name, each holds different facts.
RADIO = [
    "Kestrel-9 Field Radio Manual. The Kestrel-9 is a handheld radio for survey crews. "
    "It covers 16 channels between 440 and 470 MHz.",
    "Power. The Kestrel-9 runs on the KB-47 battery pack: 19 hours of receive time or "
    "6 hours of continuous transmission.",
    "Weight and build. The Kestrel-9 weighs 735 grams without its battery and 910 grams "
    "with it. It can be submerged to 2 metres for 30 minutes.",
    "Service and warranty. Kestrel-9 warranty claims go to the service centre in "
    "Lindqvist Harbour; the warranty lasts 3 years.",
]
SHIP = [
    "星槎号科考船手册。船舶概况：星槎号于2029年下水，船长为聂秋帆，轮机长为冉秋白。",
    "安全规定：星槎号的紧急集合信号为七短一长，听到信号后全体船员到后甲板集合。",
    "青岚湖生态观测站二〇三一年度报告。观测站的巡湖船名为青鹭号。",
]


def test_each_sentence_cites_the_excerpt_that_holds_its_fact() -> None:
    question = "How much does the Kestrel-9 radio weigh without its battery?"
    cited = attribute("The Kestrel-9 weighs 735 grams without its battery.", RADIO, question)
    assert cited.text == "The Kestrel-9 weighs 735 grams without its battery.[3]"
    assert cited.cited == (3,)
    two = attribute(
        "Warranty claims go to Lindqvist Harbour. The battery lasts 19 hours in receive mode.",
        RADIO,
        "Where do Kestrel-9 warranty claims go?",
    )
    assert two.text == (
        "Warranty claims go to Lindqvist Harbour.[4] The battery lasts 19 hours in receive mode.[2]"
    )
    assert cited_numbers(two.text) == {2, 4}


def test_a_chinese_sentence_cites_its_excerpt_after_the_full_stop() -> None:
    cited = attribute("星槎号的轮机长是冉秋白。", SHIP, "星槎号的轮机长是谁？")
    assert cited.text == "星槎号的轮机长是冉秋白。[1]"
    signal = attribute("紧急集合信号是七短一长", SHIP, "星槎号的紧急集合信号是什么？")
    assert signal.text == "紧急集合信号是七短一长[2]"


def test_a_made_up_number_or_a_restated_question_cites_nothing() -> None:
    question = "How much does the Kestrel-9 radio weigh without its battery?"
    assert attribute("It weighs 500 grams.", RADIO, question).cited == ()
    weight = "What is the weight of the Kestrel-9 radio without its battery?"
    restated = attribute("The Kestrel-9 radio has a weight without its battery.", RADIO, weight)
    assert restated.cited == ()
    # the question's own year is no evidence for a second source
    year = attribute("In 2031 the radio weighed 735 grams.", RADIO, "What did it weigh in 2031?")
    assert year.cited == (3,)


def test_a_sentence_joining_two_excerpts_cites_both() -> None:
    cited = attribute(
        "The Kestrel-9 covers 16 channels and weighs 735 grams.", RADIO, "Tell me the Kestrel-9."
    )
    assert cited.text.endswith(".[1][3]") and cited.cited == (1, 3)


def test_not_in_the_documents_cites_nothing_and_goes_after_an_answer() -> None:
    for refusal, question in (
        ("The documents do not say.", "What did the Kestrel-9 cost at launch?"),
        ("资料中没有提到。", "星槎号的船长是哪一年出生的？"),
    ):
        plain = attribute(refusal, RADIO + SHIP, question)
        assert plain.text == refusal and plain.cited == ()
    both = attribute(
        "The Kestrel-9 weighs 735 grams without its battery. The documents do not say.",
        RADIO,
        "How much does the Kestrel-9 radio weigh without its battery?",
    )
    assert both.text == "The Kestrel-9 weighs 735 grams without its battery.[3]"


def test_the_models_own_markers_are_replaced() -> None:
    """The model saw no numbers: any [n] it writes points at nothing, and goes."""
    cited = attribute("[1] The warranty lasts 3 years [2].", RADIO, "How long is the warranty?")
    assert cited.text == "The warranty lasts 3 years.[4]"
    assert attribute("[1] [n] [2] [n]", RADIO, "How long is the warranty?").cited == ()


def test_the_last_sentences_markers_follow_the_streamed_text() -> None:
    """So the session streams them (only markers inside the reply change its stored text)."""
    reply = "The Kestrel-9 can be submerged to 2 metres for 30 minutes."
    cited = attribute(reply, RADIO, "How deep can the Kestrel-9 be submerged?")
    assert cited.text.startswith(reply) and cited.text[len(reply) :] == "[3]"


def test_a_run_of_sentences_from_one_excerpt_cites_it_once_at_its_end() -> None:
    reply = "The Kestrel-9 weighs 735 grams without its battery. With it, 910 grams."
    cited = attribute(reply, RADIO, "How much does the Kestrel-9 weigh?")
    assert cited.text == reply + "[3]"


def test_an_answer_that_cites_none_of_its_sources_is_unsupported() -> None:
    sources = [{"n": 1, "cited": False}, {"n": 2, "cited": False}]
    made_up = attribute("船长聂秋帆的出生年份是1931年。", SHIP, "星槎号的船长是哪一年出生的？")
    assert made_up.cited == () and unsupported(made_up.text, sources)
    assert not unsupported("资料中没有提到。", sources)  # not in the documents: said so
    assert not unsupported("The documents do not say.", sources)
    assert not unsupported("It weighs 735 grams.[1]", [{"n": 1, "cited": True}])
    assert not unsupported("A plain chat reply.", [])  # not a grounded turn
