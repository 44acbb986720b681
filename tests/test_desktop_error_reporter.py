"""An unexpected error in the window: shown once with details to copy, and survived."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from core.diagnostics import Diagnostics
from desktop.window.error_reporter import ErrorReporter


def test_an_error_in_a_worker_thread_opens_one_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    reporter = ErrorReporter(parent)
    diagnostics = Diagnostics(tmp_path / "logs", build="b1234").install()
    diagnostics.on_error = reporter.report
    try:

        def fail() -> None:
            raise RuntimeError("the knowledge lane fell over")

        with qtbot.waitSignal(reporter.reported, timeout=10_000):
            thread = threading.Thread(target=fail, name="knowledge")
            thread.start()
            thread.join()
        qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
        dialog = reporter.dialog
        assert dialog is not None
        assert "RuntimeError: the knowledge lane fell over" in dialog.details
        assert "llama.cpp: b1234" in dialog.details_box.toPlainText()
        dialog.copy_button.click()
        assert QApplication.clipboard().text() == dialog.details
        assert dialog.isVisible()  # copying does not close it

        # A second error does not stack another dialog: it goes to the error line.
        with qtbot.waitSignal(reporter.shown_again, timeout=10_000) as again:
            thread = threading.Thread(target=fail, name="knowledge")
            thread.start()
            thread.join()
        assert again.args == ["RuntimeError: the knowledge lane fell over"]
        assert reporter.dialog is dialog and reporter.count == 2
        dialog.close()
    finally:
        diagnostics.uninstall()
