"""Questions about whole documents: every chunk read in passes, then one answer from the notes.

Top-k retrieval cannot answer "list every deadline in these 30 PDFs": the answer is spread
over more chunks than any frame holds. So the chosen documents are read whole, in passes
that fit the chat model's context (the map step: from each pass, the sentences that bear on
the question, each with its source number), and the chat turn answers from those notes (the
reduce step). The passes run on the chat model's side cache (a second llama context,
``cache="side"``), so the conversation's KV cache is left as it was and its next turn reuses
it; the reduce step is an ordinary grounded turn of the conversation.

A reading can be stopped at any point: the documents read whole so far keep their notes and
the turn is answered from them (and says how many documents were read). The notes are
stored with the question (``messages.grounding["whole"]``), so the Sources panel shows what
was read and a follow-up question about the same documents reuses them instead of reading
everything again (a document whose content changed is read again).

A small model's answer may leave out notes it was given, and numbers its list instead of
citing (Qwen 0.5B answered "[3] 7 June" from note 4 after skipping note 3): the chat session
checks the reply against the notes (``grounding["complete"]``, ``core.chat.replies.settle``):
a line's source number is corrected when its dates and amounts are another single note's,
and the notes the reply does not give are added after it under one line ("Also in the
documents:"), so a "list every X" question lists every X the reading found, each with its
page.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from core.engine.client import EngineClient, Generation
from core.engine.protocol import SamplingParams
from core.knowledge.errors import CollectionNotFound, DocumentNotFound
from core.knowledge.store import Document, KnowledgeStore, StoredChunk
from core.knowledge.terms import has_cjk

PASS_TOKENS: Final = 1536  # chunk tokens per pass: more made Qwen 0.5B skip sentences
NOTE_TOKENS: Final = 160  # the longest note list one pass may write
FRAME_TOKENS: Final = 256  # the pass's instruction, question and template glue
RUNAWAY_LINES: Final = 3  # lines in a row without a note end a pass's answer
MAX_SOURCES: Final = 200  # numbered sources in one turn (what a stored reply may cite)
_NUMBER = re.compile(r"\[(\d{1,3})\]")
_SENTENCE_END = re.compile(r"(?<=[。！？；])|(?<=[.!?])\s+|\n+")
MIN_SUPPORT: Final = 0.5  # share of a sentence's words that must be its chunk's
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,3}[.)、])\s*")
_NOTHING = {"none", "nothing", "无", "没有", "无相关内容"}

_WORDS: Final = {
    "en": {
        "read": (
            'Text from the document "{title}":\n\n{excerpts}\n\n'
            "Question: {question}\n\n"
            "Answer the question from this text only, in complete sentences."
        ),
        "excerpt": "{text}\n",
        "label": "[{n}] {text}",
        "intro": "Notes taken while reading {read} of {total} documents whole:",
        "question": "Question: {question}",
        "ask": (
            "Answer the question using only the notes above. Use every note that answers "
            "it, each with its number in square brackets, like [2]. If the notes do not "
            'contain the answer, reply only: "The documents do not say."'
        ),
        "more": "Also in the documents:",
    },
    "zh_CN": {
        "read": (
            "文档《{title}》的内容：\n\n{excerpts}\n\n问题：{question}\n\n"
            "根据这段内容回答问题，用完整的句子写出答案。"
        ),
        "excerpt": "{text}\n",
        "label": "[{n}] {text}",
        "intro": "根据以下笔记回答问题（共 {total} 篇文档，已完整阅读 {read} 篇），"
        "用上每一条相关的笔记，并用 [n] 注明出处。",
        "question": "{question}",
        "ask": "",
        "more": "文档中还提到：",
    },
}


def _language(question: str) -> str:
    return "zh_CN" if has_cjk(question) else "en"


# "These documents" in a question put to one pass: asked as it is, Qwen 0.5B listed
# invented dates for "these documents" or found nothing in its one document (Chinese: 9 of
# 10 deadlines found; asked of "this document", 10 of 10).
_THESE: Final = (
    (
        re.compile(
            r"\b(?:these|those|all (?:of )?(?:the|these)|all|the|my) "
            r"(?:documents|files|pdfs|reports|papers)\b",
            re.IGNORECASE,
        ),
        "this document",
    ),
    (re.compile(r"(?:这些|所有|全部|各个?|那些)(?:的)?(?:文档|文件|报告|资料)"), "这份文档"),
)


def for_one_document(question: str) -> str:
    """The question as one pass asks it: about this document, not "these documents"."""
    for pattern, one in _THESE:
        question = pattern.sub(one, question)
    return question


@dataclass(frozen=True)
class Note:
    """One sentence a pass took from a chunk: what the reduce step reads and cites."""

    document_id: int
    chunk_id: str
    page: int | None
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"document_id": self.document_id, "chunk_id": self.chunk_id,
                "page": self.page, "text": self.text}  # fmt: skip

    @staticmethod
    def from_json(value: Any) -> Note | None:
        """A stored note, or None when the row is not one Fireside wrote."""
        if not isinstance(value, dict):
            return None
        doc, chunk, page, text = (value.get(k) for k in ("document_id", "chunk_id", "page", "text"))
        if not (isinstance(doc, int) and isinstance(chunk, str) and isinstance(text, str)):
            return None
        return Note(doc, chunk, page if isinstance(page, int) else None, text)


@dataclass(frozen=True)
class ReadPass:
    """Consecutive chunks of one document read in one request on the side cache."""

    document: Document
    chunks: tuple[StoredChunk, ...]
    tokens: int  # the chunks' tokens on the chat model
    last: bool  # the document's last pass: after it the document counts as read


@dataclass
class WholeRecord:
    """What a whole-document reading produced: stored with the question as
    ``grounding["whole"]`` (see ``ChatSession.send``)."""

    documents: list[Document]
    read: list[int] = field(default_factory=list)  # ids of the documents read whole
    notes: list[Note] = field(default_factory=list)
    stopped: bool = False
    reused: list[int] = field(default_factory=list)  # read by an earlier question
    passes: int = 0  # requests made by this reading
    prompt_tokens: int = 0  # evaluated by this reading's passes (cache hits not counted)
    generated_tokens: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": [_document_json(d) for d in self.documents],
            "read": list(self.read),
            "reused": list(self.reused),
            "stopped": self.stopped,
            "notes": [n.to_json() for n in self.notes],
            "passes": self.passes,
            "prompt_tokens": self.prompt_tokens,
            "generated_tokens": self.generated_tokens,
            "seconds": round(self.seconds, 3),
        }


# Documents read by earlier questions: id -> (content hash then, the notes taken).
Earlier = dict[int, tuple[str | None, list[Note]]]


def _document_json(d: Document) -> dict[str, Any]:
    return {"id": d.id, "title": d.title, "file": d.path, "hash": d.content_hash,
            "collection": d.collection}  # fmt: skip


def stored_notes(grounding: Any) -> Earlier:
    """From a stored question's grounding: each document read whole, with the content hash
    it had then and its notes (a document read but with no note has an empty list)."""
    whole = grounding.get("whole") if isinstance(grounding, dict) else None
    if not isinstance(whole, dict):
        return {}
    hashes = {d.get("id"): d.get("hash") for d in whole.get("documents", []) if isinstance(d, dict)}
    found: Earlier = {}
    for doc_id in whole.get("read", []):
        if isinstance(doc_id, int):
            found[doc_id] = (hashes.get(doc_id), [])
    for value in whole.get("notes", []):
        note = Note.from_json(value)
        if note is not None and note.document_id in found:
            found[note.document_id][1].append(note)
    return found


class PassPlanner:
    """Cuts documents into passes that fit the side context: consecutive chunks of one
    document (a pass never spans documents, so progress is per document and each note
    belongs to one), at most ``pass_tokens`` of chunk text each."""

    def __init__(self, count_tokens: Callable[[str], int], n_ctx: int,
                 pass_tokens: int = PASS_TOKENS) -> None:  # fmt: skip
        self._count = count_tokens
        self.budget = max(64, min(pass_tokens, n_ctx - NOTE_TOKENS - FRAME_TOKENS))

    def plan(self, document: Document, chunks: Sequence[StoredChunk],
             question_tokens: int = 0) -> list[ReadPass]:  # fmt: skip
        budget = max(64, self.budget - question_tokens)
        passes: list[ReadPass] = []
        group: list[StoredChunk] = []
        used = 0
        for chunk in chunks:
            size = self._count(chunk.text)
            if group and used + size > budget:
                passes.append(ReadPass(document, tuple(group), used, False))
                group, used = [], 0
            group.append(chunk)
            used += size
        if group:
            passes.append(ReadPass(document, tuple(group), used, False))
        if passes:
            passes[-1] = ReadPass(document, passes[-1].chunks, passes[-1].tokens, True)
        return passes


class NoteTaker:
    """The map step: one pass's chunks and the question in, the sentences that bear on it
    out, each attributed to the chunk it came from."""

    def __init__(self, client: EngineClient, note_tokens: int = NOTE_TOKENS) -> None:
        self.client = client
        self.sampling = SamplingParams(temperature=0.0, max_tokens=note_tokens,
                                       repeat_penalty=1.0)  # fmt: skip

    def prompt(self, question: str, read_pass: ReadPass) -> str:
        words = _WORDS[_language(question)]
        excerpts = "\n".join(
            words["excerpt"].format(n=n, text=" ".join(c.text.split()))
            for n, c in enumerate(read_pass.chunks, 1)
        )
        asked = for_one_document(question.strip())
        return words["read"].format(question=asked, title=read_pass.document.title,
                                    excerpts=excerpts)  # fmt: skip

    def start(self, question: str, read_pass: ReadPass) -> Generation:
        from core.engine.protocol import ChatMessage

        message = ChatMessage("user", self.prompt(question, read_pass))
        return self.client.generate([message], self.sampling, cache="side")

    @staticmethod
    def notes(text: str, read_pass: ReadPass, question: str = "") -> list[Note]:
        """The notes in a pass's answer: each sentence goes to the chunk whose words it
        shares most (the model is not asked for numbers: Qwen 0.5B then answers with bare
        "[1] [2]"), consecutive sentences of one chunk make one note, and a sentence the
        chunks do not support (a remark, an invented fact) is left out."""
        chunks = read_pass.chunks
        found: list[Note] = []
        for sentence in _SENTENCE_END.split(text):
            line = _BULLET.sub("", _NUMBER.sub("", sentence)).strip(" \t\n:：")
            if not line or line.lower().rstrip(".。") in _NOTHING:
                continue
            scores = [_support(line, c.text, question) for c in chunks]
            best = max(range(len(chunks)), key=lambda i: scores[i])
            if scores[best] < MIN_SUPPORT:
                continue
            chunk = chunks[best]
            last = found[-1] if found else None
            if last is not None and last.chunk_id == chunk.id:
                if line not in last.text:
                    found[-1] = Note(last.document_id, chunk.id, chunk.page, f"{last.text} {line}")
            elif not any(line == note.text for note in found):
                found.append(Note(read_pass.document.id, chunk.id, chunk.page, line))
        return found


def _pieces(text: str) -> set[str]:
    """Lower-case words and numbers, and character pairs of each Chinese run: what a note
    shares with its chunk."""
    text = text.lower()
    pieces = set(re.findall(r"[a-z0-9]+", text))
    for run in re.findall(r"[\u3400-\u9fff]+", text):
        pieces |= {run[i : i + 2] for i in range(len(run) - 1)} if len(run) > 1 else {run}
    return pieces


def _support(line: str, source: str, question: str = "") -> float:
    """The share of a note's pieces found in a chunk (1.0: every word is the chunk's),
    leaving out the question's own words (an answer may repeat the question), and 0 when
    the note holds a number the chunk does not (an invented date or amount: small models
    continue a list of dates well past the one they read)."""
    pieces, known = _pieces(line) - _pieces(question), _pieces(source)
    if any(p.isdigit() and p not in known for p in pieces):
        return 0.0
    return len(pieces & known) / len(pieces) if pieces else 0.0


@dataclass(frozen=True)
class Progress:
    """Where a reading is: documents read whole of all, passes done of all."""

    documents_read: int
    documents_total: int
    passes_done: int
    passes_total: int
    notes: int


class WholeReading:
    """One reading of whole documents for one question (iterate for progress).

    Documents an earlier question read, unchanged since, keep their notes and are not read
    again. :meth:`cancel` (from any thread) stops at once, the running pass included; the
    documents read whole so far keep their notes. :meth:`turn` then makes the chat turn."""

    def __init__(self, question: str, documents: Sequence[Document], store: KnowledgeStore,
                 planner: PassPlanner, note_taker: NoteTaker,
                 earlier: Earlier | None = None) -> None:  # fmt: skip
        self.question = question
        # the words of the question as asked and as each pass asks it: an answer that
        # repeats them is not judged by them (see ``_support``)
        self._asked = f"{question} {for_one_document(question)}"
        self.store = store
        self.planner = planner
        self.note_taker = note_taker
        self.record = WholeRecord(list(documents))
        self._earlier = earlier or {}
        self._cancelled = threading.Event()
        self._running: Generation | None = None

    def cancel(self) -> None:
        self._cancelled.set()
        running = self._running
        if running is not None:
            running.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def __iter__(self) -> Iterator[Progress]:
        import time

        record = self.record
        started = time.perf_counter()
        todo: list[Document] = []
        for document in record.documents:
            earlier = self._earlier.get(document.id)
            if earlier is not None and earlier[0] == document.content_hash:
                record.read.append(document.id)
                record.reused.append(document.id)
                record.notes.extend(earlier[1])
            else:
                todo.append(document)
        question_tokens = self.note_taker.client.count_tokens(self.question)
        plans = [self.planner.plan(d, self.store.chunks_of(d.id), question_tokens) for d in todo]
        total = sum(len(p) for p in plans)
        done = 0
        yield self._progress(done, total)
        try:
            for passes in plans:
                kept: list[Note] = []
                for read_pass in passes:
                    if self.cancelled:
                        record.stopped = True
                        return
                    notes = self._read(read_pass)
                    if notes is None:  # stopped during the pass
                        record.stopped = True
                        return
                    kept.extend(notes)
                    done += 1
                    if read_pass.last:
                        record.read.append(read_pass.document.id)
                        record.notes.extend(kept)
                    yield self._progress(done, total)
        finally:
            record.seconds = time.perf_counter() - started

    def _read(self, read_pass: ReadPass) -> list[Note] | None:
        generation = self.note_taker.start(self.question, read_pass)
        self._running = generation
        try:
            if self.cancelled:
                generation.cancel()
            self._follow(generation, read_pass)
            text = generation.text
        finally:
            generation.close()
            self._running = None
        stats = generation.stats
        record = self.record
        record.passes += 1
        if stats is not None:
            record.prompt_tokens += stats.evaluated_tokens
            record.generated_tokens += stats.generated_tokens
        if stats is None or self.cancelled:
            return None
        return NoteTaker.notes(text, read_pass, self._asked)

    def _follow(self, generation: Generation, read_pass: ReadPass) -> None:
        """Read a pass's answer to its end, or stop it once it has run off: three lines in
        a row that give no note (Qwen 0.5B goes on listing invented dates after the one
        the text holds until it runs out of tokens)."""
        checked, barren = 0, 0
        for _ in generation:
            lines = generation.text.split("\n")
            for line in lines[checked : len(lines) - 1]:
                if line.strip():
                    has_note = bool(NoteTaker.notes(line, read_pass, self._asked))
                    barren = 0 if has_note else barren + 1
            checked = len(lines) - 1
            if barren >= RUNAWAY_LINES:
                generation.cancel()

    def _progress(self, done: int, total: int) -> Progress:
        record = self.record
        return Progress(len(record.read), len(record.documents), done, total, len(record.notes))

    def turn(self) -> WholeTurn:
        return whole_turn(self.question, self.record)


@dataclass(frozen=True)
class WholeTurn:
    """The reduce step's turn (``ChatSession.send``'s sources): the question over the
    notes, numbered by chunk, and what the session stores beside it."""

    model_text: str
    citations: list[dict[str, Any]]
    whole: dict[str, Any]
    complete: dict[str, Any]  # the notes the reply must not leave out, and their heading
    retry_text: str | None = None


def whole_turn(question: str, record: WholeRecord) -> WholeTurn:
    """One numbered source per chunk that gave notes (its notes on one line), in reading
    order; the question and the instruction after them."""
    words = _WORDS[_language(question)]
    by_id = {d.id: d for d in record.documents}
    order: dict[str, list[Note]] = {}
    for note in record.notes:
        order.setdefault(note.chunk_id, []).append(note)
    groups = list(order.values())[:MAX_SOURCES]
    lines = [words["intro"].format(read=len(record.read), total=len(record.documents)), ""]
    citations: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for n, notes in enumerate(groups, 1):
        text = " ".join(note.text for note in notes)
        lines.append(words["label"].format(n=n, text=text))
        document = by_id[notes[0].document_id]
        citations.append(_citation(n, document, notes[0], text))
        items.append({"n": n, "text": text})
    lines += ["", words["question"].format(question=question.strip())]
    if words["ask"]:
        lines += ["", words["ask"]]
    complete = {"heading": words["more"], "notes": items}
    return WholeTurn("\n".join(lines), citations, record.to_json(), complete)


def _citation(n: int, document: Document, note: Note, text: str) -> dict[str, Any]:
    """A source chip for a chunk read whole: as a retrieved one, without search scores;
    its snippet is the note (what the reading took from it)."""
    return {
        "n": n,
        "file": document.path,
        "title": document.title,
        "page": note.page,
        "heading": None,
        "snippet": text[:1000],
        "score": None,
        "keyword_score": None,
        "vector_score": None,
        "collection": document.collection,
        "document_id": document.id,
        "chunk_id": note.chunk_id,
        "whole": True,
    }


class WholeDocuments:
    """What a chat asks of whole documents: which documents (a collection's, or the ones
    named), and a reading of them for a question, reusing an earlier question's notes."""

    def __init__(
        self, store: KnowledgeStore, client: EngineClient, *,
        pass_tokens: int = PASS_TOKENS, note_tokens: int = NOTE_TOKENS,
    ) -> None:  # fmt: skip
        self.store = store
        self.client = client
        self.pass_tokens = pass_tokens
        self.note_tokens = note_tokens

    def documents(self, collections: Sequence[str],
                  names: Sequence[str] = ()) -> list[Document]:  # fmt: skip
        """The indexed documents of ``collections`` (all, or those ``names`` pick by id,
        path, file name or title). Raises for an unknown collection, a name that picks
        nothing, and collections without a document (``kb_whole_empty``)."""
        found: list[Document] = []
        for name in collections:
            self.store.collection(name)  # raises CollectionNotFound
            found += [d for d in self.store.documents(name) if d.chunk_count > 0]
        if not found:
            raise CollectionNotFound("kb_whole_empty", collection=", ".join(collections))
        if not names:
            return found
        picked: list[Document] = []
        for name in names:
            match = [d for d in found if _names(d, name) and d not in picked]
            if not match:
                raise DocumentNotFound("kb_document_not_found", document=name)
            picked += match
        return picked

    def reading(self, question: str, documents: Sequence[Document],
                earlier: Earlier | None = None,
                ) -> WholeReading:  # fmt: skip
        info = self.client.models.get("chat")
        n_ctx = info.n_ctx if info is not None else 2048
        planner = PassPlanner(self.client.count_tokens, n_ctx, self.pass_tokens)
        note_taker = NoteTaker(self.client, self.note_tokens)
        return WholeReading(question, documents, self.store, planner, note_taker, earlier)


def named_in(question: str, documents: Sequence[Document]) -> list[Document]:
    """The documents a question names by file name (with or without its suffix) or title,
    so "summarise report-2031.pdf" reads that one only (none named: an empty list)."""
    text = question.casefold()
    named = []
    for document in documents:
        path = Path(document.path)
        names = (path.name, path.stem, document.title)
        if any(len(n) >= 4 and n.casefold() in text for n in names):
            named.append(document)
    return named


def _names(document: Document, name: str) -> bool:
    path = Path(document.path)
    return name in (str(document.id), document.path, path.name, path.stem, document.title)


def earlier_notes(groundings: Sequence[Any]) -> Earlier:
    """The notes of the newest earlier reading of each document, from the groundings of a
    branch's questions (oldest first)."""
    found: Earlier = {}
    for grounding in groundings:
        found.update(stored_notes(grounding))
    return found
