"""Search terms for the full-text index: words for alphabetic text, bigrams for Chinese.

The keyword side of retrieval is SQLite FTS5 with BM25 ranking. Chinese has no spaces between
words, and a dictionary segmenter is a large dependency that guesses; overlapping character
pairs (熊猫吃竹子 → 熊猫 猫吃 吃竹 竹子) are the classic dictionary-free way to index CJK text,
and they match any Chinese word of two or more characters. Everything else is split into
lower-case words. The same function prepares the indexed text and the query, so both sides
agree. (The chat store's trigram index is right for substring search, but ranks poorly and
slowly for questions: every common English trigram matches most chunks.)
"""

from __future__ import annotations

import re
from typing import Final

_CJK_RUN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+"
# A word is letters and digits but no CJK character: "2031年观测站" is the number 2031 and
# the Chinese run 年观测站, not one long "word" that nothing else matches.
_TOKEN = re.compile(rf"({_CJK_RUN})|((?:(?!{_CJK_RUN})[^\W_])+)")
_CJK = re.compile(_CJK_RUN)

# Words that say nothing about a passage; dropped from queries only (the index keeps all).
_STOPWORDS_TEXT: Final = (
    "a an and are as at be been but by can could did do does for from had has have how i if "
    "in into is it its me my no not of on or our so such than that the their them then there "
    "these they this those to was we were what when where which who whom why will with would "
    "you your about after before between during over under up out any all some more most "
    "other own same only just also should may might must shall tell me please explain"
)
STOPWORDS: Final = frozenset(_STOPWORDS_TEXT.split())
# Question words and particles in Chinese questions; a bigram made only of these is noise.
_ZH_FUNCTION: Final = frozenset(
    "的了吗呢吧啊么什怎哪谁几是在有和与及或也都就还这那个为请问如何多少否"
)
# Particles that almost never begin or end a content word: a question's bigram holding one
# straddles a word boundary ("星槎号的轮机长" gives 号的, 的轮) and only adds noise.
_ZH_PARTICLES: Final = frozenset("的了吗呢吧啊么什哪谁怎是")
# Bigrams that make up the question itself, not what it is about.
_ZH_STOP_BIGRAMS_TEXT: Final = (
    "什么 时候 多少 哪里 哪些 哪个 哪一 哪年 哪天 哪位 怎么 怎样 如何 为何 为什 是否 是谁 是不 "
    "请问 一下 告诉 知道 可以 能否 有没 一般 通常 大概 大约 左右 多久 多长 多大 几点 几个 几年 "
    "有多 要多 是多 是哪 在哪"
)
ZH_STOP_BIGRAMS: Final = frozenset(_ZH_STOP_BIGRAMS_TEXT.split())


def index_text(text: str) -> str:
    """The text as the full-text index stores it: space-separated terms."""
    return " ".join(tokens(text))


def tokens(text: str) -> list[str]:
    out: list[str] = []
    for cjk, word in _TOKEN.findall(text.lower()):
        if cjk:
            out.extend(_bigrams(cjk))
        elif word:
            out.append(word)
    return out


def query_terms(text: str, limit: int = 32) -> list[str]:
    """Distinct terms worth searching for, in order of appearance."""
    terms: list[str] = []
    for term in tokens(text):
        if term in STOPWORDS or (_CJK.fullmatch(term) and not useful_bigram(term)):
            continue
        if term not in terms:
            terms.append(term)
    return terms[:limit]


def useful_bigram(term: str) -> bool:
    """Is a Chinese query term about the subject (not the question's own words)?"""
    if term in ZH_STOP_BIGRAMS or all(c in _ZH_FUNCTION for c in term):
        return False
    return not any(c in _ZH_PARTICLES for c in term)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def shared_spans(run: str, text: str) -> list[tuple[int, int]]:
    """Where ``run`` shares pieces of two characters or more with ``text``: (start, end)
    in ``run``, longest first from the left. 星槎号的轮机长 against "轮机长冉秋白……星槎号"
    gives 星槎号 and 轮机长. A piece grows one character at a time while the text still
    holds it (whatever holds a string holds its prefixes), so a run costs a number of
    searches linear in its length. Chinese has no spaces to cut words at; these pieces are
    what coverage scores and what the evidence check finds missing."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(run) - 1:
        end = i + 2
        if run[i:end] not in text:
            i += 1
            continue
        while end < len(run) and run[i : end + 1] in text:
            end += 1
        spans.append((i, end))
        i = end
    return spans


def citation_marker(inside: str) -> str:
    """A regular expression for a citation marker around ``inside`` (itself a pattern):
    "[3]", "[ 3 ]" or the full-width "【3】" Chinese text uses. One definition for the
    markers Fireside writes, the ones a model writes itself (core.knowledge.attribution
    drops them) and the bare replies made of nothing else (core.chat.replies)."""
    return rf"[\[【]\s*(?:{inside})\s*[\]】]"
