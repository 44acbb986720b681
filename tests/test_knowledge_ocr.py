"""OCR of scanned pages and images: generated pages (English, and Chinese in a CJK font)
as images and as image-only PDFs, clean or slightly rotated and noisy, read by the real
RapidOCR in the real parser process, ingested with the real MiniLM into real SQLite and
Chroma; then searched, cited, and the bad images each told apart in one line.

OCR on two shared cores takes seconds a page, so the pages are small and few, and most
tests look at one ingestion made once for the module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.engine.client import EngineClient
from core.i18n import Translator
from core.knowledge.cited import cited_source
from core.knowledge.embedder import Embedder
from core.knowledge.errors import UnreadableDocument
from core.knowledge.ingest import IngestReport, Progress
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.parser_process import ParserProcess
from core.knowledge.passages import find_in_pdf
from core.knowledge.readers import ReadLimits
from core.knowledge.readers.image import POINTS_PER_PIXEL, image_document
from core.paths import AppPaths
from tests.ocr_pages import (
    EN_FACT_LINES,
    EN_LINES,
    ZH_FACT_LINES,
    ZH_LINES,
    character_accuracy,
    render_page,
    write_image_pdf,
    write_png_bomb,
    write_tiff_with_damaged_page,
)

CLEAN_ACCURACY = 0.95
NOISY_ACCURACY = 0.90
LINE_PITCH = int(30 * 1.9)  # render_page's line spacing at its default font size


@pytest.fixture(scope="module")
def engine(engine_log: Path) -> Iterator[EngineClient]:
    client = EngineClient(log_path=engine_log)
    yield client
    client.close()


@dataclass
class Scanned:
    paths: AppPaths
    folder: Path
    report: IngestReport
    embedder: Embedder


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory, engine: EngineClient,
            minilm_path: Path) -> Scanned:  # fmt: skip
    """Scans, images and bad images, ingested once."""
    folder = tmp_path_factory.mktemp("scans")
    render_page(EN_LINES).save(folder / "storms.png")
    write_image_pdf(folder / "panda.pdf", [render_page(ZH_LINES, chinese=True)])
    text_page = "Minutes of the harbour board.\nThe board met on Tuesday and agreed the budget."
    noisy = render_page(EN_FACT_LINES, angle=1.5, noise=25, seed=1)
    write_image_pdf(folder / "harbour.pdf", [text_page, noisy])
    write_tiff_with_damaged_page(
        folder / "station.tiff",
        render_page(ZH_FACT_LINES, chinese=True, angle=-1.5, noise=25, seed=2),
        render_page(EN_LINES),
    )
    (folder / "notes.md").write_text("# Notes\n\nThe ferry leaves at seven every morning.\n")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"not a jpeg at all" * 20)
    write_png_bomb(folder / "bomb.png")
    (folder / "empty.tiff").write_bytes(b"")
    paths = AppPaths.under(tmp_path_factory.mktemp("ocr-home")).ensure()
    embedder = Embedder(engine, minilm_path, n_ctx=256, n_threads=1)
    with KnowledgeBase(paths) as kb:
        report = kb.ingestion(embedder, "scans").run([folder])
    return Scanned(paths, folder, report, embedder)


def recognised_text(kb: KnowledgeBase, path: Path, page: int) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    pages = {p.page: p for p in kb.store.ocr_pages(digest)}
    assert page in pages, f"{path.name}: page {page} was not recognised ({sorted(pages)})"
    return pages[page].text


def test_clean_pages_are_read_with_high_character_accuracy(scanned: Scanned) -> None:
    with KnowledgeBase(scanned.paths) as kb:
        english = recognised_text(kb, scanned.folder / "storms.png", 1)
        chinese = recognised_text(kb, scanned.folder / "panda.pdf", 1)
    assert character_accuracy("\n".join(EN_LINES), english) >= CLEAN_ACCURACY, english
    assert character_accuracy("\n".join(ZH_LINES), chinese) >= CLEAN_ACCURACY, chinese


def test_rotated_noisy_pages_are_read_and_text_layers_are_kept(scanned: Scanned) -> None:
    with KnowledgeBase(scanned.paths) as kb:
        english = recognised_text(kb, scanned.folder / "harbour.pdf", 2)
        chinese = recognised_text(kb, scanned.folder / "station.tiff", 1)
        digest = hashlib.sha256((scanned.folder / "harbour.pdf").read_bytes()).hexdigest()
        assert [p.page for p in kb.store.ocr_pages(digest)] == [2]  # page 1 has its text
        chunks = kb.store.chunks_of(kb.find(str(scanned.folder / "harbour.pdf")).id)
    assert character_accuracy("\n".join(EN_FACT_LINES), english) >= NOISY_ACCURACY, english
    assert character_accuracy("".join(ZH_FACT_LINES), chinese) >= NOISY_ACCURACY, chinese
    assert {c.page for c in chunks} == {1, 2}
    assert any("budget" in c.text and c.page == 1 for c in chunks)


def test_a_question_retrieves_the_recognised_page(scanned: Scanned) -> None:
    questions = {
        "How many storms did the lighthouse keeper on Gannet Rock log?": ("storms.png", 1),
        "When is invoice 4471 from Harbour Ropes due?": ("harbour.pdf", 2),
        "观测站记录了多少次暴风？": ("station.tiff", 1),
    }
    with KnowledgeBase(scanned.paths) as kb:
        retriever = kb.retriever(scanned.embedder)
        for question, (name, page) in questions.items():
            hit = retriever.search(question, k=3)[0]
            assert (Path(hit.file).name, hit.page) == (name, page), question


def test_documents_say_recognised_from_image_and_failed_pages_why(scanned: Scanned) -> None:
    with KnowledgeBase(scanned.paths) as kb:
        documents = {Path(d.path).name: d for d in kb.documents("scans")}
    recognised = {name for name, d in documents.items() if d.recognised}
    assert recognised == {"storms.png", "panda.pdf", "harbour.pdf", "station.tiff"}
    assert documents["storms.png"].kind == "image"
    tiff = documents["station.tiff"]  # page 2 is damaged: page 1 is indexed, page 2 noted
    assert tiff.status == "indexed" and tiff.pages == 2 and tiff.chunk_count >= 1
    assert tiff.error_code == "kb_ocr_pages_failed"
    assert tiff.error_params is not None and tiff.error_params["pages"] == "2"


def test_bad_images_get_one_line_messages_and_the_rest_goes_on(scanned: Scanned) -> None:
    failed = {Path(o.path).name: o for o in scanned.report.outcomes if o.status == "failed"}
    assert {name: o.code for name, o in failed.items()} == {
        "broken.jpg": "kb_image_corrupt",
        "bomb.png": "kb_image_too_large",
        "empty.tiff": "kb_file_empty",
    }
    assert "50,000" in failed["bomb.png"].params["size"].replace("×", ",") or \
        "2,500,000,000" in failed["bomb.png"].params["size"]  # fmt: skip
    for language in ("en", "zh_CN"):
        for name, outcome in failed.items():
            text = Translator(language)(outcome.code or "", **outcome.params)
            assert name in text and "\n" not in text and "{" not in text, text
    indexed = {Path(o.path).name for o in scanned.report.outcomes if o.status == "indexed"}
    assert indexed == {"storms.png", "panda.pdf", "harbour.pdf", "station.tiff", "notes.md"}


def test_a_citation_opens_at_the_recognised_lines(scanned: Scanned) -> None:
    """The passage's boxes are where its lines were drawn (the page is 150 dpi: a line
    drawn at pixel row y from the top lies at height - y × 0.48 points)."""
    with KnowledgeBase(scanned.paths) as kb:
        hit = kb.retriever(scanned.embedder).search("Gannet Rock lighthouse storms", k=1)[0]
        source = cited_source(kb.store, hit.to_json())
    assert source is not None and source.kind == "image" and source.page == 1
    assert [p.page for p in source.recognised] == [1]
    document = image_document(source.path)
    try:
        width, height = document.get_page_size(0)
        passage = find_in_pdf(document, source.page, source.passage, source.hint,
                              source.recognised)  # fmt: skip
    finally:
        document.close()
    assert passage is not None and passage.page == 1 and passage.exact
    assert len(passage.boxes) == len(EN_LINES)  # the chunk is the whole page: every line
    for number, box in enumerate(sorted(passage.boxes, key=lambda b: -b.top)):
        drawn_top = height - (60 + number * LINE_PITCH) * POINTS_PER_PIXEL
        assert abs(box.top - drawn_top) < 10 and box.bottom < box.top, (number, box)
        assert 0 <= box.left < 40 and box.right <= width


def test_with_ocr_off_a_scan_and_an_image_say_how_to_turn_it_on(tmp_path: Path) -> None:
    page = render_page(EN_LINES[:1], size=(800, 520))
    scan = write_image_pdf(tmp_path / "scan.pdf", [page])
    page.save(tmp_path / "line.png")
    with ParserProcess() as parser:
        for path, code in ((tmp_path / "line.png", "kb_image_ocr_off"),
                           (scan, "kb_file_no_text_ocr_off")):  # fmt: skip
            with pytest.raises(UnreadableDocument) as caught:
                parser.parse(path, ReadLimits(ocr=False))
            assert caught.value.code == code
            for language in ("en", "zh_CN"):
                assert "OCR" in caught.value.message(Translator(language))


def test_a_stopped_ingestion_keeps_its_recognised_pages_and_resumes_after_them(
    tmp_path: Path, engine: EngineClient, minilm_path: Path
) -> None:
    """Stop while page 2 is being recognised: page 1 is stored already; the resumed job
    takes it from the store (its row is not written again) and recognises only page 2."""
    pages = [render_page(lines[:1], size=(800, 520)) for lines in (EN_LINES, EN_FACT_LINES)]
    scan = write_image_pdf(tmp_path / "two.pdf", pages)
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    paths = AppPaths.under(tmp_path / "home").ensure()
    embedder = Embedder(engine, minilm_path, n_ctx=256, n_threads=1)
    with KnowledgeBase(paths) as kb:
        stopped: list[bool] = []

        def stop_after_page_one(progress: Progress) -> None:
            if kb.store.ocr_pages(digest) and not stopped:
                stopped.append(True)
                ingestion.cancel()

        ingestion = kb.ingestion(embedder, "scans", on_progress=stop_after_page_one)
        first = ingestion.run([scan])
        assert first.cancelled and stopped
        kept = kb.store.ocr_pages(digest)
        assert [p.page for p in kept] == [1]
        assert kb.documents("scans") == []  # the document itself waits for the next run
        resumed = kb.ingestion(embedder, "scans").run([scan])  # what Resume runs
        assert [o.status for o in resumed.outcomes] == ["indexed"]
        after = {p.page: p for p in kb.store.ocr_pages(digest)}
        assert sorted(after) == [1, 2] and after[1] == kept[0]  # page 1 was not read again
        chunks = kb.store.chunks_of(kb.find(str(scan)).id)
    assert {c.page for c in chunks} == {1, 2}


def test_a_replaced_scan_is_recognised_again_and_its_old_pages_go(
    tmp_path: Path, engine: EngineClient, minilm_path: Path
) -> None:
    """A scan indexed (version A), then replaced by a two-page scan whose ingestion is
    stopped after its first page (B: a page kept to resume from), then by a third (C) that
    is indexed: C's text is recognised and found; neither A's nor B's pages are left in the
    store, in search or for a citation; removing the file takes C's pages with it."""
    folder = tmp_path / "scans"
    folder.mkdir()
    scan = folder / "letter.pdf"
    small = (1000, 300)
    write_image_pdf(scan, [render_page(EN_LINES[:2], size=small)])  # A: the lighthouse keeper
    paths = AppPaths.under(tmp_path / "home").ensure()
    embedder = Embedder(engine, minilm_path, n_ctx=256, n_threads=1)

    def digest() -> str:
        return hashlib.sha256(scan.read_bytes()).hexdigest()

    with KnowledgeBase(paths) as kb:
        first = kb.ingestion(embedder, "scans").run([folder])
        assert [o.status for o in first.outcomes] == ["indexed"]
        version_a = digest()
        assert "lighthouse" in kb.store.ocr_pages(version_a)[0].text

        two_pages = [render_page(EN_FACT_LINES[:1], size=small),
                     render_page(EN_LINES[2:], size=small)]  # fmt: skip
        write_image_pdf(scan, two_pages)  # B
        version_b = digest()
        stopped: list[bool] = []

        def stop_after_page_one(progress: Progress) -> None:
            if kb.store.ocr_pages(version_b) and not stopped:
                stopped.append(True)
                ingestion.cancel()

        ingestion = kb.ingestion(embedder, "scans", on_progress=stop_after_page_one)
        assert ingestion.run([folder]).cancelled and stopped
        assert [p.page for p in kb.store.ocr_pages(version_b)] == [1]

        write_image_pdf(scan, [render_page(ZH_FACT_LINES, chinese=True, size=small)])  # C
        version_c = digest()
        third = kb.ingestion(embedder, "scans").run([folder])
        assert [o.status for o in third.outcomes] == ["replaced"]
        assert "暴风" in kb.store.ocr_pages(version_c)[0].text
        assert kb.store.ocr_pages(version_a) == [] and kb.store.ocr_pages(version_b) == []
        document = kb.find(str(scan))
        assert document.content_hash == version_c and document.recognised
        texts = [c.text for c in kb.store.chunks_of(document.id)]
        assert any("暴风" in t for t in texts) and not any("lighthouse" in t for t in texts)
        retriever = kb.retriever(embedder)
        for question in ("lighthouse keeper Gannet Rock", "Invoice 4471 Harbour Ropes"):
            for hit in retriever.search(question, k=5):
                assert "lighthouse" not in hit.text and "Invoice" not in hit.text, hit.text
        hit = retriever.search("观测站记录了多少次暴风？", k=1)[0]
        assert "暴风" in hit.text
        source = cited_source(kb.store, hit.to_json())
        assert source is not None and [p.page for p in source.recognised] == [1]
        assert all("lighthouse" not in p.text for p in source.recognised)

        scan.unlink()
        gone = kb.ingestion(embedder, "scans").run([folder])
        assert [o.status for o in gone.outcomes] == ["removed"]
        assert kb.store.ocr_pages(version_c) == []
