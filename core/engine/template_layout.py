"""What a template makes of a conversation, frame by frame.

The context stack needs, for some messages, the text each adds to the prompt (rendering
``m[:k+1]`` minus rendering ``m[:k]``), the generation prompt after the last one, and, when
the template is not prefix-stable, the whole prompt. Computing all of that in one call lets
it run in the template process (core/engine/template_process.py) with one round trip per
turn, and only the frames (not every prefix's whole rendering) come back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.engine.errors import TemplateError
from core.engine.protocol import ChatMessage

# (messages, add_generation_prompt) -> the template's text for them
Render = Callable[[Sequence[ChatMessage], bool], str]


@dataclass(frozen=True)
class Layout:
    """``frames[i]`` is the text message ``wanted[i]`` adds; None when rendering more
    messages does not extend the rendering of fewer. ``tail`` is the generation prompt
    (None when it does not extend the rendering either). ``full`` is the whole prompt: what
    the frames and the tail add up to when the template is prefix-stable, and the prompt
    itself when it is not."""

    frames: tuple[str, ...] | None
    tail: str | None
    full: str

    @property
    def stable(self) -> bool:
        return self.frames is not None and self.tail is not None


def layout(render: Render, messages: Sequence[ChatMessage], wanted: Sequence[int]) -> Layout:
    renders: dict[int, str] = {}

    def prefix(k: int) -> str:
        if k not in renders:
            if k == 0:
                try:  # many templates refuse an empty conversation; it renders as nothing
                    renders[k] = render([], False)
                except TemplateError:
                    renders[k] = ""
            else:
                renders[k] = render(messages[:k], False)
        return renders[k]

    frames: list[str] | None = []
    for k in wanted:
        before, after = prefix(k), prefix(k + 1)
        if not after.startswith(before):
            frames = None
            break
        assert frames is not None
        frames.append(after[len(before) :])
    full = render(messages, True)
    tail = None
    if frames is not None:
        rendered = prefix(len(messages))
        tail = full[len(rendered) :] if full.startswith(rendered) else None
    return Layout(None if frames is None else tuple(frames), tail, full)
