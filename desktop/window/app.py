"""``fireside``: starts the window (or, with ``--self-test``, the headless self-test).

Start-up order matters for how fast the window appears: the window is shown first, with the
engine process started and the model loaded in the background, so the person sees Fireside at
once and the chat becomes usable when the model is ready.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.data_lock import DataFolderBusy, DataFolderLock
from core.diagnostics import Diagnostics
from core.i18n import Translator, resolve_language
from core.paths import AppPaths

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from desktop.window.main_window import MainWindow
    from desktop.window.services import AppServices

READY_ENV = "FIRESIDE_EXIT_WHEN_READY"  # bench/: print the launch time once usable, then quit
LINGER_ENV = "FIRESIDE_READY_LINGER_MS"  # with READY_ENV: milliseconds to stay after that


def _process_age_s() -> float:
    """Seconds since this process started (what a person waits after double-clicking).
    On Linux from /proc in clock ticks since boot: psutil's start time rests on a boot
    time rounded to whole seconds, up to a second off."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # the frozen app starts its engine from itself
    args = list(sys.argv if argv is None else argv)
    if "--self-test" in args:
        from core.self_test import main as self_test

        return self_test([a for a in args[1:] if a != "--self-test"])

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QMessageBox

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(args)
    app.setApplicationName("Fireside")
    app.setOrganizationName("Fireside")
    app.setDesktopFileName("fireside")

    from desktop.window.resources import resource_path

    app.setWindowIcon(QIcon(str(resource_path("icons", "fireside.svg"))))
    paths = AppPaths.from_env()
    try:
        paths.ensure()
        probe = paths.data_dir / ".fireside-write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        say = Translator(resolve_language("system"))
        message = say("data_folder_unwritable", path=str(paths.data_dir),
                     reason=exc.strerror or str(exc))  # fmt: skip
        print(message, file=sys.stderr)
        if not os.environ.get(READY_ENV):  # no one to click OK when measured or tested
            QMessageBox.critical(None, "Fireside", message)
        return 1

    diagnostics = Diagnostics(paths.log_dir).install()
    lock = DataFolderLock(paths.data_dir, "window", "fireside")
    try:
        lock.acquire()
    except DataFolderBusy as busy:
        if not _wait_for_data_folder(lock, busy):
            diagnostics.uninstall()
            return 0
    try:
        return _run_window(app, args, paths, diagnostics)
    finally:
        lock.release()
        diagnostics.uninstall()


def _wait_for_data_folder(lock: DataFolderLock, busy: DataFolderBusy) -> bool:
    """Another process owns the data folder. A window: bring it to the front and quit
    (False). A fireside-cli command: wait for it, saying so, unless the person quits."""
    from desktop.window.single_instance import WaitForDataFolder, ask_first_window_to_raise

    owner = busy.owner
    if owner is None or owner.kind == "window":
        if ask_first_window_to_raise(lock.data_dir):
            logging.getLogger(__name__).info("a second start brought the window to the front")
            return False
        if owner is not None:  # a window that does not answer (starting, or hung)
            print(f"Fireside is already open (process {owner.pid})", file=sys.stderr)
            return False
    print(f"waiting for {owner.command if owner else '?'} to finish with the data folder",
          file=sys.stderr)  # fmt: skip
    return WaitForDataFolder(lock, owner).exec() == 1


def _run_window(app: QApplication, args: list[str], paths: AppPaths,
                diagnostics: Diagnostics) -> int:  # fmt: skip
    from desktop.window.error_reporter import ErrorReporter
    from desktop.window.main_window import MainWindow
    from desktop.window.services import AppServices
    from desktop.window.single_instance import RaiseServer, bring_to_front
    from desktop.window.theme import apply_theme
    from desktop.window.translations import install_translators

    services = AppServices(paths)
    translators = install_translators(app, services.settings.language)
    apply_theme(app, services.settings.theme)
    window = MainWindow(services)
    reporter = ErrorReporter(window)
    diagnostics.on_error = reporter.report
    reporter.shown_again.connect(window.error_bar.show_message)
    raise_server = RaiseServer(paths.data_dir, window)
    raise_server.raise_requested.connect(lambda: bring_to_front(window))
    window.show()
    window.start()
    crashed = diagnostics.native_file if diagnostics.native_crash_before() is not None else None
    show_start_notices(window, services, crashed)
    model = next((a for a in args[1:] if a.lower().endswith(".gguf")), None)
    if model:
        window.import_model_file(model)
    if os.environ.get(READY_ENV):
        from PySide6.QtCore import QTimer

        def ready() -> None:
            print(f"ready {_process_age_s():.3f}", flush=True)
            # Tests that watch what a start does stay a while (its background work runs).
            QTimer.singleShot(int(os.environ.get(LINGER_ENV, "0") or 0), window.close)

        QTimer.singleShot(0, ready)
    try:
        return int(app.exec())
    finally:
        raise_server.close()
        del translators
        services.close()


def show_start_notices(window: MainWindow, services: AppServices,
                       native_crash: Path | None = None) -> list[str]:  # fmt: skip
    """Say once, in the error bar, what the start found and mended: a native crash last
    time, a settings file set aside, a damaged chats or knowledge database set aside and
    recovered (the store's ``recovery``; the next start finds a healthy one and says
    nothing)."""
    notices: list[str] = []
    if native_crash is not None:
        notices.append(
            window.tr("Fireside closed unexpectedly last time. What it left for a bug report "
                      "is in %1.").replace("%1", str(native_crash))
        )  # fmt: skip
    settings = services.settings_store
    if settings.recovered_from is not None:
        notices.append(
            window.tr("Your settings file could not be read; it was kept as %1 and defaults "
                      "are used.").replace("%1", str(settings.recovered_from))
        )  # fmt: skip
    elif settings.unreadable_kept is not None or settings.invalid:  # or a bad device value
        notices.append(settings.notice(services.translate) or "")
    for recovery in (services.chats.recovery, services.knowledge.store.recovery):
        if recovery is not None:
            notices.append(recovery.message(services.translate))
    if notices:
        window.error_bar.show_message("\n".join(notices))
    return notices


if __name__ == "__main__":
    sys.exit(main())
