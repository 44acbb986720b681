"""What a GGUF file name says: its quantization, whether it is one part of a split model,
and whether it is safe to use as a path under the models folder.

People choose "Q4_K_M" rather than a file, and large models come as several parts
(``model-Q8_0-00001-of-00003.gguf``) that must be downloaded and counted together. Names
come from a remote server, so they are checked before they become paths: a name that could
climb out of the models folder (``../``, an absolute path, a drive letter) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final

from core.models.errors import BadRequest

SPLIT_RE: Final = re.compile(r"^(?P<stem>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.I)
# Ordered: longer, more specific names first so "Q4_K_M" wins over "Q4_K".
_QUANT_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])("
    r"IQ[1-4]_(?:XXS|XS|S|M|NL)|"
    r"Q[2-8]_K_(?:XL|L|M|S)|Q[2-8]_K|"
    r"Q[4-8]_[01]|Q2_K_S|"
    r"TQ[12]_0|MXFP4(?:_MOE)?|"
    r"BF16|F16|FP16|F32|FP32"
    r")(?![A-Za-z0-9])",
    re.I,
)
_REPO_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")
PROJECTOR_HINTS: Final = ("mmproj", "projector", "imatrix")


def quantization_of(filename: str) -> str | None:
    """The quantization a file name declares (upper case), or None if it declares none."""
    name = PurePosixPath(filename).name
    found = _QUANT_RE.findall(name.replace(".", "-"))
    if not found:
        # Some repositories keep each quantization in a folder: "Q4_K_M/model-00001-of-2.gguf".
        found = _QUANT_RE.findall(filename.replace(".", "-"))
    if not found:
        return None
    quant = str(found[-1]).upper()
    return {"FP16": "F16", "FP32": "F32"}.get(quant, quant)


@dataclass(frozen=True)
class SplitPart:
    stem: str
    index: int
    count: int


def split_part(filename: str) -> SplitPart | None:
    """``x-00002-of-00003.gguf`` -> SplitPart('x', 2, 3); None for a whole file."""
    match = SPLIT_RE.match(filename)
    if match is None:
        return None
    index, count = int(match["index"]), int(match["count"])
    if not 1 <= index <= count:
        return None
    return SplitPart(match["stem"], index, count)


def split_names(filename: str) -> list[str]:
    """Every part's name for a split file (any part may be given), or just the name."""
    part = split_part(filename)
    if part is None:
        return [filename]
    return [f"{part.stem}-{i:05d}-of-{part.count:05d}.gguf" for i in range(1, part.count + 1)]


def is_auxiliary(filename: str) -> bool:
    """Vision projectors and importance matrices: GGUF files that are not models to chat with."""
    lower = PurePosixPath(filename).name.lower()
    return any(hint in lower for hint in PROJECTOR_HINTS)


@dataclass(frozen=True)
class RemoteFileInfo:
    """One file of a repository as the Hub lists it."""

    filename: str
    size: int | None
    sha256: str | None = None


@dataclass(frozen=True)
class ModelFileGroup:
    """One downloadable model in a repository: a single GGUF file or all parts of a split one.

    ``filename`` is what to download and load (the first part of a split model).
    """

    quantization: str
    filename: str
    parts: tuple[RemoteFileInfo, ...]

    @property
    def size(self) -> int:
        return sum(p.size or 0 for p in self.parts)

    @property
    def is_split(self) -> bool:
        return len(self.parts) > 1

    @property
    def complete(self) -> bool:
        """All parts of a split model are present in the listing."""
        part = split_part(self.filename)
        return part is None or len(self.parts) == part.count


def group_model_files(files: Iterable[RemoteFileInfo]) -> list[ModelFileGroup]:
    """GGUF model files grouped into downloadable models, smallest first.

    Split parts are gathered under their first part; projectors and importance matrices are
    left out (they are not models); names without a quantization are grouped as "unknown".
    """
    whole: list[ModelFileGroup] = []
    splits: dict[tuple[str, int], list[tuple[int, RemoteFileInfo]]] = {}
    for info in files:
        if not info.filename.lower().endswith(".gguf") or is_auxiliary(info.filename):
            continue
        quant = quantization_of(info.filename) or "unknown"
        part = split_part(info.filename)
        if part is None:
            whole.append(ModelFileGroup(quant, info.filename, (info,)))
        else:
            splits.setdefault((part.stem, part.count), []).append((part.index, info))
    for (stem, count), members in splits.items():
        members.sort(key=lambda item: item[0])
        first = f"{stem}-00001-of-{count:05d}.gguf"
        quant = quantization_of(first) or "unknown"
        whole.append(ModelFileGroup(quant, first, tuple(info for _, info in members)))
    return sorted(whole, key=lambda g: (g.size, g.filename))


def check_repo_id(repo: str) -> str:
    """An ``owner/name`` repository id, or :class:`BadRequest`."""
    if not _REPO_RE.match(repo) or ".." in repo or repo.endswith((".", "-")):
        raise BadRequest("models_bad_repo", repo=repo)
    return repo


def check_filename(filename: str) -> str:
    """A relative GGUF file name that stays inside the folder it is joined to.

    Refuses absolute paths, drive letters, backslashes, ``.`` and ``..`` segments and empty
    segments, whatever the server or the person sent.
    """
    bad = (
        not filename
        or "\\" in filename
        or "\0" in filename
        or filename.startswith("/")
        or re.match(r"^[A-Za-z]:", filename) is not None
        or any(seg in ("", ".", "..") for seg in filename.split("/"))
        or not filename.lower().endswith(".gguf")
        or len(filename) > 255
    )
    if bad:
        raise BadRequest("models_bad_filename", filename=filename)
    return filename
