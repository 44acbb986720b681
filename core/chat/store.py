"""Conversations in SQLite: the source of truth for every chat and every message.

Messages form a tree (each has a parent); a chat remembers its active leaf, and the path from
the root to that leaf is what the person sees and what the model reads. Regenerating or
editing adds a sibling instead of replacing anything, so no reply is ever lost. Deleting a
chat moves it to the trash, from which it can be restored until it is purged.

The database runs in WAL mode with foreign keys on; the schema grows through an ordered list
of named migrations recorded in ``PRAGMA user_version``. A trigram full-text index over chat
titles and message text finds Chinese as well as English (no word segmentation needed).
"""

from __future__ import annotations

import array
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from core.chat.errors import ChatNotFound
from core.chat.import_schema import clean_citations
from core.sqlite_db import (
    RecoveryReport,
    StoreOpening,
    open_store,
    schema_version,
    storage_errors,
    transaction,
)

_M1_CHATS_AND_MESSAGES: Final = """
        CREATE TABLE chats (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            title         TEXT    NOT NULL DEFAULT '',
            created_at    REAL    NOT NULL,
            updated_at    REAL    NOT NULL,
            model         TEXT,
            system_prompt TEXT    NOT NULL DEFAULT '',
            settings      TEXT    NOT NULL DEFAULT '{}',
            collections   TEXT    NOT NULL DEFAULT '[]',
            active_leaf   INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            deleted_at    REAL
        );
        CREATE TABLE messages (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id      INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
            parent_id    INTEGER REFERENCES messages(id) ON DELETE CASCADE,
            role         TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content      TEXT    NOT NULL,
            created_at   REAL    NOT NULL,
            tokens       BLOB,
            tokens_model TEXT,
            incomplete   INTEGER NOT NULL DEFAULT 0,
            stats        TEXT,
            citations    TEXT
        );
        CREATE INDEX messages_by_chat ON messages(chat_id, id);
        CREATE INDEX messages_by_parent ON messages(parent_id, id);
        CREATE INDEX chats_by_update ON chats(deleted_at, updated_at);
"""

_M2_SEARCH_INDEX: Final = """
        CREATE VIRTUAL TABLE search_index USING fts5(
            text, chat_id UNINDEXED, message_id UNINDEXED, tokenize = 'trigram'
        );
        CREATE TRIGGER chats_ai AFTER INSERT ON chats BEGIN
            INSERT INTO search_index(text, chat_id, message_id) VALUES (new.title, new.id, NULL);
        END;
        CREATE TRIGGER chats_au AFTER UPDATE OF title ON chats BEGIN
            DELETE FROM search_index WHERE chat_id = new.id AND message_id IS NULL;
            INSERT INTO search_index(text, chat_id, message_id) VALUES (new.title, new.id, NULL);
        END;
        CREATE TRIGGER chats_ad AFTER DELETE ON chats BEGIN
            DELETE FROM search_index WHERE chat_id = old.id;
        END;
        CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
            INSERT INTO search_index(text, chat_id, message_id)
            VALUES (new.content, new.chat_id, new.id);
        END;
        CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN
            DELETE FROM search_index WHERE message_id = new.id;
            INSERT INTO search_index(text, chat_id, message_id)
            VALUES (new.content, new.chat_id, new.id);
        END;
        CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
            DELETE FROM search_index WHERE message_id = old.id;
        END;
"""

# A grounded turn (core/knowledge/grounding.py): the person's message keeps what they typed;
# this keeps what the model read for it (the question with numbered sources) and the sources,
# as JSON {"content": ..., "sources": [...]}, so later prompts rebuild the same frame.
_M3_GROUNDING: Final = """
        ALTER TABLE messages ADD COLUMN grounding TEXT;
"""

