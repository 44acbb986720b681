"""fireside-cli doctor, end to end in its own process: the build, its devices, threads,
folders and where the default chat model would run, in both languages and as JSON; and
``models fit`` with the split between GPU and RAM (on this CPU-only build: "CPU only")."""

from __future__ import annotations

import json
from pathlib import Path

from core.i18n import Translator
from core.models.units import human_size
from core.paths import AppPaths
from tests.cli_process import run_cli


def _use_qwen(qwen_path: Path) -> str:
    imported = run_cli("models", "import", str(qwen_path), "--json")
    assert imported.returncode == 0, imported.stderr
    model_id = str(json.loads(imported.stdout)["id"])
    assert run_cli("models", "use", model_id).returncode == 0
    return model_id


def test_doctor_says_the_build_devices_threads_folders_and_the_default_model(
    fireside_home: Path, qwen_path: Path
) -> None:
    paths = AppPaths.from_env()
    bare = run_cli("doctor")
    assert bare.returncode == 0, bare.stderr
    lines = bare.stdout.splitlines()
    assert lines[0].startswith("llama.cpp: llama-cpp-python ")
    assert "GPU offload: no (this llama.cpp build runs models on the CPU only)" in lines
    # pip's build links one CPU backend in; a release build names the one it chose
    assert "CPU kernels: fixed when llama.cpp was built (no choice at run time)" in lines
    assert any(line.startswith("Device 0: CPU (CPU, ") for line in lines), lines
    assert any(line.startswith("Threads: ") for line in lines)
    assert f"Chats, models and documents: {paths.data_dir}" in lines
    assert f"Logs: {paths.log_dir}" in lines
    assert lines[-1] == "Default chat model: none chosen (fireside-cli models use ID)"

    _use_qwen(qwen_path)
    result = run_cli("doctor")
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.startswith("  Would run with a 4096-token context: CPU only: all ")
    assert last.endswith(" in RAM (fits)")
    assert "GPU" not in last  # nothing about a GPU this build does not have


def test_doctor_in_chinese(fireside_home: Path, qwen_path: Path) -> None:
    _use_qwen(qwen_path)
    result = run_cli("--lang", "zh_CN", "doctor")
    assert result.returncode == 0, result.stderr
    tr = Translator("zh_CN")
    lines = result.stdout.splitlines()
    assert tr("doctor_offload_no") in lines
    assert any(line.startswith("设备 0：CPU（CPU，") for line in lines), lines
    assert lines[-1].startswith("  以 4096 个 token 的上下文运行：仅使用 CPU：")
    assert "Device" not in result.stdout and "Would run" not in result.stdout


def test_doctor_json(fireside_home: Path, qwen_path: Path) -> None:
    model_id = _use_qwen(qwen_path)
    result = run_cli("doctor", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["gpu_offload"] is False
    assert report["cpu_variant"] == ""
    assert [d["kind"] for d in report["devices"]] == ["cpu"]
    cpu = report["devices"][0]
    assert 0 < cpu["free"] <= cpu["total"]
    assert report["threads"]["used"] >= 1
    assert report["folders"]["data"] == str(AppPaths.from_env().data_dir)
    model = report["default_chat_model"]
    assert model["id"] == model_id and model["verdict"] == "fits"
    assert (model["speed"], model["device"], model["gpu_layers"], model["n_layers"]) == (
        "cpu", None, 0, 24,
    )  # fmt: skip
    assert model["gpu_bytes"] == 0 and model["ram_bytes"] > qwen_path.stat().st_size


def test_doctor_names_a_default_model_whose_file_is_damaged(
    fireside_home: Path, gemma_path: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "gemma-copy.gguf"
    copy.write_bytes(gemma_path.read_bytes())
    _use_qwen(copy)  # any model file: imported and made the default
    with copy.open("r+b") as handle:
        handle.truncate(copy.stat().st_size // 2)  # then cut short, as by a failed copy
    result = run_cli("doctor")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.startswith("  It cannot be used: ") and "incomplete" in last, last


def test_models_fit_shows_the_split_and_cpu_only(fireside_home: Path, qwen_path: Path) -> None:
    model_id = _use_qwen(qwen_path)
    text = run_cli("models", "fit", model_id, "--ctx", "2048")
    assert text.returncode == 0, text.stderr
    first, split = text.stdout.splitlines()
    assert first.startswith("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf: needs about ")
    data = json.loads(run_cli("models", "fit", model_id, "--ctx", "2048", "--json").stdout)
    assert split == f"  CPU only: all {human_size(data['ram_bytes'])} in RAM"
    assert data["speed"] == "cpu" and data["gpu_bytes"] == 0
    assert data["ram_bytes"] == data["need_bytes"]
    # A chat model's second context for whole documents: its own 24 MiB KV cache and
    # buffers (tests/test_models_fit.py works the figures out), named in the line.
    assert data["side_cache_bytes"] == 111_756_800
    assert f"reading whole documents {human_size(data['side_cache_bytes'])})" in first
    zh = run_cli("--lang", "zh_CN", "models", "fit", model_id, "--ctx", "2048")
    assert (
        zh.stdout.splitlines()[1] == f"  仅使用 CPU：{human_size(data['ram_bytes'])} 全部在内存中"
    )
