"""What one streaming save of a reply costs as the chat history grows.

Run ``python -m bench.chat_store``. A reply is rewritten in the store about once a second
while it streams, so this cost is paid all the time. For each history size (default 1k, 10k
and 100k messages) it builds two databases with the same rows: one with the search index of
chat-store migration 2 (its own copy of the text, rows found by an UNINDEXED column: "before")
and one as the store now opens (external-content indexes keyed by rowid: "now"). It then
times saves on both, interleaved round by round, and prints the median per save. It asserts
nothing; the test counts SQLite VM steps instead of time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.chat.store import MIGRATIONS, ChatStore

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "results" / "chat_store.json"
BEFORE_VERSION = 3  # the last schema with the old search index


def _build(path: Path, size: int, version: int | None) -> None:
    """A database at ``version`` (None: the current one) holding ``size`` messages."""
    if version is None:
        ChatStore(path).close()
    else:
        db = sqlite3.connect(path, isolation_level=None)
        for index, (_name, script) in enumerate(MIGRATIONS[:version]):
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {index + 1};\nCOMMIT;")
        db.close()
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO chats(id, title, created_at, updated_at) VALUES (?, ?, 0, 0)",
            [(c, f"chat {c}") for c in range(1, 201)],
        )
        db.executemany(
            "INSERT INTO messages(chat_id, role, content, created_at) VALUES (?, ?, ?, 0)",
            (
                (1 + i % 200, "user" if i % 2 else "assistant",
                 f"Message {i}: what does clause {i % 97} of the lease say about repairs?")
                for i in range(size)
            ),
        )  # fmt: skip
        db.execute(
            "INSERT INTO messages(chat_id, role, content, created_at)"
            " VALUES (1, 'assistant', '', 0)"
        )
    db.close()


def _save(db: sqlite3.Connection, message_id: int, text: str) -> float:
    """One save as ``ChatStore.update_message`` does it: one row in one transaction."""
    started = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE messages SET content = ? WHERE id = ?", (text, message_id))
    db.execute("COMMIT")
    return time.perf_counter() - started


def run(sizes: Sequence[int], saves: int) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="fireside-bench-") as tmp:
        for size in sizes:
            dbs: dict[str, sqlite3.Connection] = {}
            for label, version in (("before", BEFORE_VERSION), ("now", None)):
                path = Path(tmp) / f"{label}-{size}.sqlite3"
                _build(path, size, version)
                dbs[label] = sqlite3.connect(path, isolation_level=None)
                dbs[label].execute("PRAGMA journal_mode = WAL")
            target = size + 1  # the empty reply added last
            times: dict[str, list[float]] = {"before": [], "now": []}
            reply = ""
            for round_ in range(saves):
                reply += f" token{round_}"
                order = ("before", "now") if round_ % 2 == 0 else ("now", "before")
                for label in order:
                    times[label].append(_save(dbs[label], target, reply))
            for db in dbs.values():
                db.close()
            before = statistics.median(times["before"]) * 1000
            now = statistics.median(times["now"]) * 1000
            rows.append({"messages": size, "before_ms": before, "now_ms": now})
            print(f"{size:>9,} | {before:>9.2f} | {now:>7.2f}", flush=True)
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "saves_per_size": saves,
        "sqlite": sqlite3.sqlite_version,
        "rows": rows,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--saves", type=int, default=60)
    args = parser.parse_args(argv)
    print("median time of one streaming save (ms)")
    print(" messages | before ms |  now ms")
    result = run(args.sizes, args.saves)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"written to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
