"""What every reader returns, the limits every reader keeps, and the checks they share.

A reader turns one file into a :class:`ParsedDocument`: a title and a list of sections, each
a run of text with the page it is on (PDF) or the heading it sits under (everything else).
Chunks never cross a section, so every chunk can cite one page and one heading.

Readers raise :class:`UnreadableDocument` with a message code for anything a person's file
can be: damaged, password-protected, empty, binary under a text name, too large, or a zip
that would expand to gigabytes. Any other exception from a parsing library is turned into
``kb_file_corrupt`` by the caller, so one odd file never stops a batch.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from core.knowledge.errors import UnreadableDocument

MIB: Final = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How much a reader may take in; generous for real documents, fatal for bombs."""

    max_file_bytes: int = 256 * MIB  # the file on disk
    max_text_bytes: int = 32 * MIB  # a plain-text file (≈ ten million tokens)
    max_unpacked_bytes: int = 512 * MIB  # all members of a DOCX or EPUB, as declared
    max_ratio: int = 200  # unpacked / packed size of one zip member


@dataclass(frozen=True)
class Section:
    """A run of text that shares one page and one heading."""

    text: str
    page: int | None = None  # 1-based; None where the format has no pages
    heading: str | None = None


@dataclass
class ParsedDocument:
    kind: str  # "pdf", "docx", "epub", "html", "markdown", "rst", "text", "code"
    title: str
    sections: list[Section] = field(default_factory=list)
    pages: int | None = None  # page count where the format has pages

    @property
    def has_text(self) -> bool:
        return any(s.text.strip() for s in self.sections)


def display(path: Path) -> str:
    return str(path)


# ---- text decoding -----------------------------------------------------------------------

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB (no BOM): not text."""
    head = data[:8192]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    return bool(head) and controls / len(head) > 0.05


def decode_text(data: bytes, path: Path, declared: str | None = None) -> str:
    """Bytes to text: a BOM, then a declared charset, then UTF-8, then a detected encoding.

    Chinese files saved by Windows tools are often GBK/GB18030; short GBK text is sometimes
    taken for Big5 or a Latin code page by detectors, so when GB18030 decodes the bytes
    cleanly into mostly Chinese text it wins over a detector's guess.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if looks_binary(data):
        raise UnreadableDocument("kb_file_binary", path=display(path))
    candidates = [declared] if declared else []
    candidates.append("utf-8")
    for encoding in candidates:
        try:
            return data.decode(_normal(encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    gb = _strict(data, "gb18030")
    if gb is not None and _mostly_cjk(gb):
        return gb
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding:
        text = str(best)
        if not _CONTROL.search(text[:8192]):
            return text
    if gb is not None:
        return gb
    return data.decode("utf-8", errors="replace")


def _normal(encoding: str) -> str:
    name = encoding.strip().lower()
    return "gb18030" if name in ("gbk", "gb2312", "gb_2312-80", "x-gbk") else name


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _mostly_cjk(text: str) -> bool:
    letters = [c for c in text if not c.isspace() and not c.isascii()]
    if not letters:
        return False
    return sum(1 for c in letters if _CJK.match(c)) / len(letters) > 0.6


# ---- archives (DOCX, EPUB) -----------------------------------------------------------------


def open_zip(path: Path, limits: ReadLimits) -> zipfile.ZipFile:
    """Open a zip container after checking what its members declare they expand to.

    A zip member cannot yield more than its declared size (zipfile stops there and checks
    the CRC), so checking the directory before reading anything is enough to refuse bombs.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise UnreadableDocument("kb_file_corrupt", path=display(path), reason=str(exc)) from exc
    total = 0
    for member in archive.infolist():
        total += member.file_size
        packed = max(member.compress_size, 1)
        if member.file_size > 1 * MIB and member.file_size / packed > limits.max_ratio:
            archive.close()
            raise UnreadableDocument("kb_file_zip_bomb", path=display(path),
                                     size=human_size(member.file_size))  # fmt: skip
        if member.flag_bits & 0x1:
            archive.close()
            raise UnreadableDocument("kb_file_encrypted", path=display(path))
    if total > limits.max_unpacked_bytes:
        archive.close()
        raise UnreadableDocument("kb_file_zip_bomb", path=display(path), size=human_size(total))
    return archive


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
