"""The knowledge panel, driven as a person would: real drops of files and folders, the real
engine (the real sentence-embedding model all-MiniLM-L6-v2 as the embedding model, one
thread), real Chroma, real SQLite.

The documents are few and small so that embedding on one engine thread stays quick.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from core.knowledge.ingest import IngestReport, Progress
from desktop.knowledge.ingestions import Ingestions
from desktop.knowledge.jobs import TaskEvent
from desktop.knowledge.panel import KnowledgePanel
from desktop.window.services import AppServices
from desktop.window.workers import JobRunner
from tests.documents import CONTRACT_GBK, HANDBOOK_PAGES, write_bad_files, write_many, write_pdf

INGEST_TIMEOUT_MS = 240_000


@pytest.fixture
def lane(qtbot: QtBot) -> Iterator[JobRunner]:
    """The knowledge lane, as the window makes it."""
    runner = JobRunner(name="knowledge")
    yield runner
    runner.shutdown()


@pytest.fixture
def with_model(services: AppServices, minilm_path: Path) -> AppServices:
    services.update_settings(replace(services.settings, embedding_model=str(minilm_path)))
    return services


def open_panel(qtbot: QtBot, services: AppServices, lane: JobRunner) -> KnowledgePanel:
    panel = KnowledgePanel(services, lane)
    qtbot.addWidget(panel)
    return panel


@contextmanager
def earlier_session(services: AppServices, lane: JobRunner) -> Iterator[KnowledgePanel]:
    """The panel of a session that ends: deleted at the end, as when the app quits, so
    nothing of it (its memory, its settings listener) reaches the next session's panel."""
    panel = KnowledgePanel(services, lane)
    try:
        yield panel
    finally:
        panel.close()
        shiboken6.delete(panel)


def add_and_stop_after_the_first_document(
    qtbot: QtBot, panel: KnowledgePanel, folder: Path
) -> IngestReport:
    """Add a folder and stop the ingestion on the lane as its first document is committed:
    it then stops before the next one, for certain (the Stop button would race the lane)."""
    job = panel.add_paths([folder])
    assert job is not None and panel.last_task is not None
    task = panel.last_task

    def stop_after_first_document(event: object) -> None:
        payload = event.payload if isinstance(event, TaskEvent) else None
        if isinstance(payload, Progress) and payload.outcome is not None:
            task.cancel()

    job.item.connect(stop_after_first_document, Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(panel.ingest_finished, timeout=INGEST_TIMEOUT_MS) as stopped:
        pass
    report: IngestReport = stopped.args[0]
    return report


def drop(panel: KnowledgePanel, mime: QMimeData) -> tuple[bool, bool]:
    """A drag entering the panel, then the drop; says whether each was accepted."""
    action, button = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    modifiers = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(20, 20), action, mime, button, modifiers)
    QApplication.sendEvent(panel, enter)
    dropped = QDropEvent(QPointF(20, 20), action, mime, button, modifiers)
    QApplication.sendEvent(panel, dropped)
    return enter.isAccepted(), dropped.isAccepted()


def files_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def record_statuses(panel: KnowledgePanel) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = defaultdict(list)
    panel.status_changed.connect(lambda path, status: seen[Path(path).name].append(status))
    return seen


