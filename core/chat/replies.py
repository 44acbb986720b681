"""What makes a reply not an answer: nothing but citation markers, or less than a sentence.

A small model given numbered sources sometimes answers "[2]" and stops, or gives a bare
fragment ("1987 [1]"). ``ChatSession`` regenerates such a reply once, with a stricter
instruction, for turns that carry one (grounded turns); while a reply could still turn out
bare, its first pieces are held back so the person sees only the answer that stays.
"""

from __future__ import annotations

import re
from typing import Final

_MARKER: Final = re.compile(r"[\[【]\s*\d{1,3}\s*[\]】]")
_LATIN_WORD: Final = re.compile(r"[^\W\d_]+|\d+(?:[.,:]\d+)*", re.UNICODE)
_CJK: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

MIN_WORDS: Final = 3  # a sentence has at least a subject, a verb and what it says


def words(reply: str) -> int:
    """Words in ``reply`` besides citation markers; two Chinese characters count as one."""
    text = _MARKER.sub(" ", reply)
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(_CJK.sub(" ", text)))
    return latin + cjk // 2


def is_bare(reply: str) -> bool:
    """Only citation markers, or shorter than a sentence."""
    return words(reply) < MIN_WORDS
