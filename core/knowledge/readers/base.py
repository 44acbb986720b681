"""What every reader returns, the limits every reader keeps, and the checks they share.

A reader turns one file into a :class:`ParsedDocument`: a title and a list of sections, each
a run of text with the page it is on (PDF) or the heading it sits under (everything else).
Chunks never cross a section, so every chunk can cite one page and one heading.

Readers raise :class:`UnreadableDocument` with a message code for anything a person's file
can be: damaged, password-protected, empty, binary under a text name, too large, or a zip
that would expand to gigabytes. Any other exception from a parsing library is turned into
``kb_file_corrupt`` by the caller, so one odd file never stops a batch.

Every reader takes its text through a :class:`Reading`: it keeps the characters a document
may yield (:attr:`ReadLimits.max_chars`; what is beyond is left out and the document says
so), counts the bytes a container really unpacks (a member read twice counts twice), and
passes on how far the reader got (pages, chapters, paragraphs) to whoever is waiting.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from core.knowledge.errors import UnreadableDocument

if TYPE_CHECKING:
    from core.knowledge.ocr import PageRecognition
    from core.settings import KnowledgeSettings

MIB: Final = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How much a reader may take in; generous for real documents, fatal for bombs."""

    max_file_bytes: int = 256 * MIB  # the file on disk
    max_text_bytes: int = 32 * MIB  # a plain-text file (≈ ten million tokens)
    max_unpacked_bytes: int = 512 * MIB  # all members of a DOCX or EPUB: declared, and read
    max_ratio: int = 200  # unpacked / packed size of one zip member
    max_chars: int = 20_000_000  # text taken from one document; the rest is left out
    max_seconds: float = 300.0  # parsing one document, or one page through OCR (enforced
    # by the parser process)
    max_image_pixels: int = 100_000_000  # one image or TIFF page (a 600 dpi A4 scan is 35 M)
    ocr: bool = True  # scans and images are recognised (in the parser process only)

    @classmethod
    def from_settings(cls, knowledge: KnowledgeSettings) -> ReadLimits:
        """The limits the person's settings ask for (the rest as built in)."""
        return cls(max_chars=max(1, knowledge.max_document_chars),
                   max_seconds=max(0.1, knowledge.parse_time_limit_s),
                   ocr=knowledge.ocr)  # fmt: skip


Unit = Literal["page", "chapter", "paragraph"]
OnRead = Callable[[int, int | None, Unit], None]  # (done, total or None, unit)


class Reading:
    """One document being read: the room left for its text, the bytes its container has
    unpacked so far, and where to say how far the reader got.

    Readers take every piece of text through :meth:`take` and stop once :attr:`full`; the
    document is then marked ``truncated`` and indexed up to the limit, because the part
    that fits is still worth finding (a very long real document), while its bulk (a bomb
    of repeated text) costs no more than the limit allows.
    """

    def __init__(self, limits: ReadLimits, on_read: OnRead | None = None,
                 ocr: PageRecognition | None = None) -> None:  # fmt: skip
        self.limits = limits
        # Recognition of pages without text (None: not here, e.g. outside the parser
        # process, or turned off in the settings).
        self.ocr = ocr if limits.ocr else None
        self.chars = 0
        self.truncated = False
        self.unpacked = 0  # bytes really produced by the container's members
        self._on_read = on_read

    @property
    def full(self) -> bool:
        return self.truncated or self.chars >= self.limits.max_chars

    def take(self, text: str) -> str:
        """``text``, cut to the room left (marking the document truncated if cut)."""
        room = max(self.limits.max_chars - self.chars, 0)
        if len(text) > room:
            text = text[:room]
            self.truncated = True
        self.chars += len(text)
        return text

    def sections(self, sections: list[Section]) -> list[Section]:
        """As many of ``sections`` as fit, the last one cut."""
        kept: list[Section] = []
        for section in sections:
            if self.full:
                self.truncated = self.truncated or bool(section.text.strip())
                break
            text = self.take(section.text)
            if text:
                kept.append(Section(text, section.page, section.heading))
        return kept

    def read(self, done: int, total: int | None, unit: Unit) -> None:
        """The reader got this far (``done`` of ``total`` pages, chapters, paragraphs)."""
        if self._on_read is not None:
            self._on_read(done, total, unit)


