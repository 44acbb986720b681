"""Every reader on real files the tests write, and every kind of bad file a folder can hold."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from core.knowledge import readers
from core.knowledge.errors import UnreadableDocument
from core.knowledge.readers.base import ReadLimits, decode_text, looks_binary
from tests.documents import (
    CONTRACT_GBK,
    HANDBOOK_PAGES,
    write_bad_files,
    write_docx,
    write_epub,
    write_library,
)


def parse(path: Path, limits: ReadLimits | None = None) -> readers.ParsedDocument:
    return readers.parse(path, path.read_bytes(), limits)


def failure(path: Path, limits: ReadLimits | None = None) -> UnreadableDocument:
    with pytest.raises(UnreadableDocument) as caught:
        parse(path, limits)
    return caught.value


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("library")
    write_library(folder)
    return folder


def test_pdf_text_comes_with_its_page_numbers(library: Path) -> None:
    document = parse(library / "handbook.pdf")
    assert document.kind == "pdf" and document.pages == 3
    assert document.title == "Harbor Lighthouse Handbook"
    assert [s.page for s in document.sections] == [1, 2, 3]
    assert "every Tuesday" in document.sections[1].text
    assert "Tuesday" not in document.sections[0].text + document.sections[2].text
    assert document.sections[0].text.split()[:3] == HANDBOOK_PAGES[0].split()[:3]


def test_chinese_pdf_reads_as_chinese_with_lines_joined(library: Path) -> None:
    document = parse(library / "pandas.pdf")
    assert document.pages == 2 and document.title == "大熊猫"
    assert "体重通常在八十到一百二十五公斤之间" in document.sections[1].text
    assert "\n" not in document.sections[0].text.strip()  # wrapped lines joined between 汉字


def test_docx_paragraphs_headings_and_tables(library: Path) -> None:
    document = parse(library / "tea.docx")
    assert document.kind == "docx" and document.title == "Tea notes"
    assert [s.heading for s in document.sections] == ["Green tea", "Steeping times"]
    assert "steep for two minutes" in document.sections[0].text
    assert "Oolong | 4" in document.sections[1].text  # table rows as lines


def test_epub_chapters_in_spine_order(library: Path) -> None:
    document = parse(library / "garden.epub")
    assert document.kind == "epub" and document.title == "The Small Garden"
    assert [s.heading for s in document.sections] == ["Tomatoes", "Roses"]
    assert all(s.page is None for s in document.sections)


def test_markdown_headings_become_sections(library: Path) -> None:
    document = parse(library / "bread.md")
    assert document.kind == "markdown" and document.title == "Bread"
    assert [s.heading for s in document.sections] == ["Bread", "Kneading"]
    assert "ten minutes" in document.sections[1].text


def test_gbk_chinese_text_is_detected(library: Path) -> None:
    raw = (library / "contract.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    document = parse(library / "contract.txt")
    assert document.kind == "text"
    assert document.sections[0].text.strip() == CONTRACT_GBK.strip()


def test_html_drops_scripts_and_styles_and_keeps_headings(library: Path) -> None:
    document = parse(library / "station.html")
    assert document.title == "Weather station"
    text = "\n".join(s.text for s in document.sections)
    assert "anemometer is calibrated every March" in text
    assert "never indexed" not in text and "color: red" not in text
    assert [s.heading for s in document.sections] == ["Weather station", "Rain gauge"]


def test_rst_and_source_code(tmp_path: Path) -> None:
    rst = tmp_path / "guide.rst"
    rst.write_text("=====\nGuide\n=====\n\nIntro text.\n\nInstall\n-------\n\npip install it.\n")
    document = parse(rst)
    assert document.kind == "rst"
    assert [s.heading for s in document.sections] == ["Guide", "Install"]
    code = tmp_path / "tool.py"
    code.write_text("def main() -> None:\n    print('hi')\n")
    assert parse(code).kind == "code"


def test_encodings_utf16_latin1_and_gb18030(tmp_path: Path) -> None:
    assert decode_text("héllo wörld".encode("utf-16"), tmp_path) == "héllo wörld"
    assert decode_text("第三条 违约责任".encode("gb18030"), tmp_path) == "第三条 违约责任"
    latin = "Le café est très chaud, n'est-ce pas? Très bien, merci beaucoup.".encode("latin-1")
    assert "café" in decode_text(latin, tmp_path)
    assert looks_binary(b"\x00\x01\x02abc") and not looks_binary("普通文本".encode())


def test_every_bad_file_gets_its_reason(tmp_path: Path) -> None:
    expected = write_bad_files(tmp_path)
    for name, code in expected.items():
        error = failure(tmp_path / name)
        assert error.code == code, name
        assert error.params["path"] == str(tmp_path / name)


def test_more_bad_files(tmp_path: Path) -> None:
    odd = tmp_path / "drawing.xyz"
    odd.write_text("x")
    assert failure(odd).code == "kb_file_unsupported"
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    assert failure(big, ReadLimits(max_text_bytes=100)).code == "kb_file_too_large"
    blank = tmp_path / "blank.md"
    blank.write_text("   \n\n  \n")
    assert failure(blank).code == "kb_file_no_text"
    ole = tmp_path / "secret.docx"  # how Word stores a password-protected document
    ole.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 512)
    assert failure(ole).code == "kb_file_encrypted"
    not_zip = tmp_path / "broken.docx"
    not_zip.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert failure(not_zip).code == "kb_file_corrupt"
    no_body = tmp_path / "hollow.docx"
    with zipfile.ZipFile(no_body, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert failure(no_body).code == "kb_file_corrupt"


def test_epub_with_drm_is_reported_as_encrypted(tmp_path: Path) -> None:
    book = write_epub(tmp_path / "drm.epub", "Locked", [("One", "Text.")])
    with zipfile.ZipFile(book, "a") as archive:
        archive.writestr(
            "META-INF/encryption.xml",
            '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
            '<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
            "</enc:EncryptedData></encryption>",
        )
    assert failure(book).code == "kb_file_encrypted"


def test_docx_written_by_the_writer_round_trips(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "mixed.docx", [("paragraph", "只有中文的段落。")])
    assert "只有中文的段落" in parse(path).sections[0].text
