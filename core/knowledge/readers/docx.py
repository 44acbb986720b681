"""Word documents (.docx): paragraphs and tables in reading order, sections under headings.

python-docx reads the XML; the zip container is checked first (see :func:`open_zip`) so a
file that would expand to gigabytes is refused before anything is unpacked. An encrypted
Word file is not a zip at all but an OLE compound file holding the encrypted package, and is
reported as password-protected rather than as damaged.

Paragraphs are taken until the document's character limit is reached, each reported. Table
cells are read from each row's own ``<w:tc>`` elements (about a third faster than
python-docx's ``row.cells``, which lays out the row's grid first; both grow linearly).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Final

from core.knowledge.errors import UnreadableDocument
from core.knowledge.readers.base import ParsedDocument, Reading, Section, open_zip

SUFFIXES: Final = frozenset({".docx"})
_OLE_SIGNATURE: Final = bytes.fromhex("d0cf11e0a1b11ae1")
_W: Final = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(path: Path, data: bytes, reading: Reading) -> ParsedDocument:
    if data.startswith(_OLE_SIGNATURE):
        raise UnreadableDocument("kb_file_encrypted", path=str(path))
    open_zip(path, reading.limits, data).close()
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []  # each with its line end, as the limit counts it
    body = document.element.body
    total = len(body)
    for number, element in enumerate(body.iterchildren(), start=1):
        if reading.full:
            reading.truncated = True
            break
        if element.tag == f"{_W}p":
            paragraph = Paragraph(element, document)
            text = paragraph.text.strip()
            if text and _is_heading(paragraph):
                sections.append(_section(lines, heading))
                heading, lines = text, []
            if text:
                lines.append(reading.take(text + "\n"))
        elif element.tag == f"{_W}tbl":
            lines.extend(
                reading.take(line + "\n") for line in _table_lines(Table(element, document))
            )
        reading.read(number, total, "paragraph")
    sections.append(_section(lines, heading))
    title = (document.core_properties.title or "").strip()
    title = title or next((s.heading for s in sections if s.heading), None) or path.stem
    return ParsedDocument(kind="docx", title=title, sections=[s for s in sections if s.text])


def _section(lines: list[str], heading: str | None) -> Section:
    return Section("".join(lines).rstrip("\n"), heading=heading)


def _is_heading(paragraph: Any) -> bool:
    style = paragraph.style
    name = (style.name if style is not None else "") or ""
    return name.startswith("Heading") or name == "Title"


def _table_lines(table: Any) -> list[str]:
    from docx.table import _Cell

    lines = []
    for row in table._tbl.tr_lst:
        cells: list[str] = []
        for tc in row.tc_lst:
            text = " ".join(_Cell(tc, table).text.split())
            if not cells or cells[-1] != text:  # merged cells repeat their text
                cells.append(text)
        if any(cells):
            lines.append(" | ".join(cells))
    return lines
