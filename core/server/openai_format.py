"""OpenAI's request and response shapes, read and written in one place.

Requests are JSON from a stranger: every field the server uses is checked for its type here
and refused with the field named (400), and fields that would change the answer in a way the
engine cannot honour (``n`` > 1, tools, pictures) are refused rather than ignored. Fields
that change nothing here (``user``, zero penalties, ``stream_options`` without usage) pass.
"""

from __future__ import annotations

import base64
import secrets
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from core.engine.protocol import (
    ChatMessage,
    GenerationStats,
    Role,
    SamplingParams,
    StopReason,
    TokenLogprob,
)
from core.server.errors import ApiError

ROLES: Final[dict[str, Role]] = {
    "system": "system", "developer": "system", "user": "user", "assistant": "assistant",
}  # fmt: skip
MAX_STOPS: Final = 4
# OpenAI's limits: chat's ``top_logprobs`` 0-20, the legacy completions' ``logprobs`` 0-5.
MAX_CHAT_TOP_LOGPROBS: Final = 20
MAX_COMPLETION_LOGPROBS: Final = 5
# What OpenAI writes for a log-probability too small to show (JSON has no -Infinity).
FLOOR_LOGPROB: Final = -9999.0


@dataclass(frozen=True)
class ChatCall:
    """A checked ``POST /v1/chat/completions``."""

    model: str
    messages: tuple[ChatMessage, ...]
    sampling: SamplingParams
    stream: bool
    include_usage: bool
    # None: no log-probabilities asked for; else how many alternatives each token shows.
    logprobs: int | None = None


@dataclass(frozen=True)
class CompletionCall:
    """A checked ``POST /v1/completions`` (one prompt string, continued as it is)."""

    model: str
    prompt: str
    sampling: SamplingParams
    stream: bool
    include_usage: bool
    logprobs: int | None = None  # as ChatCall's


@dataclass(frozen=True)
class EmbeddingCall:
    model: str
    texts: tuple[str, ...]
    base64: bool = False  # each vector as its little-endian float32 bytes, in base64


def _bad(field: str, code: str = "server_bad_field", **params: Any) -> ApiError:
    return ApiError(400, code, api_code="invalid_value", param=field, field=field, **params)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "server_bad_json", api_code="invalid_json")
    return body


def _number(body: dict[str, Any], field: str, default: float) -> float:
    value = body.get(field)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(field, expected="a number")
    return float(value)


