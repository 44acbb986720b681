"""Nothing leaves the machine, watched from outside the processes (issue 14, "Done when").

The older privacy tests patch Python's sockets inside the test process, which cannot see
native code, the engine process or a child. Here the real programs run under
``strace -f`` (every process and thread they start), and any connect or send to an internet
address (IPv4 or IPv6, name lookups included) fails the test. One run also goes into a
network namespace with no network at all (``unshare -rn``) and must still work.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.documents import write_library

ROOT = Path(__file__).resolve().parents[1]
EMBED = ["--embedding-ctx", "256", "--threads", "1"]
NETWORK_CALLS = "connect,sendto,sendmsg,sendmmsg"
INTERNET = re.compile(r"sa_family=AF_INET6?\b")

pytestmark = pytest.mark.skipif(
    shutil.which("strace") is None, reason="strace is not installed (Debian: strace)"
)


def watched(command: list[str], log: Path, *, stdin: str = "", env: dict[str, str] | None = None,
            isolate: bool = False) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run ``command`` under strace -f, writing the network calls of every process to
    ``log``; with ``isolate`` inside a namespace that has no network."""
    traced = ["strace", "-f", "-qq", "-e", f"trace={NETWORK_CALLS}", "-o", str(log), *command]
    if isolate:
        traced = ["unshare", "-rn", *traced]
    return subprocess.run(traced, cwd=ROOT, input=stdin, capture_output=True, text=True,
                          env={**os.environ, "FIRESIDE_LANG": "en", **(env or {})},
                          timeout=600)  # fmt: skip


def internet_calls(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if INTERNET.search(line)]


def test_ingestion_search_and_a_grounded_chat_use_no_network(
    fireside_home: Path, tmp_path: Path, gemma_path: Path, minilm_path: Path
) -> None:
    docs = tmp_path / "docs"
    write_library(docs)
    cli = [sys.executable, "-m", "core.cli"]
    embedding = ["--embedding-model", str(minilm_path), *EMBED]
    search = [*cli, "kb", "search", "When are roses pruned?", "--json", *embedding]
    chat = [*cli, "chat", "--model", str(gemma_path), "--kb", "default", *embedding, "--json",
            "--max-tokens", "8", "--temperature", "0"]  # fmt: skip
    runs = {
        "kb add": watched([*cli, "kb", "add", str(docs), *embedding], tmp_path / "add.log"),
        "kb search": watched(search, tmp_path / "search.log"),
        "chat --kb": watched(
            chat, tmp_path / "chat.log", stdin="How often must the beacon lamp be cleaned?\n"
        ),
    }
    for name, result in runs.items():
        assert result.returncode == 0, (name, result.stderr)
    turn = json.loads(runs["chat --kb"].stdout.splitlines()[-1])
    assert turn["citations"], "the chat was grounded"
    for name in ("add", "search", "chat"):
        log = tmp_path / f"{name}.log"
        assert log.exists()  # strace wrote its log
        assert internet_calls(log) == [], name


def test_a_grounded_chat_works_with_no_network_at_all(
    fireside_home: Path, tmp_path: Path, gemma_path: Path, minilm_path: Path
) -> None:
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("this machine does not allow network namespaces (unshare -rn)")
    docs = tmp_path / "docs"
    write_library(docs)
    cli = [sys.executable, "-m", "core.cli"]
    embedding = ["--embedding-model", str(minilm_path), *EMBED]
    added = watched([*cli, "kb", "add", str(docs), *embedding], tmp_path / "add.log",
                    isolate=True)  # fmt: skip
    assert added.returncode == 0, added.stderr
    chat = watched([*cli, "chat", "--model", str(gemma_path), "--kb", "default", *embedding,
                    "--json", "--max-tokens", "8", "--temperature", "0"], tmp_path / "chat.log",
                   stdin="How often must the beacon lamp be cleaned?\n",
                   isolate=True)  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    assert json.loads(chat.stdout.splitlines()[-1])["reply"]
    assert internet_calls(tmp_path / "chat.log") == []


