"""One message of the chat view: who wrote it, its text (a QTextBrowser sized to its
content), the buttons that act on it, the "‹ 2/3 ›" arrows, its citation chips and the
"no longer seen" / "stopped" note. The view that holds the messages is
``desktop.chat.chat_view``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QGuiApplication,
    QResizeEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.chat.store import Message
from core.knowledge.attribution import unsupported
from desktop.chat.flow_layout import FlowLayout
from desktop.chat.markdown import (
    COPY_SCHEME,
    RenderedPart,
    citation_number,
    code_block_index,
)
from desktop.window.elided_label import ElidedLabel
from desktop.window.icons import themed_icon

if TYPE_CHECKING:
    from desktop.chat.chat_view import ChatView

ACTION_ICON = QSize(14, 14)  # the header buttons' icons, beside text of the body's size
COMPACT_WIDTH = 380  # a message narrower than this shows its buttons as icons alone


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
        self.copy_button = self._tool(self.tr("Copy"), self.tr("Copy this message"), "copy")
        self.copy_button.clicked.connect(self.copy)
        self.edit_button = self._tool(
            self.tr("Edit"), self.tr("Edit and send again (a new version)"), "edit"
        )
        self.edit_button.clicked.connect(lambda: view.edit_requested.emit(self.message.id))
        self.regenerate_button = self._tool(
            self.tr("Regenerate"), self.tr("Write another reply (this one stays)"), "regenerate"
        )
        self.regenerate_button.clicked.connect(
            lambda: view.regenerate_requested.emit(self.message.id)
        )
        self.sources_button = self._tool(
            self.tr("Sources"),
            self.tr("Every passage retrieved for this reply, with its scores"),
            "sources",
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

    def _tool(self, text: str, tip: str, icon: str | None = None) -> QToolButton:
        """A flat button of the message's header; with ``icon`` (a name of the window's
        Lucide set, drawn in the theme's colours) it shows the icon beside its name, or the
        icon alone when the message is narrow (``_fit_actions``), the name then in the
        tooltip."""
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        if icon is not None:
            button.setIcon(themed_icon(icon))
            button.setIconSize(ACTION_ICON)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setProperty("tip", tip)
        return button

    def _action_buttons(self) -> tuple[QToolButton, ...]:
        return (self.copy_button, self.edit_button, self.regenerate_button, self.sources_button)

    def _fit_actions(self) -> None:
        """Names beside the icons while the message is wide enough, icons alone below
        ``COMPACT_WIDTH`` (a narrow window, or the knowledge panel open at 800 px), so the
        buttons never crowd the speaker's name out of the header."""
        compact = self.width() < COMPACT_WIDTH
        style = (Qt.ToolButtonStyle.ToolButtonIconOnly if compact
                 else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)  # fmt: skip
        for button in self._action_buttons():
            if button.toolButtonStyle() != style:
                button.setToolButtonStyle(style)
                tip = str(button.property("tip"))
                named = self.tr("%1: %2").replace("%1", button.text()).replace("%2", tip)
                button.setToolTip(named if compact else tip)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_actions()

    # ---- content -----------------------------------------------------------------------

    def update_message(self, message: Message, position: tuple[int, int]) -> None:
        self.message, self.position = message, position
        role = message.role
        self.speaker.setText(self.author() if role == "assistant" else self.view.speaker_name(role))
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

    def author(self) -> str:
        """The model that wrote this reply, as stored with it, marked when it is not the
        loaded one (a reply keeps its author after another model is loaded)."""
        view, stats = self.view, self.message.stats or {}
        name = stats.get("model")
        if not isinstance(name, str) or not name:
            if self.message.id < 0:  # being written now, by the loaded model
                return view.assistant_name
            return self.tr("Assistant")  # written before replies kept their model's name
        key = stats.get("model_key")
        loaded = key == view.model_key if isinstance(key, str) else name == view.assistant_name
        return name if loaded else self.tr("%1 · not the loaded model").replace("%1", name)

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
                    button = self._tool(self.tr("Copy"), self.tr("Copy the code"), "copy")
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
        message = self.message
        if message.role == "assistant" and not message.incomplete and \
                unsupported(message.content, message.citations or []):  # fmt: skip
            notes.append(self.tr("no source holds this answer: check it before relying on it"))
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
