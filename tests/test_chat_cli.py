"""Stored chats from the command line, and what survives a kill mid-reply."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from core.chat.store import ChatStore

CLI = [sys.executable, "-m", "core.cli"]


def cli(*args: str, stdin: str = "", lang: str = "en") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "FIRESIDE_LANG": lang}, timeout=300)  # fmt: skip


def turns(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_chat_is_stored_and_continued(gemma_path: Path, fireside_home: Path) -> None:
    first = turns(cli("chat", "--model", str(gemma_path), "--json", "--max-tokens", "8",
                      "--temperature", "0", "--system", "Answer briefly.",
                      stdin="Name a river.\nName a mountain.\n"))  # fmt: skip
    assert [t["turn"] for t in first] == [1, 2]
    assert {t["chat"] for t in first} == {1}
    assert all(t["full_reprefills"] == 0 for t in first)
    assert [t["visible_turns"] for t in first] == [1, 2]
    # Continue the same chat later; the model comes from the chat.
    later = turns(cli("chat", "--chat", "1", "--json", "--max-tokens", "8",
                      "--temperature", "0", stdin="Name a lake.\n"))  # fmt: skip
    assert later[0]["chat"] == 1 and later[0]["visible_turns"] == 3
    listing = json.loads(cli("chats", "list", "--json").stdout)
    assert [(c["id"], c["messages"]) for c in listing] == [(1, 7)]  # system + 3 turns
    assert listing[0]["title"] == "Name a river."
    shown = cli("chats", "show", "1").stdout
    assert shown.index("Name a river.") < shown.index("Name a lake.")


def test_chats_commands(gemma_path: Path, tmp_path: Path) -> None:
    turns(cli("chat", "--model", str(gemma_path), "--json", "--max-tokens", "4",
              stdin="合同的违约金条款是什么意思？\n"))  # fmt: skip
    turns(cli("chat", "--model", str(gemma_path), "--json", "--max-tokens", "4",
              stdin="What is a deposit?\n"))  # fmt: skip
    hits = json.loads(cli("chats", "search", "违约金", "--json").stdout)
    assert {h["chat"] for h in hits} == {1}  # its title and its message
    hits = json.loads(cli("chats", "search", "deposit", "--json").stdout)
    assert 2 in {h["chat"] for h in hits}
    assert "Renamed" in cli("chats", "rename", "2", "Deposits").stdout
    exported = tmp_path / "two.json"
    assert cli("chats", "export", "2", "--format", "json", "-o", str(exported)).returncode == 0
    markdown = cli("chats", "export", "2", "--format", "md").stdout
    assert markdown.startswith("# Deposits")
    assert "Moved chat 2 to the trash" in cli("chats", "delete", "2").stdout
    assert [c["id"] for c in json.loads(cli("chats", "list", "--json").stdout)] == [1]
    assert "Restored" in cli("chats", "restore", "2").stdout
    imported = json.loads(cli("chats", "import", str(exported), "--json").stdout)
    assert imported == {"id": 3, "messages": 2}
    assert cli("chats", "export", "3", "--format", "md").stdout == markdown


def _one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_bad_ids_and_files(tmp_path: Path, fireside_home: Path) -> None:
    assert "no chat with id 42" in _one_line(cli("chats", "show", "42"), 1)
    assert "没有编号为 42 的对话" in _one_line(cli("chats", "delete", "42", lang="zh_CN"), 1)
    assert "no chat with id 7" in _one_line(cli("chat", "--chat", "7"), 1)
    assert "--model" in _one_line(cli("chat"), 2)
    assert "'x'" in _one_line(cli("chats", "show", "x"), 2)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "fireside-chat", "version": 1, "chat": {}, "messages": 5}')
    assert "not a Fireside chat export" in _one_line(cli("chats", "import", str(bad)), 1)
    assert json.loads(cli("chats", "list", "--json").stdout) == []


def test_turn_larger_than_context_changes_nothing(gemma_path: Path) -> None:
    turns(cli("chat", "--model", str(gemma_path), "--json", "--max-tokens", "4",
              "--ctx", "512", stdin="Hi.\n"))  # fmt: skip
    huge = "lorem ipsum " * 1500
    result = cli("chat", "--chat", "1", "--ctx", "512", "--json", stdin=huge + "\n")
    assert "too long for the model's context window" in _one_line(result, 1)
    assert [c["messages"] for c in json.loads(cli("chats", "list", "--json").stdout)] == [2]


def test_sigkill_mid_reply_loses_nothing_saved(gemma_path: Path, fireside_home: Path) -> None:
    with subprocess.Popen(
        [*CLI, "chat", "--model", str(gemma_path), "--json", "--max-tokens", "2000",
         "--temperature", "0.9", "--seed", "3"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,
    ) as proc:  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("Write one short sentence.\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["turn"] == 1
        proc.stdin.write("Now write a very long story about the sea, with many chapters.\n")
        proc.stdin.flush()
        db = fireside_home / "data" / "chats.sqlite3"
        deadline = time.monotonic() + 60
        partial = ""
        while time.monotonic() < deadline and len(partial) < 40:  # wait for a saved part
            time.sleep(0.3)
            with ChatStore(db) as peek:
                last = peek.messages(1)[-1]
                partial = last.content if last.role == "assistant" and last.incomplete else ""
        os.killpg(proc.pid, signal.SIGKILL)  # the app and its engine, at once
        proc.wait(10)
    with ChatStore(db) as store:
        assert store.integrity_check() == "ok"
        messages = store.messages(1)
        roles = [m.role for m in messages]
        assert roles[:3] == ["user", "assistant", "user"]
        assert not messages[1].incomplete and messages[1].content
        assert messages[2].content.startswith("Now write a very long story")
        if len(messages) == 4:  # the partial reply was saved: marked, and not empty
            assert messages[3].incomplete and messages[3].content
        else:
            assert len(messages) == 3
        assert partial, "the reply was never saved while it streamed"
