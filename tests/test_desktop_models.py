"""The model manager dialog and the first-run welcome, driven as a person would, against the
local fake Hub through the real huggingface_hub client: catalogue, search, files with sizes
and memory fit, downloads with pause / resume / cancel, installed models, import, delete."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import huggingface_hub
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from core.engine.gguf import read_header
from core.i18n import Translator
from core.models.catalogue import Catalogue, load_catalogue
from core.models.downloads import DownloadProgress
from core.models.fit import (
    FitAdvisor,
    FitOptions,
    ModelFigures,
    SystemMemory,
    Verdict,
    estimate_memory,
    reads_whole_documents,
)
from core.models.registry import InstalledModel
from core.models.tokens import TokenStore
from core.models.units import human_size
from desktop.models.downloads import DownloadBoard, DownloadTask
from desktop.models.hub_lookups import HubAccess
from desktop.models.manager import ModelManagerDialog
from desktop.models.welcome import Suggestion, WelcomeWidget
from desktop.window.services import AppServices
from desktop.window.workers import JobRunner
from tests.hub_server import BERT_LIKE, FakeHub, FakeRepo, MemoryKeyring, gguf_bytes

CHAT_REPO = "acme/Tiny-Chat-GGUF"
SMALL = "tiny-chat-Q4_K_M.gguf"
MEDIUM = "tiny-chat-Q8_0.gguf"
EMBED_REPO = "acme/Tiny-Embed-GGUF"
EMBED = "tiny-embed-Q8_0.gguf"
GATED_REPO = "acme/Tiny-Gated-GGUF"
GATED = "tiny-gated-Q4_K_M.gguf"
ROOMY = FitAdvisor(lambda: SystemMemory(total=64 << 30, available=32 << 30))
WAIT_MS = 30_000


# ---- the fake Hub and what points at it ----------------------------------------------------


@pytest.fixture(autouse=True)
def hub_isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache-env"))
    for var in ("HF_ENDPOINT", "HF_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    yield
    huggingface_hub.close_session()  # no pooled sockets outlive the test


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {
        SMALL: gguf_bytes(250_000),  # ~1 MB
        MEDIUM: gguf_bytes(1_000_000, seed=1),  # ~4 MB
        EMBED: gguf_bytes(20_000, BERT_LIKE, seed=2),
        GATED: gguf_bytes(2_000, seed=3),
    }


@pytest.fixture
def hub(files: dict[str, bytes]) -> Iterator[FakeHub]:
    repos = [
        FakeRepo(CHAT_REPO, {SMALL: files[SMALL], MEDIUM: files[MEDIUM]}, downloads=30),
        FakeRepo(EMBED_REPO, {EMBED: files[EMBED]}, downloads=20),
        FakeRepo(GATED_REPO, {GATED: files[GATED]}, token="hf_right", downloads=10),
    ]
    with FakeHub(repos) as server:
        yield server


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    """A catalogue whose repositories are on the fake Hub."""

    def entry(**fields: Any) -> dict[str, Any]:
        return {"context_length": 32768, "languages": ["zh", "en"], "license": "apache-2.0",
                "default": True, **fields}  # fmt: skip

    raw = {
        "schema_version": 1,
        "models": [
            entry(id="tiny-chat", name="Tiny Chat", kind="chat", repo=CHAT_REPO,
                  files={"Q4_K_M": SMALL, "Q8_0": MEDIUM}, recommended="Q8_0",
                  parameters=500_000_000,
                  description={"en": "A tiny chat model for tests.",
                               "zh_CN": "测试用的小型对话模型。"}),
            entry(id="tiny-embed", name="Tiny Embed", kind="embedding", repo=EMBED_REPO,
                  files={"Q8_0": EMBED}, recommended="Q8_0", parameters=20_000_000,
                  description={"en": "Finds passages in your documents.",
                               "zh_CN": "在文档中查找段落。"}),
        ],
    }  # fmt: skip
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return load_catalogue(path)


@pytest.fixture
def online(services: AppServices, hub: FakeHub) -> AppServices:
    """The services, with the Hub address setting pointing at the fake Hub."""
    services.update_settings(replace(services.settings, hub_endpoint=hub.endpoint))
    return services


@pytest.fixture
def lane(hub: FakeHub) -> Iterator[JobRunner]:
    """The window's downloads lane."""
    runner = JobRunner(None, "downloads")
    yield runner
    hub.faults.release.set()  # nothing may stay held while the lane stops
    runner.shutdown()


