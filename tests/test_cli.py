"""fireside-cli as a person (or a script) uses it: real engine, real models, real exits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.engine.client import EngineClient

CLI = [sys.executable, "-m", "core.cli"]


def run_cli(*args: str, stdin: str = "", lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIRESIDE_LANG": lang}
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, text=True, env=env, timeout=600
    )


def _turns(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


KEYS = {"turn", "chat", "reply", "prompt_tokens", "cached_tokens", "evaluated_tokens",
        "ttft_s", "decode_tps", "stop_reason", "full_reprefills", "visible_turns"}  # fmt: skip


@pytest.mark.qwen
def test_json_chat_on_the_qwen_chat_model(qwen_path: Path, qwen_engine: EngineClient) -> None:
    result = run_cli(
        "chat", "--model", str(qwen_path), "--json", "--temperature", "0", "--max-tokens", "32",
        stdin="What is the capital of France? One word.\nAnd of Italy? One word.\n",
    )  # fmt: skip
    first, second = _turns(result)
    assert set(first) == KEYS
    assert first["turn"] == 1 and second["turn"] == 2
    assert "Paris" in str(first["reply"])
    assert "Rome" in str(second["reply"])
    assert first["cached_tokens"] == 0
    # From the second turn on only the new turn is evaluated, never the history.
    # ChatML glue around a turn is 10 tokens; one more if turn 1 was cut by --max-tokens.
    new_user_turn = qwen_engine.count_tokens("And of Italy? One word.")
    assert second["evaluated_tokens"] <= new_user_turn + 11
    assert second["cached_tokens"] >= first["prompt_tokens"]
    assert not result.stderr.strip()


def test_json_chat_on_the_gemma_model(gemma_path: Path) -> None:
    turns = _turns(run_cli(
        "chat", "--model", str(gemma_path), "--json", "--temperature", "0",
        "--max-tokens", "24", "--system", "You answer questions.",
        stdin="Hello there.\n\nHow are you?\n",  # the blank line is skipped
    ))  # fmt: skip
    assert [t["turn"] for t in turns] == [1, 2]
    for turn in turns:
        assert set(turn) == KEYS
        assert turn["stop_reason"] in {"eos", "stop_string", "length"}
        assert "User:" not in str(turn["reply"])
    assert turns[1]["evaluated_tokens"] < turns[1]["prompt_tokens"] // 2


def test_plain_output_streams_replies(gemma_path: Path) -> None:
    result = run_cli("chat", "--model", str(gemma_path), "--temperature", "0",
                     "--max-tokens", "8", stdin="Hi\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert not result.stdout.lstrip().startswith("{")


def _one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["chat"], "--model"),
        (["chat", "--model", "m.gguf", "--ctx", "abc"], "--ctx"),
        (["chat", "--model", "m.gguf", "--ctx", "0"], "--ctx"),
        (["chat", "--model", "m.gguf", "--temperature", "hot"], "--temperature"),
        (["chat", "--model", "m.gguf", "--max-tokens", "-5"], "--max-tokens"),
        (["chat", "--model", "m.gguf", "--bogus"], "--bogus"),
        (["fly"], "fly"),
        ([], "command"),
    ],
)
def test_bad_arguments(args: list[str], needle: str) -> None:
    assert needle in _one_line_error(run_cli(*args), 2)


def test_bad_arguments_in_chinese() -> None:
    line = _one_line_error(run_cli("chat", lang="zh_CN"), 2)
    assert "新对话需要指定 --model" in line
    line = _one_line_error(run_cli("chat", "--model", lang="zh_CN"), 2)
    assert "需要一个值" in line


def test_bad_model_files(tmp_path: Path, gemma_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(os.urandom(2048))
    half = tmp_path / "half.gguf"
    with gemma_path.open("rb") as src:
        half.write_bytes(src.read(10_000_000))
    assert "not found" in _one_line_error(run_cli("chat", "--model", "nope.gguf"), 1)
    assert "not a GGUF" in _one_line_error(run_cli("chat", "--model", str(junk)), 1)
    assert "incomplete" in _one_line_error(run_cli("chat", "--model", str(half)), 1)
    zh = _one_line_error(run_cli("chat", "--model", str(junk), lang="zh_CN"), 1)
    assert "不是 GGUF 模型文件" in zh


def test_damaged_settings_are_reported_and_kept(fireside_home: Path, gemma_path: Path) -> None:
    settings = fireside_home / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{oops", encoding="utf-8")
    result = run_cli("chat", "--model", str(gemma_path), "--max-tokens", "2", stdin="Hi\n")
    assert result.returncode == 0
    assert "set aside" in result.stderr
    kept = list(settings.parent.glob("settings.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == "{oops"


def test_installed_entry_point_exists() -> None:
    script = Path(sys.executable).parent / "fireside-cli"
    found = script if script.exists() else shutil.which("fireside-cli")
    assert found, "fireside-cli is not installed next to this Python"
    result = subprocess.run([str(found), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "chat" in result.stdout


def test_engine_killed_between_turns_is_survived(gemma_path: Path) -> None:
    import psutil

    with subprocess.Popen(
        [*CLI, "chat", "--model", str(gemma_path), "--json", "--max-tokens", "6"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "FIRESIDE_LANG": "en"},
    ) as cli:  # fmt: skip
        assert cli.stdin is not None and cli.stdout is not None and cli.stderr is not None
        cli.stdin.write("First question.\n")
        cli.stdin.flush()
        first = json.loads(cli.stdout.readline())
        assert first["turn"] == 1
        engines = [
            child for child in psutil.Process(cli.pid).children()
            if "resource_tracker" not in " ".join(child.cmdline())
        ]  # fmt: skip
        assert len(engines) == 1
        engines[0].kill()
        # It stays a zombie until the CLI notices; what matters is that it no longer runs.
        psutil.wait_procs(engines, timeout=0.5)
        assert not engines[0].is_running() or engines[0].status() == psutil.STATUS_ZOMBIE
        cli.stdin.write("Second question.\nThird question.\n")
        cli.stdin.close()
        rest = [json.loads(line) for line in cli.stdout]
        errors = cli.stderr.read()
        assert cli.wait(60) == 0, errors
        assert "Traceback" not in errors
        # A fresh engine answered, with the model loaded again; only the KV cache was lost.
        assert [r["turn"] for r in rest] == [2, 3]
        assert rest[0]["cached_tokens"] == 0
        assert rest[1]["cached_tokens"] > 0
