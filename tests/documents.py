"""Writers for the test documents: real files in every format the knowledge base reads.

Each writer makes a file with known text in known places (a PDF with facts on known pages,
one page in Chinese; a DOCX with headings and a table; an EPUB; Markdown; a GBK-encoded
Chinese text; HTML) and the bad files a person's folder can hold (a damaged PDF, an
encrypted PDF, an empty file, a binary file named .txt, a DOCX that would unpack to
gigabytes). :func:`write_library` lays out a folder of them and returns the facts to ask for.
"""

from __future__ import annotations

import os
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fact:
    """A question, the file and page whose chunk answers it, and words that answer it."""

    question: str
    file: str
    page: int | None
    answer: str


PDF_FONT_SIZE = 11.0
PDF_TOP = 800.0  # the first line's baseline, in points from the bottom of an A4 page
PDF_LEFT = 56.0
PDF_LEADING = 16.0


def write_pdf(path: Path, pages: list[str], *, title: str = "", password: str | None = None,
              chinese: bool = False) -> Path:  # fmt: skip
    """A PDF with one paragraph of text per page (wrapped), optionally encrypted."""
    from reportlab.lib import pdfencrypt
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "Helvetica"
    if chinese:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        font = "STSong-Light"
    encrypt = pdfencrypt.StandardEncryption(password, canPrint=0) if password else None
    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt, invariant=True)
    if title:
        pdf.setTitle(title)
    for text in pages:
        pdf.setFont(font, PDF_FONT_SIZE)
        y = PDF_TOP
        for line in _wrap(text, 40 if chinese else 90):
            pdf.drawString(PDF_LEFT, y, line)
            y -= PDF_LEADING
        pdf.showPage()
    pdf.save()
    return path


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if " " not in paragraph:  # Chinese: cut by characters
            lines.extend(paragraph[i : i + width] for i in range(0, len(paragraph), width))
            continue
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
    return lines


@dataclass(frozen=True)
class DrawnChar:
    """A character :func:`write_pdf` drew: its advance across, from its baseline up to 0.7
    of the font size (the glyph's body), in page points (origin bottom left)."""

    char: str
    left: float
    bottom: float
    right: float
    top: float


def drawn_pages(pages: list[str], *, chinese: bool = False) -> list[list[DrawnChar]]:
    """Where :func:`write_pdf` put each visible character, from reportlab's own metrics: an
    account of the page independent of PDFium, to check what PDFium reports against."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    font = "Helvetica"
    if chinese:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        font = "STSong-Light"
    out = []
    for text in pages:
        drawn: list[DrawnChar] = []
        y = PDF_TOP
        for line in _wrap(text, 40 if chinese else 90):
            x = PDF_LEFT
            for ch in line:
                width = pdfmetrics.stringWidth(ch, font, PDF_FONT_SIZE)
                if not ch.isspace():
                    drawn.append(DrawnChar(ch, x, y, x + width, y + 0.7 * PDF_FONT_SIZE))
                x += width
            y -= PDF_LEADING
        out.append(drawn)
    return out


def write_docx(path: Path, blocks: list[tuple[str, object]], title: str = "") -> Path:
    """A DOCX from ("heading", text), ("paragraph", text) and ("table", rows) blocks."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for kind, value in blocks:
        if kind == "heading":
            document.add_heading(str(value), level=1)
        elif kind == "paragraph":
            document.add_paragraph(str(value))
        elif kind == "table":
            rows = list(value)  # type: ignore[call-overload]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = str(cell)
    document.save(str(path))
    return path


