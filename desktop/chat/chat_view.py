"""The chat in the middle of the window: the active branch, one widget per message.

Why widgets and not one big document: each message needs its own buttons (copy, edit,
regenerate, the "‹ 2/3 ›" arrows), citation chips and a "the model no longer sees this"
mark, and a streaming reply must repaint only itself, never the whole chat. A long chat stays
quick to open because only the newest messages are built at first; older ones are built in
batches when the person scrolls up to them.

The view never talks to the core: it shows :class:`core.chat.store.Message` values it is
given and says what the person asked for through signals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QPalette,
    QResizeEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.chat.store import Message
from desktop.chat.flow_layout import FlowLayout
from desktop.chat.markdown import (
    COPY_SCHEME,
    MarkdownRenderer,
    RenderedPart,
    citation_number,
    code_block_index,
)
from desktop.window.elided_label import ElidedLabel
from desktop.window.resources import resource_path

BATCH = 40  # messages built at once: the newest when a chat opens, more on scrolling up
MIN_WIDTH = 340  # pixels: the chat column never gets narrower than this
CHIP_NAME_WIDTH = 120  # pixels: a longer document name is shortened in the middle
RENDER_EVERY_MS = 80  # how often a streaming reply is rendered again
_ROLE_NAMES = ("user", "assistant", "system")


class MessageBody(QTextBrowser):
    """Rich text that is exactly as tall as its content: the chat scrolls, not the message.

    A *wide* body holds one code block or table of a reply: it keeps its lines and words
    whole and scrolls sideways inside its own box when they are wider than the chat, instead
    of making the whole message wider than the view."""

    link_activated = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None, *, wide: bool = False) -> None:
        super().__init__(parent)
        self.wide = wide
        self.code: int | None = None  # the code block shown, for a wide body that holds one
        self.code_copy_button: QToolButton | None = None
        self.html = ""  # what setHtml was given last (a streaming pass skips unchanged parts)
        self.setOpenLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded if wide else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        document = self.document()
        document.setDocumentMargin(2)
        if wide:  # table cells break between words only; the box scrolls for the rest
            option = document.defaultTextOption()
            option.setWrapMode(QTextOption.WrapMode.WordWrap)
            document.setDefaultTextOption(option)
        document.documentLayout().documentSizeChanged.connect(self._fit)
        self.horizontalScrollBar().rangeChanged.connect(self._fit)
        self.anchorClicked.connect(self.link_activated)

    def show_html(self, html: str) -> None:
        if html != self.html:
            self.html = html
            self.setHtml(html)

    def set_code_copy_button(self, button: QToolButton | None) -> None:
        """A code block's Copy, kept at the box's top right while the code scrolls (the
        block's own Copy link scrolls away with a long line)."""
        if self.code_copy_button is not None:
            self.code_copy_button.deleteLater()
        if button is not None:
            button.setParent(self)
            button.setObjectName("floatingCopy")
        self.code_copy_button = button
        self._place_copy()

    def _place_copy(self) -> None:
        button = self.code_copy_button
        if button is None:
            return
        button.adjustSize()
        button.move(self.viewport().width() - button.width() - 4, 6)  # on the header row
        button.setVisible(self.horizontalScrollBar().maximum() > 0)
        button.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_copy()

    def _fit(self, *_: Any) -> None:
        height = self.document().size().height()
        bar = self.horizontalScrollBar()
        extra = bar.sizeHint().height() if self.wide and bar.maximum() > 0 else 0
        self.setFixedHeight(math.ceil(height) + 2 * self.frameWidth() + 2 + extra)
        self._place_copy()

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(60, self.height())


class MessageWidget(QFrame):
    """One message: who wrote it, its text, what can be done with it, its sources."""

    def __init__(self, view: ChatView, message: Message, position: tuple[int, int]) -> None:
        super().__init__()
        self.view = view
        self.message = message
        self.position = position  # (1-based index among its alternatives, how many)
        self.code_blocks: tuple[str, ...] = ()
        self.seen = True
        self.setObjectName("message")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setProperty("role", message.role)

        self.speaker = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
        self.speaker.setObjectName("speaker")
        # "stopped", "the model no longer sees this": a line of its own under the header,
        # wrapped, so it never pushes the buttons out of the view.
        self.note = QLabel()
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.hide()
        self.previous_button = self._tool("‹", self.tr("Previous version"))
        self.previous_button.clicked.connect(
            lambda: view.switch_requested.emit(self.message.id, -1)
        )
        self.position_label = QLabel()
        self.next_button = self._tool("›", self.tr("Next version"))
        self.next_button.clicked.connect(lambda: view.switch_requested.emit(self.message.id, 1))
        self.copy_button = self._tool(self.tr("Copy"), self.tr("Copy this message"))
        self.copy_button.clicked.connect(self.copy)
        self.edit_button = self._tool(
            self.tr("Edit"), self.tr("Edit and send again (a new version)")
        )
        self.edit_button.clicked.connect(lambda: view.edit_requested.emit(self.message.id))
        self.regenerate_button = self._tool(
            self.tr("Regenerate"), self.tr("Write another reply (this one stays)")
        )
        self.regenerate_button.clicked.connect(
            lambda: view.regenerate_requested.emit(self.message.id)
        )
        self.sources_button = self._tool(
            self.tr("Sources"), self.tr("Every passage retrieved for this reply, with its scores")
        )
        self.sources_button.clicked.connect(lambda: view.sources_requested.emit(self.message))
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(4)
        header.addWidget(self.speaker, 1)
        for widget in (self.previous_button, self.position_label, self.next_button,
                       self.copy_button, self.edit_button, self.regenerate_button,
                       self.sources_button):  # fmt: skip
            header.addWidget(widget)

        # The text: one body for the person's words, for a reply one per stretch of prose
        # and one per wide block (code, a table) that scrolls sideways on its own.
        self.bodies: list[MessageBody] = []
        self.body_column = QVBoxLayout()
        self.body_column.setContentsMargins(0, 0, 0, 0)
        self.body_column.setSpacing(0)
        self.chips = FlowLayout()
        self.chip_buttons: list[QToolButton] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.note)
        layout.addLayout(self.body_column)
        layout.addLayout(self.chips)
        self.update_message(message, position)
        self.set_generating(view.generating)

    def set_generating(self, generating: bool) -> None:
        """While a reply is being written, nothing can start another one or move away."""
        self.edit_button.setEnabled(not generating)
        self.regenerate_button.setEnabled(not generating)
        index, count = self.position
        self.previous_button.setEnabled(not generating and index > 1)
        self.next_button.setEnabled(not generating and index < count)

    def _tool(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    # ---- content -----------------------------------------------------------------------

    def update_message(self, message: Message, position: tuple[int, int]) -> None:
        self.message, self.position = message, position
        role = message.role
        self.speaker.setText(self.view.speaker_name(role))
        index, count = position
        for widget in (self.previous_button, self.position_label, self.next_button):
            widget.setVisible(count > 1 and role != "system")
        self.position_label.setText(f"{index} / {count}")
        busy = self.view.generating
        self.previous_button.setEnabled(not busy and index > 1)
        self.next_button.setEnabled(not busy and index < count)
        self.edit_button.setVisible(role == "user")
        self.regenerate_button.setVisible(role == "assistant")
        self.sources_button.setVisible(role == "assistant" and bool(message.citations))
        self.copy_button.setVisible(role != "system")
        self.set_text(message.content, final=True)
        self._show_chips(message.citations or [])
        self._update_note()

    def set_text(self, text: str, final: bool = False) -> None:
        """Show the text: Markdown for replies, the person's own words as they typed them."""
        if self.message.role == "assistant":
            cited = [int(c["n"]) for c in self.message.citations or [] if "n" in c]
            rendered = self.view.renderer.render(text, citations=cited)
            self.code_blocks = rendered.code_blocks
            parts = list(rendered.parts) or [RenderedPart("", False)]
            for index, part in enumerate(parts):
                body = self._body_at(index, part.wide)
                body.show_html(part.html)
                if part.code is not None and body.code != part.code:
                    body.code = part.code
                    button = self._tool(self.tr("Copy"), self.tr("Copy the code"))
                    link = QUrl(f"{COPY_SCHEME}:{part.code}")
                    button.clicked.connect(lambda _=False, url=link: self._link(url))
                    body.set_code_copy_button(button)
            self._drop_bodies_from(len(parts))
        else:
            self._drop_bodies_from(1)
            body = self._body_at(0, wide=False)
            if body.toPlainText() != text:
                body.setPlainText(text)

    @property
    def body(self) -> MessageBody:
        """The first stretch of text (all of it for the person's own words)."""
        return self.bodies[0] if self.bodies else self._body_at(0, wide=False)

    def _body_at(self, index: int, wide: bool) -> MessageBody:
        """The body at ``index``, made (or made again) of the kind wanted."""
        if index < len(self.bodies) and self.bodies[index].wide == wide:
            return self.bodies[index]
        body = MessageBody(wide=wide)
        body.link_activated.connect(self._link)
        if index < len(self.bodies):
            old = self.bodies[index]
            self.body_column.replaceWidget(old, body)
            old.deleteLater()
            self.bodies[index] = body
        else:
            self.body_column.addWidget(body)
            self.bodies.append(body)
        return body

    def _drop_bodies_from(self, index: int) -> None:
        for body in self.bodies[index:]:
            self.body_column.removeWidget(body)
            body.deleteLater()
        del self.bodies[index:]

    def _show_chips(self, citations: Sequence[dict[str, Any]]) -> None:
        """Numbered source chips under a reply: the ones it cited first, in bold."""
        self.chip_buttons = []
        while self.chips.count():
            item = self.chips.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for citation in sorted(citations, key=lambda c: (not c.get("cited"), c.get("n", 0))):
            button = QToolButton()
            button.setObjectName("chip")
            button.setText(self.view.chip_text(citation))
            tip = [str(citation.get(key)) for key in ("file", "snippet") if citation.get(key)]
            button.setToolTip("\n\n".join(tip))
            button.setProperty("cited", bool(citation.get("cited")))
            button.clicked.connect(lambda _=False, c=citation: self.view.citation_activated.emit(c))
            self.chips.addWidget(button)
            self.chip_buttons.append(button)

    def set_seen(self, seen: bool) -> None:
        if seen != self.seen:
            self.seen = seen
            self.setProperty("unseen", not seen)
            self.style().unpolish(self)
            self.style().polish(self)
            self._update_note()

    def _update_note(self) -> None:
        notes = []
        if self.message.incomplete:
            notes.append(self.tr("stopped before the end"))
        if not self.seen:
            notes.append(self.tr("the model no longer sees this (the chat outgrew its context)"))
        self.note.setText(" · ".join(notes))
        self.note.setVisible(bool(notes))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.message.content)

    def _link(self, url: QUrl) -> None:
        text = url.toString()
        block = code_block_index(text)
        if block is not None:
            if 0 <= block < len(self.code_blocks):
                QGuiApplication.clipboard().setText(self.code_blocks[block])
                self.view.status.emit(self.tr("Code copied"))
            return
        number = citation_number(text)
        if number is not None:
            found = [c for c in self.message.citations or [] if c.get("n") == number]
            if found:
                self.view.citation_activated.emit(found[0])
            return
        if url.scheme() in ("http", "https", "mailto"):
            self.view.link_opener(url)


