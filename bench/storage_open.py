"""What checking a database for damage at every open costs, and what a recovery costs.

Run ``python -m bench.storage_open``. Stores run ``PRAGMA quick_check`` at every open for
databases up to ``core.sqlite_db.QUICK_CHECK_MAX_BYTES`` (every page read once), so a
damaged chats database is found and recovered before the window or the CLI uses it. For
each history size (default 1k, 10k and 50k messages) this times opening the chat store
(with the check) against opening the same file without it (connect, pragmas, schema
version), the median of several opens with a warm page cache. Then it writes random bytes
over three pages of each database and times the recovery both ways: the ``sqlite3``
program's ``.recover`` (when installed) and the row salvage in Python, with the rows each
kept. It asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.chat.store import MIGRATIONS, ChatStore, _mend_after_recovery
from core.sqlite_db import StoreOpening, open_database, recover_database, schema_version

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "results" / "storage_open.json"
PAGE = 4096


def _build(path: Path, size: int) -> None:
    ChatStore(path).close()
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
                 f"Message {i}: what does clause {i % 97} of the lease say about repairs? "
                 * 3)
                for i in range(size)
            ),
        )  # fmt: skip
    db.close()


def _median_ms(action: Any, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _open_checked(path: Path) -> None:
    ChatStore(path).close()


def _open_plain(path: Path) -> None:
    db = open_database(path, 5000)
    schema_version(db)
    db.close()


def _recover(path: Path, work: Path, program: str | None) -> tuple[float, int, str]:
    copy = work / f"damaged-{'recover' if program else 'python'}.sqlite3"
    shutil.copyfile(path, copy)
    pages = copy.stat().st_size // PAGE
    rng = random.Random(1)
    with copy.open("r+b") as handle:
        for page in (pages // 3, pages // 2, 2 * pages // 3):
            handle.seek((page - 1) * PAGE)
            handle.write(bytes(rng.randrange(256) for _ in range(PAGE)))
    opening = StoreOpening(copy, 5000, MIGRATIONS, _mend_after_recovery, program)
    start = time.perf_counter()
    report = recover_database(opening, threading.RLock(), "bench")
    return (time.perf_counter() - start) * 1000, report.rows, report.method


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    program = shutil.which("sqlite3")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for size in args.sizes:
            path = work / f"chats-{size}.sqlite3"
            _build(path, size)
            _open_checked(path)  # warm the page cache
            checked = _median_ms(lambda p=path: _open_checked(p), args.rounds)
            plain = _median_ms(lambda p=path: _open_plain(p), args.rounds)
            recover_ms, recover_rows, method = (
                _recover(path, work, program) if program else (None, None, None)
            )
            salvage_ms, salvage_rows, _ = _recover(path, work, None)
            rows.append({
                "messages": size, "megabytes": round(path.stat().st_size / 1e6, 1),
                "open_checked_ms": round(checked, 1), "open_plain_ms": round(plain, 1),
                "recover_ms": None if recover_ms is None else round(recover_ms),
                "recover_rows": recover_rows, "recover_method": method,
                "salvage_ms": round(salvage_ms), "salvage_rows": salvage_rows,
            })  # fmt: skip
    header = (f"{'messages':>9} {'MB':>6} {'open+check':>11} {'open':>7} "
              f"{'.recover':>14} {'row salvage':>16}")  # fmt: skip
    print(header)
    for r in rows:
        recover = f"{r['recover_ms']} ms/{r['recover_rows']}" if r["recover_ms"] else "-"
        if r["recover_method"] not in (None, "sqlite3 .recover"):
            recover += "*"  # the program could not recover; the row salvage did
        print(f"{r['messages']:>9} {r['megabytes']:>6} {r['open_checked_ms']:>8} ms "
              f"{r['open_plain_ms']:>4} ms {recover:>14} "
              f"{str(r['salvage_ms']) + ' ms/' + str(r['salvage_rows']):>16}")  # fmt: skip
    if any(r["recover_method"] not in (None, "sqlite3 .recover") for r in rows):
        print("* this sqlite3 program cannot .recover (built without sqlite_dbpage): "
              "the row salvage ran instead")  # fmt: skip
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps({
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sqlite": sqlite3.sqlite_version, "sqlite3_program": program, "rows": rows,
    }, indent=2) + "\n", encoding="utf-8")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
