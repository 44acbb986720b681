"""An engine that dies before its greeting says why, from its exit status.

The engine process is started by multiprocessing; here the program it starts is a small
shell script that dies as a broken engine would, for real: killed by SIGILL (what
llama.cpp built for a newer processor does on an older one: the developer bundle under
``qemu-x86_64 -cpu Nehalem``, packaging/release-check), by SIGKILL, or exiting with a
status. The client must name the cause in the person's language, not only "exited at
start", and start a healthy engine the next time."""

from __future__ import annotations

import multiprocessing
import multiprocessing.spawn
from collections.abc import Callable, Iterator
from multiprocessing import resource_tracker
from pathlib import Path

import pytest

from core.engine.client import EngineClient
from core.engine.errors import EngineStartError
from core.i18n import Translator


@pytest.fixture
def engine_program(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Make the next engine start run a shell script instead of Python. multiprocessing
    starts its resource tracker with the same program: that one still gets Python."""
    original = multiprocessing.spawn.get_executable()
    resource_tracker.ensure_running()

    def use(body: str) -> None:
        script = tmp_path / "engine"
        script.write_text(
            f'#!/bin/sh\ncase "$*" in *resource_tracker*) exec "{original}" "$@" ;; esac\n{body}\n',
            encoding="utf-8",
        )
        script.chmod(0o755)
        multiprocessing.set_executable(str(script))

    yield use
    multiprocessing.set_executable(original)


def _start_failure(engine_log: Path) -> EngineStartError:
    client = EngineClient(log_path=engine_log)
    try:
        with pytest.raises(EngineStartError) as failed:
            client.start()
    finally:
        client.close()
    return failed.value


def test_an_illegal_instruction_at_start_is_said_in_both_languages(
    engine_program: Callable[[str], None], engine_log: Path
) -> None:
    engine_program("kill -ILL $$")
    error = _start_failure(engine_log)
    assert error.code == "engine_illegal_instruction"
    english = error.message(Translator("en"))
    assert "illegal instruction" in english and "newer processor" in english
    assert "非法指令" in error.message(Translator("zh_CN"))


@pytest.mark.parametrize(("body", "said"), [
    ("kill -KILL $$", "exited at start on signal 9 (SIGKILL)"),
    ("exit 3", "exited at start with status 3"),
])  # fmt: skip
def test_other_deaths_at_start_name_the_signal_or_the_status(
    engine_program: Callable[[str], None], engine_log: Path, body: str, said: str
) -> None:
    engine_program(body)
    error = _start_failure(engine_log)
    assert error.code == "engine_start_failed"
    assert error.message(Translator("en")) == f"The engine could not start: {said}"


def test_the_next_start_after_a_failed_one_is_a_working_engine(
    engine_program: Callable[[str], None], engine_log: Path
) -> None:
    original = multiprocessing.spawn.get_executable()
    engine_program("kill -ILL $$")
    client = EngineClient(log_path=engine_log)
    try:
        with pytest.raises(EngineStartError):
            client.start()
        multiprocessing.set_executable(original)  # the real engine again
        ready = client.start()
        assert ready.pid > 0 and client.alive
    finally:
        client.close()
