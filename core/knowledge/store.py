"""The knowledge database: the source of truth for collections, documents and chunks.

Everything needed to answer and to cite lives here: each document (path, title, content hash,
status or the reason it could not be read), each chunk (text, page, heading, character
offsets, content hash, token count), each chunk's embedding (float32, with the model that
made it) and a full-text index for BM25 (see :mod:`core.knowledge.terms`). Chroma is only an
index over the embeddings stored here, so it can always be rebuilt from this file without
the engine.

A document is written in one transaction together with all of its chunks and vectors, so a
kill leaves either the whole document or none of it. Every write that changes a collection's
chunks also marks that collection's vector index as dirty in the same transaction; the
vector index clears the mark only after Chroma holds the change (see
:mod:`core.knowledge.vectors`), so a kill between the two is noticed and repaired.

The schema grows through named migrations recorded in ``PRAGMA user_version``, as the chat
store does. WAL mode lets a search read while an ingestion writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.knowledge.errors import CollectionNotFound, DocumentNotFound
from core.knowledge.ocr import OcrLine, OcrPage
from core.knowledge.terms import index_text
from core.sqlite_db import (
    RecoveryReport,
    StoreOpening,
    open_store,
    schema_version,
    storage_errors,
    transaction,
)

if TYPE_CHECKING:
    import numpy as np

_M1_SCHEMA: Final = """
    CREATE TABLE collections (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        name            TEXT    NOT NULL UNIQUE,
        created_at      REAL    NOT NULL,
        embedding_model TEXT,              -- model key (file name and size); NULL until used
        embedding_path  TEXT,
        embedding_dim   INTEGER,
        vectors_dirty   INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE documents (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path          TEXT    NOT NULL,
        title         TEXT    NOT NULL DEFAULT '',
        kind          TEXT    NOT NULL DEFAULT '',
        content_hash  TEXT,
        size          INTEGER NOT NULL DEFAULT 0,
        mtime         REAL    NOT NULL DEFAULT 0,
        pages         INTEGER,
        status        TEXT    NOT NULL CHECK (status IN ('indexed', 'failed', 'duplicate')),
        error_code    TEXT,
        error_params  TEXT,
        duplicate_of  INTEGER REFERENCES documents(id) ON DELETE SET NULL,
        chunk_count   INTEGER NOT NULL DEFAULT 0,
        added_at      REAL    NOT NULL,
        indexed_at    REAL    NOT NULL,
        UNIQUE (collection_id, path)
    );
    CREATE INDEX documents_by_hash ON documents(collection_id, content_hash);
    CREATE TABLE chunks (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        id            TEXT    NOT NULL UNIQUE,
        document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        collection_id INTEGER NOT NULL,
        ordinal       INTEGER NOT NULL,
        text          TEXT    NOT NULL,
        page          INTEGER,
        heading       TEXT,
        char_start    INTEGER NOT NULL,
        char_end      INTEGER NOT NULL,
        content_hash  TEXT    NOT NULL,
        tokens        INTEGER NOT NULL,
        UNIQUE (document_id, ordinal)
    );
    CREATE INDEX chunks_by_collection ON chunks(collection_id);
    CREATE TABLE vectors (
        chunk_seq INTEGER PRIMARY KEY REFERENCES chunks(seq) ON DELETE CASCADE,
        model     TEXT NOT NULL,
        vector    BLOB NOT NULL
    );
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        terms, collection_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        DELETE FROM chunks_fts WHERE rowid = old.seq;
    END;
    CREATE TABLE jobs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        collection  TEXT NOT NULL,
        paths       TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'cancelled')),
        created_at  REAL NOT NULL,
        finished_at REAL
    );
