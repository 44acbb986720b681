"""Which language a document is written in: Chinese, English or something else.

Retrieval needs to know this for one decision: whether the embedding model understands the
documents (an English-only model turns Chinese text into vectors that mean little, and then
the keyword side has to carry the search). Telling Chinese from English needs no statistics
and no dependency: the script says it. The share of Han characters among the letters decides
Chinese (a Han character carries about as much as an English word of four or five letters,
so a fifth of the letters being Han is already mostly-Chinese text); kana and hangul, or
another script (Cyrillic, Arabic, ...), make it "other"; Latin-script text is English when
common English function words make up a fair share of its words, else "other" (French,
German, ... which an English-only model also serves poorly).

The codes are the ones the model catalogue uses for the languages a model serves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal

Language = Literal["zh", "en", "other"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh", "en", "other")

SAMPLE_CHARS: Final = 20000  # a document's language is judged on its first characters
HAN_SHARE: Final = 0.2  # Han characters among all letters from which text counts as Chinese
ENGLISH_WORD_SHARE: Final = 0.12  # English function words among Latin words for English
MIN_LETTERS: Final = 20  # fewer letters than this say nothing

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_ENGLISH_TEXT: Final = (
    "the of and to a in is it that for on with as was are be by this at from or an have not "
    "which but they his her their has had were will can all one there been if more when who "
    "what so about into than its we you our these them may would should only other also "
    "such how each after most some any"
)
_ENGLISH: Final = frozenset(_ENGLISH_TEXT.split())


def detect_language(text: str) -> Language | None:
    """The language of ``text`` by its script, or None when it has too few letters to say."""
    sample = text[:SAMPLE_CHARS]
    han = len(_HAN.findall(sample))
    kana = len(_KANA_HANGUL.findall(sample))
    letters = sum(1 for c in sample if c.isalpha())
    if letters < MIN_LETTERS and han < MIN_LETTERS // 4:
        return None
    if kana > max(5, 0.05 * letters):
        return "other"  # Japanese or Korean (their Han characters are not Chinese text)
    if han >= HAN_SHARE * max(letters, 1):
        return "zh"
    words = _LATIN_WORD.findall(sample)
    latin = sum(len(w) for w in words)
    if latin < 0.5 * (letters - han):
        return "other"  # mostly another script: Cyrillic, Greek, Arabic, ...
    english = sum(1 for w in words if w.lower() in _ENGLISH)
    return "en" if words and english >= ENGLISH_WORD_SHARE * len(words) else "other"


def main_languages(counts: Mapping[str, int], share: float = 0.1) -> list[str]:
    """The languages that hold at least ``share`` of the documents, most documents first:
    one stray English file among a hundred Chinese ones does not make a bilingual collection."""
    total = sum(counts.values())
    if not total:
        return []
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [lang for lang, n in ranked if n >= share * total]


def query_language(text: str) -> Language:
    """The language of a question: like :func:`detect_language`, but a question is short, so
    any Latin-script question counts as English (a few words need not include "the")."""
    han = len(_HAN.findall(text))
    letters = sum(1 for c in text if c.isalpha())
    if len(_KANA_HANGUL.findall(text)) > 0.2 * max(letters, 1):
        return "other"
    if han >= 2 and han >= HAN_SHARE * letters:
        return "zh"
    latin = sum(len(w) for w in _LATIN_WORD.findall(text))
    return "en" if latin >= 0.5 * max(letters - han, 1) else "other"
