"""Walking a folder the person added: which files to read, and what was passed over.

The walk stays in the folder. Hidden entries and files of kinds no reader knows are passed
over silently. A link is followed only to a file inside the folder (the real folder the
given path stands for); a link leading out of it (a file link to ``/etc/passwd``, a link to
``/etc``) is passed over and reported, so adding a folder never reads what lies outside it.
Linked folders are not descended (their files, when inside, are walked where they are),
which also means a link loop cannot hang the walk. A subfolder that cannot be listed, or
whose entries cannot be reached (no search permission, a path over the system's limit), is
reported with the reason and the walk goes on with the rest.

Both the ingestion and the window's list of what an ingestion will go through use it, so
the two agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.knowledge import readers


@dataclass(frozen=True)
class PassedOver:
    """A folder or link the walk did not go into, with its message code (core/i18n.py)."""

    path: Path
    code: str  # "kb_folder_unreadable" or "kb_link_outside"
    params: dict[str, Any]


@dataclass
class FolderWalk:
    files: list[tuple[Path, int]] = field(default_factory=list)  # (path, size), name order
    passed_over: list[PassedOver] = field(default_factory=list)

    @property
    def unreadable(self) -> list[Path]:
        return [p.path for p in self.passed_over if p.code == "kb_folder_unreadable"]

    @property
    def outside(self) -> set[str]:
        return {str(p.path) for p in self.passed_over if p.code == "kb_link_outside"}


def walk_folder(root: Path) -> FolderWalk:
    """The supported files under ``root`` and what was passed over (see the module)."""
    inside = os.path.realpath(root)
    walk = FolderWalk()
    stack = [root]
    while stack:
        folder = stack.pop()
        subfolders: list[Path] = []
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink():
                    _link(entry, inside, walk)
                elif entry.is_dir(follow_symlinks=False):
                    subfolders.append(Path(entry.path))
                elif readers.supported(Path(entry.name)) and entry.is_file():
                    walk.files.append((Path(entry.path), entry.stat().st_size))
        except OSError as exc:  # not listable, or its entries not reachable
            facts = {"path": str(folder), "reason": exc.strerror or str(exc)}
            walk.passed_over.append(PassedOver(folder, "kb_folder_unreadable", facts))
            continue
        stack.extend(reversed(subfolders))
    return walk


def _link(entry: os.DirEntry[str], inside: str, walk: FolderWalk) -> None:
    """A link: kept when it leads to a supported file inside the folder, reported when it
    leads out of it, passed over otherwise (a linked folder inside, a dangling link, a
    loop)."""
    path = Path(entry.path)
    try:
        target = os.path.realpath(entry.path)
        if os.path.commonpath([inside, target]) != inside:
            if os.path.isdir(target) or readers.supported(path):
                facts = {"path": str(path), "target": target}
                walk.passed_over.append(PassedOver(path, "kb_link_outside", facts))
            return
        if readers.supported(path) and os.path.isfile(target):
            walk.files.append((path, os.stat(target).st_size))
    except (OSError, ValueError):
        return
