"""BERT's token types for a cross-encoder's pair, which llama.cpp does not take.

A BERT cross-encoder (ms-marco-MiniLM, TinyBERT) reads ``[CLS] query [SEP] document [SEP]``
with the document's tokens as segment B: each input row is the token's embedding plus its
segment's (token type 1 after the first [SEP]). llama.cpp's BERT graph adds type 0 to every
token ("hardcoded to zero") and its API passes no types, so for such a model it scores
another input than the one the model was trained on (up to 0.026 apart from PyTorch on
MiniLM with a made-up classifier; bench/README.md).

A batch may carry input rows instead of token ids, and llama.cpp still adds type 0 and the
positions to them. So :class:`SegmentEmbeddings` gives, for each token, its embedding plus
``type[segment] - type[0]``, which llama.cpp completes to the embedding plus its segment's:
what PyTorch computes (within 7e-4 measured, against 0.026 with ids alone). The rows are
read from the file itself (token embeddings stored as F32, F16, BF16 or Q8_0, dequantized
as ggml does). A model with one token type (XLM-RoBERTa: bge-reranker-v2-m3), or whose
token embeddings are stored in another format, gets none: its pairs go as token ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from core.engine.gguf import GGUFHeader, TensorInfo

# ggml types whose rows are read here: F32, F16, Q8_0, BF16
_F32, _F16, _Q8_0, _BF16 = 0, 1, 8, 30
_Q8_BLOCK: Final = 32  # values per Q8_0 block: an F16 scale, then 32 int8
_READABLE: Final = (_F32, _F16, _Q8_0, _BF16)


def _row_bytes(tensor: TensorInfo, width: int) -> int:
    if tensor.ggml_type == _Q8_0:
        return width // _Q8_BLOCK * (2 + _Q8_BLOCK)
    return width * {_F32: 4, _F16: 2, _BF16: 2}[tensor.ggml_type]


def _decode(raw: np.ndarray, ggml_type: int, width: int) -> np.ndarray:
    """Rows of ``raw`` bytes (one row per line) as float32, as ggml dequantizes them."""
    if ggml_type == _F32:
        return raw.view(np.float32).reshape(-1, width).copy()
    if ggml_type == _F16:
        return raw.view(np.float16).reshape(-1, width).astype(np.float32)
    if ggml_type == _BF16:
        wide = raw.view(np.uint16).astype(np.uint32) << 16
        return wide.view(np.float32).reshape(-1, width)
    blocks = raw.reshape(-1, 2 + _Q8_BLOCK)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    values = blocks[:, 2:].copy().view(np.int8).astype(np.float32)
    decoded: np.ndarray = (values * scale).reshape(-1, width)
    return decoded


class SegmentEmbeddings:
    """The input rows of a BERT cross-encoder's pair with its token types."""

    def __init__(self, header: GGUFHeader, tokens: TensorInfo, types: TensorInfo) -> None:
        self.width = int(tokens.shape[0])
        self._tokens = tokens
        self._file = np.memmap(header.path, dtype=np.uint8, mode="r")
        self._data = header.data_offset
        type_rows = self._read(types, range(int(types.shape[1])))
        self.shift = type_rows - type_rows[0]  # what llama.cpp's type 0 leaves to add

    @classmethod
    def for_model(cls, header: GGUFHeader) -> SegmentEmbeddings | None:
        """Segments for a BERT with two or more token types whose token embeddings can be
        read here; None when its pairs should go as token ids."""
        if header.architecture != "bert":
            return None
        named = {t.name: t for t in header.tensors}
        tokens, types = named.get("token_embd.weight"), named.get("token_types.weight")
        if tokens is None or types is None or len(types.shape) != 2 or types.shape[1] < 2:
            return None
        readable = (tokens, types)
        if any(t.ggml_type not in _READABLE or len(t.shape) != 2 for t in readable):
            return None
        if any(t.ggml_type == _Q8_0 and t.shape[0] % _Q8_BLOCK for t in readable):
            return None
        if types.shape[0] != tokens.shape[0]:
            return None
        return cls(header, tokens, types)

    def _read(self, tensor: TensorInfo, rows: Sequence[int] | range) -> np.ndarray:
        size = _row_bytes(tensor, self.width)
        start = self._data + tensor.offset
        picked = np.stack([self._file[start + r * size : start + (r + 1) * size] for r in rows])
        return _decode(picked, tensor.ggml_type, self.width)

    def rows(self, tokens: Sequence[int], segments: Sequence[int]) -> np.ndarray:
        """One float32 row per token: its embedding plus its segment's, less type 0's."""
        embedded = self._read(self._tokens, tokens)
        result: np.ndarray = embedded + self.shift[np.asarray(segments, dtype=np.intp)]
        return np.ascontiguousarray(result, dtype=np.float32)

    def close(self) -> None:
        """Let go of the file (the memory map closes when nothing refers to it)."""
        del self._file


def pair_segments(tokens: Sequence[int], separator: int) -> list[int]:
    """BERT's token types for ``[CLS] query [SEP] document [SEP]``: 0 up to and including
    the first separator, 1 after it (all 0 when there is none)."""
    try:
        first = list(tokens).index(separator)
    except ValueError:
        return [0] * len(tokens)
    return [0] * (first + 1) + [1] * (len(tokens) - first - 1)
