"""The grounded question set: 54 questions, half in Chinese, over ``documents.py``.

The first 38 (``-01`` to ``-19`` in each language) were used to choose the evidence check's
threshold (core/knowledge/evidence.py); the 16 after them (``-20`` to ``-27``, 8 of them
unanswerable) were written before that and used for nothing but the held-out figures
(:func:`held_out`).

``facts`` is a tuple of groups; a correct answer contains every group, in any one of the
group's accepted forms (compared after :func:`normalize`: NFKC, lower case, no white space).
The first form of each group is the one the document itself uses, so a retrieved chunk
"holds the fact" when it contains every group's first form. ``file``/``page`` say where the
fact is (page None for text and Markdown files). A question with no facts is one the
documents cannot answer: the honest reply says so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from tests.grounded.documents import LAKE_PDF, ORCHARD_PDF, RADIO_MD, SHIP_MD, TEA_TXT


@dataclass(frozen=True)
class Question:
    id: str
    lang: str  # "en" or "zh"
    text: str
    facts: tuple[tuple[str, ...], ...]  # empty: the documents do not hold the answer
    file: str | None = None
    page: int | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.facts)


def normalize(text: str) -> str:
    """For comparing facts: NFKC (full-width digits and punctuation), lower case, and no
    white space (a PDF line break or a space a model puts between 3 and 月 changes nothing)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower())


def contains_fact(text: str, facts: tuple[tuple[str, ...], ...]) -> bool:
    """Does ``text`` hold every group of ``facts`` in one of its accepted forms?"""
    plain = normalize(text)
    return bool(facts) and all(any(_found(normalize(f), plain) for f in group) for group in facts)


def _found(fact: str, plain: str) -> bool:
    """``fact`` in ``plain`` as a whole number: "2meters" is not in "0.2meters" or
    "3.2meters", nor "45" in "450" (white space is gone, so digits mark the boundary)."""
    start = plain.find(fact)
    while start >= 0:
        before, after = plain[max(0, start - 2) : start], plain[start + len(fact) :][:2]
        digit_before = fact[:1].isdigit() and (
            before[-1:].isdigit() or (before[-1:] in ".," and before[:1].isdigit())
        )
        digit_after = fact[-1:].isdigit() and (
            after[:1].isdigit() or (after[:1] in ".," and after[1:2].isdigit())
        )
        if not digit_before and not digit_after:
            return True
        start = plain.find(fact, start + 1)
    return False


def holds_fact(text: str, facts: tuple[tuple[str, ...], ...]) -> bool:
    """Does a source's ``text`` hold the fact as the document words it (first forms)?"""
    plain = normalize(text)
    return bool(facts) and all(normalize(group[0]) in plain for group in facts)


# "Not in the documents", as the models word it.
_HONEST = re.compile(
    r"(not|n't|never|no)\s+(\w+\s+){0,3}(mention|contain|provide|include|state|specif|say|"
    r"list|give|available|found|find|know|answer|information|detail|data|record)"
    r"|no (relevant |such |specific )?(information|mention|data|details|record)"
    r"|(cannot|can't|can not|unable to|couldn't|could not) (be )?(find|answer|determine|found|"
    r"determined|provide|say)"
    r"|(没有|未|并未|并没有|无)(\S{0,6})(提到|提及|提供|说明|记载|包含|给出|涉及|找到|信息|答案|相关|资料|记录)"
    r"|无法(回答|确定|找到|得知|从|提供|判断)|不包含|不清楚|不知道|未知",
    re.IGNORECASE,
)


def honest_refusal(reply: str) -> bool:
    """Does the reply say the documents do not hold the answer?"""
    return bool(_HONEST.search(reply))


def held_out(question: Question) -> bool:
    """Was the question kept out of every choice made with the set (see the docstring)?"""
    return int(question.id.split("-")[1]) >= 20


def _q(id: str, text: str, facts: tuple[tuple[str, ...], ...], file: str | None = None,
       page: int | None = None) -> Question:  # fmt: skip
    return Question(id, "zh" if id.startswith("zh") else "en", text, facts, file, page)