"""

MIGRATIONS: Final[list[tuple[str, str]]] = [
    ("collections, documents, chunks, vectors, full-text index, jobs", _M1_SCHEMA),
    # zh, en or other (core.knowledge.languages); NULL for documents stored before it was
    # detected, which KnowledgeStore.document_languages detects from their chunks once.
    ("documents.language", "ALTER TABLE documents ADD COLUMN language TEXT;"),
    # terms.py stopped gluing digits to the Chinese after them ("2031年观测站" was one term):
    # the full-text index is emptied here and refilled from the chunks with today's terms
    # when the store opens (KnowledgeStore._fill_full_text: the terms are computed in Python).
    ("full-text terms: numbers apart from Chinese", "DELETE FROM chunks_fts;"),
    # Pages recognised through OCR (core/knowledge/ocr.py), by the content hash of the file
    # and the page: stored as each page is read, so a stopped ingestion resumes at the next
    # page, and kept for citations (each line's box on its page) and for the panel's
    # "recognised from image". ``lines`` is JSON: [[text, left, bottom, right, top, score]].
    (
        "ocr_pages",
        """
        CREATE TABLE ocr_pages (
            content_hash TEXT    NOT NULL,
            page         INTEGER NOT NULL,
            lines        TEXT    NOT NULL,
            error        TEXT,
            seconds      REAL    NOT NULL DEFAULT 0,
            PRIMARY KEY (content_hash, page)
        );
    """,
    ),
    # The path each recognised page was read at, so that when the file there changes or
    # goes its old pages go too (those of the version indexed before, and those a stopped
    # run kept to resume from), unless a document still has those bytes. Pages stored
    # before take the path of a document with their bytes.
    (
        "ocr_pages.path",
        """
        ALTER TABLE ocr_pages ADD COLUMN path TEXT;
        UPDATE ocr_pages SET path = (SELECT d.path FROM documents d
                                     WHERE d.content_hash = ocr_pages.content_hash LIMIT 1);
        CREATE INDEX ocr_pages_by_path ON ocr_pages(path);
    """,
    ),
]
DEFAULT_COLLECTION: Final = "default"


@dataclass(frozen=True)
class Collection:
    id: int
    name: str
    created_at: float
    embedding_model: str | None
    embedding_path: str | None
    embedding_dim: int | None
    vectors_dirty: bool
    documents: int = 0
    chunks: int = 0


@dataclass(frozen=True)
class Document:
    id: int
    collection_id: int
    collection: str
    path: str
    title: str
    kind: str
    content_hash: str | None
    size: int
    mtime: float
    pages: int | None
    status: str
    error_code: str | None
    error_params: dict[str, Any] | None
    duplicate_of: int | None
    chunk_count: int
    added_at: float
    indexed_at: float
    language: str | None = None  # zh, en or other, detected at ingestion
    recognised: bool = False  # some of its text was recognised from images (OCR)


@dataclass(frozen=True)
class StoredChunk:
    """A chunk with what a citation needs from its document."""

    seq: int
    id: str
    document_id: int
    collection: str
    ordinal: int
    text: str
    page: int | None
    heading: str | None
    char_start: int
    char_end: int
    path: str
    title: str


@dataclass(frozen=True)
class NewChunk:
    """A chunk ready to be written: its stable id, place, text and embedding."""

    id: str
    ordinal: int
    text: str
    page: int | None
    heading: str | None
    char_start: int
    char_end: int
    content_hash: str
    tokens: int
    vector: Sequence[float]


@dataclass(frozen=True)
class DocumentFacts:
    """What is known about a file before its chunks: written with them in one go."""

    path: str
    title: str
    kind: str
    content_hash: str
    size: int
    mtime: float
    pages: int | None
    language: str | None = None  # see core.knowledge.languages


@dataclass(frozen=True)
class Job:
    id: int
    collection: str
    paths: list[str]
    state: str
    created_at: float


def _job(row: sqlite3.Row) -> Job:
    return Job(row["id"], row["collection"], json.loads(row["paths"]), row["state"],
               row["created_at"])  # fmt: skip


def _collection(row: sqlite3.Row) -> Collection:
    keys = row.keys()
    return Collection(
        id=row["id"], name=row["name"], created_at=row["created_at"],
        embedding_model=row["embedding_model"], embedding_path=row["embedding_path"],
        embedding_dim=row["embedding_dim"], vectors_dirty=bool(row["vectors_dirty"]),
        documents=row["n_documents"] if "n_documents" in keys else 0,
        chunks=row["n_chunks"] if "n_chunks" in keys else 0,
    )  # fmt: skip


def _document(row: sqlite3.Row) -> Document:
    return Document(
        id=row["id"], collection_id=row["collection_id"], collection=row["collection"],
        path=row["path"], title=row["title"], kind=row["kind"],
        content_hash=row["content_hash"], size=row["size"], mtime=row["mtime"],
        pages=row["pages"], status=row["status"], error_code=row["error_code"],
        error_params=json.loads(row["error_params"]) if row["error_params"] else None,
        duplicate_of=row["duplicate_of"], chunk_count=row["chunk_count"],
        added_at=row["added_at"], indexed_at=row["indexed_at"], language=row["language"],
        recognised=bool(row["recognised"]),
    )  # fmt: skip


def _chunk(row: sqlite3.Row) -> StoredChunk:
    return StoredChunk(
        seq=row["seq"], id=row["id"], document_id=row["document_id"],
        collection=row["collection"], ordinal=row["ordinal"], text=row["text"],
        page=row["page"], heading=row["heading"], char_start=row["char_start"],
        char_end=row["char_end"], path=row["path"], title=row["title"],
    )  # fmt: skip


def pack_vector(vector: Sequence[float]) -> bytes:
    import numpy as np  # here, not at the top: the window lists documents without numpy

    return np.asarray(vector, dtype=np.float32).tobytes()


def unpack_vectors(blobs: Sequence[bytes]) -> np.ndarray:
    """Rows of float32, one per blob."""
    import numpy as np

    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack([np.frombuffer(b, dtype=np.float32) for b in blobs])


_DOCUMENT_SQL: Final = (
    "SELECT d.*, c.name AS collection, EXISTS(SELECT 1 FROM ocr_pages o WHERE o.content_hash"
    " = d.content_hash AND o.error IS NULL) AS recognised"
    " FROM documents d JOIN collections c ON c.id = d.collection_id"
)
_CHUNK_SQL: Final = (
    "SELECT k.seq, k.id, k.document_id, k.ordinal, k.text, k.page, k.heading, k.char_start,"
    " k.char_end, d.path, d.title, c.name AS collection FROM chunks k"
    " JOIN documents d ON d.id = k.document_id JOIN collections c ON c.id = k.collection_id"
)


def _drop_unused_ocr_pages(db: sqlite3.Connection, path: str, old_hash: str | None) -> None:
    """Forget the recognised pages of earlier versions of the file at ``path`` (and of the
    bytes ``old_hash`` it held) that no document holds any more: a changed scan is
    recognised again, and no stale page is resumed from or cited."""
    db.execute(
        "DELETE FROM ocr_pages WHERE (path = ? OR content_hash = ?) AND NOT EXISTS"
        " (SELECT 1 FROM documents d WHERE d.content_hash = ocr_pages.content_hash)",
        (path, old_hash),
    )


def _mend_after_recovery(db: sqlite3.Connection) -> None:
    """After a damaged database was recovered: rows whose document or collection was lost
    go, the full-text index is rebuilt from the chunks (it is not copied), and every
    collection's vector index is marked dirty, so Chroma is compared id by id and mended."""
    for statement in (
        "DELETE FROM documents WHERE collection_id NOT IN (SELECT id FROM collections)",
        "DELETE FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)",
        "DELETE FROM vectors WHERE chunk_seq NOT IN (SELECT seq FROM chunks)",
        "UPDATE documents SET duplicate_of = NULL WHERE duplicate_of IS NOT NULL AND "
        "duplicate_of NOT IN (SELECT id FROM documents)",
        "UPDATE documents SET chunk_count = (SELECT count(*) FROM chunks k WHERE "
        "k.document_id = documents.id) WHERE status = 'indexed'",
        "UPDATE collections SET vectors_dirty = 1",
    ):  # one by one: executescript would commit the open transaction
        db.execute(statement)
    rows = db.execute("SELECT seq, heading, text, collection_id FROM chunks").fetchall()
    for seq, heading, text, collection_id in rows:
        db.execute(
            "INSERT INTO chunks_fts(rowid, terms, collection_id) VALUES (?, ?, ?)",
            (seq, index_text(f"{heading or ''}\n{text}"), collection_id),
        )


