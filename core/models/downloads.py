"""Downloads that never lose progress, and never install a file that was not verified.

A file is downloaded into ``downloads_dir`` as ``<key>.part`` next to a small ``<key>.json``
that records which file (repository, name, size, checksum, commit) the bytes belong to. The
bytes are written as they arrive, so a crash, a kill or a Ctrl-C leaves everything received
on disk; the next attempt, in this process or after a restart, asks the server only for the
rest (an HTTP Range request). A dropped connection is retried with exponential backoff. When
the last byte is in, the sha256 the Hub published is checked: a mismatch deletes the file and
says so; a match moves it into ``models_dir`` in one rename. Free space is checked before the
first byte is written. File names come from a server and are refused if they could leave the
models folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

import filelock

from core.i18n import Phrase
from core.models.disk import DiskSpace, SystemDiskSpace
from core.models.errors import (
    BadRequest,
    ChecksumMismatch,
    DownloadBusy,
    DownloadCancelled,
    DownloadError,
    DownloadPaused,
    HubTransient,
    NotEnoughSpace,
)
from core.models.hub import HubClient, RemoteFile
from core.models.naming import check_filename, check_repo_id, split_names
from core.models.units import human_size
from core.paths import AppPaths

Phase = Literal["starting", "downloading", "retrying", "verifying", "done"]
ProgressCallback = Callable[["DownloadProgress"], None]
_REPORT_EVERY_S: Final = 0.1
_RATE_WINDOW_S: Final = 5.0


@dataclass(frozen=True)
class DownloadProgress:
    """One progress report. ``done``/``total`` count all parts of a split model."""

    filename: str
    done: int
    total: int
    rate_bps: float
    eta_s: float | None
    phase: Phase
    part: int = 1
    parts: int = 1

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a dropped connection is tried again.

    The count of failures starts again whenever an attempt brought new bytes, so a long
    download over a flaky line keeps going as long as it keeps moving.
    """

    attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0

    def delay(self, failure: int) -> float:
        """Seconds to wait after the ``failure``-th failure in a row (1, 2, 4, … capped)."""
        return float(min(self.max_delay_s, self.base_delay_s * 2 ** max(0, failure - 1)))


