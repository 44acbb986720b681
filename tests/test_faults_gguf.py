"""Crafted GGUF files against the real CLI: one file per bad metadata field.

A model list scans the models folder and the person's Hugging Face cache on every read, so
one hostile file there (a Hub repository can deliver one) used to stop ``models list`` and
the window's start until it was removed. Each file here must be listed as unreadable with
its reason, in the person's language, next to the good models; importing or fitting it
is refused with one line.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.engine.errors import ModelFileError
from core.engine.gguf import read_header
from core.i18n import Translator
from core.models.registry import ModelRegistry
from core.paths import AppPaths
from desktop.window.services import AppServices
from tests.cli_process import one_line_error, run_cli
from tests.gguf_writer import Typed, int32, write_gguf

GOOD: dict[str, object] = {
    "general.architecture": "llama",
    "general.name": "Tiny",
    "general.file_type": 15,
    "llama.context_length": 128,
    "llama.block_count": 2,
    "llama.embedding_length": 8,
    "llama.attention.head_count": 2,
}

# file stem -> (the bad field, its value); each file is GOOD with that one field changed.
BAD_FIELDS: dict[str, tuple[str, object]] = {
    "file-type-text": ("general.file_type", "Q4_K_M"),
    "alignment-text": ("general.alignment", "thirty-two"),
    "alignment-nan": ("general.alignment", Typed(12, "<d", math.nan)),
    "alignment-negative": ("general.alignment", int32(-32)),
    "alignment-huge": ("general.alignment", 1 << 40),
    "alignment-not-power": ("general.alignment", 48),
    "context-text": ("llama.context_length", "4096"),
    "context-negative": ("llama.context_length", int32(-1)),
    "context-huge": ("llama.context_length", 1 << 40),
    "layers-text": ("llama.block_count", "22"),
    "heads-float": ("llama.attention.head_count", 2.5),
    "kv-heads-text": ("llama.attention.head_count_kv", "four"),
    "embedding-text": ("llama.embedding_length", "2048"),
    "feed-forward-bool": ("llama.feed_forward_length", True),
    "template-number": ("tokenizer.chat_template", 42),
    "architecture-number": ("general.architecture", 7),
    "tokens-text": ("tokenizer.ggml.tokens", "abc"),
    "pooling-text": ("llama.pooling_type", "mean"),
    "sliding-window-text": ("llama.attention.sliding_window", "512"),
}


def crafted(folder: Path, stem: str) -> Path:
    key, value = BAD_FIELDS[stem]
    folder.mkdir(parents=True, exist_ok=True)
    return write_gguf(folder / f"{stem}-Q4_K_M.gguf", {**GOOD, key: value}, [("w", (8,), 0)])


def good(folder: Path, name: str = "tiny-Q4_K_M.gguf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_gguf(folder / name, GOOD, [("w", (8,), 0)])


def hf_cache_layout(cache: Path, repo: str, files: list[Path]) -> None:
    """Move files into huggingface_hub's cache layout: blobs named by hash, the snapshot
    holding symbolic links to them."""
    owner, name = repo.split("/")
    root = cache / f"models--{owner}--{name}"
    snapshot = root / "snapshots" / ("0" * 40)
    (root / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True, exist_ok=True)
    for index, file in enumerate(files):
        blob = root / "blobs" / f"{index:064x}"
        file.rename(blob)
        (snapshot / file.name).symlink_to(blob)


@pytest.mark.parametrize("stem", sorted(BAD_FIELDS))
def test_each_bad_field_is_refused_with_its_field_named(stem: str, tmp_path: Path) -> None:
    path = crafted(tmp_path, stem)
    with pytest.raises(ModelFileError) as info:
        read_header(path)
    key = BAD_FIELDS[stem][0]
    assert info.value.code == "model_corrupt"
    english = info.value.message(Translator("en"))
    chinese = info.value.message(Translator("zh_CN"))
    assert key in english and path.name in english and "damaged" in english
    assert key in chinese and "已损坏" in chinese
    assert not any(word in chinese for word in ("header field", "not a", "outside"))


@pytest.mark.parametrize("layout", ["models-folder", "hf-cache"])
def test_models_list_shows_every_crafted_file_as_unreadable(
    layout: str, tmp_path: Path, fireside_home: Path
) -> None:
    paths = AppPaths.from_env().ensure()
    cache = tmp_path / "hf-cache"
    cache.mkdir()
    if layout == "models-folder":
        folder = paths.models_dir / "mallory" / "Hostile-GGUF"
        for stem in BAD_FIELDS:
            crafted(folder, stem)
        good(folder)
    else:
        staging = tmp_path / "staging"
        files = [crafted(staging, stem) for stem in BAD_FIELDS] + [good(staging)]
        hf_cache_layout(cache, "mallory/Hostile-GGUF", files)
    env = {"HF_HUB_CACHE": str(cache)}

    result = run_cli("models", "list", env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[0] == "tiny-q4_k_m"  # the good model is listed as usual
    for stem, (key, _) in BAD_FIELDS.items():
        (line,) = [x for x in lines if f"{stem}-Q4_K_M.gguf" in x]
        assert line.startswith("! unreadable: ") and key in line, line

    listed = json.loads(run_cli("models", "list", "--json", env=env).stdout)
    unreadable = [m for m in listed if m.get("unreadable")]
    assert len(unreadable) == len(BAD_FIELDS) and len(listed) == len(BAD_FIELDS) + 1

    chinese = run_cli("models", "list", env=env | {"FIRESIDE_LANG": "zh_CN"})
    assert chinese.returncode == 0
    assert chinese.stdout.count("! 无法读取：") == len(BAD_FIELDS)

    # In process too: the registry lists them apart from the models, whatever reads it.
    registry = ModelRegistry(paths, hf_cache_dir=cache)
    listing = registry.listing()
    assert [m.id for m in listing.models] == ["tiny-q4_k_m"]
    assert len(listing.unreadable) == len(BAD_FIELDS)


@pytest.mark.parametrize("stem", ["alignment-nan", "file-type-text", "context-text",
                                  "template-number", "tokens-text"])  # fmt: skip
def test_import_and_fit_of_a_crafted_file_are_refused_in_one_line(
    stem: str, tmp_path: Path
) -> None:
    path = crafted(tmp_path / "picked", stem)
    key = BAD_FIELDS[stem][0]
    for command in (["models", "import", str(path)], ["models", "fit", str(path)]):
        line = one_line_error(run_cli(*command))
        assert line.startswith("Error: ") and key in line and path.name in line
    line = one_line_error(run_cli("models", "import", str(path), env={"FIRESIDE_LANG": "zh_CN"}))
    assert line.startswith("错误：") and "已损坏" in line
    assert "picked" not in run_cli("models", "list").stdout  # nothing was recorded


def test_a_crafted_file_is_refused_before_the_engine_sees_it(tmp_path: Path) -> None:
    path = crafted(tmp_path, "context-text")
    line = one_line_error(run_cli("chat", "--model", str(path), stdin="Hello\n"))
    assert "llama.context_length" in line


def test_the_window_starts_with_crafted_files_and_lists_them_as_unreadable(
    qtbot: QtBot, services: AppServices
) -> None:
    from desktop.models.installed import InstalledPage
    from desktop.window.main_window import MainWindow

    folder = services.paths.models_dir / "mallory" / "Hostile-GGUF"
    bad = [crafted(folder, stem) for stem in ("alignment-nan", "file-type-text", "context-text")]
    good(folder)
    assert services.registry.hf_cache_dir is not None
    staging = services.paths.cache_dir / "staging"
    hf_cache_layout(services.registry.hf_cache_dir, "mallory/Cached-GGUF",
                    [crafted(staging, "template-number")])  # fmt: skip
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    window.start()  # lists the models to find the default one; must not raise

    page = InstalledPage(services)
    qtbot.addWidget(page)
    assert [m.id for m in page.models] == ["tiny-q4_k_m"]
    rows = {page.table.item(r, 0).text(): r for r in range(page.table.rowCount())}
    for path, key in [(p, BAD_FIELDS[p.name.split("-Q4")[0]][0]) for p in bad] + [
        (Path("template-number-Q4_K_M.gguf"), "tokenizer.chat_template")
    ]:
        row = rows[path.name]
        assert page.table.item(row, 1).text() == "Unreadable"
        assert key in page.table.item(row, 5).text()
        assert not page.table.item(row, 0).flags() & Qt.ItemFlag.ItemIsSelectable
    page.table.selectRow(rows[bad[0].name])
    assert page.selected() is None and not page.use_button.isEnabled()
    window.close()


def test_a_hostile_hub_repository_cannot_brick_the_model_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repository serves a file whose header lies about its alignment: the download is
    refused with one line naming the field, the file is kept where it landed (Fireside never
    deletes what it cannot read), and the list shows it as unreadable, still usable."""
    from tests.hub_server import QWEN_LIKE, FakeHub, FakeRepo, gguf_bytes

    hostile = gguf_bytes(1000, {**QWEN_LIKE, "general.alignment": "thirty-two"})
    repo = FakeRepo("mallory/Hostile-GGUF", {"hostile-Q4_K_M.gguf": hostile})
    env = {"HF_HUB_CACHE": str(tmp_path / "hf-cache"), "HF_HUB_DISABLE_TELEMETRY": "1"}
    with FakeHub([repo]) as hub:
        line = one_line_error(run_cli("models", "download", repo.repo_id, "hostile-Q4_K_M.gguf",
                                      "--endpoint", hub.endpoint, env=env))  # fmt: skip
    assert "general.alignment" in line and "hostile-Q4_K_M.gguf" in line
    listed = run_cli("models", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("No models installed")
    assert "! unreadable: " in listed.stdout and "general.alignment" in listed.stdout


@pytest.mark.parametrize("value", [math.inf, -5, "4096", True, 1e300])
def test_a_hostile_hub_listing_figure_is_ignored_not_raised(value: object, tmp_path: Path) -> None:
    """The Hub's own JSON summary of a repository (total parameters, context length) is
    somebody else's input too: Infinity, negative, text or absurd figures are left out."""
    from tests.hub_server import FakeHub, FakeRepo, gguf_bytes

    summary = {"total": value, "context_length": value, "architecture": "llama"}
    repo = FakeRepo("mallory/Odd-GGUF", {"odd-Q4_K_M.gguf": gguf_bytes(1000)}, gguf=summary)
    env = {"HF_HUB_CACHE": str(tmp_path / "hf-cache")}
    with FakeHub([repo]) as hub:
        result = run_cli("models", "files", repo.repo_id, "--endpoint", hub.endpoint, "--json",
                         env=env)  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert json.loads(result.stdout)["groups"][0]["filename"] == "odd-Q4_K_M.gguf"
