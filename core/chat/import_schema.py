"""What a chat file from elsewhere may put into the store, checked field by field.

A JSON export is something people share, so an imported file is input from a stranger. Every
field is checked against the schema below (types, ranges, lengths, dates no later than now),
unknown keys are dropped, and what the person cannot see is not trusted at all:

- a message's ``tokens`` and ``tokens_model`` are dropped: reply tokens are fed to the model
  as they are, so a file could hide control tokens behind harmless visible text. The context
  stack tokenizes the visible content again, as plain text.
- a user message's ``grounding`` (the model-facing text with its sources) is dropped for the
  same reason: it is text the model reads and the person never sees. The model then reads what
  the person sees.
- citations keep only their display fields (file, title, page, heading, snippet, scores,
  whether the reply cited it). The file is display text: the window opens it only when it is
  a document in the person's own knowledge base (``KnowledgeStore.document_at``).

The same citation check runs when messages are read back (``clean_citations``), so a row
written by an older version that trusted imports cannot break the window either.
"""

from __future__ import annotations

import math
from typing import Any, Final

MAX_TEXT: Final = 4096  # a title, a file path, a heading
MAX_SNIPPET: Final = 8192
MAX_PAGE: Final = 1_000_000
MAX_CITATIONS: Final = 200
MAX_SETTINGS: Final = 100
STOP_REASONS: Final = frozenset({"eos", "stop_string", "length", "cancelled", "context_full"})
STAT_NUMBERS: Final = (
    "prompt_tokens", "cached_tokens", "evaluated_tokens", "generated_tokens", "ttft_s",
    "prompt_eval_s", "prompt_tps", "decode_s", "decode_tps", "shifted_tokens",
)  # fmt: skip


class SchemaError(ValueError):
    """One field of an imported chat is not what the schema allows; ``str()`` says which."""


def text(value: Any, where: str, limit: int = MAX_TEXT, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise SchemaError(f"{where} must be text")
    if len(value) > limit:
        raise SchemaError(f"{where} is longer than {limit} characters")
    return value


def _number(value: Any, where: str, *, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"{where} must be a number")
    if not math.isfinite(value) or not low <= value <= high:
        raise SchemaError(f"{where} is out of range")
    return value


def timestamp(value: Any, where: str, now: float) -> float:
    """A date as seconds since 1970; a date after ``now`` becomes ``now``.

    A clock set wrong on the sharing computer is common; a date in the future would sort the
    chat above every other forever, so it is brought back to the import time, not refused.
    """
    return min(_number(value, where), now)


def citation(value: Any, where: str) -> dict[str, Any]:
    """One source chip, display fields only."""
    if not isinstance(value, dict):
        raise SchemaError(f"{where} is not an object")
    clean: dict[str, Any] = {"file": text(value.get("file"), f"{where}.file")}
    if "n" in value:
        clean["n"] = int(_number(value["n"], f"{where}.n", low=1, high=MAX_CITATIONS))
        if value["n"] != clean["n"]:
            raise SchemaError(f"{where}.n must be a whole number")
    for key in ("title", "heading", "collection"):
        if key in value:
            clean[key] = text(value[key], f"{where}.{key}", optional=True)
    if "snippet" in value:
        clean["snippet"] = text(value["snippet"], f"{where}.snippet", MAX_SNIPPET, optional=True)
    page = value.get("page")
    if page is not None:
        if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
            raise SchemaError(f"{where}.page must be a page number")
        clean["page"] = page
    elif "page" in value:
        clean["page"] = None
    for key in ("score", "keyword_score", "vector_score", "rerank_score"):
        if value.get(key) is not None:
            clean[key] = _number(value[key], f"{where}.{key}", low=-math.inf)
    if "cited" in value:
        if not isinstance(value["cited"], bool):
            raise SchemaError(f"{where}.cited must be true or false")
        clean["cited"] = value["cited"]
    return clean


def citations(value: Any, where: str) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_CITATIONS:
        raise SchemaError(f"{where} must be a list of at most {MAX_CITATIONS} sources")
    return [citation(item, f"{where}[{i}]") for i, item in enumerate(value)]


def clean_citations(value: Any) -> list[dict[str, Any]] | None:
    """Stored citations as the window may show them: malformed entries are left out.

    Used on read, where refusing is not an option (the row is already there). Citations the
    app wrote itself keep their ids (document, chunk) for the Sources panel.
    """
    if not isinstance(value, list):
        return None
    kept = []
    for item in value[:MAX_CITATIONS]:
        try:
            citation(item, "citation")
        except SchemaError:
            continue
        kept.append(item)
    return kept or None


def stats(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SchemaError(f"{where} must be an object")
    clean: dict[str, Any] = {}
    for key in STAT_NUMBERS:
        if key in value:
            clean[key] = _number(value[key], f"{where}.{key}")
    if "stop_reason" in value:
        if value["stop_reason"] not in STOP_REASONS:
            raise SchemaError(f"{where}.stop_reason is not one Fireside writes")
        clean["stop_reason"] = value["stop_reason"]
    if isinstance(value.get("model"), str):  # the model that wrote the reply, by name
        clean["model"] = text(value["model"], f"{where}.model")
    if isinstance(value.get("model_key"), str):  # and by file ("name.gguf:size")
        clean["model_key"] = text(value["model_key"], f"{where}.model_key")
    return clean


def settings(value: Any, where: str) -> dict[str, Any]:
    """A chat's own settings: a flat object of short scalars."""
    if not isinstance(value, dict) or len(value) > MAX_SETTINGS:
        raise SchemaError(f"{where} must be an object of at most {MAX_SETTINGS} entries")
    for key, item in value.items():
        text(key, f"{where} key", 200)
        if isinstance(item, str):
            text(item, f"{where}.{key}")
        elif isinstance(item, int | float) and not isinstance(item, bool):
            _number(item, f"{where}.{key}", low=-math.inf)
        elif item is not None and not isinstance(item, bool):
            raise SchemaError(f"{where}.{key} must be text, a number or true/false")
    return dict(value)


def collections(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_SETTINGS:
        raise SchemaError(f"{where} must be a list of collection names")
    return [text(name, f"{where}[{i}]", 200) for i, name in enumerate(value)]