# One question per line or two, easier to read as a table than as ruff would lay it out.
# fmt: off
QUESTIONS: Final = (
    # ---- English, PDF -------------------------------------------------------------------
    _q("en-01", "When was the Veltmoor Orchard Cooperative founded?",
       (("14 March", "March 14", "14th of March", "1987-03-14"), ("1987",)), ORCHARD_PDF, 1),
    _q("en-02", "Who founded the Veltmoor Orchard Cooperative?",
       (("Ilse Brandvold",),), ORCHARD_PDF, 1),
    _q("en-03", "How many member farms did the Veltmoor cooperative have in 2031?",
       (("212",),), ORCHARD_PDF, 1),
    _q("en-04", "How many tonnes of apples were harvested in 2031?",
       (("8,915", "8915", "8 915"),), ORCHARD_PDF, 2),
    _q("en-05", "At what temperature does the Quillan Ridge cold store keep the fruit?",
       (("1.5",),), ORCHARD_PDF, 2),
    _q("en-06", "Who is the treasurer of the orchard cooperative?",
       (("Marcus Oyelaran-Pike", "Oyelaran-Pike", "Oyelaran Pike"),), ORCHARD_PDF, 3),
    _q("en-07", "How large a dividend per member share did the board approve?",
       (("62 euros", "€62", "62 eur", "EUR 62", "62 €"),), ORCHARD_PDF, 3),
    _q("en-08", "What is the daily crate quota above which pickers earn a bonus?",
       (("45",),), ORCHARD_PDF, 4),
    # ---- English, Markdown ----------------------------------------------------------------
    _q("en-09", "How long does the KB-47 battery pack of the Kestrel-9 last in receive mode?",
       (("19 hours", "19-hour", "19 hrs"),), RADIO_MD),
    _q("en-10", "Which channel is the emergency channel on the Kestrel-9 radio?",
       (("channel 31", "channel #31", "ch 31", "ch. 31"),), RADIO_MD),
    _q("en-11", "After how many operating hours must the Kestrel-9 antenna be replaced?",
       (("600",),), RADIO_MD),
    _q("en-12", "How do I make a factory reset of the Kestrel-9?",
       (("MENU",), ("SQUELCH",), ("12 seconds", "12 s")), RADIO_MD),
    _q("en-13", "Where do Kestrel-9 warranty claims go?",
       (("Lindqvist Harbour", "Lindqvist Harbor"),), RADIO_MD),
    _q("en-14", "How much does the Kestrel-9 radio weigh without its battery?",
       (("735",),), RADIO_MD),
    _q("en-15", "Which Kestrel-9 firmware version added the scan of the emergency channel?",
       (("4.2.8",),), RADIO_MD),
    # ---- English, not in the documents ----------------------------------------------------
    _q("en-16", "What is the telephone number of the Veltmoor Orchard Cooperative?", ()),
    _q("en-17", "How much did the Kestrel-9 radio cost when it was launched?", ()),
    _q("en-18", "Who designed the antenna of the Kestrel-9 radio?", ()),
    _q("en-19", "How many pear trees does the Veltmoor cooperative own?", ()),
    # ---- English, held out: written after the above, not used to choose any threshold -----
    _q("en-20", "What share of the apple harvest was the Scarlet Wrenfield variety?",
       (("41 percent", "41%", "41 per cent"),), ORCHARD_PDF, 2),
    _q("en-21", "How deep can the Kestrel-9 be submerged?",
       (("2 metres", "2 meters", "two metres"),), RADIO_MD),
    _q("en-22", "How long does the Kestrel-9 warranty last?", (("3 years", "three years"),),
       RADIO_MD),
    _q("en-23", "How many seasonal pickers did the orchard cooperative employ in 2031?",
       (("96",),), ORCHARD_PDF, 4),
    _q("en-24", "What is the email address of the Kestrel-9 service centre?", ()),
    _q("en-25", "Which fertiliser do the Veltmoor member farms use?", ()),
    _q("en-26", "Which company makes the KB-47 battery pack?", ()),
    _q("en-27", "How many tonnes of apples were harvested in 2025?", ()),
    # ---- Chinese, PDF -----------------------------------------------------------------------
    _q("zh-01", "青岚湖生态观测站是哪一年哪一天创立的？",
       (("1994年6月8日", "1994-06-08", "1994年06月08日"),), LAKE_PDF, 1),
    _q("zh-02", "青岚湖生态观测站是谁创立的？", (("柏云舟",),), LAKE_PDF, 1),
    _q("zh-03", "2031年观测站记录到多少种水鸟？", (("163种", "163 种", "一百六十三种"),),
       LAKE_PDF, 2),
    _q("zh-04", "黑颈鹤越冬种群有多少只？", (("418只", "418 只"),), LAKE_PDF, 2),
    _q("zh-05", "观测站的年度经费是多少？", (("860万元", "860 万元", "八百六十万元"),),
       LAKE_PDF, 3),
    _q("zh-06", "浮标监测平台QL-07是什么时候投入使用的？",
       (("2031年9月21日", "2031-09-21", "9月21日"),), LAKE_PDF, 3),
    _q("zh-07", "志愿者每年至少要完成多少小时的巡护？", (("48小时", "48 小时", "48个小时"),),
       LAKE_PDF, 4),
    # ---- Chinese, GBK text ------------------------------------------------------------------
    _q("zh-08", "云栖镇茶叶专业合作社是什么时候成立的？",
       (("2009年4月17日", "2009-04-17"),), TEA_TXT),
    _q("zh-09", "茶叶合作社的茶园总面积是多少亩？", (("1350亩", "1350 亩", "1,350亩"),), TEA_TXT),
    _q("zh-10", "入社股金每股多少元？", (("1200元", "1200 元", "1,200元"),), TEA_TXT),
    _q("zh-11", "茶叶合作社现任理事长是谁？", (("邝明远",),), TEA_TXT),
    _q("zh-12", "春茶的采摘期是什么时候？", (("3月25日",), ("5月10日",)), TEA_TXT),
    # ---- Chinese, Markdown ------------------------------------------------------------------
    _q("zh-13", "星槎号科考船的最大航速是多少？", (("14节", "14 节", "十四节"),), SHIP_MD),
    _q("zh-14", "星槎号的轮机长是谁？", (("冉秋白",),), SHIP_MD),
    _q("zh-15", "星槎号的紧急集合信号是什么？", (("七短一长", "7短1长"),), SHIP_MD),
    # ---- Chinese, not in the documents ------------------------------------------------------
    _q("zh-16", "青岚湖生态观测站的邮政编码是多少？", ()),
    _q("zh-17", "星槎号科考船是在哪个船厂建造的？", ()),
    _q("zh-18", "云栖镇茶叶合作社去年的销售额是多少？", ()),
    _q("zh-19", "站长温若岚毕业于哪所大学？", ()),
    # ---- Chinese, held out: written after the above, not used to choose any threshold -----
    _q("zh-20", "观测站有多少名研究人员？", (("27名", "27 名", "27位", "27人"),), LAKE_PDF, 1),
    _q("zh-21", "青岚湖湖水的平均透明度是多少？", (("2.6米", "2.6 米"),), LAKE_PDF, 2),
    _q("zh-22", "观测站的巡湖船叫什么名字？", (("青鹭号",),), LAKE_PDF, 3),
    _q("zh-23", "茶叶合作社的社员大会一年开几次？", (("两次", "2次", "二次"),), TEA_TXT),
    _q("zh-24", "星槎号的船长是哪一年出生的？", ()),
    _q("zh-25", "青鹭号巡湖船的造价是多少？", ()),
    _q("zh-26", "观测站的电话号码是多少？", ()),
    _q("zh-27", "星槎号的首席科学家叫什么名字？", ()),
)
# fmt: on