@storage_errors
class KnowledgeStore:
    """One SQLite database of documents and chunks. Safe to share between threads. A
    damaged database is recovered when opened (``recovery`` says what happened); any other
    SQLite failure reaches the caller as a :class:`~core.sqlite_db.StorageError`."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = clock
        self._lock = threading.RLock()
        self._total_chunks: int | None = None
        self.recovery: RecoveryReport | None
        opening = StoreOpening(path, 10000, MIGRATIONS, _mend_after_recovery)
        self._db, self.recovery = open_store(opening, self._lock)
        self._fill_full_text()

    def _fill_full_text(self) -> None:
        """Index every chunk when the full-text index is empty but chunks exist (a
        migration emptied it because the terms changed)."""
        with self._lock:
            empty = self._db.execute(
                "SELECT EXISTS(SELECT 1 FROM chunks) AND NOT EXISTS(SELECT 1 FROM chunks_fts)"
            ).fetchone()[0]
        if not empty:
            return
        with self._tx() as db:
            rows = db.execute("SELECT seq, heading, text, collection_id FROM chunks").fetchall()
            db.executemany(
                "INSERT INTO chunks_fts(rowid, terms, collection_id) VALUES (?, ?, ?)",
                [(r[0], index_text(f"{r[1] or ''}\n{r[2]}"), r[3]) for r in rows],
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> KnowledgeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it is saved, or none of it (and the chunk count is
        counted again afterwards)."""
        with self._lock, transaction(self._db, self._lock) as db:
            yield db
            self._total_chunks = None

    @property
    def schema_version(self) -> int:
        return schema_version(self._db)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # ---- collections -------------------------------------------------------------------

    def ensure_collection(self, name: str) -> Collection:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO collections(name, created_at) VALUES (?, ?)",
                (name, self._clock()),
            )
        return self.collection(name)

    def collection(self, name: str) -> Collection:
        rows = self._rows("SELECT * FROM collections WHERE name = ?", (name,))
        if not rows:
            raise CollectionNotFound("kb_collection_not_found", collection=name)
        return _collection(rows[0])

    def collection_by_id(self, collection_id: int) -> Collection:
        rows = self._rows("SELECT * FROM collections WHERE id = ?", (collection_id,))
        if not rows:
            raise CollectionNotFound("kb_collection_not_found", collection=str(collection_id))
        return _collection(rows[0])

    def collections(self) -> list[Collection]:
        """Every collection with its document and chunk counts, by name."""
        rows = self._rows(
            "SELECT c.*,"
            " (SELECT count(*) FROM documents d WHERE d.collection_id = c.id"
            "  AND d.status = 'indexed') AS n_documents,"
            " (SELECT count(*) FROM chunks k WHERE k.collection_id = c.id) AS n_chunks"
            " FROM collections c ORDER BY c.name"
        )
        return [_collection(r) for r in rows]

    def set_embedding_model(self, collection_id: int, key: str | None, path: str | None,
                            dim: int | None) -> None:  # fmt: skip
        with self._tx() as db:
            db.execute(
                "UPDATE collections SET embedding_model = ?, embedding_path = ?,"
                " embedding_dim = ? WHERE id = ?",
                (key, path, dim, collection_id),
            )

    def set_vectors_dirty(self, collection_id: int, dirty: bool) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE collections SET vectors_dirty = ? WHERE id = ?", (int(dirty), collection_id)
            )

    # ---- documents ---------------------------------------------------------------------

    def documents(self, collection: str | None = None) -> list[Document]:
        if collection is None:
            rows = self._rows(f"{_DOCUMENT_SQL} ORDER BY c.name, d.path")
        else:
            rows = self._rows(f"{_DOCUMENT_SQL} WHERE c.name = ? ORDER BY d.path", (collection,))
        return [_document(r) for r in rows]

    def document(self, document_id: int) -> Document:
        rows = self._rows(f"{_DOCUMENT_SQL} WHERE d.id = ?", (document_id,))
        if not rows:
            raise DocumentNotFound("kb_document_not_found", document=str(document_id))
        return _document(rows[0])

    def find_document(self, collection_id: int, path: str) -> Document | None:
        rows = self._rows(
            f"{_DOCUMENT_SQL} WHERE d.collection_id = ? AND d.path = ?", (collection_id, path)
        )
        return _document(rows[0]) if rows else None

    def documents_at(self, path: str) -> list[Document]:
        """Indexed documents at ``path`` in any collection: what a citation may open. A path
        from anywhere else (an imported chat's citation) is display text only."""
        rows = self._rows(f"{_DOCUMENT_SQL} WHERE d.path = ? AND d.status = 'indexed'", (path,))
        return [_document(r) for r in rows]

    def find_by_hash(self, collection_id: int, content_hash: str) -> list[Document]:
        rows = self._rows(
            f"{_DOCUMENT_SQL} WHERE d.collection_id = ? AND d.content_hash = ?"
            " AND d.status = 'indexed' ORDER BY d.id",
            (collection_id, content_hash),
        )
        return [_document(r) for r in rows]

    def documents_under(self, collection_id: int, folder: str) -> list[Document]:
        prefix = folder.rstrip("/") + "/"
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._rows(
            f"{_DOCUMENT_SQL} WHERE d.collection_id = ? AND d.path LIKE ? ESCAPE '\\'",
            (collection_id, escaped + "%"),
        )
        return [_document(r) for r in rows]

    def commit_document(
        self, collection_id: int, facts: DocumentFacts, chunks: Sequence[NewChunk], model: str
    ) -> tuple[int, list[str], list[str]]:
        """Write a document with all its chunks and vectors, replacing any earlier version
        at the same path, in one transaction. Returns (document id, ids added, ids removed).
        """
        now = self._clock()
        with self._tx() as db:
            old = db.execute(
                "SELECT id, content_hash FROM documents WHERE collection_id = ? AND path = ?",
                (collection_id, facts.path),
            ).fetchone()
            removed: list[str] = []
            if old is not None:
                removed = [r[0] for r in db.execute(
                    "SELECT id FROM chunks WHERE document_id = ?", (old["id"],)
                )]  # fmt: skip
                db.execute("DELETE FROM chunks WHERE document_id = ?", (old["id"],))
                db.execute(
                    "UPDATE documents SET title = ?, kind = ?, content_hash = ?, size = ?,"
                    " mtime = ?, pages = ?, status = 'indexed', error_code = NULL,"
                    " error_params = NULL, duplicate_of = NULL, chunk_count = ?, indexed_at = ?,"
                    " language = ? WHERE id = ?",
                    (facts.title, facts.kind, facts.content_hash, facts.size, facts.mtime,
                     facts.pages, len(chunks), now, facts.language, old["id"]),
                )  # fmt: skip
                document_id = int(old["id"])
            else:
                cursor = db.execute(
                    "INSERT INTO documents(collection_id, path, title, kind, content_hash, size,"
                    " mtime, pages, status, chunk_count, added_at, indexed_at, language)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'indexed', ?, ?, ?, ?)",
                    (collection_id, facts.path, facts.title, facts.kind, facts.content_hash,
                     facts.size, facts.mtime, facts.pages, len(chunks), now, now,
                     facts.language),
                )  # fmt: skip
                document_id = int(cursor.lastrowid or 0)
            for chunk in chunks:
                cursor = db.execute(
                    "INSERT INTO chunks(id, document_id, collection_id, ordinal, text, page,"
                    " heading, char_start, char_end, content_hash, tokens)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (chunk.id, document_id, collection_id, chunk.ordinal, chunk.text, chunk.page,
                     chunk.heading, chunk.char_start, chunk.char_end, chunk.content_hash,
                     chunk.tokens),
                )  # fmt: skip
                seq = int(cursor.lastrowid or 0)
                db.execute(
                    "INSERT INTO vectors(chunk_seq, model, vector) VALUES (?, ?, ?)",
                    (seq, model, pack_vector(chunk.vector)),
                )
                searchable = index_text(f"{chunk.heading or ''}\n{chunk.text}")
                db.execute(
                    "INSERT INTO chunks_fts(rowid, terms, collection_id) VALUES (?, ?, ?)",
                    (seq, searchable, collection_id),
                )
            _drop_unused_ocr_pages(db, facts.path, old["content_hash"] if old else None)
            db.execute("UPDATE collections SET vectors_dirty = 1 WHERE id = ?", (collection_id,))
        return document_id, [c.id for c in chunks], removed

    def record_problem(self, collection_id: int, path: str, code: str, params: dict[str, Any],
                       *, size: int = 0, mtime: float = 0.0, content_hash: str | None = None,
                       duplicate_of: int | None = None) -> int:  # fmt: skip
        """Remember why a file is not indexed. An earlier indexed version is kept as it was
        (nothing saved is lost); the reason is recorded next to it."""
        now = self._clock()
        status = "duplicate" if duplicate_of is not None else "failed"
        encoded = json.dumps(params, ensure_ascii=False)
        with self._tx() as db:
            old = db.execute(
                "SELECT id, status, content_hash FROM documents WHERE collection_id = ?"
                " AND path = ?",
                (collection_id, path),
            ).fetchone()
            if old is not None and old["status"] == "indexed" and duplicate_of is None:
                db.execute(
                    "UPDATE documents SET error_code = ?, error_params = ? WHERE id = ?",
                    (code, encoded, old["id"]),
                )
                return int(old["id"])
            if old is not None:
                db.execute(
                    "UPDATE documents SET status = ?, error_code = ?, error_params = ?,"
                    " content_hash = ?, size = ?, mtime = ?, duplicate_of = ?, indexed_at = ?"
                    " WHERE id = ?",
                    (status, code, encoded, content_hash, size, mtime, duplicate_of, now,
                     old["id"]),
                )  # fmt: skip
                if content_hash != old["content_hash"]:  # what was kept of other bytes
                    _drop_unused_ocr_pages(db, path, old["content_hash"])
                return int(old["id"])
            cursor = db.execute(
                "INSERT INTO documents(collection_id, path, title, kind, content_hash, size,"
                " mtime, status, error_code, error_params, duplicate_of, added_at, indexed_at)"
                " VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (collection_id, path, Path(path).name, content_hash, size, mtime, status, code,
                 encoded, duplicate_of, now, now),
            )  # fmt: skip
            return int(cursor.lastrowid or 0)

    def document_languages(self, collection_id: int) -> dict[str, int]:
        """How many indexed documents of a collection are in each language (documents too
        short to tell are left out). Documents stored before languages were detected get
        theirs now, from their stored chunks, and keep it when the database can be written
        (a read-only one is only read: the languages are detected again next time)."""
        from core.knowledge.languages import detect_language

        detected: dict[int, str] = {}
        for row in self._rows(
            "SELECT id FROM documents WHERE collection_id = ? AND status = 'indexed'"
            " AND language IS NULL",
            (collection_id,),
        ):
            texts = self._rows(
                "SELECT text FROM chunks WHERE document_id = ? ORDER BY ordinal LIMIT 20",
                (row["id"],),
            )
            detected[int(row["id"])] = detect_language("\n".join(t[0] for t in texts)) or ""
        unsaved: list[str] = []
        if detected:
            try:
                with self._tx() as db:  # '' marks "looked, could not tell"
                    db.executemany("UPDATE documents SET language = ? WHERE id = ?",
                                   [(lang, doc) for doc, lang in detected.items()])  # fmt: skip
            except sqlite3.Error:  # read-only or full: counted all the same
                unsaved = list(detected.values())
        rows = self._rows(
            "SELECT language, count(*) FROM documents WHERE collection_id = ?"
            " AND status = 'indexed' AND language IS NOT NULL AND language != ''"
            " GROUP BY language",
            (collection_id,),
        )
        counts = {str(r[0]): int(r[1]) for r in rows}
        for lang in filter(None, unsaved):
            counts[lang] = counts.get(lang, 0) + 1
        return counts

    def move_document(self, document_id: int, path: str, mtime: float) -> None:
        """A file that moved: same content, new path; its chunks and vectors stay."""
        with self._tx() as db:
            db.execute(
                "UPDATE documents SET path = ?, mtime = ?, error_code = NULL,"
                " error_params = NULL WHERE id = ?",
                (path, mtime, document_id),
            )

    def touch_document(self, document_id: int, mtime: float) -> None:
        """An unchanged file whose time changed; clears a reason recorded earlier."""
        with self._tx() as db:
            db.execute(
                "UPDATE documents SET mtime = ?, error_code = NULL, error_params = NULL"
                " WHERE id = ? AND status = 'indexed'",
                (mtime, document_id),
            )

    def remove_document(self, document_id: int) -> list[str]:
        """Delete a document and its chunks; returns the chunk ids that Chroma must drop."""
        with self._tx() as db:
            row = db.execute(
                "SELECT collection_id, content_hash, path FROM documents WHERE id = ?",
                (document_id,),
            ).fetchone()
            if row is None:
                raise DocumentNotFound("kb_document_not_found", document=str(document_id))
            ids = [r[0] for r in db.execute(
                "SELECT id FROM chunks WHERE document_id = ?", (document_id,)
            )]  # fmt: skip
            db.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
            db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
            # its recognised pages, unless another document has the same bytes
            _drop_unused_ocr_pages(db, row["path"], row["content_hash"])
            if ids:
                db.execute(
                    "UPDATE collections SET vectors_dirty = 1 WHERE id = ?", (row["collection_id"],)
                )
        return ids

    # ---- chunks and vectors ------------------------------------------------------------

    def chunk_ids(self, collection_id: int) -> set[str]:
        return {r[0] for r in self._rows(
            "SELECT id FROM chunks WHERE collection_id = ?", (collection_id,)
        )}  # fmt: skip

    def chunk_count(self, collection_id: int | None = None) -> int:
        if collection_id is None:
            if self._total_chunks is None:
                self._total_chunks = int(self._rows("SELECT count(*) FROM chunks")[0][0])
            return self._total_chunks
        rows = self._rows("SELECT count(*) FROM chunks WHERE collection_id = ?", (collection_id,))
        return int(rows[0][0])

    def chunks_of(self, document_id: int) -> list[StoredChunk]:
        rows = self._rows(f"{_CHUNK_SQL} WHERE k.document_id = ? ORDER BY k.ordinal",
                          (document_id,))  # fmt: skip
        return [_chunk(r) for r in rows]

    def chunks_by_id(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        found: dict[str, StoredChunk] = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start : start + 500])
            marks = ",".join("?" * len(part))
            for row in self._rows(f"{_CHUNK_SQL} WHERE k.id IN ({marks})", part):
                chunk = _chunk(row)
                found[chunk.id] = chunk
        return found

    def chunks_by_seq(self, seqs: Sequence[int]) -> dict[int, StoredChunk]:
        found: dict[int, StoredChunk] = {}
        for start in range(0, len(seqs), 500):
            part = list(seqs[start : start + 500])
            marks = ",".join("?" * len(part))
            for row in self._rows(f"{_CHUNK_SQL} WHERE k.seq IN ({marks})", part):
                chunk = _chunk(row)
                found[chunk.seq] = chunk
        return found

    def vectors(self, collection_id: int, model: str, ids: Sequence[str] | None = None,
                batch: int = 1000) -> Iterator[tuple[list[str], np.ndarray]]:  # fmt: skip
        """Stored embeddings by ``model`` of a collection (or of some of its chunks), in
        batches. Vectors of another model (a re-embedding under way) are left out."""
        if ids is not None:
            for start in range(0, len(ids), batch):
                part = list(ids[start : start + batch])
                marks = ",".join("?" * len(part))
                rows = self._rows(
                    "SELECT k.id, v.vector FROM chunks k JOIN vectors v ON v.chunk_seq = k.seq"
                    f" WHERE v.model = ? AND k.id IN ({marks})",
                    [model, *part],
                )
                if rows:
                    yield [r[0] for r in rows], unpack_vectors([r[1] for r in rows])
            return
        last = 0
        while True:
            rows = self._rows(
                "SELECT k.seq, k.id, v.vector FROM chunks k JOIN vectors v ON v.chunk_seq = k.seq"
                " WHERE k.collection_id = ? AND v.model = ? AND k.seq > ? ORDER BY k.seq LIMIT ?",
                (collection_id, model, last, batch),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [r[1] for r in rows], unpack_vectors([r[2] for r in rows])

    def texts_without(self, collection_id: int, model: str,
                      batch: int = 256) -> Iterator[list[tuple[int, str]]]:  # fmt: skip
        """(seq, text) of a collection's chunks that have no vector by ``model`` yet, in
        batches: what a re-embedding reads, so an interrupted one goes on where it stopped."""
        last = 0
        while True:
            rows = self._rows(
                "SELECT k.seq, k.text FROM chunks k LEFT JOIN vectors v ON v.chunk_seq = k.seq"
                " WHERE k.collection_id = ? AND (v.model IS NULL OR v.model != ?) AND k.seq > ?"
                " ORDER BY k.seq LIMIT ?",
                (collection_id, model, last, batch),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [(int(r[0]), str(r[1])) for r in rows]

    def replace_vectors(self, rows: Sequence[tuple[int, Sequence[float]]], model: str) -> None:
        """New embeddings for existing chunks (a re-embedding with another model)."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO vectors(chunk_seq, model, vector) VALUES (?, ?, ?)",
                [(seq, model, pack_vector(v)) for seq, v in rows],
            )

    def stale_vectors(self, collection_id: int, model: str) -> int:
        """How many chunks of a collection have no vector from ``model`` yet."""
        return int(self._rows(
            "SELECT count(*) FROM chunks k LEFT JOIN vectors v ON v.chunk_seq = k.seq"
            " WHERE k.collection_id = ? AND (v.model IS NULL OR v.model != ?)",
            (collection_id, model),
        )[0][0])  # fmt: skip

    # ---- full text ---------------------------------------------------------------------

    def document_frequency(self, term: str, cap: int) -> int:
        """How many chunks contain ``term``, counted up to ``cap + 1`` only: enough to tell a
        rare term from a common one, at a cost bounded by ``cap`` (the FTS5 vocabulary table
        would read the term's whole posting list to count it)."""
        rows = self._rows(
            "SELECT count(*) FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
            ('"' + term.replace('"', '""') + '"', cap + 1),
        )
        return int(rows[0][0])

    def keyword_search(self, terms: Sequence[str], collection_ids: Sequence[int],
                       limit: int) -> list[tuple[int, float]]:  # fmt: skip
        """(chunk seq, BM25 score; higher is better) for chunks matching any of ``terms``."""
        if not terms or not collection_ids:
            return []
        expression = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        marks = ",".join("?" * len(collection_ids))
        rows = self._rows(
            "SELECT rowid, bm25(chunks_fts) AS score FROM chunks_fts WHERE chunks_fts MATCH ?"
            f" AND collection_id IN ({marks}) ORDER BY score LIMIT ?",
            (expression, *collection_ids, limit),
        )
        return [(int(r[0]), -float(r[1])) for r in rows]

    # ---- jobs --------------------------------------------------------------------------

    def start_job(self, collection: str, paths: Sequence[str]) -> int:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO jobs(collection, paths, state, created_at)"
                " VALUES (?, ?, 'running', ?)",
                (collection, json.dumps(list(paths), ensure_ascii=False), self._clock()),
            )
            return int(cursor.lastrowid or 0)

    def finish_job(self, job_id: int, state: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET state = ?, finished_at = ? WHERE id = ?",
                (state, self._clock(), job_id),
            )

    def unfinished_jobs(self) -> list[Job]:
        """Ingestions that were running when the process ended (a kill or a crash)."""
        rows = self._rows("SELECT * FROM jobs WHERE state = 'running' ORDER BY id")
        return [_job(r) for r in rows]

    def stopped_jobs(self) -> list[Job]:
        """Ingestions a person stopped (Stop, Ctrl-C) that nothing has taken up since.

        A stopped job is taken up by any later job of the same collection whose paths
        include all of its own (the app runs what a stop left ahead of the next add, or on
        Resume). What is left is what Resume offers, in this session or any later one;
        finished documents are skipped as unchanged when it runs.
        """
        rows = self._rows(  # only jobs from the first stopped one on can matter
            "SELECT * FROM jobs WHERE collection IN (SELECT name FROM collections)"
            " AND id >= (SELECT MIN(id) FROM jobs WHERE state = 'cancelled') ORDER BY id"
        )
        jobs = [(job, set(job.paths)) for job in map(_job, rows)]
        stopped = []
        for i, (job, wanted) in enumerate(jobs):
            if job.state == "cancelled" and not any(
                later.collection == job.collection and wanted <= later_paths
                for later, later_paths in jobs[i + 1 :]
            ):
                stopped.append(job)
        return stopped

    # ---- pages recognised through OCR --------------------------------------------------

    def save_ocr_page(self, content_hash: str, page: OcrPage, path: str | None = None) -> None:
        """Keep one recognised page (or why it failed) of the file with ``content_hash``,
        read at ``path`` (its pages go when that file changes or is removed)."""
        lines = json.dumps([[ln.text, *ln.box, round(ln.score, 4)] for ln in page.lines],
                           ensure_ascii=False)  # fmt: skip
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO ocr_pages(content_hash, page, lines, error, seconds,"
                " path) VALUES (?, ?, ?, ?, ?, ?)",
                (content_hash, page.page, lines, page.error, page.seconds, path),
            )

    def ocr_pages(self, content_hash: str) -> list[OcrPage]:
        """The pages of that file recognised so far, by page number."""
        rows = self._rows(
            "SELECT page, lines, error, seconds FROM ocr_pages WHERE content_hash = ?"
            " ORDER BY page",
            (content_hash,),
        )
        return [
            OcrPage(r["page"], tuple(OcrLine(str(v[0]), (float(v[1]), float(v[2]), float(v[3]),
                                                        float(v[4])), float(v[5]))
                                     for v in json.loads(r["lines"])),
                    r["error"], r["seconds"])
            for r in rows
        ]  # fmt: skip
