"""A BERT cross-encoder's score computed in numpy from a GGUF file's own weights.

The reference the reranker's scores are checked against, written from the Hugging Face
definitions (``BertModel`` then ``BertForSequenceClassification``), not from llama.cpp:
embeddings (token + position + segment) and their LayerNorm; per layer, 12-head
self-attention, its output projection, residual and LayerNorm, then the feed-forward with
the exact (erf) GELU, residual and LayerNorm; the CLS row through the pooler (dense + tanh)
and the classifier. Weights are read from the GGUF (F16 or F32, as stored) and computed in
float64, so the only differences from llama.cpp are its own: float16 products, its tanh
approximation of GELU, the order of its sums. Checked once against transformers'
``BertForSequenceClassification`` (torch, CPU) on a checkpoint of all-MiniLM-L6-v2's real
encoder and pooler with a made-up classifier, converted with llama.cpp's converter: within
3e-4 on six pairs (bench/README.md, "What is proven without real weights").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.engine.gguf import GGUFHeader, read_header

_DTYPES = {0: np.float32, 1: np.float16}
_erf = np.vectorize(math.erf)


class BertReference:
    """The forward pass of one BERT GGUF file (all-MiniLM's layout: separate Q, K, V)."""

    def __init__(self, path: Path) -> None:
        self.header: GGUFHeader = read_header(path)
        self.eps = float(self.header.arch_value("attention.layer_norm_epsilon", 1e-12))
        self.n_head = int(self.header.arch_int("attention.head_count") or 0)
        self.n_layer = int(self.header.arch_int("block_count") or 0)
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        self.weights: dict[str, np.ndarray] = {}
        for tensor in self.header.tensors:
            if tensor.ggml_type not in _DTYPES:
                raise ValueError(f"{tensor.name}: only F16 and F32 tensors are read here")
            start = self.header.data_offset + tensor.offset
            values = raw[start : start + (tensor.n_bytes or 0)].view(_DTYPES[tensor.ggml_type])
            # ggml lists the fastest dimension first; numpy the slowest.
            shape = tuple(reversed(tensor.shape))
            self.weights[tensor.name] = values.reshape(shape).astype(np.float64)

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        normed: np.ndarray = (x - mean) / np.sqrt(var + self.eps)
        return normed * self.weights[f"{name}.weight"] + self.weights[f"{name}.bias"]

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        # einsum's own loops, not BLAS: OpenBLAS's threads cost more than these small
        # products on a busy machine (30 ms against 2 ms each, measured on 2 cores).
        out: np.ndarray = np.einsum("...i,oi->...o", x, self.weights[f"{name}.weight"])
        bias = self.weights.get(f"{name}.bias")
        return out if bias is None else out + bias

    def hidden(self, tokens: Sequence[int], segments: Sequence[int] | None = None) -> np.ndarray:
        """The last layer's hidden states, one row per token. ``segments`` are BERT's token
        type ids (0 for the query's part, 1 for the document's); all 0 when not given."""
        w = self.weights
        n = len(tokens)
        types = np.zeros(n, dtype=int) if segments is None else np.asarray(segments)
        x = w["token_embd.weight"][list(tokens)] + w["position_embd.weight"][:n]
        x = self._norm(x + w["token_types.weight"][types], "token_embd_norm")
        head_dim = x.shape[1] // self.n_head
        for layer in range(self.n_layer):
            block = f"blk.{layer}"
            q, k, v = (
                self._linear(x, f"{block}.attn_{part}").reshape(n, self.n_head, head_dim)
                for part in "qkv"
            )
            weights = np.einsum("qhd,khd->hqk", q, k) / math.sqrt(head_dim)
            weights = np.exp(weights - weights.max(axis=-1, keepdims=True))
            weights /= weights.sum(axis=-1, keepdims=True)
            attended = np.einsum("hqk,khd->qhd", weights, v).reshape(n, -1)
            x = self._norm(self._linear(attended, f"{block}.attn_output") + x,
                           f"{block}.attn_output_norm")  # fmt: skip
            up = self._linear(x, f"{block}.ffn_up")
            up = 0.5 * up * (1.0 + _erf(up / math.sqrt(2.0)))
            x = self._norm(self._linear(up, f"{block}.ffn_down") + x,
                           f"{block}.layer_output_norm")  # fmt: skip
        return x

    def score(self, tokens: Sequence[int], segments: Sequence[int] | None = None) -> float:
        """``BertForSequenceClassification``'s one logit: the CLS row through the pooler
        (``cls``: dense, tanh) and the classifier (``cls.output``)."""
        cls_row = self.hidden(tokens, segments)[0]
        pooled = np.tanh(self._linear(cls_row, "cls"))
        return float(self._linear(pooled, "cls.output")[0])


def segment_ids(tokens: Sequence[int], sep: int) -> list[int]:
    """BERT's token types for ``[CLS] query [SEP] document [SEP]``: 0 up to and including
    the first [SEP], 1 after it."""
    first = list(tokens).index(sep)
    return [0] * (first + 1) + [1] * (len(tokens) - first - 1)
