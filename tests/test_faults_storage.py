"""Full, damaged, read-only and busy storage against the real CLI and real SQLite.

A small tmpfs filled to the brim stands for a full disk, a read-only bind mount for a
read-only home (root ignores permission bits, and the tests run as root), databases with
random pages written over them, cut short or replaced by another file for damage. Every
case must end in one line in the person's language, never a traceback, with nothing saved
before lost; a damaged database is set aside under a dated name and recovered at the start.
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from core.chat.export import to_json
from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.i18n import Translator
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.retrieval import Retriever
from core.knowledge.vectors import chroma_name
from core.paths import AppPaths
from core.sqlite_db import StorageError, damage_marker, open_database, transaction
from tests.cli_process import one_line_error, run_cli
from tests.test_knowledge_store import MODEL, add, bound, unit

PAGE = 4096
DATED = re.compile(r"\.damaged-\d{8}-\d{6}(-\d+)?$")


# ---- helpers: disks and damage --------------------------------------------------------


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of the test's own (SQLite, Python and the CLI see a real full disk)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    _mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk refuses another byte; removing it frees the space."""
    filler = disk / "filler"
    block = b"\0" * 4096
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    for size in (512, 64, 1):  # the last scraps too
        try:
            with filler.open("ab", buffering=0) as handle:
                while True:
                    handle.write(b"\0" * size)
        except OSError:
            pass
    return filler


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a writable home, the same home mounted read-only)."""
    home, view = tmp_path / "home", tmp_path / "read-only-home"
    home.mkdir()
    view.mkdir()
    _mount("--bind", str(home), str(view))
    try:
        _mount("-o", "remount,bind,ro", str(view))
        yield home, view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


def make_chats(path: Path, chats: int = 40, messages: int = 6) -> int:
    """A real chats database with enough rows to span many pages; returns the messages."""
    rng = random.Random(7)
    words = [
        "lamp",
        "harbor",
        "river",
        "熊猫",
        "合同",
        "keeper",
        "barometer",
        "tide",
        "灯塔",
        "ledger",
    ]
    count = 0
    with ChatStore(path) as store:
        for c in range(chats):
            chat = store.create_chat(f"Chat {c}", model="m.gguf")
            parent = None
            for m in range(messages):
                text = " ".join(rng.choice(words) for _ in range(60)) + f" #{c}-{m}"
                role = "user" if m % 2 == 0 else "assistant"
                parent = store.add_message(chat.id, parent, role, text).id
                count += 1
    return count


def scribble(path: Path, pages: list[int], seed: int = 1) -> None:
    """Write random bytes over whole pages (page 1 is the header and the schema)."""
    rng = random.Random(seed)
    with path.open("r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * PAGE)
            handle.write(bytes(rng.randrange(256) for _ in range(PAGE)))


def damage(path: Path, how: str) -> None:
    pages = path.stat().st_size // PAGE
    if how == "random-pages":
        scribble(path, [pages // 3, pages // 2, 2 * pages // 3])
    elif how == "truncated":
        with path.open("r+b") as handle:
            handle.truncate(pages // 2 * PAGE + 1000)
    elif how == "not-a-database":
        path.write_bytes(b"Just some notes, not a database.\n" * 500)
    else:
        raise ValueError(how)


def set_aside(folder: Path, name: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if DATED.search(p.name) and p.name.startswith(name))


# ---- item 6: a failed COMMIT, a full disk ---------------------------------------------


def test_a_commit_that_fails_on_a_full_disk_leaves_the_store_usable(
    small_disk: Path,
) -> None:
    path = small_disk / "chats.sqlite3"
    with ChatStore(path) as store:
        chat = store.create_chat("Before the disk filled")
        first = store.add_message(chat.id, None, "user", "Saved before.")
        filler = fill(small_disk)
        with pytest.raises(StorageError) as info:
            store.add_message(chat.id, first.id, "assistant", "x" * 400_000)
        assert info.value.code == "storage_full"
        assert store.messages(chat.id) == [first]  # nothing half-written, nothing lost
        filler.unlink()  # space freed: the same connection writes again
        again = store.add_message(chat.id, first.id, "assistant", "Saved after.")
        assert [m.content for m in store.branch(chat.id)] == ["Saved before.", "Saved after."]
        assert again.id > first.id
    with ChatStore(path) as reopened:
        assert reopened.integrity_check() == "ok"
        assert [m.content for m in reopened.branch(chat.id)] == ["Saved before.", "Saved after."]


def test_a_commit_that_sqlite_leaves_open_is_rolled_back(tmp_path: Path) -> None:
    """SQLite rolls back by itself after some COMMIT failures (a full disk in WAL mode, as
    above) but leaves the transaction open after others (busy, a deferred constraint): left
    open, every later BEGIN on the connection failed and the store was wedged."""
    db = open_database(tmp_path / "t.sqlite3", busy_timeout_ms=100)
    db.executescript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER"
        " REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);"
    )
    lock = threading.RLock()
    with pytest.raises(sqlite3.IntegrityError), transaction(db, lock) as tx:
        tx.execute("INSERT INTO child(parent_id) VALUES (42)")  # fails only at COMMIT
    assert not db.in_transaction
    with transaction(db, lock) as tx:  # the connection works again
        tx.execute("INSERT INTO parent(id) VALUES (42)")
        tx.execute("INSERT INTO child(parent_id) VALUES (42)")
    assert db.execute("SELECT count(*) FROM child").fetchone()[0] == 1


def test_cli_on_a_full_disk_says_disk_full_and_loses_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    env = {"FIRESIDE_HOME": str(small_disk / "home")}
    paths = AppPaths.under(small_disk / "home").ensure()
    with ChatStore(paths.chats_db) as store:
        chat = store.create_chat("Kept")
        store.add_message(chat.id, None, "user", "A message saved before the disk filled.")
        exported = to_json(store, chat.id)
    exported["chat"]["title"] = "Large"
    exported["messages"][0]["content"] = "y" * 600_000
    big = tmp_path / "large.json"  # on another disk: only the data folder is full
    big.write_text(json.dumps(exported), encoding="utf-8")
    filler = fill(small_disk)

    line = one_line_error(run_cli("chats", "import", str(big), env=env))
    assert line.startswith("Error: The disk is full") and "chats.sqlite3" in line
    chinese = one_line_error(
        run_cli("chats", "import", str(big), env=env | {"FIRESIDE_LANG": "zh_CN"})
    )
    assert chinese.startswith("错误：磁盘已满")
    listed = run_cli("chats", "list", env=env)  # reading still works on a full disk
    assert listed.returncode == 0 and "Kept" in listed.stdout and "Large" not in listed.stdout

    filler.unlink()
    assert run_cli("chats", "import", str(big), env=env).returncode == 0
    titles = run_cli("chats", "list", env=env).stdout
    assert "Kept" in titles and "Large" in titles


def test_chat_and_kb_add_on_a_full_disk_are_one_line_and_work_once_space_is_freed(
    small_disk: Path, tmp_path: Path, gemma_path: Path, minilm_path: Path
) -> None:
    env = {"FIRESIDE_HOME": str(small_disk / "home")}
    paths = AppPaths.under(small_disk / "home").ensure()
    with ChatStore(paths.chats_db) as store:
        store.add_message(store.create_chat("Kept").id, None, "user", "Saved before.")
    note = tmp_path / "note.txt"
    note.write_text("The lighthouse keeper logs the tide every hour.", encoding="utf-8")
    chat = ["chat", "--model", str(gemma_path), "--max-tokens", "4", "--temperature", "0"]
    kb_add = ["kb", "add", str(note), "--embedding-model", str(minilm_path)]
    filler = fill(small_disk)
    for command, database in ((chat, "chats.sqlite3"), (kb_add, "knowledge.sqlite3")):
        line = one_line_error(run_cli(*command, env=env, stdin="y" * 200_000 + "\n"))
        assert line.startswith("Error: The disk is full") and database in line, line
    filler.unlink()
    assert run_cli(*chat, env=env, stdin="Hello\n").returncode == 0
    assert run_cli(*kb_add, env=env).returncode == 0
    with ChatStore(paths.chats_db) as store:
        titles = [c.title for c in store.list_chats()]
        assert "Kept" in titles and len(titles) >= 2


# ---- item 9: damaged databases are set aside and recovered at the start ---------------


@pytest.mark.parametrize("how", ["random-pages", "truncated", "not-a-database"])
@pytest.mark.parametrize("program", ["sqlite3", "python"])
def test_a_damaged_chats_database_is_set_aside_recovered_and_the_cli_starts(
    how: str, program: str, fireside_home: Path
) -> None:
    paths = AppPaths.from_env().ensure()
    total = make_chats(paths.chats_db)
    damage(paths.chats_db, how)
    env = {} if program == "sqlite3" else {"PATH": "/nonexistent"}  # no sqlite3 program

    result = run_cli("chats", "list", env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    (notice,) = result.stderr.splitlines()
    assert notice.startswith("chats.sqlite3 was damaged: it was set aside as ")
    (aside,) = set_aside(paths.data_dir, "chats.sqlite3.damaged-")
    assert str(aside) in notice
    recovered = int(re.search(r"and (\d+) records were recovered", notice).group(1))  # type: ignore[union-attr]
    with ChatStore(paths.chats_db) as store:
        assert store.recovery is None and store.integrity_check() == "ok"
        chats = store.list_chats()
        kept = sum(len(store.messages(c.id)) for c in chats)
        for chat in chats:  # every recovered chat opens: its branch is whole from a root
            branch = store.branch(chat.id)
            assert bool(branch) == bool(store.messages(chat.id))
            assert not branch or branch[0].parent_id is None
        if chats:
            assert store.search(chats[0].title)  # the search index was rebuilt
    assert kept <= total and recovered >= kept
    if how == "random-pages":
        assert kept >= total // 2, (kept, total)  # most of it survives three bad pages
    if how == "truncated":
        assert kept > 0  # the pages before the cut are read (the header is squared first)
    if how == "not-a-database":
        assert kept == 0 and aside.read_bytes().startswith(b"Just some notes")
    again = run_cli("chats", "list", env=env)  # recovered once, then a healthy start
    assert again.returncode == 0 and again.stderr == ""


def test_damage_met_while_running_is_recovered_at_the_next_start_whatever_the_size(
    fireside_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large databases are not checked page by page at every start; damage met while
    running leaves a mark beside the database, and the next start checks and recovers it."""
    import core.sqlite_db

    paths = AppPaths.from_env().ensure()
    make_chats(paths.chats_db)
    pages = paths.chats_db.stat().st_size // PAGE
    scribble(paths.chats_db, list(range(3, pages, 3)))
    monkeypatch.setattr(core.sqlite_db, "QUICK_CHECK_MAX_BYTES", 0)  # as if it were large
    with ChatStore(paths.chats_db) as store, pytest.raises(StorageError) as info:
        assert store.recovery is None  # opened without a full check
        for chat in store.list_chats():
            store.messages(chat.id)
    assert info.value.code == "storage_damaged"
    assert "next start" in info.value.message(Translator("en"))
    assert damage_marker(paths.chats_db).exists()
    with ChatStore(paths.chats_db) as store:
        assert store.recovery is not None and store.integrity_check() == "ok"
    assert not damage_marker(paths.chats_db).exists()