class ChatView(QWidget):
    """The active branch of one chat, newest at the bottom."""

    regenerate_requested = Signal(int)
    edit_requested = Signal(int)
    switch_requested = Signal(int, int)  # message id, step (-1 / +1)
    citation_activated = Signal(object)  # the citation dict
    sources_requested = Signal(object)  # the reply (Message) whose Sources panel to show
    status = Signal(str)  # a short note for the status line
    # The messages' scroll area. It hides QWidget.scroll(dx, dy), which Qt never calls
    # through Python (not virtual) and this view never uses.
    scroll: QScrollArea  # type: ignore[assignment]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link_opener = QDesktopServices.openUrl
        self.assistant_name = self.tr("Assistant")
        self.renderer = self._make_renderer()
        self.widgets: list[MessageWidget] = []
        self._older: list[tuple[Message, tuple[int, int]]] = []  # not built yet
        self._seen: dict[int, bool] = {}
        self.streaming: MessageWidget | None = None
        self.generating = False  # a reply is being written: no edit, regenerate or switch
        self._stream_text = ""
        self._dirty = False
        self._render_timer = QTimer(self)
        self._render_timer.setInterval(RENDER_EVERY_MS)
        self._render_timer.timeout.connect(self._render_stream)

        self.placeholder = QLabel()
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setObjectName("placeholder")
        self.earlier_button = QPushButton(self.tr("Show earlier messages"))
        self.earlier_button.setFlat(True)
        self.earlier_button.clicked.connect(self.show_earlier)
        self.earlier_button.hide()
        self.column = QVBoxLayout()
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(0)
        self.column.addWidget(self.earlier_button)
        self.column.addStretch(1)
        self.content = QWidget()
        self.content.setObjectName("chatContent")
        self.content.setLayout(self.column)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.content)
        self.scroll.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.scroll.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self._stick_to_bottom = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.scroll, 1)
        self.set_placeholder(self.tr("Start typing below to begin a new chat."))
        self.setStyleSheet(_chat_style())
        # The splitter takes from the chat first when the window narrows: this keeps the
        # sidebar and the knowledge panel from squeezing the chat under a readable width.
        self.setMinimumWidth(MIN_WIDTH)

    def _make_renderer(self) -> MarkdownRenderer:
        return MarkdownRenderer(dark=self._dark(), copy_label=self.tr("Copy"))

    def _dark(self) -> bool:
        return self.palette().color(QPalette.ColorRole.Base).lightness() < 128

    def changeEvent(self, event: QEvent) -> None:
        """A theme change (new palette, style sheets polished again): follow it at once."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.restyle()

    def restyle(self) -> None:
        """Render the shown messages again in the theme's colours (code blocks, links and
        quotes carry their colours in the rendered text) when light turned dark or back."""
        if self._dark() == self.renderer.dark:
            return
        self.renderer = self._make_renderer()
        for widget in self.widgets:
            if widget is self.streaming:
                widget.set_text(self._stream_text)
            else:
                widget.set_text(widget.message.content, final=True)

    # ---- names the widgets use ---------------------------------------------------------

    def speaker_name(self, role: str) -> str:
        if role == "user":
            return self.tr("You")
        if role == "system":
            return self.tr("System prompt")
        return self.assistant_name

    def chip_text(self, citation: dict[str, Any]) -> str:
        """ "[n] name · p. 3", the name shortened in the middle to CHIP_NAME_WIDTH pixels."""
        name = Path(str(citation.get("file", ""))).name
        name = self.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, CHIP_NAME_WIDTH)
        page = citation.get("page")
        text = f"[{citation.get('n')}] {name}"
        if page is not None:
            text += " · " + self.tr("p. %1").replace("%1", str(page))
        return text

    # ---- showing a chat ----------------------------------------------------------------

    def set_placeholder(self, text: str) -> None:
        """Show a line in place of an empty chat ("" hides it)."""
        self.placeholder.setText(text)
        empty = not self.widgets and not self._older
        self.placeholder.setVisible(bool(text) and empty)
        self.scroll.setVisible(not (bool(text) and empty))

    def show_branch(self, branch: Sequence[Message],
                    positions: dict[int, tuple[int, int]]) -> None:  # fmt: skip
        """Show a branch; messages already shown are updated in place, not rebuilt."""
        self._finish_stream()
        wanted = [(m, positions.get(m.id, (1, 1))) for m in branch]
        first = len(self._older)
        shown = [w.message.id for w in self.widgets]
        same_start = bool(shown) and shown == [m.id for m, _ in wanted[first : first + len(shown)]]
        if not same_start:
            self._rebuild(wanted)
            return
        self._older = wanted[:first]
        for widget, (message, position) in zip(self.widgets, wanted[first:], strict=False):
            widget.update_message(message, position)
        for message, position in wanted[first + len(shown) :]:
            self._append(MessageWidget(self, message, position))
        self._apply_seen()
        self._update_placeholder()

    def _rebuild(self, wanted: list[tuple[Message, tuple[int, int]]]) -> None:
        self.clear()
        self._older = wanted[:-BATCH] if len(wanted) > BATCH else []
        for message, position in wanted[len(self._older) :]:
            self._append(MessageWidget(self, message, position))
        self.earlier_button.setVisible(bool(self._older))
        self._apply_seen()
        self._update_placeholder()
        self._stick_to_bottom = True
        QTimer.singleShot(0, self.scroll_to_bottom)

    def clear(self) -> None:
        self._finish_stream()
        for widget in self.widgets:
            self.column.removeWidget(widget)
            widget.deleteLater()
        self.widgets = []
        self._older = []
        self.earlier_button.hide()
        self._update_placeholder()

    def _append(self, widget: MessageWidget) -> None:
        self.column.insertWidget(self.column.count() - 1, widget)
        self.widgets.append(widget)

    def show_earlier(self) -> None:
        """Build the next batch of older messages, keeping the view where it was."""
        if not self._older:
            return
        batch, self._older = self._older[-BATCH:], self._older[:-BATCH]
        bar = self.scroll.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        new = [MessageWidget(self, m, p) for m, p in batch]
        for offset, widget in enumerate(new):
            self.column.insertWidget(1 + offset, widget)
        self.widgets[:0] = new
        self.earlier_button.setVisible(bool(self._older))
        self._apply_seen()
        self.content.adjustSize()
        bar.setValue(bar.maximum() - from_bottom)

    def set_visibility(self, seen: dict[int, bool]) -> None:
        """Mark the messages the model no longer sees (``seen[id] is False``)."""
        self._seen = dict(seen)
        self._apply_seen()

    def _apply_seen(self) -> None:
        for widget in self.widgets:
            widget.set_seen(self._seen.get(widget.message.id, True))

    def _update_placeholder(self) -> None:
        self.set_placeholder(self.placeholder.text())

    @property
    def message_count(self) -> int:
        """Messages of the branch, built or not."""
        return len(self.widgets) + len(self._older)

    def widget_for(self, message_id: int) -> MessageWidget | None:
        return next((w for w in self.widgets if w.message.id == message_id), None)

    # ---- streaming ---------------------------------------------------------------------

    def set_generating(self, generating: bool) -> None:
        self.generating = generating
        for widget in self.widgets:
            widget.set_generating(generating)

    def begin_reply(self, parent: Message) -> MessageWidget:
        """Show the person's message (if new) and an empty reply under it."""
        self._finish_stream()
        if self.widgets and self.widgets[-1].message.id != parent.id:
            # Regenerate or edit: the branch below the parent goes; the store keeps it.
            while self.widgets and self.widgets[-1].message.id != parent.id:
                widget = self.widgets.pop()
                self.column.removeWidget(widget)
                widget.deleteLater()
        if not self.widgets or self.widgets[-1].message.id != parent.id:
            self._append(MessageWidget(self, parent, (1, 1)))
        pending = Message(id=-1, chat_id=parent.chat_id, parent_id=parent.id, role="assistant",
                          content="", created_at=0.0)  # fmt: skip
        widget = MessageWidget(self, pending, (1, 1))
        widget.note.setText(self.tr("writing…"))
        widget.note.show()
        self._append(widget)
        self.streaming = widget
        self._stream_text = ""
        self._stick_to_bottom = True
        self._update_placeholder()
        self._render_timer.start()
        QTimer.singleShot(0, self.scroll_to_bottom)
        return widget

    def add_piece(self, piece: str) -> None:
        self._stream_text += piece
        self._dirty = True

    def _render_stream(self) -> None:
        if self.streaming is not None and self._dirty:
            self._dirty = False
            self.streaming.set_text(self._stream_text)

    def _finish_stream(self) -> None:
        self._render_timer.stop()
        if self.streaming is not None:
            self._render_stream()
            self.streaming.note.hide()
            self.streaming = None

    def end_reply(self) -> None:
        """Stop the streaming display (the window then shows the stored branch)."""
        self._finish_stream()

    @property
    def stream_text(self) -> str:
        return self._stream_text

    def copy_last_reply(self) -> None:
        """Edit → Copy last reply: the newest reply shown, as its Copy button does."""
        replies = [w for w in self.widgets if w.message.role == "assistant"]
        if replies:
            replies[-1].copy()

    # ---- scrolling ---------------------------------------------------------------------

    def scroll_to_bottom(self) -> None:
        bar = self.scroll.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _scrolled(self, value: int) -> None:
        bar = self.scroll.verticalScrollBar()
        self._stick_to_bottom = value >= bar.maximum() - 4
        if value == bar.minimum() and self._older and bar.maximum() > 0:
            self.show_earlier()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick_to_bottom:
            self.scroll.verticalScrollBar().setValue(maximum)


def _chat_style() -> str:
    path = resource_path("styles", "chat.qss")
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def positions_in(all_messages: Sequence[Message]) -> dict[int, tuple[int, int]]:
    """For each message, (its 1-based place among its alternatives, how many there are)."""
    by_parent: dict[int | None, list[int]] = {}
    for message in all_messages:
        by_parent.setdefault(message.parent_id, []).append(message.id)
    positions = {}
    for ids in by_parent.values():
        for index, message_id in enumerate(sorted(ids), start=1):
            positions[message_id] = (index, len(ids))
    return positions
