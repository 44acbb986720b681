"""Reading and checking GGUF headers without llama.cpp.

llama.cpp aborts the whole process on some malformed files, and happily mmaps a truncated
one until a page fault kills it. So every file is read here first, in the calling process:
the signature, the version, every metadata entry and tensor description, and the size the
tensors declare against the size of the file. The same reader gives the model manager the
figures it needs (architecture, layers, heads, context) without loading anything.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from core.engine.errors import ModelFileError
from core.i18n import Phrase

MAGIC: Final = b"GGUF"
SUPPORTED_VERSIONS: Final = (2, 3)
DEFAULT_ALIGNMENT: Final = 32
MAX_DIMS: Final = 4
# Sanity bounds far above any real model; a header claiming more is damaged.
MAX_TENSORS: Final = 1_000_000
MAX_KV: Final = 1_000_000
RANK_POOLING: Final = 4  # llama.cpp's LLAMA_POOLING_TYPE_RANK, as GGUF files declare it

# ggml tensor types: id -> (name, elements per block, bytes per block)
GGML_TYPES: Final[dict[int, tuple[str, int, int]]] = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 36),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
}

# general.file_type -> the quantization name people see in file names
FILE_TYPES: Final[dict[int, str]] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
    37: "TQ2_0", 38: "MXFP4_MOE",
}  # fmt: skip

# GGUF metadata value types
_SCALARS: Final[dict[int, str]] = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
    11: "<q", 12: "<d",
}  # fmt: skip
_STRING: Final = 8
_ARRAY: Final = 9
_U32_MAX: Final = 2**32 - 1
MAX_ALIGNMENT: Final = 1 << 24


class ArrayLength(int):
    """An array in the metadata, kept as its length (its items are not needed here), and
    distinct from a plain number so that a count is never mistaken for a figure."""


@dataclass(frozen=True)
class _Field:
    """A metadata value Fireside reads, with the type and range it must have. A hostile or
    damaged file can put any type under any key; each one read is checked here, once, so a
    bad value refuses the file with its reason instead of raising wherever it is used."""

    key: str
    kind: Literal["int", "text", "array"]
    low: int = 0
    high: int = _U32_MAX
    per_layer: bool = False  # an array of per-layer values is allowed too (OpenELM, DeciLM)


_GENERAL_FIELDS: Final = (
    _Field("general.architecture", "text"),
    _Field("general.file_type", "int"),
    _Field("general.alignment", "int", 1, MAX_ALIGNMENT),
    _Field("tokenizer.chat_template", "text"),
    _Field("tokenizer.ggml.tokens", "array"),
)
# Per-architecture figures, read as f"{architecture}.{key}".
_ARCH_FIELDS: Final = (
    _Field("context_length", "int", 1),
    _Field("block_count", "int"),
    _Field("embedding_length", "int"),
    _Field("feed_forward_length", "int", per_layer=True),
    _Field("attention.head_count", "int", per_layer=True),
    _Field("attention.head_count_kv", "int", per_layer=True),
    _Field("attention.key_length", "int"),
    _Field("attention.value_length", "int"),
    _Field("attention.sliding_window", "int"),
    _Field("pooling_type", "int"),
    _Field("vocab_size", "int"),
)


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int

    @property
    def n_elements(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    @property
    def n_bytes(self) -> int | None:
        """Bytes in the file, or None for a type this reader does not know."""
        spec = GGML_TYPES.get(self.ggml_type)
        if spec is None:
            return None
        _, block, size = spec
        return self.n_elements // block * size


@dataclass(frozen=True)
class GGUFHeader:
    """What a GGUF file says about itself. ``metadata`` holds scalars and strings;
    arrays appear as their length (an :class:`ArrayLength`) under the key. Every value
    Fireside reads has been checked for its type and range (``_check_fields``)."""

    path: Path
    version: int
    file_size: int
    data_offset: int
    metadata: dict[str, Any]
    tensors: tuple[TensorInfo, ...] = field(repr=False)

    @property
    def architecture(self) -> str:
        return _architecture(self.metadata)

    @property
    def name(self) -> str:
        value = self.metadata.get("general.name")
        return value.strip() if isinstance(value, str) and value.strip() else self.path.stem

    def arch_value(self, key: str, default: Any = None) -> Any:
        """A per-architecture figure such as ``context_length`` or ``block_count``."""
        return self.metadata.get(f"{self.architecture}.{key}", default)

    def arch_int(self, key: str) -> int | None:
        """A per-architecture number, or None when absent or given per layer (an array)."""
        value = self.arch_value(key)
        return value if type(value) is int else None

    @property
    def context_length(self) -> int | None:
        return self.arch_int("context_length")

    @property
    def vocab_size(self) -> int:
        """Tokens in the vocabulary: the token list's length, else the declared size, else 0."""
        tokens = self.metadata.get("tokenizer.ggml.tokens")
        if isinstance(tokens, ArrayLength):
            return int(tokens)
        return self.arch_int("vocab_size") or 0

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value else None

    @property
    def parameter_count(self) -> int:
        return sum(t.n_elements for t in self.tensors)

    @property
    def quantization(self) -> str | None:
        file_type = self.metadata.get("general.file_type")
        return FILE_TYPES.get(file_type) if type(file_type) is int else None

    @property
    def expected_size(self) -> int:
        """The smallest file size that holds every tensor the header declares."""
        end = self.data_offset
        for tensor in self.tensors:
            size = tensor.n_bytes
            end = max(end, self.data_offset + tensor.offset + (size or 0))
        return end

    @property
    def is_reranker(self) -> bool:
        """A cross-encoder: declares llama.cpp's rank pooling (4) or carries a classifier
        head (``cls.output.weight``), which rank pooling reads a score from."""
        if self.arch_int("pooling_type") == RANK_POOLING:
            return True
        return any(t.name == "cls.output.weight" for t in self.tensors)

    @property
    def lacks_classifier_pooler(self) -> bool:
        """A BERT cross-encoder as llama.cpp's stock converter writes it: the classifier
        (``cls.output``) without the pooler (``cls``: dense + tanh) that
        ``BertForSequenceClassification`` runs before it, which the converter drops. llama.cpp
        then scores ``classifier(CLS row)``, another function than the model's (measured in
        bench/README.md: another order of the same documents)."""
        names = {t.name for t in self.tensors}
        return (
            self.architecture == "bert"
            and "cls.output.weight" in names
            and "cls.weight" not in names
        )

    @property
    def is_embedding_model(self) -> bool:
        """Encoder-only architectures and models that declare a pooling type."""
        if self.architecture in {"bert", "nomic-bert", "jina-bert-v2", "t5encoder", "xlm-roberta"}:
            return True
        return self.arch_int("pooling_type") not in (None, 0)