class DownloadControl:
    """Pause or cancel a running download from any thread (the window's buttons, Ctrl-C).

    Checked after every chunk and during a backoff wait. Pause keeps the partial file for a
    resume; cancel deletes it.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.request: Literal["run", "pause", "cancel"] = "run"

    def pause(self) -> None:
        self.request = "pause"
        self._event.set()

    def cancel(self) -> None:
        self.request = "cancel"
        self._event.set()

    @property
    def stopping(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> None:
        """Sleep, waking early if asked to stop."""
        self._event.wait(seconds)


@dataclass(frozen=True)
class DownloadResult:
    repo: str
    filename: str  # the file to load: the first part of a split model
    paths: tuple[Path, ...]
    size: int
    checksums: tuple[str, ...]
    resumed_bytes: int  # already on disk when this call started
    fetched_bytes: int  # received by this call


@dataclass(frozen=True)
class PartialState:
    """What a ``.part`` file belongs to; written before its first byte."""

    endpoint: str
    repo: str
    filename: str
    size: int
    checksum: str
    commit: str

    def matches(self, remote: RemoteFile, endpoint: str) -> bool:
        return (
            self.repo == remote.repo
            and self.filename == remote.filename
            and self.size == remote.size
            and self.checksum == remote.checksum
            and self.endpoint == endpoint
        )


class Downloader:
    """Downloads GGUF files (all parts of a split model) from one Hub into the models folder."""

    def __init__(
        self,
        paths: AppPaths,
        hub: HubClient,
        *,
        disk: DiskSpace | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        reserve_bytes: int = 50_000_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.paths = paths
        self.hub = hub
        self.disk = disk or SystemDiskSpace()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.reserve_bytes = reserve_bytes
        self._clock = clock

    # ---- where things go ----------------------------------------------------------------

    def target_path(self, repo: str, filename: str) -> Path:
        """``models_dir/<owner>/<name>/<filename>``, checked to stay inside models_dir."""
        check_repo_id(repo)
        check_filename(filename)
        root = self.paths.models_dir.resolve()
        owner, name = repo.split("/")
        target = (root / owner / name / filename).resolve()
        if not target.is_relative_to(root) or target == root:
            raise BadRequest("models_bad_filename", filename=filename)
        return target

    def _partial_paths(self, repo: str, filename: str) -> tuple[Path, Path, Path]:
        digest = hashlib.sha256(f"{repo}\n{filename}".encode()).hexdigest()[:16]
        base = Path(filename).name[:80]
        folder = self.paths.downloads_dir
        stem = f"{digest}-{base}"
        return folder / f"{stem}.part", folder / f"{stem}.json", folder / f"{stem}.lock"

    def partial_bytes(self, repo: str, filename: str) -> int:
        """Bytes of an unfinished download of this file already on disk (0 if none)."""
        part, _, _ = self._partial_paths(repo, filename)
        return part.stat().st_size if part.exists() else 0

    def discard(self, repo: str, filename: str) -> int:
        """Delete an unfinished download (all parts); returns the bytes freed."""
        freed = 0
        for name in split_names(check_filename(filename)):
            part, state, _ = self._partial_paths(repo, name)
            if part.exists():
                freed += part.stat().st_size
            part.unlink(missing_ok=True)
            state.unlink(missing_ok=True)
        return freed

    # ---- the download -------------------------------------------------------------------

    def download(
        self,
        repo: str,
        filename: str,
        *,
        control: DownloadControl | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        """Download (or resume, or find already done) one model file and all its parts.

        Raises :class:`NotEnoughSpace` before writing anything, :class:`ChecksumMismatch`
        after deleting bad bytes, :class:`DownloadPaused` / :class:`DownloadCancelled` when
        asked to stop, and :class:`DownloadError` when retries are exhausted (the partial
        file is kept for the next try).
        """
        control = control or DownloadControl()
        names = split_names(check_filename(filename))
        targets = [self.target_path(repo, name) for name in names]
        remotes = [self.hub.file_metadata(repo, name) for name in names]
        for remote in remotes:
            if not remote.checksum:
                raise DownloadError("models_hub_no_checksum", filename=remote.filename)
        self.paths.downloads_dir.mkdir(parents=True, exist_ok=True)
        locks = [filelock.FileLock(self._partial_paths(repo, n)[2], timeout=0) for n in names]
        with contextlib.ExitStack() as stack:
            for lock in locks:
                try:
                    stack.enter_context(lock)
                except filelock.Timeout:
                    raise DownloadBusy("models_download_busy", filename=filename) from None
            return self._download_locked(repo, names, targets, remotes, control, on_progress)

    def _download_locked(
        self,
        repo: str,
        names: list[str],
        targets: list[Path],
        remotes: list[RemoteFile],
        control: DownloadControl,
        on_progress: ProgressCallback | None,
    ) -> DownloadResult:
        endpoint = self.hub.endpoint
        installed = [self._already_installed(t, r) for t, r in zip(targets, remotes, strict=True)]
        have: list[int] = []
        for name, remote, done in zip(names, remotes, installed, strict=True):
            part, state_path, _ = self._partial_paths(repo, name)
            if done:
                have.append(remote.size)
                continue
            state = _read_state(state_path)
            if state is None or not state.matches(remote, endpoint) or not part.exists():
                part.unlink(missing_ok=True)  # another version's bytes, or no record: start over
                state_path.unlink(missing_ok=True)
                have.append(0)
            else:
                have.append(min(part.stat().st_size, remote.size))
        self._check_space(names[0], remotes, have, installed, targets[0])

        total = sum(r.size for r in remotes)
        reporter = _Reporter(names[0], total, len(names), on_progress, self._clock)
        resumed = sum(h for h, done in zip(have, installed, strict=True) if not done)
        reporter.start(sum(have))
        fetched = 0
        base = 0
        for index, (name, remote, target, done) in enumerate(
            zip(names, remotes, targets, installed, strict=True), start=1
        ):
            reporter.part = index
            if not done:
                part, state_path, _ = self._partial_paths(repo, name)
                if not state_path.exists():
                    _write_state(state_path, _state_for(remote, endpoint))
                fetched += self._fetch(remote, part, base, reporter, control, state_path)
                reporter.phase("verifying", base + remote.size)
                self._verify(remote, part, state_path)
                _move_into_place(part, target, self.disk)
                state_path.unlink(missing_ok=True)
            base += remote.size
        reporter.phase("done", total, force=True)
        return DownloadResult(
            repo=repo,
            filename=names[0],
            paths=tuple(targets),
            size=total,
            checksums=tuple(r.checksum for r in remotes),
            resumed_bytes=resumed,
            fetched_bytes=fetched,
        )

    def _already_installed(self, target: Path, remote: RemoteFile) -> bool:
        """The very file is already in place (same size and checksum)."""
        if not target.is_file() or target.stat().st_size != remote.size:
            return False
        return _checksum(target, remote) == remote.checksum

    def _check_space(
        self,
        filename: str,
        remotes: list[RemoteFile],
        have: list[int],
        installed: list[bool],
        target: Path,
    ) -> None:
        missing = [(r, h) for r, h, done in zip(remotes, have, installed, strict=True) if not done]
        if not missing:
            return
        to_fetch = sum(r.size - h for r, h in missing)
        downloads = self.paths.downloads_dir
        free = self.disk.free_bytes(downloads)
        if free < to_fetch + self.reserve_bytes:
            raise NotEnoughSpace(
                "models_no_space",
                filename=filename,
                needed=human_size(to_fetch + self.reserve_bytes),
                free=human_size(free),
                folder=str(downloads),
            )
        models = target.parent
        if not self.disk.same_disk(downloads, models):
            whole = sum(r.size for r, _ in missing)
            free_models = self.disk.free_bytes(models)
            if free_models < whole + self.reserve_bytes:
                raise NotEnoughSpace(
                    "models_no_space",
                    filename=filename,
                    needed=human_size(whole + self.reserve_bytes),
                    free=human_size(free_models),
                    folder=str(self.paths.models_dir),
                )

    def _fetch(
        self,
        remote: RemoteFile,
        part: Path,
        base: int,
        reporter: _Reporter,
        control: DownloadControl,
        state_path: Path,
    ) -> int:
        """Bring ``part`` up to the remote size; returns the bytes received."""
        have = part.stat().st_size if part.exists() else 0
        if have > remote.size:
            part.unlink()
            have = 0
        received = 0
        failures = 0
        while have < remote.size:
            self._check_control(control, remote, part, state_path, base + have, reporter.total)
            progressed = False
            try:
                with self.hub.open_range(remote, have) as response:
                    status = response.status_code
                    if status == 416:
                        raise _Restart
                    if status == 206:
                        start = _content_range_start(response.headers.get("Content-Range"))
                        if start != have:
                            raise _Restart
                    elif have > 0:
                        have = 0  # the server ignored the range and sends the whole file
                    reporter.phase("downloading", base + have)
                    with part.open("r+b" if have else "wb", buffering=0) as out:
                        out.seek(have)
                        out.truncate()
                        for chunk in response.iter_bytes():
                            piece = chunk[: remote.size - have]
                            out.write(piece)
                            have += len(piece)
                            received += len(piece)
                            progressed = progressed or bool(piece)
                            reporter.update(base + have)
                            if control.stopping:
                                break
                            if have >= remote.size:
                                break
                if have < remote.size and not control.stopping:
                    raise HubTransient(
                        "models_hub_unreachable",
                        endpoint=self.hub.endpoint,
                        reason=Phrase("net_short_read"),
                    )
            except _Restart:
                part.unlink(missing_ok=True)
                have = 0
                failures += 1
                if failures >= self.retry.attempts:
                    raise DownloadError(
                        "models_download_failed", filename=remote.filename,
                        attempts=failures, reason="inconsistent ranges",
                    ) from None  # fmt: skip
            except HubTransient as exc:
                failures = 1 if progressed else failures + 1
                if failures >= self.retry.attempts:
                    why = exc.params.get("reason") or Phrase(exc.code, **exc.params)
                    raise DownloadError(
                        "models_download_failed", filename=remote.filename,
                        attempts=failures, reason=why,
                    ) from exc  # fmt: skip
                delay = self.retry.delay(failures)
                reporter.phase("retrying", base + have, force=True)
                if self._sleep is not None:
                    self._sleep(delay)
                else:
                    control.wait(delay)
        return received

    def _check_control(
        self,
        control: DownloadControl,
        remote: RemoteFile,
        part: Path,
        state_path: Path,
        done: int,
        total: int,
    ) -> None:
        if control.request == "cancel":
            part.unlink(missing_ok=True)
            state_path.unlink(missing_ok=True)
            raise DownloadCancelled("models_download_cancelled", filename=remote.filename)
        if control.request == "pause":
            raise DownloadPaused(
                "models_download_paused", filename=remote.filename,
                done=human_size(done), total=human_size(total),
            )  # fmt: skip

    def _verify(self, remote: RemoteFile, part: Path, state_path: Path) -> None:
        actual = _checksum(part, remote)
        if actual != remote.checksum:
            part.unlink(missing_ok=True)
            state_path.unlink(missing_ok=True)
            raise ChecksumMismatch(
                "models_checksum_mismatch",
                filename=remote.filename,
                expected=remote.checksum,
                actual=actual,
            )


class _Restart(Exception):
    """The server's answer does not continue our bytes; start the file again."""