# The search index of migration 2 kept its own copy of every text, found rows to replace by an
# UNINDEXED column, and so scanned the whole table at every save of a streaming reply (27 ms
# per save at 40k messages, growing). These two indexes read their text from the tables
# themselves (external content) and are keyed by rowid, so a save touches only its own row.
_M4_SEARCH_BY_ROWID: Final = """
        DROP TRIGGER chats_ai;
        DROP TRIGGER chats_au;
        DROP TRIGGER chats_ad;
        DROP TRIGGER messages_ai;
        DROP TRIGGER messages_au;
        DROP TRIGGER messages_ad;
        DROP TABLE search_index;
        CREATE VIRTUAL TABLE message_search USING fts5(
            content, content = 'messages', content_rowid = 'id', tokenize = 'trigram'
        );
        CREATE VIRTUAL TABLE title_search USING fts5(
            title, content = 'chats', content_rowid = 'id', tokenize = 'trigram'
        );
        CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
            INSERT INTO message_search(rowid, content) VALUES (new.id, new.content);
        END;
        CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO message_search(message_search, rowid, content)
            VALUES ('delete', old.id, old.content);
            INSERT INTO message_search(rowid, content) VALUES (new.id, new.content);
        END;
        CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
            INSERT INTO message_search(message_search, rowid, content)
            VALUES ('delete', old.id, old.content);
        END;
        CREATE TRIGGER chats_ai AFTER INSERT ON chats BEGIN
            INSERT INTO title_search(rowid, title) VALUES (new.id, new.title);
        END;
        CREATE TRIGGER chats_au AFTER UPDATE OF title ON chats BEGIN
            INSERT INTO title_search(title_search, rowid, title)
            VALUES ('delete', old.id, old.title);
            INSERT INTO title_search(rowid, title) VALUES (new.id, new.title);
        END;
        CREATE TRIGGER chats_ad AFTER DELETE ON chats BEGIN
            INSERT INTO title_search(title_search, rowid, title)
            VALUES ('delete', old.id, old.title);
        END;
        INSERT INTO message_search(message_search) VALUES ('rebuild');
        INSERT INTO title_search(title_search) VALUES ('rebuild');
"""

# Index i brings the database from version i to version i + 1. Append only; each runs in
# one transaction together with the version bump.
MIGRATIONS: Final[list[tuple[str, str]]] = [
    ("chats and messages", _M1_CHATS_AND_MESSAGES),
    ("trigram search index", _M2_SEARCH_INDEX),
    ("grounded turns", _M3_GROUNDING),
    ("search by rowid", _M4_SEARCH_BY_ROWID),
]


@dataclass(frozen=True)
class Chat:
    id: int
    title: str
    created_at: float
    updated_at: float
    model: str | None
    system_prompt: str
    settings: dict[str, Any]
    collections: list[str]
    active_leaf: int | None
    deleted_at: float | None

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class Message:
    id: int
    chat_id: int
    parent_id: int | None
    role: str
    content: str
    created_at: float
    tokens: tuple[int, ...] | None = field(default=None, repr=False)
    tokens_model: str | None = None  # the model whose tokenizer produced ``tokens``
    incomplete: bool = False
    stats: dict[str, Any] | None = None
    citations: list[dict[str, Any]] | None = None
    grounding: dict[str, Any] | None = None  # {"content": model-facing text, "sources": [...]}

    @property
    def model_content(self) -> str:
        """What the model reads for this message (grounded turns add their sources)."""
        if self.grounding and isinstance(self.grounding.get("content"), str):
            return str(self.grounding["content"])
        return self.content


@dataclass(frozen=True)
class SearchHit:
    chat_id: int
    chat_title: str
    message_id: int | None
    snippet: str


_UNSET: Any = object()


def _pack_tokens(tokens: Sequence[int] | None) -> bytes | None:
    return None if tokens is None else array.array("i", tokens).tobytes()


def _unpack_tokens(blob: bytes | None) -> tuple[int, ...] | None:
    if blob is None:
        return None
    values = array.array("i")
    values.frombytes(blob)
    return tuple(values)


def _chat(row: sqlite3.Row) -> Chat:
    return Chat(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        model=row["model"],
        system_prompt=row["system_prompt"],
        settings=json.loads(row["settings"]),
        collections=json.loads(row["collections"]),
        active_leaf=row["active_leaf"],
        deleted_at=row["deleted_at"],
    )


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        chat_id=row["chat_id"],
        parent_id=row["parent_id"],
        role=row["role"],
        content=row["content"],
        created_at=row["created_at"],
        tokens=_unpack_tokens(row["tokens"]),
        tokens_model=row["tokens_model"],
        incomplete=bool(row["incomplete"]),
        stats=json.loads(row["stats"]) if row["stats"] else None,
        citations=clean_citations(_json_or_none(row["citations"])),
        grounding=_grounding(_json_or_none(row["grounding"])),
    )


