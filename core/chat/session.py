"""One conversation in use: the store, the engine and the context stack working together.

A ``ChatSession`` is what the CLI and the window drive. Sending stores the person's message
first (so it is never lost), then streams the reply, saving it as it grows (marked incomplete
until it ends), so a crash or a kill loses at most the last second of a reply. Regenerate,
edit and switching between alternatives move along the message tree; the context stack turns
the active branch into tokens, and the engine reuses whatever its cache already holds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from core.chat.context import ContextStack, Prompt, StackMessage
from core.chat.replies import is_bare, settle
from core.chat.store import Chat, ChatStore, Message
from core.engine.client import EngineClient, Generation
from core.engine.protocol import GenerationStats, ModelInfo, SamplingParams
from core.engine.template import ChatTemplate
from core.knowledge.attribution import attribute as attribute_reply
from core.knowledge.grounding import mark_cited

SAVE_EVERY_S = 1.0  # how often a streaming reply is written to the database
# Stand-in keys for messages not stored yet (the prompt is built before storing).
PENDING_SYSTEM = -2
PENDING_USER = -1
PENDING_RETRY = -3  # the stricter version of a grounded turn, never cached as its message


class TurnSources(Protocol):
    """Knowledge for one turn (core/knowledge/grounding.py's ``GroundedTurn``): the text the
    model reads instead of the bare question (question + numbered sources), and the sources."""

    @property
    def model_text(self) -> str: ...

    @property
    def citations(self) -> list[dict[str, Any]]: ...

    @property
    def retry_text(self) -> str | None:
        """The same turn with a stricter instruction, for one retry of a bare reply."""


def model_key(info: ModelInfo) -> str:
    """Identifies a model's tokenizer for stored tokens: same file name and size."""
    return f"{Path(info.path).name}:{info.file_size}"


@dataclass(frozen=True)
class TurnResult:
    """What one reply cost and what the model saw: the CLI's JSON is made of this."""

    message: Message
    stats: GenerationStats
    full_reprefill: bool
    visible_turns: int
    used_tokens: int
    n_ctx: int


class Reply:
    """A streaming reply: iterate for text; ``result`` once it has ended."""

    def __init__(self, session: ChatSession, parent: Message, prompt: Prompt,
                 generation: Generation) -> None:  # fmt: skip
        self._session = session
        self.parent = parent
        self.prompt = prompt
        self.generation = generation
        self.message: Message | None = None
        self.result: TurnResult | None = None
        self.retried = False  # regenerated once because the first reply was bare
        self.first_text = ""  # the bare first reply, when retried
        # A whole-document turn's reply checked against its notes (``settle``): its text
        # with the source numbers corrected, and the notes it left out, added after it.
        self.settled: str | None = None
        self.addition = ""
        self._last_save = time.monotonic()

    def __iter__(self) -> Iterator[str]:
        """The reply's pieces. A grounded turn with a retry text holds its pieces back while
        the reply is still bare (only markers, or less than a sentence); if it ends bare,
        the turn is generated once more with the stricter text, and only that is shown.
        A whole-document turn's reply then gains the notes it left out (``completion``)."""
        try:
            yield from self._pieces()
            stats = self.generation.stats
            if stats is not None and stats.stop_reason in ("eos", "stop_string", "length"):
                grounding = self.parent.grounding or {}
                complete, attribute = grounding.get("complete"), grounding.get("attribute")
                if complete is not None:
                    self.settled, self.addition = settle(self.generation.text, complete)
                elif attribute is not None:
                    self._attribute(attribute)
                if self.addition:
                    yield self.addition
        finally:
            # A consumer that stops early or raises must not leave the engine busy: the
            # next request (another chat, the knowledge lane) would wait for it forever.
            self.generation.close()
            if self.generation.finished and self.generation.stats is not None:
                self._finish()

    def _attribute(self, attribute: object) -> None:
        """Cite the reply's sentences (core/knowledge/attribution.py): markers that only
        follow the streamed text are streamed too; markers inside it change the stored
        text (``settled``), which the window shows when the reply ends."""
        if not isinstance(attribute, dict):
            return
        question, excerpts = attribute.get("question"), attribute.get("excerpts")
        if not isinstance(question, str) or not isinstance(excerpts, list):
            return
        texts = [e if isinstance(e, str) else "" for e in excerpts]
        streamed = self.generation.text
        cited = attribute_reply(streamed, texts, question).text
        if cited.startswith(streamed):
            self.addition = cited[len(streamed) :]
        elif cited != streamed:
            self.settled = cited

    def _pieces(self) -> Iterator[str]:
        retry = (self.parent.grounding or {}).get("retry")
        if not isinstance(retry, str):
            yield from self._stream()
            return
        held: list[str] = []
        for piece in self._stream():
            held.append(piece)
            if not is_bare(self.generation.text):
                break
        stats = self.generation.stats
        if not is_bare(self.generation.text):
            yield from held
            yield from self._stream()
        elif stats is not None and stats.stop_reason in ("eos", "stop_string", "length"):
            self.first_text = self.generation.text
            self._retry(retry)
            yield from self._stream()
        else:
            yield from held  # cancelled or failed: show what there is

    def _stream(self) -> Iterator[str]:
        store = self._session.store
        for piece in self.generation:
            if self.message is None:
                self.message = store.add_message(
                    self.parent.chat_id, self.parent.id, "assistant",
                    self.generation.text, incomplete=True, stats=self._session.written_by,
                )  # fmt: skip
            elif time.monotonic() - self._last_save >= SAVE_EVERY_S:
                store.update_message(self.message.id, content=self.generation.text)
                self._last_save = time.monotonic()
            yield piece

    def _retry(self, text: str) -> None:
        """Generate the turn again from the stricter ``text``, in place of the bare reply.
        The stored user message keeps its usual grounding, so a later turn rebuilds that
        frame (the engine re-reads from there once; correct either way)."""
        session = self._session
        above = (
            session.store.branch(session.chat_id, self.parent.parent_id)
            if self.parent.parent_id is not None else []
        )  # fmt: skip
        branch = [*map(session._stack_message, above), StackMessage(PENDING_RETRY, "user", text)]
        self.prompt = session.stack.build(branch)
        session.stack.rekey(PENDING_RETRY, self.parent.id)
        self.generation = session._generate(self.prompt)
        self.retried = True

    def cancel(self) -> None:
        self.generation.cancel()

    def _finish(self) -> None:
        session, generation = self._session, self.generation
        stats = generation.stats
        assert stats is not None
        store = session.store
        done = stats.stop_reason in ("eos", "stop_string", "length")
        tokens = generation.tokens if generation.tokens_cover_text else None
        text = generation.text
        if self.settled is not None and self.settled != text:
            text, tokens = self.settled, None  # numbers corrected: read as text next turn
        text += self.addition
        if tokens is not None and self.addition:
            # The cache holds the sampled tokens; the addition is read as plain text.
            tokens = (*tokens, *session._tokenize(self.addition, False, False))
        fields: dict[str, Any] = {
            "content": text,
            "tokens": tokens,
            "tokens_model": session.model_key if tokens is not None else None,
            "incomplete": not done,
            "stats": {**asdict(stats), **session.written_by},
        }
        sources = (self.parent.grounding or {}).get("sources")
        if isinstance(sources, list) and sources:
            fields["citations"] = mark_cited(sources, text)
        if self.message is None:
            self.message = store.add_message(self.parent.chat_id, self.parent.id, "assistant",
                                             **fields)  # fmt: skip
        else:
            self.message = store.update_message(self.message.id, **fields)
        full_reprefill = self.prompt.evicted and stats.shifted_tokens == 0
        if full_reprefill:
            session.stack.stats.full_reprefills += 1
        session._last_generated = stats.generated_tokens
        self.result = TurnResult(
            message=self.message,
            stats=stats,
            full_reprefill=full_reprefill,
            visible_turns=sum(1 for f in self.prompt.frames if f.role == "user"),
            used_tokens=self.prompt.used + stats.generated_tokens,
            n_ctx=session.info.n_ctx,
        )


class ChatSession:
    """A chat on the loaded chat model."""

    def __init__(self, store: ChatStore, client: EngineClient, chat_id: int,
                 sampling: SamplingParams | None = None, *,
                 template: ChatTemplate | None = None) -> None:  # fmt: skip
        """``template`` overrides the model's own chat template (for a broken one)."""
        self.store = store
        self.client = client
        self.chat_id = chat_id
        self.sampling = sampling or SamplingParams()
        info = client.models.get("chat")
        if info is None:
            from core.engine.errors import NoModelLoaded

            raise NoModelLoaded("no_chat_model")
        self.info = info
        self.model_key = model_key(info)
        # Stored in every reply's stats: a reply keeps the name of the model that wrote it
        # after another model is loaded (the window marks it as not the loaded model's).
        self.written_by: dict[str, Any] = {"model": info.name, "model_key": self.model_key}
        self.last_prompt: Prompt | None = None  # what the latest reply was generated from
        self._last_generated: int | None = None
        self.stack = ContextStack(
            template=template or client.chat_template(),
            tokenize=self._tokenize,
            n_ctx=info.n_ctx,
            templates=client.templates,
            marker=client.marker(),
            bos_text=info.bos_text,
            reserve=min(self.sampling.max_tokens, info.n_ctx // 2),
        )
        store.get_chat(chat_id)  # raises ChatNotFound for a bad id
        # A template that fails or runs away is refused now (TemplateError), before
        # anything is sent; the caller may offer ChatTemplate.plain_transcript() instead.
        self.stack.check()

    @property
    def chat(self) -> Chat:
        return self.store.get_chat(self.chat_id)

    def _tokenize(self, text: str, add_special: bool, parse_special: bool) -> list[int]:
        return self.client.tokenize(text, add_special=add_special, parse_special=parse_special)

    # ---- what the person does ----------------------------------------------------------

    def send(self, text: str, sources: TurnSources | None = None) -> Reply:
        """Add the person's message under the active leaf and start the reply.

        The prompt is built before anything is stored, so a message too large for the
        context window is refused with nothing changed. With ``sources`` (a grounded turn)
        the model reads ``sources.model_text`` for this turn, in this turn's frame; it is
        stored with the message, so later prompts rebuild the same frame."""
        chat = self.chat
        parent_id = chat.active_leaf
        above = self.store.branch(chat.id, parent_id) if parent_id is not None else []
        pending = [self._stack_message(m) for m in above]
        if not above and chat.system_prompt:
            pending.append(StackMessage(PENDING_SYSTEM, "system", chat.system_prompt))
        content = sources.model_text if sources is not None else text
        prompt = self.stack.build([*pending, StackMessage(PENDING_USER, "user", content)])
        if not above and chat.system_prompt:
            parent_id = self.store.add_message(chat.id, None, "system", chat.system_prompt).id
            self.stack.rekey(PENDING_SYSTEM, parent_id)
        if not chat.title:
            self.store.rename(chat.id, _title_from(text))
        grounding = _grounding(sources)
        user = self.store.add_message(chat.id, parent_id, "user", text, grounding=grounding)
        self.stack.rekey(PENDING_USER, user.id)
        return self._start(user, prompt)

    def regenerate(self, message_id: int | None = None) -> Reply:
        """Another reply to the same message: a new sibling; the old reply stays."""
        target = self.store.get_message(message_id or self._active_leaf())
        user = target if target.role == "user" else self.store.get_message(
            target.parent_id or target.id
        )  # fmt: skip
        branch = self.store.branch(self.chat_id, user.id)
        prompt = self.stack.build([self._stack_message(m) for m in branch])
        self.store.set_active_leaf(self.chat_id, user.id)
        return self._start(user, prompt)

    def edit(self, message_id: int, text: str, sources: TurnSources | None = None) -> Reply:
        """A new version of one of the person's messages, answered; the old one stays.
        ``sources`` grounds the new version as :meth:`send` grounds a message."""
        original = self.store.get_message(message_id)
        above = (
            self.store.branch(self.chat_id, original.parent_id)
            if original.parent_id is not None else []
        )  # fmt: skip
        content = sources.model_text if sources is not None else text
        pending = [*map(self._stack_message, above), StackMessage(PENDING_USER, "user", content)]
        prompt = self.stack.build(pending)
        grounding = _grounding(sources)
        user = self.store.add_message(self.chat_id, original.parent_id, "user", text,
                                      grounding=grounding)  # fmt: skip
        self.stack.rekey(PENDING_USER, user.id)
        return self._start(user, prompt)

    def switch(self, message_id: int, step: int) -> list[Message]:
        """Show the previous (-1) or next (+1) alternative of a message."""
        return self.store.switch_sibling(message_id, step)

    def prepare(self) -> Prompt | None:
        """Lay out the active branch in the context stack without generating anything, so
        the context gauge and which messages the model still sees are known as soon as a
        chat is opened (not only after its next turn). Tokenizes what has no stored tokens;
        the engine's cache is left as it is. None for an empty chat."""
        branch = self.store.branch(self.chat_id)
        if not branch:
            return None
        prompt = self.stack.build([self._stack_message(m) for m in branch])
        self.last_prompt = prompt
        self._last_generated = None
        return prompt

    def gauge(self) -> tuple[int, int]:
        """(tokens in the model's context now, context size): the window's context meter."""
        used = self.last_prompt.used if self.last_prompt is not None else 0
        if self._last_generated is not None:
            used += self._last_generated
        return min(used, self.info.n_ctx), self.info.n_ctx

    def visibility(self) -> dict[int, bool]:
        """For each message of the active branch: does the model still see it?"""
        branch = self.store.branch(self.chat_id)
        start = self.stack.window_start
        seen_start = start is None
        result: dict[int, bool] = {}
        for message in branch:
            if message.id == start:
                seen_start = True
            result[message.id] = message.role == "system" or seen_start
        return result

    # ---- plumbing ----------------------------------------------------------------------

    def _active_leaf(self) -> int:
        leaf = self.chat.active_leaf
        if leaf is None:
            from core.chat.errors import ChatNotFound

            raise ChatNotFound("message_not_found", message_id=0)
        return leaf

    def _start(self, user: Message, prompt: Prompt) -> Reply:
        return Reply(self, user, prompt, self._generate(prompt))

    def _generate(self, prompt: Prompt) -> Generation:
        stops = (*self.sampling.stop, *self.stack.template.default_stops)
        sampling = replace(self.sampling, stop=tuple(dict.fromkeys(stops)))
        generation = self.client.generate_tokens(prompt.tokens, sampling)
        self.last_prompt = prompt
        self._last_generated = None
        return generation

    def _stack_message(self, message: Message) -> StackMessage:
        tokens = message.tokens if message.tokens_model == self.model_key else None
        return StackMessage(message.id, message.role, message.model_content, tokens)


def _grounding(sources: TurnSources | None) -> dict[str, Any] | None:
    """What a grounded message stores beside the person's text: the model-facing text, the
    sources, and the stricter text for a retry (kept so Regenerate can retry too)."""
    if sources is None:
        return None
    grounding: dict[str, Any] = {"content": sources.model_text, "sources": list(sources.citations)}
    if sources.retry_text:
        grounding["retry"] = sources.retry_text
    # A whole-document turn (core/knowledge/whole.py): what was read and the notes taken
    # (the Sources panel, a follow-up question's reuse), and the notes the reply must keep;
    # a grounded turn: the question and excerpts its reply's citations are found in.
    for key in ("whole", "complete", "attribute"):
        value = getattr(sources, key, None)
        if isinstance(value, dict):
            grounding[key] = value
    return grounding


def _title_from(text: str, limit: int = 48) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
