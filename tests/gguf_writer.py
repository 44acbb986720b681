"""A tiny GGUF writer for tests that need files no real model is: damaged or strange ones."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_TYPES = {int: (10, "<Q"), float: (6, "<f"), bool: (7, "<?")}


@dataclass(frozen=True)
class Typed:
    """A metadata value written with an explicit GGUF type: ``Typed(5, "<i", -1)`` is an
    int32, ``Typed(12, "<d", float("nan"))`` a float64 (plain ints are written as uint64)."""

    vtype: int
    fmt: str
    value: object


def int32(value: int) -> Typed:
    return Typed(5, "<i", value)


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def _value(value: object) -> bytes:
    if isinstance(value, Typed):
        return struct.pack("<I", value.vtype) + struct.pack(value.fmt, value.value)
    if isinstance(value, str):
        return struct.pack("<I", 8) + _string(value)
    for kind, (code, fmt) in _TYPES.items():
        if type(value) is kind:
            return struct.pack("<I", code) + struct.pack(fmt, value)
    raise TypeError(value)


def write_gguf(
    path: Path,
    metadata: dict[str, object],
    tensors: list[tuple[str, tuple[int, ...], int]] = (),  # type: ignore[assignment]
    *,
    version: int = 3,
    magic: bytes = b"GGUF",
    data: bytes | None = None,
    n_tensors: int | None = None,
) -> Path:
    """Write a GGUF file. ``tensors`` are (name, shape, ggml type) of F32 (type 0) tensors
    laid out one after another; ``data`` replaces the tensor data (to truncate it)."""
    out = bytearray(magic + struct.pack("<I", version))
    out += struct.pack("<Q", len(tensors) if n_tensors is None else n_tensors)
    out += struct.pack("<Q", len(metadata))
    for key, value in metadata.items():
        out += _string(key) + _value(value)
    offset = 0
    sizes = []
    for name, shape, ggml_type in tensors:
        out += _string(name) + struct.pack("<I", len(shape))
        for dim in shape:
            out += struct.pack("<Q", dim)
        out += struct.pack("<I", ggml_type) + struct.pack("<Q", offset)
        count = 1
        for dim in shape:
            count *= dim
        size = count * 4
        sizes.append(size)
        offset += (size + 31) // 32 * 32
    out += b"\0" * ((-len(out)) % 32)
    out += data if data is not None else b"\0" * offset
    path.write_bytes(bytes(out))
    return path
