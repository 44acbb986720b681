"""What a drag and drop carries, as the window understands it: local files and folders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent


def local_files(mime: QMimeData) -> list[Path]:
    """The local files and folders in a drop (web links and text are not files)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def accept_drag(event: QDragEnterEvent | QDragMoveEvent) -> bool:
    """A drag entering or moving over a widget that takes files: accepted when it carries
    local files (the pointer then says a drop is welcome), ignored otherwise."""
    if local_files(event.mimeData()):
        event.acceptProposedAction()
        return True
    event.ignore()
    return False


def take_drop(event: QDropEvent) -> list[Path]:
    """The local files a drop brings (accepted), or none (ignored)."""
    files = local_files(event.mimeData())
    if files:
        event.acceptProposedAction()
    else:
        event.ignore()
    return files
