"""Search, listings and remote headers through the real huggingface_hub client; the token
store; the endpoint setting."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub
import keyring.backends.fail
import pytest

from core.models.errors import BadRequest, HubAuthRequired, HubError, HubNotFound
from core.models.fit import FitAdvisor, FitOptions, ModelFigures, SystemMemory, Verdict
from core.models.hub import DEFAULT_ENDPOINT, HubClient, resolve_endpoint
from core.models.tokens import ACCOUNT, SERVICE, TokenStore
from tests.hub_server import FakeHub, FakeRepo, MemoryKeyring, gguf_bytes

SPLIT = [f"Big-Q8_0-0000{i}-of-00003.gguf" for i in (1, 2, 3)]


@pytest.fixture(autouse=True)
def hub_isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    for var in ("HF_ENDPOINT", "HF_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    yield
    huggingface_hub.close_session()


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    files = {
        "Big-Q4_K_M.gguf": gguf_bytes(300_000),
        "Big-Q5_K_M.gguf": gguf_bytes(400_000, seed=1),
        **{name: gguf_bytes(150_000, seed=i) for i, name in enumerate(SPLIT)},
        "mmproj-Big-f16.gguf": gguf_bytes(1_000),
        "README.md": b"# Big\n",
    }
    repos = [
        FakeRepo("acme/Big-GGUF", files, downloads=500, likes=3,
                 gguf={"total": 1_543_714_304, "architecture": "qwen2", "context_length": 32768}),
        FakeRepo("other/Big-Chat-GGUF", {"x-Q4_0.gguf": gguf_bytes(100)}, downloads=900, likes=1),
        FakeRepo("third/big-thing-GGUF", {}, downloads=10, likes=50),
        FakeRepo("acme/Small-GGUF", {}, downloads=10_000),
        FakeRepo("acme/Gated-GGUF", {"g-Q4_K_M.gguf": gguf_bytes(100)}, token="hf_right"),
    ]  # fmt: skip
    with FakeHub(repos) as server:
        yield server


def test_search_sorted_by_downloads_or_likes(hub: FakeHub) -> None:
    client = HubClient(hub.endpoint)
    hits = client.search("big")
    assert [h.repo for h in hits] == [
        "other/Big-Chat-GGUF",
        "acme/Big-GGUF",
        "third/big-thing-GGUF",
    ]
    assert hits[0].downloads == 900
    assert client.search("big", sort="likes")[0].repo == "third/big-thing-GGUF"
    assert len(client.search("big", limit=1)) == 1
    assert client.search("nothing like this") == []
    search = [r for r in hub.requests if r["path"] == "/api/models"][-1]
    assert search["authorization"] is None


def test_files_grouped_by_quantization_with_split_parts(hub: FakeHub) -> None:
    listing = HubClient(hub.endpoint).list_files("acme/Big-GGUF")
    assert listing.parameters == 1_543_714_304 and listing.architecture == "qwen2"
    by_quant = {g.quantization: g for g in listing.groups}
    assert set(by_quant) == {"Q4_K_M", "Q5_K_M", "Q8_0"}  # no projector, no README
    split = by_quant["Q8_0"]
    assert split.is_split and split.complete
    assert split.filename == SPLIT[0]
    assert [p.filename for p in split.parts] == SPLIT
    assert split.size == sum(p.size or 0 for p in split.parts)
    assert all(p.sha256 and len(p.sha256) == 64 for p in split.parts)
    sizes = [g.size for g in listing.groups]
    assert sizes == sorted(sizes)
    assert listing.group_for(SPLIT[2]) is split


def test_unknown_repository_and_file_are_not_found(hub: FakeHub) -> None:
    client = HubClient(hub.endpoint)
    with pytest.raises(HubNotFound) as info:
        client.list_files("acme/Missing-GGUF")
    assert info.value.code == "models_repo_not_found"
    with pytest.raises(HubNotFound) as info:
        client.file_metadata("acme/Big-GGUF", "Missing-Q4_K_M.gguf")
    assert info.value.code == "models_file_not_found"
    with pytest.raises(BadRequest):
        client.list_files("not a repo")


def test_gated_file_metadata_needs_the_right_token(hub: FakeHub) -> None:
    with pytest.raises(HubAuthRequired) as info:
        HubClient(hub.endpoint).file_metadata("acme/Gated-GGUF", "g-Q4_K_M.gguf")
    assert info.value.code == "models_gated"
    with pytest.raises(HubAuthRequired) as info:
        HubClient(hub.endpoint, token="hf_wrong").file_metadata("acme/Gated-GGUF", "g-Q4_K_M.gguf")
    assert info.value.code == "models_token_rejected"
    meta = HubClient(hub.endpoint, token="hf_right").file_metadata(
        "acme/Gated-GGUF", "g-Q4_K_M.gguf"
    )
    assert meta.sha256 and meta.size > 0


def test_no_implicit_token_and_no_telemetry(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_from_the_environment")
    HubClient(hub.endpoint).list_files("acme/Big-GGUF")
    last = hub.requests[-1]
    assert last["authorization"] is None  # only a token given to Fireside is ever sent
    assert os.environ["HF_HUB_DISABLE_TELEMETRY"] == "1"
    assert huggingface_hub.constants.HF_HUB_DISABLE_TELEMETRY is True


def test_unreachable_hub_is_a_clear_error() -> None:
    with FakeHub([]) as gone:
        endpoint = gone.endpoint
    with pytest.raises(HubError) as info:  # (a search would first retry for ~20 s)
        HubClient(endpoint, timeout_s=5).file_metadata("acme/Big-GGUF", "Big-Q4_K_M.gguf")
    assert info.value.code == "models_hub_unreachable"
    assert endpoint in str(info.value)


def test_remote_header_gives_the_figures_for_a_memory_estimate(
    hub: FakeHub, tmp_path: Path
) -> None:
    client = HubClient(hub.endpoint)
    listing = client.list_files("acme/Big-GGUF")
    remote = client.file_metadata("acme/Big-GGUF", listing.groups[0].filename)
    header = client.read_header(remote, tmp_path / "headers")
    figures = ModelFigures.from_header(header)
    assert (figures.architecture, figures.n_layers, figures.n_head_kv) == ("qwen2", 24, 2)
    assert list((tmp_path / "headers").iterdir()) == []  # the temporary copy is gone
    # Memory for exactly the middle quantization: it is the largest that fits.
    options = FitOptions(n_ctx=2048)
    sizes = [g.size for g in listing.groups]
    advisor = FitAdvisor()
    middle = advisor.check(figures, sizes[1], options).estimate.total
    tight_memory = SystemMemory(total=10 * middle, available=int(middle / 0.8) + 1)
    best = FitAdvisor(lambda: tight_memory).recommend(figures, listing.groups, options)
    assert best is not None
    assert best.group is listing.groups[1] and best.answer.verdict is Verdict.FITS


def test_endpoint_follows_override_then_setting_then_hf_endpoint() -> None:
    assert resolve_endpoint(DEFAULT_ENDPOINT, None, {}) == DEFAULT_ENDPOINT
    assert resolve_endpoint(DEFAULT_ENDPOINT, None, {"HF_ENDPOINT": "https://hf-mirror.com/"}) == (
        "https://hf-mirror.com"
    )
    mirror = "https://mirror.example"
    assert resolve_endpoint(mirror, None, {"HF_ENDPOINT": "https://x"}) == mirror
    assert resolve_endpoint(mirror, "http://127.0.0.1:9", {}) == "http://127.0.0.1:9"
    with pytest.raises(BadRequest):
        resolve_endpoint("ftp://nope", None, {})


def test_token_lives_in_the_keyring() -> None:
    backend = MemoryKeyring()
    store = TokenStore(backend)
    assert store.persistent and store.get() is None
    assert store.set("  hf_secret \n") is True
    assert backend.passwords[(SERVICE, ACCOUNT)] == "hf_secret"
    assert TokenStore(backend).get() == "hf_secret"  # a later session finds it
    store.clear()
    assert TokenStore(backend).get() is None
    store.clear()  # forgetting twice is fine


def test_without_a_keyring_the_token_is_for_this_session_only(tmp_path: Path) -> None:
    store = TokenStore(keyring.backends.fail.Keyring())
    assert not store.persistent
    assert store.set("hf_secret") is False
    assert store.get() == "hf_secret"
    assert TokenStore(keyring.backends.fail.Keyring()).get() is None
    settings_files = list(tmp_path.rglob("settings.json"))
    assert all("hf_secret" not in f.read_text() for f in settings_files)


def test_keyring_set_through_the_keyring_api_is_used() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        TokenStore().set("hf_global")
        assert TokenStore().get() == "hf_global"
    finally:
        keyring.set_keyring(previous)


def test_a_hub_that_redirects_in_circles_is_one_line(fireside_home: Path) -> None:
    """Issue 14 item 5: a redirect loop (a broken or hostile mirror) gave a traceback."""
    import os
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Circle(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", self.path + ("&" if "?" in self.path else "?") + "x")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_HEAD = do_GET

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Circle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        for lang, words in (("en", "redirecting"), ("zh_CN", "循环重定向")):
            result = subprocess.run(
                [sys.executable, "-m", "core.cli", "models", "files", "someone/model",
                 "--endpoint", endpoint],
                capture_output=True, text=True, timeout=120,
                env={**os.environ, "FIRESIDE_LANG": lang},
            )  # fmt: skip
            assert result.returncode == 1 and "Traceback" not in result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and words in lines[0], result.stderr
    finally:
        server.shutdown()
        server.server_close()
