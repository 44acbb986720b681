"""EPUB books: the chapters in reading order (the OPF spine), each read as XHTML.

An EPUB is a zip of XHTML files plus a package file that names them and their order, so the
standard library reads it: ``zipfile`` (after the bomb check in :func:`open_zip`), ElementTree
for the small package XML (expat refuses entity expansion attacks) and the HTML reader for
the chapters. Books have no fixed pages; each chapter's headings become section headings.
Chapters are read through :class:`BoundedZip` (every byte unpacked counts, so a spine that
names one chapter a thousand times cannot unpack gigabytes) until the document's character
limit is reached; each chapter read is reported.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Final
from xml.etree import ElementTree

from core.knowledge.errors import UnreadableDocument
from core.knowledge.readers.base import BoundedZip, ParsedDocument, Reading, Section
from core.knowledge.readers.html import decode_html, html_sections

SUFFIXES: Final = frozenset({".epub"})
_CONTAINER: Final = "META-INF/container.xml"
_HTML_TYPES: Final = frozenset({"application/xhtml+xml", "text/html"})
_FONT_OBFUSCATION: Final = (
    "http://www.idpf.org/2008/embedding",
    "http://ns.adobe.com/pdf/enc#RC",
)


def read_epub(path: Path, data: bytes, reading: Reading) -> ParsedDocument:
    with BoundedZip(path, reading, data) as archive:
        names = set(archive.namelist())
        if _CONTAINER not in names:
            raise UnreadableDocument("kb_file_corrupt", path=str(path), reason=f"no {_CONTAINER}")
        _refuse_drm(path, archive, names)
        package_path = _package_path(path, archive)
        package = _xml(path, archive, package_path)
        base = posixpath.dirname(package_path)
        manifest: dict[str, tuple[str, str]] = {}
        for item in package.iter():
            if _local(item.tag) == "item" and item.get("id") and item.get("href"):
                href = posixpath.normpath(posixpath.join(base, item.get("href", "")))
                manifest[item.get("id", "")] = (href, item.get("media-type", ""))
        spine = [i.get("idref", "") for i in package.iter() if _local(i.tag) == "itemref"]
        title = next((e.text or "" for e in package.iter() if _local(e.tag) == "title"), "")
        sections: list[Section] = []
        for number, idref in enumerate(spine, start=1):
            if reading.full:
                reading.truncated = True
                break
            href, media = manifest.get(idref, ("", ""))
            if media not in _HTML_TYPES or href not in names:
                continue
            chapter_title, chapter = html_sections(decode_html(archive.read(href), path))
            for section in reading.sections(chapter):
                heading = section.heading or chapter_title or None
                sections.append(Section(section.text, heading=heading))
            reading.read(number, len(spine), "chapter")
    return ParsedDocument(kind="epub", title=title.strip() or path.stem, sections=sections)


def _package_path(path: Path, archive: BoundedZip) -> str:
    container = _xml(path, archive, _CONTAINER)
    for element in container.iter():
        if _local(element.tag) == "rootfile" and element.get("full-path"):
            return element.get("full-path", "")
    raise UnreadableDocument("kb_file_corrupt", path=str(path), reason="no package document")


def _refuse_drm(path: Path, archive: BoundedZip, names: set[str]) -> None:
    """Font obfuscation is harmless; any other encrypted content means DRM."""
    if "META-INF/encryption.xml" not in names:
        return
    encryption = _xml(path, archive, "META-INF/encryption.xml")
    for element in encryption.iter():
        algorithm = element.get("Algorithm", "")
        if _local(element.tag) == "EncryptionMethod" and algorithm not in _FONT_OBFUSCATION:
            raise UnreadableDocument("kb_file_encrypted", path=str(path))


def _xml(path: Path, archive: BoundedZip, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(archive.read(name))
    except (KeyError, ElementTree.ParseError) as exc:
        raise UnreadableDocument("kb_file_corrupt", path=str(path), reason=str(exc)) from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
