"""What the Hub says about a model repository, asked off the GUI thread.

The model manager and the first-run welcome both need, for a repository, its GGUF files
grouped by quantization and whether each fits this computer (from one remote header and
the memory estimate of ``core.models.fit``). :func:`look_up_repo` does that with the real
Hub client; :class:`RepoLookups` runs it on a lane and keeps the answers for the session.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, Signal, Slot

from core.errors import FiresideError
from core.models.downloads import Downloader
from core.models.fit import FitAdvisor, FitAnswer, FitOptions, ModelFigures, reads_whole_documents
from core.models.hub import DEFAULT_ENDPOINT, HubClient, RepoSummary, resolve_endpoint
from core.models.naming import ModelFileGroup
from core.models.network import cause_of
from core.models.tokens import TokenStore
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner

EMBEDDING_CONTEXT: Final = 512  # what the engine loads an embedding model with (as the CLI)


class HubAccess:
    """How this window reaches the Hub: the endpoint from the settings, the person's token.

    Each piece of work builds its own client on the worker thread that runs it, so a changed
    endpoint or token applies to the next search or download, and the keyring is never read
    on the GUI thread.
    """

    def __init__(self, services: AppServices, tokens: TokenStore) -> None:
        self.services = services
        self.tokens = tokens

    def hub(self) -> HubClient:
        endpoint = resolve_endpoint(self.services.settings.hub_endpoint)
        return HubClient(endpoint, token=self.tokens.get() or None)

    def downloader(self) -> Downloader:
        return Downloader(self.services.paths, self.hub())

    def local_downloader(self) -> Downloader:
        """For the files on disk only (partial bytes, discarding): it never goes online."""
        return Downloader(self.services.paths, HubClient(DEFAULT_ENDPOINT))


@dataclass(frozen=True)
class FileFit:
    """One downloadable quantization and whether it fits this computer (None: unknown)."""

    group: ModelFileGroup
    answer: FitAnswer | None


@dataclass(frozen=True)
class RepoDetails:
    """A repository's GGUF files with sizes and memory fit, as the file tables show them."""

    repo: str
    gated: bool
    files: tuple[FileFit, ...]
    figures: ModelFigures | None
    options: FitOptions | None
    embedding: bool | None
    fit_error: FiresideError | None  # the header could not be read: sizes without a fit
    only: tuple[str, ...] | None = None  # the files asked for (a catalogue entry's), sorted

    def groups(self) -> list[ModelFileGroup]:
        return [f.group for f in self.files]


def look_up_repo(
    hub: HubClient,
    repo: str,
    advisor: FitAdvisor,
    n_ctx: int,
    workdir: Path,
    only: Collection[str] | None = None,
) -> RepoDetails:
    """List a repository's GGUF files and judge each against this computer's memory.

    All quantizations of one repository share the architecture, so one remote header (its
    first megabytes, as ``fireside-cli models fit`` reads it) serves every file. ``only``
    keeps just those files (a catalogue entry's quantizations).
    """
    wanted = tuple(sorted(only)) if only is not None else None
    listing = hub.list_files(repo)
    groups = [g for g in listing.groups if g.complete and (only is None or g.filename in only)]
    if not groups:
        return RepoDetails(listing.repo, listing.gated, (), None, None, None, None, wanted)
    try:
        header = hub.read_header(hub.file_metadata(repo, groups[0].filename), workdir)
    except FiresideError as exc:  # gated without a token, not a readable GGUF file, …
        files = tuple(FileFit(g, None) for g in groups)
        return RepoDetails(listing.repo, listing.gated, files, None, None, None, exc, wanted)
    figures = ModelFigures.from_header(header)
    embedding = header.is_embedding_model
    options = FitOptions(n_ctx=EMBEDDING_CONTEXT if embedding else n_ctx,
                         side_cache=reads_whole_documents(header))  # fmt: skip
    answers = advisor.assess(figures, groups, options)
    files = tuple(FileFit(g, a) for g, a in answers)
    return RepoDetails(
        listing.repo, listing.gated, files, figures, options, embedding, None, wanted
    )


class RepoLookups(QObject):
    """Hub look-ups for the dialog's pages, on the dialog's own lane, remembered per dialog.

    Pages say which repository they show and ignore answers for another one, so clicking
    through the list quickly never shows the files of the wrong model.
    """

    looked_up = Signal(object)  # RepoDetails
    lookup_failed = Signal(str, object)  # repository, the exception

    def __init__(
        self,
        services: AppServices,
        access: HubAccess,
        runner: JobRunner,
        advisor: FitAdvisor,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.access = access
        self.runner = runner
        self.advisor = advisor
        self._cache: dict[tuple[str, tuple[str, ...] | None], RepoDetails] = {}
        self._pending: dict[Job, tuple[str, tuple[str, ...] | None]] = {}

    def cached(self, repo: str, only: Collection[str] | None = None) -> RepoDetails | None:
        return self._cache.get(_lookup_key(repo, only))

    def request(self, repo: str, only: Collection[str] | None = None) -> Job | None:
        """Look a repository up (None when the answer is known already and was just sent)."""
        key = _lookup_key(repo, only)
        if key in self._cache:
            self.looked_up.emit(self._cache[key])
            return None
        for job, pending in self._pending.items():
            if pending == key:
                return job  # already on its way
        n_ctx = self.services.settings.engine.n_ctx
        workdir = self.services.paths.cache_dir / "headers"
        access, advisor = self.access, self.advisor

        def work() -> Iterator[RepoDetails]:
            yield look_up_repo(access.hub(), repo, advisor, n_ctx, workdir, key[1])

        job = Job(work)
        self._pending[job] = key
        job.item.connect(self._arrived)
        job.failed.connect(self._failed)
        job.ended.connect(self._ended)
        return self.runner.submit(job)

    def search(self, text: str) -> Job:
        """GGUF repositories matching ``text``; the job's item is a list of RepoSummary."""
        access = self.access

        def work() -> Iterator[list[RepoSummary]]:
            yield access.hub().search(text, limit=30)

        return self.runner.submit(Job(work))

    @Slot(object)
    def _arrived(self, details: object) -> None:
        assert isinstance(details, RepoDetails)
        job = self.sender()
        key = self._pending.get(job) if isinstance(job, Job) else None
        if key is not None and details.fit_error is None:
            self._cache[key] = details
        self.looked_up.emit(details)

    @Slot(object)
    def _failed(self, error: object) -> None:
        job = self.sender()
        key = self._pending.get(job) if isinstance(job, Job) else None
        self.lookup_failed.emit(key[0] if key else "", error)

    @Slot(object)
    def _ended(self, job: object) -> None:
        if isinstance(job, Job):
            self._pending.pop(job, None)


def is_offline(error: object) -> bool:
    """The Hub could not be reached for want of a network (not a refusal or a fault)."""
    if isinstance(error, FiresideError):
        return error.code in ("models_hub_no_network", "models_hub_no_network_at")
    return isinstance(error, BaseException) and cause_of(error) == "offline"


def _lookup_key(repo: str, only: Collection[str] | None) -> tuple[str, tuple[str, ...] | None]:
    return repo.lower(), tuple(sorted(only)) if only is not None else None


# ---- downloads -----------------------------------------------------------------------------
