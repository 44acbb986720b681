"""Markdown of a model's reply, turned into the HTML subset Qt's rich text understands.

Why our own rendering rules and not markdown-it's HTML as it is: QTextBrowser knows only an
HTML4 subset and barely reads CSS classes, so everything is styled inline, code blocks are
tables (Qt draws a table's background, not a ``<pre>``'s), and each code block gets a "Copy"
link the chat view answers (``fireside-copy:N``); cited ``[n]`` become ``fireside-cite:n``.
Links keep only schemes a person can safely follow; raw HTML in the model's text is shown,
never interpreted.

The renderer runs on the GUI thread about every 80 ms while a reply streams, on the whole text
so far, so it must stay quick: the parser, the highlighting style and the lexers are built once,
and code that did not change since the last pass is not highlighted again.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from markdown_it import MarkdownIt
from markdown_it.common.utils import (
    escapeHtml,
    isMdAsciiPunct,
    isPunctChar,
    isWhiteSpace,
    unescapeAll,
)
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline.state_inline import Delimiter, StateInline
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import _TokenType
from pygments.util import ClassNotFound

COPY_SCHEME = "fireside-copy"
CITE_SCHEME = "fireside-cite"
LINK_SCHEMES = frozenset({"http", "https", "mailto", "file"})

# Monospace fonts that exist on Windows, macOS and Linux; Qt takes the first it has and
# falls back per character (Chinese in code comes from a CJK font).
MONOSPACE = (
    "Consolas, 'Cascadia Mono', Menlo, 'SF Mono', 'DejaVu Sans Mono', 'Liberation Mono', monospace"
)
_HIGHLIGHT_CACHE = 128  # highlighted code blocks kept between streaming passes

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# Bare web addresses (markdown-it's own linkify needs another package). ASCII only, so an
# address followed by Chinese text or full-width punctuation ends where it should.
_BARE_URL = r"(?<![A-Za-z0-9])https?://[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+"
_CITATION = r"\[(?P<numbers>\d{1,4}(?:\s*[,，、]\s*\d{1,4})*)\]"
_INLINE_SPECIALS = re.compile(f"(?P<url>{_BARE_URL})|(?P<cite>{_CITATION})")
_URL_TRAILING = ".,;:!?'\"*"


@dataclass(frozen=True)
class RenderedMarkdown:
    """What the chat view shows, and the code its "Copy" links copy."""

    html: str  # a full fragment for QTextBrowser.setHtml
    code_blocks: tuple[str, ...]  # the raw text of each fenced/indented code block, in order
    # The same HTML cut into blocks: prose, and the wide blocks (a code block or a table at
    # the top level) that the chat shows in a box of their own, scrolling sideways.
    parts: tuple[RenderedPart, ...] = ()


@dataclass(frozen=True)
class RenderedPart:
    """One stretch of a rendered reply: prose (wraps), or one wide block (scrolls)."""

    html: str
    wide: bool
    code: int | None = None  # the code block this part is (its index in ``code_blocks``)


def code_block_index(url: str) -> int | None:
    """The code block a ``fireside-copy:N`` link stands for; None for any other link."""
    return _number_after(url, COPY_SCHEME)


def citation_number(url: str) -> int | None:
    """The source a ``fireside-cite:N`` link stands for; None for any other link."""
    return _number_after(url, CITE_SCHEME)


def _number_after(url: str, scheme: str) -> int | None:
    prefix = scheme + ":"
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    return int(rest) if rest.isascii() and rest.isdigit() else None


@dataclass(frozen=True)
class _Theme:
    """Colours that read well on a light or a dark window; the text colour is the palette's."""

    pygments_style: str
    code_background: str
    code_header: str
    border: str
    inline_code_background: str
    muted: str
    quote_bar: str
    link: str


