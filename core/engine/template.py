"""Rendering chat messages into a prompt with the model's own template.

Templates come from the GGUF metadata (``tokenizer.chat_template``) and are Jinja source
written by strangers, so they are rendered in Jinja's immutable sandbox, and the product
renders them only through :class:`core.engine.template_process.TemplateProcess`, which
bounds their time and memory. A model without a
template (a base model such as Gemma 3 270M) gets Fireside's documented fallback, a plain
transcript that base models continue naturally:

    {system prompt}

    User: {message}
    Assistant: {reply}
    User: {message}
    Assistant:

with ``"\\nUser:"`` as a stop string so the model does not write the person's next line.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from jinja2 import Template
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from core.engine.errors import TemplateError
from core.engine.protocol import ChatMessage
from core.engine.template_marks import split_marked

FALLBACK_STOPS = ("\nUser:",)


def _raise_exception(message: str) -> NoReturn:
    raise TemplateError("template_error", reason=message)


def _strftime_now(fmt: str) -> str:
    return datetime.datetime.now().strftime(fmt)


@functools.lru_cache(maxsize=8)
def _compile(source: str) -> Template:
    """Compile a template once: a chat's every turn renders it several times, and
    compiling a real template costs far more than rendering it."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env.from_string(source)


@dataclass(frozen=True)
class ChatTemplate:
    """A model's prompt format. ``source=None`` selects the fallback transcript."""

    source: str | None
    bos_token: str = ""
    eos_token: str = ""

    @classmethod
    def plain_transcript(cls) -> ChatTemplate:
        """The fallback transcript, for a person who chose it over a refused template."""
        return cls(None)

    @property
    def is_fallback(self) -> bool:
        return self.source is None

    @property
    def default_stops(self) -> tuple[str, ...]:
        return FALLBACK_STOPS if self.source is None else ()

    def render(self, messages: Sequence[ChatMessage], add_generation_prompt: bool = True) -> str:
        if self.source is None:
            return render_fallback(messages, add_generation_prompt)
        try:
            template = _compile(self.source)
            payload: list[dict[str, Any]] = [
                {"role": m.role, "content": m.content} for m in messages
            ]
            return template.render(
                messages=payload,
                add_generation_prompt=add_generation_prompt,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
            )
        except TemplateError:
            raise
        except MemoryError:
            raise
        except (JinjaTemplateError, ArithmeticError, LookupError, RecursionError, TypeError,
                ValueError, AttributeError) as exc:  # fmt: skip
            raise TemplateError("template_error", reason=f"{type(exc).__name__}: {exc}") from exc


def render_fallback(messages: Sequence[ChatMessage], add_generation_prompt: bool) -> str:
    """The plain transcript. Content marked whole (core/engine/template_marks.py) is trimmed
    inside its marks, so the marks show exactly what the transcript keeps of it."""
    parts: list[str] = []
    for message in messages:
        start, content, end = split_marked(message.content)
        if message.role == "system":
            if content:
                parts.append(start + content.strip() + end + "\n\n")
        elif message.role == "user":
            parts.append("User: " + start + content.strip() + end + "\n")
        else:
            space = "" if content.startswith((" ", "\n")) else " "
            parts.append("Assistant:" + space + start + content.rstrip("\n") + end + "\n")
    if add_generation_prompt:
        parts.append("Assistant:")
    return "".join(parts)
