"""The chat in the middle of the window: the active branch, one widget per message.

Why widgets and not one big document: each message needs its own buttons (copy, edit,
regenerate, the "‹ 2/3 ›" arrows), citation chips and a "the model no longer sees this"
mark, and a streaming reply must repaint only itself, never the whole chat. A long chat stays
quick to open because only the newest messages are built at first; older ones are built in
batches when the person scrolls up to them.

The view never talks to the core: it shows :class:`core.chat.store.Message` values it is
given and says what the person asked for through signals. One message's widget is
``desktop.chat.message_widget``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QPalette,
)
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.chat.store import Message
from desktop.chat.markdown import (
    MarkdownRenderer,
)
from desktop.chat.message_widget import MessageWidget
from desktop.window.drops import accept_drag, take_drop
from desktop.window.resources import resource_path

BATCH = 24  # messages built at once: the newest when a chat opens (more than a tall
# window shows), more on scrolling up; each costs a Markdown render and a polish
MIN_WIDTH = 340  # pixels: the chat column never gets narrower than this
CHIP_NAME_WIDTH = 120  # pixels: a longer document name is shortened in the middle
RENDER_EVERY_MS = 80  # how often a streaming reply is rendered again
_ROLE_NAMES = ("user", "assistant", "system")


class ChatView(QWidget):
    """The active branch of one chat, newest at the bottom."""

    regenerate_requested = Signal(int)
    edit_requested = Signal(int)
    switch_requested = Signal(int, int)  # message id, step (-1 / +1)
    citation_activated = Signal(object)  # the citation dict
    sources_requested = Signal(object)  # the reply (Message) whose Sources panel to show
    status = Signal(str)  # a short note for the status line
    files_dropped = Signal(list)  # list[Path]: files dropped on the messages (as on the composer)
    # The messages' scroll area. It hides QWidget.scroll(dx, dy), which Qt never calls
    # through Python (not virtual) and this view never uses.
    scroll: QScrollArea  # type: ignore[assignment]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link_opener = QDesktopServices.openUrl
        self.assistant_name = self.tr("Assistant")
        self.model_key: str | None = None  # the loaded chat model's file ("name.gguf:size")
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
        self.placeholder.setContentsMargins(32, 0, 32, 0)  # the lines never touch the edges
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
        # Files dropped anywhere on the messages (the messages themselves take no drops, so
        # Qt hands the drag up to here) go where the composer's go.
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        accept_drag(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        accept_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = take_drop(event)
        if files:
            self.files_dropped.emit(files)

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
