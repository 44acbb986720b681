"""Search and file listings on the Hugging Face Hub (or a mirror), through huggingface_hub.

Only what the person asked for goes over the network: a search, one repository's listing,
one file's metadata, the first megabytes of a remote GGUF file for a memory estimate, and the
bytes of a download. Telemetry is off, and no token is ever picked up implicitly (from
``HF_TOKEN`` or huggingface_hub's own login): the only token sent is the one the person gave
Fireside. The endpoint follows ``HF_ENDPOINT`` semantics, so a mirror is one setting.
"""

from __future__ import annotations

import math
import os
import re
import socket
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlparse

import httpx2
from huggingface_hub import (
    HfApi,
    constants,
    get_hf_file_metadata,
    get_session,
    hf_hub_url,
    hf_raise_for_status,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import logging as hf_logging
from huggingface_hub.utils._headers import build_hf_headers

from core.engine.errors import ModelFileError
from core.engine.gguf import GGUFHeader, read_header
from core.models.errors import BadRequest, HubAuthRequired, HubError, HubNotFound, HubTransient
from core.models.naming import (
    ModelFileGroup,
    RemoteFileInfo,
    check_filename,
    check_repo_id,
    group_model_files,
)
from core.models.network import unreachable

DEFAULT_ENDPOINT: Final = "https://huggingface.co"
SHA256_RE: Final = re.compile(r"^[0-9a-f]{64}$")
GIT_SHA1_RE: Final = re.compile(r"^[0-9a-f]{40}$")
SortKey = Literal["downloads", "likes", "trending_score", "last_modified"]
# A GGUF header (metadata and tensor table) is a few MB; the vocabulary dominates it.
_HEADER_FIRST_READ: Final = 4 << 20
_HEADER_MAX_READ: Final = 64 << 20


def resolve_endpoint(
    setting: str, override: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The Hub address to use: ``--endpoint``, else the setting when the person changed it,
    else ``HF_ENDPOINT``, else huggingface.co. Checked to be an http(s) address."""
    env = os.environ if environ is None else environ
    if override:
        chosen = override
    elif setting and setting.rstrip("/") != DEFAULT_ENDPOINT:
        chosen = setting
    else:
        chosen = env.get("HF_ENDPOINT", "").strip() or setting or DEFAULT_ENDPOINT
    chosen = chosen.strip().rstrip("/")
    parsed = urlparse(chosen)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise BadRequest("models_bad_endpoint", endpoint=chosen)
    return chosen


def _quiet_hub() -> None:
    """No telemetry from huggingface_hub, even if it was imported before we were, and none
    of its own log lines ("Retrying in 1s…") on the person's terminal: errors are ours to
    report, in one line, in their language."""
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    constants.HF_HUB_DISABLE_TELEMETRY = True
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class RepoSummary:
    """One search hit."""

    repo: str
    downloads: int
    likes: int
    pipeline_tag: str | None
    last_modified: str | None
    gated: bool


@dataclass(frozen=True)
class RepoListing:
    """One repository's GGUF models, grouped by quantization, smallest first."""

    repo: str
    commit: str | None
    gated: bool
    groups: tuple[ModelFileGroup, ...]
    parameters: int | None  # the Hub's own GGUF summary, when it has one
    context_length: int | None
    architecture: str | None

    def group_for(self, filename: str) -> ModelFileGroup | None:
        for group in self.groups:
            if filename == group.filename or filename in {p.filename for p in group.parts}:
                return group
        return None


@dataclass(frozen=True)
class RemoteFile:
    """What the Hub says about one file before it is downloaded."""

    repo: str
    filename: str
    url: str  # where the bytes come from, pinned to the commit the metadata describes
    size: int
    sha256: str | None  # LFS files (every real GGUF file)
    git_sha1: str | None  # small files kept in git itself
    commit: str
    send_token: bool  # False when the bytes come from another host (a CDN)

    @property
    def checksum(self) -> str:
        return self.sha256 or self.git_sha1 or ""


class HubClient:
    """huggingface_hub's real client, pointed at one endpoint, with Fireside's token only."""

    def __init__(self, endpoint: str, token: str | None = None, timeout_s: float = 30.0) -> None:
        _quiet_hub()
        self.endpoint = endpoint.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s
        self._api = HfApi(endpoint=self.endpoint, token=self._token_arg)
        self._resolved = False

    @property
    def _token_arg(self) -> str | Literal[False]:
        return self.token if self.token else False

    # ---- search and listings ----------------------------------------------------------

    def search(
        self, text: str, *, sort: SortKey = "downloads", limit: int = 20
    ) -> list[RepoSummary]:
        """GGUF repositories whose name matches ``text``, most downloaded (or liked) first."""
        with self._errors(repo=text):
            found = self._api.list_models(
                search=text or None, filter="gguf", sort=sort, limit=limit, token=self._token_arg
            )
            return [
                RepoSummary(
                    repo=info.id,
                    downloads=int(info.downloads or 0),
                    likes=int(info.likes or 0),
                    pipeline_tag=info.pipeline_tag,
                    last_modified=info.last_modified.isoformat() if info.last_modified else None,
                    gated=bool(info.gated),
                )
                for info in found
            ]

    def list_files(self, repo: str) -> RepoListing:
        """The repository's GGUF models, grouped by quantization, with sizes and sha256."""
        check_repo_id(repo)
        with self._errors(repo=repo):
            info = self._api.model_info(
                repo, files_metadata=True, timeout=self.timeout_s, token=self._token_arg
            )
        files = [
            RemoteFileInfo(
                filename=sibling.rfilename,
                size=sibling.lfs.size if sibling.lfs is not None else sibling.size,
                sha256=sibling.lfs.sha256 if sibling.lfs is not None else None,
            )
            for sibling in info.siblings or []
        ]
        gguf: dict[str, Any] = info.gguf if isinstance(info.gguf, dict) else {}
        return RepoListing(
            repo=info.id,
            commit=info.sha,
            gated=bool(info.gated),
            groups=tuple(group_model_files(files)),
            parameters=_int_or_none(gguf.get("total")),
            context_length=_int_or_none(gguf.get("context_length")),
            architecture=str(gguf["architecture"]) if gguf.get("architecture") else None,
        )

    def file_metadata(self, repo: str, filename: str) -> RemoteFile:
        """Size, checksum and download address of one file (an HTTP HEAD on ``resolve``)."""
        check_repo_id(repo)
        check_filename(filename)
        url = hf_hub_url(repo, filename, endpoint=self.endpoint)
        with self._errors(repo=repo, filename=filename):
            meta = get_hf_file_metadata(
                url, token=self._token_arg, timeout=self.timeout_s, endpoint=self.endpoint
            )
        etag = (meta.etag or "").lower()
        if meta.commit_hash is None or meta.size is None:
            raise HubError("models_hub_no_metadata", endpoint=self.endpoint, filename=filename)
        if meta.location and meta.location != url:
            download_url = meta.location  # the Hub sent us on (a CDN, or a mirror's store)
        else:
            download_url = hf_hub_url(
                repo, filename, revision=meta.commit_hash, endpoint=self.endpoint
            )
        return RemoteFile(
            repo=repo,
            filename=filename,
            url=download_url,
            size=meta.size,
            sha256=etag if SHA256_RE.match(etag) else None,
            git_sha1=etag if GIT_SHA1_RE.match(etag) else None,
            commit=meta.commit_hash,
            send_token=_same_origin(download_url, self.endpoint),
        )

    # ---- bytes -------------------------------------------------------------------------

    def headers(self, send_token: bool = True) -> dict[str, str]:
        return build_hf_headers(token=self._token_arg if send_token else False)

    @contextmanager
    def open_range(self, remote: RemoteFile, start: int, end: int | None = None) -> Iterator[Any]:
        """A streaming GET of ``remote`` from byte ``start`` (to ``end`` inclusive).

        Yields the httpx2 response; HTTP errors are already turned into typed errors. The
        caller checks the status: 206 is the range it asked for, 200 the whole file.
        """
        headers = self.headers(remote.send_token)
        if start > 0 or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        headers["Accept-Encoding"] = "identity"
        timeout = httpx2.Timeout(self.timeout_s, connect=min(self.timeout_s, 15.0))
        stream = get_session().stream
        with (
            self._errors(repo=remote.repo, filename=remote.filename),
            stream("GET", remote.url, headers=headers, timeout=timeout) as resp,
        ):
            if resp.status_code >= 400 and resp.status_code != 416:
                resp.read()
                hf_raise_for_status(resp)
            yield resp

    def read_header(self, remote: RemoteFile, workdir: Path) -> GGUFHeader:
        """The GGUF header of a remote file, from its first few megabytes.

        The bytes go into a sparse temporary file as long as the remote file, so the same
        checked reader as for local files (core.engine.gguf) reads it; it is removed after.
        """
        workdir.mkdir(parents=True, exist_ok=True)
        want = min(_HEADER_FIRST_READ, remote.size)
        while True:
            with tempfile.TemporaryDirectory(dir=workdir, prefix="header-") as tmp:
                path = Path(tmp) / "head.gguf"
                got = self._fetch_prefix(remote, want, path)
                with path.open("r+b") as handle:
                    handle.truncate(remote.size)
                try:
                    return read_header(path)
                except ModelFileError as exc:
                    truncated = exc.code == "model_header_truncated"
                    if not truncated or got < want or want >= min(remote.size, _HEADER_MAX_READ):
                        raise HubError(
                            "models_remote_not_gguf", repo=remote.repo, filename=remote.filename
                        ) from exc
            want = min(want * 2, remote.size, _HEADER_MAX_READ)

    def _fetch_prefix(self, remote: RemoteFile, count: int, path: Path) -> int:
        written = 0
        with self.open_range(remote, 0, count - 1) as resp, path.open("wb") as out:
            for chunk in resp.iter_bytes(1 << 20):
                piece = chunk[: count - written]
                out.write(piece)
                written += len(piece)
                if written >= count:
                    break  # a server that ignored the range sends the whole file: stop here
        return written

    def _check_resolvable(self) -> None:
        """Fail at once when the Hub's host name cannot be resolved (no network at all):
        huggingface_hub would otherwise retry for half a minute before saying so."""
        if self._resolved:
            return
        url = urlparse(self.endpoint)
        try:
            socket.getaddrinfo(url.hostname or "", url.port or (443 if url.scheme == "https"
                                                                 else 80))  # fmt: skip
        except OSError as exc:
            raise unreachable(exc, self.endpoint) from exc
        self._resolved = True

    # ---- errors ------------------------------------------------------------------------

    @contextmanager
    def _errors(self, repo: str, filename: str = "") -> Iterator[None]:
        """Turn huggingface_hub's and httpx2's exceptions into typed, translatable ones."""
        self._check_resolvable()
        try:
            yield
        except GatedRepoError as exc:
            raise HubAuthRequired(
                "models_gated" if not self.token else "models_token_rejected", repo=repo
            ) from exc
        except RepositoryNotFoundError as exc:
            if _status(exc) in (401, 403) and self.token:
                raise HubAuthRequired("models_token_rejected", repo=repo) from exc
            raise HubNotFound("models_repo_not_found", repo=repo, endpoint=self.endpoint) from exc
        except RevisionNotFoundError as exc:
            raise HubNotFound("models_repo_not_found", repo=repo, endpoint=self.endpoint) from exc
        except EntryNotFoundError as exc:
            raise HubNotFound("models_file_not_found", repo=repo, filename=filename) from exc
        except OfflineModeIsEnabled as exc:
            raise HubError("models_hub_offline") from exc
        except HfHubHTTPError as exc:
            status = _status(exc)
            if status == 404:
                raise HubNotFound("models_file_not_found", repo=repo, filename=filename) from exc
            if status in (401, 403):
                code = "models_token_rejected" if self.token else "models_gated"
                raise HubAuthRequired(code, repo=repo) from exc
            kind = HubTransient if status in (408, 429) or status >= 500 else HubError
            raise kind("models_hub_http", endpoint=self.endpoint, status=status, repo=repo) from exc
        except httpx2.TransportError as exc:
            raise unreachable(exc, self.endpoint) from exc
        except httpx2.TooManyRedirects as exc:  # a mirror (or a hostile one) sending in circles
            raise HubError("models_hub_redirect_loop", endpoint=self.endpoint, repo=repo) from exc


def _status(exc: HfHubHTTPError) -> int:
    response = getattr(exc, "response", None)
    return int(getattr(response, "status_code", 0) or 0)


def _int_or_none(value: Any) -> int | None:
    """A figure from the Hub's JSON summary, or None unless it is a whole, non-negative
    number (the summary is somebody else's input: Infinity, text, true, -5 all occur)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < 2**63 else None


def _same_origin(url: str, endpoint: str) -> bool:
    a, b = urlparse(url), urlparse(endpoint)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
