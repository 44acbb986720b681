"""Word documents (.docx): paragraphs and tables in reading order, sections under headings.

python-docx reads the XML; the zip container is checked first (see :func:`open_zip`) so a
file that would expand to gigabytes is refused before anything is unpacked. An encrypted
Word file is not a zip at all but an OLE compound file holding the encrypted package, and is
reported as password-protected rather than as damaged.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Final

from core.knowledge.errors import UnreadableDocument
from core.knowledge.readers.base import ParsedDocument, ReadLimits, Section, open_zip

SUFFIXES: Final = frozenset({".docx"})
_OLE_SIGNATURE: Final = bytes.fromhex("d0cf11e0a1b11ae1")
_W: Final = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(path: Path, data: bytes, limits: ReadLimits) -> ParsedDocument:
    if data.startswith(_OLE_SIGNATURE):
        raise UnreadableDocument("kb_file_encrypted", path=str(path))
    open_zip(path, limits).close()
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    body = document.element.body
    for element in body.iterchildren():
        if element.tag == f"{_W}p":
            paragraph = Paragraph(element, document)
            text = paragraph.text.strip()
            if _is_heading(paragraph) and text:
                sections.append(Section("\n".join(lines), heading=heading))
                heading, lines = text, [text]
            elif text:
                lines.append(text)
        elif element.tag == f"{_W}tbl":
            lines.extend(_table_lines(Table(element, document)))
    sections.append(Section("\n".join(lines), heading=heading))
    title = (document.core_properties.title or "").strip()
    title = title or next((s.heading for s in sections if s.heading), None) or path.stem
    return ParsedDocument(kind="docx", title=title, sections=[s for s in sections if s.text])


def _is_heading(paragraph: Any) -> bool:
    style = paragraph.style
    name = (style.name if style is not None else "") or ""
    return name.startswith("Heading") or name == "Title"


def _table_lines(table: Any) -> list[str]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text:  # merged cells repeat their text
                cells.append(text)
        if any(cells):
            lines.append(" | ".join(cells))
    return lines
