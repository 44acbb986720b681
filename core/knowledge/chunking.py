"""Chunks: pieces of a document small enough for the embedding model, cut at sentence ends.

A chunk never crosses a section (a PDF page, a heading), so it cites exactly one page and one
heading. Inside a section the text is cut into sentences, at Chinese (。！？；) and English
(. ! ? followed by a space) sentence ends and at blank lines, and the sentences are packed
into chunks of at most ``max_tokens`` tokens as the embedding model itself counts them; each
chunk after the first begins with the last sentence or two of the one before (``overlap``),
so a fact that straddles a cut is still found whole in one of them. A sentence longer than a
chunk is cut at line ends, then at spaces, then anywhere.

Token counts come from the caller (the embedding model's tokenizer through the engine), so
the limit is the real one; every finished chunk is counted once more as a whole, because
tokens of joined text are not always the sum of the parts. Given a counter of many texts
(``count_many``), a document's sentences are counted in one request and its chunks in a
second, rather than one round trip each: an ingestion cuts the next document while the
engine embeds the current one, and every single request would wait behind a batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from core.knowledge.readers import ParsedDocument, Section

SECTION_JOIN: Final = "\n\n"
_SENTENCE_END = re.compile(
    r"[。！？；…]+[”’」』）)\"']*"  # Chinese: no space follows
    r"|[.!?]+[\"')\]’”]*(?=\s)"  # English: a space or line end follows
    r"|\n[ \t]*\n\s*"  # a blank line ends a paragraph
)

TokenCounter = Callable[[str], int]
ManyTokenCounter = Callable[[Sequence[str]], list[int]]
_MAX_CACHED: Final = 100_000


@dataclass(frozen=True)
class Chunk:
    ordinal: int  # position in the document
    text: str
    page: int | None
    heading: str | None
    char_start: int  # offsets into :func:`document_text`
    char_end: int
    tokens: int


@dataclass(frozen=True)
class _Unit:
    start: int  # offsets into the section's text
    end: int
    tokens: int


def document_text(document: ParsedDocument) -> str:
    """The whole text of a document, which chunk offsets point into."""
    return SECTION_JOIN.join(s.text for s in document.sections)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, covering ``text`` without gaps."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        # Whitespace after a sentence belongs to it (so no sentence starts with a blank).
        while end < len(text) and text[end].isspace():
            end += 1
        if end > start:
            spans.append((start, end))
            start = end
    if start < len(text):
        spans.append((start, len(text)))
    return spans


class Chunker:
    """Cuts documents into chunks that fit the embedding model."""

    def __init__(self, count_tokens: TokenCounter, max_tokens: int, overlap: int = 32,
                 count_many: ManyTokenCounter | None = None) -> None:  # fmt: skip
        if max_tokens < 8:
            raise ValueError("max_tokens must be at least 8")
        self.count_tokens = count_tokens
        self.count_many = count_many
        self.max_tokens = max_tokens
        self.overlap = max(0, min(overlap, max_tokens // 4))
        self._counts: dict[str, int] = {}

    def chunk(self, document: ParsedDocument) -> list[Chunk]:
        chunks: list[Chunk] = []
        base = 0
        self._counts.clear()
        texts = [section.text for section in document.sections]
        self._prime(t[s:e] for t in texts for s, e in sentence_spans(t))
        plans = [self._plan(t) for t in texts]
        self._prime(
            t[g[0].start : g[-1].end].strip()
            for t, plan in zip(texts, plans, strict=True)
            for g in plan
        )
        for section, plan in zip(document.sections, plans, strict=True):
            for start, end, tokens in self._emit_all(section.text, plan):
                text = section.text[start:end]
                lead = len(text) - len(text.lstrip())
                body = text.strip()
                if not body:
                    continue
                chunks.append(Chunk(
                    ordinal=len(chunks), text=body, page=section.page, heading=section.heading,
                    char_start=base + start + lead, char_end=base + start + lead + len(body),
                    tokens=tokens,
                ))  # fmt: skip
            base += len(section.text) + len(SECTION_JOIN)
        return chunks

    def chunk_section(self, section: Section) -> list[str]:
        """The chunk texts of one section (for tests and tools)."""
        return [section.text[s:e].strip() for s, e, _ in self._section(section.text)]

    # ---- packing -----------------------------------------------------------------------

    def _section(self, text: str) -> list[tuple[int, int, int]]:
        self._prime(text[s:e] for s, e in sentence_spans(text))
        plan = self._plan(text)
        self._prime(text[g[0].start : g[-1].end].strip() for g in plan)
        return self._emit_all(text, plan)

    def _plan(self, text: str) -> list[list[_Unit]]:
        """The sentences of ``text`` packed into groups, each a chunk unless its joined
        text counts over the limit (:meth:`_emit` then halves it)."""
        units: list[_Unit] = []
        for start, end in sentence_spans(text):
            units.extend(self._fit(text, start, end))
        return self._pack(units)

    def _emit_all(self, text: str, plan: list[list[_Unit]]) -> list[tuple[int, int, int]]:
        return [emitted for group in plan for emitted in self._emit(text, group)]

    def _pack(self, units: Sequence[_Unit]) -> list[list[_Unit]]:
        out: list[list[_Unit]] = []
        current: list[_Unit] = []
        total = 0
        for unit in units:
            if current and total + unit.tokens > self.max_tokens:
                out.append(current)
                seed = self._overlap_tail(current)
                while seed and sum(u.tokens for u in seed) + unit.tokens > self.max_tokens:
                    seed.pop(0)
                current, total = seed, sum(u.tokens for u in seed)
            current.append(unit)
            total += unit.tokens
        if current:
            out.append(current)
        return out

    def _overlap_tail(self, units: list[_Unit]) -> list[_Unit]:
        tail: list[_Unit] = []
        total = 0
        for unit in reversed(units[1:]):  # never the whole chunk again
            if total + unit.tokens > self.overlap:
                break
            tail.insert(0, unit)
            total += unit.tokens
        return tail

    def _emit(self, text: str, units: list[_Unit]) -> list[tuple[int, int, int]]:
        """The chunk made of ``units``, checked as a whole; halved if it is over the limit."""
        start, end = units[0].start, units[-1].end
        if not text[start:end].strip():
            return []
        exact = self._count(text[start:end].strip())
        if exact <= self.max_tokens or len(units) == 1:
            return [(start, end, exact)]
        half = len(units) // 2
        return self._emit(text, units[:half]) + self._emit(text, units[half:])

    # ---- long sentences ----------------------------------------------------------------

    def _fit(self, text: str, start: int, end: int) -> list[_Unit]:
        """One unit, or several if the sentence alone is over the limit."""
        tokens = self._count(text[start:end])
        if tokens <= self.max_tokens:
            return [_Unit(start, end, tokens)]
        piece = text[start:end]
        lines = [m.end() for m in re.finditer(r"\n", piece)]
        if lines and lines[-1] < len(piece):
            cuts = [start + c for c in lines]
        else:
            cuts = self._cut_points(piece, start, tokens)
        units: list[_Unit] = []
        previous = start
        for cut in [*cuts, end]:
            if cut > previous:
                units.extend(self._fit(text, previous, cut))
                previous = cut
        return units

    def _cut_points(self, piece: str, offset: int, tokens: int) -> list[int]:
        """Cuts every ~90% of a chunk's worth of characters, at a space when there is one."""
        per_chunk = max(1, int(len(piece) * self.max_tokens * 0.9 / tokens))
        cuts: list[int] = []
        at = 0
        while len(piece) - at > per_chunk:
            cut = at + per_chunk
            space = piece.rfind(" ", at + per_chunk * 2 // 3, cut)
            if space > at:
                cut = space + 1
            cuts.append(offset + cut)
            at = cut
        if not cuts:  # a single span that still will not fit: halve it
            cuts.append(offset + len(piece) // 2)
        return cuts

    def _prime(self, texts: Iterable[str]) -> None:
        """Count the texts not counted yet in one request (with ``count_many``), so that
        :meth:`_count` finds them; as many as the cache holds."""
        if self.count_many is None:
            return
        room = _MAX_CACHED - len(self._counts)
        wanted = [t for t in dict.fromkeys(texts) if t and t not in self._counts][:room]
        if wanted:
            self._counts.update(zip(wanted, self.count_many(wanted), strict=True))

    def _count(self, text: str) -> int:
        count = self._counts.get(text)
        if count is None:
            count = self.count_tokens(text)
            if len(self._counts) < _MAX_CACHED:
                self._counts[text] = count
        return count