def write_epub(path: Path, title: str, chapters: list[tuple[str, str]],
               spine: list[int] | None = None) -> Path:  # fmt: skip
    """A minimal valid EPUB 3: mimetype first and stored, container, package, chapters;
    ``spine`` lists the chapters' numbers in reading order (default: each once)."""
    with zipfile.ZipFile(path, "w") as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        book.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
        items = "".join(
            f'<item id="c{i}" href="text/ch{i}.xhtml" media-type="application/xhtml+xml"/>'
            for i in range(len(chapters))
        )
        order = range(len(chapters)) if spine is None else spine
        refs = "".join(f'<itemref idref="c{i}"/>' for i in order)
        book.writestr(
            "OEBPS/content.opf",
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
            'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:identifier id="id">test-book</dc:identifier><dc:title>{title}</dc:title>'
            f"<dc:language>en</dc:language></metadata><manifest>{items}</manifest>"
            f"<spine>{refs}</spine></package>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
        for i, (heading, body) in enumerate(chapters):
            paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n"))
            book.writestr(
                f"OEBPS/text/ch{i}.xhtml",
                '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
                f"<head><title>{heading}</title></head><body><h1>{heading}</h1>{paragraphs}"
                "</body></html>",
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return path


def write_zip_bomb_docx(path: Path, unpacked_gib: int = 2) -> Path:
    """A real DOCX with one more member that inflates to ``unpacked_gib`` GiB of zeros.

    The member's deflate stream is one fully flushed block of 1 MiB of zeros repeated (each
    full flush resets the compressor, so copies chain into one valid stream), written with
    its true size and CRC: a genuine bomb of a few megabytes, made in about a second.
    """
    source = path.with_suffix(".plain.docx")
    write_docx(source, [("paragraph", "A harmless paragraph.")])
    block = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    count = unpacked_gib * 1024
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    size = count * len(block)
    with zipfile.ZipFile(source) as plain:
        members = [(i.filename, plain.read(i.filename)) for i in plain.infolist()]
    source.unlink()
    with path.open("wb") as out:
        central = b""
        for name, data in members:
            packed = zlib.compressobj(6, zlib.DEFLATED, -15)
            payload = packed.compress(data) + packed.flush()
            central += _zip_entry(out, name, payload, zlib.crc32(data), len(data))
        offset = out.tell()
        name = b"word/media/zeros.bin"
        packed = len(unit) * count + len(tail)
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, packed, size,
                             len(name), 0)  # fmt: skip
        out.write(header + name)
        for _ in range(count):
            out.write(unit)
        out.write(tail)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                               packed, size, len(name), 0, 0, 0, 0, 0, offset) + name  # fmt: skip
        start = out.tell()
        out.write(central)
        entries = len(members) + 1
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(central),
                              start, 0))  # fmt: skip
    return path


def _zip_entry(out: object, name: str, payload: bytes, crc: int, size: int) -> bytes:
    handle = out  # a binary file
    offset = handle.tell()  # type: ignore[attr-defined]
    encoded = name.encode()
    handle.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(payload),  # type: ignore[attr-defined]
                             size, len(encoded), 0) + encoded + payload)  # fmt: skip
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(payload),
                       size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded  # fmt: skip


# ---- the library the knowledge tests use ----------------------------------------------------

HANDBOOK_PAGES = [
    "Harbor Lighthouse Handbook. This handbook is for the volunteers who keep the old harbor "
    "lighthouse running through the year. Read it before your first night shift.",
    "Maintenance. The beacon lamp must be cleaned every Tuesday with white vinegar and a soft "
    "linen cloth. Never touch the glass lens with bare hands.",
    "Storm protocol. When the wind exceeds ninety kilometres per hour, close the iron shutters "
    "on the gallery and log the barometer reading every thirty minutes.",
]
PANDA_PAGES = [
    "大熊猫是中国特有的动物，主要生活在四川、陕西和甘肃的山区。它们主要以竹子为食，每天要花十几个小时进食。",
    "成年大熊猫的体重通常在八十到一百二十五公斤之间。刚出生的幼崽只有一百克左右，非常小。",
]
CONTRACT_GBK = (
    "供货合同\n\n第一条 货物。甲方向乙方购买办公桌椅一百套。\n\n"
    "第三条 违约责任。乙方逾期交货的，每日按合同总价的千分之五向甲方支付违约金。"
    "逾期超过三十日的，甲方有权解除合同。\n"
)
FACTS = [
    Fact("How often must the beacon lamp be cleaned?", "handbook.pdf", 2, "Tuesday"),
    Fact(
        "What should volunteers do when the wind exceeds ninety kilometres per hour?",
        "handbook.pdf",
        3,
        "shutters",
    ),
    Fact("成年大熊猫的体重是多少？", "pandas.pdf", 2, "公斤"),
    Fact("乙方逾期交货的违约金怎么计算？", "contract.txt", None, "千分之五"),
    Fact("How long should green tea steep?", "tea.docx", None, "two minutes"),
    Fact("When are roses pruned?", "garden.epub", None, "late winter"),
    Fact("How long do you knead the bread dough?", "bread.md", None, "ten minutes"),
    Fact("When is the anemometer calibrated?", "station.html", None, "March"),
]


