"""The first-run welcome, shown in the chat area while no chat model is installed.

A person who has just installed Fireside needs one thing: a chat model that runs well on
this computer. The welcome offers exactly one, chosen from the catalogue by the memory
estimate (the catalogue's default chat model when it fits, else the largest smaller one that
does), with its size and the reason, a Download button that turns into a progress bar with
Pause and Cancel, a way to use a GGUF file they already have, and a link to the full model
manager. A start never uses the network: the suggestion comes from the catalogue (its sizes
and this computer's memory), and the Hub is asked only when the person asks, by *Check which
version suits this computer* or by downloading.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtGui import QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import FiresideError
from core.models.catalogue import Catalogue, CatalogueEntry
from core.models.fit import FitAdvisor, FitAnswer, Verdict
from core.models.hub import HubClient
from core.models.naming import ModelFileGroup
from core.models.registry import InstalledModel
from core.models.tokens import TokenStore
from core.models.units import human_size
from desktop.chat.flow_layout import FlowLayout
from desktop.models.download_view import DownloadProgressView
from desktop.models.downloads import DownloadBoard, DownloadTask
from desktop.models.hub_lookups import HubAccess, look_up_repo
from desktop.window.messages import describe_error, plain_label
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner, own_lane


@dataclass(frozen=True)
class Suggestion:
    """The chat model the welcome offers, and why (``answer``); ``group`` and ``answer`` are
    None when the Hub could not be asked (``error`` says why)."""

    entry: CatalogueEntry
    group: ModelFileGroup | None
    answer: FitAnswer | None
    error: FiresideError | None = None

    @property
    def filename(self) -> str:
        return self.group.filename if self.group is not None else self.entry.recommended_file


def suggest_chat_model(
    catalogue: Catalogue, hub: HubClient, advisor: FitAdvisor, n_ctx: int, workdir: Path
) -> Suggestion:
    """The catalogue's chat model for this computer (runs on a worker thread).

    The default chat model comes first, then smaller ones, largest first. For each, the
    advisor recommends the largest quantization that fits, up to the catalogue's own choice
    (a bigger file is slower to download and to run for little gain): the first that fits
    comfortably wins; else the first that fits tightly; else the smallest file there is,
    marked as not fitting, so the person still has something to try.
    """
    chat = catalogue.of_kind("chat")
    if not chat:
        raise ValueError("the catalogue has no chat model")
    first = catalogue.default("chat") or chat[0]
    smaller = sorted(
        (e for e in chat if e.parameters < first.parameters and e is not first),
        key=lambda e: e.parameters,
        reverse=True,
    )
    tight: Suggestion | None = None
    last: Suggestion | None = None
    for index, entry in enumerate([first, *smaller]):
        try:
            details = look_up_repo(hub, entry.repo, advisor, n_ctx, workdir, entry.files.values())
        except FiresideError as exc:
            if index == 0:
                return Suggestion(first, None, None, exc)  # offline: offer the default as is
            continue
        if details.figures is None or details.options is None or not details.files:
            if index == 0 and details.fit_error is not None:
                return Suggestion(first, None, None, details.fit_error)
            continue
        groups = details.groups()
        cap = next((g.size for g in groups if g.filename == entry.recommended_file), None)
        capped = [g for g in groups if cap is None or g.size <= cap] or groups[:1]
        best = advisor.recommend(details.figures, capped, details.options)
        if best is not None and best.answer.verdict is Verdict.FITS:
            return Suggestion(entry, best.group, best.answer)
        if best is not None and tight is None:
            tight = Suggestion(entry, best.group, best.answer)
        smallest = details.files[0]
        last = Suggestion(entry, smallest.group, smallest.answer)
    return tight or last or Suggestion(first, None, None)


class WelcomeWidget(QWidget):
    """The chat area's first page: a greeting, one model to download, or a file to import."""

    model_ready = Signal(object)  # InstalledModel: a chat model is installed; load it
    browse_requested = Signal()  # "Browse all models…": open the model manager
    suggestion_ready = Signal(object)  # Suggestion, once the look-up has answered

    def __init__(
        self,
        services: AppServices,
        downloads: JobRunner,
        parent: QWidget | None = None,
        *,
        tokens: TokenStore | None = None,
        catalogue: Catalogue | None = None,
        advisor: FitAdvisor | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.downloads = downloads
        self.access = HubAccess(services, tokens if tokens is not None else TokenStore())
        self.catalogue = catalogue if catalogue is not None else services.catalogue
        self.advisor = advisor or FitAdvisor()
        self.board = DownloadBoard.of(downloads, services, self.access)
        self.suggestion = self._offline_suggestion()
        self.task: DownloadTask | None = None
        self.lookups_lane: JobRunner | None = None  # made when first shown
        self._lookup: Job | None = None
        self._build()
        self.board.task_removed.connect(self._task_removed)
        self._show_suggestion()

    def _build(self) -> None:
        self.title_label = QLabel(self.tr("Welcome to Fireside"))
        title_font = QFont(self.title_label.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.8)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.intro_label = QLabel(
            self.tr(
                "Chat with an AI model that runs entirely on this computer. Download a model "
                "once; after that everything works offline, and nothing you type leaves this "
                "computer."
            )
        )
        self.intro_label.setWordWrap(True)
        self.suggestion_label = plain_label()
        self.download_button = QPushButton()
        self.download_button.setDefault(True)
        self.download_button.clicked.connect(self.start_download)
        self.progress = DownloadProgressView(self.services.translate)
        self.progress.hide()
        self.import_button = QPushButton(self.tr("I already have a GGUF file…"))
        self.import_button.clicked.connect(self.choose_file)
        browse = self.tr("Browse all models…")  # outside the f-string, where lupdate sees it
        self.browse_link = QLabel()
        self.browse_link.setTextFormat(Qt.TextFormat.RichText)
        self.browse_link.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.browse_link.linkActivated.connect(self._browse)
        check = self.tr("Check which version suits this computer (asks the Hugging Face Hub)")
        self.check_link = QLabel()
        self._links = {self.browse_link: ("browse", browse), self.check_link: ("check", check)}
        self._write_links()
        self.check_link.setTextFormat(Qt.TextFormat.RichText)
        self.check_link.setWordWrap(True)
        self.check_link.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.check_link.linkActivated.connect(lambda _link: self.check())
        self.message_label = plain_label()
        self.message_label.hide()
        # The two buttons wrap under each other when the page is narrow: side by side they
        # made the page so wide that at 800 px the sidebar was squeezed to ~110 px.
        actions = FlowLayout(spacing=8)
        actions.addWidget(self.download_button)
        actions.addWidget(self.import_button)
        column = QWidget()
        column.setMaximumWidth(620)
        inner = QVBoxLayout(column)
        inner.setSpacing(14)
        inner.addWidget(self.title_label)
        inner.addWidget(self.intro_label)
        inner.addWidget(self.suggestion_label)
        inner.addWidget(self.check_link)
        inner.addLayout(actions)
        inner.addWidget(self.progress)
        inner.addWidget(self.message_label)
        inner.addWidget(self.browse_link)
        # Centred by stretches, not by an alignment flag: an aligned widget gets its size
        # hint, which ignores how tall its word-wrapped labels become at that width.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 4)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    # ---- the suggestion ----------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        """A theme change: the links take the new palette's link colour. A label's rich text
        keeps the colour of the palette it was first parsed under (blue on dark), so
        they are written again in the application palette's link colour, named outright."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._write_links()

    def _write_links(self) -> None:
        color = QGuiApplication.palette().color(QPalette.ColorRole.Link).name()
        for label, (target, words) in self._links.items():
            label.setText(f'<a href="{target}" style="color:{color}">{html.escape(words)}</a>')

    def _offline_suggestion(self) -> Suggestion:
        chat = self.catalogue.of_kind("chat")
        entry = self.catalogue.default("chat") or (chat[0] if chat else self.catalogue.entries[0])
        return Suggestion(entry, None, None)

    def check(self) -> Job:
        """Ask the Hub which catalogue model suits this computer (off the GUI thread)."""
        if self.lookups_lane is None:
            self.lookups_lane = own_lane(self, "welcome-lookups")
        catalogue, advisor, access = self.catalogue, self.advisor, self.access
        n_ctx = self.services.settings.engine.n_ctx
        workdir = self.services.paths.cache_dir / "headers"

        def work() -> Iterator[Suggestion]:
            yield suggest_chat_model(catalogue, access.hub(), advisor, n_ctx, workdir)

        job = Job(work)
        job.item.connect(self._suggested)
        job.failed.connect(self._suggestion_failed)
        self._lookup = job
        self.check_link.hide()
        if self.task is None:
            self.suggestion_label.setText(
                self._describe(self.suggestion)
                + "\n"
                + self.tr("Checking which version suits this computer…")
            )
        return self.lookups_lane.submit(job)

    @Slot(object)
    def _suggested(self, suggestion: object) -> None:
        assert isinstance(suggestion, Suggestion)
        if self.task is None or not self.task.active:
            self.suggestion = suggestion
        self._show_suggestion()
        self.suggestion_ready.emit(suggestion)

    @Slot(object)
    def _suggestion_failed(self, error: object) -> None:
        self.check_link.show()  # the person may try again
        if isinstance(error, FiresideError):
            self.suggestion = Suggestion(self.suggestion.entry, None, None, error)
        else:  # not a Hub answer: say it as it is, and offer the catalogue's default
            self._say(describe_error(error, self.services.translate), error=True)
        self._show_suggestion()
        self.suggestion_ready.emit(self.suggestion)

    def _show_suggestion(self) -> None:
        suggestion = self.suggestion
        self.suggestion_label.setText(self._describe(suggestion))
        name = suggestion.entry.name
        if suggestion.group is not None:
            label = (
                self.tr("Download %1 (%2)")
                .replace("%1", name)
                .replace("%2", human_size(suggestion.group.size))
            )
        else:
            label = self.tr("Download %1").replace("%1", name)
        self.download_button.setText(label)
        existing = self.board.find(suggestion.entry.repo, suggestion.filename)
        if self.task is None and existing is not None and existing.state != "done":
            self._follow(existing)  # already downloading, or paused when the app last closed

    def _describe(self, suggestion: Suggestion) -> str:
        entry = suggestion.entry
        description = entry.describe(self.services.translate.language)
        if suggestion.group is None or suggestion.answer is None:
            text = self.tr("We suggest %1: %2").replace("%1", entry.name).replace("%2", description)
            size = entry.sizes.get(entry.recommended)
            if suggestion.error is None and self._lookup is None and size:
                text += "\n" + (
                    self.tr("Its download is about %1 (%2).")
                    .replace("%1", human_size(size))
                    .replace("%2", entry.recommended)
                )
            if suggestion.error is not None:
                text += "\n" + self.tr("Fireside could not check its size on the Hub: %1").replace(
                    "%1", describe_error(suggestion.error, self.services.translate)
                )
            return text
        answer = suggestion.answer
        head = (
            self.tr("We suggest %1 (%2, %3): %4")
            .replace("%1", entry.name)
            .replace("%2", suggestion.group.quantization)
            .replace("%3", human_size(suggestion.group.size))
            .replace("%4", description)
        )
        need, free = answer.params["need"], answer.params["free"]
        if answer.verdict is Verdict.FITS:
            why = self.tr(
                "It needs about %1 of memory and this computer has %2 free, so it runs comfortably."
            )
        elif answer.verdict is Verdict.TIGHT:
            why = self.tr(
                "It needs about %1 of memory and this computer has %2 free: it will run, but "
                "close other programs first."
            )
        else:
            why = self.tr(
                "Even this small model needs about %1 of memory, and this computer has %2 "
                "free; it may not run. You can still try it, or import a smaller GGUF file."
            )
        return head + "\n" + why.replace("%1", need).replace("%2", free)

    # ---- downloading -------------------------------------------------------------------

    @Slot()
    def start_download(self) -> Job:
        """Download (or resume) the suggested model; progress shows in place of the button."""
        suggestion = self.suggestion
        task = self.board.download(suggestion.entry.repo, suggestion.filename, self.access)
        self._follow(task)
        assert task.job is not None
        return task.job

    def _follow(self, task: DownloadTask) -> None:
        if self.task is not task:
            if self.task is not None:
                self.task.finished.disconnect(self._downloaded)
            self.task = task
            task.finished.connect(self._downloaded)
        self.message_label.hide()
        self.progress.bind(task)
        self.progress.show()
        self.download_button.hide()

    @Slot(object)
    def _downloaded(self, model: object) -> None:
        assert isinstance(model, InstalledModel)
        if model.kind == "chat":
            self.model_ready.emit(model)

    @Slot(object)
    def _task_removed(self, task: object) -> None:
        """Cancelled: offer the download again."""
        if task is not self.task:
            return
        if self.task is not None:
            self.task.finished.disconnect(self._downloaded)
        self.task = None
        self.progress.bind(None)
        self.progress.hide()
        self.download_button.show()
        self._show_suggestion()

    # ---- importing ---------------------------------------------------------------------

    @Slot()
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a GGUF model file"), str(Path.home()),
            self.tr("GGUF models (*.gguf)"),
        )  # fmt: skip
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> InstalledModel | None:
        """Use a GGUF file where it is; say in one line why a file cannot be used."""
        try:
            model = self.services.registry.import_file(path)
        except (FiresideError, OSError) as exc:
            self._say(describe_error(exc, self.services.translate), error=True)
            return None
        if model.kind != "chat":
            self._say(
                self.tr(
                    "%1 is an embedding model: it helps search your documents but cannot "
                    "chat. It was added to your models; choose a chat model to start."
                ).replace("%1", model.name),
                error=True,
            )
            return model
        self.message_label.hide()
        self.model_ready.emit(model)
        return model

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #c62828;" if error else "")
        self.message_label.setText(text)
        self.message_label.show()

    # ---- the rest ----------------------------------------------------------------------

    @Slot(str)
    def _browse(self, _link: str) -> None:
        self.browse_requested.emit()

    def shutdown(self) -> None:
        """Stop the welcome's look-up lane (the window calls it as it closes)."""
        if self.lookups_lane is not None:
            self.lookups_lane.shutdown()
