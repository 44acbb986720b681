"""Plain text, Markdown, reStructuredText and source code.

The encoding is detected (see :func:`decode_text`), so GBK/GB18030 Chinese files read as
well as UTF-8 ones. Markdown and reStructuredText headings start new sections, so a chunk
can say which heading it came from; plain text and code are one section each.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from core.knowledge.errors import UnreadableDocument
from core.knowledge.readers.base import ParsedDocument, Reading, Section, decode_text, human_size

MARKDOWN: Final = frozenset({".md", ".markdown", ".mdown", ".mkd"})
RST: Final = frozenset({".rst", ".rest"})
PLAIN: Final = frozenset({".txt", ".text", ".log"})
CODE: Final = frozenset({
    ".py", ".pyi", ".js", ".mjs", ".ts", ".tsx", ".jsx", ".java", ".kt", ".c", ".h", ".cc",
    ".cpp", ".hpp", ".cs", ".go", ".rs", ".rb", ".php", ".swift", ".scala", ".sh", ".bash",
    ".ps1", ".sql", ".r", ".lua", ".pl", ".css", ".scss", ".toml", ".yaml", ".yml", ".ini",
    ".cfg", ".json", ".xml", ".csv", ".tsv", ".tex",
})  # fmt: skip
SUFFIXES: Final = MARKDOWN | RST | PLAIN | CODE

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_MD_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")


def read_text(path: Path, data: bytes, reading: Reading) -> ParsedDocument:
    limits = reading.limits
    if len(data) > limits.max_text_bytes:
        raise UnreadableDocument("kb_file_too_large", path=str(path), size=human_size(len(data)),
                                 limit=human_size(limits.max_text_bytes))  # fmt: skip
    text = decode_text(data, path).replace("\r\n", "\n").replace("\r", "\n")
    suffix = path.suffix.lower()
    if suffix in MARKDOWN:
        sections = _markdown_sections(text)
        kind = "markdown"
    elif suffix in RST:
        sections = _rst_sections(text)
        kind = "rst"
    else:
        sections = [Section(text)]
        kind = "code" if suffix in CODE else "text"
    title = next((s.heading for s in sections if s.heading), None) or path.stem
    kept = reading.sections([s for s in sections if s.text.strip()])
    return ParsedDocument(kind=kind, title=title, sections=kept)


def _markdown_sections(text: str) -> list[Section]:
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if _MD_FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _MD_HEADING.match(line)
        if match:
            sections.append(Section("\n".join(lines), heading=heading))
            heading, lines = match.group(2).strip(), [match.group(2).strip()]
        else:
            lines.append(line)
    sections.append(Section("\n".join(lines), heading=heading))
    return sections


def _rst_sections(text: str) -> list[Section]:
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    raw = text.split("\n")
    index = 0
    while index < len(raw):
        line = raw[index]
        underline = raw[index + 1] if index + 1 < len(raw) else ""
        title = line.strip()
        if (title and not _RST_UNDERLINE.match(line) and _RST_UNDERLINE.match(underline)
                and len(underline.rstrip()) >= len(title)):  # fmt: skip
            if lines and _RST_UNDERLINE.match(lines[-1]):
                lines.pop()  # an overline belongs to the heading
            sections.append(Section("\n".join(lines), heading=heading))
            heading, lines = title, [title]
            index += 2
            continue
        lines.append(line)
        index += 1
    sections.append(Section("\n".join(lines), heading=heading))
    return sections