def _whole(body: dict[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, expected="a whole number")
    return value


def _stops(body: dict[str, Any]) -> tuple[str, ...]:
    value = body.get("stop")
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise _bad("stop", expected="a string or a list of strings")
    if len(stops) > MAX_STOPS:
        raise _bad("stop", expected=f"at most {MAX_STOPS} strings")
    return tuple(stops)


def _sampling(body: dict[str, Any], base: SamplingParams) -> SamplingParams:
    n = _whole(body, "n")
    if n is not None and n != 1:
        raise ApiError(400, "server_n_unsupported", api_code="unsupported_value", param="n")
    max_tokens = _whole(body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = _whole(body, "max_tokens")
    if max_tokens is not None and max_tokens < 1:
        raise _bad("max_tokens", expected="a whole number of at least 1")
    seed = _whole(body, "seed")
    if seed is not None:
        seed %= 2**32  # OpenAI takes any 64-bit seed; llama.cpp's is 32 bits
    return replace(
        base,
        temperature=_number(body, "temperature", base.temperature),
        top_p=_number(body, "top_p", base.top_p),
        max_tokens=base.max_tokens if max_tokens is None else max_tokens,
        seed=seed,
        stop=_stops(body),
    )


def _chat_logprobs(body: dict[str, Any]) -> int | None:
    """Chat's ``logprobs`` (true or false) and ``top_logprobs`` (0-20, only with
    ``logprobs``: OpenAI refuses it alone, and so does this server)."""
    asked = body.get("logprobs")
    if asked is not None and not isinstance(asked, bool):
        raise _bad("logprobs", expected="true or false")
    top = _whole(body, "top_logprobs")
    if top is not None and not 0 <= top <= MAX_CHAT_TOP_LOGPROBS:
        raise _bad("top_logprobs", expected=f"a whole number from 0 to {MAX_CHAT_TOP_LOGPROBS}")
    if not asked:
        if top:
            raise _bad("top_logprobs", expected='"logprobs": true beside it')
        return None
    return top or 0


def _completion_logprobs(body: dict[str, Any]) -> int | None:
    """The legacy completions' ``logprobs``: how many alternatives (0-5), or none."""
    top = _whole(body, "logprobs")
    if top is not None and not 0 <= top <= MAX_COMPLETION_LOGPROBS:
        raise _bad("logprobs", expected=f"a whole number from 0 to {MAX_COMPLETION_LOGPROBS}")
    return top


def _with_logprobs(sampling: SamplingParams, top: int | None) -> SamplingParams:
    """The engine reads log-probabilities only when it lists at least one alternative."""
    return sampling if top is None else replace(sampling, top_logprobs=max(1, top))


def _stream(body: dict[str, Any]) -> tuple[bool, bool]:
    stream = body.get("stream") or False
    if not isinstance(stream, bool):
        raise _bad("stream", expected="true or false")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise _bad("stream_options", expected="an object")
    return stream, bool(options.get("include_usage"))


def _content(message: dict[str, Any], index: int) -> str:
    """A message's text: a string, or the text parts of a list (pictures are refused)."""
    content = message.get("content")
    field = f"messages[{index}].content"
    if isinstance(content, str):
        return content
    if content is None and message.get("role") == "assistant":
        return ""
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise ApiError(400, "server_only_text", api_code="unsupported_value",
                               param=field)  # fmt: skip
            text = part.get("text")
            if not isinstance(text, str):
                raise _bad(field, expected="text parts")
            texts.append(text)
        return "".join(texts)
    raise _bad(field, expected="a string")


def _refuse_tools(body: dict[str, Any]) -> None:
    for field in ("tools", "functions"):
        if body.get(field):
            raise ApiError(400, "server_tools_unsupported", api_code="unsupported_value",
                           param=field)  # fmt: skip


def parse_chat(raw: Any, base: SamplingParams) -> ChatCall:
    body = _object(raw)
    _refuse_tools(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("messages", expected="a list of messages")
    parsed = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _bad(f"messages[{index}]", expected="an object")
        role = ROLES.get(message.get("role"))  # type: ignore[arg-type]
        if role is None:
            raise ApiError(
                400,
                "server_bad_role",
                api_code="unsupported_value",
                param=f"messages[{index}].role",
                role=str(message.get("role")),
            )
        parsed.append(ChatMessage(role, _content(message, index)))
    stream, include_usage = _stream(body)
    top = _chat_logprobs(body)
    sampling = _with_logprobs(_sampling(body, base), top)
    return ChatCall(str(body.get("model") or ""), tuple(parsed), sampling, stream,
                    include_usage, top)  # fmt: skip


def parse_completion(raw: Any, base: SamplingParams) -> CompletionCall:
    body = _object(raw)
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str) or not prompt:
        raise _bad("prompt", expected="one non-empty string")
    if body.get("echo") or body.get("suffix") or (_whole(body, "best_of") or 1) > 1:
        raise ApiError(400, "server_completion_options", api_code="unsupported_value")
    stream, include_usage = _stream(body)
    top = _completion_logprobs(body)
    sampling = _with_logprobs(_sampling(body, base), top)
    return CompletionCall(str(body.get("model") or ""), prompt, sampling, stream,
                          include_usage, top)  # fmt: skip


def parse_embeddings(raw: Any, max_inputs: int) -> EmbeddingCall:
    body = _object(raw)
    value = body.get("input")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise _bad("input", expected="a string or a list of strings")
    if len(texts) > max_inputs:
        raise _bad("input", expected=f"at most {max_inputs} strings")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):  # the openai package asks for base64 by default
        raise ApiError(400, "server_float_only", api_code="unsupported_value",
                       param="encoding_format")  # fmt: skip
    return EmbeddingCall(str(body.get("model") or ""), tuple(texts), encoding == "base64")


# ---- responses ---------------------------------------------------------------------------


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


def finish_reason(stop: StopReason) -> str:
    """OpenAI's names: running out of tokens or context is ``length``; a stop is ``stop``."""
    return "length" if stop in ("length", "context_full") else "stop"


def usage(stats: GenerationStats | None) -> dict[str, Any]:
    if stats is None:
        return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0,
                "prompt_tokens_details": {"cached_tokens": 0}}  # fmt: skip
    return {
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.generated_tokens,
        "total_tokens": stats.prompt_tokens + stats.generated_tokens,
        "prompt_tokens_details": {"cached_tokens": stats.cached_tokens},
    }