def test_dropping_a_folder_shows_each_document_through_to_done_or_failed(
    qtbot: QtBot, with_model: AppServices, lane: JobRunner, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    folder = tmp_path / "papers"
    folder.mkdir()
    handbook = write_pdf(folder / "handbook.pdf", HANDBOOK_PAGES, title="Handbook")
    contract = folder / "contract.txt"
    contract.write_bytes(CONTRACT_GBK.encode("gbk"))
    bad = write_bad_files(folder / "bad", bomb=False)
    (folder / ".hidden.md").write_text("# Hidden\n\nNever indexed.\n")

    panel = open_panel(qtbot, with_model, lane)
    seen = record_statuses(panel)
    with qtbot.waitSignal(panel.ingest_finished, timeout=INGEST_TIMEOUT_MS) as finished:
        accepted = drop(panel, files_mime(folder))
        assert accepted == (True, True)
        assert panel.status_of(folder) == "queued"  # shown at once, before the lane starts
    report: IngestReport = finished.args[0]
    assert not report.cancelled

    names = {"handbook.pdf", "contract.txt", *bad}
    assert {Path(o.path).name: o.status for o in report.outcomes} == {
        "handbook.pdf": "indexed", "contract.txt": "indexed", **dict.fromkeys(bad, "failed"),
    }  # fmt: skip
    for good in ("handbook.pdf", "contract.txt"):
        assert seen[good] == ["queued", "reading", "embedding", "done"], good
    for name in bad:
        assert seen[name] == ["queued", "reading", "failed"], name
    assert ".hidden.md" not in seen

    # The list shows every file of the collection, the folder row is gone.
    shown = {Path(p).name for p in panel.documents.paths()}
    assert shown == names
    row = panel.documents.state(str(handbook))
    assert row is not None and row.pages == 3 and row.chunks and row.chunks >= 3
    # Failures say why, in the person's language, naming the file.
    assert panel.status_text_of(folder / "bad" / "empty.txt") == "Failed: empty.txt is empty"
    assert "corrupt.pdf cannot be read; it seems damaged" in panel.status_text_of(
        folder / "bad" / "corrupt.pdf"
    )
    assert "password-protected" in panel.status_text_of(folder / "bad" / "locked.pdf")
    assert "not a text file" in panel.status_text_of(folder / "bad" / "binary.txt")

    # The progress reached the end: "6 of 6 documents".
    bar = panel.progress.bar
    assert bar.maximum() == 6 and bar.value() == 6
    assert panel.progress.label.text().startswith("Documents: 6 of 6 · 2 added")
    assert panel.progress.cancel_button.isHidden() and panel.progress.resume_button.isHidden()
    qtbot.waitUntil(lambda: not panel.busy)
    # Done: the summary stays, the full bar goes (it was the loudest thing in the panel).
    qtbot.waitUntil(lambda: panel.progress.bar.isHidden())
    assert panel.progress.label.text().startswith("Documents: 6 of 6")

    # The GBK text was read as Chinese, with its pages-free citation.
    kb = with_model.knowledge
    stored = {Path(d.path).name: d for d in kb.documents("default")}
    assert "千分之五" in "".join(c.text for c in kb.store.chunks_of(stored["contract.txt"].id))

    # Remove one: asked first; "No" keeps it, "Yes" removes it from SQLite and Chroma.
    panel.documents.select(str(handbook))
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(
        "desktop.knowledge.panel.QMessageBox.question", lambda *args: answers.pop(0)
    )
    assert panel.remove_selected() is None
    assert str(handbook) in panel.documents.paths()
    with qtbot.waitSignal(panel.document_removed, timeout=30_000) as removed:
        qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert removed.args[0].path == str(handbook)
    assert str(handbook) not in panel.documents.paths()
    assert "handbook.pdf" not in {Path(d.path).name for d in kb.documents("default")}
    collection = kb.store.collection("default")
    qtbot.waitUntil(lambda: not lane.busy)
    assert kb.index.count(collection) == kb.store.chunk_count(collection.id)


def test_cancel_then_a_new_add_resumes_without_redoing_finished_files(
    qtbot: QtBot, with_model: AppServices, lane: JobRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    notes = write_many(folder, 4, sentences=2)
    panel = open_panel(qtbot, with_model, lane)

    first = add_and_stop_after_the_first_document(qtbot, panel, folder)
    assert first.cancelled and first.count("indexed") == 1
    qtbot.waitUntil(lambda: not panel.busy)
    assert panel.status_of(notes[0]) == "done"
    assert [panel.status_of(n) for n in notes[1:]] == ["stopped"] * 3
    assert not panel.progress.resume_button.isHidden()
    assert "Stopped" in panel.progress.label.text()
    kb = with_model.knowledge
    kept = {d.path: d.indexed_at for d in kb.documents("default")}
    assert list(kept) == [str(notes[0])]

    extra = tmp_path / "extra.md"
    extra.write_text("# Extra\n\nA lantern by the copper river.\n", encoding="utf-8")
    with qtbot.waitSignal(panel.ingest_finished, timeout=INGEST_TIMEOUT_MS) as resumed:
        panel.add_paths([extra])
    second: IngestReport = resumed.args[0]
    status = {Path(o.path).name: o.status for o in second.outcomes}
    assert status == {
        "note-000.md": "unchanged",  # finished before the cancel: not embedded again
        "note-001.md": "indexed", "note-002.md": "indexed", "note-003.md": "indexed",
        "extra.md": "indexed",
    }  # fmt: skip
    assert kb.store.find_document(kb.store.collection("default").id,
                                  str(notes[0])).indexed_at == kept[str(notes[0])]  # fmt: skip
    assert panel.status_of(notes[0]) == "unchanged"
    assert all(panel.status_of(p) == "done" for p in [*notes[1:], extra])
    assert panel.progress.resume_button.isHidden()


def test_an_ingestion_stopped_before_a_restart_is_offered_again(
    qtbot: QtBot, with_model: AppServices, lane: JobRunner, tmp_path: Path
) -> None:
    """Stop, quit, start again: the panel offers Resume (it does not restart by itself),
    and Resume goes on without embedding the finished document again."""
    folder = tmp_path / "notes"
    notes = write_many(folder, 3, sentences=2)
    with earlier_session(with_model, lane) as panel:
        assert add_and_stop_after_the_first_document(qtbot, panel, folder).cancelled
        qtbot.waitUntil(lambda: not panel.busy)

    later = open_panel(qtbot, with_model, lane)  # the next session's panel
    assert not later.busy  # a stop is not undone behind the person's back
    assert later.status_of(notes[0]) == "ready"  # stored in the earlier session
    assert later.status_of(folder) == "stopped"
    assert later.status_text_of(folder) == "Stopped"
    assert later.progress.isVisibleTo(later)
    assert not later.progress.resume_button.isHidden()
    assert "Stopped" in later.progress.label.text()

    with qtbot.waitSignal(later.ingest_finished, timeout=INGEST_TIMEOUT_MS) as resumed:
        qtbot.mouseClick(later.progress.resume_button, Qt.MouseButton.LeftButton)
    status = {Path(o.path).name: o.status for o in resumed.args[0].outcomes}
    assert status == {"note-000.md": "unchanged", "note-001.md": "indexed",
                      "note-002.md": "indexed"}  # fmt: skip
    qtbot.waitUntil(lambda: not later.busy)
    assert later.status_of(folder) is None  # the folder's row gave way to its files
    assert all(later.status_of(n) in ("done", "unchanged") for n in notes)
    assert later.progress.resume_button.isHidden()
    assert with_model.knowledge.store.stopped_jobs() == []

    third = open_panel(qtbot, with_model, lane)  # nothing left to offer
    assert not third.progress.isVisibleTo(third)
    assert not third.progress.resume_button.isVisibleTo(third)


def test_cancel_button_stops_a_queued_ingestion_and_resume_runs_it(
    qtbot: QtBot, with_model: AppServices, lane: JobRunner, tmp_path: Path
) -> None:
    note = write_many(tmp_path / "one", 1, sentences=1)[0]
    panel = open_panel(qtbot, with_model, lane)
    release = threading.Event()
    lane.run(lambda: [release.wait(60)])  # the lane is busy with something else
    panel.add_paths([note])
    assert panel.status_of(note) == "queued"
    assert not panel.progress.cancel_button.isHidden()
    qtbot.mouseClick(panel.progress.cancel_button, Qt.MouseButton.LeftButton)
    release.set()
    qtbot.waitUntil(lambda: not panel.busy)
    assert panel.status_of(note) == "stopped"
    assert with_model.knowledge.documents("default") == []  # it never ran
    assert not panel.progress.resume_button.isHidden()
    # recorded all the same, so that a restart would offer it too
    assert [j.paths for j in with_model.knowledge.store.stopped_jobs()] == [[str(note)]]

    with qtbot.waitSignal(panel.ingest_finished, timeout=INGEST_TIMEOUT_MS) as finished:
        qtbot.mouseClick(panel.progress.resume_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].count("indexed") == 1
    assert panel.status_of(note) == "done"
    assert with_model.knowledge.store.stopped_jobs() == []


def test_the_chat_collections_round_trip_through_the_chat_store(
    qtbot: QtBot, services: AppServices, lane: JobRunner
) -> None:
    chat = services.chats.create_chat("Reading group")
    panel = open_panel(qtbot, services, lane)
    assert panel.collection == "default"
    assert not panel.chat_collections.isEnabled()  # no chat open yet

    # "New collection…" names one inline; a bad name is one line and creates nothing.
    combo = panel.picker.combo
    combo.setCurrentIndex(combo.count() - 1)
    assert not panel.picker.name_box.isHidden()
    assert panel.collection == "default"
    panel.picker.name_edit.setText("a/b")
    qtbot.mouseClick(panel.picker.create_button, Qt.MouseButton.LeftButton)
    assert panel.picker.error_label.text() == (
        "Not a collection name: a/b (1 to 64 characters, no slashes)"
    )
    assert [c.name for c in services.knowledge.collections()] == ["default"]
    panel.picker.name_edit.setText("  论文  ")
    qtbot.mouseClick(panel.picker.create_button, Qt.MouseButton.LeftButton)
    assert panel.picker.name_box.isHidden() and panel.picker.error_label.isHidden()
    assert panel.collection == "论文" and combo.currentText() == "论文"
    assert [c.name for c in services.knowledge.collections()] == ["default", "论文"]

    panel.set_chat(chat.id)
    assert panel.chat_collections.isEnabled()
    assert panel.chat_collections.names() == ["default", "论文"]
    assert panel.chat_collections.checked() == []
    item = panel.chat_collections.item("论文")
    assert item is not None
    with qtbot.waitSignal(panel.chat_collections_changed) as changed:
        item.setCheckState(Qt.CheckState.Checked)
    assert changed.args == [chat.id, ["论文"]]
    assert services.chats.get_chat(chat.id).collections == ["论文"]

    other = services.chats.create_chat("Another")
    panel.set_chat(other.id)
    assert panel.chat_collections.checked() == []
    panel.set_chat(chat.id)
    assert panel.chat_collections.checked() == ["论文"]
    again = open_panel(qtbot, services, lane)  # a new window reads it back
    again.set_chat(chat.id)
    assert again.chat_collections.checked() == ["论文"]

    item = panel.chat_collections.item("论文")
    assert item is not None
    with qtbot.waitSignal(panel.chat_collections_changed) as changed:
        item.setCheckState(Qt.CheckState.Unchecked)
    assert changed.args == [chat.id, []]
    assert services.chats.get_chat(chat.id).collections == []


def test_without_an_embedding_model_the_panel_says_so_and_dropped_files_wait(
    qtbot: QtBot, services: AppServices, lane: JobRunner, tmp_path: Path, minilm_path: Path
) -> None:
    assert services.settings.embedding_model is None
    note = write_many(tmp_path / "notes", 1, sentences=1)[0]
    with earlier_session(services, lane) as first:
        assert not first.model_bar.isHidden()
        assert first.model_bar.label.text() == (
            "No embedding model is set, so documents cannot be made searchable yet."
        )
        with qtbot.waitSignal(first.embedding_model_needed):
            qtbot.mouseClick(first.model_bar.button, Qt.MouseButton.LeftButton)
        assert drop(first, files_mime(note)) == (True, True)
        assert first.status_of(note) == "waiting"
        assert not first.busy  # nothing was started; the lane only reads the file's language
        qtbot.waitUntil(lambda: first.model_bar.entry is not None and not lane.busy)
        assert first.model_bar.button.text().startswith("Get ")  # the model for its language
        assert "Waiting for an embedding model" in first.progress.label.text()

    # Quit and start again, still without a model: the file still waits.
    panel = open_panel(qtbot, services, lane)
    assert panel.status_of(note) == "waiting"
    assert not panel.busy and "Waiting for an embedding model" in panel.progress.label.text()
    assert not panel.model_bar.isHidden()

    # Once a model is chosen, what waited is added.
    with qtbot.waitSignal(panel.ingest_finished, timeout=INGEST_TIMEOUT_MS) as finished:
        services.update_settings(replace(services.settings, embedding_model=str(minilm_path)))
    assert panel.model_bar.isHidden()
    assert finished.args[0].count("indexed") == 1
    assert panel.status_of(note) == "done"
    assert services.knowledge.store.stopped_jobs() == []


def test_drops_that_are_not_files_are_ignored(
    qtbot: QtBot, with_model: AppServices, lane: JobRunner
) -> None:
    panel = open_panel(qtbot, with_model, lane)
    text = QMimeData()
    text.setText("just some words")
    assert drop(panel, text) == (False, False)
    link = QMimeData()
    link.setUrls([QUrl("https://example.com/paper.pdf")])
    assert drop(panel, link) == (False, False)
    assert panel.documents.paths() == [] and not panel.busy and not lane.busy
    assert not panel.empty_state.isHidden() and panel.documents.isHidden()


def test_an_ingestion_a_kill_left_is_finished_when_the_panel_opens(
    qtbot: QtBot, with_model: AppServices, lane: JobRunner, tmp_path: Path
) -> None:
    notes = write_many(tmp_path / "notes", 2, sentences=1)
    store = with_model.knowledge.store
    store.start_job("default", [str(tmp_path / "notes")])  # running when the app was killed
    panel = KnowledgePanel(with_model, lane)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.ingest_finished, timeout=INGEST_TIMEOUT_MS) as finished:
        pass
    assert finished.args[0].count("indexed") == 2
    assert store.unfinished_jobs() == []
    assert [panel.status_of(n) for n in notes] == ["done", "done"]


# ---- the ingestions, without a panel -------------------------------------------------------


def test_files_waiting_for_a_model_are_saved_offered_again_and_run_without_a_widget(
    qtbot: QtBot, services: AppServices, lane: JobRunner, tmp_path: Path, minilm_path: Path
) -> None:
    """The saved-job state machine alone: without an embedding model added files wait and
    are saved as a stopped job; the next session's controller offers them (waiting, not
    started); once a model is set, Resume runs them and the saved job is gone."""
    folder = tmp_path / "notes"
    notes = write_many(folder, 2, sentences=1)
    services.knowledge.store.ensure_collection("default")  # as the panel makes it
    first = Ingestions(services, lane)
    missing: list[str] = []
    first.model_missing.connect(missing.append)
    assert first.add("default", [folder]) is None
    assert first.status_of("default", folder) == "waiting"
    assert missing == [""] and first.can_resume and not first.busy and not lane.busy
    assert [j.paths for j in services.knowledge.store.stopped_jobs()] == [[str(folder)]]
    assert first.resume() == [] and missing == ["", ""]  # still no model: nothing runs

    later = Ingestions(services, lane)  # the next session
    with qtbot.waitSignal(later.waiting):
        later.offer_stopped()
    assert later.status_of("default", folder) == "waiting" and not later.busy

    services.update_settings(replace(services.settings, embedding_model=str(minilm_path)))
    with qtbot.waitSignal(later.finished, timeout=INGEST_TIMEOUT_MS) as finished:
        assert len(later.resume()) == 1
    assert finished.args[0].count("indexed") == 2
    qtbot.waitUntil(lambda: not later.busy)
    assert later.status_of("default", folder) is None  # the folder's row gave way to its files
    assert [later.status_of("default", n) for n in notes] == ["done", "done"]
    assert services.knowledge.store.stopped_jobs() == []
    rows = later.rows("default")  # the store's documents, with what this session saw
    assert sorted(rows) == [str(n) for n in notes]
    assert all(r.status == "done" and r.document_id is not None for r in rows.values())


def test_a_queued_ingestion_cancelled_is_saved_and_offered_after_a_restart_without_a_widget(
    qtbot: QtBot, with_model: AppServices, lane: JobRunner, tmp_path: Path
) -> None:
    note = write_many(tmp_path / "one", 1, sentences=1)[0]
    with_model.knowledge.store.ensure_collection("default")  # as the panel makes it
    ingestions = Ingestions(with_model, lane)
    idle: list[bool] = []
    ingestions.idle.connect(idle.append)
    release = threading.Event()
    lane.run(lambda: [release.wait(60)])  # the lane is busy with something else
    assert ingestions.add("default", [note]) is not None
    assert ingestions.status_of("default", note) == "queued" and ingestions.busy
    ingestions.cancel()
    release.set()
    qtbot.waitUntil(lambda: not ingestions.busy)
    assert ingestions.status_of("default", note) == "stopped"
    assert idle == [True]  # Resume has something to run
    assert with_model.knowledge.documents("default") == []  # it never ran
    assert [j.paths for j in with_model.knowledge.store.stopped_jobs()] == [[str(note)]]

    later = Ingestions(with_model, lane)  # the next session: offered, not started
    with qtbot.waitSignal(later.stopped_offered):
        later.offer_stopped()
    assert later.status_of("default", note) == "stopped" and not later.busy
    with qtbot.waitSignal(later.finished, timeout=INGEST_TIMEOUT_MS) as finished:
        later.resume()
    assert finished.args[0].count("indexed") == 1
    qtbot.waitUntil(lambda: not later.busy)
    assert later.status_of("default", note) == "done"
    assert with_model.knowledge.store.stopped_jobs() == []


def test_the_panel_plans_files_as_the_ingestion_walks_them(tmp_path: Path) -> None:
    """Issue 14 item 5 in the window: the panel's plan of a dropped folder follows no link
    out of it and passes over a folder it cannot reach (os.walk + is_file() raised on one,
    failing the whole drop, and queued /etc/passwd behind a link)."""
    from desktop.knowledge.jobs import plan_files
    from tests.hostile_documents import make_deep_folder

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "lease.md").write_text("# Lease\n\nRent is due monthly.\n", encoding="utf-8")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "inside.md").symlink_to(folder / "lease.md")
    make_deep_folder(folder)
    planned = plan_files([str(folder)])
    names = [Path(p).name for p in planned.files]
    assert "lease.md" in names and "inside.md" in names
    assert "passwd.txt" not in names