def write_library(folder: Path) -> list[Fact]:
    """One good document of each kind, written into ``folder``; returns the facts."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf(folder / "handbook.pdf", HANDBOOK_PAGES, title="Harbor Lighthouse Handbook")
    write_pdf(folder / "pandas.pdf", PANDA_PAGES, title="大熊猫", chinese=True)
    (folder / "contract.txt").write_bytes(CONTRACT_GBK.encode("gbk"))
    write_docx(folder / "tea.docx", [
        ("heading", "Green tea"),
        ("paragraph", "Green tea should steep for two minutes in water at eighty degrees."),
        ("heading", "Steeping times"),
        ("table", [["Tea", "Minutes"], ["Oolong", "4"], ["Black", "5"]]),
    ], title="Tea notes")  # fmt: skip
    write_epub(folder / "garden.epub", "The Small Garden", [
        ("Tomatoes", "Tomatoes need at least six hours of direct sun each day."),
        ("Roses", "Roses are pruned in late winter, just before the buds swell."),
    ])  # fmt: skip
    (folder / "bread.md").write_text(
        "# Bread\n\nMix flour, water, salt and yeast.\n\n## Kneading\n\n"
        "Knead the bread dough for ten minutes until it is smooth and elastic.\n",
        encoding="utf-8",
    )
    (folder / "station.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Weather station</title>"
        "<style>p { color: red }</style><script>var hidden = 'never indexed';</script></head>"
        "<body><h1>Weather station</h1><p>The anemometer is calibrated every March by the "
        "harbor office.</p><h2>Rain gauge</h2><p>Empty the rain gauge each morning.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    return FACTS


def write_bad_files(folder: Path, *, bomb: bool = True) -> dict[str, str]:
    """The bad files of a person's folder; returns file name -> the code it must get."""
    folder.mkdir(parents=True, exist_ok=True)
    good = write_pdf(folder / "tmp.pdf", ["Some text."])
    data = good.read_bytes()
    good.unlink()
    (folder / "corrupt.pdf").write_bytes(data[: len(data) // 3] + b"\x00garbage" * 50)
    write_pdf(folder / "locked.pdf", ["Secret plans."], password="hunter2")
    (folder / "empty.txt").write_bytes(b"")
    noise = random.Random(7).randbytes(4096)
    (folder / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + noise)
    expected = {
        "corrupt.pdf": "kb_file_corrupt",
        "locked.pdf": "kb_file_encrypted",
        "empty.txt": "kb_file_empty",
        "binary.txt": "kb_file_binary",
    }
    if bomb:
        write_zip_bomb_docx(folder / "bomb.docx")
        expected["bomb.docx"] = "kb_file_zip_bomb"
    return expected


def write_many(folder: Path, count: int, sentences: int = 6) -> list[Path]:
    """``count`` small Markdown notes with distinct text (for the kill-and-resume test)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(count)
    words = ["river", "stone", "lantern", "harbor", "maple", "copper", "meadow", "signal"]
    paths = []
    for n in range(count):
        lines = [f"# Note {n}"]
        for s in range(sentences):
            picked = " ".join(rng.choice(words) for _ in range(12))
            lines.append(f"Note {n} sentence {s} talks about {picked}.")
        path = folder / f"note-{n:03d}.md"
        path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    os.sync()
    return paths
