"""A tiny GGUF writer for tests that need files no real model is: damaged or strange ones."""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


# ---- a real model with another chat template -------------------------------------------

_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def _skip_value(f: BinaryIO, vtype: int) -> None:
    if vtype == 8:
        f.seek(struct.unpack("<Q", f.read(8))[0], 1)
    elif vtype == 9:
        etype, count = struct.unpack("<IQ", f.read(12))
        if etype == 8:
            for _ in range(count):
                f.seek(struct.unpack("<Q", f.read(8))[0], 1)
        else:
            f.seek(_SIZES[etype] * count, 1)
    else:
        f.seek(_SIZES[vtype], 1)


def with_chat_template(src: Path, dst: Path, template: str) -> Path:
    """A copy of a real model with ``tokenizer.chat_template`` added to its header."""
    with src.open("rb") as f:
        magic, version, n_tensors, n_kv = struct.unpack("<4sIQQ", f.read(24))
        for _ in range(n_kv):
            f.seek(struct.unpack("<Q", f.read(8))[0], 1)
            _skip_value(f, struct.unpack("<I", f.read(4))[0])
        kv_end = f.tell()
        for _ in range(n_tensors):
            f.seek(struct.unpack("<Q", f.read(8))[0], 1)
            (dims,) = struct.unpack("<I", f.read(4))
            f.seek(8 * dims + 4 + 8, 1)
        infos_end = f.tell()
        f.seek(0)
        head = f.read(infos_end)
        key, value = b"tokenizer.chat_template", template.encode()
        entry = struct.pack("<Q", len(key)) + key + struct.pack("<IQ", 8, len(value)) + value
        out = bytearray(struct.pack("<4sIQQ", magic, version, n_tensors, n_kv + 1))
        out += head[24:kv_end] + entry + head[kv_end:infos_end]
        out += b"\0" * (-len(out) % 32)
        f.seek(infos_end + (-infos_end % 32))
        with dst.open("wb") as target:
            target.write(out)
            shutil.copyfileobj(f, target, 16 << 20)
    return dst