_LIGHT = _Theme(
    pygments_style="default",
    code_background="#f6f8fa",
    code_header="#eaeef2",
    border="#d0d7de",
    inline_code_background="#eaeef2",
    muted="#57606a",
    quote_bar="#d0d7de",
    link="#0550ae",  # AA on the code header too
)
_DARK = _Theme(
    pygments_style="github-dark",
    code_background="#161b22",
    code_header="#21262d",
    border="#3d444d",
    inline_code_background="#343a42",
    muted="#9198a1",
    quote_bar="#3d444d",
    link="#4493f8",
)
_HEADING_SIZES = {"h1": "x-large", "h2": "large"}  # h3–h6: body size, bold


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    """The lexer a fence names, or None: guessing is slow and often wrong, so we never guess."""
    try:
        # Keep the code exactly as written: no stripping of leading or trailing newlines.
        return get_lexer_by_name(language, stripnl=False, stripall=False, ensurenl=False)
    except ClassNotFound:
        return None


class _Highlighter:
    """Pygments tokens as inline-styled spans, which is what Qt's rich text honours."""

    def __init__(self, style_name: str) -> None:
        self._style: StyleMeta = get_style_by_name(style_name)
        self._css: dict[_TokenType, str] = {}
        self._done: OrderedDict[tuple[str, str], str] = OrderedDict()

    def html(self, code: str, language: str) -> str:
        """The code as escaped HTML, coloured when the language is known."""
        lexer = _lexer(language.lower()) if language else None
        if lexer is None:
            return escapeHtml(code)
        key = (language.lower(), code)
        done = self._done.get(key)
        if done is None:
            done = self._spans(lexer, code)
            self._done[key] = done
            if len(self._done) > _HIGHLIGHT_CACHE:
                self._done.popitem(last=False)
        else:
            self._done.move_to_end(key)
        return done

    def _spans(self, lexer: Lexer, code: str) -> str:
        out: list[str] = []
        run_css = ""  # neighbouring tokens of one colour become one span
        run_text: list[str] = []

        def flush() -> None:
            text = escapeHtml("".join(run_text))
            out.append(f'<span style="{run_css}">{text}</span>' if run_css else text)

        for token_type, value in lexer.get_tokens(code):
            css = self._css_for(token_type)
            if css != run_css and run_text:
                flush()
                run_text.clear()
            run_css = css
            run_text.append(value)
        if run_text:
            flush()
        return "".join(out)

    def _css_for(self, token_type: _TokenType) -> str:
        css = self._css.get(token_type)
        if css is None:
            style = self._style.style_for_token(token_type)
            parts = []
            if style["color"]:
                parts.append(f"color: #{style['color']};")
            if style["bold"]:
                parts.append("font-weight: bold;")
            if style["italic"]:
                parts.append("font-style: italic;")
            # Token backgrounds (error marks) are left out: half-written code while a reply
            # streams is full of "errors".
            css = self._css[token_type] = " ".join(parts)
        return css


@dataclass
class _Pass:
    """What one render call gathers as it goes."""

    citations: frozenset[int]
    code_blocks: list[str] = field(default_factory=list)
    open_links: list[bool] = field(default_factory=list)  # per link_open: shown as a link?


_PASS = "fireside"


_Rule = Callable[[Sequence[Token], int, OptionsDict, Any], str]


class _ChatMarkdown(MarkdownIt):
    """CommonMark with tables and strikethrough, and emphasis that works next to Chinese."""

    def __init__(self) -> None:
        # breaks: a model's single newline is meant as a line break (as in GitHub comments),
        # and a soft break would put a stray space between Chinese characters.
        super().__init__("commonmark", {"html": False, "breaks": True})
        self.enable(["table", "strikethrough"])
        self.inline.ruler.at("emphasis", _emphasis)

    def validateLink(self, url: str) -> bool:
        """Parse every link; the renderer decides per scheme, so a refused link keeps its
        words as plain text instead of showing its Markdown syntax."""
        return True


