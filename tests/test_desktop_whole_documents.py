"""Whole documents in the window, driven without one (issue 16 §2): ``Conversation`` reads
a chat's documents whole when the chat's "Whole documents" switch is on, reports each step
(``reading``), and a Stop during the reading still brings an answer, made from the
documents read so far. The switch beside "Use in this chat" reports its changes. Real
engine (Gemma, one thread), MiniLM for the ingestion, real SQLite and Chroma, the real lane.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from core.engine.protocol import LoadOptions
from core.knowledge.embedder import Embedder
from core.knowledge.whole_chat import WHOLE_DOCUMENTS
from desktop.chat.conversation import Conversation, ReplyEnded
from desktop.knowledge.widgets import ChatCollections
from desktop.window.services import AppServices
from desktop.window.workers import JobRunner
from tests.whole_documents import QUESTION, write_collection

REPLY_MS = 180_000


@pytest.fixture
def lane(qtbot: QtBot) -> Iterator[JobRunner]:
    runner = JobRunner(name="engine")
    yield runner
    runner.shutdown()


def test_a_stop_while_reading_whole_documents_answers_from_what_was_read(
    qtbot: QtBot, services: AppServices, lane: JobRunner, gemma_path: Path,
    minilm_path: Path, tmp_path: Path,
) -> None:  # fmt: skip
    files, _ = write_collection(tmp_path / "memos", "en")
    embedder = Embedder(services.client, minilm_path, n_ctx=256, n_threads=1)
    services.knowledge.ingestion(embedder, "memos").run(files[:3])
    services.client.unload("embedding")
    services.client.load_chat(gemma_path, LoadOptions(n_ctx=2048, n_threads=1))
    conversation = Conversation(services, lane)
    chat_id, _ = conversation.new_chat(None, "Gemma")
    services.chats.update_chat(chat_id, collections=["memos"],
                               settings={WHOLE_DOCUMENTS: True})  # fmt: skip
    steps: list[Any] = []

    def stop_after_the_first(step: Any) -> None:
        steps.append(step)
        if step.documents_read == 1:
            conversation.stop()

    conversation.reading.connect(stop_after_the_first)
    with qtbot.waitSignal(conversation.reply_ended, timeout=REPLY_MS) as ended:
        conversation.send(chat_id, QUESTION["en"])
    result = ended.args[0]
    assert isinstance(result, ReplyEnded) and result.result is not None
    assert result.result.stats.stop_reason != "cancelled"  # the stop ended the reading only
    assert [s.documents_read for s in steps][:2] == [0, 1] and steps[0].documents_total == 3
    question, reply = services.chats.branch(chat_id)[-2:]
    whole = (question.grounding or {})["whole"]
    assert whole["stopped"] and 1 <= len(whole["read"]) < 3
    assert reply.content and not reply.incomplete


def test_the_whole_documents_switch_reports_only_the_persons_changes(qtbot: QtBot) -> None:
    box = ChatCollections()
    qtbot.addWidget(box)
    seen: list[bool] = []
    box.whole_changed.connect(seen.append)
    box.set_whole(True)  # the open chat's choice, shown
    assert box.whole.isChecked() and seen == []
    box.whole.click()
    assert seen == [False]


def test_the_sources_panel_says_the_documents_were_read_whole(qtbot: QtBot) -> None:
    from desktop.knowledge.sources import SourcesDialog

    snippet = "The Harbor Bridge repainting must be finished by 14 March 2031."
    note = {"n": 1, "file": "/memos/memo-en-01.pdf", "page": 2, "cited": True, "whole": True,
            "snippet": snippet}  # fmt: skip
    dialog = SourcesDialog([note])
    qtbot.addWidget(dialog)
    assert (
        "read whole" in dialog.summary.text() and "1 passages gave notes" in dialog.summary.text()
    )
    assert dialog.table.topLevelItem(0).text(7).startswith("The Harbor Bridge")
