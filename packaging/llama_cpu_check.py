"""Run a bundle's llama.cpp alone: which CPU library it chooses, and a short greedy reply.

packaging/release-check runs this under ``qemu-x86_64 -cpu qemu64`` (an x86-64 CPU with
nothing past SSE3): there the whole frozen app cannot start, since numpy 2.4, which the
engine imports, is built for x86-64-v2 (SSE4.2, POPCNT) at least, but llama.cpp's own part
of a release bundle can still be shown to run: its ``x64`` CPU library is chosen and
answers. Only the standard library and llama-cpp-python's ctypes bindings are imported
(not its package, whose ``__init__`` imports numpy); the libraries are the bundle's.

    python3 packaging/llama_cpu_check.py LIB_FOLDER MODEL [--bindings FOLDER] [--tokens N]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import sys
import types
from pathlib import Path


def _bindings(folder: Path) -> types.ModuleType:
    """llama_cpp.llama_cpp (the ctypes bindings) without llama_cpp/__init__.py."""
    package = types.ModuleType("llama_cpp")
    package.__path__ = [str(folder)]
    sys.modules["llama_cpp"] = package
    import llama_cpp.llama_cpp as bindings

    return bindings


def _loaded_cpu_libraries() -> list[str]:
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        return sorted(set(re.findall(r"libggml-cpu-([\w.]+)\.so", maps.read())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lib", type=Path, help="the bundle's llama_cpp/lib folder")
    parser.add_argument("model", type=Path, help="a GGUF chat model")
    parser.add_argument("--bindings", type=Path, default=None,
                        help="the folder of llama-cpp-python's Python files (default: the "
                             "installed package's, found without importing it)")  # fmt: skip
    parser.add_argument("--tokens", type=int, default=8)
    parser.add_argument("--prompt", default="The capital of France is")
    args = parser.parse_args(argv)
    if args.bindings is None:
        import importlib.util

        spec = importlib.util.find_spec("llama_cpp")
        if spec is None or not spec.submodule_search_locations:
            parser.error("llama-cpp-python is not installed here: give --bindings")
        args.bindings = Path(next(iter(spec.submodule_search_locations)))
    os.environ["LLAMA_CPP_LIB_PATH"] = str(args.lib.resolve())
    ll = _bindings(args.bindings)
    lib = ll._lib
    lib.ggml_backend_reg_count.restype = ctypes.c_size_t
    lib.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    if lib.ggml_backend_reg_count() == 0:
        lib.ggml_backend_load_all_from_path(os.fsencode(args.lib.resolve()))
    print(f"CPU library: {','.join(_loaded_cpu_libraries()) or 'linked in'}", flush=True)
    ll.llama_backend_init()

    model_params = ll.llama_model_default_params()
    model_params.n_gpu_layers = 0
    # As the engine does on a CPU with AMX (core.engine.runtime.build_uses_amx): GCC's AMX
    # kernels crash on the first matrix product, the plain ones do not.
    ll.llama_print_system_info.restype = ctypes.c_char_p
    model_params.use_extra_bufts = b"AMX_INT8 = 1" not in ll.llama_print_system_info()
    model = ll.llama_model_load_from_file(os.fsencode(args.model), model_params)
    if not model:
        print("the model did not load", file=sys.stderr)
        return 1
    context_params = ll.llama_context_default_params()
    context_params.n_ctx = 256
    context_params.n_threads = context_params.n_threads_batch = 2
    ctx = ll.llama_init_from_model(model, context_params)
    vocab = ll.llama_model_get_vocab(model)

    text = args.prompt.encode()
    tokens = (ll.llama_token * 64)()
    n = ll.llama_tokenize(vocab, text, len(text), tokens, 64, True, False)
    sampler = ll.llama_sampler_init_greedy()
    reply = b""
    batch = ll.llama_batch_get_one(tokens, n)
    piece = ctypes.create_string_buffer(64)
    for _ in range(args.tokens):
        if ll.llama_decode(ctx, batch) != 0:
            print("decode failed", file=sys.stderr)
            return 1
        token = ll.llama_sampler_sample(sampler, ctx, -1)
        if ll.llama_vocab_is_eog(vocab, token):
            break
        size = ll.llama_token_to_piece(vocab, token, piece, len(piece), 0, False)
        reply += piece.raw[: max(size, 0)]
        one = (ll.llama_token * 1)(token)
        batch = ll.llama_batch_get_one(one, 1)
    print(f"reply: {args.prompt + reply.decode('utf-8', errors='replace')!r}", flush=True)
    ll.llama_sampler_free(sampler)
    ll.llama_free(ctx)
    ll.llama_model_free(model)
    return 0 if reply.strip() else 1


if __name__ == "__main__":
    raise SystemExit(main())
