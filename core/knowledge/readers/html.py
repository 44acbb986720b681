"""HTML pages (and the XHTML chapters of an EPUB) as sections under their headings.

Python's own ``html.parser`` is enough here: it is forgiving with broken markup, needs no
extra dependency, and never fetches anything (no external entities, no network). Scripts,
styles and other invisible parts are dropped; block elements end lines; ``<h1>``–``<h6>``
start new sections so each chunk knows its heading.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

from core.knowledge.errors import UnreadableDocument
from core.knowledge.readers.base import ParsedDocument, Reading, Section, decode_text, human_size

SUFFIXES: Final = frozenset({".html", ".htm", ".xhtml"})

_HIDDEN: Final = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe"})
_BLOCK: Final = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "blockquote",
    "pre", "dd", "dt", "dl", "header", "footer", "nav", "aside", "figure", "figcaption",
    "hr", "main", "form", "address", "caption", "title",
})  # fmt: skip
_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.sections: list[Section] = []
        self._heading: str | None = None
        self._parts: list[str] = []
        self._hidden = 0
        self._in_title = False
        self._in_heading = False
        self._heading_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _HEADINGS:
            self._flush()
            self._in_heading = True
            self._heading_parts = []
        elif tag in _BLOCK:
            self._parts.append("\n")
        elif tag in ("td", "th"):
            self._parts.append(" | ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _HEADINGS and self._in_heading:
            self._in_heading = False
            heading = _clean(" ".join(self._heading_parts)).strip()
            self._heading = heading or self._heading
            if heading:
                self._parts.append(heading + "\n")
        elif tag in _BLOCK:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._hidden:
            return
        if self._in_heading:
            self._heading_parts.append(data)
        else:
            self._parts.append(data)

    def _flush(self) -> None:
        text = _clean("".join(self._parts))
        if text.strip():
            self.sections.append(Section(text.strip("\n"), heading=self._heading))
        self._parts = []

    def finish(self) -> list[Section]:
        self.close()
        self._flush()
        return self.sections


def _clean(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out)


def html_sections(markup: str) -> tuple[str, list[Section]]:
    """(title, sections) of an HTML or XHTML text."""
    parser = _Extractor()
    parser.feed(markup)
    sections = parser.finish()
    return _clean(parser.title).strip(), sections


def decode_html(data: bytes, path: Path) -> str:
    match = _META_CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii", "replace") if match else None
    return decode_text(data, path, declared)


def read_html(path: Path, data: bytes, reading: Reading) -> ParsedDocument:
    limits = reading.limits
    if len(data) > limits.max_text_bytes:
        raise UnreadableDocument("kb_file_too_large", path=str(path), size=human_size(len(data)),
                                 limit=human_size(limits.max_text_bytes))  # fmt: skip
    title, sections = html_sections(decode_html(data, path))
    sections = reading.sections(sections)
    return ParsedDocument(kind="html", title=title or path.stem, sections=sections)
