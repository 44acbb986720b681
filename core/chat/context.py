"""The context stack: the active branch as frames of exact tokens, mirrored by the KV cache.

The branch from the root to the current leaf is a stack: the system message at the bottom
(pinned), then one frame per message. Each frame is the exact tokens that message adds to the
model's prompt: the template's glue around it, tokenized with special tokens, and its content,
tokenized as plain text (so text a person typed can never become a control token). A reply's
frame reuses the tokens the model sampled, never a re-tokenization of its text, so the prompt
for the next turn is exactly the cache plus the new tokens and the engine evaluates only those.

When the stack outgrows its budget (the context size minus room for the reply), whole turns
are evicted from the bottom in one large step, down to half the budget, so the cost is paid
rarely. The system message and the newest turn always stay. The engine notices that the rest
of its cache continues the new prompt and shifts it down instead of evaluating it again.

Frames are built by rendering the messages with the model's own template and taking the text
each message adds. That needs a template whose renderings extend each other
(render(m[:k+1]) starts with render(m[:k])); a template that is not prefix-stable is rendered
whole for each prompt instead, which is correct but reuses less of the cache. Either way the
content is rendered inside marks (core/engine/template_marks.py), so the text is tokenized
piece by piece: the template's glue with special tokens, content as plain text, even where a
template trims content or takes it apart. Templates are rendered in the template process
(core/engine/template_process.py), which stops one that runs away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.chat.errors import TurnTooLarge
from core.engine.protocol import ChatMessage
from core.engine.template import ChatTemplate
from core.engine.template_layout import Layout
from core.engine.template_marks import Marker
from core.engine.template_process import TemplateProcess

log = logging.getLogger(__name__)

# (text, add_special, parse_special) -> token ids, answered by the engine's tokenizer
Tokenizer = Callable[[str, bool, bool], list[int]]


@dataclass(frozen=True)
class StackMessage:
    """A message as the stack needs it; ``key`` identifies it for caching (a message id)."""

    key: int
    role: str
    content: str
    tokens: tuple[int, ...] | None = None  # sampled tokens of a reply, exactly ``content``


@dataclass(frozen=True)
class Frame:
    key: int
    role: str
    tokens: tuple[int, ...]


@dataclass
class Prompt:
    """What to send to the engine for one turn, and what it says about the stack."""

    tokens: list[int]
    frames: list[Frame]
    visible: set[int]  # keys of the messages the model sees
    evicted: bool  # this prompt dropped turns that the previous one had
    whole_render: bool  # the template was not prefix-stable: rendered whole
    budget: int

    @property
    def used(self) -> int:
        return len(self.tokens)


@dataclass
class StackStats:
    evictions: int = 0
    whole_renders: int = 0
    full_reprefills: int = 0


@dataclass
class ContextStack:
    """Builds prompts for one chat on one model; remembers the eviction point between turns."""

    template: ChatTemplate
    tokenize: Tokenizer
    n_ctx: int
    templates: TemplateProcess  # renders the template with bounded time and memory
    marker: Marker = field(default_factory=lambda: Marker(()))  # the model's control tokens
    bos_text: str = ""
    reserve: int = 512  # room left for the reply
    stats: StackStats = field(default_factory=StackStats)
    window_start: int | None = None  # key of the oldest non-system message still visible
    _frames: dict[tuple[int | None, int], tuple[int, ...]] = field(default_factory=dict)
    _warned_unstable: bool = False

    @property
    def budget(self) -> int:
        return max(1, self.n_ctx - min(self.reserve, self.n_ctx // 2))

    # ---- the public step ---------------------------------------------------------------

    def build(self, branch: Sequence[StackMessage]) -> Prompt:
        """The prompt for generating the next reply after ``branch`` (which ends with the
        person's newest message)."""
        system = [m for m in branch[:1] if m.role == "system"]
        turns = list(branch[len(system) :])
        start = self._start_index(turns)
        visible = [*system, *turns[start:]]
        prompt = self._render(visible)
        evicted = False
        if prompt.used > self.budget:
            start = self._evict(system, turns, start, prompt)
            visible = [*system, *turns[start:]]
            prompt = self._render(visible)
            evicted = True
            self.stats.evictions += 1
            if prompt.used > self.budget:
                raise TurnTooLarge("turn_too_large", tokens=prompt.used, budget=self.budget)
        self.window_start = turns[start].key if start < len(turns) else None
        prompt.evicted = evicted
        prompt.budget = self.budget
        return prompt

    def _start_index(self, turns: list[StackMessage]) -> int:
        """Where the visible window starts: the remembered point if it is on this branch."""
        if self.window_start is None:
            return 0
        for index, message in enumerate(turns):
            if message.key == self.window_start:
                return index
        return 0  # another branch: start from the beginning and evict again if needed

    def _evict(self, system: list[StackMessage], turns: list[StackMessage], start: int,
               rendered: Prompt) -> int:  # fmt: skip
        """Drop whole turns from the bottom until the stack fits in half the budget.

        Where a window may start is judged first from the frames just rendered (each
        frame's token count, added up from the end), and only the candidate that estimate
        picks is rendered to check it: rendering every candidate would tokenize a long
        chat once per turn, which made opening a chat of hundreds of messages take minutes.
        """
        target = self.budget // 2
        last_user = max(
            (i for i, m in enumerate(turns) if m.role == "user"), default=len(turns) - 1
        )
        lengths = [len(frame.tokens) for frame in rendered.frames]
        if rendered.whole_render or len(lengths) != len(system) + len(turns) - start:
            estimates = None  # no frames to count (a template rendered whole): render each
        else:
            fixed = sum(lengths[: len(system)])
            tail = 0
            estimates = {}
            for index in range(len(turns) - 1, start, -1):
                tail += lengths[len(system) + index - start]
                estimates[index] = fixed + tail
        for candidate in range(start + 1, last_user + 1):
            if turns[candidate].role != "user":
                continue  # a window starts at a person's message, never mid-turn
            if estimates is not None and estimates[candidate] > target:
                continue
            if self._render([*system, *turns[candidate:]]).used <= target:
                return candidate
        return last_user

    def rekey(self, old: int, new: int) -> None:
        """A pending message (negative key, never cached) was stored under ``new``."""
        if self.window_start == old:
            self.window_start = new

    # ---- frames ------------------------------------------------------------------------

    def _render(self, messages: Sequence[StackMessage]) -> Prompt:
        keys = {m.key for m in messages}
        first_key = messages[0].key if messages else None
        # A frame depends on its message, on the path above it (fixed, in a tree) and on
        # which message opens the visible window; so that is its cache key.
        cache_keys = [(first_key if k > 0 else None, m.key) for k, m in enumerate(messages)]
        wanted = [k for k, key in enumerate(cache_keys) if key not in self._frames]
        layout = self._layout(messages, wanted)
        sampled = {
            k: (m.content, m.tokens)
            for k, m in enumerate(messages)
            if m.role == "assistant" and m.tokens is not None
        }
        if not layout.stable:
            if not self._warned_unstable:
                log.warning("chat template is not prefix-stable; rendering prompts whole")
                self._warned_unstable = True
            self.stats.whole_renders += 1
            whole = self._tokens(layout.full, at_start=True, sampled=sampled)
            return Prompt(whole, [Frame(m.key, m.role, ()) for m in messages], keys,
                          False, True, self.budget)  # fmt: skip
        assert layout.frames is not None and layout.tail is not None
        texts = dict(zip(wanted, layout.frames, strict=True))
        frames: list[Frame] = []
        tokens: list[int] = []
        for k, message in enumerate(messages):
            frame_tokens = self._frames.get(cache_keys[k])
            if frame_tokens is None:
                frame_tokens = tuple(self._tokens(texts[k], at_start=(k == 0), sampled=sampled))
                if message.key >= 0 and (first_key is None or first_key >= 0):
                    self._frames[cache_keys[k]] = frame_tokens
            frames.append(Frame(message.key, message.role, frame_tokens))
            tokens.extend(frame_tokens)
        if layout.tail:
            tokens.extend(self._tokens(layout.tail, at_start=not tokens, sampled=sampled))
        return Prompt(tokens, frames, keys, False, False, self.budget)

    def _layout(self, messages: Sequence[StackMessage], wanted: list[int]) -> Layout:
        chat = [ChatMessage(m.role, m.content) for m in messages]  # type: ignore[arg-type]
        return self.templates.marked_layout(self.template, self.marker, chat, wanted)

    def check(self) -> None:
        """Render a short conversation now, so a template that fails or runs away is
        refused when a chat is opened, before anything is sent."""
        sample = [ChatMessage("user", "Hello."), ChatMessage("assistant", "Hello!"),
                  ChatMessage("user", "How are you?")]  # fmt: skip
        self.templates.marked_layout(self.template, self.marker, sample, range(len(sample)))

    def _tokens(self, text: str, *, at_start: bool,
                sampled: dict[int, tuple[str, tuple[int, ...]]]) -> list[int]:  # fmt: skip
        """Glue with special tokens, content as plain text, replies as sampled."""
        return self.marker.tokens(text, self.tokenize, at_start=at_start,
                                  bos_text=self.bos_text, sampled=sampled)  # fmt: skip