def open_dialog(
    qtbot: QtBot,
    services: AppServices,
    lane: JobRunner,
    catalogue: Catalogue,
    advisor: FitAdvisor = ROOMY,
) -> ModelManagerDialog:
    dialog = ModelManagerDialog(
        services, lane, tokens=TokenStore(MemoryKeyring()), catalogue=catalogue, advisor=advisor
    )
    qtbot.addWidget(dialog, before_close_func=lambda d: d.shutdown())
    dialog.show()
    return dialog


def open_welcome(
    qtbot: QtBot,
    services: AppServices,
    lane: JobRunner,
    catalogue: Catalogue,
    advisor: FitAdvisor = ROOMY,
) -> tuple[WelcomeWidget, Suggestion]:
    welcome = WelcomeWidget(
        services, lane, tokens=TokenStore(MemoryKeyring()), catalogue=catalogue, advisor=advisor
    )
    qtbot.addWidget(welcome, before_close_func=lambda w: w.shutdown())
    welcome.show()
    assert welcome._lookup is None  # showing it asks nothing: the person asks
    with qtbot.waitSignal(welcome.suggestion_ready, timeout=WAIT_MS) as blocker:
        welcome.check_link.linkActivated.emit("check")
    suggestion = blocker.args[0]
    assert isinstance(suggestion, Suggestion)
    return welcome, suggestion


def memory_need(data: bytes, tmp_path: Path, n_ctx: int) -> int:
    """What the core estimates a file needs (to choose memory figures for the badges)."""
    path = tmp_path / "need.gguf"
    path.write_bytes(data)
    header = read_header(path)
    options = FitOptions(n_ctx=n_ctx, side_cache=reads_whole_documents(header))
    return estimate_memory(ModelFigures.from_header(header), len(data), options).total


def part_files(services: AppServices) -> list[Path]:
    return sorted(services.paths.downloads_dir.glob("*.part"))