@pytest.mark.parametrize("with_model", [True, False], ids=["chat model set", "first start"])
def test_the_window_starts_without_using_the_network(
    fireside_home: Path, tmp_path: Path, gemma_path: Path, with_model: bool
) -> None:
    """A start never asks the Hub, also on the very first start (the welcome suggests a
    model from the catalogue and asks the Hub only when the person asks it to)."""
    cli = [sys.executable, "-m", "core.cli"]
    if with_model:
        imported = subprocess.run([*cli, "models", "import", str(gemma_path), "--json"],
                                  cwd=ROOT, capture_output=True, text=True,
                                  timeout=120)  # fmt: skip
        assert imported.returncode == 0, imported.stderr
        model_id = json.loads(imported.stdout)["id"]
        used = subprocess.run([*cli, "models", "use", model_id], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert used.returncode == 0, used.stderr
    log = tmp_path / "window.log"
    started = watched([sys.executable, "-m", "desktop.window.app"], log,
                      env={"QT_QPA_PLATFORM": "offscreen", "FIRESIDE_EXIT_WHEN_READY": "1",
                           "FIRESIDE_READY_LINGER_MS": "3000"})  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("ready ")
    assert internet_calls(log) == []


def test_the_local_server_opens_no_outgoing_connection(
    fireside_home: Path, tmp_path: Path, qwen_path: Path, minilm_path: Path
) -> None:
    """fireside-cli serve, watched while other programs use it (issue 17): it answers a
    chat and an embedding request from this computer and never connects anywhere itself."""
    import signal

    import httpx

    from core.models.registry import ModelRegistry
    from core.paths import AppPaths

    paths = AppPaths.from_env()
    paths.ensure()
    registry = ModelRegistry(paths)
    chat_id, embed_id = registry.import_file(qwen_path).id, registry.import_file(minilm_path).id
    log = tmp_path / "serve.log"
    command = ["strace", "-f", "-qq", "-e", f"trace={NETWORK_CALLS}", "-o", str(log),
               sys.executable, "-m", "core.cli", "serve", "--port", "0", "--threads", "1",
               "--model", chat_id]  # fmt: skip
    with subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          text=True, start_new_session=True,
                          env={**os.environ, "FIRESIDE_LANG": "en"}) as server:  # fmt: skip
        assert server.stderr is not None
        url = ""
        for line in server.stderr:
            found = re.search(r"(http://\S+/v1)", line)
            if found:
                url = found.group(1)
                break
        assert url, "serve did not start"
        try:
            chat = httpx.post(url + "/chat/completions", timeout=120, json={
                "model": chat_id, "max_tokens": 3,
                "messages": [{"role": "user", "content": "Say hi."}],
            })  # fmt: skip
            words = {"model": embed_id, "input": ["roses", "lamps"]}
            embedded = httpx.post(url + "/embeddings", timeout=120, json=words)
        finally:
            # strace holds off fatal signals while it runs a command: this stops the server.
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=60)
    assert chat.status_code == 200, chat.text
    assert embedded.status_code == 200 and len(embedded.json()["data"]) == 2
    assert server.returncode == 0
    assert log.exists() and internet_calls(log) == []


def test_the_windows_local_server_opens_no_outgoing_connection(
    fireside_home: Path, tmp_path: Path, gemma_path: Path, minilm_path: Path
) -> None:
    """The server as the window runs it (Settings → Local server: in the window's process,
    on its engine client, its knowledge on the window's knowledge base), watched the same
    way while it answers a chat and an embedding request."""
    import httpx

    from core.models.registry import ModelRegistry
    from core.paths import AppPaths

    paths = AppPaths.from_env()
    paths.ensure()
    registry = ModelRegistry(paths)
    chat_id, embed_id = registry.import_file(gemma_path).id, registry.import_file(minilm_path).id
    log = tmp_path / "window-server.log"
    command = ["strace", "-f", "-qq", "-e", f"trace={NETWORK_CALLS}", "-o", str(log),
               sys.executable, "-m", "tests.window_server_process"]  # fmt: skip
    with subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True, env={**os.environ, "FIRESIDE_LANG": "en",
                                          "QT_QPA_PLATFORM": "offscreen"}) as server:  # fmt: skip
        assert server.stdin is not None and server.stdout is not None
        try:
            url = server.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:"), "the window's server did not start"
            chat = httpx.post(url + "/completions", timeout=120, json={
                "model": chat_id, "max_tokens": 3, "prompt": "Once upon a time",
            })  # fmt: skip
            words = {"model": embed_id, "input": ["roses", "lamps"]}
            embedded = httpx.post(url + "/embeddings", timeout=120, json=words)
        finally:
            server.stdin.close()
            server.wait(timeout=60)
    assert chat.status_code == 200, chat.text
    assert embedded.status_code == 200 and len(embedded.json()["data"]) == 2
    assert server.returncode == 0
    assert log.exists() and internet_calls(log) == []
