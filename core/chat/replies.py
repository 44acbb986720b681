"""What makes a reply not an answer: nothing but citation markers, or less than a sentence.

A small model given numbered sources sometimes answers "[2]" and stops, or gives a bare
fragment ("1987 [1]"). ``ChatSession`` regenerates such a reply once, with a stricter
instruction, for turns that carry one (grounded turns); while a reply could still turn out
bare, its first pieces are held back so the person sees only the answer that stays.
"""

from __future__ import annotations

import re
from typing import Final

from core.knowledge.terms import citation_marker

_MARKER: Final = re.compile(citation_marker(r"\d{1,3}"))
# The instruction's own placeholder copied as it is ("[1] [n] [2] [n]", Qwen 0.5B on a
# Chinese question, bench.grounded): a marker too, not a word.
_PLACEHOLDER: Final = re.compile(citation_marker("n"), re.IGNORECASE)
_LATIN_WORD: Final = re.compile(r"[^\W\d_]+|\d+(?:[.,:]\d+)*", re.UNICODE)
_CJK: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

MIN_WORDS: Final = 3  # a sentence has at least a subject, a verb and what it says


def words(reply: str) -> int:
    """Words in ``reply`` besides citation markers; two Chinese characters count as one."""
    text = _PLACEHOLDER.sub(" ", _MARKER.sub(" ", reply))
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(_CJK.sub(" ", text)))
    return latin + cjk // 2


def is_bare(reply: str) -> bool:
    """Only citation markers, or shorter than a sentence."""
    return words(reply) < MIN_WORDS


_NUMBERS: Final = re.compile(r"\d+")


def _numbers(text: str) -> set[str]:
    return set(_NUMBERS.findall(_MARKER.sub(" ", text)))


def settle(reply: str, complete: object) -> tuple[str, str]:
    """A whole-document turn's reply checked against the notes it was given: (the reply
    with its source numbers checked, what it must gain so that it leaves out no note).

    ``complete`` is ``{"heading": str, "notes": [{"n", "text"}]}`` (core/knowledge/whole.py);
    anything else leaves the reply as it is. Small models number a list instead of citing
    ("[3] 7 June" for the third line, from note 4): a line whose numbers (dates, amounts)
    are not all in the note it cites, but are all in exactly one other note, cites that
    one instead. A note counts as given when a line cites it and (if the line has numbers)
    every number of the line is the note's; the notes not given are added after the reply,
    one per line with their number, under the heading."""
    if not isinstance(complete, dict) or not isinstance(complete.get("notes"), list):
        return reply, ""
    notes = {
        note["n"]: str(note["text"]) for note in complete["notes"]
        if isinstance(note, dict) and isinstance(note.get("n"), int)
        and isinstance(note.get("text"), str)
    }  # fmt: skip
    held = {n: _numbers(text) for n, text in notes.items()}
    given: set[int] = set()
    lines = []
    for line in reply.split("\n"):
        numbers = _numbers(line)
        for match in list(_MARKER.finditer(line)):
            n = int(re.sub(r"\D", "", match.group()))
            if not numbers or (n in held and numbers <= held[n]):
                given.add(n)
                continue
            holders = [m for m, found in held.items() if numbers <= found]
            if len(holders) == 1:
                line = line.replace(match.group(), f"[{holders[0]}]", 1)
                given.add(holders[0])
        lines.append(line)
    missing = [f"- {text} [{n}]" for n, text in notes.items() if n not in given]
    if not missing:
        return "\n".join(lines), ""
    heading = complete.get("heading")
    block = [heading, *missing] if isinstance(heading, str) and heading else missing
    return "\n".join(lines), "\n\n" + "\n".join(block)
