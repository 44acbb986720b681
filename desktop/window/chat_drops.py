"""What the window does with files dropped on its chat (the message box or the messages).

The deciding is :class:`desktop.chat.document_picks.DocumentPicks`'s (a controller without a
widget): documents of the chat's collections are picked for its next question, which reads
them whole; other files are offered to the chat's knowledge, and picked once indexed. This
part of the main window shows that (the composer's ``picks_bar``), hands the picks to the
question that reads them, and lets them go once that question is stored. It is the window's
own code in a module of its own (as ``model_presenter.py``), so it uses the window's helpers
as its methods would.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from core.errors import FiresideError
from desktop.chat.document_picks import DocumentPicks, PickedDocument

if TYPE_CHECKING:
    from core.knowledge.ingest import IngestReport
    from desktop.window.main_window import MainWindow


class ChatDrops(QObject):
    """Drops on the chat, the picked documents' chips, and the files offered to add."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        services = window.services
        self.picks = DocumentPicks(lambda: services.knowledge.store)
        self.bar = window.composer.picks_bar
        self._asking: tuple[int, list[PickedDocument]] | None = None  # sent, not yet stored
        # Files added from a drop ("Add to this chat"), per chat, until they are indexed:
        # the person dropped them to ask about them, so they are picked then.
        self._adding: dict[int, list[Path]] = {}
        window.composer.files_dropped.connect(self.dropped)
        window.chat_view.files_dropped.connect(self.dropped)
        self.bar.remove_requested.connect(self._unpick)
        self.bar.add_requested.connect(self.add)
        window.knowledge.ingest_finished.connect(self._indexed)

    def dropped(self, paths: list[Path]) -> None:
        """Files dropped on the chat: its collections' documents become chips for the next
        question; the others get one line, offering to add those Fireside reads."""
        chat_id = self.window.chat_id
        try:
            result = self.picks.drop(chat_id, self._collections(chat_id), paths)
        except FiresideError as exc:  # the knowledge store cannot be read
            self.window._show_error(exc)
            return
        self.show(chat_id)
        self.bar.show_drop(result)

    def add(self, paths: list[Path]) -> None:
        """Files join the open chat's knowledge (the panel's ``add_for_chat``); once
        indexed they are picked for its next question, as if dropped again."""
        chat_id = self.window.chat_id
        if chat_id is not None:
            self._adding.setdefault(chat_id, []).extend(paths)
        self.window.set_knowledge_shown(True)
        self.window.knowledge.add_for_chat(list(paths))

    def _indexed(self, report: IngestReport) -> None:
        """An ingestion run ended: the added files it indexed are picked in their chats.
        A file the run reported on but did not index (failed, cancelled) is let go; one it
        did not report on (still queued behind it) keeps waiting."""
        reported = [Path(o.path) for o in report.outcomes]
        for chat_id, paths in list(self._adding.items()):
            try:
                result = self.picks.drop(chat_id, self._collections(chat_id), paths)
            except FiresideError:  # the knowledge store cannot be read: the panel says so
                result = None
            waiting = [p for p in (result.outside if result else paths)
                       if not any(r == p or p in r.parents for r in reported)]  # fmt: skip
            if waiting:
                self._adding[chat_id] = waiting
            else:
                del self._adding[chat_id]
        self.show(self.window.chat_id)

    def opened(self, chat_id: int) -> None:
        """Another chat is shown: its picks, and no notice about an earlier drop."""
        self.bar.hide_notice()
        self.show(chat_id)

    def show(self, chat_id: int | None) -> None:
        self.bar.show_picks(self.picks.picked(chat_id))

    def take(self, chat_id: int) -> list[str]:
        """The ids of the documents this question of the chat reads whole. They stay
        picked until the question is stored (``asked``): a turn that fails first keeps
        them for the next try."""
        picks = self.picks.for_question(chat_id, self._collections(chat_id))
        self._asking = (chat_id, picks) if picks else None
        self.show(chat_id)
        return [str(p.document_id) for p in picks]

    def asked(self, chat_id: int) -> None:
        """A question of the chat is stored: what it read is no longer waiting."""
        if self._asking is not None and self._asking[0] == chat_id:
            self.picks.asked(*self._asking)
            self._asking = None
            self.show(self.window.chat_id)

    def _unpick(self, document_id: int) -> None:
        chat_id = self.window.chat_id
        if chat_id is not None:
            self.picks.remove(chat_id, document_id)
            self.show(chat_id)

    def _collections(self, chat_id: int | None) -> list[str]:
        if chat_id is None:
            return []
        return list(self.window.services.chats.get_chat(chat_id).collections)
