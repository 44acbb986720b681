"""A small local stand-in for the Hugging Face Hub, for tests of the real huggingface_hub client.

It serves the part of the Hub's API that huggingface_hub 2.x uses for what Fireside does:
``GET /api/models`` (search), ``GET /api/models/<repo>[/revision/<rev>]`` (model info with
file sizes and LFS sha256), ``HEAD /<repo>/resolve/<rev>/<file>`` (file metadata: ETag,
X-Linked-Etag, X-Linked-Size, X-Repo-Commit, Content-Length) and ``GET`` of the same address
with Range requests. It never sends Xet headers, so the client downloads over plain HTTP.

Faults on demand: a gated repository (401 without the right token), a connection dropped
mid-file, a download held at a byte offset until released, a wrong published sha256. It
counts the body bytes it serves per file and records each request, so tests can prove what
was (not) fetched again. It listens on 127.0.0.1 only, its handler threads time out, and it
shuts itself down after ``lifetime_s`` even if a test forgets to.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import keyring.backend
import keyring.errors

from tests.gguf_writer import write_gguf

CHUNK = 64 * 1024

QWEN_LIKE: dict[str, object] = {
    "general.architecture": "qwen2",
    "general.name": "Tiny Qwen-like",
    "general.file_type": 15,
    "qwen2.block_count": 24,
    "qwen2.context_length": 32768,
    "qwen2.embedding_length": 896,
    "qwen2.feed_forward_length": 4864,
    "qwen2.attention.head_count": 14,
    "qwen2.attention.head_count_kv": 2,
}
BERT_LIKE: dict[str, object] = {
    "general.architecture": "bert",
    "general.name": "Tiny BERT-like",
    "general.file_type": 7,
    "bert.block_count": 6,
    "bert.context_length": 512,
    "bert.embedding_length": 384,
    "bert.attention.head_count": 12,
    "bert.pooling_type": 1,
}


def gguf_bytes(n_floats: int, metadata: dict[str, object] | None = None, *, seed: int = 0) -> bytes:
    """A small, valid GGUF file: the given metadata and one F32 tensor of random values."""
    n_floats -= n_floats % 8  # whole 32-byte blocks, as the writer lays them out
    data = random.Random(seed).randbytes(n_floats * 4)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_gguf(
            Path(tmp) / "m.gguf", dict(metadata or QWEN_LIKE), [("w", (n_floats,), 0)], data=data
        )
        return path.read_bytes()


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps passwords in a dict, for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@dataclass
class FakeRepo:
    repo_id: str
    files: dict[str, bytes]
    token: str | None = None  # set: gated, needs "Authorization: Bearer <token>"
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    downloads: int = 0
    likes: int = 0
    gguf: dict[str, Any] | None = None

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.files[name]).hexdigest()


@dataclass
class Faults:
    drop_after: dict[str, int] = field(default_factory=dict)  # file -> offset; once each
    hold_at: dict[str, int] = field(default_factory=dict)  # file -> offset; until release
    wrong_sha256: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)


class FakeHub:
    """Start with ``with FakeHub(repos) as hub:``; ``hub.endpoint`` is its address."""

    def __init__(self, repos: list[FakeRepo], *, lifetime_s: float = 120.0) -> None:
        self.repos = {r.repo_id: r for r in repos}
        self.faults = Faults()
        self.lock = threading.Lock()
        self.served: dict[str, int] = {}
        self.requests: list[dict[str, Any]] = []
        self.reached: dict[str, threading.Event] = {}
        handler = type("Handler", (_Handler,), {"hub": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True
        self._stopped = False

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeHub:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        with self.lock:
            if self._stopped:
                return
            self._stopped = True
        self._timer.cancel()
        self.faults.release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- what tests read -----------------------------------------------------------------

    def served_bytes(self, name: str) -> int:
        with self.lock:
            return self.served.get(name, 0)

    def gets(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                r for r in self.requests if r["method"] == "GET" and r["path"].endswith("/" + name)
            ]

    def reached_event(self, name: str) -> threading.Event:
        with self.lock:
            return self.reached.setdefault(name, threading.Event())


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    protocol_version = "HTTP/1.1"
    timeout = 15  # idle keep-alive connections end by themselves

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read hub.requests instead

    # ---- routing -------------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self._route(head=True)

    def do_GET(self) -> None:
        self._route(head=False)

    def _route(self, head: bool) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        self.record: dict[str, Any] = {
            "method": self.command,
            "path": path,
            "range": self.headers.get("Range"),
            "authorization": self.headers.get("Authorization"),
            "user_agent": self.headers.get("User-Agent"),
            "served": 0,  # body bytes this request was sent
        }
        with self.hub.lock:
            self.hub.requests.append(self.record)
        if path == "/api/models":
            return self._search(parse_qs(url.query))
        if path.startswith("/api/models/"):
            return self._model_info(path[len("/api/models/") :])
        parts = path.lstrip("/").split("/", 4)
        if len(parts) == 5 and parts[2] == "resolve":
            repo_id, revision, name = f"{parts[0]}/{parts[1]}", parts[3], parts[4]
            return self._resolve(repo_id, revision, name, head)
        self._json(404, {"error": "Not found"})

    # ---- API -------------------------------------------------------------------------------

    def _search(self, query: dict[str, list[str]]) -> None:
        text = (query.get("search") or [""])[0].lower()
        sort = (query.get("sort") or ["downloads"])[0]
        limit = int((query.get("limit") or ["50"])[0])
        found = [r for r in self.hub.repos.values() if text in r.repo_id.lower()]
        found.sort(key=lambda r: r.likes if sort == "likes" else r.downloads, reverse=True)
        self._json(200, [self._summary(r) for r in found[:limit]])

    @staticmethod
    def _summary(repo: FakeRepo) -> dict[str, Any]:
        return {
            "_id": hashlib.md5(repo.repo_id.encode(), usedforsecurity=False).hexdigest()[:24],
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "likes": repo.likes,
            "downloads": repo.downloads,
            "private": False,
            "gated": "auto" if repo.token else False,
            "tags": ["gguf", "text-generation"],
            "pipeline_tag": "text-generation",
            "library_name": "gguf",
            "createdAt": "2025-01-01T00:00:00.000Z",
            "lastModified": "2025-02-01T00:00:00.000Z",
        }

    def _model_info(self, rest: str) -> None:
        parts = rest.split("/")
        repo = self.hub.repos.get("/".join(parts[:2]))
        if repo is None:
            return self._error(404, "RepoNotFound", "Repository not found")
        info = self._summary(repo) | {
            "sha": repo.commit,
            "siblings": [
                {
                    "rfilename": name,
                    "size": len(data),
                    "blobId": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
                    "lfs": {"sha256": repo.sha256(name), "size": len(data), "pointerSize": 134},
                }
                for name, data in sorted(repo.files.items())
            ],
        }
        if repo.gguf is not None:
            info["gguf"] = repo.gguf
        self._json(200, info)

    # ---- files -------------------------------------------------------------------------------

    def _resolve(self, repo_id: str, revision: str, name: str, head: bool) -> None:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            return self._error(404, "RepoNotFound", "Repository not found")
        if repo.token is not None:
            given = self.headers.get("Authorization")
            if given is None:
                return self._error(
                    401, "GatedRepo", f"Access to model {repo_id} is restricted. Please log in."
                )
            if given != f"Bearer {repo.token}":
                return self._error(401, None, "Invalid credentials in Authorization header")
        if revision not in ("main", repo.commit):
            return self._error(404, "RevisionNotFound", "Invalid rev id")
        data = repo.files.get(name)
        if data is None:
            return self._error(404, "EntryNotFound", "Entry not found", commit=repo.commit)
        sha = repo.sha256(name)
        if name in self.hub.faults.wrong_sha256:
            sha = hashlib.sha256(b"not these bytes" + data).hexdigest()
        size = len(data)
        common = {
            "ETag": f'"{sha}"',
            "X-Linked-Etag": f'"{sha}"',
            "X-Linked-Size": str(size),
            "X-Repo-Commit": repo.commit,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        start, end = 0, size - 1
        status = 200
        wanted = self.headers.get("Range")
        if wanted and not head:
            spec = wanted.removeprefix("bytes=")
            first, _, last = spec.partition("-")
            start = int(first or 0)
            end = min(int(last), size - 1) if last else size - 1
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        self.send_response(status)
        for key, value in common.items():
            self.send_header(key, value)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        if not head:
            self._send_body(name, data, start, end + 1)

    def _send_body(self, name: str, data: bytes, start: int, stop: int) -> None:
        faults = self.hub.faults
        drop = faults.drop_after.pop(name, None)
        hold = faults.hold_at.get(name)
        position = start
        while position < stop:
            if drop is not None and position >= drop:
                self._drop_connection()
                return
            if hold is not None and position >= hold:
                self.hub.reached_event(name).set()
                faults.release.wait(timeout=30)
                hold = None
                faults.hold_at.pop(name, None)
            limit = stop
            for mark in (drop, hold):
                if mark is not None and mark > position:
                    limit = min(limit, mark)
            piece_end = min(position + CHUNK, limit)
            try:
                self.wfile.write(data[position:piece_end])
                self.wfile.flush()
            except OSError:
                self.close_connection = True
                return
            with self.hub.lock:
                self.hub.served[name] = self.hub.served.get(name, 0) + piece_end - position
                self.record["served"] += piece_end - position
            position = piece_end

    def _drop_connection(self) -> None:
        """End the connection mid-body, as a flaky network does."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- replies -------------------------------------------------------------------------------

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _error(self, status: int, code: str | None, message: str, commit: str = "") -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        if commit:
            headers["X-Repo-Commit"] = commit
        self._json(status, {"error": message}, headers)