def _json_or_none(text: str | None) -> Any:
    """A stored JSON column; one that does not parse is read as absent, never raised."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _grounding(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _mend_after_recovery(db: sqlite3.Connection) -> None:
    """After a damaged database was recovered: messages of a lost chat go, a message whose
    parent was lost becomes a root, and a chat whose active leaf was lost shows its newest
    message; the search indexes are rebuilt from the rows that came back."""
    for statement in (
        "DELETE FROM messages WHERE chat_id NOT IN (SELECT id FROM chats)",
        "UPDATE messages SET parent_id = NULL WHERE parent_id IS NOT NULL AND parent_id "
        "NOT IN (SELECT id FROM messages)",
        "UPDATE chats SET active_leaf = (SELECT max(m.id) FROM messages m WHERE "
        "m.chat_id = chats.id) WHERE active_leaf IS NULL OR active_leaf NOT IN (SELECT "
        "id FROM messages)",
        "INSERT INTO message_search(message_search) VALUES ('rebuild')",
        "INSERT INTO title_search(title_search) VALUES ('rebuild')",
    ):  # one by one: executescript would commit the open transaction
        db.execute(statement)


@storage_errors
class ChatStore:
    """One SQLite database of chats. Safe to share between threads (one lock). A damaged
    database is recovered when opened (``recovery`` says what happened); any other SQLite
    failure reaches the caller as a :class:`~core.sqlite_db.StorageError`."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = clock
        self._lock = threading.RLock()
        self.recovery: RecoveryReport | None
        opening = StoreOpening(path, 5000, MIGRATIONS, _mend_after_recovery)
        self._db, self.recovery = open_store(opening, self._lock)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ChatStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        """One transaction: all of it is saved, or none of it."""
        return transaction(self._db, self._lock)

    @property
    def schema_version(self) -> int:
        return schema_version(self._db)

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    # ---- chats -------------------------------------------------------------------------

    def create_chat(
        self,
        title: str = "",
        *,
        model: str | None = None,
        system_prompt: str = "",
        settings: dict[str, Any] | None = None,
        collections: Sequence[str] = (),
    ) -> Chat:
        now = self._clock()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO chats(title, created_at, updated_at, model, system_prompt,"
                " settings, collections) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (title, now, now, model, system_prompt, json.dumps(settings or {}),
                 json.dumps(list(collections), ensure_ascii=False)),
            )  # fmt: skip
            chat_id = int(cursor.lastrowid or 0)
        return self.get_chat(chat_id)

    def get_chat(self, chat_id: int, *, include_trashed: bool = True) -> Chat:
        with self._lock:
            row = self._db.execute("SELECT * FROM chats WHERE id = ?", (chat_id,)).fetchone()
        if row is None or (not include_trashed and row["deleted_at"] is not None):
            raise ChatNotFound("chat_not_found", chat_id=chat_id)
        return _chat(row)

    def list_chats(self, *, trashed: bool = False) -> list[Chat]:
        """Chats, most recently active first (or the trash, most recently deleted first)."""
        with self._lock:
            if trashed:
                rows = self._db.execute(
                    "SELECT * FROM chats WHERE deleted_at IS NOT NULL ORDER BY deleted_at DESC"
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM chats WHERE deleted_at IS NULL ORDER BY updated_at DESC, id DESC"
                ).fetchall()
        return [_chat(r) for r in rows]

    def update_chat(
        self,
        chat_id: int,
        *,
        title: str = _UNSET,
        model: str | None = _UNSET,
        system_prompt: str = _UNSET,
        settings: dict[str, Any] = _UNSET,
        collections: Sequence[str] = _UNSET,
    ) -> Chat:
        self.get_chat(chat_id)
        changes: dict[str, Any] = {}
        if title is not _UNSET:
            changes["title"] = title
        if model is not _UNSET:
            changes["model"] = model
        if system_prompt is not _UNSET:
            changes["system_prompt"] = system_prompt
        if settings is not _UNSET:
            changes["settings"] = json.dumps(settings)
        if collections is not _UNSET:
            changes["collections"] = json.dumps(list(collections), ensure_ascii=False)
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            with self._tx() as db:
                db.execute(
                    f"UPDATE chats SET {assignments}, updated_at = ? WHERE id = ?",
                    (*changes.values(), self._clock(), chat_id),
                )
        return self.get_chat(chat_id)

    def rename(self, chat_id: int, title: str) -> Chat:
        return self.update_chat(chat_id, title=title)

    def delete(self, chat_id: int) -> None:
        """Move a chat to the trash (undo with :meth:`restore`)."""
        self.get_chat(chat_id, include_trashed=False)
        with self._tx() as db:
            db.execute("UPDATE chats SET deleted_at = ? WHERE id = ?", (self._clock(), chat_id))

    def restore(self, chat_id: int) -> Chat:
        chat = self.get_chat(chat_id)
        if not chat.in_trash:
            return chat
        with self._tx() as db:
            db.execute("UPDATE chats SET deleted_at = NULL WHERE id = ?", (chat_id,))
        return self.get_chat(chat_id)

    def purge(self, older_than_s: float = 30 * 86400) -> int:
        """Delete for good the chats that have been in the trash longer than this."""
        cutoff = self._clock() - older_than_s
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                "SELECT id FROM chats WHERE deleted_at IS NOT NULL AND deleted_at <= ?", (cutoff,)
            )]  # fmt: skip
            for chat_id in ids:
                db.execute("UPDATE chats SET active_leaf = NULL WHERE id = ?", (chat_id,))
                db.execute("DELETE FROM messages WHERE chat_id = ?", (chat_id,))
                db.execute("DELETE FROM chats WHERE id = ?", (chat_id,))
        return len(ids)

    # ---- messages ----------------------------------------------------------------------

    def add_message(
        self,
        chat_id: int,
        parent_id: int | None,
        role: str,
        content: str,
        *,
        tokens: Sequence[int] | None = None,
        tokens_model: str | None = None,
        incomplete: bool = False,
        stats: dict[str, Any] | None = None,
        citations: list[dict[str, Any]] | None = None,
        grounding: dict[str, Any] | None = None,
        make_active: bool = True,
        created_at: float | None = None,
    ) -> Message:
        """Add a message under ``parent_id``; it becomes the chat's active leaf."""
        chat = self.get_chat(chat_id)
        if parent_id is not None and self.get_message(parent_id).chat_id != chat.id:
            raise ChatNotFound("message_not_found", message_id=parent_id)
        now = self._clock() if created_at is None else created_at
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO messages(chat_id, parent_id, role, content, created_at, tokens,"
                " tokens_model, incomplete, stats, citations, grounding)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (chat_id, parent_id, role, content, now, _pack_tokens(tokens), tokens_model,
                 int(incomplete), json.dumps(stats) if stats is not None else None,
                 json.dumps(citations, ensure_ascii=False) if citations is not None else None,
                 json.dumps(grounding, ensure_ascii=False) if grounding is not None else None),
            )  # fmt: skip
            message_id = int(cursor.lastrowid or 0)
            if make_active:
                db.execute(
                    "UPDATE chats SET active_leaf = ?, updated_at = ? WHERE id = ?",
                    (message_id, self._clock(), chat_id),
                )
        return self.get_message(message_id)

    def update_message(
        self,
        message_id: int,
        *,
        content: str = _UNSET,
        tokens: Sequence[int] | None = _UNSET,
        tokens_model: str | None = _UNSET,
        incomplete: bool = _UNSET,
        stats: dict[str, Any] | None = _UNSET,
        citations: list[dict[str, Any]] | None = _UNSET,
    ) -> Message:
        """Change a message in place: used while a reply streams in and when it ends."""
        self.get_message(message_id)
        changes: dict[str, Any] = {}
        if content is not _UNSET:
            changes["content"] = content
        if tokens is not _UNSET:
            changes["tokens"] = _pack_tokens(tokens)
        if tokens_model is not _UNSET:
            changes["tokens_model"] = tokens_model
        if incomplete is not _UNSET:
            changes["incomplete"] = int(incomplete)
        if stats is not _UNSET:
            changes["stats"] = json.dumps(stats) if stats is not None else None
        if citations is not _UNSET:
            changes["citations"] = (
                json.dumps(citations, ensure_ascii=False) if citations is not None else None
            )
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            with self._tx() as db:
                db.execute(
                    f"UPDATE messages SET {assignments} WHERE id = ?",
                    (*changes.values(), message_id),
                )
        return self.get_message(message_id)

    def get_message(self, message_id: int) -> Message:
        with self._lock:
            row = self._db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise ChatNotFound("message_not_found", message_id=message_id)
        return _message(row)

    def messages(self, chat_id: int) -> list[Message]:
        """Every message of a chat, all branches, in the order they were written."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM messages WHERE chat_id = ? ORDER BY id", (chat_id,)
            ).fetchall()
        return [_message(r) for r in rows]

    def children(self, chat_id: int, parent_id: int | None) -> list[Message]:
        with self._lock:
            if parent_id is None:
                rows = self._db.execute(
                    "SELECT * FROM messages WHERE chat_id = ? AND parent_id IS NULL ORDER BY id",
                    (chat_id,),
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM messages WHERE parent_id = ? ORDER BY id", (parent_id,)
                ).fetchall()
        return [_message(r) for r in rows]

    def siblings(self, message_id: int) -> list[Message]:
        """The message and its alternatives (same parent), oldest first: the "2 / 3" set."""
        message = self.get_message(message_id)
        return self.children(message.chat_id, message.parent_id)

    def branch(self, chat_id: int, leaf_id: int | None = None) -> list[Message]:
        """The path from the root to ``leaf_id`` (default: the chat's active leaf)."""
        if leaf_id is None:
            leaf_id = self.get_chat(chat_id).active_leaf
            if leaf_id is None:
                return []
        with self._lock:
            rows = self._db.execute(
                """
                WITH RECURSIVE path(id, parent_id, depth) AS (
                    SELECT id, parent_id, 0 FROM messages WHERE id = ? AND chat_id = ?
                    UNION ALL
                    SELECT m.id, m.parent_id, path.depth + 1
                    FROM messages m JOIN path ON m.id = path.parent_id
                )
                SELECT messages.* FROM path JOIN messages ON messages.id = path.id
                ORDER BY path.depth DESC
                """,
                (leaf_id, chat_id),
            ).fetchall()
        if not rows:
            raise ChatNotFound("message_not_found", message_id=leaf_id)
        return [_message(r) for r in rows]

    def set_active_leaf(self, chat_id: int, message_id: int | None) -> None:
        if message_id is not None and self.get_message(message_id).chat_id != chat_id:
            raise ChatNotFound("message_not_found", message_id=message_id)
        with self._tx() as db:
            db.execute("UPDATE chats SET active_leaf = ? WHERE id = ?", (message_id, chat_id))

    def latest_leaf(self, message_id: int) -> int:
        """Follow the newest child down from a message to a leaf."""
        current = message_id
        with self._lock:
            while True:
                row = self._db.execute(
                    "SELECT id FROM messages WHERE parent_id = ? ORDER BY id DESC LIMIT 1",
                    (current,),
                ).fetchone()
                if row is None:
                    return current
                current = int(row[0])

    def switch_sibling(self, message_id: int, step: int) -> list[Message]:
        """Show another alternative of a message (step -1 or +1, clamped); the active branch
        follows it down to its newest leaf. Returns the new active branch."""
        message = self.get_message(message_id)
        options = self.siblings(message_id)
        index = next(i for i, m in enumerate(options) if m.id == message_id)
        target = options[max(0, min(len(options) - 1, index + step))]
        leaf = self.latest_leaf(target.id)
        self.set_active_leaf(message.chat_id, leaf)
        return self.branch(message.chat_id, leaf)

    def insert_tree(self, chat: dict[str, Any], messages: Sequence[dict[str, Any]],
                    active_leaf: int | None) -> Chat:  # fmt: skip
        """Insert a whole chat in one transaction (import): all of it, or nothing.

        ``messages`` carry their old ``id`` and ``parent_id``, parents first; new ids are
        assigned and the tree and the active leaf are mapped onto them.
        """
        now = self._clock()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO chats(title, created_at, updated_at, model, system_prompt,"
                " settings, collections) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (chat.get("title", ""), chat.get("created_at", now), chat.get("updated_at", now),
                 chat.get("model"), chat.get("system_prompt", ""),
                 json.dumps(chat.get("settings", {})),
                 json.dumps(chat.get("collections", []), ensure_ascii=False)),
            )  # fmt: skip
            chat_id = int(cursor.lastrowid or 0)
            new_ids: dict[int, int] = {}
            for m in messages:
                parent = new_ids[m["parent_id"]] if m.get("parent_id") is not None else None
                stats, citations = m.get("stats"), m.get("citations")
                grounding = m.get("grounding") if isinstance(m.get("grounding"), dict) else None
                cursor = db.execute(
                    "INSERT INTO messages(chat_id, parent_id, role, content, created_at, tokens,"
                    " tokens_model, incomplete, stats, citations, grounding)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (chat_id, parent, m["role"], m["content"], m.get("created_at", now),
                     _pack_tokens(m.get("tokens")), m.get("tokens_model"),
                     int(bool(m.get("incomplete", False))),
                     json.dumps(stats) if stats is not None else None,
                     json.dumps(citations, ensure_ascii=False) if citations is not None else None,
                     json.dumps(grounding, ensure_ascii=False) if grounding is not None else None),
                )  # fmt: skip
                new_ids[m["id"]] = int(cursor.lastrowid or 0)
            leaf = new_ids.get(active_leaf) if active_leaf is not None else None
            db.execute("UPDATE chats SET active_leaf = ? WHERE id = ?", (leaf, chat_id))
        return self.get_chat(chat_id)

    # ---- search ------------------------------------------------------------------------

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Chats whose title or messages contain ``text`` (any language; not the trash)."""
        query = text.strip()
        if not query:
            return []
        if len(query) >= 3:  # the trigram indexes need three characters
            param = '"' + query.replace('"', '""') + '"'
            sql = (
                "SELECT * FROM ("
                " SELECT m.chat_id, m.id AS message_id, c.title, m.content AS text,"
                " message_search.rank AS rank FROM message_search"
                " JOIN messages m ON m.id = message_search.rowid JOIN chats c ON c.id = m.chat_id"
                " WHERE message_search MATCH :q AND c.deleted_at IS NULL"
                " UNION ALL"
                " SELECT c.id, NULL, c.title, c.title, title_search.rank FROM title_search"
                " JOIN chats c ON c.id = title_search.rowid"
                " WHERE title_search MATCH :q AND c.deleted_at IS NULL"
                ") ORDER BY rank LIMIT :limit"
            )
        else:  # shorter: a scan, as the index cannot answer it
            escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            param = f"%{escaped}%"
            sql = (
                "SELECT * FROM ("
                " SELECT m.chat_id, m.id AS message_id, c.title, m.content AS text FROM messages m"
                " JOIN chats c ON c.id = m.chat_id"
                " WHERE c.deleted_at IS NULL AND m.content LIKE :q ESCAPE '\\'"
                " UNION ALL"
                " SELECT c.id, NULL, c.title, c.title FROM chats c"
                " WHERE c.deleted_at IS NULL AND c.title LIKE :q ESCAPE '\\'"
                ") ORDER BY chat_id DESC LIMIT :limit"
            )
        with self._lock:
            rows = self._db.execute(sql, {"q": param, "limit": limit}).fetchall()
        return [
            SearchHit(r["chat_id"], r["title"], r["message_id"], _snippet(r["text"], query))
            for r in rows
        ]


def _snippet(text: str, query: str, width: int = 60) -> str:
    at = text.lower().find(query.lower())
    if at < 0:
        return text[: width * 2]
    start = max(0, at - width)
    end = min(len(text), at + len(query) + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
