"""How much room a folder's disk has, behind a small interface so tests can say "little".

A download checks this before it writes a byte: running out of space half way through a
5 GB file would leave the disk full and the download useless. Tests pass a double that
reports a chosen figure, because filling a real disk is neither fast nor polite.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Protocol


class DiskSpace(Protocol):
    def free_bytes(self, folder: Path) -> int:
        """Bytes a new file in ``folder`` may use."""
        ...

    def same_disk(self, a: Path, b: Path) -> bool:
        """Whether two existing folders live on one file system (a rename is then atomic)."""
        ...


class SystemDiskSpace:
    """The real figures, from the operating system."""

    def free_bytes(self, folder: Path) -> int:
        return shutil.disk_usage(_existing(folder)).free

    def same_disk(self, a: Path, b: Path) -> bool:
        return _existing(a).stat().st_dev == _existing(b).stat().st_dev


def _existing(folder: Path) -> Path:
    """The nearest folder that exists (a download's target folder may not exist yet)."""
    current = folder
    while not current.exists() and current.parent != current:
        current = current.parent
    return current
