"""The document viewer and the Sources panel (issue 13 §5), in the real window (offscreen).

Documents go into the knowledge base through real ingestion with the real MiniLM embedding
model; the citations are what the real retriever and ``grounding.citation`` make of them.
The checks are on what the window shows: the rendered PDF page's highlight rectangles
against where reportlab drew the cited characters (tests.documents.drawn_pages, not PDFium),
the highlight's colour in the rendered pixels, and the text viewer's highlighted range
against the chunk's text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRectF, QUrl
from PySide6.QtGui import QImage, QTextCursor
from pytestqt.qtbot import QtBot

from core.knowledge.chunking import Chunker
from core.knowledge.cited import CitedSource
from core.knowledge.embedder import Embedder
from core.knowledge.grounding import citation
from core.knowledge.passages import displayed_text
from core.knowledge.readers import parse
from core.knowledge.retrieval import Hit
from core.knowledge.store import DocumentFacts, NewChunk
from desktop.knowledge.sources import KEYWORD, RERANK, VECTOR, SourcesDialog
from desktop.knowledge.viewer import KEPT_PAGES, DocumentViewer, PdfPageView
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices
from tests.documents import DrawnChar, drawn_pages, write_docx, write_pdf
from tests.test_desktop_translations import (
    chinese as chinese_window,  # noqa: F401 (a fixture)
)
from tests.test_desktop_translations import (
    english_sources,
    untranslated,
    visible_texts,
)

PLACES = [
    "north quay", "old mole", "fish market", "salt store", "ferry steps", "west pier",
    "rope walk", "customs house", "chapel rock", "signal hill", "boat yard", "tide mill",
]  # fmt: skip
LAMP = "The beacon lamp is cleaned every Thursday at dawn by the keeper's apprentice."


def harbour_page(page: int, fact: str = "") -> str:
    """A long page of distinct sentences (several chunks), with ``fact`` in the middle."""
    sentences = [f"On page {page} the walk passes the {place} where boat number {page * 40 + i} "
                 f"is moored beside a {['red', 'green', 'blue', 'white'][i % 4]} buoy."
                 for i, place in enumerate(PLACES * 2)]  # fmt: skip
    if fact:
        sentences.insert(len(sentences) // 2, fact)
    return " ".join(sentences)


ENGLISH = [harbour_page(1), harbour_page(2), harbour_page(3, LAMP), harbour_page(4)]
PANDA = "大熊猫每天要花十多个小时吃竹子。"
CHINESE = [
    "".join(f"第{i}段：港口的第{i}号码头在{['清晨', '中午', '傍晚'][i % 3]}装卸货物，"
            f"一共有{i * 7 + 3}条渔船停靠。" for i in range(1, 9)) + PANDA
    + "".join(f"第{i}段：山上的第{i}座灯塔建于{1800 + i * 11}年。" for i in range(9, 20)),
]  # fmt: skip


@pytest.fixture
def embedder(services: AppServices, minilm_path: Path) -> Embedder:
    return Embedder(services.client, minilm_path, n_ctx=256, n_threads=1)


@pytest.fixture
def window(qtbot: QtBot, services: AppServices) -> Iterator[MainWindow]:
    win = MainWindow(services)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def ingest(services: AppServices, embedder: Embedder, paths: list[Path]) -> None:
    report = services.knowledge.ingestion(embedder, "default").run(paths)
    assert report.count("indexed") == len(paths), report


def top_hit(services: AppServices, embedder: Embedder, question: str, file: Path) -> Hit:
    hits = services.knowledge.retriever(embedder).search(question, k=5)
    found = [h for h in hits if h.file == str(file)]
    assert found, [h.file for h in hits]
    return found[0]


def reply_with(services: AppServices, window: MainWindow,
               citations: list[dict[str, Any]]) -> None:  # fmt: skip
    store = services.chats
    chat = store.create_chat("sources")
    question = store.add_message(chat.id, None, "user", "What do the documents say?")
    reply = store.add_message(chat.id, question.id, "assistant", "They say it [1].",
                              citations=citations)  # fmt: skip
    store.set_active_leaf(chat.id, reply.id)
    window.open_chat(chat.id)


def shown_viewer(qtbot: QtBot, window: MainWindow) -> DocumentViewer:
    viewer = window.dialogs.viewer
    assert isinstance(viewer, DocumentViewer) and viewer.isVisible()
    qtbot.waitExposed(viewer)
    qtbot.waitUntil(lambda: viewer.loaded_source is viewer.source, timeout=LOAD_MS)
    qtbot.wait(RELAYOUT_WAIT_MS)  # the first layout's zoom and scroll have settled
    return viewer


RELAYOUT_WAIT_MS = 300
LOAD_MS = 60_000  # a text document is read in the viewer's parser process (started once)


def pixel_box(page: PdfPageView, char: DrawnChar) -> QRectF:
    """Where a drawn character lies on the rendered page, in the page widget's pixels
    (A4 without rotation: x scales, y flips)."""
    zoom, height = page.zoom, page.points[1]
    return QRectF(char.left * zoom, (height - char.top) * zoom,
                  (char.right - char.left) * zoom, (char.top - char.bottom) * zoom)  # fmt: skip


def cited_chars(text: str, drawn: list[DrawnChar]) -> tuple[list[DrawnChar], list[DrawnChar]]:
    """The drawn characters of exactly ``text`` on a page, and all the others."""
    packed = "".join(d.char for d in drawn)
    wanted = "".join(ch for ch in text if not ch.isspace())
    start = packed.find(wanted)
    assert start >= 0 and packed.find(wanted, start + 1) < 0
    return drawn[start : start + len(wanted)], drawn[:start] + drawn[start + len(wanted) :]


def tinted_share(image: QImage, rect: QRectF) -> float:
    """How much of ``rect`` on the rendered page shows the highlight's amber (red well
    above blue: over white paper and over black ink alike; plain text is grey)."""
    tinted = total = 0
    for y in range(int(rect.top()) + 1, int(rect.bottom())):
        for x in range(int(rect.left()) + 1, int(rect.right())):
            colour = image.pixelColor(x, y)
            total += 1
            tinted += colour.red() - colour.blue() > 40
    return tinted / max(1, total)


def assert_page_highlights(page: PdfPageView, cited: list[DrawnChar],
                           others: list[DrawnChar]) -> None:  # fmt: skip
    rects = page.highlight_rects()
    lines = {c.bottom for c in cited}
    assert len(rects) == len(lines)
    for char in cited:  # every cited character lies under a highlight rectangle
        box = pixel_box(page, char)
        assert any(r.adjusted(-1.5, -1.5, 1.5, 1.5).contains(box) for r in rects), (char, rects)
    for rect in rects:  # and each rectangle lies over cited characters of one line only
        level = [
            pixel_box(page, c)
            for c in cited
            if rect.top() < pixel_box(page, c).center().y() < rect.bottom()
        ]
        assert level
        assert rect.left() >= min(b.left() for b in level) - 1.5
        assert rect.right() <= max(b.right() for b in level) + 1.5
    image = page.grab().toImage()
    for line in lines:
        boxes = [pixel_box(page, c) for c in cited if c.bottom == line]
        span = boxes[0].united(boxes[-1])
        assert tinted_share(image, span) > 0.9, line
    for char in others:  # nothing else on the page is highlighted
        assert tinted_share(image, pixel_box(page, char)) == 0.0, char


def test_a_cited_pdf_passage_opens_highlighted_on_its_page(
    qtbot: QtBot, window: MainWindow, services: AppServices, embedder: Embedder, tmp_path: Path
) -> None:
    english = write_pdf(tmp_path / "harbour.pdf", ENGLISH)
    pandas = write_pdf(tmp_path / "pandas.pdf", CHINESE, chinese=True)
    ingest(services, embedder, [english, pandas])
    lamp = top_hit(services, embedder, "How often is the beacon lamp cleaned?", english)
    panda = top_hit(services, embedder, "大熊猫每天吃多久竹子？", pandas)
    assert lamp.page == 3 and LAMP in " ".join(lamp.text.split()) and PANDA in panda.text
    assert len(services.knowledge.store.chunks_of(lamp.document_id)) > len(ENGLISH)
    reply_with(services, window, [citation(1, lamp), citation(2, panda)])
    chips = window.chat_view.widgets[-1].chip_buttons
    assert len(chips) == 2

    chips[0].click()  # [1] harbour.pdf, page 3
    viewer = shown_viewer(qtbot, window)
    view = viewer.pdf_view
    assert viewer.stack.currentWidget() is view and len(view.pages) == 4
    assert viewer.where.text() == "Page 3 of 4" and viewer.note.isHidden()
    page = view.pages[2]
    cited, others = cited_chars(lamp.text, drawn_pages(ENGLISH)[2])
    assert len({c.bottom for c in cited}) > 1  # the passage runs over several lines
    assert_page_highlights(page, cited, others)
    first = min(page.highlight_rects(), key=lambda r: r.top())
    top = view.verticalScrollBar().value()
    assert top <= page.y() + first.top() <= top + view.viewport().height() - first.height()
    assert view.pages[0].renders == 0  # pages out of sight are not rendered
    assert view.pages[0].width() == page.width() >= view.viewport().width() - 40  # fits the width

    chips[1].click()  # [2] pandas.pdf: the same viewer window, now at the Chinese passage
    assert shown_viewer(qtbot, window) is viewer
    assert len(viewer.pdf_view.pages) == 1 and viewer.where.text() == "Page 1 of 1"
    cited, others = cited_chars(panda.text, drawn_pages(CHINESE, chinese=True)[0])
    assert_page_highlights(viewer.pdf_view.pages[0], cited, others)

    opened: list[QUrl] = []
    window.url_opener = opened.append
    viewer.system_button.click()
    assert opened[0].toLocalFile() == str(pandas) and opened[0].fragment() == "page=1"


def test_a_cited_word_or_markdown_passage_opens_highlighted(
    qtbot: QtBot, window: MainWindow, services: AppServices, embedder: Embedder, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Harbour notes\n\n" + "\n\n".join(
        f"Paragraph {i}: the {place} is swept on day {i} of the month."
        for i, place in enumerate(PLACES * 5)
    ) + "\n\n## Lamp\n\n" + LAMP + " The spare wicks are kept in the tide mill.\n",
        "utf-8")  # fmt: skip
    report = write_docx(tmp_path / "report.docx", [
        ("heading", "Harbour report"),
        *[("paragraph", f"Section {i} of the report lists {i * 3} moorings at the {place}.")
          for i, place in enumerate(PLACES * 8)],
        ("heading", "Pandas"), ("paragraph", PANDA + "它们住在四川的山里。"),
    ])  # fmt: skip
    ingest(services, embedder, [notes, report])
    lamp = top_hit(services, embedder, "How often is the beacon lamp cleaned?", notes)
    panda = top_hit(services, embedder, "大熊猫每天吃多久竹子？", report)
    for hit, path in ((lamp, notes), (panda, report)):
        window.open_citation(citation(1, hit))
        viewer = shown_viewer(qtbot, window)
        text_view = viewer.text_view
        assert viewer.stack.currentWidget() is text_view and viewer.note.isHidden()
        assert text_view.toPlainText() == displayed_text(path)
        (mark,) = text_view.extraSelections()
        chosen = mark.cursor.selectedText().replace("\u2029", "\n")
        assert chosen == hit.text and (mark.cursor.selectionStart(), mark.cursor.selectionEnd()) \
            == (hit.char_start, hit.char_end)  # fmt: skip
        assert mark.format.background().color().red() > mark.format.background().color().blue()
        assert text_view.verticalScrollBar().value() > 0, path  # scrolled down to the passage
        at = QTextCursor(text_view.document())
        at.setPosition(hit.char_start)
        assert text_view.viewport().rect().contains(text_view.cursorRect(at).center())


def test_the_sources_panel_shows_every_retrieved_passage_with_its_scores(
    qtbot: QtBot, window: MainWindow, services: AppServices, embedder: Embedder, tmp_path: Path
) -> None:
    english = write_pdf(tmp_path / "harbour.pdf", ENGLISH)
    ingest(services, embedder, [english])
    hits = services.knowledge.retriever(embedder).search("When is the beacon lamp cleaned?", k=4)
    citations = [{**citation(n, h), "cited": n == 1} for n, h in enumerate(hits, 1)]
    assert citations[0]["keyword_score"] and citations[0]["vector_score"]
    reply_with(services, window, citations)
    question, reply = window.chat_view.widgets
    assert question.sources_button.isHidden() and not reply.sources_button.isHidden()

    reply.sources_button.click()
    (panel,) = [d for d in window.findChildren(SourcesDialog) if d.isVisible()]
    table = panel.table
    assert table.topLevelItemCount() == len(hits) == 4
    for row, hit in enumerate(hits):
        item = table.topLevelItem(row)
        keyword = f"{hit.keyword_score:.2f}" if hit.keyword_score is not None else "—"
        vector = f"{hit.vector_score:.3f}" if hit.vector_score is not None else "—"
        assert (item.text(KEYWORD), item.text(VECTOR)) == (keyword, vector)
        assert item.font(0).bold() == (row == 0)
    assert "cites 1 of them" in panel.summary.text()
    assert table.isColumnHidden(RERANK)  # no reranking stage ordered these

    panel.open_buttons[0].click()
    viewer = shown_viewer(qtbot, window)
    assert viewer.source is not None and viewer.source.page == hits[0].page
    assert viewer.pdf_view.passage is not None and viewer.pdf_view.passage.exact


def test_a_file_the_viewer_cannot_read_is_said_with_its_path(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n")
    store = window.services.knowledge.store
    collection = store.ensure_collection("default")
    facts = DocumentFacts(str(broken), "broken", "pdf", "hash", 9, 0.0, 3)
    store.commit_document(collection.id, facts, [], "model")
    window.open_citation({"n": 1, "file": str(broken), "page": 3, "snippet": "anything"})
    viewer = shown_viewer(qtbot, window)
    assert viewer.stack.currentWidget() is viewer.problem
    assert "cannot show this file" in viewer.problem_text.text()
    assert viewer.problem_path.text() == str(broken) and viewer.problem_path.isReadOnly()
    opened: list[QUrl] = []
    window.url_opener = opened.append
    viewer.system_button.click()
    assert opened[0].toLocalFile() == str(broken) and opened[0].fragment() == "page=3"


def test_a_long_pdf_renders_pages_as_they_are_seen_and_keeps_few(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """A citation without a chunk (an imported chat's: file, page, snippet) opens at its
    page with the snippet found there; scrolling through 30 pages renders each as it comes
    into view and keeps only the last few images."""
    pages = [harbour_page(n) for n in range(1, 31)]
    path = write_pdf(tmp_path / "long.pdf", pages)
    store = window.services.knowledge.store
    facts = DocumentFacts(str(path), "long", "pdf", "hash-long", 1, 0.0, len(pages))
    store.commit_document(store.ensure_collection("default").id, facts, [], "model")
    snippet = "…the walk passes the signal hill where boat number 849 is moored…"
    window.open_citation({"n": 1, "file": str(path), "page": 21, "snippet": snippet})
    viewer = shown_viewer(qtbot, window)
    view = viewer.pdf_view
    assert viewer.where.text() == "Page 21 of 30" and view.passage is not None
    cited, others = cited_chars(snippet.strip("…"), drawn_pages(pages)[20])
    assert_page_highlights(view.pages[20], cited, others)
    assert sum(p.renders for p in view.pages) <= 3  # what is in view, not the document
    for index in range(len(pages)):
        view.scroll_to(index)
        qtbot.wait(10)
    assert all(p.renders >= 1 for p in view.pages)
    assert sum(p.image is not None for p in view.pages) <= KEPT_PAGES


def test_the_sources_panel_shows_a_rerank_score_when_there_is_one(qtbot: QtBot) -> None:
    citations = [{"n": 1, "file": "/d/a.pdf", "page": 2, "score": 0.03, "keyword_score": None,
                  "vector_score": 0.5, "rerank_score": 7.25, "cited": True},
                 {"n": 2, "file": "/d/b.md", "page": None, "score": 0.01}]  # fmt: skip
    panel = SourcesDialog(citations)
    qtbot.addWidget(panel)
    table = panel.table
    assert not table.isColumnHidden(RERANK)
    first, second = table.topLevelItem(0), table.topLevelItem(1)
    assert (first.text(KEYWORD), first.text(VECTOR), first.text(RERANK)) == ("—", "0.500", "7.250")
    assert first.text(2) == "a.pdf, page 2" and second.text(2) == "b.md"
    assert (second.text(KEYWORD), second.text(VECTOR), second.text(RERANK)) == ("—", "—", "—")
    with qtbot.waitSignal(panel.open_requested) as opened:
        panel.open_buttons[1].click()
    assert opened.args[0] is citations[1]


def test_an_edited_document_says_the_passage_changed_or_went(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    paragraphs = [f"Paragraph {i}: the {place} is swept on day {i}." for i, place in
                  enumerate(PLACES)]  # fmt: skip
    notes.write_text("\n\n".join([*paragraphs, LAMP, *paragraphs]), encoding="utf-8")
    chunks = Chunker(lambda t: max(1, len(t.encode()) // 6), 16, overlap=0).chunk(
        parse(notes, notes.read_bytes())
    )
    (lamp,) = [c for c in chunks if LAMP in c.text]
    store = window.services.knowledge.store
    new = [NewChunk(f"c{c.ordinal}", c.ordinal, c.text, c.page, c.heading, c.char_start,
                    c.char_end, f"h{c.ordinal}", c.tokens, [1.0, 0.0]) for c in chunks]  # fmt: skip
    facts = DocumentFacts(str(notes), "notes", "markdown", "hash-notes", 1, 0.0, None)
    store.commit_document(store.ensure_collection("default").id, facts, new, "model")
    cited = {"n": 1, "file": str(notes), "chunk_id": f"c{lamp.ordinal}", "snippet": LAMP}

    edited = LAMP.replace("every Thursday", "on Thursdays")
    notes.write_text("\n\n".join(["A new first line.", *paragraphs, edited, *paragraphs]),
                     encoding="utf-8")  # fmt: skip
    window.open_citation(cited)
    viewer = shown_viewer(qtbot, window)
    assert not viewer.note.isHidden() and "closest passage" in viewer.note.text()
    (mark,) = viewer.text_view.extraSelections()
    assert "The beacon lamp is cleaned on Thursdays" in mark.cursor.selectedText()

    notes.write_text("\n\n".join(paragraphs), encoding="utf-8")
    window.open_citation(cited)
    assert shown_viewer(qtbot, window) is viewer
    assert not viewer.note.isHidden() and "not in this file any more" in viewer.note.text()
    assert viewer.text_view.extraSelections() == [] and viewer.text_view.passage is None


@pytest.mark.usefixtures("chinese_window")
def test_the_viewer_and_the_sources_panel_speak_chinese(
    qtbot: QtBot, services: AppServices, tmp_path: Path
) -> None:
    path = write_pdf(tmp_path / "harbour.pdf", ENGLISH)
    viewer = DocumentViewer(services.translate, lambda url: None)
    qtbot.addWidget(viewer)
    viewer.show_source(CitedSource(path, "pdf", 3, "A passage that was edited away."))
    viewer.show()
    qtbot.waitExposed(viewer)
    qtbot.wait(RELAYOUT_WAIT_MS)
    assert viewer.where.text() == "第 3 页，共 4 页" and not viewer.note.isHidden()
    citations = [{"n": 1, "file": str(path), "page": 3, "score": 0.03, "keyword_score": 1.5,
                  "vector_score": 0.4, "rerank_score": 2.0, "cited": True}]  # fmt: skip
    panel = SourcesDialog(citations)
    qtbot.addWidget(panel)
    panel.show()
    header = panel.table.headerItem()
    shown = visible_texts(viewer) | visible_texts(panel)
    shown |= {header.text(c) for c in range(panel.table.columnCount())}
    shown |= {panel.table.topLevelItem(0).text(c) for c in range(panel.table.columnCount())}
    shown |= {viewer.note.text(), viewer.where.text(), panel.summary.text()}
    assert "来源" in panel.windowTitle() and "关键词" in shown and "重排序" in shown
    assert not untranslated(shown, english_sources())
    viewer.show_source(CitedSource(tmp_path / "gone.md", "text", None, "x"))
    assert not untranslated(visible_texts(viewer), english_sources())  # "Opening…"
    qtbot.waitUntil(lambda: viewer.loaded_source is viewer.source, timeout=LOAD_MS)
    assert viewer.stack.currentWidget() is viewer.problem
    assert not untranslated(visible_texts(viewer), english_sources())
    viewer.close()
