"""Logs and crash reports (issue 14, item 12): nothing unexpected vanishes without a trace."""

from __future__ import annotations

import errno
import io
import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.diagnostics import Diagnostics


@pytest.fixture
def diagnostics(tmp_path: Path) -> Diagnostics:
    d = Diagnostics(tmp_path / "logs", build="test build").install()
    yield d  # type: ignore[misc]
    d.uninstall()


def test_an_uncaught_exception_is_logged_and_reported_once(diagnostics: Diagnostics) -> None:
    seen: list[tuple[str, str]] = []
    diagnostics.on_error = lambda summary, details: seen.append((summary, details))
    try:
        raise ValueError("the slot failed\nsecond line")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert len(seen) == 1
    summary, details = seen[0]
    assert summary == "ValueError: the slot failed"
    assert "Fireside " in details and "llama.cpp: test build" in details
    assert "test_an_uncaught_exception_is_logged" in details  # the traceback
    log = diagnostics.log_file.read_text(encoding="utf-8")
    assert "unexpected error" in log and "ValueError: the slot failed" in log


def test_an_exception_in_a_thread_is_reported(diagnostics: Diagnostics) -> None:
    seen: list[str] = []
    diagnostics.on_error = lambda summary, _details: seen.append(summary)

    def work() -> None:
        raise RuntimeError("worker died")

    thread = threading.Thread(target=work, name="knowledge lane")
    thread.start()
    thread.join()
    assert seen == ["RuntimeError: worker died"]
    assert "in thread knowledge lane" in diagnostics.log_file.read_text(encoding="utf-8")


def test_a_failing_callback_does_not_fail_the_report(diagnostics: Diagnostics) -> None:
    def broken(_summary: str, _details: str) -> None:
        raise RuntimeError("dialog could not open")

    diagnostics.on_error = broken
    error = KeyError("x")
    sys.excepthook(KeyError, error, None)
    assert "error callback failed" in diagnostics.log_file.read_text(encoding="utf-8")


def test_uninstall_restores_the_hooks(tmp_path: Path) -> None:
    before = (sys.excepthook, threading.excepthook)
    d = Diagnostics(tmp_path).install()
    assert sys.excepthook != before[0]
    d.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_a_native_crash_leaves_a_trace_the_next_start_reads(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    crash = (
        "import ctypes, sys\n"
        "from pathlib import Path\n"
        "from core.diagnostics import Diagnostics\n"
        f"Diagnostics(Path({str(logs)!r})).install()\n"
        "ctypes.string_at(0)\n"  # a real segmentation fault in native code
    )
    result = subprocess.run([sys.executable, "-c", crash], cwd=Path(__file__).parents[1],
                            capture_output=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    after = Diagnostics(logs).install()
    try:
        trace = after.native_crash_before()
        assert trace is not None and "Segmentation fault" in trace
        assert after.native_crash_before() is None  # reported once
    finally:
        after.uninstall()


def test_a_read_only_log_folder_does_not_stop_the_start(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x", encoding="utf-8")
    d = Diagnostics(blocked / "logs").install()  # cannot create: a file is in the way
    try:
        seen: list[str] = []
        d.on_error = lambda summary, _details: seen.append(summary)
        sys.excepthook(OSError, OSError("disk"), None)
        assert seen == ["OSError: disk"]
        assert d.log_tail() == []
    finally:
        d.uninstall()


def test_the_cli_says_an_unexpected_error_in_one_line_and_logs_it(
    fireside_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug reached by a command (simulated: chats list raising) is one line with where the
    details are, never a traceback on the terminal; the traceback is in the log."""
    import core.cli

    def broken(*_args: object) -> int:
        raise RuntimeError("a bug in listing")

    monkeypatch.setattr(core.cli, "run_chats", broken)
    monkeypatch.setenv("FIRESIDE_LANG", "zh_CN")
    assert core.cli.main(["chats", "list"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("意外错误：RuntimeError: a bug in listing")
    log = fireside_home / "logs" / "fireside.log"
    assert str(log) in err[0]
    assert "Traceback" in log.read_text(encoding="utf-8")


def test_a_log_that_cannot_be_written_says_nothing_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a full disk the log write fails; that must not print a traceback to stderr (the
    CLI's one-line message is all a person should see)."""
    d = Diagnostics(tmp_path / "logs").install()
    try:
        handler = d._handler
        assert handler is not None

        class FullDisk(io.StringIO):
            def write(self, _text: str) -> int:
                raise OSError(errno.ENOSPC, "No space left on device")

        real = handler.stream  # type: ignore[attr-defined]
        handler.stream = FullDisk()  # type: ignore[attr-defined]
        try:
            logging.getLogger("core.test").warning("something to log")
        finally:
            handler.stream = real  # type: ignore[attr-defined]
        assert capsys.readouterr().err == ""
    finally:
        d.uninstall()
