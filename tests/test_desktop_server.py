"""The window's local server (issue 17): Settings → Local server switches a server on the
window's own engine that the official ``openai`` client reaches; the window stays responsive
while it streams; its request list follows; a request for another model switches the
window's model (the status line says so) or, pinned, gets a clear 400; the person's own chat
goes before queued requests; a host beyond this computer needs a confirmation. Real engine
(Gemma 270M, Qwen 0.5B for the switch), real Qt offscreen."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import keyring.backends.fail
import openai
import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from core.engine.protocol import LoadOptions
from core.server.keys import ApiKeyStore
from core.settings import ServerSettings
from desktop.chat.conversation import Conversation
from desktop.server.control import HostNotConfirmed, LocalServerControl
from desktop.settings.dialog import SettingsDialog
from desktop.settings.server import ServerPage
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from desktop.window.workers import JobRunner
from tests.server_fixtures import OpenAIClients, client_for

__all__ = ["client_for"]  # fixture

REPLY_MS = 120_000
STALL_S = 5.0  # the window must answer within this while the server streams (not a speed)
OPTIONS = LoadOptions(n_ctx=2048, n_threads=1)
HI = [{"role": "user", "content": "Hi"}]


def session_keys() -> ApiKeyStore:
    return ApiKeyStore(keyring.backends.fail.Keyring())  # no keyring: a key for this session


@pytest.fixture
def outgoing(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every connection this process opens beyond loopback (the window-run server must open
    none; the engine process is watched from outside in test_privacy_processes)."""
    beyond: list[object] = []
    connect = socket.socket.connect

    def watched(sock: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in (
            "127.0.0.1", "::1", "localhost",
        ):  # fmt: skip
            beyond.append(address)
        return connect(sock, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", watched)
    return beyond


@pytest.fixture
def window(qtbot: QtBot, services: AppServices, gemma_path: Path, qwen_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:  # fmt: skip
    """The window with Gemma loaded (its default) and Qwen installed beside it."""
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)
    services.registry.import_file(gemma_path)
    win = MainWindow(services)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.model_ready, timeout=REPLY_MS):
        win.start()
    services.registry.import_file(qwen_path)
    yield win
    win.close()


def test_the_settings_switch_serves_the_window_model_and_follows_its_requests(
    qtbot: QtBot,
    window: MainWindow,
    gemma_path: Path,
    qwen_path: Path,
    outgoing: list[object],
    client_for: OpenAIClients,
) -> None:
    registry = window.services.registry
    gemma, qwen = registry.find_path(gemma_path), registry.find_path(qwen_path)
    assert gemma is not None and qwen is not None
    dialog = window.open_settings()
    assert isinstance(dialog, SettingsDialog) and dialog.server_page is not None
    page = dialog.server_page
    page.port_spin.setValue(0)  # any free port
    page.switch.click()
    control = window.dialogs.local_server
    url = control.base_url
    assert control.running and url is not None and url.startswith("http://127.0.0.1:")
    assert url in page.state_label.text() and not page.host_edit.isEnabled()
    assert window.services.settings.server.port == 0  # what runs is what is saved
    api = client_for(url)
    assert {gemma.id, qwen.id} <= {m.id for m in api.models.list().data}

    # A stream from another program while the window keeps answering its event loop.
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    streamed: list[str] = []

    def stream() -> None:
        for chunk in api.completions.create(model=gemma.id, prompt="1, 2, 3, 4, 5,",
                                            max_tokens=40, temperature=0, stream=True):  # fmt: skip
            streamed.append(chunk.choices[0].text)

    reader = threading.Thread(target=stream)
    timer.start()
    started = time.monotonic()
    reader.start()
    qtbot.waitUntil(lambda: not reader.is_alive(), timeout=REPLY_MS)
    timer.stop()
    assert "".join(streamed).strip()
    beats = [started, *ticks, time.monotonic()]
    stall = max(b - a for a, b in itertools.pairwise(beats))
    assert stall < STALL_S, f"the window did not answer for {stall:.1f} s while it streamed"

    def listed() -> list[str]:
        item = page.requests.topLevelItem(0)
        return [item.text(c) for c in range(page.requests.columnCount())] if item else []

    qtbot.waitUntil(lambda: listed()[1:2] == ["/v1/completions"] and "…" not in listed()[4],
                    timeout=10_000)  # fmt: skip
    row = listed()
    prompt, plus, completion = row[3].partition(" + ")
    assert row[2] == gemma.id and plus and int(prompt) > 0 and int(completion) > 0
    assert not any("1, 2, 3" in cell for cell in row)  # never what was asked

    # Pinned to the loaded model: another model is a clear 400, the window's model stays.
    page.pin_box.click()
    with pytest.raises(openai.BadRequestError) as pinned:
        api.chat.completions.create(model=qwen.id, max_tokens=2, messages=HI)  # type: ignore[arg-type]
    assert "only answers with the loaded model" in pinned.value.message
    assert window.model is not None and Path(window.model.path) == gemma_path.resolve()

    # Not pinned: the request loads Qwen, and the window's status line follows.
    page.pin_box.click()
    with qtbot.waitSignal(window.model_ready, timeout=REPLY_MS) as switched:
        reply = api.chat.completions.create(model=qwen.id, max_tokens=2, messages=HI)  # type: ignore[arg-type]
    assert reply.model == qwen.id
    info = switched.args[0]
    assert Path(info.path) == qwen_path.resolve() and window.model is info
    assert window.model_label.text().startswith(info.name)
    assert info.name in window.statusBar().currentMessage()  # the note says why

    page.switch.click()
    assert not control.running and page.host_edit.isEnabled()
    with pytest.raises(openai.APIConnectionError):
        api.models.list()
    assert outgoing == []


def test_the_persons_turn_goes_before_queued_requests(
    qtbot: QtBot, services: AppServices, gemma_path: Path, client_for: OpenAIClients
) -> None:
    """A stream runs, two requests wait behind it, then the person sends: when the stream
    ends, the person's reply is written before the waiting requests, which then go in the
    order they came."""
    gemma = services.registry.import_file(gemma_path)
    services.client.load_chat(gemma.path, OPTIONS)
    window_lane = JobRunner(name="engine")
    conversation = Conversation(services, window_lane)
    control = LocalServerControl(services, person_busy=lambda: conversation.busy,
                                 chat_options=lambda: OPTIONS, keys=session_keys())  # fmt: skip
    control.start(ServerSettings(port=0))
    try:
        assert control.base_url is not None and control.server is not None
        api = client_for(control.base_url)
        running = api.completions.create(model=gemma.id, prompt="1, 2, 3, 4, 5,",
                                         max_tokens=400, temperature=0, stream=True)  # fmt: skip
        next(iter(running))  # it holds the engine now
        lane = control.server.lane
        answers: list[object] = []
        first = threading.Thread(target=lambda: answers.append(
            api.chat.completions.create(model=gemma.id, max_tokens=4, messages=HI)))  # type: ignore[arg-type]  # fmt: skip
        second = threading.Thread(target=lambda: answers.append(
            api.completions.create(model=gemma.id, max_tokens=4, prompt="Once")))  # fmt: skip
        for waiting, pending in ((first, 2), (second, 3)):
            waiting.start()
            qtbot.waitUntil(lambda n=pending: lane.pending == n, timeout=10_000)

        pieces: list[float] = []
        conversation.piece.connect(lambda _text: pieces.append(time.time()))
        chat = services.chats.create_chat(model=None, system_prompt="")
        with qtbot.waitSignal(conversation.reply_ended, timeout=REPLY_MS):
            conversation.send(chat.id, "Hello there")
            running.close()  # the stream's client leaves: the engine is free
        qtbot.waitUntil(lambda: len(answers) == 2, timeout=REPLY_MS)
        records = {r.endpoint: r for r in control.server.recent.snapshot()[1:]}
        chat_first, then = records["/v1/chat/completions"], records["/v1/completions"]
        assert pieces and chat_first.engine_started_at and then.engine_started_at
        assert chat_first.engine_started_at > pieces[-1], "a waiting request went first"
        assert chat_first.finished_at and then.engine_started_at >= chat_first.finished_at
    finally:
        control.stop()
        window_lane.shutdown()


def test_a_host_beyond_this_computer_needs_a_confirmation_and_the_key(
    qtbot: QtBot, services: AppServices
) -> None:
    control = LocalServerControl(services, person_busy=lambda: False,
                                 chat_options=lambda: OPTIONS, keys=session_keys())  # fmt: skip
    with pytest.raises(HostNotConfirmed):
        control.start(ServerSettings(host="0.0.0.0", port=0))
    page = ServerPage(control)
    qtbot.addWidget(page)
    page.show()
    page.load(services.settings)
    assert page.key_edit.text() == ""  # opening Settings makes no key
    page.host_edit.setText("0.0.0.0")
    page.port_spin.setValue(0)
    asked: list[str] = []
    page.confirm = lambda host: asked.append(host) is not None  # declined
    page.switch.click()
    assert asked == ["0.0.0.0"] and not control.running and not page.switch.isChecked()
    assert "not confirmed" in page.message.text()

    page.confirm = lambda host: True
    page.switch.click()
    try:
        assert control.running and control.server is not None
        port = control.server.address[1]
        models = f"http://127.0.0.1:{port}/v1/models"
        assert httpx.get(models).status_code == 401  # no key, no answer
        key = page.key_edit.text()
        assert key == control.api_key() and key.startswith("fs-")
        assert httpx.get(models, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    finally:
        control.stop()
