"""Stand-in rerankers for tests: the shared MiniLM sentence model declared as a rank model.

No cross-encoder's weights can be had on the machines that build Fireside: the Hub is out of
reach, and no package was found on PyPI or npm that ships one (bench/README.md lists what
was searched and what the candidates held: code without a model, a scikit-learn model,
sentence-embedding models). So the reranker path is tested on the shared all-MiniLM-L6-v2 GGUF with
its ``bert.pooling_type`` changed from mean (1) to rank (4), a same-size byte patch of one
header value. llama.cpp then runs it as it runs a BERT cross-encoder (``[CLS] query [SEP]
document [SEP]``, the CLS row read through rank pooling); without a classifier head the
"score" is the first component of that row's hidden state, so it tests the plumbing (pair
input, one sequence per pair, the score read per sequence), not relevance.
``minilm_with_head`` adds a one-value head (``cls.output.weight``, 384 x 1) that picks the
CLS row's first value: the same score, read through a head, as llama.cpp does for real
rerankers (and in batches). ``minilm_cross_encoder`` adds the whole head a BERT
cross-encoder has (pooler ``cls`` with its tanh, classifier ``cls.output``, both biases),
with made-up values, for checking the scores against a reference forward pass
(tests/bert_reference.py).
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np

from core.engine.gguf import TensorInfo, read_header
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


def _tensor_info(name: str, shape: tuple[int, ...], ggml_type: int, offset: int) -> bytes:
    raw = name.encode()
    dims = b"".join(struct.pack("<Q", d) for d in shape)
    return (struct.pack("<Q", len(raw)) + raw + struct.pack("<I", len(shape)) + dims
            + struct.pack("<IQ", ggml_type, offset))  # fmt: skip


def minilm_with_head() -> Path:
    """The rank stand-in plus an F32 ``cls.output.weight`` that is 1 at the first component
    and 0 elsewhere: the CLS row's first value, read through a head."""
    target = cache_dir() / "all-MiniLM-L6-v2-f16-rank-head.gguf"
    if target.is_file():
        return target
    n_embd = int(read_header(minilm_as_reranker()).arch_int("embedding_length") or 0)
    head = np.zeros((1, n_embd), dtype=np.float32)
    head[0, 0] = 1.0
    return _with_tensors(target, [("cls.output.weight", head)])


# The seed of the made-up classification head: fixed, so the file (and its scores) are
# the same on every machine.
CROSS_ENCODER_SEED = 13


def minilm_cross_encoder() -> Path:
    """The rank stand-in with the whole classification head a BERT cross-encoder has
    (``BertForSequenceClassification``: the pooler ``cls`` = dense + tanh, then the
    one-label classifier ``cls.output``, each with its bias), the weights F16 and the
    biases F32 as llama.cpp's converter writes them.

    The head's values are drawn from a seeded generator: the file runs every operation a
    real cross-encoder runs in llama.cpp (the CLS row of each sequence, the pooler and its
    tanh, the classifier, the batched scores), so its scores can be checked against a
    reference computed outside llama.cpp (tests/bert_reference.py), but they mean nothing
    about relevance."""
    target = cache_dir() / f"all-MiniLM-L6-v2-f16-cross-encoder-{CROSS_ENCODER_SEED}.gguf"
    if target.is_file():
        return target
    n_embd = int(read_header(minilm_as_reranker()).arch_int("embedding_length") or 0)
    rng = np.random.default_rng(CROSS_ENCODER_SEED)
    scale = 1.0 / np.sqrt(n_embd)
    head = [
        ("cls.weight", (rng.normal(size=(n_embd, n_embd)) * scale).astype(np.float16)),
        ("cls.bias", (rng.normal(size=n_embd) * 0.1).astype(np.float32)),
        ("cls.output.weight", (rng.normal(size=(1, n_embd)) * 4 * scale).astype(np.float16)),
        ("cls.output.bias", np.array([0.25], dtype=np.float32)),
    ]
    return _with_tensors(target, head)


_GGML_TYPE = {np.dtype(np.float32): 0, np.dtype(np.float16): 1}


def _with_tensors(target: Path, extra: list[tuple[str, np.ndarray]]) -> Path:
    """The rank stand-in with tensors appended: their descriptions after the others', the
    data region moved to the new alignment (tensor offsets are relative to it), their bytes
    after the data, each at an aligned offset. A numpy array of shape (rows, columns) is
    the GGUF tensor (columns, rows): ggml lists the fastest dimension first."""
    source = minilm_as_reranker()
    header = read_header(source)
    data = source.read_bytes()
    last: TensorInfo = header.tensors[-1]
    encoded = _tensor_info(last.name, last.shape, last.ggml_type, last.offset)
    if data.count(encoded) != 1:
        raise RuntimeError("the last tensor's description was not found once")
    infos_end = data.index(encoded) + len(encoded)
    align = int(header.metadata.get("general.alignment", 32))  # type: ignore[call-overload]
    data_end = max(t.offset + (t.n_bytes or 0) for t in header.tensors)
    prefix = bytearray(data[:infos_end])
    tail = bytearray()
    at = data_end
    for name, array in extra:
        at = -(-at // align) * align
        shape = tuple(reversed(array.shape))
        prefix += _tensor_info(name, shape, _GGML_TYPE[array.dtype], at)
        tail += b"\0" * (at - data_end - len(tail)) + array.tobytes()
        at += array.nbytes
    struct.pack_into("<Q", prefix, 8, len(header.tensors) + len(extra))  # the tensor count
    prefix += b"\0" * (-len(prefix) % align)
    tensors = data[header.data_offset : header.data_offset + data_end]
    partial = target.with_suffix(".part")
    partial.write_bytes(bytes(prefix) + tensors + bytes(tail))
    partial.replace(target)
    return target


def minilm_with_rerank_template(template: str) -> Path:
    """The rank stand-in with a ``tokenizer.chat_template.rerank`` entry, as Qwen3-Reranker's
    GGUF carries one: a metadata entry inserted before the tensor descriptions, the data
    region moved to the new alignment."""
    digest = hashlib.sha256(template.encode()).hexdigest()[:12]
    target = cache_dir() / f"all-MiniLM-L6-v2-f16-rank-template-{digest}.gguf"
    if target.is_file():
        return target
    source = minilm_as_reranker()
    header = read_header(source)
    data = source.read_bytes()
    first: TensorInfo = header.tensors[0]
    encoded = _tensor_info(first.name, first.shape, first.ggml_type, first.offset)
    if data.count(encoded) != 1:
        raise RuntimeError("the first tensor's description was not found once")
    kv_end = data.index(encoded)
    last: TensorInfo = header.tensors[-1]
    infos_end = data.index(_tensor_info(last.name, last.shape, last.ggml_type, last.offset))
    infos_end += len(_tensor_info(last.name, last.shape, last.ggml_type, last.offset))
    key, value = b"tokenizer.chat_template.rerank", template.encode()
    entry = struct.pack("<Q", len(key)) + key + struct.pack("<IQ", 8, len(value)) + value
    prefix = bytearray(data[:kv_end] + entry + data[kv_end:infos_end])
    struct.pack_into("<Q", prefix, 16, len(header.metadata) + 1)  # the entry count
    align = int(header.metadata.get("general.alignment", 32))  # type: ignore[call-overload]
    prefix += b"\0" * (-len(prefix) % align)
    partial = target.with_suffix(".part")
    partial.write_bytes(bytes(prefix) + data[header.data_offset :])
    partial.replace(target)
    return target