class _Reporter:
    """Turns byte counts into throttled progress events with a rate and an ETA."""

    def __init__(
        self,
        filename: str,
        total: int,
        parts: int,
        callback: ProgressCallback | None,
        clock: Callable[[], float],
    ) -> None:
        self.filename = filename
        self.total = total
        self.parts = parts
        self.part = 1
        self._callback = callback
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self._last_report = -1.0
        self._phase: Phase = "starting"

    def start(self, done: int) -> None:
        self._samples.append((self._clock(), done))
        self._emit(done)

    def phase(self, phase: Phase, done: int, force: bool = True) -> None:
        self._phase = phase
        if force:
            self._emit(done)

    def update(self, done: int) -> None:
        now = self._clock()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > _RATE_WINDOW_S:
            self._samples.popleft()
        if now - self._last_report >= _REPORT_EVERY_S or done >= self.total:
            self._emit(done)

    def _emit(self, done: int) -> None:
        self._last_report = self._clock()
        if self._callback is None:
            return
        rate = 0.0
        if len(self._samples) >= 2:
            (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
            if t1 - t0 > 0.2:
                rate = max(0.0, (d1 - d0) / (t1 - t0))
        eta = (self.total - done) / rate if rate > 0 else None
        self._callback(
            DownloadProgress(
                filename=self.filename, done=done, total=self.total, rate_bps=rate,
                eta_s=eta, phase=self._phase, part=self.part, parts=self.parts,
            )
        )  # fmt: skip


def _content_range_start(value: str | None) -> int | None:
    """``bytes 100-199/200`` -> 100."""
    if not value or not value.startswith("bytes "):
        return None
    try:
        return int(value[6:].split("-", 1)[0])
    except ValueError:
        return None


def _checksum(path: Path, remote: RemoteFile) -> str:
    """sha256 of the file, or git's blob sha1 for the rare file kept in git itself."""
    if remote.sha256:
        digest = hashlib.sha256()
    else:
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _move_into_place(part: Path, target: Path, disk: DiskSpace) -> None:
    """Atomic on one file system (a rename); across two, copy beside the target, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with part.open("rb+") as handle:
        os.fsync(handle.fileno())
    if disk.same_disk(part.parent, target.parent):
        os.replace(part, target)
        return
    incoming = target.with_name(f".{target.name}.incoming")
    try:
        shutil.copyfile(part, incoming)
        os.replace(incoming, target)
    finally:
        incoming.unlink(missing_ok=True)
    part.unlink(missing_ok=True)


def _state_for(remote: RemoteFile, endpoint: str) -> PartialState:
    return PartialState(
        endpoint=endpoint,
        repo=remote.repo,
        filename=remote.filename,
        size=remote.size,
        checksum=remote.checksum,
        commit=remote.commit,
    )


def _read_state(path: Path) -> PartialState | None:
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
        return PartialState(**raw)
    except (OSError, ValueError, TypeError):
        return None


def _write_state(path: Path, state: PartialState) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(tmp, path)
