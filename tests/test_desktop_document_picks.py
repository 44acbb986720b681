"""Documents picked for a whole-documents question by dropping their files on the chat
(issue 16 §2): ``DocumentPicks`` asked without a window (real SQLite knowledge store), then
the real window, offscreen, given real drag-and-drop events on its message box and on its
messages; the question sent then reads only the picked document whole (Gemma, one thread).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from core.knowledge.store import DocumentFacts, KnowledgeStore, NewChunk
from desktop.chat.conversation import ReplyEnded
from desktop.chat.document_picks import DocumentPicks
from desktop.window.main_window import MainWindow
from desktop.window.services import AppServices

REPLY_MS = 180_000
MEMOS = {
    "harbor.md": "The Harbor Bridge repainting must be finished by 14 March 2031.",
    "library.md": "The Northfield library roof must be finished by 2 April 2031.",
    "station.md": "The pump station fence must be finished by 9 May 2031.",
}


def index(store: KnowledgeStore, collection: str, path: Path) -> int:
    """``path`` as an indexed document of ``collection`` (one chunk of its text; the
    vector is not looked at here)."""
    text = path.read_text()
    digest = hashlib.sha256(text.encode()).hexdigest()
    chunk = NewChunk(f"{collection}-{digest[:12]}", 0, text, 1, None, 0, len(text), digest,
                     len(text.split()), [1.0, 0.0])  # fmt: skip
    facts = DocumentFacts(str(path), path.stem, "text", digest, len(text), 0.0, 1, "en")
    owner = store.ensure_collection(collection).id
    return store.commit_document(owner, facts, [chunk], "test-model")[0]


@pytest.fixture
def memos(tmp_path: Path) -> Path:
    folder = tmp_path / "memos"
    folder.mkdir()
    for name, text in MEMOS.items():
        (folder / name).write_text(text + "\n")
    return folder


def test_a_drop_picks_the_chats_documents_and_says_which_files_are_not(
    tmp_path: Path, memos: Path
) -> None:
    with KnowledgeStore(tmp_path / "knowledge.sqlite3") as store:
        harbor = index(store, "memos", memos / "harbor.md")
        library = index(store, "memos", memos / "library.md")
        index(store, "other", memos / "station.md")  # indexed, but in another collection
        (tmp_path / "tool.exe").write_bytes(b"MZ")
        picks = DocumentPicks(lambda: store)

        result = picks.drop(1, ["memos"], [memos / "harbor.md", memos / "station.md",
                                           tmp_path / "tool.exe"])  # fmt: skip
        assert [p.document_id for p in result.picked] == [harbor]
        assert result.picked[0].name == "harbor.md" and result.picked[0].collection == "memos"
        assert result.outside == (memos / "station.md", tmp_path / "tool.exe")
        assert result.addable == (memos / "station.md",)  # Fireside reads Markdown
        # Dropped again with its folder: the folder's other document joins, none twice.
        again = picks.drop(1, ["memos"], [memos, memos / "harbor.md"])
        assert [p.document_id for p in again.picked] == [library] and not again.outside
        assert [p.document_id for p in picks.picked(1)] == [harbor, library]
        assert picks.picked(2) == [] and picks.picked(None) == []
        # Without a chat nothing is picked: every file is offered instead.
        assert picks.drop(None, ["memos"], [memos / "harbor.md"]).addable == (memos / "harbor.md",)

        picks.remove(1, harbor)
        assert [p.name for p in picks.picked(1)] == ["library.md"]
        # The question reads what is still in the chat's collections; once it is stored,
        # what it read no longer waits, and what was dropped meanwhile does.
        used = picks.for_question(1, ["memos"])
        picks.drop(1, ["memos"], [memos / "harbor.md"])
        picks.asked(1, used)
        assert [p.name for p in picks.picked(1)] == ["harbor.md"]
        assert picks.for_question(1, ["other"]) == []  # "memos" unticked since the drop
        assert picks.picked(1) == []


def drop_files(target: QWidget, paths: list[Path]) -> bool:
    """A real drag entering ``target`` and dropped on it (as Qt delivers one from a file
    manager); whether the drop was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = target.rect().center()
    action = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, action, mime, buttons, mods)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(QPoint(point)), action, mime, buttons, mods)
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()