def _emphasis(state: StateInline, silent: bool) -> bool:
    """markdown-it's emphasis rule, with CommonMark's flanking test relaxed next to CJK text.

    CommonMark refuses ``**注意：**这里`` (a closing run after punctuation and before a
    letter), which Chinese replies write all the time; like the "cjk-friendly" proposal, a CJK
    character on the far side of the run counts as a boundary there.
    """
    marker = state.src[state.pos]
    if silent or marker not in ("_", "*"):
        return False
    can_open, can_close, length = _scan_delimiters(state, state.pos, marker == "*")
    for _ in range(length):
        token = state.push("text", "", 0)
        token.content = marker
        state.delimiters.append(
            Delimiter(
                marker=ord(marker),
                length=length,
                token=len(state.tokens) - 1,
                end=-1,
                open=can_open,
                close=can_close,
            )
        )
    state.pos += length
    return True


def _scan_delimiters(
    state: StateInline, start: int, can_split_word: bool
) -> tuple[bool, bool, int]:
    src, end = state.src, state.posMax
    marker = src[start]
    pos = start
    while pos < end and src[pos] == marker:
        pos += 1
    last = src[start - 1] if start > 0 else " "
    following = src[pos] if pos < end else " "
    last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
    next_punct = isMdAsciiPunct(ord(following)) or isPunctChar(following)
    last_space = isWhiteSpace(ord(last))
    next_space = isWhiteSpace(ord(following))
    left = not next_space and (not next_punct or last_space or last_punct or _is_cjk(last))
    right = not last_space and (not last_punct or next_space or next_punct or _is_cjk(following))
    can_open = left and (can_split_word or not right or last_punct)
    can_close = right and (can_split_word or not left or next_punct)
    return can_open, can_close, pos - start


