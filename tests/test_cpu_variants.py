"""Which CPU library a release build's llama.cpp chose (``core.engine.runtime.cpu_variant``).

A release build (packaging/build-llama-release) carries one ``libggml-cpu-<level>`` per
x86-64 level and llama.cpp loads the best one this CPU runs; the engine finds which from
the files the process has mapped. Here a real shared library, copied under a variant's
name, is loaded by a fresh Python: the engine's own check must name it, and must name
nothing in a process that has loaded no such library (pip's build, with its CPU backend
linked into libggml). The release bundle's self-test under qemu-x86_64 shows the real
choice per CPU model (packaging/release-check)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import llama_cpp

from core.engine.runtime import cpu_variant

_CHECK = """
import ctypes, sys
from core.engine.runtime import cpu_variant
if len(sys.argv) > 1:
    ctypes.CDLL(sys.argv[1])
print(repr(cpu_variant()))
"""


def _variant_in_fresh_python(*library: str) -> str:
    done = subprocess.run([sys.executable, "-c", _CHECK, *library], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return str(ast.literal_eval(done.stdout.strip()))  # the repr the check printed


def test_the_loaded_variant_library_is_named(tmp_path: Path) -> None:
    # libggml-base is a real library with the same dependencies as a CPU variant
    base = Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"
    copy = tmp_path / "lib" / "libggml-cpu-haswell.so"
    copy.parent.mkdir()
    shutil.copy(base, copy)
    assert _variant_in_fresh_python(str(copy)) == "haswell"


def test_a_build_without_variants_names_none() -> None:
    assert _variant_in_fresh_python() == ""


def test_variant_names_from_the_paths_of_each_system() -> None:
    assert cpu_variant(["/opt/Fireside/_internal/llama_cpp/lib/libggml-cpu-sse42.so"]) == "sse42"
    assert cpu_variant([r"C:\Fireside\_internal\llama_cpp\lib\ggml-cpu-x64.dll"]) == "x64"
    assert cpu_variant(["/x/lib/libggml-cpu-android_armv8.2_1.so"]) == "android_armv8.2_1"
    # the plain CPU library of a build with one backend, and lookalikes, are no variant
    assert cpu_variant(["/x/lib/libggml-cpu.so", "/x/lib/libggml-cpu-haswell.so.bak"]) == ""
    assert cpu_variant(["/x/libggml-base.so", "/x/notggml-cpu-x64.txt"]) == ""
