"""The reply renderer, checked in a real QTextBrowser: what a person sees, not the HTML string."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import (
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFragment,
    QTextListFormat,
    QTextTable,
)
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from desktop.chat.markdown import (
    CITE_SCHEME,
    COPY_SCHEME,
    MarkdownRenderer,
    RenderedMarkdown,
    citation_number,
    code_block_index,
)

# ---- reading a rendered document back --------------------------------------------------------


@pytest.fixture
def browser(qtbot: QtBot) -> QTextBrowser:
    view = QTextBrowser()
    view.setOpenLinks(False)
    view.resize(600, 800)
    qtbot.addWidget(view)
    return view


def show(
    browser: QTextBrowser,
    text: str,
    citations: tuple[int, ...] = (),
    renderer: MarkdownRenderer | None = None,
) -> tuple[RenderedMarkdown, QTextDocument]:
    rendered = (renderer or MarkdownRenderer()).render(text, citations=citations)
    browser.setHtml(rendered.html)
    return rendered, browser.document()


def blocks(doc: QTextDocument) -> Iterator[QTextBlock]:
    """Every block, table cells included (a document's blocks run through its frames)."""
    block = doc.begin()
    while block.isValid():
        yield block
        block = block.next()


def fragments(doc: QTextDocument) -> Iterator[QTextFragment]:
    for block in blocks(doc):
        it = block.begin()
        while not it.atEnd():
            yield it.fragment()
            it += 1


def anchors(doc: QTextDocument) -> list[tuple[str, str]]:
    """(href, text) of each link, neighbouring pieces of one link joined."""
    found: list[tuple[str, str]] = []
    previous_end = -1
    for fragment in fragments(doc):
        fmt = fragment.charFormat()
        if not fmt.isAnchor():
            continue
        href = fmt.anchorHref()
        if found and found[-1][0] == href and fragment.position() == previous_end:
            found[-1] = (href, found[-1][1] + fragment.text())
        else:
            found.append((href, fragment.text()))
        previous_end = fragment.position() + fragment.length()
    return found


def block_named(doc: QTextDocument, text: str) -> QTextBlock:
    return next(b for b in blocks(doc) if b.text() == text)


def tables(doc: QTextDocument) -> list[QTextTable]:
    found: list[QTextTable] = []

    def walk(frame) -> None:  # type: ignore[no-untyped-def]
        for child in frame.childFrames():
            if isinstance(child, QTextTable):
                found.append(child)
            walk(child)

    walk(doc.rootFrame())
    return found


def cell_text(table: QTextTable, row: int, column: int) -> str:
    cell = table.cellAt(row, column)
    cursor = cell.firstCursorPosition()
    cursor.setPosition(cell.lastCursorPosition().position(), QTextCursor.MoveMode.KeepAnchor)
    return cursor.selection().toPlainText()


def code_cell(doc: QTextDocument, index: int = 0) -> tuple[QTextTable, str]:
    """The table of the index-th code block (the ones with a copy link) and its code."""
    code_tables = [t for t in tables(doc) if t.columns() == 2 and _has_copy_link(doc, t)]
    table = code_tables[index]
    return table, cell_text(table, 1, 0)


def _has_copy_link(doc: QTextDocument, table: QTextTable) -> bool:
    cell = table.cellAt(0, 1)
    return any(
        f.charFormat().anchorHref().startswith(COPY_SCHEME)
        for f in fragments(doc)
        if cell.firstPosition() <= f.position() < cell.lastPosition()
    )


def formats_in_cell(doc: QTextDocument, table: QTextTable) -> list[tuple[str, QTextCharFormat]]:
    cell = table.cellAt(1, 0)
    start, end = cell.firstPosition(), cell.lastPosition()
    return [
        (f.text(), f.charFormat())
        for f in fragments(doc)
        if start <= f.position() < end and f.text().strip()
    ]


# ---- structure -------------------------------------------------------------------------------


def test_headings_are_bigger_and_bold(browser: QTextBrowser) -> None:
    _, doc = show(browser, "# Title\n\n## Part\n\n### Detail\n\nBody text.")
    doc.setTextWidth(500)
    doc.size()  # lays the document out
    title, part, detail = (block_named(doc, t) for t in ("Title", "Part", "Detail"))
    body = block_named(doc, "Body text.")
    assert [b.blockFormat().headingLevel() for b in (title, part, detail, body)] == [1, 2, 3, 0]
    for heading in (title, part, detail):
        assert heading.charFormat().fontWeight() >= 700 or all(
            f.charFormat().fontWeight() >= 700 for f in fragments(doc) if f.text() == heading.text()
        )
    size = {b.text(): b.layout().lineAt(0).height() for b in (title, part, detail, body)}
    assert size["Title"] > size["Part"] > size["Body text."]
    assert size["Detail"] >= size["Body text."]


def test_emphasis_strike_inline_code_and_rule(browser: QTextBrowser) -> None:
    _, doc = show(browser, "A **bold** and *slanted* and ~~gone~~ and `x < y`.\n\n---\n\nAfter.")
    by_text = {f.text(): f.charFormat() for f in fragments(doc)}
    assert by_text["bold"].fontWeight() >= 700
    assert by_text["slanted"].fontItalic()
    assert by_text["gone"].fontStrikeOut()
    code = by_text["x < y"]
    assert "monospace" in (code.fontFamilies() or [])
    assert code.background().color().isValid() and code.background().style() != 0
    assert any(b.blockFormat().hasProperty(QTextFormat.BlockTrailingHorizontalRulerWidth)
               for b in blocks(doc))  # fmt: skip


def test_nested_and_ordered_lists(browser: QTextBrowser) -> None:
    text = "- apple\n- berry\n  - blue\n  - black\n- cherry\n\n3. third\n4. fourth\n"
    _, doc = show(browser, text)
    lists = {b.text(): b.textList() for b in blocks(doc) if b.textList() is not None}
    assert set(lists) == {"apple", "berry", "blue", "black", "cherry", "third", "fourth"}
    assert lists["apple"].format().indent() < lists["blue"].format().indent()
    assert lists["apple"].format().style() == QTextListFormat.Style.ListDisc
    ordered = lists["third"]
    assert ordered.format().style() == QTextListFormat.Style.ListDecimal
    assert ordered.itemText(block_named(doc, "third")) == "3."
    assert ordered.itemText(block_named(doc, "fourth")) == "4."


def test_blockquote_is_shown_apart(browser: QTextBrowser) -> None:
    _, doc = show(browser, "Before.\n\n> Quoted *words*\n> go here.\n\nAfter.")
    plain = doc.toPlainText()
    assert "Quoted words" in plain and "go here." in plain
    quoted = block_named(doc, "Quoted words\u2028go here.")
    assert quoted.document() is doc
    cursor = QTextCursor(quoted)
    assert cursor.currentTable() is not None  # the bar and the text sit in a table
    assert "Before." in plain and "After." in plain


def test_table_becomes_a_text_table(browser: QTextBrowser) -> None:
    text = (
        "| Name | Count | 备注 |\n|:--|--:|:-:|\n| apples | 3 | 新鲜，好吃 |\n| pears | 12 | — |\n"
    )
    _, doc = show(browser, text)
    [table] = tables(doc)
    assert (table.rows(), table.columns()) == (3, 3)
    assert [cell_text(table, 0, c) for c in range(3)] == ["Name", "Count", "备注"]
    assert [cell_text(table, 1, c) for c in range(3)] == ["apples", "3", "新鲜，好吃"]
    assert [cell_text(table, 2, c) for c in range(3)] == ["pears", "12", "—"]
    assert table.format().border() >= 1
    assert table.format().cellPadding() > 0


# ---- code --------------------------------------------------------------------------------------


def test_code_block_text_survives_exactly(browser: QTextBrowser) -> None:
    code = (
        "\n"
        "if a < b && c > d:\n"
        "\tprint('tab & <tag>')  # 中文注释，全角！\n"
        "        deep = 1\n"
        "\n"
        "\n"
        "x = '&amp; stays &amp;'\n"
    )
    rendered, doc = show(browser, f"Look:\n\n```\n{code}```\n\nDone.")
    assert rendered.code_blocks == (code[:-1],)  # the fence's own last newline is not code
    _, shown = code_cell(doc)
    assert shown == code[:-1]


def test_highlighted_code_text_survives_exactly(browser: QTextBrowser) -> None:
    code = 'def f(x):\n\tif x < 1 and x > -1:\n        return "<&>中文"\n\n'
    rendered, doc = show(browser, f"```python\n{code}```")
    assert rendered.code_blocks == (code[:-1],)
    assert code_cell(doc)[1] == code[:-1]


def test_code_blocks_and_copy_links_in_order(browser: QTextBrowser) -> None:
    text = (
        "One:\n\n```python\nprint(1)\n```\n\n"
        "Two, indented:\n\n    two = 2\n\n"
        "- in a list:\n\n  ~~~\n  three\n  ~~~\n"
    )
    rendered, doc = show(browser, text, renderer=MarkdownRenderer(copy_label="复制"))
    assert rendered.code_blocks == ("print(1)", "two = 2", "three")
    copy_links = [(href, label) for href, label in anchors(doc) if href.startswith(COPY_SCHEME)]
    assert copy_links == [(f"{COPY_SCHEME}:{n}", "复制") for n in range(3)]
    assert [code_block_index(href) for href, _ in copy_links] == [0, 1, 2]
    for index, code in enumerate(rendered.code_blocks):
        assert code_cell(doc, index)[1] == code
    # The header names the language when the fence does.
    table, _ = code_cell(doc, 0)
    assert cell_text(table, 0, 0) == "python"
    assert cell_text(code_cell(doc, 1)[0], 0, 0) == ""


def test_code_block_index_parses_only_copy_links() -> None:
    assert code_block_index("fireside-copy:0") == 0
    assert code_block_index("fireside-copy:17") == 17
    for other in ("fireside-copy:", "fireside-copy:-1", "fireside-copy:x", "https://a/",
                  "fireside-cite:2", "fireside-copy:١"):  # fmt: skip
        assert code_block_index(other) is None


def test_python_block_carries_colours(browser: QTextBrowser) -> None:
    _, doc = show(browser, "```python\ndef greet(name):\n    return 'hi ' + name  # say hi\n```")
    table, _ = code_cell(doc)
    spans = formats_in_cell(doc, table)
    coloured = {text: fmt.foreground().color().name() for text, fmt in spans
                if fmt.hasProperty(QTextFormat.ForegroundBrush)}  # fmt: skip
    assert "def" in coloured and "'hi '" in coloured and "# say hi" in coloured
    assert len(set(coloured.values())) >= 3
    # The dark style colours differently, for a dark window.
    dark_browser = QTextBrowser()
    _, dark_doc = show(dark_browser, "```python\ndef greet(name):\n    pass\n```",
                       renderer=MarkdownRenderer(dark=True))  # fmt: skip
    dark_table, _ = code_cell(dark_doc)
    dark = {t: f.foreground().color().name() for t, f in formats_in_cell(dark_doc, dark_table)}
    assert dark["def"] != coloured["def"]
    dark_browser.deleteLater()


@pytest.mark.parametrize("fence", ["```nosuchlanguage", "```", "```\u4e2d\u6587"])
def test_unknown_or_missing_language_is_plain(browser: QTextBrowser, fence: str) -> None:
    code = "def greet(name):\n    return 'hi'"
    rendered, doc = show(browser, f"{fence}\n{code}\n```")
    table, shown = code_cell(doc)
    assert shown == code == rendered.code_blocks[0]
    for _, fmt in formats_in_cell(doc, table):
        assert not fmt.hasProperty(QTextFormat.ForegroundBrush)
        assert fmt.fontWeight() < 700


# ---- safety ------------------------------------------------------------------------------------


def test_raw_html_is_shown_as_text(browser: QTextBrowser) -> None:
    text = "Hi <script>alert(1)</script> and <b>bold?</b>\n\n<div>\n<i>block</i>\n</div>"
    _, doc = show(browser, text)
    plain = doc.toPlainText()
    assert "<script>alert(1)</script>" in plain
    assert "<b>bold?</b>" in plain
    assert "<i>block</i>" in plain
    assert all(f.charFormat().fontWeight() < 700 for f in fragments(doc))
    assert not any(f.charFormat().fontItalic() for f in fragments(doc))


def test_only_safe_link_schemes_are_links(browser: QTextBrowser) -> None:
    text = (
        "[web](https://example.com/a?b=1&c=2) [plain](http://example.org) "
        "[mail](mailto:someone@example.com) [file](file:///tmp/notes.txt) "
        "[bad](javascript:alert(1)) [data](data:text/html,hi) [rel](other/page) "
        "<javascript:alert(2)> <https://auto.example.com>"
    )
    _, doc = show(browser, text)
    assert anchors(doc) == [
        ("https://example.com/a?b=1&c=2", "web"),
        ("http://example.org", "plain"),
        ("mailto:someone@example.com", "mail"),
        ("file:///tmp/notes.txt", "file"),
        ("https://auto.example.com", "https://auto.example.com"),
    ]
    plain = doc.toPlainText()
    for shown_as_text in ("bad", "data", "rel", "javascript:alert(2)"):
        assert shown_as_text in plain


def test_bare_addresses_become_links_without_trailing_punctuation(browser: QTextBrowser) -> None:
    text = "See https://example.com/a_b. Or 网址https://example.cn/路径。(https://x.org/y)"
    _, doc = show(browser, text)
    assert [href for href, _ in anchors(doc)] == [
        "https://example.com/a_b",
        "https://example.cn/",
        "https://x.org/y",
    ]
    assert doc.toPlainText().strip() == text


def test_images_are_links_not_loaded(browser: QTextBrowser) -> None:
    _, doc = show(browser, "![a chart](https://example.com/c.png) ![x](javascript:alert(1))")
    assert anchors(doc) == [("https://example.com/c.png", "a chart")]
    assert "x" in doc.toPlainText()


# ---- streaming ---------------------------------------------------------------------------------


def test_unclosed_fence_renders_the_partial_code(browser: QTextBrowser) -> None:
    text = "Here is the code:\n\n```python\ndef f(a):\n    return a < 3"
    rendered, doc = show(browser, text)
    assert rendered.code_blocks == ("def f(a):\n    return a < 3",)
    assert code_cell(doc)[1] == "def f(a):\n    return a < 3"
    assert "Here is the code:" in doc.toPlainText()
    assert anchors(doc) == [(f"{COPY_SCHEME}:0", "Copy")]


def test_every_prefix_of_a_streaming_reply_renders(browser: QTextBrowser) -> None:
    reply = (
        "## 步骤\n\n1. 安装：运行 `pip install x`\n2. **注意：**版本 [1]\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```python\nfor i in range(3):\n\tprint(i, '<&>')\n```\n\n"
        "> 引用 https://example.com\n\n```sh\necho hi\n```\n完成。"
    )
    renderer = MarkdownRenderer()
    for end in range(len(reply) + 1):
        rendered, doc = show(browser, reply[:end], citations=(1,), renderer=renderer)
        assert len(rendered.code_blocks) <= 2
    assert rendered.code_blocks == ("for i in range(3):\n\tprint(i, '<&>')", "echo hi")
    assert code_cell(doc, 0)[1] == rendered.code_blocks[0]
    assert "完成。" in doc.toPlainText()


# ---- citations ---------------------------------------------------------------------------------


def test_cited_numbers_become_links(browser: QTextBrowser) -> None:
    text = "Paris [1] and Lyon [2], not [3]. Both [1, 2]. `code [1]`\n\n```\nitems[1]\n```"
    _, doc = show(browser, text, citations=(1, 2))
    cites = [(href, label) for href, label in anchors(doc) if href.startswith(CITE_SCHEME)]
    assert cites == [
        ("fireside-cite:1", "[1]"),
        ("fireside-cite:2", "[2]"),
        ("fireside-cite:1", "1"),
        ("fireside-cite:2", "2"),
    ]
    raised = [f for f in fragments(doc) if f.charFormat().anchorHref().startswith(CITE_SCHEME)]
    superscript = QTextCharFormat.VerticalAlignment.AlignSuperScript
    assert raised and all(f.charFormat().verticalAlignment() == superscript for f in raised)
    plain = doc.toPlainText()
    assert "not [3]." in plain and "code [1]" in plain and "items[1]" in plain


def test_numbers_are_plain_without_citations(browser: QTextBrowser) -> None:
    _, doc = show(browser, "Paris [1] and Lyon [2].")
    assert anchors(doc) == []
    assert doc.toPlainText().strip() == "Paris [1] and Lyon [2]."


def test_citation_inside_a_link_stays_part_of_it(browser: QTextBrowser) -> None:
    _, doc = show(browser, "[see [1]](https://example.com)", citations=(1,))
    assert anchors(doc) == [("https://example.com", "see [1]")]


def test_citation_number_parses_only_cite_links() -> None:
    assert citation_number("fireside-cite:1") == 1
    assert citation_number("fireside-cite:42") == 42
    for other in ("fireside-cite:", "fireside-cite:a", "fireside-copy:1", "https://x/1"):
        assert citation_number(other) is None


# ---- Chinese -------------------------------------------------------------------------------------


def test_chinese_passes_through(browser: QTextBrowser) -> None:
    text = (
        "# 标题：你好\n\n"
        "这是第一段，包含全角标点：逗号，句号。问号？感叹号！“引号”（括号）……\n"
        "第二行紧跟着。\n\n"
        "- 列表项一\n- 列表项二\n\n"
        "**注意：**这里是粗体后紧跟中文。中文**“引用”**中文。"
    )
    _, doc = show(browser, text)
    texts = [b.text() for b in blocks(doc)]
    assert "标题：你好" in texts
    assert (
        "这是第一段，包含全角标点：逗号，句号。问号？感叹号！“引号”（括号）……\u2028第二行紧跟着。"
        in texts
    )
    assert "列表项一" in texts and "列表项二" in texts
    bold = [f.text() for f in fragments(doc) if f.charFormat().fontWeight() >= 700]
    assert "注意：" in bold and "“引用”" in bold
    assert "**" not in doc.toPlainText()
