"""Which part of a model goes to the GPU: llama.cpp's layer offload, planned from the header.

llama.cpp offloads the last ``n_gpu_layers`` repeating layers (``blk.N``) and, when
``n_gpu_layers`` is larger than the layer count, the output layer too; the token embeddings
stay in RAM. Each offloaded layer takes its weights and its share of the KV cache into the
device's memory (``offload_kqv``, llama.cpp's default), and once any layer is there the
device also holds the compute buffer of one batch. Planning from the GGUF header's tensor
sizes answers "how many layers fit in this much free memory" without loading anything, so
the same pure function serves the engine ("auto") and the memory fit (``models fit``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from core.engine.gguf import GGUFHeader

# Left free on the device: drivers, other programs and llama.cpp's own small buffers.
HEADROOM_SHARE: Final = 0.1
HEADROOM_BYTES: Final = 256 << 20
_BLOCK = re.compile(r"blk\.(\d+)\.")
_OUTPUT: Final = ("output.weight", "output.bias", "output_norm.weight", "output_norm.bias")


@dataclass(frozen=True)
class LayerWeights:
    """The model's weights in the pieces llama.cpp places on a device."""

    blocks: tuple[int, ...]  # bytes of each repeating layer's tensors, blk.0 first
    output: int  # the output head and norm (the token embeddings again when they are tied)
    rest: int  # token embeddings and the like: always in RAM
    tied: int = 0  # bytes of the token embeddings when they are also the output head

    @classmethod
    def from_header(cls, header: GGUFHeader) -> LayerWeights:
        sizes: dict[int, int] = {}
        output = rest = tied = 0
        names = {t.name for t in header.tensors}
        for tensor in header.tensors:
            size = tensor.n_bytes if tensor.n_bytes is not None else 2 * tensor.n_elements
            block = _BLOCK.match(tensor.name)
            if block:
                index = int(block.group(1))
                sizes[index] = sizes.get(index, 0) + size
            elif tensor.name in _OUTPUT:
                output += size
            else:
                rest += size
                if tensor.name == "token_embd.weight" and "output.weight" not in names:
                    tied = size  # llama.cpp keeps a copy on the output layer's device
                    output += size
        count = max(sizes) + 1 if sizes else 0
        return cls(tuple(sizes.get(i, 0) for i in range(count)), output, rest, tied)

    @property
    def n_layers(self) -> int:
        return len(self.blocks)

    @property
    def total(self) -> int:
        """Every tensor once: the file's weights."""
        return sum(self.blocks) + self.rest + self.output - self.tied


class Speed(enum.Enum):
    GPU = "gpu"  # every layer on the GPU
    PARTIAL = "partial"  # some layers on the GPU
    CPU = "cpu"  # CPU only


@dataclass(frozen=True)
class OffloadPlan:
    """Where a model's layers go: ``layers`` is what llama.cpp is asked for
    (``n_gpu_layers``; ``n_layers + 1`` puts the output layer on the GPU too)."""

    layers: int
    n_layers: int
    gpu_bytes: int
    device: str | None  # the device's name, None for CPU only
    asked: int | None = None  # a number asked for that the device could not hold

    @property
    def offloaded(self) -> int:
        """Repeating layers on the GPU, as people count them ("20 of 28 layers")."""
        return min(self.layers, self.n_layers)

    @property
    def speed(self) -> Speed:
        if self.device is None or self.layers <= 0:
            return Speed.CPU
        return Speed.GPU if self.offloaded >= self.n_layers else Speed.PARTIAL


def headroom(free: int) -> int:
    return max(HEADROOM_BYTES, int(HEADROOM_SHARE * free))


def gpu_bytes(weights: LayerWeights, layers: int, kv_per_layer: int, compute: int) -> int:
    """Device memory for the last ``layers`` layers (and the output past ``n_layers``)."""
    if layers <= 0:
        return 0
    n = weights.n_layers
    blocks = min(layers, n)
    used = sum(weights.blocks[n - blocks :]) + blocks * kv_per_layer + compute
    return used + (weights.output if layers > n else 0)


def layers_that_fit(weights: LayerWeights, kv_per_layer: int, compute: int, free: int) -> int:
    """The most layers (0 .. n_layers + 1) whose memory fits ``free`` less the headroom."""
    usable = free - headroom(free)
    best = 0
    for layers in range(1, weights.n_layers + 2):
        if gpu_bytes(weights, layers, kv_per_layer, compute) > usable:
            break
        best = layers
    return best