def _is_cjk(char: str) -> bool:
    """Chinese, Japanese or Korean letters and their full-width punctuation."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK punctuation, kana, ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F  # vertical and compatibility forms
        or 0xFF00 <= code <= 0xFFEF  # full-width forms：，！？（）
        or 0x20000 <= code <= 0x3FFFF  # rarer ideographs
    )


class MarkdownRenderer:
    """Turns a reply's Markdown into HTML for a QTextBrowser (one per chat view and theme)."""

    def __init__(self, *, dark: bool = False, copy_label: str = "Copy") -> None:
        self.dark = dark
        self._theme = _DARK if dark else _LIGHT
        self._copy_label = escapeHtml(copy_label)
        # Links get the theme's colour: Qt takes an anchor's colour from the application
        # palette at parse time, which need not match the chat's background.
        self._link_style = f'style="color: {self._theme.link};"'
        self._highlighter = _Highlighter(self._theme.pygments_style)
        self._md = _ChatMarkdown()
        # markdown-it types its renderer as a protocol; the HTML renderer it makes has these,
        # and calls a rule as rule(tokens, idx, options, env) whatever its type says.
        self._renderer = cast(RendererHTML, self._md.renderer)
        rules = cast(dict[str, _Rule], self._renderer.rules)
        rules["fence"] = self._fence
        rules["code_block"] = self._code_block
        rules["code_inline"] = self._code_inline
        rules["text"] = self._text
        rules["link_open"] = self._link_open
        rules["link_close"] = self._link_close
        rules["image"] = self._image
        rules["heading_open"] = self._heading_open
        rules["paragraph_open"] = self._paragraph_open
        rules["blockquote_open"] = self._blockquote_open
        rules["blockquote_close"] = self._blockquote_close
        rules["table_open"] = self._table_open
        rules["th_open"] = self._cell_open
        rules["td_open"] = self._cell_open
        rules["hr"] = self._hr
        rules["bullet_list_open"] = self._list_open
        rules["ordered_list_open"] = self._list_open

    def render(self, text: str, citations: Collection[int] = ()) -> RenderedMarkdown:
        """Render the whole reply so far; ``[n]`` outside code links to source n when cited.

        An unclosed code fence (a reply still streaming) runs to the end, as CommonMark says.
        """
        state = _Pass(citations=frozenset(citations))
        env = {_PASS: state}
        tokens = self._md.parse(text, env)
        parts = []
        for group, wide in _blocks(tokens):
            before = len(state.code_blocks)
            # No newline at the very end: Qt would add it to the last paragraph as a space.
            html = self._md.renderer.render(group, self._md.options, env).rstrip()
            code = before if wide and len(state.code_blocks) == before + 1 else None
            if html:
                parts.append(RenderedPart(html, wide, code))
        whole = "\n".join(part.html for part in parts)
        return RenderedMarkdown(whole, tuple(state.code_blocks), tuple(parts))

    # ---- code ----------------------------------------------------------------------------

    def _fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        info = unescapeAll(token.info).strip()
        language = info.split(maxsplit=1)[0] if info else ""
        return self._code(token.content, language, env[_PASS], token.level == 0)

    def _code_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        return self._code(token.content, "", env[_PASS], token.level == 0)

    def _code(self, content: str, language: str, state: _Pass, own_box: bool) -> str:
        """A header (language, "Copy" link) over the code, in a table: Qt draws a table's
        background across the width, never a ``<pre>``'s. Code in a box of its own keeps its
        lines (the box scrolls sideways); code inside a list or quote wraps with the text."""
        code = content[:-1] if content.endswith("\n") else content
        index = len(state.code_blocks)
        state.code_blocks.append(code)
        theme = self._theme
        body = self._highlighter.html(code, language)
        # Qt drops a newline right after <pre> and right before </pre>: keep blank lines.
        if body.startswith("\n"):
            body = "\n" + body
        if body.endswith("\n"):
            body += "\n"
        wrap = "pre" if own_box else "pre-wrap"
        header = f'bgcolor="{theme.code_header}" style="padding: 3px 8px;"'
        return (
            f'<table width="100%" cellspacing="0" cellpadding="0" bgcolor="{theme.code_background}"'
            f' style="margin-top: 6px; margin-bottom: 8px;"><tr>'
            f'<td {header}><span style="font-size: small; color: {theme.muted};">'
            f"{escapeHtml(language)}</span></td>"
            f'<td align="right" {header}><a href="{COPY_SCHEME}:{index}" style="font-size: small;'
            f' color: {theme.link}; text-decoration: none;">{self._copy_label}</a></td></tr>'
            f'<tr><td colspan="2" style="padding: 6px 8px;">'
            f'<pre style="margin: 0; white-space: {wrap}; font-family: {MONOSPACE};">'
            f"{body}</pre></td></tr></table>\n"
        )

    def _code_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
    ) -> str:
        return (
            f'<code style="font-family: {MONOSPACE}; '
            f'background-color: {self._theme.inline_code_background};">'
            f"{escapeHtml(tokens[idx].content)}</code>"
        )

    # ---- words and links -----------------------------------------------------------------

    def _text(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        """Escaped text, with bare web addresses and cited ``[n]`` made into links."""
        text = tokens[idx].content
        state: _Pass = env[_PASS]
        in_link = any(state.open_links)
        if in_link or ("://" not in text and not (state.citations and "[" in text)):
            return escapeHtml(text)
        out: list[str] = []
        done = 0
        for match in _INLINE_SPECIALS.finditer(text):
            piece: str | None
            if match.group("url"):
                url = _trim_url(match.group("url"))
                piece = f'<a href="{escapeHtml(url)}" {self._link_style}>{escapeHtml(url)}</a>'
                end = match.start() + len(url)
            else:
                piece = self._citation(match.group(0), match.group("numbers"), state.citations)
                end = match.end()
                if piece is None:
                    continue
            out.append(escapeHtml(text[done : match.start()]))
            out.append(piece)
            done = end
        out.append(escapeHtml(text[done:]))
        return "".join(out)

    def _citation(self, whole: str, numbers: str, cited: frozenset[int]) -> str | None:
        """``[1]`` or ``[1, 2]`` as raised links to the cited sources; None when none is cited."""
        parts = re.split(r"(\d+)", numbers)
        if not any(part.isdigit() and int(part) in cited for part in parts):
            return None
        style = f'style="color: {self._theme.link}; text-decoration: none;"'
        if len(parts) == 3:  # a single number: the brackets belong to the link too
            href = f"{CITE_SCHEME}:{int(parts[1])}"
            return f'<sup><a href="{href}" {style}>{escapeHtml(whole)}</a></sup>'
        inner = "".join(
            f'<a href="{CITE_SCHEME}:{int(part)}" {style}>{part}</a>'
            if part.isdigit() and int(part) in cited
            else escapeHtml(part)
            for part in parts
        )
        return f"<sup>[{inner}]</sup>"

    def _link_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        shown = _safe_link(href)
        env[_PASS].open_links.append(shown)
        if not shown:
            return ""
        title = token.attrGet("title")
        title_attr = f' title="{escapeHtml(str(title))}"' if title else ""
        return f'<a href="{escapeHtml(href)}"{title_attr} {self._link_style}>'

    def _link_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        stack = env[_PASS].open_links
        return "</a>" if stack and stack.pop() else ""

    def _image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        """An image becomes a link to it: the chat never loads files or pages by itself."""
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        alt = self._renderer.renderInlineAsText(token.children or [], options, env)
        label = escapeHtml(alt or src)
        if not _safe_link(src):
            return label
        return f'<a href="{escapeHtml(src)}" {self._link_style}>{label}</a>'

    # ---- blocks --------------------------------------------------------------------------

    def _heading_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
    ) -> str:
        tag = tokens[idx].tag
        size = _HEADING_SIZES.get(tag, "medium")
        return f'<{tag} style="font-size: {size}; margin-top: 12px; margin-bottom: 6px;">'

    def _paragraph_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
    ) -> str:
        if tokens[idx].hidden:  # the paragraph of a tight list item
            return ""
        return '<p style="margin-top: 0; margin-bottom: 8px;">'

    def _list_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        """markdown-it puts a newline before a list nested in a tight item; Qt would show it
        as a space after the item's words."""
        return self._renderer.renderToken(tokens, idx, options, env).lstrip("\n")

    def _blockquote_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
    ) -> str:
        """A quote is a bar and muted text: a two-cell table, since Qt draws no side border."""
        return (
            '<table width="100%" cellspacing="0" cellpadding="0"'
            ' style="margin-top: 4px; margin-bottom: 8px;">'
            f'<tr><td width="3" bgcolor="{self._theme.quote_bar}"></td>'
            f'<td style="padding-left: 10px; color: {self._theme.muted};">'
        )

    def _blockquote_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
    ) -> str:
        return "</td></tr></table>\n"

    def _table_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        return (
            f'<table border="1" cellspacing="0" cellpadding="5" style="border-collapse: '
            f"collapse; border-color: {self._theme.border}; border-style: solid; "
            f'margin-top: 4px; margin-bottom: 8px;">\n'
        )

    def _cell_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        style = str(token.attrGet("style") or "")
        align = style.removeprefix("text-align:").strip() if style else "left"
        header = f' bgcolor="{self._theme.code_background}"' if token.tag == "th" else ""
        return f'<{token.tag} align="{escapeHtml(align)}"{header}>'

    def _hr(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        return "<hr />\n"


_WIDE_OPEN = {"fence": None, "code_block": None, "table_open": "table_close"}


def _blocks(tokens: Sequence[Token]) -> list[tuple[list[Token], bool]]:
    """The top-level tokens in runs: prose, and each wide block (code, a table) on its own."""
    groups: list[tuple[list[Token], bool]] = []
    prose: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.level == 0 and token.type in _WIDE_OPEN:
            if prose:
                groups.append((prose, False))
                prose = []
            end = index
            closer = _WIDE_OPEN[token.type]
            if closer is not None:
                while end < len(tokens) and not (
                    tokens[end].type == closer and tokens[end].level == 0
                ):
                    end += 1
            groups.append((list(tokens[index : end + 1]), True))
            index = end + 1
            continue
        prose.append(token)
        index += 1
    if prose:
        groups.append((prose, False))
    return groups


def _safe_link(href: str) -> bool:
    """Only links a person can follow without surprise: web, mail and local files."""
    match = _SCHEME.match(href)
    return match is not None and match.group(1).lower() in LINK_SCHEMES


def _trim_url(url: str) -> str:
    """Leave sentence punctuation and an unmatched closing bracket out of a bare address."""
    while url and (
        url[-1] in _URL_TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))
    ):
        url = url[:-1]
    return url
