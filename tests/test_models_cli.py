"""fireside-cli models …: every subcommand, --json, one-line errors, the progress bar."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import huggingface_hub
import keyring
import pytest

from core.cli import main
from core.i18n import Translator
from core.models.cli import _ProgressBar
from core.models.downloads import DownloadProgress
from core.paths import AppPaths
from core.settings import SettingsStore
from tests.hub_server import FakeHub, FakeRepo, MemoryKeyring, gguf_bytes

REPO = "acme/Tiny-GGUF"


@pytest.fixture(autouse=True)
def isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    for var in ("HF_ENDPOINT", "HF_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
    huggingface_hub.close_session()


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    files = {"tiny-Q4_K_M.gguf": gguf_bytes(100_000), "tiny-Q8_0.gguf": gguf_bytes(200_000)}
    repos = [
        FakeRepo(REPO, files, downloads=7),
        FakeRepo("acme/Gated-GGUF", {"g-Q4_K_M.gguf": gguf_bytes(1000)}, token="hf_right"),
    ]
    with FakeHub(repos) as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "models", "catalogue", "--kind", "embedding")
    assert {d["kind"] for d in data} == {"embedding"}
    assert any(d["default"] for d in data)
    code, out, _ = run(capsys, "--lang", "zh_CN", "models", "catalogue")
    assert code == 0 and "中英文" in out


def test_search_files_and_fit_against_the_local_hub(
    capsys: pytest.CaptureFixture[str], hub: FakeHub
) -> None:
    hits = run_json(capsys, "models", "search", "tiny", "--endpoint", hub.endpoint)
    assert [h["repo"] for h in hits] == [REPO]
    listing = run_json(capsys, "models", "files", REPO, "--endpoint", hub.endpoint)
    assert [g["quantization"] for g in listing["groups"]] == ["Q4_K_M", "Q8_0"]
    fit = run_json(capsys, "models", "fit", REPO, "--ctx", "1024", "--endpoint", hub.endpoint)
    assert fit["n_ctx"] == 1024 and fit["recommended"] == "tiny-Q8_0.gguf"
    assert {f["verdict"] for f in fit["files"]} == {"fits"}
    one = run_json(capsys, "models", "fit", REPO, "tiny-Q4_K_M.gguf", "--endpoint", hub.endpoint)
    assert [f["filename"] for f in one["files"]] == ["tiny-Q4_K_M.gguf"]
    code, out, _ = run(capsys, "models", "fit", REPO, "--endpoint", hub.endpoint)
    assert code == 0 and "Recommended: Q8_0" in out and "fits" in out


def test_endpoint_comes_from_settings(capsys: pytest.CaptureFixture[str], hub: FakeHub) -> None:
    store = SettingsStore(AppPaths.from_env().settings_file)
    from dataclasses import replace

    store.save(replace(store.load(), hub_endpoint=hub.endpoint))
    hits = run_json(capsys, "models", "search", "tiny")
    assert [h["repo"] for h in hits] == [REPO]


def test_download_list_use_remove(capsys: pytest.CaptureFixture[str], hub: FakeHub) -> None:
    got = run_json(capsys, "models", "download", REPO, "tiny-Q4_K_M.gguf", "--endpoint",
                   hub.endpoint)  # fmt: skip
    assert got["id"] == "tiny-q4_k_m" and got["fetched_bytes"] == got["size"]
    assert got["checksum"] and Path(got["path"]).exists()
    listed = run_json(capsys, "models", "list")
    assert [m["id"] for m in listed] == ["tiny-q4_k_m"] and not listed[0]["default"]
    used = run_json(capsys, "models", "use", "tiny-q4_k_m")
    assert used["default"]
    assert SettingsStore(AppPaths.from_env().settings_file).load().chat_model == "tiny-q4_k_m"
    code, out, _ = run(capsys, "models", "list")
    assert code == 0 and out.startswith("* tiny-q4_k_m")
    removed = run_json(capsys, "models", "remove", "tiny-q4_k_m")
    assert removed["deleted"] and removed["freed_bytes"] == got["size"]
    assert SettingsStore(AppPaths.from_env().settings_file).load().chat_model is None
    code, out, _ = run(capsys, "models", "list")
    assert "No models installed" in out


def test_import_a_local_file(
    capsys: pytest.CaptureFixture[str], gemma_path: Path, tmp_path: Path
) -> None:
    model = run_json(capsys, "models", "import", str(gemma_path))
    assert model["source"] == "imported" and model["kind"] == "chat"
    fit = run_json(capsys, "models", "fit", model["id"], "--ctx", "2048")
    assert fit["verdict"] == "fits" and fit["weights_bytes"] == gemma_path.stat().st_size
    code, out, _ = run(capsys, "models", "remove", model["id"])
    assert code == 0 and "was not deleted" in out and gemma_path.exists()


def test_gated_download_needs_a_token_from_login(
    capsys: pytest.CaptureFixture[str], hub: FakeHub, isolation: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    args = ("models", "download", "acme/Gated-GGUF", "g-Q4_K_M.gguf", "--endpoint", hub.endpoint)
    code, out, err = run(capsys, *args)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "gated" in err and "models login" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("hf_right\n"))
    code, out, _ = run(capsys, "models", "login")
    assert code == 0 and "keyring" in out
    assert "hf_right" in isolation.passwords.values()
    settings_text = AppPaths.from_env().settings_file.read_text() if AppPaths.from_env(
    ).settings_file.exists() else ""  # fmt: skip
    assert "hf_right" not in settings_text
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert hub.gets("g-Q4_K_M.gguf")[-1]["authorization"] == "Bearer hf_right"
    code, _, _ = run(capsys, "models", "logout")
    assert code == 0 and isolation.passwords == {}


def test_errors_are_one_translated_line(capsys: pytest.CaptureFixture[str], hub: FakeHub) -> None:
    code, out, err = run(capsys, "models", "remove", "nope")
    assert (
        code == 1
        and out == ""
        and err == ("Error: No installed model nope (see: fireside-cli models list)\n")
    )
    code, _, err = run(capsys, "--lang", "zh_CN", "models", "download", REPO, "../x.gguf",
                       "--endpoint", hub.endpoint)  # fmt: skip
    assert code == 1 and err.startswith("错误：拒绝文件名 ../x.gguf") and err.count("\n") == 1
    code, _, err = run(capsys, "models", "files", "acme/Missing", "--endpoint", hub.endpoint)
    assert code == 1 and "There is no repository acme/Missing" in err
    code, _, err = run(capsys, "models", "download", "acme/Unknown-GGUF", "--endpoint",
                       hub.endpoint)  # fmt: skip
    assert code == 1 and "Name the file" in err
    code, _, err = run(capsys, "models", "search", "x", "--endpoint", "ftp://nowhere")
    assert code == 1 and "Not a Hub address" in err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_shows_bytes_rate_and_eta() -> None:
    stream = FakeTerminal()
    bar = _ProgressBar(stream)
    tr = Translator("en")
    bar.draw(DownloadProgress("m.gguf", 500_000_000, 2_000_000_000, 5_000_000, 300.0,
                              "downloading"), tr)  # fmt: skip
    bar.draw(DownloadProgress("m.gguf", 2_000_000_000, 2_000_000_000, 0, None, "verifying"), tr)
    bar.finish()
    text = stream.getvalue()
    assert text.startswith("\r 25.0% [")
    assert "500.0 MB/2.0 GB" in text and "5.0 MB/s" in text and "ETA 5:00" in text
    assert "verifying" in text and text.endswith("\n")