def pick_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The file dialog answers ``path``, as if the person had picked it."""

    def chosen(*_args: object, **_kwargs: object) -> tuple[str, str]:
        return str(path), "GGUF models (*.gguf)"

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(chosen))


def answer_question(
    monkeypatch: pytest.MonkeyPatch, answer: QMessageBox.StandardButton
) -> list[str]:
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *_args: object) -> Any:
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def wait_for_files(qtbot: QtBot, table: Any, names: list[str]) -> None:
    """Until the table lists ``names`` with their sizes and fit known."""

    def listed() -> bool:
        return table.filenames == names and all(table.badge(n).text() != "…" for n in names)

    qtbot.waitUntil(listed, timeout=WAIT_MS)


def record_status(task: DownloadTask, read: Callable[[], str]) -> list[str]:
    """Every status line a download showed, in order."""
    seen: list[str] = []
    task.changed.connect(lambda: seen.append(read()))
    return seen


# ---- Recommended -------------------------------------------------------------------------------


def test_recommended_lists_the_catalogue_with_sizes_and_fit_badges(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes], tmp_path: Path,
) -> None:  # fmt: skip
    # Memory in which the small file fits comfortably and the larger one only just.
    need_small = memory_need(files[SMALL], tmp_path, online.settings.engine.n_ctx)
    available = int(need_small / 0.8) + 1
    advisor = FitAdvisor(lambda: SystemMemory(total=available, available=available))
    dialog = open_dialog(qtbot, online, lane, catalogue, advisor)

    texts = [dialog.catalogue_list.item(i).text() for i in range(dialog.catalogue_list.count())]
    assert texts == [
        "Chat models", "Tiny Chat\nA tiny chat model for tests.",
        "Embedding models", "Tiny Embed\nFinds passages in your documents.",
    ]  # fmt: skip
    # The default chat model is shown first; its sizes and fit come from the Hub.
    table = dialog.catalogue_files
    wait_for_files(qtbot, table, [SMALL, MEDIUM])
    assert dialog.recommended_page.title_label.text() == "Tiny Chat"
    assert table.size_text(SMALL) == human_size(len(files[SMALL]))
    assert table.size_text(MEDIUM) == human_size(len(files[MEDIUM]))
    assert table.badge(SMALL).text() == "Fits"
    assert table.badge(MEDIUM).text() == "Tight"
    assert "Close other programs" in table.badge(MEDIUM).toolTip()
    assert table.item(table.row_of(MEDIUM), 0).text() == "Q8_0 · recommended"
    assert table.download_button(SMALL).text() == "Download"

    dialog.recommended_page.select("tiny-embed")
    wait_for_files(qtbot, table, [EMBED])
    assert table.size_text(EMBED) == human_size(len(files[EMBED]))
    assert "Embedding model" in dialog.recommended_page.facts_label.text()


def test_recommended_descriptions_follow_the_language(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue
) -> None:
    online.translate = Translator("zh_CN")
    dialog = open_dialog(qtbot, online, lane, catalogue)
    texts = [dialog.catalogue_list.item(i).text() for i in range(dialog.catalogue_list.count())]
    assert "Tiny Chat\n测试用的小型对话模型。" in texts
    assert dialog.recommended_page.description_label.text() == "测试用的小型对话模型。"


# ---- Search ------------------------------------------------------------------------------------


def test_search_the_hub_and_list_files_with_sizes_and_fit(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes],
) -> None:  # fmt: skip
    dialog = open_dialog(qtbot, online, lane, catalogue)
    dialog.tabs.setCurrentWidget(dialog.search_page)
    qtbot.keyClicks(dialog.search_box, "tiny")
    with qtbot.waitSignal(dialog.search_page.results_shown, timeout=WAIT_MS) as found:
        qtbot.keyClick(dialog.search_box, Qt.Key.Key_Return)  # Enter searches
    assert found.args == [3]
    assert dialog.search_page.result_repos() == [CHAT_REPO, EMBED_REPO, GATED_REPO]
    assert "needs an access token" in dialog.search_results.item(2).text()

    dialog.search_page.select(CHAT_REPO)
    wait_for_files(qtbot, dialog.search_files, [SMALL, MEDIUM])
    assert dialog.search_files.size_text(MEDIUM) == human_size(len(files[MEDIUM]))
    assert {dialog.search_files.badge(n).text() for n in (SMALL, MEDIUM)} == {"Fits"}

    # A gated repository lists its files, but its header needs a token: sizes, no fit.
    dialog.search_page.select(GATED_REPO)
    wait_for_files(qtbot, dialog.search_files, [GATED])
    assert dialog.search_files.badge(GATED).text() == "Unknown"
    assert "gated model" in dialog.search_page.status_label.text()

    qtbot.keyClicks(dialog.search_box, "-nothing")
    with qtbot.waitSignal(dialog.search_page.results_shown, timeout=WAIT_MS) as found:
        dialog.search_button.click()
    assert found.args == [0]
    assert dialog.search_page.search_status.text() == "No GGUF models found for “tiny-nothing”"


# ---- Downloads ---------------------------------------------------------------------------------


def test_download_shows_progress_and_installs_the_model(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes], hub: FakeHub,
) -> None:  # fmt: skip
    dialog = open_dialog(qtbot, online, lane, catalogue)
    table = dialog.catalogue_files
    wait_for_files(qtbot, table, [SMALL, MEDIUM])
    with qtbot.waitSignal(dialog.model_installed, timeout=WAIT_MS) as installed:
        table.download_button(SMALL).click()
        task = dialog.board.find(CHAT_REPO, SMALL)
        assert task is not None
        reports: list[DownloadProgress] = []
        task.progressed.connect(reports.append)
    model = installed.args[0]
    assert isinstance(model, InstalledModel)
    assert model.repo == CHAT_REPO and model.kind == "chat" and model.quantization == "Q4_K_M"
    assert Path(model.path).read_bytes() == files[SMALL]
    # Fetched once, whole (the other GETs are the header the fit badges read, as ranges).
    fetched = [r["served"] for r in hub.gets(SMALL) if r["range"] is None]
    assert fetched == [len(files[SMALL])]
    assert reports and reports[-1].done == reports[-1].total == len(files[SMALL])
    phases = [r.phase for r in reports]
    assert phases[0] == "starting" and "verifying" in phases

    row = dialog.download_row(CHAT_REPO, SMALL)
    assert row is not None
    assert row.view.bar.value() == row.view.bar.maximum()
    assert row.view.status_label.text() == f"Installed as {model.id}"
    assert table.download_button(SMALL).text() == "Installed"
    assert dialog.installed_page.models == [model]
    assert dialog.installed_table.item(0, 0).text() == model.name
    assert part_files(online) == []


def test_pause_then_resume_continues_from_the_partial_file(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes], hub: FakeHub,
) -> None:  # fmt: skip
    size = len(files[MEDIUM])
    hub.faults.hold_at[MEDIUM] = size // 2
    dialog = open_dialog(qtbot, online, lane, catalogue)
    dialog.tabs.setCurrentWidget(dialog.downloads_page)
    dialog.start_download(CHAT_REPO, MEDIUM)
    row = dialog.download_row(CHAT_REPO, MEDIUM)
    assert row is not None
    qtbot.waitUntil(hub.reached_event(MEDIUM).is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: row.task.state == "running")
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.downloads_page)) == "Downloads (1)"
    assert row.view.pause_button.isVisible() and not row.view.resume_button.isVisible()

    qtbot.mouseClick(row.view.pause_button, Qt.MouseButton.LeftButton)
    hub.faults.release.set()
    qtbot.waitUntil(lambda: row.task.state == "paused", timeout=WAIT_MS)
    kept = row.task.bytes_on_disk()
    assert 0 < kept < size
    assert row.view.status_label.text() == f"Paused at {human_size(kept)} of {human_size(size)}"
    assert row.view.resume_button.isVisible() and not row.view.pause_button.isVisible()
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.downloads_page)) == "Downloads"

    before = len(hub.gets(MEDIUM))
    shown = record_status(row.task, row.view.status_label.text)
    with qtbot.waitSignal(dialog.model_installed, timeout=WAIT_MS):
        qtbot.mouseClick(row.view.resume_button, Qt.MouseButton.LeftButton)
    resumed = hub.gets(MEDIUM)[before:]
    assert [r["range"] for r in resumed] == [f"bytes={kept}-"]  # not from zero
    assert sum(r["served"] for r in resumed) == size - kept  # counted by the Hub
    assert row.task.resumed_from == kept
    assert any(f"esuming from {human_size(kept)}" in s or f"resumed from {human_size(kept)}" in s
               for s in shown), shown  # fmt: skip
    assert row.task.model is not None
    assert Path(row.task.model.path).read_bytes() == files[MEDIUM]


def test_cancel_deletes_the_partial_file(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes], hub: FakeHub,
) -> None:  # fmt: skip
    hub.faults.hold_at[MEDIUM] = len(files[MEDIUM]) // 2
    dialog = open_dialog(qtbot, online, lane, catalogue)
    dialog.tabs.setCurrentWidget(dialog.downloads_page)
    dialog.start_download(CHAT_REPO, MEDIUM)
    row = dialog.download_row(CHAT_REPO, MEDIUM)
    assert row is not None
    qtbot.waitUntil(hub.reached_event(MEDIUM).is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: part_files(online) != [])
    qtbot.mouseClick(row.view.cancel_button, Qt.MouseButton.LeftButton)
    hub.faults.release.set()
    qtbot.waitUntil(lambda: dialog.download_row(CHAT_REPO, MEDIUM) is None, timeout=WAIT_MS)
    assert part_files(online) == []
    assert not list(online.paths.downloads_dir.glob("*.json"))
    assert dialog.board.find(CHAT_REPO, MEDIUM) is None
    assert dialog.downloads_page.empty_label.isVisible()
    assert online.registry.models() == []


def test_checksum_mismatch_shows_the_error_under_the_download(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue, hub: FakeHub
) -> None:
    hub.faults.wrong_sha256.add(SMALL)
    dialog = open_dialog(qtbot, online, lane, catalogue)
    dialog.tabs.setCurrentWidget(dialog.downloads_page)
    with qtbot.assertNotEmitted(dialog.model_installed):
        dialog.start_download(CHAT_REPO, SMALL)
        row = dialog.download_row(CHAT_REPO, SMALL)
        assert row is not None
        qtbot.waitUntil(row.view.error_label.isVisible, timeout=WAIT_MS)
    message = row.view.error_label.text()
    assert message.startswith(f"{SMALL} is not what the hub published")
    assert message.endswith("the download was deleted")
    assert "\n" not in message
    assert row.view.resume_button.text() == "Retry"
    assert part_files(online) == []
    assert online.registry.models() == []


def test_a_download_interrupted_by_closing_shows_as_paused_next_time(
    qtbot: QtBot, online: AppServices, catalogue: Catalogue, files: dict[str, bytes],
    hub: FakeHub, lane: JobRunner,
) -> None:  # fmt: skip
    size = len(files[MEDIUM])
    hub.faults.hold_at[MEDIUM] = size // 2
    closing_lane = JobRunner(None, "downloads-before")
    first = open_dialog(qtbot, online, closing_lane, catalogue)
    first.start_download(CHAT_REPO, MEDIUM)
    qtbot.waitUntil(hub.reached_event(MEDIUM).is_set, timeout=WAIT_MS)
    # What the window does as it closes: stop every lane (a download's stop is a pause).
    closing_lane.cancel_all()
    hub.faults.release.set()
    closing_lane.shutdown()
    first.shutdown()
    first.close()
    kept = sum(p.stat().st_size for p in part_files(online))
    assert 0 < kept < size

    # Next start: a new lane, a new dialog.
    dialog = open_dialog(qtbot, online, lane, catalogue)
    dialog.tabs.setCurrentWidget(dialog.downloads_page)
    row = dialog.download_row(CHAT_REPO, MEDIUM)
    assert row is not None and row.task.state == "paused"
    assert row.view.status_label.text() == f"Paused at {human_size(kept)} of {human_size(size)}"
    before = len(hub.gets(MEDIUM))
    with qtbot.waitSignal(dialog.model_installed, timeout=WAIT_MS):
        qtbot.mouseClick(row.view.resume_button, Qt.MouseButton.LeftButton)
    assert [r["range"] for r in hub.gets(MEDIUM)[before:]] == [f"bytes={kept}-"]


# ---- Installed ---------------------------------------------------------------------------------


def test_import_a_gguf_file_and_refuse_a_bad_one(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    dialog = open_dialog(qtbot, online, lane, catalogue)
    dialog.tabs.setCurrentWidget(dialog.installed_page)
    mine = tmp_path / "mine-Q4_K_M.gguf"
    mine.write_bytes(files[SMALL])
    pick_file(monkeypatch, mine)
    with qtbot.waitSignal(dialog.model_installed, timeout=5_000) as imported:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    model = imported.args[0]
    assert isinstance(model, InstalledModel)
    assert model.source == "imported" and model.path == str(mine.resolve())
    assert [m.id for m in dialog.installed_page.models] == [model.id]
    assert dialog.installed_page.selected() == model
    assert "Imported" in dialog.installed_page.message_label.text()

    noise = tmp_path / "noise.gguf"
    noise.write_bytes(random.Random(7).randbytes(4096))
    pick_file(monkeypatch, noise)
    with qtbot.assertNotEmitted(dialog.model_installed):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    message = dialog.installed_page.message_label.text()
    assert (
        message
        == f"{noise.resolve()} is not a GGUF model file (it does not start with the GGUF signature)"
    )
    assert [m.id for m in dialog.installed_page.models] == [model.id]


def test_use_and_delete_after_confirmation(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    dialog = open_dialog(qtbot, online, lane, catalogue)
    with qtbot.waitSignal(dialog.model_installed, timeout=WAIT_MS) as installed:
        dialog.start_download(CHAT_REPO, SMALL)
    model = installed.args[0]
    assert isinstance(model, InstalledModel)
    dialog.tabs.setCurrentWidget(dialog.installed_page)
    page = dialog.installed_page
    page.select(model.id)
    with qtbot.waitSignal(dialog.use_requested) as used:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert used.args == [model.id]
    online.switcher.use(model.id)  # what the window does with it
    online.reload_settings()
    assert page.default_text(model.id) == "Default"

    asked = answer_question(monkeypatch, QMessageBox.StandardButton.No)
    page.select(model.id)
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "will be removed from this computer" in asked[0]
    assert Path(model.path).exists() and [m.id for m in page.models] == [model.id]

    asked = answer_question(monkeypatch, QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1
    assert not Path(model.path).exists()
    assert page.models == [] and dialog.installed_table.rowCount() == 0
    assert online.settings.chat_model is None  # the switcher forgot it
    assert page.message_label.text().startswith("Deleted Tiny Qwen-like;")


# ---- the welcome -------------------------------------------------------------------------------


def test_welcome_recommends_a_model_and_downloading_it_makes_it_ready(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes], hub: FakeHub,
) -> None:  # fmt: skip
    size = len(files[MEDIUM])
    welcome, suggestion = open_welcome(qtbot, online, lane, catalogue)
    # The catalogue's default, at its recommended quantization: it fits this (roomy) computer.
    assert suggestion.entry.id == "tiny-chat" and suggestion.filename == MEDIUM
    assert suggestion.answer is not None and suggestion.answer.verdict is Verdict.FITS
    text = welcome.suggestion_label.text()
    assert f"Tiny Chat (Q8_0, {human_size(size)})" in text and "runs comfortably" in text
    assert welcome.download_button.text() == f"Download Tiny Chat ({human_size(size)})"

    hub.faults.hold_at[MEDIUM] = size // 2
    qtbot.mouseClick(welcome.download_button, Qt.MouseButton.LeftButton)
    assert welcome.progress.isVisible() and not welcome.download_button.isVisible()
    qtbot.waitUntil(hub.reached_event(MEDIUM).is_set, timeout=WAIT_MS)
    # The model manager, opened meanwhile, shows the same download (one task, not two).
    dialog = open_dialog(qtbot, online, lane, catalogue)
    row = dialog.download_row(CHAT_REPO, MEDIUM)
    assert row is not None and row.task is welcome.task and row.task.active
    with qtbot.waitSignal(welcome.model_ready, timeout=WAIT_MS) as ready:
        hub.faults.release.set()
    model = ready.args[0]
    assert isinstance(model, InstalledModel) and model.kind == "chat"
    assert Path(model.path).read_bytes() == files[MEDIUM]
    assert welcome.progress.status_label.text() == f"Installed as {model.id}"


def test_welcome_pause_and_cancel_offer_the_download_again(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes], hub: FakeHub,
) -> None:  # fmt: skip
    welcome, _ = open_welcome(qtbot, online, lane, catalogue)
    hub.faults.hold_at[MEDIUM] = len(files[MEDIUM]) // 2
    welcome.start_download()
    qtbot.waitUntil(hub.reached_event(MEDIUM).is_set, timeout=WAIT_MS)
    qtbot.mouseClick(welcome.progress.pause_button, Qt.MouseButton.LeftButton)
    hub.faults.release.set()
    qtbot.waitUntil(lambda: welcome.task is not None and welcome.task.state == "paused",
                    timeout=WAIT_MS)  # fmt: skip
    assert welcome.progress.status_label.text().startswith("Paused at")
    qtbot.mouseClick(welcome.progress.cancel_button, Qt.MouseButton.LeftButton)
    assert welcome.task is None and welcome.download_button.isVisible()
    assert not welcome.progress.isVisible()
    assert part_files(online) == []


def test_the_welcome_asks_the_hub_only_when_the_person_does(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue, hub: FakeHub
) -> None:
    """Issue 14: a start must not use the network; the welcome is what a first start shows."""
    welcome = WelcomeWidget(online, lane, tokens=TokenStore(MemoryKeyring()),
                            catalogue=catalogue, advisor=ROOMY)  # fmt: skip
    qtbot.addWidget(welcome, before_close_func=lambda w: w.shutdown())
    welcome.show()
    qtbot.wait(300)
    assert hub.requests == []
    assert welcome.suggestion.entry.id == "tiny-chat"  # offered from the catalogue alone
    assert welcome.download_button.isEnabled() and welcome.check_link.isVisible()
    with qtbot.waitSignal(welcome.suggestion_ready, timeout=WAIT_MS):
        welcome.check_link.linkActivated.emit("check")
    assert hub.requests and not welcome.check_link.isVisible()


def test_welcome_says_when_even_the_smallest_model_will_not_fit(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes],
) -> None:  # fmt: skip
    little = FitAdvisor(lambda: SystemMemory(total=100_000_000, available=50_000_000))
    welcome, suggestion = open_welcome(qtbot, online, lane, catalogue, little)
    assert suggestion.filename == SMALL  # the smallest file there is
    assert suggestion.answer is not None and suggestion.answer.verdict is Verdict.WONT_FIT
    assert "it may not run" in welcome.suggestion_label.text()
    assert welcome.download_button.text() == f"Download Tiny Chat ({human_size(len(files[SMALL]))})"


def test_welcome_without_a_network_still_offers_the_default(
    qtbot: QtBot, services: AppServices, lane: JobRunner, catalogue: Catalogue
) -> None:
    services.update_settings(replace(services.settings, hub_endpoint="http://127.0.0.1:9"))
    welcome, suggestion = open_welcome(qtbot, services, lane, catalogue)
    assert suggestion.error is not None and suggestion.group is None
    assert suggestion.filename == MEDIUM  # the catalogue's own choice
    assert "could not check its size" in welcome.suggestion_label.text()
    assert welcome.download_button.text() == "Download Tiny Chat"
    assert welcome.download_button.isEnabled()


def test_welcome_import_and_browse(
    qtbot: QtBot, online: AppServices, lane: JobRunner, catalogue: Catalogue,
    files: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    welcome, _ = open_welcome(qtbot, online, lane, catalogue)
    with qtbot.waitSignal(welcome.browse_requested):
        welcome.browse_link.linkActivated.emit("browse")

    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model at all")
    pick_file(monkeypatch, bad)
    with qtbot.assertNotEmitted(welcome.model_ready):
        qtbot.mouseClick(welcome.import_button, Qt.MouseButton.LeftButton)
    assert "is not a GGUF model file" in welcome.message_label.text()

    embedding = tmp_path / "embed-Q8_0.gguf"
    embedding.write_bytes(files[EMBED])
    pick_file(monkeypatch, embedding)
    with qtbot.assertNotEmitted(welcome.model_ready):
        qtbot.mouseClick(welcome.import_button, Qt.MouseButton.LeftButton)
    assert "is an embedding model" in welcome.message_label.text()

    chat = tmp_path / "mine-Q4_K_M.gguf"
    chat.write_bytes(files[SMALL])
    pick_file(monkeypatch, chat)
    with qtbot.waitSignal(welcome.model_ready, timeout=5_000) as ready:
        qtbot.mouseClick(welcome.import_button, Qt.MouseButton.LeftButton)
    model = ready.args[0]
    assert isinstance(model, InstalledModel)
    assert model.kind == "chat" and model.source == "imported"
    assert not welcome.message_label.isVisible()


# ---- the download board, without a window --------------------------------------------------


def test_the_download_board_runs_downloads_without_a_window(
    qtbot: QtBot, online: AppServices, lane: JobRunner, files: dict[str, bytes], hub: FakeHub
) -> None:
    """DownloadBoard alone, no dialog or welcome: one task per file, a pause keeps the bytes,
    the next start's board finds the download paused, resuming continues from the partial
    file, a cancel removes the task and its bytes."""
    size = len(files[MEDIUM])
    hub.faults.hold_at[MEDIUM] = size // 2
    access = HubAccess(online, TokenStore(MemoryKeyring()))
    closing_lane = JobRunner(None, "downloads-before")
    board = DownloadBoard.of(closing_lane, online, access)
    assert DownloadBoard.of(closing_lane, online, access) is board  # one board per lane
    added: list[object] = []
    board.task_added.connect(added.append)
    task = board.download(CHAT_REPO, MEDIUM)
    assert board.download(CHAT_REPO, MEDIUM) is task and added == [task]  # one task per file
    qtbot.waitUntil(hub.reached_event(MEDIUM).is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: task.state == "running", timeout=WAIT_MS)
    assert board.active_count == 1

    task.pause()
    hub.faults.release.set()
    qtbot.waitUntil(lambda: task.state == "paused", timeout=WAIT_MS)
    kept = task.bytes_on_disk()
    assert 0 < kept < size and board.active_count == 0
    closing_lane.shutdown()

    later = DownloadBoard.of(lane, online, access)  # the next start: its own lane and board
    assert later is not board
    again = later.find(CHAT_REPO, MEDIUM)
    assert again is not None and again.state == "paused" and again.known_total == size
    before = len(hub.gets(MEDIUM))
    with qtbot.waitSignal(later.model_installed, timeout=WAIT_MS) as installed:
        assert later.download(CHAT_REPO, MEDIUM) is again
    assert [r["range"] for r in hub.gets(MEDIUM)[before:]] == [f"bytes={kept}-"]
    model = installed.args[0]
    assert isinstance(model, InstalledModel) and again.state == "done"
    assert Path(model.path).read_bytes() == files[MEDIUM]
    assert [m.id for m in online.registry.models()] == [model.id]

    hub.faults.release.clear()
    hub.faults.hold_at[SMALL] = len(files[SMALL]) // 2
    removed: list[object] = []
    later.task_removed.connect(removed.append)
    small = later.download(CHAT_REPO, SMALL)
    qtbot.waitUntil(hub.reached_event(SMALL).is_set, timeout=WAIT_MS)
    small.cancel()
    hub.faults.release.set()
    qtbot.waitUntil(lambda: len(removed) == 1, timeout=WAIT_MS)
    assert removed[0] is small and later.find(CHAT_REPO, SMALL) is None
    assert part_files(online) == []
    assert [m.id for m in online.registry.models()] == [model.id]
