"""``fireside``: starts the window. The engine process is started lazily by the client."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Sequence

from core.engine.client import EngineClient
from core.i18n import Translator, resolve_language
from core.paths import AppPaths
from core.settings import SettingsStore


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # the frozen app starts its engine from itself
    from PySide6.QtWidgets import QApplication

    from desktop.main_window import MainWindow

    args = list(sys.argv if argv is None else argv)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(args)
    app.setApplicationName("Fireside")
    from PySide6.QtGui import QIcon

    from desktop.resources import resource_path

    app.setWindowIcon(QIcon(str(resource_path("icons", "fireside.svg"))))
    paths = AppPaths.from_env().ensure()
    settings = SettingsStore(paths.settings_file).load()
    translate = Translator(resolve_language(settings.language))
    client = EngineClient(paths)
    window = MainWindow(client, settings, translate)
    model = next((a for a in args[1:] if a.endswith(".gguf")), None)
    if model:
        window.load_model(model)
    window.show()
    try:
        return int(app.exec())
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