class _Reader:
    """Bounds-checked little-endian reads over a memory map."""

    def __init__(self, buf: mmap.mmap | bytes, path: Path) -> None:
        self.buf = buf
        self.pos = 0
        self.path = path

    def _need(self, count: int) -> None:
        if count < 0 or self.pos + count > len(self.buf):
            raise _Truncated

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        self._need(size)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        length = self.unpack("<Q")
        self._need(length)
        raw = bytes(self.buf[self.pos : self.pos + length])
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.unpack("<Q")
        self._need(length)
        self.pos += length

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            item_type = self.unpack("<I")
            count = self.unpack("<Q")
            if item_type in _SCALARS:
                size = struct.calcsize(_SCALARS[item_type])
                self._need(count * size)
                self.pos += count * size
            elif item_type == _STRING:
                if count * 8 > len(self.buf) - self.pos:
                    raise _Truncated
                for _ in range(count):
                    self.skip_string()
            else:
                raise _Corrupt("gguf_value_type", vtype=item_type)
            return ArrayLength(count)
        raise _Corrupt("gguf_value_type", vtype=vtype)


class _Truncated(Exception):
    pass


class _Corrupt(Exception):
    """What is wrong, as a phrase the person reads in their own language."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.reason = Phrase(code, **params)


def _architecture(metadata: dict[str, Any]) -> str:
    value = metadata.get("general.architecture")
    return value if isinstance(value, str) and value else "unknown"


def _shown(value: Any) -> str:
    """A value as the person may see it: quoted and escaped (a file can hold control
    characters or terminal escapes), and short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_fields(metadata: dict[str, Any]) -> None:
    """Every value Fireside reads has the type and range it must have (see ``_Field``)."""
    arch = _architecture(metadata)
    checks = [(f.key, f) for f in _GENERAL_FIELDS] + [(f"{arch}.{f.key}", f) for f in _ARCH_FIELDS]
    for key, spec in checks:
        if key not in metadata:
            continue
        value = metadata[key]
        if spec.kind == "text":
            if not isinstance(value, str):
                raise _Corrupt("gguf_field_not_text", key=key, value=_shown(value))
        elif spec.kind == "array":
            if not isinstance(value, ArrayLength):
                raise _Corrupt("gguf_field_not_list", key=key, value=_shown(value))
        elif isinstance(value, ArrayLength):
            if not spec.per_layer:
                raise _Corrupt("gguf_field_not_number", key=key, value=f"[{int(value)} items]")
        elif type(value) is not int:
            raise _Corrupt("gguf_field_not_number", key=key, value=_shown(value))
        elif not spec.low <= value <= spec.high:
            raise _Corrupt("gguf_field_out_of_range", key=key, value=value, low=spec.low,
                           high=spec.high)  # fmt: skip
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if alignment & (alignment - 1):
        raise _Corrupt("gguf_alignment", value=alignment)


