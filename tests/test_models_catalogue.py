"""The curated catalogue is valid data, and file names are read and checked correctly."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from core.models.catalogue import load_catalogue, parse_catalogue
from core.models.errors import BadRequest, CatalogueError
from core.models.naming import (
    RemoteFileInfo,
    check_filename,
    check_repo_id,
    group_model_files,
    quantization_of,
    split_names,
    split_part,
)

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_catalogue_loads_and_covers_the_brief() -> None:
    catalogue = load_catalogue()
    chat = catalogue.of_kind("chat")
    embedding = catalogue.of_kind("embedding")
    assert len(chat) >= 10 and 3 <= len(embedding) <= 5
    ids = {e.id for e in catalogue.entries}
    for wanted in ("qwen2.5-1.5b-instruct", "qwen3-4b", "llama-3.2-1b-instruct",
                   "llama-3.2-3b-instruct", "gemma-3-1b-it", "gemma-3-4b-it",
                   "phi-4-mini-instruct", "deepseek-r1-distill-qwen-1.5b", "bge-m3",
                   "nomic-embed-text-v1.5", "all-minilm-l6-v2", "qwen3-embedding-0.6b",
                   "multilingual-e5-small"):  # fmt: skip
        assert wanted in ids
    default_embedding = catalogue.default("embedding")
    assert default_embedding is not None and "zh" in default_embedding.languages
    assert catalogue.default("chat") is not None
    assert sum("zh" in e.languages for e in chat) >= 8
    for entry in catalogue.entries:
        assert entry.recommended_file in entry.files.values()
        assert entry.describe("zh_CN") != entry.describe("en")
        assert entry.license and entry.parameters > 0 and entry.context_length > 0
    assert catalogue.for_repo("qwen/qwen2.5-7b-instruct-gguf") is not None
    split = catalogue.get("qwen2.5-7b-instruct")
    assert split is not None and split_part(split.recommended_file) is not None


def test_catalogue_is_found_as_package_data_and_as_a_file() -> None:
    packaged = resources.files("resources").joinpath("catalogue.json")
    assert packaged.is_file()
    assert load_catalogue(ROOT / "resources" / "catalogue.json") == load_catalogue()


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "resources" / "catalogue.json").read_text())
    return data


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda m: m.pop("repo"), "field 'repo'"),
        (lambda m: m.update(recommended="Q3_K_S"), "recommended"),
        (lambda m: m["files"].update(Q4_K_M="../escape-Q4_K_M.gguf"), "safe GGUF"),
        (lambda m: m["files"].update(Q4_K_M="model-Q8_0.gguf"), "is not a Q4_K_M file"),
        (lambda m: m.update(kind="vision"), "kind"),
        (lambda m: m.update(parameters="1.5B"), "parameters"),
        (lambda m: m["description"].pop("zh_CN"), "zh_CN"),
        (lambda m: m.update(repo="no-slash"), "repository id"),
        (lambda m: m.update(sizes={"Q3_K_S": 10}), "'sizes'"),
        (lambda m: m.update(sizes={"Q4_K_M": -1}), "'sizes'"),
    ],
)
def test_a_bad_entry_is_a_clear_error(change: Any, words: str, tmp_path: Path) -> None:
    raw = _raw()
    entry = copy.deepcopy(raw["models"][1])
    change(entry)
    raw["models"][1] = entry
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert info.value.code == "models_catalogue_invalid"
    assert str(path) in message and words in message
    assert "\n" not in message


def test_duplicate_ids_defaults_and_broken_json(tmp_path: Path) -> None:
    raw = _raw()
    raw["models"].append(copy.deepcopy(raw["models"][0]))
    with pytest.raises(CatalogueError, match="used twice"):
        parse_catalogue(raw)
    raw = _raw()
    for entry in raw["models"]:
        entry["default"] = True
    with pytest.raises(CatalogueError, match="more than one default"):
        parse_catalogue(raw)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CatalogueError):
        load_catalogue(bad)
    with pytest.raises(CatalogueError):
        load_catalogue(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("name", "quant"),
    [
        ("qwen2.5-1.5b-instruct-q4_k_m.gguf", "Q4_K_M"),
        ("qwen2.5-7b-instruct-q8_0-00001-of-00003.gguf", "Q8_0"),
        ("Llama-3.2-1B-Instruct-Q6_K_L.gguf", "Q6_K_L"),
        ("google_gemma-3-4b-it-Q4_K_M.gguf", "Q4_K_M"),
        ("nomic-embed-text-v1.5.Q5_K_S.gguf", "Q5_K_S"),
        ("nomic-embed-text-v1.5.f16.gguf", "F16"),
        ("bge-m3-FP16.gguf", "F16"),
        ("Qwen3-4B-UD-Q4_K_XL.gguf", "Q4_K_XL"),
        ("model-IQ4_XS.gguf", "IQ4_XS"),
        ("model-bf16.gguf", "BF16"),
        ("Q4_K_M/model-00001-of-00002.gguf", "Q4_K_M"),
        ("model.gguf", None),
    ],
)
def test_quantization_from_file_names(name: str, quant: str | None) -> None:
    assert quantization_of(name) == quant


def test_split_names_and_grouping() -> None:
    part = split_part("m-Q8_0-00002-of-00003.gguf")
    assert part is not None and (part.stem, part.index, part.count) == ("m-Q8_0", 2, 3)
    assert split_part("m-Q8_0-00004-of-00003.gguf") is None
    assert split_names("m-Q8_0-00003-of-00003.gguf") == [
        "m-Q8_0-00001-of-00003.gguf", "m-Q8_0-00002-of-00003.gguf", "m-Q8_0-00003-of-00003.gguf",
    ]  # fmt: skip
    files = [
        RemoteFileInfo("m-Q8_0-00002-of-00003.gguf", 10),
        RemoteFileInfo("m-Q8_0-00001-of-00003.gguf", 10),
        RemoteFileInfo("m-Q8_0-00003-of-00003.gguf", 10),
        RemoteFileInfo("m-Q4_K_M-00001-of-00002.gguf", 7),  # its second part is missing
        RemoteFileInfo("m-Q2_K.gguf", 5),
        RemoteFileInfo("mmproj-m-f16.gguf", 3),
        RemoteFileInfo("config.json", 1),
    ]
    groups = group_model_files(files)
    assert [(g.quantization, g.size, g.complete) for g in groups] == [
        ("Q2_K", 5, True), ("Q4_K_M", 7, False), ("Q8_0", 30, True),
    ]  # fmt: skip
    assert groups[2].filename == "m-Q8_0-00001-of-00003.gguf"


@pytest.mark.parametrize(
    "name", ["../x.gguf", "a/../../x.gguf", "/x.gguf", "C:x.gguf", "a\\x.gguf", "", "x.bin",
             "a/./x.gguf", "a//x.gguf", "x\0.gguf"],
)  # fmt: skip
def test_unsafe_file_names(name: str) -> None:
    with pytest.raises(BadRequest):
        check_filename(name)


def test_safe_names_and_repo_ids() -> None:
    assert check_filename("Q4_K_M/model-00001-of-00002.gguf")
    assert check_repo_id("Qwen/Qwen2.5-1.5B-Instruct-GGUF")
    for bad in ("Qwen", "a/b/c", "../x", "a/..", "a /b"):
        with pytest.raises(BadRequest):
            check_repo_id(bad)
