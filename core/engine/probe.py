"""What the engine's llama.cpp build can use, asked of a short-lived engine.

Only the engine process loads llama.cpp, so a command that needs the build's devices
(``fireside-cli doctor``, ``models fit``) starts an engine, reads its greeting (``Ready``:
the build, GPU offload, every backend device with its memory) and stops it again.
"""

from __future__ import annotations

from core.engine.client import EngineClient
from core.engine.protocol import DeviceInfo, Ready
from core.paths import AppPaths


def probe_engine(paths: AppPaths) -> Ready:
    """The greeting of a fresh engine (about a second: a process start and llama.cpp's
    import); the engine is stopped before this returns."""
    client = EngineClient(paths)
    try:
        return client.start()
    finally:
        client.close()


def offload_device(ready: Ready, name: str | None = None) -> DeviceInfo | None:
    """The device layers go to: the GPU ``name``d (``LoadOptions.device``) when the engine
    has it, else its first GPU; None for CPU only."""
    chosen = [d for d in ready.gpus if d.name == name]
    return chosen[0] if chosen else ready.gpus[0] if ready.gpus else None
