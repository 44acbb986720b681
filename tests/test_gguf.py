"""The GGUF pre-flight check: real headers read right, every kind of bad file refused."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from core.engine.errors import ModelFileError
from core.engine.gguf import read_header
from tests.gguf_writer import write_gguf


def test_real_models_read_completely(gemma_path: Path, qwen_path: Path) -> None:
    gemma = read_header(gemma_path)
    assert gemma.architecture == "gemma3"
    assert gemma.context_length == 32768
    assert gemma.chat_template is None
    assert gemma.quantization == "Q4_K_M"
    assert gemma.arch_value("attention.sliding_window") == 512
    assert 260e6 < gemma.parameter_count < 280e6
    # Every byte of the file is accounted for by the tensors the header declares.
    assert gemma.expected_size == gemma.file_size == gemma_path.stat().st_size

    qwen = read_header(qwen_path)
    assert qwen.architecture == "qwen2"
    assert qwen.chat_template is not None and "<|im_start|>" in qwen.chat_template
    assert qwen.arch_value("attention.head_count_kv") == 2
    assert qwen.expected_size == qwen.file_size
    assert not qwen.is_embedding_model


def _code(path: Path) -> str:
    with pytest.raises(ModelFileError) as info:
        read_header(path)
    return info.value.code


def test_missing_file(tmp_path: Path) -> None:
    assert _code(tmp_path / "nope.gguf") == "model_missing"


def test_folder_is_not_a_model(tmp_path: Path) -> None:
    assert _code(tmp_path) == "model_not_file"


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    assert _code(path) == "model_not_gguf"


def test_random_bytes_named_gguf(tmp_path: Path) -> None:
    path = tmp_path / "random.gguf"
    path.write_bytes(bytes(range(256)) * 64)
    assert _code(path) == "model_not_gguf"


def test_unknown_version(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "v9.gguf", {"general.architecture": "llama"}, version=9)
    assert _code(path) == "model_bad_version"


def test_file_ending_inside_header(tmp_path: Path, gemma_path: Path) -> None:
    path = tmp_path / "head.gguf"
    path.write_bytes(gemma_path.read_bytes()[:4096])
    assert _code(path) == "model_header_truncated"


def test_truncated_tensor_data(tmp_path: Path, gemma_path: Path) -> None:
    path = tmp_path / "half.gguf"
    with gemma_path.open("rb") as src:
        path.write_bytes(src.read(gemma_path.stat().st_size // 2))
    with pytest.raises(ModelFileError) as info:
        read_header(path)
    assert info.value.code == "model_truncated"
    assert info.value.params["expected"] == gemma_path.stat().st_size


def test_implausible_counts(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "huge.gguf", {}, n_tensors=10**12)
    assert _code(path) == "model_corrupt"


def test_impossible_tensor_shape(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "shape.gguf", {"general.architecture": "llama"},
                      [("w", (4, 0), 0)])  # fmt: skip
    assert _code(path) == "model_corrupt"


def test_too_many_dimensions(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "dims.gguf", {}, [("w", (1, 1, 1, 1, 1), 0)])
    assert _code(path) == "model_corrupt"


def test_string_longer_than_file(tmp_path: Path) -> None:
    path = tmp_path / "longstr.gguf"
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 40) + b"key"
    path.write_bytes(body)
    assert _code(path) == "model_header_truncated"


def test_small_valid_file_reads(tmp_path: Path) -> None:
    path = write_gguf(
        tmp_path / "tiny.gguf",
        {"general.architecture": "llama", "general.name": "Tiny", "llama.context_length": 128},
        [("a", (8,), 0), ("b", (4, 2), 0)],
    )
    header = read_header(path)
    assert header.name == "Tiny"
    assert header.context_length == 128
    assert header.parameter_count == 16
    assert header.expected_size == path.stat().st_size


def test_messages_exist_in_both_languages(tmp_path: Path) -> None:
    from core.i18n import Translator

    with pytest.raises(ModelFileError) as info:
        read_header(tmp_path / "gone.gguf")
    english = info.value.message(Translator("en"))
    chinese = info.value.message(Translator("zh_CN"))
    assert "not found" in english and "gone.gguf" in english
    assert "找不到" in chinese and "gone.gguf" in chinese
