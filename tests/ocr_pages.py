"""Pages to recognise: text rendered into images (English, and Chinese in a CJK font),
clean or slightly rotated and noisy, saved as images and as image-only PDFs; and the
character accuracy of what OCR read back (by edit distance).

The Chinese pages need a font with Chinese glyphs; the tests fail saying which Debian
package to install when there is none (``apt-get install fonts-noto-cjk`` or
``fonts-wqy-zenhei``).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

EN_LINES = (
    "The lighthouse keeper on Gannet Rock logged",
    "seventeen storms during the winter of 2031.",
    "Each storm was written down with its wind speed,",
    "the height of the waves and the hour it began.",
)
EN_FACT_LINES = (
    "Invoice 4471 from Harbour Ropes Ltd is due on",
    "the ninth of March and covers forty metres of",
    "tarred mooring line for the northern jetty.",
)
ZH_LINES = (
    "熊猫每天要吃大约十二公斤竹子，",
    "它们主要生活在四川的高山森林里。",
    "合同规定租金应在每月五日前支付，",
    "逾期超过十天须支付百分之三的违约金。",
)
ZH_FACT_LINES = (
    "观测站在二零三一年记录了十七次暴风，",
    "每次都写下风速、浪高和开始的时间。",
)

_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
_CJK_NAMES = ("NotoSansCJK", "NotoSerifCJK", "wqy-zenhei", "wqy-microhei", "SourceHanSans")
_LATIN = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


class MissingFont(RuntimeError):
    """No font with Chinese glyphs is installed."""


def cjk_font() -> Path:
    """A font file with Chinese glyphs, or :class:`MissingFont` naming the packages."""
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list", ":lang=zh", "-f", "%{file}\n"], capture_output=True,
                                text=True, check=False).stdout.split()  # fmt: skip
        for name in _CJK_NAMES:  # a known good one first
            for file in listed:
                if name.lower() in file.lower():
                    return Path(file)
        if listed:
            return Path(sorted(listed)[0])
    for folder in _FONT_DIRS:
        for file in sorted(Path(folder).rglob("*")) if Path(folder).is_dir() else ():
            if any(n.lower() in file.name.lower() for n in _CJK_NAMES):
                return file
    raise MissingFont(
        "no font with Chinese glyphs is installed: the Chinese OCR pages cannot be drawn. "
        "Install one: apt-get install fonts-noto-cjk (or fonts-wqy-zenhei)"
    )


def render_page(lines: Sequence[str], *, chinese: bool = False, size: tuple[int, int] = (1000, 520),
                font_size: int = 30, angle: float = 0.0, noise: float = 0.0,
                seed: int = 0) -> Image.Image:  # fmt: skip
    """``lines`` drawn black on white (grey level image), then turned by ``angle`` degrees
    and given Gaussian noise of ``noise`` grey levels."""
    font_file = str(cjk_font()) if chinese else _latin_font()
    font = ImageFont.truetype(font_file, font_size)
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((60, 60 + number * int(font_size * 1.9)), line, fill=0, font=font)
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if noise:
        pixels = np.asarray(image, dtype=np.float32)
        pixels += np.random.default_rng(seed).normal(0.0, noise, pixels.shape)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    return image


def _latin_font() -> str:
    if Path(_LATIN).is_file():
        return _LATIN
    try:
        return str(cjk_font())  # CJK fonts carry Latin glyphs too
    except MissingFont as exc:
        raise MissingFont("no TrueType font found: apt-get install fonts-dejavu-core") from exc


def write_image_pdf(path: Path, pages: Sequence[Image.Image | str], dpi: float = 150.0) -> Path:
    """A PDF of these pages: an image fills a page with no text layer (a scan); a string
    is a page with real text (a text layer)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(595, 420))
    for page in pages:
        if isinstance(page, str):
            pdf.setPageSize((595, 420))
            pdf.setFont("Helvetica", 12)
            for number, line in enumerate(page.splitlines()):
                pdf.drawString(50, 370 - number * 18, line)
        else:
            width, height = page.size[0] * 72 / dpi, page.size[1] * 72 / dpi
            pdf.setPageSize((width, height))
            pdf.drawImage(ImageReader(page), 0, 0, width, height)
        pdf.showPage()
    pdf.save()
    path.write_bytes(buffer.getvalue())
    return path


def write_tiff_with_damaged_page(path: Path, first: Image.Image, second: Image.Image) -> Path:
    """A two-page TIFF whose second page's pixels are cut off: page 1 reads, page 2 fails."""
    buffer = io.BytesIO()
    first.save(buffer, format="TIFF", save_all=True, append_images=[second])
    data = buffer.getvalue()
    path.write_bytes(data[: len(data) - second.size[0] * second.size[1] // 2])
    return path


def write_png_bomb(path: Path, side: int = 50_000) -> Path:
    """A PNG that declares ``side``×``side`` pixels (7.5 GB decoded) in a few hundred bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return len(body).to_bytes(4, "big") + kind + body + crc.to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])  # 8-bit RGB
    rows = zlib.compress(b"\x00" * 4096)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows)
    path.write_bytes(data + chunk(b"IEND", b""))
    return path


def character_accuracy(expected: str, recognised: str, *, spaces: bool = False) -> float:
    """1 - (edit distance / characters expected). Whitespace is left out on both sides
    (line joins and spaces between Chinese characters are not what is measured), or with
    ``spaces`` kept as one space between words (a lost space between English words then
    counts as an error)."""
    truth, got = _spaced(expected), _spaced(recognised)
    if not spaces:
        truth, got = truth.replace(" ", ""), got.replace(" ", "")
    if not truth:
        return 1.0 if not got else 0.0
    return max(0.0, 1.0 - edit_distance(truth, got) / len(truth))


def _spaced(text: str) -> str:
    return _CJK_GAP.sub("", " ".join(text.split()))


_WIDE = "[\u3400-\u9fff\uff00-\uffef，。；：、]"
_CJK_GAP = re.compile(f"(?<={_WIDE}) (?={_WIDE})")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))  # fmt: skip
        previous = current
    return previous[-1]
