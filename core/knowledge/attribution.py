"""Citations found for a reply after it is written: each sentence cites the excerpt that holds
what it says.

Measured with bench.grounded on Qwen2.5-Coder 0.5B (bench/README.md): asked to cite numbered
sources as [n], the small model spends its attention on the numbering. It continues the
numbered list ("[1] Service and warranty [2] Kestrel-9 Field Radio Manual"), copies the
instruction's "[n]", or cites a neighbour of the right source, and the facts suffer. Given the
same excerpts without numbers (as GPT4All's LocalDocs gives them) it states the fact far more
often, but cites nothing. So the model answers from unnumbered excerpts, and Fireside finds
the citations: for each sentence of the reply, the excerpt that holds the most of what the
sentence adds to the question. Terms are weighted by how few of the excerpts hold them (a
name or number found in one excerpt says more than a word found in all four), and terms the
question already has weigh little (every retrieved excerpt shares them).

A sentence is cited only when an excerpt holds what it says: a sentence with a number that
no excerpt holds (a number the model made up) cites nothing, nor does one that only repeats
the question. The fixed "not in the documents" reply cites nothing; said after a sentence
that was cited, it is dropped (the model answered, then added the refusal out of habit).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from core.knowledge.terms import STOPWORDS, citation_marker, has_cjk, tokens, useful_bigram

# Markers the model wrote itself: the excerpts were not numbered, so they point at nothing.
_MARKER: Final = re.compile(r"\s?" + citation_marker(r"\d{1,3}|n"), re.IGNORECASE)
_NUMBER: Final = re.compile(r"\d+(?:[.,:]\d+)*")
# A sentence ends at . ! ? followed by a space or the end (not inside 1.5 or e.g.x), at a
# Chinese full stop, exclamation or question mark or semicolon, or at a line break.
_SENTENCE: Final = re.compile(r"(.+?(?:[.!?](?=\s|$)|[。！？；]|\n|$))(\s*)", re.DOTALL)
_END_PUNCTUATION: Final = re.compile(r"[.!?。！？；:：,，]+$")
QUESTION_TERM_WEIGHT: Final = 0.25
REFUSALS: Final = ("The documents do not say.", "资料中没有提到。")


@dataclass(frozen=True)
class Attribution:
    """A reply with its citations: the text as stored, and the excerpt numbers it cites."""

    text: str
    cited: tuple[int, ...]


def attribute(reply: str, excerpts: Sequence[str], question: str) -> Attribution:
    """``reply`` with [n] (1-based, the order of ``excerpts``) after each sentence that an
    excerpt supports."""
    text = _MARKER.sub("", reply)
    if text != reply:
        text = text.strip()
    if _is_refusal(text):
        return Attribution(text.strip(), ())
    held = [set(_terms(e)) for e in excerpts]  # each excerpt's terms, once for the reply
    numbers_held = [set(_NUMBER.findall(e)) for e in excerpts]
    asked = set(_terms(question))
    pieces: list[tuple[str, str, tuple[int, ...]]] = []  # (sentence, spacing, sources)
    for match in _SENTENCE.finditer(text):
        sentence, space = match.group(1), match.group(2)
        found = _sources(sentence, held, numbers_held, asked) if sentence.strip() else ()
        pieces.append((sentence, space, found))
    cited = [n for _, _, found in pieces for n in found]
    out: list[str] = []
    dropped = False
    for i, (sentence, space, found) in enumerate(pieces):
        if cited and _is_refusal(sentence):
            dropped = True  # an answer was given: the habitual refusal after it goes
            continue
        following = next((f for s, _, f in pieces[i + 1 :] if s.strip()), ())
        if found and found == following:
            found = ()  # a run of sentences from the same excerpts cites them once, at its end
        out.append((_cite(sentence, found) if found else sentence) + space)
    joined = "".join(out)
    return Attribution(joined.rstrip() if dropped else joined, tuple(sorted(set(cited))))


def unsupported(reply: str, citations: Sequence[Mapping[str, Any]]) -> bool:
    """Is ``reply`` a grounded answer that cites none of its sources? Then no excerpt was
    found to hold what it says (a number the model made up, an answer to another question),
    and the person is told to check it. "Not in the documents" is not such an answer."""
    if not citations or any(c.get("cited") for c in citations):
        return False
    text = _MARKER.sub("", reply).strip()
    return bool(text) and not _is_refusal(text)


def _is_refusal(text: str) -> bool:
    plain = text.strip().strip('"“”')
    return plain in REFUSALS or plain.rstrip(".。") in (r.rstrip(".。") for r in REFUSALS)


def _terms(text: str) -> list[str]:
    """Words (no stopwords), Chinese bigrams about the subject, and whole numbers (1.5)."""
    found = [n for n in _NUMBER.findall(text)]
    for term in tokens(_NUMBER.sub(" ", text)):
        if term in STOPWORDS or (has_cjk(term) and not useful_bigram(term)):
            continue
        found.append(term)
    return found


def _sources(sentence: str, held: Sequence[set[str]], numbers_held: Sequence[set[str]],
             asked: set[str]) -> tuple[int, ...]:  # fmt: skip
    """The 1-based excerpts that support ``sentence``: the best one, and for each of the
    sentence's numbers that it lacks, the best excerpt holding that number. () if none."""
    said = set(_terms(sentence))
    new = said - asked
    if not new or not held:
        return ()  # it only repeats the question
    numbers = set(_NUMBER.findall(sentence)) - asked  # the question's own (a year) prove nothing
    if any(not any(n in found for found in numbers_held) for n in numbers):
        return ()  # a number no excerpt holds
    best = _best(said, new, numbers, held, numbers_held, asked)
    if best is None:
        return ()
    chosen = [best]
    for number in sorted(numbers - numbers_held[best - 1]):
        if any(number in numbers_held[n - 1] for n in chosen):
            continue
        other = _best(said, new, {number}, held, numbers_held, asked)
        if other is not None and other not in chosen:
            chosen.append(other)
    return tuple(sorted(chosen))


def _best(said: set[str], new: set[str], numbers: set[str], sets: Sequence[set[str]],
          numbers_held: Sequence[set[str]], asked: set[str]) -> int | None:  # fmt: skip
    """The 1-based excerpt holding the most weight of ``said`` (and one of ``numbers``)."""
    best, best_score = None, 0.0
    for i, found in enumerate(sets):
        if numbers and not numbers & numbers_held[i]:
            continue  # the sentence's numbers are its point: its source holds one
        score = 0.0
        for term in said & found:
            df = sum(term in other for other in sets)
            weight = math.log(1 + len(sets) / df)
            score += weight * (QUESTION_TERM_WEIGHT if term in asked else 1.0)
        if score > best_score and (new & found):
            best, best_score = i + 1, score
    return best


def _cite(sentence: str, found: tuple[int, ...]) -> str:
    """The markers after the sentence's closing punctuation, as encyclopaedias place them
    ("… battery.[2]", "……冉秋白。[1]"), or after its last word when it has none. The last
    sentence's markers then only follow the streamed text, so they are streamed too."""
    body = sentence.rstrip()
    trailing = sentence[len(body) :]
    markers = "".join(f"[{n}]" for n in found)
    if _END_PUNCTUATION.search(body) or has_cjk(body[-1:]):
        return body + markers + trailing
    return body + " " + markers + trailing
