"""Writers for hostile documents: small on disk, huge (or slow) once read.

Each is the shape of a file met in the attack on the product (issue 14): an EPUB whose
spine names one chapter hundreds of times, a DOCX whose zip directory lies about the packed
size of its body, a PDF whose thousands of pages share one content stream. All are written
byte for byte here, in well under a second, and stay a few hundred kilobytes at most.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from tests.documents import write_epub


def write_repeated_epub(path: Path, *, chapter_chars: int = 900_000, repeats: int = 400) -> Path:
    """An EPUB of a few kilobytes whose spine names its one chapter ``repeats`` times: each
    read of it is under a megabyte (no zip check objects), together hundreds of millions of
    characters."""
    sentence = "The lantern keeper counts the boats in the harbour every night. "
    body = (sentence * (chapter_chars // len(sentence) + 1))[:chapter_chars]
    return write_epub(path, "Again and again", [("Again", body)], spine=[0] * repeats)


def write_lying_docx(path: Path, *, body_bytes: int = 160 * 1024 * 1024) -> Path:
    """A DOCX whose ``word/document.xml`` unpacks to ``body_bytes`` of paragraphs while its
    zip directory claims a packed size 150 times smaller than that (the real deflate stream
    is about a thousand times smaller): the ratio check on declared sizes lets it through."""
    paragraph = b"<w:p><w:r><w:t>Boats in the harbour, counted again.</w:t></w:r></w:p>"
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w='
        b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    tail = b"</w:body></w:document>"
    count = (body_bytes - len(head) - len(tail)) // len(paragraph)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(head)
    packed = [packer.compress(head)]
    block = paragraph * 16384
    left = count
    while left:
        piece = block if left >= 16384 else paragraph * left
        left -= min(left, 16384)
        crc = zlib.crc32(piece, crc)
        packed.append(packer.compress(piece))
    crc = zlib.crc32(tail, crc)
    packed += [packer.compress(tail), packer.flush()]
    stream = b"".join(packed)
    size = len(head) + len(tail) + count * len(paragraph)
    claimed = size // 150  # what the directory says it packs to (a lie)

    members = _docx_parts()
    out = bytearray()
    directory = bytearray()
    for name, data, compress, crc_, real_size, stated in [
        *[(n, zlib.compress(d)[2:-4], 8, zlib.crc32(d), len(d), None) for n, d in members],
        ("word/document.xml", stream, 8, crc, size, claimed),
    ]:
        offset = len(out)
        encoded = name.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, compress, 0, 0, crc_,
                           len(data), real_size, len(encoded), 0) + encoded + data  # fmt: skip
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, compress, 0, 0,
                                 crc_, stated if stated is not None else len(data), real_size,
                                 len(encoded), 0, 0, 0, 0, 0, offset) + encoded  # fmt: skip
    entries = len(members) + 1
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(directory),
                      len(out), 0)  # fmt: skip
    path.write_bytes(bytes(out + directory + end))
    return path


def _docx_parts() -> list[tuple[str, bytes]]:
    content_types = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
        b'"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        b'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="'
        b'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        b"</Types>"
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://'
        b'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
        b'" Target="word/document.xml"/></Relationships>'
    )
    return [("[Content_Types].xml", content_types), ("_rels/.rels", rels)]


def write_page_bomb_pdf(path: Path, *, pages: int = 3000, lines: int = 300) -> Path:
    """A PDF whose ``pages`` pages all draw one shared, deflated content stream of ``lines``
    lines of text (about 80 characters each): a few hundred kilobytes on disk, ``pages`` x
    ``lines`` x 80 characters once read, and seconds of PDFium work per thousand pages."""
    text = b"".join(
        b"(Line %d of the shared page: the keeper counts the boats again.) '\n" % n
        for n in range(lines)
    )
    content = zlib.compress(b"BT /F1 4 Tf 10 780 Td 5 TL\n" + text + b"ET\n", 9)
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, kids),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 "
            b"3 0 R >> >> /Contents 4 0 R >>")  # fmt: skip
    objects += [page] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)  # fmt: skip
    path.write_bytes(bytes(out))
    return path


def make_deep_folder(root: Path, name: str = "deep") -> Path:
    """A folder nested so deep that its own path still fits the system's limit (PATH_MAX)
    but the paths of the files in it do not: it can be listed, its files cannot be reached,
    like a folder without search permission, even for root (tests run as root, for whom
    permission bits change nothing). Returns the deepest folder, which holds a note."""
    limit = os.pathconf("/", "PC_PATH_MAX")  # 4096 on Linux, counting the final NUL
    folder = root / name
    folder.mkdir()
    fd = os.open(folder, os.O_RDONLY)
    length = len(str(folder))
    try:
        while length < limit - 250:  # then one last level of 146 to 246 characters
            step = "d" * 100
            os.mkdir(step, dir_fd=fd)
            inner = os.open(step, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
            length += 1 + len(step)
            folder = folder / step
        last = "e" * (limit - 4 - length)  # the folder's path: PATH_MAX - 3 characters
        os.mkdir(last, dir_fd=fd)
        inner = os.open(last, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
        folder = folder / last
        note = os.open("n.md", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(note, b"# Hidden\n\nA note nobody can reach.\n")
        os.close(note)
    finally:
        os.close(fd)
    return folder
