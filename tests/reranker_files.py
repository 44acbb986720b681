"""A stand-in reranker for tests: the shared MiniLM sentence model declared as a rank model.

No cross-encoder's weights can be had on the machines that build Fireside: the Hub is out of
reach, and no PyPI package was found that ships a cross-encoder (searched: rerank,
cross-encoder, ms-marco, minilm; the packages that turned up carry a scikit-learn model or
only code that downloads weights at run time). So the reranker path is tested on the shared
all-MiniLM-L6-v2 GGUF with its ``bert.pooling_type`` changed from mean (1) to rank (4), a
same-size byte patch of one header value. llama.cpp then runs it as it runs a BERT
cross-encoder (``[CLS] query [SEP] document [SEP]``, the CLS row read through rank pooling);
without a classifier head the "score" is the first component of that row's hidden state, so
it tests the plumbing (pair input, one sequence per pair, the score read per sequence), not
relevance.
"""

from __future__ import annotations

import struct
from pathlib import Path

from tests.model_files import cache_dir, sentence_model

_KEY = b"bert.pooling_type"
_UINT32 = 4  # GGUF value type


def minilm_as_reranker() -> Path:
    """The patched copy, made once and kept beside the cached test models."""
    target = cache_dir() / "all-MiniLM-L6-v2-f16-rank.gguf"
    if target.is_file():
        return target
    data = bytearray(sentence_model().read_bytes())
    key = struct.pack("<Q", len(_KEY)) + _KEY
    at = data.find(key)
    if at < 0 or data.count(key) != 1:
        raise RuntimeError("the MiniLM header has no single bert.pooling_type entry")
    value_at = at + len(key)
    vtype, value = struct.unpack_from("<II", data, value_at)
    if vtype != _UINT32 or value != 1:
        raise RuntimeError(f"unexpected bert.pooling_type: type {vtype}, value {value}")
    struct.pack_into("<I", data, value_at + 4, 4)
    partial = target.with_suffix(".part")
    partial.write_bytes(bytes(data))
    partial.replace(target)
    return target
