"""Chats out of and back into Fireside: Markdown to read, JSON to keep.

The JSON export holds the whole tree (every branch, every alternative reply, the sampled
tokens, stats and citations) so that importing it gives back the same chat; the Markdown
export is the active branch, as the person sees it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from core.chat import import_schema as schema
from core.chat.errors import ImportFormatError
from core.chat.import_schema import SchemaError
from core.chat.store import Chat, ChatStore

FORMAT: Final = "fireside-chat"
VERSION: Final = 1
ROLES: Final = {"system", "user", "assistant"}
MAX_IMPORT_BYTES: Final = 256 * 1024 * 1024
MAX_MESSAGE_CHARS: Final = 16 * 1024 * 1024  # one message; the file's size bounds the rest

_ROLE_TITLES = {"system": "System", "user": "You", "assistant": "Assistant"}


def to_markdown(store: ChatStore, chat_id: int) -> str:
    chat = store.get_chat(chat_id)
    lines = [f"# {chat.title or 'Untitled chat'}", ""]
    if chat.model:
        lines += [f"*Model: {chat.model}*", ""]
    if chat.system_prompt:
        lines += ["> " + chat.system_prompt.replace("\n", "\n> "), ""]
    for message in store.branch(chat_id):
        heading = _ROLE_TITLES.get(message.role, message.role)
        if message.incomplete:
            heading += " (incomplete)"
        lines += [f"## {heading}", "", message.content.strip(), ""]
        for number, citation in enumerate(message.citations or [], start=1):
            where = citation.get("file", "")
            if citation.get("page") is not None:
                where += f", p. {citation['page']}"
            lines.append(f"[{number}] {where}")
        if message.citations:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_json(store: ChatStore, chat_id: int) -> dict[str, Any]:
    chat = store.get_chat(chat_id)
    header = asdict(chat)
    for key in ("id", "active_leaf", "deleted_at"):
        header.pop(key)
    messages = []
    for m in store.messages(chat_id):
        item = asdict(m)
        item.pop("chat_id")
        item["tokens"] = list(m.tokens) if m.tokens is not None else None
        messages.append(item)
    return {"format": FORMAT, "version": VERSION, "chat": header,
            "active_leaf": chat.active_leaf, "messages": messages}  # fmt: skip


def import_file(store: ChatStore, path: Path) -> Chat:
    """Import a JSON export as a new chat. A bad file changes nothing and says why."""
    shown = str(path)
    try:
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise ImportFormatError("import_bad_file", path=shown, reason="file too large")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFormatError("import_bad_file", path=shown, reason=str(exc)) from exc
    return import_data(store, data, shown)


def import_data(
    store: ChatStore, data: Any, source: str = "<data>", now: float | None = None
) -> Chat:
    """Import an export's data as a new chat, all or nothing (see ``import_schema``)."""
    try:
        chat, messages, active = _validate(data, time.time() if now is None else now)
    except SchemaError as exc:
        raise ImportFormatError("import_bad_file", path=source, reason=str(exc)) from exc
    return store.insert_tree(chat, messages, active)


def _validate(data: Any, now: float) -> tuple[dict[str, Any], list[dict[str, Any]], int | None]:
    """The chat and its messages as the store may hold them: checked, cleaned, untrusted
    fields dropped. Raises ``SchemaError`` naming the first field that is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SchemaError(f"'format' is not {FORMAT!r}")
    if data.get("version") != VERSION:
        raise SchemaError(f"unsupported version {data.get('version')!r}")
    chat_in = data.get("chat")
    messages_in = data.get("messages")
    if not isinstance(chat_in, dict) or not isinstance(messages_in, list):
        raise SchemaError("'chat' must be an object and 'messages' a list")
    chat: dict[str, Any] = {
        "title": schema.text(chat_in.get("title", ""), "chat.title"),
        "system_prompt": schema.text(
            chat_in.get("system_prompt", ""), "chat.system_prompt", MAX_MESSAGE_CHARS
        ),
        "model": schema.text(chat_in.get("model"), "chat.model", optional=True),
        "settings": schema.settings(chat_in.get("settings", {}), "chat.settings"),
        "collections": schema.collections(chat_in.get("collections", []), "chat.collections"),
    }
    for key in ("created_at", "updated_at"):
        if key in chat_in:
            chat[key] = schema.timestamp(chat_in[key], f"chat.{key}", now)
    seen: set[int] = set()
    messages: list[dict[str, Any]] = []
    for index, m in enumerate(messages_in):
        where = f"messages[{index}]"
        if not isinstance(m, dict):
            raise SchemaError(f"{where} is not an object")
        ident = m.get("id")
        if isinstance(ident, bool) or not isinstance(ident, int) or ident in seen:
            raise SchemaError(f"{where}.id is missing or repeated")
        parent = m.get("parent_id")
        if parent is not None and (isinstance(parent, bool) or parent not in seen):
            raise SchemaError(f"{where}.parent_id does not name an earlier message")
        if m.get("role") not in ROLES:
            raise SchemaError(f"{where}.role must be one of {sorted(ROLES)}")
        tokens = m.get("tokens")
        if tokens is not None and (
            not isinstance(tokens, list)
            or not all(isinstance(t, int) and 0 <= t < 2**31 for t in tokens)
        ):
            raise SchemaError(f"{where}.tokens must be a list of token ids")
        incomplete = m.get("incomplete", False)
        if not isinstance(incomplete, bool):
            raise SchemaError(f"{where}.incomplete must be true or false")
        clean: dict[str, Any] = {
            "id": ident,
            "parent_id": parent,
            "role": m["role"],
            "content": schema.text(m.get("content"), f"{where}.content", MAX_MESSAGE_CHARS),
            "incomplete": incomplete,
            "stats": schema.stats(m.get("stats"), f"{where}.stats"),
            "citations": schema.citations(m.get("citations"), f"{where}.citations"),
            # tokens, tokens_model and grounding are never taken from a file (import_schema)
        }
        if "created_at" in m:
            clean["created_at"] = schema.timestamp(m["created_at"], f"{where}.created_at", now)
        seen.add(ident)
        messages.append(clean)
    active = data.get("active_leaf")
    if active is not None and (isinstance(active, bool) or active not in seen):
        raise SchemaError("active_leaf does not name a message")
    return chat, messages, active