def read_header(path: str | os.PathLike[str]) -> GGUFHeader:
    """Read and check a GGUF file's header, raising :class:`ModelFileError` on any fault.

    Checks: the file exists and is a regular readable file, the signature and version, that
    every header field lies inside the file, that tensor shapes and types are sane, and that
    the file is at least as long as its tensors declare (catches interrupted downloads).
    """
    file_path = Path(path).expanduser()
    shown = str(file_path)
    try:
        if not file_path.exists():
            raise ModelFileError("model_missing", path=shown)
        if not file_path.is_file():
            raise ModelFileError("model_not_file", path=shown)
        size = file_path.stat().st_size
        with file_path.open("rb") as handle:
            head = handle.read(8)
            if len(head) < 4 or head[:4] != MAGIC:
                raise ModelFileError("model_not_gguf", path=shown)
            if len(head) < 8:
                raise ModelFileError("model_header_truncated", path=shown)
            version = struct.unpack_from("<I", head, 4)[0]
            if version not in SUPPORTED_VERSIONS:
                raise ModelFileError("model_bad_version", path=shown, version=version)
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                header = _parse(buf, file_path, version, size)
    except OSError as exc:
        raise ModelFileError("model_unreadable", path=shown, reason=exc.strerror or exc) from exc
    if header.expected_size > size:
        raise ModelFileError(
            "model_truncated", path=shown, expected=header.expected_size, actual=size
        )
    return header


def _parse(buf: mmap.mmap, path: Path, version: int, size: int) -> GGUFHeader:
    shown = str(path)
    reader = _Reader(buf, path)
    reader.pos = 8
    try:
        n_tensors = reader.unpack("<Q")
        n_kv = reader.unpack("<Q")
        if n_tensors > MAX_TENSORS or n_kv > MAX_KV:
            raise _Corrupt("gguf_implausible_counts", tensors=n_tensors, entries=n_kv)
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = reader.string()
            vtype = reader.unpack("<I")
            metadata[key] = reader.value(vtype)
        tensors: list[TensorInfo] = []
        for _ in range(n_tensors):
            name = reader.string()
            n_dims = reader.unpack("<I")
            if not 1 <= n_dims <= MAX_DIMS:
                raise _Corrupt("gguf_tensor_dims", name=_shown(name), dims=n_dims)
            shape = tuple(reader.unpack("<Q") for _ in range(n_dims))
            ggml_type = reader.unpack("<I")
            offset = reader.unpack("<Q")
            spec = GGML_TYPES.get(ggml_type)
            if spec is not None and shape[0] % spec[1] != 0:
                raise _Corrupt("gguf_tensor_blocks", name=_shown(name), type=spec[0])
            if any(dim == 0 or dim > size * 256 for dim in shape):
                raise _Corrupt("gguf_tensor_shape", name=_shown(name), shape=shape)
            tensors.append(TensorInfo(name, shape, ggml_type, offset))
        _check_fields(metadata)
        alignment: int = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        for tensor in tensors:
            if tensor.offset % alignment:
                raise _Corrupt("gguf_tensor_misaligned", name=_shown(tensor.name))
    except _Truncated:
        raise ModelFileError("model_header_truncated", path=shown) from None
    except _Corrupt as exc:
        raise ModelFileError("model_corrupt", path=shown, reason=exc.reason) from None
    data_offset = (reader.pos + alignment - 1) // alignment * alignment
    return GGUFHeader(
        path=path,
        version=version,
        file_size=size,
        data_offset=data_offset,
        metadata=metadata,
        tensors=tuple(tensors),
    )
