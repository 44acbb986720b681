"""Do the retrieved sources mention what the question asks about? The key terms they lack.

A small chat model given excerpts answers whatever it is asked: asked for a telephone number
the documents do not hold, Qwen 0.5B writes one, whatever the instruction says
(``bench.grounded``: honest "not in the documents" 0.12 with the instruction alone). What a
question asks about is usually a word of its own (telephone, fertiliser, 邮政编码, 销售额),
and when no retrieved source holds that word, nor a form of it, the sources are unlikely to
hold the answer. This module finds those words, so the grounded turn can say so plainly
(core/knowledge/grounding.py).

Words, not vectors: the embedding model may not serve the question's language (MiniLM and
Chinese), and its similarity did not separate answerable from unanswerable questions on the
question set (top cosine 0.33-0.89 for the answerable, 0.38-0.82 for the others).

* English and other alphabetic text: the question's words less stopwords and the words every
  question is made of (many, much, long, name …); a word counts as found when a word of the
  sources starts with its first five letters (harvested / harvest, apples / apple).
* Chinese: the question's words that only say it is a question (什么时候, 哪一年, 多少 …) are
  taken out, then each remaining run is matched against the sources from left to right,
  longest piece first (as ``coverage.py`` does); what no piece of two characters covers is
  missing unless every character of it occurs in the sources (一年开 against 每年召开).
  Particles and question characters (的, 是, 谁 …) are never missing.

The sources' text is each chunk's own text, its heading, the document's title and its file
name (a Markdown section about maintenance need not repeat the radio's name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from core.knowledge.retrieval import Hit
from core.knowledge.terms import STOPWORDS, shared_spans

_CJK: Final = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_CJK_RUN: Final = re.compile(f"[{_CJK}]+")
_WORD: Final = re.compile(rf"(?:(?![{_CJK}])[^\W_])+")
_SPACE: Final = re.compile(r"\s+")
STEM: Final = 5  # letters a source word must share with a question word to stand for it

# Words that make up English questions without saying what they are about.
_QUESTION_TEXT: Final = (
    "many much long large big small high low far deep wide often old new kind sort type "
    "name named called happen happened exactly usually actually number amount total get got "
    "make made take took does done give given know known say said one first last"
)
_QUESTION_WORDS: Final = frozenset(_QUESTION_TEXT.split())
# Chinese words that make up questions; taken out before matching (longest first).
_ZH_QUESTION_TEXT: Final = (
    "叫什么名字 什么时候 什么地方 哪一年 哪一天 哪一位 多少钱 多长时间 为什么 怎么样 是什么 "
    "叫什么 有多少 是多少 有几个 是哪个 是哪位 在哪里 在哪儿 是不是 有没有 "
    "什么 多少 哪里 哪儿 哪个 哪些 哪位 哪年 哪天 哪所 哪家 哪种 几个 几次 几年 几天 几月 "
    "多久 多长 多大 多高 多重 多远 怎么 怎样 如何 是否 是谁 请问 名字 一下"
)
_ZH_QUESTION_WORDS: Final = tuple(sorted(_ZH_QUESTION_TEXT.split(), key=lambda w: (-len(w), w)))
# Characters that never carry what a question is about (particles, question characters).
_ZH_FUNCTION: Final = frozenset(
    "的了吗呢吧啊么什怎哪谁几是在有和与及或也都就还这那个为请问被把要能会"
)


@dataclass(frozen=True)
class Evidence:
    """The question's key terms and those no source holds (``missing``)."""

    terms: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return not self.missing


def sources_text(hits: Sequence[Hit]) -> str:
    """Everything the sources say about themselves and their documents, lower case."""
    parts: list[str] = []
    for hit in hits:
        parts += [Path(hit.file).stem, hit.title or "", hit.heading or "", hit.text]
    return "\n".join(parts).lower()


def check(question: str, hits: Sequence[Hit]) -> Evidence:
    """The key terms of ``question`` and which of them none of ``hits`` holds."""
    text = sources_text(hits)
    lowered = question.lower()
    terms: list[str] = []
    missing: list[str] = []
    words = set(_WORD.findall(text))
    for word in dict.fromkeys(_WORD.findall(_CJK_RUN.sub(" ", lowered))):
        if word in STOPWORDS or word in _QUESTION_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        terms.append(word)
        if not _word_found(word, words):
            missing.append(word)
    flat = _SPACE.sub("", text)
    for run in _CJK_RUN.findall(_without_question_words(lowered)):
        content = "".join(c for c in run if c not in _ZH_FUNCTION)
        if len(content) < 2:
            continue
        terms.append(run)
        missing += [gap for gap in _gaps(run, flat) if not all(c in flat for c in gap)]
    return Evidence(tuple(terms), tuple(dict.fromkeys(missing)))


def _word_found(word: str, words: set[str]) -> bool:
    if word in words:
        return True
    if word.isdigit() or len(word) < STEM:
        return False
    stem = word[:STEM]
    return any(w.startswith(stem) for w in words)


def _without_question_words(text: str) -> str:
    for word in _ZH_QUESTION_WORDS:
        text = text.replace(word, " ")
    return text


def _gaps(run: str, text: str) -> list[str]:
    """The stretches of ``run`` (content characters only) that no piece of two or more
    characters found in ``text`` covers."""
    covered = [False] * len(run)
    for start, end in shared_spans(run, text):
        covered[start:end] = [True] * (end - start)
    gaps: list[str] = []
    current = ""
    for char, done in zip(run, covered, strict=True):
        if done or char in _ZH_FUNCTION:
            if current:
                gaps.append(current)
            current = ""
        else:
            current += char
    if current:
        gaps.append(current)
    return gaps
