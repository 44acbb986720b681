"""The window's local server in a process of its own, for the privacy test.

``python -m tests.window_server_process`` builds what the window builds for Settings → Local
server (``AppServices`` over the test's FIRESIDE_HOME, the engine client with the first
installed chat model loaded, ``LocalServerControl`` with its knowledge on the window's
knowledge base) under a Qt application, prints the server's address, serves until its
standard input closes, then stops. The test runs it under ``strace -f`` and sends the
requests from outside, so only the server's side is watched.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring.backends.fail
from PySide6.QtWidgets import QApplication

from core.engine.protocol import LoadOptions
from core.paths import AppPaths
from core.server.keys import ApiKeyStore
from core.settings import EngineSettings, ServerSettings, Settings
from desktop.server.control import LocalServerControl
from desktop.window.services import AppServices


def main() -> int:
    app = QApplication([])
    options = LoadOptions(n_ctx=1024, n_threads=1)
    settings = Settings(engine=EngineSettings(n_ctx=1024, n_threads=1))
    services = AppServices(AppPaths.from_env(), settings=settings)
    try:
        chat = next(m for m in services.registry.models() if m.kind == "chat")
        services.client.load_chat(chat.path, options)
        control = LocalServerControl(services, person_busy=lambda: False,
                                     chat_options=lambda: options,
                                     keys=ApiKeyStore(keyring.backends.fail.Keyring()))  # fmt: skip
        control.start(ServerSettings(port=0))
        print(control.base_url, flush=True)
        sys.stdin.read()  # the server runs in its own threads meanwhile
        control.stop()
    finally:
        services.close()
        app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
