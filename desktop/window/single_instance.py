"""One window per data folder: the second start brings the first to the front.

The window owns its data folder's lock (core/data_lock.py) for as long as it runs. A second
double-click finds the lock taken by a window, tells that window through a local socket to
come to the front, and quits: a person sees their one window, and the model is never loaded
twice. When a fireside-cli command holds the lock (an ingestion in a terminal), the window
says who, waits for it, and opens when it is done, or quits if the person would rather.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QMessageBox, QWidget

from core.data_lock import DataFolderBusy, DataFolderLock, LockOwner

RAISE = b"raise\n"


def server_name(data_dir: Path) -> str:
    """A name for this data folder's socket, the same for every process that uses it."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"fireside-{digest}"


def ask_first_window_to_raise(data_dir: Path, timeout_s: float = 10.0) -> bool:
    """Tell the running window to come to the front; False when none answered in time.
    The first window may still be starting (it owns the folder before it listens), so
    connecting is retried."""
    deadline = time.monotonic() + timeout_s
    socket = QLocalSocket()
    while True:
        socket.connectToServer(server_name(data_dir))
        if socket.waitForConnected(500):
            break
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    sent = socket.write(RAISE) == len(RAISE)
    if socket.bytesToWrite() > 0:
        socket.waitForBytesWritten(2000)
    sent = sent and socket.bytesToWrite() == 0
    socket.disconnectFromServer()
    return sent


class RaiseServer(QObject):
    """Listens for later starts on this data folder and emits ``raise_requested``."""

    raise_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self.server = QLocalServer(self)
        # A socket file left by a killed window: safe to remove, this process holds the lock.
        QLocalServer.removeServer(self.name)
        self.listening = self.server.listen(self.name)
        self.server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(RAISE.strip()):
            logging.getLogger(__name__).info("brought to the front by a later start")
            self.raise_requested.emit()

    def close(self) -> None:
        self.server.close()


def bring_to_front(window: QWidget) -> None:
    window.showNormal() if window.isMinimized() else window.show()
    window.raise_()
    window.activateWindow()


class WaitForDataFolder(QMessageBox):
    """Shown while a fireside-cli command holds the data folder: says which, and closes by
    itself (accepted) once the lock is this process's. Quit rejects it."""

    def __init__(self, lock: DataFolderLock, owner: LockOwner | None) -> None:
        super().__init__()
        self.lock = lock
        self.setWindowTitle("Fireside")
        self.setIcon(QMessageBox.Icon.Information)
        who = f"{owner.command} ({owner.pid})" if owner is not None else "?"
        self.setText(
            self.tr("Another Fireside program is using your data: %1. Fireside will open as "
                    "soon as it has finished.").replace("%1", who)
        )  # fmt: skip
        self.addButton(self.tr("Quit"), QMessageBox.ButtonRole.RejectRole)
        self.timer = QTimer(self)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self._try)
        self.timer.start()

    def _try(self) -> None:
        try:
            self.lock.acquire()
        except DataFolderBusy:
            return
        self.timer.stop()
        self.accept()
