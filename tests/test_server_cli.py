"""``fireside-cli serve`` as a person runs it: a real process that loads the default chat
model, says where it listens, answers the openai client, and stops cleanly on Ctrl-C; on a
host beyond loopback it makes an API key and refuses requests without it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from core.models.registry import ModelRegistry
from core.paths import AppPaths
from core.settings import SettingsStore
from tests.server_fixtures import OpenAIClients, client_for, model_id, registry

__all__ = ["client_for", "registry"]  # fixtures

CLI = [sys.executable, "-m", "core.cli"]
URL = re.compile(r"(http://\S+/v1)")


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """fireside-cli serve on a free port; yields the process, its URL and its stderr lines."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    command = [*CLI, "serve", "--port", "0", "--threads", "1", *args]
    with subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          text=True, env=env) as process:  # fmt: skip
        lines: list[str] = []
        try:
            assert process.stderr is not None
            for line in process.stderr:
                lines.append(line.rstrip("\n"))
                found = URL.search(line)
                if found:
                    if "--host" in args:  # the key is said on the next line
                        lines.append(process.stderr.readline().rstrip("\n"))
                    yield process, found.group(1), lines
                    break
            else:
                raise AssertionError(f"serve did not start: {lines}")
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    raise


def test_serve_loads_the_default_model_answers_and_stops_on_ctrl_c(
    registry: ModelRegistry, qwen_path: Path, client_for: OpenAIClients
) -> None:
    qwen = model_id(registry, qwen_path)
    settings = SettingsStore(AppPaths.from_env().settings_file)
    settings.save(settings.load().__class__(chat_model=qwen))
    with serving() as (process, url, lines):
        assert url.startswith("http://127.0.0.1:")
        assert any(qwen in line for line in lines)  # "Loaded <id>" before listening
        api = client_for(url)
        assert [m.id for m in api.models.list().data] == [qwen]
        reply = api.chat.completions.create(
            model=qwen, messages=[{"role": "user", "content": "Say hi."}], max_tokens=3
        )
        assert reply.choices[0].message.content
        assert reply.usage is not None and reply.usage.completion_tokens <= 3
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_serve_beyond_loopback_makes_a_key_and_refuses_requests_without_it(
    registry: ModelRegistry,
) -> None:
    with serving("--host", "0.0.0.0") as (_, url, lines):
        said = next(line for line in lines if "Bearer" in line)
        key = said.rsplit(" ", 1)[-1]
        assert key.startswith("fs-")
        assert any("this session only" in line for line in lines)  # no keyring here
        local = url.replace("0.0.0.0", "127.0.0.1")
        assert httpx.get(local + "/models").status_code == 401
        allowed = httpx.get(local + "/models", headers={"Authorization": f"Bearer {key}"})
        assert allowed.status_code == 200
        assert [m["id"] for m in allowed.json()["data"]] == [m.id for m in registry.models()]


def test_serve_with_an_unknown_model_says_so_in_one_line(registry: ModelRegistry) -> None:
    result = subprocess.run([*CLI, "serve", "--port", "0", "--model", "nope"],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "No installed model is called 'nope'" in line
