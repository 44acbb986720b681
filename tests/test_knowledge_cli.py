"""``fireside-cli kb …`` and ``chat --kb`` end to end, and a SIGKILL in the middle of an
ingestion: the restart embeds only what was not finished and duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.engine.client import EngineClient
from core.knowledge.embedder import Embedder
from core.knowledge.knowledge_base import KnowledgeBase
from core.paths import AppPaths
from tests.documents import write_bad_files, write_library, write_many

CLI = [sys.executable, "-m", "core.cli"]
# Notes for the interrupted ingestions: MiniLM embeds a note in a few milliseconds, so there
# must be enough of them that the interruption lands while the ingestion still runs.
NOTES = 60
EMBED = ["--embedding-ctx", "256", "--threads", "1"]


def cli(*args: str, stdin: str = "", lang: str = "en") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "FIRESIDE_LANG": lang}, timeout=300)  # fmt: skip


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_kb_commands(gemma_path: Path, minilm_path: Path, tmp_path: Path,
                    fireside_home: Path) -> None:  # fmt: skip
    folder = tmp_path / "docs"
    facts = write_library(folder)
    bad = write_bad_files(folder / "bad", bomb=False)
    model = str(minilm_path)  # the embedding model; Gemma chats below

    # Without an embedding model, the command says how to set one.
    missing = cli("kb", "add", str(folder))
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.count("\n") == 1 and "--embedding-model" in missing.stderr
    assert "fireside-cli models use" in missing.stderr
    # ... and which catalogue model suits these documents (part Chinese) and this computer.
    assert "fireside-cli models download" in missing.stderr and "Chinese" in missing.stderr
    english_only = cli("kb", "add", str(folder / "bread.md"), lang="zh_CN")
    assert english_only.returncode == 1 and english_only.stderr.count("\n") == 1
    assert english_only.stderr.startswith("错误：尚未设置嵌入模型")
    assert "英文" in english_only.stderr
    chinese = cli("kb", "search", "熊猫", lang="zh_CN")
    assert chinese.returncode == 1 and "尚未设置嵌入模型" in chinese.stderr

    adding = cli("kb", "add", str(folder), "--embedding-model", model, "--json", *EMBED)
    added = ok(adding)
    assert added["indexed"] == len({f.file for f in facts}) and added["failed"] == len(bad)
    # The library is part Chinese and MiniLM is English-only: one line says so.
    warning = [line for line in adding.stderr.splitlines() if "does not understand" in line]
    assert len(warning) == 1 and "Chinese" in warning[0] and minilm_path.name in warning[0]
    reasons = {Path(o["path"]).name: o["code"] for o in added["outcomes"] if o["code"]}
    assert reasons == bad
    listing = ok(cli("kb", "list", "--json"))
    locked = next(d for d in listing if d["file"].endswith("locked.pdf"))
    assert locked["status"] == "failed" and "password" in locked["reason"]
    collections = ok(cli("kb", "collections", "--json"))
    assert [(c["name"], c["embedding_model"].split(":")[0]) for c in collections] == [
        ("default", minilm_path.name)
    ]
    assert collections[0]["languages"]["zh"] >= 2 and collections[0]["languages"]["en"] >= 4
    assert collections[0]["language_warning"] == warning[0]
    chinese_listing = cli("kb", "list", lang="zh_CN")
    assert chinese_listing.returncode == 0
    assert [line for line in chinese_listing.stderr.splitlines() if "不懂中文" in line]

    hits = ok(cli("kb", "search", "成年大熊猫的体重是多少？", "--k", "2", "--json",
                  "--embedding-model", model, *EMBED))  # fmt: skip
    assert {"file", "page", "heading", "snippet", "score"} <= set(hits[0])
    assert (Path(hits[0]["file"]).name, hits[0]["page"]) == ("pandas.pdf", 2)
    hits = ok(cli("kb", "search", "How long do you knead the bread dough?", "--json",
                  "--embedding-model", model, *EMBED))  # fmt: skip
    assert Path(hits[0]["file"]).name == "bread.md" and hits[0]["page"] is None
    assert hits[0]["heading"] == "Kneading"

    # Reindex rebuilds the vector index from the store, even with the folder gone.
    vectors = AppPaths.from_env().vector_dir
    __import__("shutil").rmtree(vectors)
    reindexed = ok(cli("kb", "reindex", "--json"))  # no model needed: stored vectors
    assert reindexed == [{"collection": "default", "chunks": added["chunks"], "embedded": 0,
                          "model": collections[0]["embedding_model"]}]  # fmt: skip

    removed = cli("kb", "remove", str(folder / "bread.md"))
    assert removed.returncode == 0 and "Removed" in removed.stdout
    assert not any(d["file"].endswith("bread.md") for d in ok(cli("kb", "list", "--json")))
    gone = cli("kb", "remove", "9999")
    assert gone.returncode == 1 and "no document 9999" in gone.stderr
    unknown = cli("kb", "search", "x", "--collection", "nope", "--embedding-model", model)
    assert unknown.returncode == 1 and "no collection nope" in unknown.stderr

    # chat --kb: the reply is grounded and its citations printed under it / in the JSON.
    turn = ok(cli("chat", "--model", str(gemma_path), "--kb", "default",
                  "--embedding-model", model,
                  "--embedding-ctx", "256", "--threads", "1", "--json", "--max-tokens", "8",
                  "--temperature", "0",
                  stdin="How often must the beacon lamp be cleaned?\n"))  # fmt: skip
    assert turn["citations"][0]["page"] == 2
    # each source with both sides' scores (None where a side did not find it)
    assert all({"keyword_score", "vector_score"} <= set(c) for c in turn["citations"])
    top = turn["citations"][0]
    assert top["vector_score"] is not None and 0 < top["vector_score"] <= 1
    assert top["keyword_score"] is not None and top["keyword_score"] > 0
    assert Path(turn["citations"][0]["file"]).name == "handbook.pdf"
    plain = cli("chat", "--chat", str(turn["chat"]), "--embedding-model", model,
                "--embedding-ctx", "256", "--threads", "1", "--max-tokens", "8",
                "--temperature", "0",
                stdin="When are roses pruned?\n")  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    sources = lines.index("Sources:")
    assert "garden.epub — Roses" in "\n".join(lines[sources + 1 :])  # the chat kept its --kb
    # A reply that cites none of its sources (none marked *) is said to be unsupported.
    cited_any = any(line.startswith("*[") for line in lines[sources + 1 :])
    warned = "No source holds this answer: check it before relying on it." in lines
    assert warned == (not cited_any), plain.stdout
    assert isinstance(turn["unsupported"], bool)


@pytest.fixture
def engine(engine_log: Path) -> Iterator[EngineClient]:
    client = EngineClient(log_path=engine_log)
    yield client
    client.close()


def _indexed(db: Path) -> list[tuple[str, float, int]]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            return connection.execute(
                "SELECT path, indexed_at, chunk_count FROM documents WHERE status = 'indexed'"
            ).fetchall()
    except sqlite3.Error:
        return []  # not created yet


def _start_kb_add(folder: Path, count: int, model: Path, **popen: Any) -> subprocess.Popen[Any]:
    """``fireside-cli kb add`` of a folder of ``count`` notes, running in the background."""
    write_many(folder, count, sentences=3)
    command = [*CLI, "kb", "add", str(folder), "--embedding-model", str(model), *EMBED]
    return subprocess.Popen(command, **popen)


def _wait_for_indexed(db: Path, count: int, child: subprocess.Popen[Any]) -> None:
    """Until ``count`` documents are indexed by the running ``kb add`` in ``child``."""
    deadline = time.monotonic() + 120
    while len(_indexed(db)) < count:
        assert child.poll() is None, "the ingestion ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_sigkill_mid_ingestion_then_restart(minilm_path: Path, tmp_path: Path,
                                           engine: EngineClient) -> None:  # fmt: skip
    folder, total, paths = tmp_path / "notes", NOTES, AppPaths.from_env()
    child = _start_kb_add(folder, total, minilm_path, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        _wait_for_indexed(paths.knowledge_db, 2, child)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the CLI and its engine process
        child.wait(30)
    before = {path: (at, chunks) for path, at, chunks in _indexed(paths.knowledge_db)}
    assert 2 <= len(before) < total

    embedder = Embedder(engine, minilm_path, n_ctx=256, n_threads=1)
    with KnowledgeBase(paths) as kb:
        jobs = kb.store.unfinished_jobs()
        assert [j.paths for j in jobs] == [[str(folder)]]
        reports = kb.ingestion(embedder, "default").resume()
        assert not kb.store.unfinished_jobs()
        documents = kb.documents()
        assert len(documents) == total and {d.status for d in documents} == {"indexed"}
        # Finished documents were not embedded or written again.
        for d in documents:
            if d.path in before:
                assert (d.indexed_at, d.chunk_count) == before[d.path]
        redone = sum(d.chunk_count for d in documents if d.path not in before)
        assert embedder.texts_embedded == redone == reports[0].chunks
        # No chunk twice, in SQLite or in Chroma; Chroma holds exactly the store's chunks.
        collection = kb.store.collection("default")
        ids = kb.store.chunk_ids(collection.id)
        assert (
            len(ids) == kb.store.chunk_count(collection.id) == sum(d.chunk_count for d in documents)
        )
        assert kb.index.count(collection) == len(ids)
        kb.index.sync(collection, force=True)
        assert kb.index.count(collection) == len(ids)
        assert kb.index._ids(kb.index._collection(collection)) == ids


def test_ctrl_c_stops_kb_add_and_kb_resume_goes_on_later(minilm_path: Path,
                                                         tmp_path: Path) -> None:  # fmt: skip
    """As a person would: Ctrl-C in the middle of ``kb add``, then, in another run,
    ``kb resume`` finishes the rest without embedding the finished documents again."""
    folder, total, paths = tmp_path / "notes", NOTES, AppPaths.from_env()
    child = _start_kb_add(folder, total, minilm_path, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "FIRESIDE_LANG": "en"})  # fmt: skip
    _wait_for_indexed(paths.knowledge_db, 2, child)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert "Stopped; finished documents are kept. To continue: fireside-cli kb resume" in err
    assert "Traceback" not in err
    before = {path: (at, chunks) for path, at, chunks in _indexed(paths.knowledge_db)}
    assert 2 <= len(before) < total

    resumed = ok(cli("kb", "resume", "--embedding-model", str(minilm_path), *EMBED, "--json"))
    assert resumed["cancelled"] is False
    assert (resumed["unchanged"], resumed["indexed"]) == (len(before), total - len(before))
    after = {path: (at, chunks) for path, at, chunks in _indexed(paths.knowledge_db)}
    assert len(after) == total
    assert all(after[p] == before[p] for p in before)  # not embedded or written again

    for lang, said in (("en", "No stopped or unfinished ingestion to resume"),
                       ("zh_CN", "没有已停止或未完成的导入任务需要继续")):  # fmt: skip
        again = cli("kb", "resume", "--embedding-model", str(minilm_path), *EMBED, lang=lang)
        assert again.returncode == 0 and again.stderr.strip() == said
