"""The status line's figures while a reply is being written: tokens/s and the context gauge.

Why not only at the end: a long reply on a slow computer takes a minute, and a person wants
to see how fast it goes and how close the chat is to the edge of the model's context while
it happens. The figures are estimates (one streamed piece is one token; the engine sends a
piece per token, a rare multi-byte character may join two); the exact ones replace them
when the reply ends. They are shown at most twice a second, so streaming never waits on
the status line.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from desktop.chat.conversation import Conversation, ReplyStarted

if TYPE_CHECKING:
    from desktop.window.status_line import StatusLine

SHOW_EVERY_S = 0.5


class LiveFigures(QObject):
    """Follows the conversation's pieces and updates the status line as they come."""

    def __init__(self, conversation: Conversation, status: StatusLine) -> None:
        super().__init__(status)
        self.conversation = conversation
        self.status = status
        self._chat_id: int | None = None
        self._pieces = 0
        self._first: float | None = None  # when the first piece came (decoding starts)
        self._shown = 0.0
        conversation.reply_started.connect(self._started)
        conversation.piece.connect(self._piece)
        conversation.reading.connect(self._reading)

    def _reading(self, step: Any) -> None:
        """Whole documents being read (core.knowledge.whole.Progress): which of how many."""
        total = int(step.documents_total)
        self.status.reading(min(int(step.documents_read) + 1, total), total)

    def _started(self, started: object) -> None:
        assert isinstance(started, ReplyStarted)
        self._chat_id = started.chat_id
        self._pieces = 0
        self._first = None
        self._shown = 0.0

    def _piece(self, _text: str) -> None:
        now = time.monotonic()
        self._pieces += 1
        if self._first is None:
            self._first = self._shown = now
            return
        if now - self._shown < SHOW_EVERY_S:
            return
        self._shown = now
        self.status.speed((self._pieces - 1) / (now - self._first))
        session = self.conversation.session(self._chat_id) if self._chat_id is not None else None
        prompt = session.last_prompt if session is not None else None
        if session is not None and prompt is not None:
            n_ctx = session.info.n_ctx
            self.status.context(min(prompt.used + self._pieces, n_ctx), n_ctx)
