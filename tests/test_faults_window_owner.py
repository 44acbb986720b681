"""The window owns its data folder (issue 14, item 8), with real window processes.

A second start brings the first window to the front and quits; a writing fireside-cli
command is refused while the window runs and reading ones work; a window started while a
command holds the folder waits for it and then opens; a window killed with -9 leaves a lock
that the next start takes over. The windows run offscreen; no model is needed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.chat.store import ChatStore
from core.paths import AppPaths
from tests.test_faults_two_process import Holder, cli

ROOT = Path(__file__).resolve().parents[1]
APP = [sys.executable, "-m", "desktop.window.app"]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FIRESIDE_LANG": "en", **extra}


def _owner(paths: AppPaths) -> dict[str, object] | None:
    try:
        data = json.loads((paths.data_dir / "fireside.owner.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _wait_for_window(paths: AppPaths, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        owner = _owner(paths)
        if owner is not None and owner.get("pid") == process.pid:
            return
        assert process.poll() is None, "the window exited before taking its data folder"
        time.sleep(0.2)
    raise AssertionError("the window never took its data folder")


@pytest.fixture
def paths(fireside_home: Path) -> AppPaths:
    paths = AppPaths.from_env().ensure()
    with ChatStore(paths.chats_db) as store:
        store.create_chat("Lease questions")
    return paths


@pytest.fixture
def window(paths: AppPaths) -> subprocess.Popen[str]:
    process = subprocess.Popen(APP, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    _wait_for_window(paths, process)
    yield process  # type: ignore[misc]
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
    assert process.stderr is not None
    process.stderr.close()


def test_a_second_start_brings_the_first_window_forward(
    paths: AppPaths, window: subprocess.Popen[str]
) -> None:
    second = subprocess.run(APP, cwd=ROOT, env=_env(), capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert window.poll() is None  # the first one runs on
    log_file = paths.log_dir / "fireside.log"
    assert "a second start brought the window to the front" in log_file.read_text("utf-8")
    # The first window reads the message in its own event loop, which can come after the
    # second start has written it and exited (CI saw the log read before it).
    deadline = time.monotonic() + 30
    while "brought to the front by a later start" not in log_file.read_text("utf-8"):
        assert time.monotonic() < deadline, "the first window never heard the second start"
        time.sleep(0.05)
    assert _owner(paths) is not None and _owner(paths)["pid"] == window.pid  # type: ignore[index]


def test_the_cli_writes_nothing_while_the_window_runs_and_reads_freely(
    paths: AppPaths, window: subprocess.Popen[str]
) -> None:
    refused = cli("chats", "rename", "1", "Renamed")
    assert refused.returncode == 1 and "close the window" in refused.stderr
    assert str(window.pid) in refused.stderr
    listing = cli("chats", "list")
    assert listing.returncode == 0 and "Lease questions" in listing.stdout


def test_a_window_killed_with_9_leaves_nothing_that_blocks_the_next(
    paths: AppPaths, window: subprocess.Popen[str]
) -> None:
    os.kill(window.pid, signal.SIGKILL)
    window.wait(timeout=30)
    ready = subprocess.run(APP, cwd=ROOT, env=_env(FIRESIDE_EXIT_WHEN_READY="1"),
                           capture_output=True, text=True, timeout=180)  # fmt: skip
    assert ready.returncode == 0, ready.stderr
    assert ready.stdout.startswith("ready ")


def test_a_window_waits_for_a_cli_command_then_opens(paths: AppPaths) -> None:
    holder = Holder(paths.data_dir, "cli")
    waiting = subprocess.Popen(APP, cwd=ROOT, env=_env(FIRESIDE_EXIT_WHEN_READY="1"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        assert waiting.stderr is not None
        line = waiting.stderr.readline()
        assert "waiting for kb add notes" in line
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting while the command works
    finally:
        holder.release()
    out, err = waiting.communicate(timeout=180)
    assert waiting.returncode == 0, err
    assert out.startswith("ready ")
