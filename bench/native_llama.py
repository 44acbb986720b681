"""Native llama.cpp ``llama-bench``, built from the llama.cpp that llama-cpp-python vendors.

The binary is the yardstick for ``bench.engine``: the same llama.cpp source, compiler and
CMake defaults as the installed llama-cpp-python, without Python, the engine process or
sampling. It is built once per llama-cpp-python version and cached outside the repo in
``$FIRESIDE_BENCH_CACHE`` (default ``~/.cache/fireside-bench``)::

    llama-bench-<version>/bin/llama-bench      plus the shared libraries it loads
    llama-bench-<version>/build-info.json      how it was built

The source comes from the llama-cpp-python sdist on PyPI (``pip download --no-binary``).
llama-cpp-python builds llama.cpp with scikit-build-core in Release mode, as shared
libraries, with the ggml defaults (GGML_NATIVE on, OpenMP on, BLAS off, llamafile on); its
own CMakeLists.txt changes none of those on Linux. The options below pin the same values, so
the two builds differ only in which targets they compile.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DISTRIBUTION = "llama-cpp-python"

# Same values llama-cpp-python's build ends up with on Linux (its CMakeLists.txt forces only
# LLAMA_BUILD_COMMON=ON and LLAMA_CURL=OFF; everything else is the ggml/llama.cpp default).
CMAKE_OPTIONS: dict[str, str] = {
    "CMAKE_BUILD_TYPE": "Release",
    "BUILD_SHARED_LIBS": "ON",
    "GGML_NATIVE": "ON",
    "GGML_OPENMP": "ON",
    "GGML_BLAS": "OFF",
    "GGML_LLAMAFILE": "ON",
    "GGML_CPU_REPACK": "ON",
    "GGML_BACKEND_DL": "OFF",
    "GGML_CUDA": "OFF",
    "GGML_VULKAN": "OFF",
    "GGML_METAL": "OFF",
    "GGML_HIP": "OFF",
    "GGML_OPENCL": "OFF",
    "GGML_RPC": "OFF",
    "LLAMA_CURL": "OFF",
    "LLAMA_OPENSSL": "OFF",  # llama-bench never downloads; no TLS library needed
    "LLAMA_BUILD_COMMON": "ON",
    "LLAMA_BUILD_TOOLS": "ON",
    "LLAMA_BUILD_TESTS": "OFF",
    "LLAMA_BUILD_EXAMPLES": "OFF",
    "LLAMA_BUILD_SERVER": "OFF",
    # Run from the cache folder once the build tree is gone: look for the libraries beside
    # the binary.
    "CMAKE_BUILD_WITH_INSTALL_RPATH": "ON",
    "CMAKE_INSTALL_RPATH": "$ORIGIN",
}


@dataclass(frozen=True)
class NativeResult:
    """One llama-bench run: prompt processing (pp) and text generation (tg) speeds."""

    pp_tps: float  # median over repetitions
    tg_tps: float
    pp_tps_samples: list[float]
    tg_tps_samples: list[float]
    n_prompt: int
    n_gen: int
    pp_n_ctx: int  # llama-bench sizes each test's context itself: n_prompt for pp,
    tg_n_ctx: int  # n_gen for tg (llama.cpp pads both to a multiple of 256)
    threads: int
    n_batch: int
    n_ubatch: int
    flash_attn: bool
    repetitions: int
    command: list[str]
    raw: list[dict[str, Any]]  # llama-bench's own JSON records

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def llama_cpp_python_version() -> str:
    return importlib.metadata.version(DISTRIBUTION)


def cache_root() -> Path:
    root = os.environ.get("FIRESIDE_BENCH_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "fireside-bench"


def install_dir(version: str | None = None) -> Path:
    return cache_root() / f"llama-bench-{version or llama_cpp_python_version()}"


def llama_bench_path(*, verbose: bool = True) -> Path:
    """The cached llama-bench binary, building it first if this version has none yet."""
    version = llama_cpp_python_version()
    target = install_dir(version)
    binary = target / "bin" / "llama-bench"
    if binary.exists():
        return binary
    cache_root().mkdir(parents=True, exist_ok=True)
    with (cache_root() / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():  # another process may have built it while we waited
            _build(version, target, verbose=verbose)
    return binary


def build_info() -> dict[str, Any]:
    """What ``build-info.json`` says about the cached build (empty if none)."""
    path = install_dir() / "build-info.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _log(verbose: bool, message: str) -> None:
    if verbose:
        print(f"[native] {message}", file=sys.stderr, flush=True)


def _build(version: str, target: Path, *, verbose: bool) -> None:
    jobs = str(min(2, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="llama-bench-build-", dir=cache_root()) as tmp:
        work = Path(tmp)
        _log(verbose, f"downloading the {DISTRIBUTION}=={version} sdist")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", "-d", str(work), f"{DISTRIBUTION}=={version}"],
            check=True,
        )  # fmt: skip
        sdists = list(work.glob("*.tar.gz"))
        if len(sdists) != 1:
            raise RuntimeError(f"expected one sdist in {work}, found {sdists}")
        _log(verbose, f"unpacking {sdists[0].name}")
        with tarfile.open(sdists[0]) as archive:
            archive.extractall(work / "src", filter="data")
        (top,) = (work / "src").iterdir()
        source = top / "vendor" / "llama.cpp"
        if not (source / "CMakeLists.txt").exists():
            raise RuntimeError(f"{sdists[0].name} vendors no llama.cpp")
        build = work / "build"
        configure = ["cmake", "-S", str(source), "-B", str(build)]
        configure += [f"-D{key}={value}" for key, value in CMAKE_OPTIONS.items()]
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}  # keeps NATIVE
        _log(verbose, "configuring: " + " ".join(configure))
        _run(configure, env=env, verbose=verbose)
        compile_cmd = ["cmake", "--build", str(build), "--target", "llama-bench", "-j", jobs]
        _log(verbose, "building (several minutes on 2 cores): " + " ".join(compile_cmd))
        _run(compile_cmd, env=env, verbose=verbose)

        staging = work / "install"
        (staging / "bin").mkdir(parents=True)
        for item in (build / "bin").iterdir():
            if item.name == "llama-bench" or ".so" in item.name:
                shutil.copy2(item, staging / "bin" / item.name, follow_symlinks=False)
        info = {
            "llama_cpp_python_version": version,
            "llama_cpp_commit": _vendored_commit(top),
            "cmake_options": CMAKE_OPTIONS,
            "cmake_version": _first_line(["cmake", "--version"]),
            "compiler": _compiler(build),
            "ggml_cpu_flags": ggml_cpu_flags(build / "ggml/src/CMakeFiles/ggml-cpu.dir/flags.make"),
            "system_info": _system_info(staging / "bin" / "llama-bench"),
        }
        (staging / "build-info.json").write_text(json.dumps(info, indent=2) + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        _log(verbose, f"llama-bench ready in {target}")


def _run(cmd: list[str], *, env: dict[str, str], verbose: bool) -> None:
    result = subprocess.run(
        cmd, env=env, stdout=None if verbose else subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        tail = (result.stdout or "")[-4000:]
        raise RuntimeError(f"{cmd[:3]} failed with exit code {result.returncode}\n{tail}")


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.splitlines()[0] if out else "unknown"


def _compiler(build: Path) -> str:
    cache = build / "CMakeCache.txt"
    for line in cache.read_text().splitlines() if cache.exists() else ():
        if line.startswith("CMAKE_CXX_COMPILER:"):
            return _first_line([line.split("=", 1)[1], "--version"])
    return "unknown"


def ggml_cpu_flags(flags_make: Path) -> dict[str, str]:
    """The compile flags and defines of the CPU backend (``-march=native``, OpenMP, ...)."""
    wanted = ("C_DEFINES", "C_FLAGS", "CXX_FLAGS")
    flags: dict[str, str] = {}
    for line in flags_make.read_text().splitlines() if flags_make.exists() else ():
        key, sep, value = line.partition(" = ")
        if sep and key in wanted:
            flags[key] = value
    return flags


def _vendored_commit(sdist_top: Path) -> str:
    """The llama.cpp commit the sdist vendors, if it says so."""
    try:  # the sdist ships the submodule's git data, so git can answer
        out = subprocess.run(
            ["git", "-C", str(sdist_top / "vendor" / "llama.cpp"), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out or "unknown"


def _system_info(binary: Path) -> str:
    """llama-bench's ``--version`` output: build number, commit, compiler, target."""
    try:
        proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    except OSError:
        return "unknown"
    return (proc.stdout + proc.stderr).strip() or "unknown"


