"""``fireside --self-test``: the real engine, chat and knowledge once, and every bad input
refused with its reason. The frozen bundle runs the same code (packaging/smoke-test)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import string
import subprocess
import sys
from pathlib import Path

import pytest

from core import self_test
from core.engine.errors import EngineStartError
from core.i18n import Translator
from core.self_test import MESSAGES, Options, SelfTest, main
from tests.gguf_writer import write_gguf

ROOT = Path(__file__).resolve().parent.parent
STEPS = (
    "model file", "data folder", "temporary home", "engine started", "chat model loaded",
    "one turn answered", "document indexed", "document retrieved", "engine stopped",
)  # fmt: skip


def _ok_lines(out: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^ok  (.+?) \d+\.\d s", out, re.MULTILINE)]


def test_passes_on_the_real_model_in_process(
    gemma_path: Path, fireside_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = os.environ["FIRESIDE_HOME"]
    run = SelfTest(Options(model=gemma_path, threads=1), Translator("en"))
    assert run.run() == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert _ok_lines(out) == list(STEPS)
    assert re.search(r"^self-test passed in \d+\.\d s$", out, re.MULTILINE)
    assert run.report.reply
    assert run.report.citation.startswith(self_test.DOCUMENT_NAME + ", characters 0-")
    # Everything happened in the temporary home, which is gone; the person's home only
    # got its (empty) folders, as the app itself makes them on first start.
    assert run.report.home is not None and not run.report.home.exists()
    assert os.environ["FIRESIDE_HOME"] == before
    assert sorted(p.name for p in fireside_home.iterdir()) == ["cache", "config", "data", "logs"]
    assert not any(p.is_file() for p in fireside_home.rglob("*"))


def test_passes_as_a_subprocess_and_keeps_its_home_when_asked(
    gemma_path: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "FIRESIDE_HOME": str(tmp_path / "home"), "FIRESIDE_LANG": "zh_CN"}
    result = subprocess.run(
        [sys.executable, "-m", "core.self_test", "--self-test", "--model", str(gemma_path),
         "--threads", "1", "--keep"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _ok_lines(result.stdout) == list(STEPS)
    assert "自检通过" in result.stdout  # the closing line speaks the person's language
    kept = Path(result.stdout.split("已保留临时数据文件夹：")[1].split("\n")[0].strip())
    try:
        with sqlite3.connect(kept / "data" / "chats.sqlite3") as db:
            roles = [r for (r,) in db.execute("SELECT role FROM messages ORDER BY id")]
        assert roles == ["user", "assistant"]
        assert (kept / "data" / "knowledge.sqlite3").is_file()
        assert (kept / "data" / "vectors").is_dir()
    finally:
        shutil.rmtree(kept, ignore_errors=True)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_missing_model_is_refused_before_anything_starts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere.gguf"
    code, out, err = _run(["--self-test", "--model", str(missing)], capsys)
    assert code == 1
    assert err == f"FAILED model file: Model file not found: {missing}\n"
    assert out == ""
    monkeypatch.setenv("FIRESIDE_LANG", "zh_CN")
    code, _, err = _run(["--model", str(missing)], capsys)
    assert code == 1
    assert err == f"FAILED model file: 找不到模型文件：{missing}\n"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"this is not a model at all", "is not a GGUF model file"),
        (b"GGUF\x03\x00\x00\x00\x01", "is incomplete"),
    ],
)
def test_a_broken_model_is_refused_before_anything_starts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, words: str
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(content)
    code, out, err = _run(["--model", str(broken)], capsys)
    assert code == 1
    assert err.startswith("FAILED model file: ") and words in err
    assert err.count("\n") == 1
    assert "engine" not in out


def test_an_embedding_model_cannot_be_the_chat_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, gemma_path: Path
) -> None:
    bert = write_gguf(tmp_path / "bert.gguf", {"general.architecture": "bert"},
                      [("w", (4,), 0)])  # fmt: skip
    code, _, err = _run(["--model", str(bert)], capsys)
    assert code == 1
    assert "FAILED model file: " in err and "embedding model" in err
    code, _, err = _run(["--model", str(gemma_path), "--embedding-model",
                         str(tmp_path / "no-embedder.gguf")], capsys)  # fmt: skip
    assert code == 1
    assert err.startswith("FAILED model file: Model file not found: ")


def test_a_model_llama_cpp_cannot_load_fails_at_loading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hollow = write_gguf(
        tmp_path / "hollow.gguf",
        {"general.architecture": "llama", "llama.block_count": 1, "llama.context_length": 64,
         "llama.embedding_length": 8, "llama.attention.head_count": 1},
        [("token_embd.weight", (8, 4), 0)],
    )  # fmt: skip
    code, out, err = _run(["--model", str(hollow), "--threads", "1"], capsys)
    assert code == 1
    assert "ok  engine started" in out
    assert err.startswith("FAILED chat model loaded: ")
    assert "hollow.gguf" in err


def test_an_unwritable_data_folder_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    gemma_path: Path,
) -> None:  # fmt: skip
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    monkeypatch.setenv("FIRESIDE_HOME", str(a_file / "home"))
    code, out, err = _run(["--model", str(gemma_path)], capsys)
    assert code == 1
    assert err.startswith(f"FAILED data folder: The data folder {a_file / 'home'}")
    assert "cannot be written to" in err
    assert "engine" not in out
    monkeypatch.setenv("FIRESIDE_LANG", "zh_CN")
    code, _, err = _run(["--model", str(gemma_path)], capsys)
    assert code == 1 and "无法写入数据文件夹" in err


def test_a_data_folder_the_system_refuses_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    gemma_path: Path,
) -> None:  # fmt: skip
    """A folder that exists but cannot be written: on Linux one under /sys, which refuses
    even root (permission bits would not stop root, and CI runs as root); elsewhere a folder
    without write permission."""
    if Path("/sys/kernel").is_dir():
        home, reason = Path("/sys/fireside-home"), "Operation not permitted"
    else:
        home, reason = tmp_path / "read-only", "Permission denied"
        home.mkdir()
        home.chmod(0o500)
    monkeypatch.setenv("FIRESIDE_HOME", str(home))
    try:
        code, out, err = _run(["--model", str(gemma_path)], capsys)
    finally:
        if home.is_relative_to(tmp_path):
            home.chmod(0o700)
    assert code == 1 and reason in err and "engine" not in out


def test_a_failing_step_says_which_and_cleans_up(
    capsys: pytest.CaptureFixture[str], gemma_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_engine(self: object) -> None:
        raise EngineStartError("engine_start_failed", reason="no processes left")

    monkeypatch.setattr(self_test.EngineClient, "start", no_engine)
    run = SelfTest(Options(model=gemma_path), Translator("zh_CN"))
    assert run.run() == 1
    err = capsys.readouterr().err
    assert err == "FAILED engine started: 引擎无法启动：no processes left\n"
    assert run.report.home is not None and not run.report.home.exists()


def test_an_unexpected_error_is_one_line(
    capsys: pytest.CaptureFixture[str], gemma_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: object) -> None:
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setattr(self_test.EngineClient, "start", boom)
    assert main(["--model", str(gemma_path)]) == 1
    err = capsys.readouterr().err
    assert err == "FAILED engine started: Unexpected error: RuntimeError: first line second line\n"


@pytest.mark.parametrize("args", [[], ["--model"], ["--model", "m.gguf", "--threads", "0"]])
def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    assert main(args) == 2
    assert "usage: fireside --self-test" in capsys.readouterr().err


def test_messages_exist_in_both_languages_with_the_same_placeholders() -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for code, entry in MESSAGES.items():
        assert set(entry) == {"en", "zh_CN"}, code
        assert fields(entry["en"]) == fields(entry["zh_CN"]), code


def test_never_imports_qt() -> None:
    code = "import sys, core.self_test\nassert 'PySide6' not in sys.modules\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT)  # fmt: skip
    assert result.returncode == 0, result.stderr