def test_chat_starts_on_a_damaged_chats_database_and_answers(
    fireside_home: Path, gemma_path: Path
) -> None:
    paths = AppPaths.from_env().ensure()
    make_chats(paths.chats_db, chats=10)
    damage(paths.chats_db, "random-pages")
    result = run_cli("chat", "--model", str(gemma_path), "--max-tokens", "8", "--seed", "1",
                     "--temperature", "0", stdin="Say hello.\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "chats.sqlite3 was damaged" in result.stderr and result.stdout.strip()
    with ChatStore(paths.chats_db) as store:
        newest = store.list_chats()[0]
        assert [m.role for m in store.branch(newest.id)][-2:] == ["user", "assistant"]


@pytest.mark.parametrize("how", ["random-pages", "not-a-database"])
def test_a_damaged_knowledge_database_is_recovered_and_kb_starts(
    how: str, fireside_home: Path
) -> None:
    paths = AppPaths.from_env().ensure()
    rng = np.random.default_rng(5)
    with KnowledgeBase(paths) as kb:
        collection = bound(kb)
        for d in range(30):
            texts = [f"Document {d} passage {i}: the lighthouse keeper logs the tide. " * 8
                     for i in range(6)]  # fmt: skip
            add(kb, collection, f"/docs/d{d}.txt", texts, [unit(rng) for _ in texts])
    damage(paths.knowledge_db, how)

    result = run_cli("kb", "list")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("knowledge.sqlite3 was damaged: it was set aside as ")
    assert len(set_aside(paths.data_dir, "knowledge.sqlite3.damaged-")) == 1
    with KnowledgeBase(paths) as kb:
        assert kb.store.recovery is None
        documents = kb.documents()
        if how == "not-a-database":
            assert documents == []
            return
        assert len(documents) >= 10
        collection = kb.store.collection("default")
        assert collection.vectors_dirty  # Chroma is compared id by id with what survived
        report = kb.check_vectors()
        assert report.removed >= 0 and kb.index.count(collection) == kb.store.chunk_count(
            collection.id
        )
        hits = Retriever(kb.index).search_with_vector("lighthouse tide", None, 3, [collection])
        assert hits and "lighthouse" in hits[0].text  # the full-text index was rebuilt


def test_a_damaged_settings_file_is_set_aside_and_defaults_used(fireside_home: Path) -> None:
    paths = AppPaths.from_env().ensure()
    for content in ('{"engine": [1], "schema_version": 0}', "\x00\x01 not json"):
        paths.settings_file.write_text(content, encoding="utf-8")
        result = run_cli("chats", "list")
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("The settings file was unreadable and has been set aside")
        assert not paths.settings_file.exists()
    assert len(list(paths.config_dir.glob("settings.json.unreadable-*"))) >= 1


# ---- read-only home, busy database ------------------------------------------------------


def test_a_read_only_home_gives_one_line_not_a_traceback(
    read_only: tuple[Path, Path], tmp_path: Path, gemma_path: Path, minilm_path: Path
) -> None:
    home, view = read_only
    paths = AppPaths.under(home).ensure()
    with ChatStore(paths.chats_db) as store:
        chat = store.create_chat("Written before")
        store.add_message(chat.id, None, "user", "Hello")
    with KnowledgeBase(paths):
        pass
    document = tmp_path / "note.txt"
    document.write_text("The lighthouse keeper logs the tide every hour.", encoding="utf-8")
    env = {"FIRESIDE_HOME": str(view)}

    listed = run_cli("chats", "list", env=env)
    assert "Traceback" not in listed.stderr, listed.stderr
    if listed.returncode == 0:
        assert "Written before" in listed.stdout
    else:
        one_line_error(listed)
    for command in (
        ["chats", "rename", "1", "New title"],
        ["chat", "--chat", "1", "--model", str(gemma_path), "--max-tokens", "4"],
        ["kb", "add", str(document), "--embedding-model", str(minilm_path)],
    ):
        line = one_line_error(run_cli(*command, env=env, stdin="Hi\n"))
        assert line.startswith("Error: ") and "read-only" in line.lower(), (command, line)
    chinese = one_line_error(
        run_cli("chats", "rename", "1", "x", env=env | {"FIRESIDE_LANG": "zh_CN"})
    )
    assert chinese.startswith("错误：") and "只读" in chinese
    with ChatStore(paths.chats_db) as store:  # nothing changed, nothing lost
        assert [c.title for c in store.list_chats()] == ["Written before"]


def test_a_busy_database_is_one_line(fireside_home: Path) -> None:
    paths = AppPaths.from_env().ensure()
    with ChatStore(paths.chats_db) as store:
        store.create_chat("Held")
    holder = sqlite3.connect(paths.chats_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        line = one_line_error(run_cli("chats", "rename", "1", "Other"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "in use by another program" in line


# ---- the vector index: ids, not counts; a failed query repairs one collection ----------


def test_the_vector_check_compares_ids_not_counts(fireside_home: Path) -> None:
    rng = np.random.default_rng(8)
    with KnowledgeBase(AppPaths.from_env().ensure()) as kb:
        collection = bound(kb)
        ids = add(kb, collection, "/docs/a.txt", ["One.", "Two.", "Three."],
                  [unit(rng) for _ in range(3)])  # fmt: skip
        chroma = kb.index._open().get_collection(chroma_name(collection.id, MODEL))
        chroma.delete(ids=[ids[0]])  # one vector lost, one stray: the count is the same
        chroma.add(ids=["stray"], embeddings=[unit(rng)])
        report = kb.check_vectors()
        assert (report.added, report.removed) == (1, 1)
        assert set(chroma.get(include=[])["ids"]) == set(ids)


def test_a_failed_query_repairs_its_collection_and_leaves_the_others(
    fireside_home: Path,
) -> None:
    rng = np.random.default_rng(9)
    with KnowledgeBase(AppPaths.from_env().ensure()) as kb:
        work, home = bound(kb, "work"), bound(kb, "home")
        texts = [f"Passage {i} about the harbor." for i in range(5)]
        vectors = [unit(rng) for _ in texts]
        add(kb, work, "/docs/work.txt", texts, vectors)
        add(kb, home, "/docs/home.txt", ["The garden lamp."], [unit(rng)])
        retriever = Retriever(kb.index)
        retriever.search_with_vector("harbor", vectors[2], 3, [work, home])
        client = kb.index._open()
        home_id = client.get_collection(chroma_name(home.id, MODEL)).id
        client.delete_collection(chroma_name(work.id, MODEL))  # gone under the index
        hits = retriever.search_with_vector("zzzz", vectors[2], 1, [kb.store.collection("work")])
        assert hits and hits[0].text == texts[2]  # found again through the repaired index
        assert not kb.index.rebuilt
        assert client.get_collection(chroma_name(home.id, MODEL)).id == home_id


def test_storage_errors_reach_the_person_in_their_language() -> None:
    from core.i18n import MESSAGES

    codes = [c for c in MESSAGES if c.startswith("storage_") and c != "storage_recovered"]
    assert {"storage_full", "storage_read_only", "storage_damaged", "storage_busy"} <= set(codes)
    for code in codes:
        error = StorageError(code, path="/x/chats.sqlite3", reason="why")
        english, chinese = error.message(Translator("en")), error.message(Translator("zh_CN"))
        assert "/x/chats.sqlite3" in english and "/x/chats.sqlite3" in chinese
        assert english != chinese


# ---- the window -------------------------------------------------------------------------


def test_the_window_starts_on_a_damaged_chats_database_and_says_so_once(
    qtbot: QtBot, fireside_home: Path, engine_log: Path
) -> None:
    from desktop.window.app import show_start_notices
    from desktop.window.main_window import MainWindow
    from desktop.window.services import AppServices

    paths = AppPaths.from_env().ensure()
    make_chats(paths.chats_db, chats=20)
    damage(paths.chats_db, "random-pages")
    seen = []
    for _start in range(2):
        services = AppServices(paths, EngineClient(log_path=engine_log))
        try:
            window = MainWindow(services)
            qtbot.addWidget(window)
            window.show()
            seen.append(show_start_notices(window, services))
            if seen[-1]:
                assert window.error_bar.isVisible()
                assert "chats.sqlite3 was damaged" in window.error_bar.label.text()
            assert len(window.sidebar.chat_ids()) == len(services.chats.list_chats()) > 0
            window.close()
        finally:
            services.close()
    assert [len(notices) for notices in seen] == [1, 0]  # said once, at the start it happened
    assert len(set_aside(paths.data_dir, "chats.sqlite3.damaged-")) == 1


def test_the_window_starts_on_a_full_disk_with_what_was_saved(
    qtbot: QtBot, small_disk: Path, engine_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.window.main_window import MainWindow
    from desktop.window.services import AppServices

    monkeypatch.setenv("FIRESIDE_HOME", str(small_disk / "home"))
    paths = AppPaths.from_env().ensure()
    with ChatStore(paths.chats_db) as store:
        store.add_message(store.create_chat("Kept").id, None, "user", "Saved before.")
    used = AppServices(paths, EngineClient(log_path=engine_log))  # a home used once
    used.knowledge.store.ensure_collection("default")
    used.close()
    filler = fill(small_disk)
    services = AppServices(paths, EngineClient(log_path=engine_log))
    try:
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        window.start()
        assert [services.chats.get_chat(i).title for i in window.sidebar.chat_ids()] == ["Kept"]
        with pytest.raises(StorageError) as info:  # what the window's new chat meets
            services.chats.create_chat("Not saved")
        assert info.value.code == "storage_full"
        filler.unlink()
        window.new_chat()
        assert len(services.chats.list_chats()) == 2
        window.close()
    finally:
        services.close()


def test_the_app_process_starts_on_a_damaged_chats_database_and_a_crafted_model(
    fireside_home: Path, tmp_path: Path
) -> None:
    """The real start-up (``desktop.window.app``, offscreen), measured-launch mode: it quits
    by itself once usable. Before, it aborted on either file until it was removed."""
    from tests.test_faults_gguf import crafted, good

    paths = AppPaths.from_env().ensure()
    make_chats(paths.chats_db, chats=10)
    damage(paths.chats_db, "random-pages")
    crafted(paths.models_dir / "mallory" / "Hostile-GGUF", "alignment-nan")
    good(paths.models_dir / "mallory" / "Hostile-GGUF")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FIRESIDE_EXIT_WHEN_READY": "1",
           "HF_HUB_CACHE": str(tmp_path / "hf-cache")}  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "desktop.window.app"], env=env,
                            capture_output=True, text=True, timeout=240, check=False)  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.startswith("ready ")
    assert len(set_aside(paths.data_dir, "chats.sqlite3.damaged-")) == 1


def test_a_fresh_home_on_a_full_disk_starts_and_says_so(
    qtbot: QtBot, small_disk: Path, engine_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first start on a full disk: the window's first chat and the knowledge panel's
    default collection cannot be written (the stores open read-only, in memory). It starts
    and says the disk is full; once space is freed, the next start has its first chat."""
    from desktop.window.main_window import MainWindow
    from desktop.window.services import AppServices

    monkeypatch.setenv("FIRESIDE_HOME", str(small_disk / "home"))
    monkeypatch.setenv("FIRESIDE_LANG", "en")
    paths = AppPaths.from_env().ensure()
    filler = fill(small_disk)
    services = AppServices(paths, EngineClient(log_path=engine_log))
    try:
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        window.start()
        assert window.error_bar.isVisible()
        assert "disk is full" in window.error_bar.label.text().lower()
        assert window.chat_id is None
        window.close()
    finally:
        services.close()
    filler.unlink()  # space freed: the next start has its chat
    services = AppServices(paths, EngineClient(log_path=engine_log))
    try:
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.start()
        assert window.chat_id is not None and not window.error_bar.isVisible()
        window.close()
    finally:
        services.close()
