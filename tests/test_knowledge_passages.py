"""Finding a cited chunk in its document again (core/knowledge/passages.py): on a PDF page as
rectangles over exactly the cited characters, in a text document as the character range.

The PDFs are real (reportlab, Helvetica and the STSong-Light CID font), read by the real
reader and cut by the real chunker; the characters' true places come from reportlab's own
layout (tests.documents.drawn_pages: where each string was drawn and each glyph's advance),
not from PDFium, so the rectangles PDFium gives are checked against an independent account
of the page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from core.knowledge.chunking import Chunk, Chunker
from core.knowledge.cited import cited_source
from core.knowledge.passages import (
    Box,
    PdfPassage,
    displayed_text,
    find_in_pdf,
    find_span,
    page_hint,
    text_passage,
)
from core.knowledge.readers import parse
from core.knowledge.store import DocumentFacts, KnowledgeStore, NewChunk
from tests.documents import DrawnChar, drawn_pages, write_docx, write_pdf

ENGLISH_PAGES = [
    "Otters hold hands while they sleep so that they do not drift apart. "
    "A group of otters resting together on the water is called a raft. "
    "Sea otters have the densest fur of any animal, about a million hairs per square inch. "
    "They use stones as tools to open shellfish and keep a favourite stone in a pouch. "
    "Baby otters cannot dive until their fur has changed, which takes several weeks.",
    "The lighthouse at Pharos was one of the seven wonders of the ancient world. "
    "It stood on an island at the entrance of the harbour of Alexandria. "
    "Earthquakes damaged it in the fourteenth century and its stones were later reused. "
    "Divers found blocks of it on the sea floor near the fort of Qaitbay in 1994.",
]
CHINESE_PAGES = [
    "大熊猫主要生活在中国四川、陕西和甘肃的山区。它们每天要花十多个小时吃竹子。"
    "一只成年大熊猫一天可以吃掉十几公斤竹子。大熊猫的伪拇指其实是一块变长的腕骨。"
    "野生大熊猫的寿命大约是二十年，圈养的可以活到三十岁以上。",
    "长城东起山海关，西至嘉峪关，全长两万多公里。修建长城用了砖、石、土和木材。"
    "明代的长城保存得最好，八达岭是游客最多的一段。",
]


def cited_boxes(text: str, drawn: list[DrawnChar]) -> list[Box]:
    """The drawn boxes of exactly the characters of ``text`` (which occurs once)."""
    packed = "".join(d.char for d in drawn)
    wanted = "".join(ch for ch in text if not ch.isspace())
    start = packed.find(wanted)
    assert start >= 0 and packed.find(wanted, start + 1) < 0, text
    return [Box(d.left, d.bottom, d.right, d.top) for d in drawn[start : start + len(wanted)]]


def assert_covers_exactly(passage: PdfPassage, expected: list[Box]) -> None:
    """Every cited glyph lies inside a highlight rectangle, and every rectangle lies within
    the cited glyphs of one line (so nothing beside the passage is highlighted)."""
    for box in expected:
        assert any(rect.contains(box, slack=0.6) for rect in passage.boxes), (box, passage)
    lines: dict[float, list[Box]] = {}
    for box in expected:
        lines.setdefault(box.bottom, []).append(box)
    assert len(passage.boxes) == len(lines)
    for rect in passage.boxes:
        level = [b for baseline, boxes in lines.items() if rect.bottom < baseline < rect.top
                 for b in boxes]  # fmt: skip
        assert level, rect
        left, right = min(b.left for b in level), max(b.right for b in level)
        assert left - 0.6 <= rect.left and rect.right <= right + 0.6, (rect, left, right)
        assert rect.top - rect.bottom < 16, rect  # one line high, not two


def chunks_of(path: Path, max_tokens: int) -> list[Chunk]:
    document = parse(path, path.read_bytes())
    return Chunker(lambda t: max(1, len(t.encode()) // 6), max_tokens, overlap=4).chunk(document)


@pytest.mark.parametrize(
    ("pages", "chinese"), [(ENGLISH_PAGES, False), (CHINESE_PAGES, True)], ids=["en", "zh"]
)
def test_pdf_passages_cover_exactly_the_cited_characters(
    tmp_path: Path, pages: list[str], chinese: bool
) -> None:
    path = write_pdf(tmp_path / "doc.pdf", pages, chinese=chinese)
    drawn = drawn_pages(pages, chinese=chinese)
    chunks = chunks_of(path, max_tokens=24)
    assert len(chunks) >= 2 * len(pages)  # several passages per page, across line wraps
    assert any(len({b.bottom for b in cited_boxes(c.text, drawn[c.page - 1])}) > 1 for c in chunks)
    document = pdfium.PdfDocument(str(path))
    try:
        for chunk in chunks:
            assert chunk.page is not None
            passage = find_in_pdf(document, chunk.page, chunk.text, page_hint(chunk, chunks))
            assert passage is not None and passage.exact and passage.page == chunk.page
            assert_covers_exactly(passage, cited_boxes(chunk.text, drawn[chunk.page - 1]))
    finally:
        document.close()


def test_a_repeated_passage_is_the_one_the_offsets_point_at(tmp_path: Path) -> None:
    repeated = "The tide comes in twice a day."
    page = f"{repeated} Gulls follow the boats home. {repeated} The harbour closes at dusk."
    path = write_pdf(tmp_path / "tide.pdf", [page])
    document = pdfium.PdfDocument(str(path))
    try:
        first = find_in_pdf(document, 1, repeated, hint=0)
        second = find_in_pdf(document, 1, repeated, hint=page.rindex(repeated))
    finally:
        document.close()
    assert first is not None and second is not None
    assert first.chars[0] < second.chars[0]
    assert first.boxes[0].left < second.boxes[0].left  # both on the first line


def test_a_passage_not_on_the_page_is_not_found(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "doc.pdf", ENGLISH_PAGES)
    document = pdfium.PdfDocument(str(path))
    try:
        assert find_in_pdf(document, 1, "Nothing like this sentence was ever printed.") is None
        # a passage cited on page 1 that is now on page 2 (a page was inserted) is found there
        moved = find_in_pdf(document, 1, "It stood on an island at the entrance")
        assert moved is not None and moved.page == 2
    finally:
        document.close()


def test_find_span_tolerates_whitespace_ellipses_and_small_edits() -> None:
    text = "First line of the\npage.  Second   sentence here.\n\n大熊猫\n吃竹子。"
    assert find_span(text, "Second sentence") == find_span(text, "…Second sentence…")
    span = find_span(text, "the page. Second")
    assert span is not None and span.exact and text[span.start : span.end] == "the\npage.  Second"
    span = find_span(text, "大熊猫吃竹子")
    assert span is not None and text[span.start : span.end] == "大熊猫\n吃竹子"
    edited = "First line of the\npage.  Second   sentence is here, slightly edited."
    span = find_span(edited, "Second sentence here, slightly edited.")
    assert span is not None and not span.exact
    assert edited[span.start : span.end].startswith("Second")
    assert find_span(text, "an unrelated passage about otters") is None
    assert find_span(text, " … ") is None


def test_text_documents_give_the_cited_range(tmp_path: Path) -> None:
    markdown = tmp_path / "notes.md"
    markdown.write_text(
        "# Otters\n\nOtters hold hands while they sleep. A group resting is a raft.\n\n"
        "## Lighthouses\n\nThe Pharos stood at Alexandria. 大熊猫吃竹子。它们每天吃十多个小时。\n",
        encoding="utf-8",
    )
    docx = write_docx(tmp_path / "report.docx", [
        ("heading", "Harbour"), ("paragraph", "The harbour closes at dusk. Boats moor inside."),
        ("table", [["Ship", "Berth"], ["Aurora", "7"]]),
        ("paragraph", "长城东起山海关，西至嘉峪关。"),
    ])  # fmt: skip
    for path in (markdown, docx):
        text = displayed_text(path)
        chunks = chunks_of(path, max_tokens=8)
        assert len(chunks) >= 3
        for chunk in chunks:
            found = text_passage(text, chunk.text, chunk.char_start, chunk.char_end)
            assert found.span is not None and found.span.exact
            assert (found.span.start, found.span.end) == (chunk.char_start, chunk.char_end)
            assert text[found.span.start : found.span.end] == chunk.text


def test_an_edited_text_document_still_opens_at_the_passage(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Alpha paragraph.\n\nThe cited passage is here.\n", encoding="utf-8")
    chunk = next(c for c in chunks_of(path, 8) if "cited" in c.text)
    path.write_text("A new first line.\n\nAlpha paragraph.\n\nThe cited passage is here.\n",
                    encoding="utf-8")  # fmt: skip
    text = displayed_text(path)
    found = text_passage(text, chunk.text, chunk.char_start, chunk.char_end)
    assert found.span is not None
    assert text[found.span.start : found.span.end] == chunk.text
    assert found.span.start != chunk.char_start


def _commit(store: KnowledgeStore, path: Path, chunks: list[Chunk]) -> list[str]:
    collection = store.ensure_collection("default")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    new = [NewChunk(f"{digest[:8]}-{c.ordinal}", c.ordinal, c.text, c.page, c.heading,
                    c.char_start, c.char_end, hashlib.sha256(c.text.encode()).hexdigest(),
                    c.tokens, [1.0, 0.0]) for c in chunks]  # fmt: skip
    facts = DocumentFacts(str(path), path.stem, path.suffix[1:], digest, 1, 0.0, None)
    store.commit_document(collection.id, facts, new, "model")
    return [c.id for c in new]


def test_a_citation_resolves_only_to_the_knowledge_base_and_its_own_chunks(tmp_path: Path) -> None:
    """An imported chat can name any file and, written by an older version, any ids: only a
    document of the knowledge base opens, and a chunk id counts only for its own file."""
    pdf = write_pdf(tmp_path / "doc.pdf", ENGLISH_PAGES)
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe harbour closes at dusk.\n", encoding="utf-8")
    pdf_chunks, note_chunks = chunks_of(pdf, 24), chunks_of(notes, 24)
    with KnowledgeStore(tmp_path / "knowledge.sqlite3") as store:
        pdf_ids = _commit(store, pdf, pdf_chunks)
        note_ids = _commit(store, notes, note_chunks)
        second = pdf_chunks[1]
        source = cited_source(store, {"file": str(pdf), "page": 1, "chunk_id": pdf_ids[1]})
        assert source is not None and source.kind == "pdf" and source.passage == second.text
        assert source.page == second.page and source.hint == page_hint(second, pdf_chunks)
        # a chunk of another file is not this citation's passage: the snippet is looked for
        forged = {"file": str(pdf), "page": 2, "chunk_id": note_ids[0], "snippet": "…Pharos…"}
        source = cited_source(store, forged)
        assert source is not None and source.passage == "…Pharos…" and source.page == 2
        assert source.char_start is None
        text = cited_source(store, {"file": str(notes), "chunk_id": note_ids[0]})
        assert text is not None and text.kind == "text"
        assert (text.char_start, text.char_end) == (note_chunks[0].char_start,
                                                    note_chunks[0].char_end)  # fmt: skip
        for outside in (str(tmp_path / "other.pdf"), "/etc/passwd", r"\\host\share\x.pdf", "",
                        None, 7):  # fmt: skip
            assert cited_source(store, {"file": outside, "chunk_id": pdf_ids[0]}) is None