def model_entry(model_id: str, created: float) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": int(created), "owned_by": "fireside"}


def _logprob(value: float) -> float:
    return value if value > FLOOR_LOGPROB else FLOOR_LOGPROB


def _token_text(piece: bytes) -> str:
    """A token as text; a token holding part of a character shows U+FFFD there (its
    ``bytes`` keep the exact value, as OpenAI's do)."""
    return piece.decode("utf-8", errors="replace")


def _alternatives(step: TokenLogprob, top: int) -> list[tuple[bytes, float]]:
    """The ``top`` most likely tokens of a step, best first: their bytes and values."""
    ranked = zip(step.top[:top], step.top_pieces, strict=False)
    return [(piece, _logprob(value)) for (_, value), piece in ranked]


def chat_logprobs(steps: Sequence[TokenLogprob], top: int | None) -> dict[str, Any] | None:
    """OpenAI's ``choices[0].logprobs`` of a chat reply: each token with its
    log-probability, bytes and the ``top`` most likely tokens of its step (None: none
    were asked for)."""
    if top is None:
        return None
    return {
        "content": [{
            "token": _token_text(step.piece),
            "logprob": _logprob(step.logprob),
            "bytes": list(step.piece),
            "top_logprobs": [
                {"token": _token_text(piece), "logprob": value, "bytes": list(piece)}
                for piece, value in _alternatives(step, top)
            ],
        } for step in steps],
        "refusal": None,
    }  # fmt: skip


def completion_logprobs(steps: Sequence[TokenLogprob], top: int | None) -> dict[str, Any] | None:
    """The legacy completions' ``logprobs``: parallel lists of the tokens, their
    log-probabilities, each step's ``top`` alternatives (text to log-probability) and where
    each token starts in the completion's text (in characters); None when none were asked."""
    if top is None:
        return None
    offsets, read = [], b""
    for step in steps:
        offsets.append(len(read.decode("utf-8", errors="ignore")))
        read += step.piece
    return {
        "tokens": [_token_text(step.piece) for step in steps],
        "token_logprobs": [_logprob(step.logprob) for step in steps],
        "top_logprobs": [{_token_text(piece): value for piece, value in _alternatives(step, top)}
                         for step in steps],
        "text_offset": offsets,
    }  # fmt: skip


def chat_completion(reply_id: str, model: str, text: str, stats: GenerationStats,
                    logprobs: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": reply_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": finish_reason(stats.stop_reason),
            "logprobs": logprobs,
        }],
        "usage": usage(stats),
    }  # fmt: skip


def chat_chunk(reply_id: str, model: str, delta: dict[str, Any], finish: str | None = None,
               logprobs: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": reply_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": logprobs}],
    }


def usage_chunk(reply_id: str, model: str, stats: GenerationStats | None,
                object_name: str = "chat.completion.chunk") -> dict[str, Any]:  # fmt: skip
    return {"id": reply_id, "object": object_name, "created": int(time.time()), "model": model,
            "choices": [], "usage": usage(stats)}  # fmt: skip


def text_completion(reply_id: str, model: str, text: str, finish: str | None,
                    stats: GenerationStats | None,
                    logprobs: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {
        "id": reply_id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": logprobs}],
    }
    if stats is not None:
        body["usage"] = usage(stats)
    return body


def embeddings(model: str, vectors: list[list[float]], tokens: int,
               as_base64: bool = False) -> dict[str, Any]:  # fmt: skip
    def encoded(vector: list[float]) -> list[float] | str:
        if not as_base64:
            return vector
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")

    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": encoded(v)}
                 for i, v in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }  # fmt: skip