@pytest.fixture
def window(qtbot: QtBot, services: AppServices, gemma_path: Path) -> Iterator[MainWindow]:
    services.registry.import_file(gemma_path)
    win = MainWindow(services)
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    with qtbot.waitSignal(win.model_ready, timeout=REPLY_MS):
        win.start()
    yield win
    win.close()


def test_dropping_documents_on_the_chat_picks_them_for_the_next_question(
    qtbot: QtBot, window: MainWindow, services: AppServices, memos: Path, tmp_path: Path
) -> None:
    store = services.knowledge.store
    harbor = index(store, "memos", memos / "harbor.md")
    index(store, "memos", memos / "library.md")
    chat_id = window.chat_id
    assert chat_id is not None
    services.chats.update_chat(chat_id, collections=["memos"])
    window.open_chat(chat_id)
    bar = window.composer.picks_bar
    assert bar.isHidden()

    outside = tmp_path / "minutes.md"
    outside.write_text("Minutes of the harbour board.\n")
    assert drop_files(window.composer.edit.viewport(), [memos / "harbor.md", outside])
    assert [c.text() for c in bar.chips] == ["harbor.md  ×"]
    assert bar.isVisible() and bar.notice.isVisible() and bar.add_button.isVisible()
    assert bar.notice_label.text() == "Not in this chat's documents: minutes.md"
    # On the messages too (the drag goes up from the scroll area's viewport to the view).
    assert drop_files(window.chat_view.scroll.viewport(), [memos / "library.md"])
    assert [c.text() for c in bar.chips] == ["harbor.md  ×", "library.md  ×"]
    assert not bar.notice.isVisible()
    bar.chips[1].click()  # the library memo's ×
    assert [c.text() for c in bar.chips] == ["harbor.md  ×"]

    with qtbot.waitSignal(window.reply_finished, timeout=REPLY_MS) as ended:
        window.composer.edit.setPlainText("When must the work be finished?")
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    assert isinstance(ended.args[0], ReplyEnded)
    question = services.chats.branch(chat_id)[-2]
    whole = (question.grounding or {})["whole"]
    assert whole["read"] == [harbor]  # the picked memo only, though the switch is off
    assert bar.chips == [] and bar.isHidden()  # asked: the picks are used up


def test_a_file_added_from_a_drop_is_picked_once_indexed(
    qtbot: QtBot, window: MainWindow, services: AppServices, minilm_path: Path, tmp_path: Path
) -> None:
    """Files dropped to ask about them, then added through the notice's "Add to this
    chat", are picked for the next question when indexed; one that fails is let go."""
    services.update_settings(replace(services.settings, embedding_model=str(minilm_path)))
    bar = window.composer.picks_bar
    minutes = tmp_path / "minutes.md"
    minutes.write_text("Minutes of the harbour board: the pier opens on 3 June 2031.\n")
    broken = tmp_path / "scan.pdf"
    broken.write_bytes(b"%PDF-1.7 not really a PDF")
    assert drop_files(window.composer.edit.viewport(), [minutes, broken])
    assert bar.chips == [] and bar.add_button.isVisible()
    with qtbot.waitSignal(window.knowledge.ingest_finished, timeout=REPLY_MS) as finished:
        bar.add_button.click()
    statuses = {Path(o.path).name: o.status for o in finished.args[0].outcomes}
    assert statuses == {"minutes.md": "indexed", "scan.pdf": "failed"}, statuses
    assert [c.text() for c in bar.chips] == ["minutes.md  ×"]
    assert window.drops._adding == {}  # the failed file is not waited for
    chat_id = window.chat_id
    assert chat_id is not None
    assert [p.name for p in window.drops.picks.picked(chat_id)] == ["minutes.md"]
