"""Chats out of and back into Fireside: Markdown to read, JSON to keep.

The JSON export holds the whole tree (every branch, every alternative reply, the sampled
tokens, stats and citations) so that importing it gives back the same chat; the Markdown
export is the active branch, as the person sees it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from core.chat.errors import ImportFormatError
from core.chat.store import Chat, ChatStore

FORMAT: Final = "fireside-chat"
VERSION: Final = 1
ROLES: Final = {"system", "user", "assistant"}
MAX_IMPORT_BYTES: Final = 256 * 1024 * 1024

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


def import_data(store: ChatStore, data: Any, source: str = "<data>") -> Chat:
    chat, messages, active = _validate(data, source)
    return store.insert_tree(chat, messages, active)


def _validate(data: Any, source: str) -> tuple[dict[str, Any], list[dict[str, Any]], int | None]:
    def bad(reason: str) -> ImportFormatError:
        return ImportFormatError("import_bad_file", path=source, reason=reason)

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f"'format' is not {FORMAT!r}")
    if data.get("version") != VERSION:
        raise bad(f"unsupported version {data.get('version')!r}")
    chat = data.get("chat")
    messages = data.get("messages")
    if not isinstance(chat, dict) or not isinstance(messages, list):
        raise bad("'chat' must be an object and 'messages' a list")
    for key, kind in (("title", str), ("system_prompt", str), ("settings", dict),
                      ("collections", list)):  # fmt: skip
        if key in chat and not isinstance(chat[key], kind):
            raise bad(f"chat.{key} has the wrong type")
    seen: set[int] = set()
    for index, m in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(m, dict):
            raise bad(f"{where} is not an object")
        if not isinstance(m.get("id"), int) or m["id"] in seen:
            raise bad(f"{where}.id is missing or repeated")
        parent = m.get("parent_id")
        if parent is not None and parent not in seen:
            raise bad(f"{where}.parent_id does not name an earlier message")
        if m.get("role") not in ROLES:
            raise bad(f"{where}.role must be one of {sorted(ROLES)}")
        if not isinstance(m.get("content"), str):
            raise bad(f"{where}.content must be text")
        tokens = m.get("tokens")
        if tokens is not None and (
            not isinstance(tokens, list)
            or not all(isinstance(t, int) and 0 <= t < 2**31 for t in tokens)
        ):
            raise bad(f"{where}.tokens must be a list of token ids")
        seen.add(m["id"])
    active = data.get("active_leaf")
    if active is not None and active not in seen:
        raise bad("active_leaf does not name a message")
    return chat, messages, active