@dataclass(frozen=True)
class Section:
    """A run of text that shares one page and one heading."""

    text: str
    page: int | None = None  # 1-based; None where the format has no pages
    heading: str | None = None


@dataclass
class ParsedDocument:
    kind: str  # "pdf", "docx", "epub", "html", "markdown", "rst", "text", "code", "image"
    title: str
    sections: list[Section] = field(default_factory=list)
    pages: int | None = None  # page count where the format has pages
    truncated: bool = False  # text beyond ReadLimits.max_chars was left out
    recognised: list[int] = field(default_factory=list)  # pages whose text came from OCR
    unrecognised: list[tuple[int, str]] = field(default_factory=list)  # OCR failed: why

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


def open_zip(path: Path, limits: ReadLimits, source: bytes | None = None) -> zipfile.ZipFile:
    """Open a zip container after checking what its members declare they expand to.

    zipfile never yields more than a member's declared size (it stops there and checks the
    CRC), so the declared sizes bound what can come out. But the declared *compressed* size
    can lie: a member that claims 2 MB packed for 400 MB unpacked passes a ratio check
    while its real deflate stream is 400 KB. So each member's packed size is taken as no
    more than the room between its header and the next one. What a reader then really
    unpacks is counted too (:class:`BoundedZip`), since one member can be read many times.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if source is not None else path)
    except zipfile.BadZipFile as exc:
        raise UnreadableDocument("kb_file_corrupt", path=display(path), reason=str(exc)) from exc
    try:
        _check_members(path, archive, limits)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_members(path: Path, archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    members = archive.infolist()
    offsets = sorted({m.header_offset for m in members})
    end = max([int(getattr(archive, "start_dir", 0)), *(o + 1 for o in offsets[-1:])])
    room = {here: after - here for here, after in zip(offsets, [*offsets[1:], end], strict=True)}
    total = 0
    for member in members:
        total += member.file_size
        packed = max(min(member.compress_size, room.get(member.header_offset, 1)), 1)
        if member.file_size > 1 * MIB and member.file_size / packed > limits.max_ratio:
            raise UnreadableDocument("kb_file_zip_bomb", path=display(path),
                                     size=human_size(member.file_size))  # fmt: skip
        if member.flag_bits & 0x1:
            raise UnreadableDocument("kb_file_encrypted", path=display(path))
    if total > limits.max_unpacked_bytes:
        raise UnreadableDocument("kb_file_zip_bomb", path=display(path), size=human_size(total))


class BoundedZip:
    """A checked zip container whose members are read within the document's budget of
    unpacked bytes (:attr:`ReadLimits.max_unpacked_bytes`, every read counted)."""

    _PIECE: Final = 1 * MIB

    def __init__(self, path: Path, reading: Reading, source: bytes | None = None) -> None:
        self.path = path
        self.reading = reading
        self.archive = open_zip(path, reading.limits, source)

    def __enter__(self) -> BoundedZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.archive.close()

    def namelist(self) -> list[str]:
        return self.archive.namelist()

    def read(self, name: str) -> bytes:
        """A member's bytes; refuses the document once its members have unpacked more than
        the budget. Raises KeyError for a name the archive does not hold."""
        limit = self.reading.limits.max_unpacked_bytes
        pieces: list[bytes] = []
        with self.archive.open(name) as member:
            while piece := member.read(self._PIECE):
                self.reading.unpacked += len(piece)
                if self.reading.unpacked > limit:
                    raise UnreadableDocument("kb_file_zip_bomb", path=display(self.path),
                                             size=human_size(self.reading.unpacked))  # fmt: skip
                pieces.append(piece)
        return b"".join(pieces)


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
