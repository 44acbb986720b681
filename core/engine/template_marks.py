"""Marks that keep message content apart from a template's glue in a rendered prompt.

A chat template is rendered with each message's content wrapped in marks (characters from
Unicode's private use area, which no template trims, splits or cases): an open and a close
mark around the content, and a literal mark in place of every control-token text inside it
(``<|im_end|>`` and the like). The rendered text then tells which parts are the template's
own glue, tokenized with special tokens, and which are content, tokenized as plain text.
Even where a template cuts content apart (Qwen3 splits off earlier reasoning, so a close
mark is left alone), a control-token text inside the content is still behind a literal mark
and is tokenized as plain text: pasted or retrieved text can never become a control token.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

_MARK, _END = "\ue000", "\ue001"
_OPEN, _CLOSE, _LITERAL = "\ue002", "\ue003", "\ue004"
_DIGIT0 = 0xE010
_MARK_RE = re.compile("\ue000([\ue002-\ue004])([\ue010-\ue019]+)\ue001")
# Characters the marks are made of: in content they are escaped like control texts.
RESERVED = tuple(chr(c) for c in range(0xE000, 0xE020))

# (text, add_special, parse_special) -> token ids, answered by the model's tokenizer
Tokenizer = Callable[[str, bool, bool], list[int]]
SegmentKind = Literal["glue", "content", "literal"]
MarkMode = Literal["exact", "trimmed", "escaped"]


def _number(n: int) -> str:
    return "".join(chr(_DIGIT0 + int(d)) for d in str(n))


def _mark(kind: str, n: int) -> str:
    return _MARK + kind + _number(n) + _END


def _trie_pattern(words: Iterable[str]) -> str:
    """One regular expression for many literal words, as a trie (Gemma 3 has thousands of
    control tokens; an alternation of them all would try each at every ``<``)."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        ends = "" in node
        branches = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if ends else body

    return build(trie)


class Marker:
    """Marks and reads back content for one model's control tokens."""

    def __init__(self, control_texts: Iterable[str]) -> None:
        texts = sorted({t for t in control_texts if t and not set(t) & set(RESERVED)})
        self.literals: tuple[str, ...] = (*RESERVED, *texts)
        self._index = {text: i for i, text in enumerate(self.literals)}
        self._find = re.compile(_trie_pattern(self.literals)) if self.literals else None

    def escape(self, text: str) -> str:
        """``text`` with every control-token text (and mark character) behind a literal mark."""
        if self._find is None:
            return text
        return self._find.sub(lambda m: _mark(_LITERAL, self._index[m.group(0)]), text)

    def mark(self, index: int, content: str, mode: MarkMode) -> str:
        """The content of message ``index`` as it is given to the template."""
        if not content:
            return content
        if mode == "escaped":
            return self.escape(content)
        if mode == "exact":
            return _mark(_OPEN, index) + self.escape(content) + _mark(_CLOSE, index)
        core = content.strip()
        if not core:
            return content
        start = content.index(core)
        lead, trail = content[:start], content[start + len(core) :]
        return lead + _mark(_OPEN, index) + self.escape(core) + _mark(_CLOSE, index) + trail

    def unmark(self, text: str) -> str:
        """The text the marks stand for: what the template makes of the plain content."""
        return _MARK_RE.sub(self._unmark_one, text)

    def _unmark_one(self, match: re.Match[str]) -> str:
        if match.group(1) != _LITERAL:
            return ""
        return self._literal(match.group(2))

    def _literal(self, digits: str) -> str:
        index = int("".join(str(ord(c) - _DIGIT0) for c in digits))
        return self.literals[index] if index < len(self.literals) else ""

    def segments(self, text: str) -> list[Segment]:
        """Split rendered text into glue, content (of a message) and literal parts.

        Content is what lies between an open mark and the next mark when that is the same
        message's close mark; marks left alone (a template that cut the content) count for
        nothing, and the content around them is glue whose control texts are literals."""
        marks = list(_MARK_RE.finditer(text))
        pairs: dict[int, int] = {}  # index of an open mark in ``marks`` -> its close mark's
        structural = [i for i, m in enumerate(marks) if m.group(1) != _LITERAL]
        for a, b in itertools.pairwise(structural):
            first, second = marks[a], marks[b]
            opens = first.group(1) == _OPEN and second.group(1) == _CLOSE
            if opens and first.group(2) == second.group(2):
                pairs[a] = b
        out: list[Segment] = []
        pos = 0
        i = 0
        while i < len(marks):
            match = marks[i]
            _glue(out, text[pos : match.start()])
            if i in pairs:
                close = marks[pairs[i]]
                inner = self.unmark(text[match.end() : close.start()])
                number = int("".join(str(ord(c) - _DIGIT0) for c in match.group(2)))
                if inner:
                    out.append(Segment("content", inner, number))
                pos, i = close.end(), pairs[i] + 1
                continue
            if match.group(1) == _LITERAL:
                out.append(Segment("literal", self._literal(match.group(2))))
            pos, i = match.end(), i + 1
        _glue(out, text[pos:])
        return out

    def tokens(
        self, text: str, tokenize: Tokenizer, *, at_start: bool, bos_text: str = "",
        sampled: Mapping[int, tuple[str, Sequence[int]]] | None = None,
    ) -> list[int]:  # fmt: skip
        """Tokens of marked text: glue with special tokens, content and literals as plain
        text; a reply's content as the tokens the model sampled (``sampled[index]`` =
        (content, tokens)) when the template kept it whole. ``at_start``: the text begins
        the prompt, so it gets a BOS unless it has one."""
        out: list[int] = []
        parts = self.segments(text)
        if at_start and bos_text and not self.unmark(text).startswith(bos_text):
            out.extend(tokenize("", True, False)[:1])
        for part in parts:
            if part.kind == "glue":
                out.extend(tokenize(part.text, False, True))
            elif part.kind == "content" and sampled and part.index in sampled:
                content, reply = sampled[part.index]
                out.extend(reply if part.text == content else tokenize(part.text, False, False))
            else:
                out.extend(tokenize(part.text, False, False))
        return out


@functools.lru_cache(maxsize=4)
def marker_for(control_texts: tuple[str, ...]) -> Marker:
    """One marker per model's control tokens (Gemma 3 has thousands: build it once)."""
    return Marker(control_texts)


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    text: str
    index: int = -1  # the message a content segment belongs to


def _glue(out: list[Segment], text: str) -> None:
    if text:
        out.append(Segment("glue", text))


def split_marked(content: str) -> tuple[str, str, str]:
    """(open mark, inner text, close mark) of content marked whole, else ("", content, "").

    For Fireside's own transcript, which trims and prefixes content: it does so to the inner
    text, so the marks stay exactly around what the transcript shows of the content."""
    first = _MARK_RE.match(content)
    if first is None or first.group(1) != _OPEN:
        return "", content, ""
    found = list(_MARK_RE.finditer(content))
    last = found[-1] if found else None
    if last is None or last.end() != len(content) or last.group(1) != _CLOSE:
        return "", content, ""
    if last.group(2) != first.group(2) or last.start() < first.end():
        return "", content, ""
    return first.group(0), content[first.end() : last.start()], last.group(0)
