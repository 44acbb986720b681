"""One data folder, one owner (issue 14, item 8): real processes contend for one folder.

The holder is a real second process that takes the lock as the window or a CLI command
does; the contender is the real ``fireside-cli``. Nothing here needs a model.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.chat.store import ChatStore
from core.data_lock import DataFolderBusy, DataFolderLock
from core.paths import AppPaths

ROOT = Path(__file__).resolve().parents[1]

HOLDER = """
import sys
from pathlib import Path
from core.data_lock import DataFolderLock
lock = DataFolderLock(Path(sys.argv[1]), sys.argv[2], "kb add notes").acquire()
print("ready", flush=True)
sys.stdin.read()  # hold until the test closes stdin (or kills this process)
lock.release()
"""


class Holder:
    """A process that owns the data folder until it is released or killed."""

    def __init__(self, data_dir: Path, kind: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(data_dir), kind], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout):
            assert stream is not None
            stream.close()


def cli(*args: str, lang: str = "en", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIRESIDE_LANG": lang}
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


@pytest.fixture
def paths(fireside_home: Path) -> AppPaths:
    paths = AppPaths.from_env().ensure()
    with ChatStore(paths.chats_db) as store:
        store.create_chat("Lease questions")
    return paths


def test_a_writing_command_is_refused_while_the_window_owns_the_folder(paths: AppPaths) -> None:
    holder = Holder(paths.data_dir, "window")
    try:
        result = cli("chats", "rename", "1", "Renamed")
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "close the window" in lines[0] and str(holder.pid) in lines[0]
        zh = cli("chats", "delete", "1", lang="zh_CN")
        assert zh.returncode == 1 and "请先关闭窗口" in zh.stderr
        # Reading commands work beside the window.
        listing = cli("chats", "list")
        assert listing.returncode == 0 and "Lease questions" in listing.stdout
    finally:
        holder.release()
    with ChatStore(paths.chats_db) as store:
        assert store.get_chat(1).title == "Lease questions"  # nothing was changed
    assert cli("chats", "rename", "1", "Renamed").returncode == 0


def test_a_lock_left_by_a_killed_process_is_recovered(paths: AppPaths) -> None:
    holder = Holder(paths.data_dir, "window")
    holder.kill()  # kill -9: no clean-up ran, the owner file still names the dead process
    assert (paths.data_dir / "fireside.owner.json").exists()
    result = cli("chats", "rename", "1", "After the crash")
    assert result.returncode == 0, result.stderr
    with ChatStore(paths.chats_db) as store:
        assert store.get_chat(1).title == "After the crash"


def test_a_second_cli_command_waits_for_the_first(paths: AppPaths) -> None:
    holder = Holder(paths.data_dir, "cli")
    waiting = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "chats", "rename", "1", "Second"], cwd=ROOT,
        env={**os.environ, "FIRESIDE_LANG": "en"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert waiting.stderr is not None
        line = waiting.stderr.readline()  # it says it waits, and for whom
        assert "Waiting for another fireside-cli" in line and str(holder.pid) in line
        assert "kb add notes" in line
        assert waiting.poll() is None  # still waiting: it has not written
        with ChatStore(paths.chats_db) as store:
            assert store.get_chat(1).title == "Lease questions"
    finally:
        holder.release()
    _out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    with ChatStore(paths.chats_db) as store:
        assert store.get_chat(1).title == "Second"


def test_the_lock_in_one_process(tmp_path: Path) -> None:
    first = DataFolderLock(tmp_path, "window").acquire()
    second = DataFolderLock(tmp_path, "cli", "kb add")
    with pytest.raises(DataFolderBusy) as busy:
        second.acquire()
    assert busy.value.owner is not None and busy.value.owner.kind == "window"
    assert busy.value.owner.pid == os.getpid()
    started = time.monotonic()
    with pytest.raises(DataFolderBusy):
        second.wait(poll_s=0.01, timeout_s=0.05)
    assert time.monotonic() - started < 30  # a hang check, not a speed figure
    first.release()
    assert not (tmp_path / "fireside.owner.json").exists()
    with second:
        assert second.held and second.owner() is not None
    assert not second.held


OPENER = """
import sys, time
from pathlib import Path
from core.chat.store import ChatStore
from core.knowledge.store import KnowledgeStore
start = float(sys.argv[2])
while time.time() < start:
    pass  # all openers leave this line within microseconds of each other
folder = Path(sys.argv[1])
ChatStore(folder / "chats.sqlite3").close()
KnowledgeStore(folder / "knowledge.sqlite3").close()
"""


def test_first_starts_at_the_same_moment_migrate_once(tmp_path: Path) -> None:
    """Measured before the fix: 2 of 10 pairs failed with 'table chats already exists'."""
    from core.chat.store import MIGRATIONS as CHAT_MIGRATIONS

    for trial in range(6):
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        start = time.time() + 1.5  # after every interpreter has started
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, str(folder), str(start)],
                cwd=ROOT,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        errors = [p.communicate(timeout=120)[1] for p in openers]
        assert [p.returncode for p in openers] == [0, 0, 0], errors
        with ChatStore(folder / "chats.sqlite3") as store:
            assert store.schema_version == len(CHAT_MIGRATIONS)