def run_llama_bench(
    model: Path,
    threads: int,
    n_prompt: int = 512,
    n_gen: int = 128,
    flash_attn: bool = True,
    repetitions: int = 3,
    n_batch: int = 512,
    n_ubatch: int = 512,
    repack: bool = True,
    gpu_layers: int = 0,
) -> NativeResult:
    """Run llama-bench's pp test (``-p n_prompt``) and tg test (``-n n_gen``), ``-o json``.

    Speeds are the medians over ``repetitions``. llama-bench has no context-size flag: each
    test gets a fresh context of exactly the tokens it needs (``n_prompt`` for pp, ``n_gen``
    for tg, padded to 256), starting empty. The attention span llama.cpp computes over is the
    used part of the cache, so a larger context elsewhere (the engine's) costs nothing extra.
    """
    cmd = [
        str(llama_bench_path()),
        "-m", str(model),
        "-t", str(threads),
        "-p", str(n_prompt),
        "-n", str(n_gen),
        "-b", str(n_batch),
        "-ub", str(n_ubatch),
        "-fa", "1" if flash_attn else "0",
        "-ngl", str(gpu_layers),
        "--repack", "1" if repack else "0",
        "-r", str(repetitions),
        "-o", "json",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"llama-bench failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    records: list[dict[str, Any]] = json.loads(proc.stdout)
    pp = _samples(records, n_prompt=n_prompt, n_gen=0)
    tg = _samples(records, n_prompt=0, n_gen=n_gen)
    return NativeResult(
        pp_tps=statistics.median(pp),
        tg_tps=statistics.median(tg),
        pp_tps_samples=pp,
        tg_tps_samples=tg,
        n_prompt=n_prompt,
        n_gen=n_gen,
        pp_n_ctx=n_prompt,
        tg_n_ctx=n_gen,
        threads=threads,
        n_batch=n_batch,
        n_ubatch=n_ubatch,
        flash_attn=flash_attn,
        repetitions=repetitions,
        command=cmd,
        raw=records,
    )


def _samples(records: list[dict[str, Any]], *, n_prompt: int, n_gen: int) -> list[float]:
    for record in records:
        if record.get("n_prompt") == n_prompt and record.get("n_gen") == n_gen:
            samples = record.get("samples_ts") or [record["avg_ts"]]
            return [float(s) for s in samples]
    raise RuntimeError(f"llama-bench printed no pp{n_prompt}/tg{n_gen} record")


if __name__ == "__main__":
    print(llama_bench_path())
