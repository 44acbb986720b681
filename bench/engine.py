"""Engine speed next to native llama.cpp: prompt evaluation and decode tokens per second.

Run ``python -m bench.engine`` from the repository root. For each model it measures, through
Fireside's engine client (separate engine process, typed protocol, streamed pieces):

* prompt evaluation: ``--n-prompt`` raw token ids (default 512) into an empty KV cache,
  one sampled token, ``prompt_tps`` from the engine's stats;
* decode: a one-word prompt, greedy sampling, ``ignore_eos``, ``--n-gen + 1`` tokens so that
  ``--n-gen`` (default 128) are decoded after the first, ``decode_tps`` from the stats;

and native ``llama-bench -p N -n M -r 1`` (see ``bench.native_llama``) with the same model,
threads, context size, batch sizes and flash-attention setting, interleaved with the engine
runs round by round. Every figure is the median of ``--repetitions`` rounds (default 5), each
side warmed up first. It prints a table of the ratios (engine / native; the target is
>= 0.97) and writes every raw number to ``bench/results/engine.json``. It asserts nothing:
a benchmark, never a timed test.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import native_llama
from core.engine.client import EngineClient
from core.engine.protocol import LoadOptions, SamplingParams
from core.engine.threads import physical_cores

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "engine.json"
ENGINE_LOG = ROOT / "bench" / "results" / "engine-process.log"  # llama.cpp's own chatter
TARGET_RATIO = 0.97
NOISY_SPREAD = 0.10
BUSY_SHARE = 0.03

# Any prose works: prompt evaluation speed does not depend on what the tokens say. Repeated
# until the tokenizer yields enough tokens.
_PROSE = (
    "Fireside is a private, offline desktop chat application. A person picks a quantized "
    "open model, downloads it once, and from then on chats with it on their own computer. "
    "They drag their own documents into a knowledge panel; answers draw on those documents "
    "and cite them by file, page and passage. The engine lives in its own process, because "
    "llama.cpp aborts on some malformed files and the kernel kills a process that loads a "
    "model larger than memory. The conversation is a tree, the active branch is a stack, "
    "and the KV cache mirrors the stack, so editing an old message re-evaluates only what "
    "changed. Speed is measured for every request, so cache reuse is visible, not assumed. "
)
_DECODE_PROMPT = "The"


def _asdict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj) if obj is not None else {}


@dataclasses.dataclass(frozen=True)
class Settings:
    threads: int
    n_prompt: int
    n_gen: int
    n_batch: int
    n_ubatch: int
    flash_attn: bool
    repetitions: int
    swa_full: bool = False
    gpu_layers: int = 0  # llama-bench -ngl; the engine's LoadOptions.gpu_layers

    @property
    def n_ctx(self) -> int:
        return self.n_prompt + self.n_gen  # room for both tests in one engine context


class EngineSide:
    """One model loaded in a fresh engine process, with the two measurements ready to run."""

    def __init__(self, model: Path, settings: Settings) -> None:
        self.settings = settings
        self.options = LoadOptions(
            n_ctx=settings.n_ctx,
            n_threads=settings.threads,
            n_batch=settings.n_batch,
            n_ubatch=settings.n_ubatch,
            flash_attn=settings.flash_attn,
            swa_full=settings.swa_full,
            gpu_layers=settings.gpu_layers,
        )
        self._one_token = SamplingParams(temperature=0.0, max_tokens=1, ignore_eos=True)
        self._decode = SamplingParams(
            temperature=0.0, max_tokens=settings.n_gen + 1, ignore_eos=True
        )
        ENGINE_LOG.parent.mkdir(parents=True, exist_ok=True)
        self.client = EngineClient(log_path=ENGINE_LOG)
        started = time.perf_counter()
        ready = self.client.start()
        # Builds with Intel AMX kernels load models without llama.cpp's extra weight buffers
        # (see core.engine.runtime.build_uses_amx); llama-bench is then run with --repack 0.
        self.extra_buffers = not ready.uses_amx
        try:
            self.info = self.client.load_chat(str(model), self.options)
            self.load_s = time.perf_counter() - started
            self.prompt = self._prompt_tokens(settings.n_prompt)
            self.decode_prompt = list(self.client.tokenize(_DECODE_PROMPT, add_special=True))
        except BaseException:
            self.client.close()
            raise

    def __enter__(self) -> EngineSide:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _prompt_tokens(self, count: int) -> list[int]:
        text = _PROSE
        tokens = self.client.tokenize(text, add_special=False)
        while len(tokens) < count:
            text += _PROSE
            tokens = self.client.tokenize(text, add_special=False)
        return list(tokens[:count])

    def _run(self, prompt: list[int], sampling: SamplingParams) -> dict[str, Any]:
        self.client.reset_cache()
        gen = self.client.generate_tokens(prompt, sampling)
        for _ in gen:
            pass
        return _asdict(gen.stats)

    def prompt_run(self) -> dict[str, Any]:
        stats = self._run(self.prompt, self._one_token)
        _expect(stats, "evaluated_tokens", self.settings.n_prompt, "prompt run")
        _expect(stats, "cached_tokens", 0, "prompt run")
        return stats

    def decode_run(self) -> dict[str, Any]:
        stats = self._run(self.decode_prompt, self._decode)
        _expect(stats, "generated_tokens", self.settings.n_gen + 1, "decode run")
        return stats

    def describe(self) -> dict[str, Any]:
        ready = self.client.ready
        return {
            "n_ctx": self.settings.n_ctx,
            "load_options": dataclasses.asdict(self.options),
            "decode_prompt_tokens": len(self.decode_prompt),
            "load_s": self.load_s,
            "model_info": _asdict(self.info),
            "llama_cpp_version": ready.llama_cpp_version if ready else None,
            "system_info": ready.system_info if ready else None,
            "extra_buffers": self.extra_buffers,
        }


class ForeignCpu:
    """How much of the machine other processes used while we measured (a noise gauge).

    Busy CPU time of the whole machine (``/proc/stat``) minus that of this process and its
    reaped children (the engine process, every llama-bench), as a share of all CPUs over the
    wall time. With llama.cpp using every core, a few percent from elsewhere already costs
    far more than a few percent of speed. ``None`` where ``/proc/stat`` does not exist.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        except OSError:
            return None
        # user nice system idle iowait irq softirq steal: busy is all but idle and iowait
        jiffies = [int(v) for v in fields[1:9]]
        busy = (sum(jiffies) - jiffies[3] - jiffies[4]) / os.sysconf("SC_CLK_TCK")
        own = os.times()
        mine = own.user + own.system + own.children_user + own.children_system
        return time.monotonic(), busy, mine

    def share(self) -> float | None:
        end = self._sample()
        if self._start is None or end is None:
            return None
        wall = end[0] - self._start[0]
        foreign = (end[1] - self._start[1]) - (end[2] - self._start[2])
        return max(0.0, foreign / (wall * (os.cpu_count() or 1))) if wall > 0 else None


def bench_model(model: Path, settings: Settings) -> dict[str, Any]:
    """Engine and llama-bench runs for one model, interleaved round by round.

    Each round is one engine prompt run and decode run plus one llama-bench invocation
    (``-r 1``, after its own warm-up), the order alternating between rounds, so that drift in
    the machine's speed (a busy neighbour, a virtual CPU's clock) falls on both sides alike.
    """
    pp_runs: list[dict[str, Any]] = []
    tg_runs: list[dict[str, Any]] = []
    native_runs: list[native_llama.NativeResult] = []
    gauge = ForeignCpu()

    with EngineSide(model, settings) as engine:

        def native_round() -> None:
            native_runs.append(
                native_llama.run_llama_bench(
                    model,
                    threads=settings.threads,
                    n_prompt=settings.n_prompt,
                    n_gen=settings.n_gen,
                    flash_attn=settings.flash_attn,
                    repetitions=1,
                    n_batch=settings.n_batch,
                    n_ubatch=settings.n_ubatch,
                    repack=engine.extra_buffers,
                    gpu_layers=settings.gpu_layers,
                )
            )

        def engine_round() -> None:
            pp_runs.append(engine.prompt_run())
            tg_runs.append(engine.decode_run())

        engine.prompt_run()  # warm-up, as llama-bench does its own
        engine.decode_run()
        for round_ in range(settings.repetitions):
            print(f"  round {round_ + 1}/{settings.repetitions}", file=sys.stderr, flush=True)
            for step in (engine_round, native_round)[:: 1 if round_ % 2 == 0 else -1]:
                step()
        described = engine.describe()
    foreign = gauge.share()  # after the engine process has exited and been reaped

    engine_pp = [s["prompt_tps"] for s in pp_runs]
    engine_tg = [s["decode_tps"] for s in tg_runs]
    native_pp = [r.pp_tps for r in native_runs]
    native_tg = [r.tg_tps for r in native_runs]
    return {
        "foreign_cpu_share": foreign,
        "engine": {
            "pp_tps": statistics.median(engine_pp),
            "tg_tps": statistics.median(engine_tg),
            "pp_tps_samples": engine_pp,
            "tg_tps_samples": engine_tg,
            **described,
            "pp_runs": pp_runs,
            "tg_runs": tg_runs,
        },
        "native": {
            "pp_tps": statistics.median(native_pp),
            "tg_tps": statistics.median(native_tg),
            "pp_tps_samples": native_pp,
            "tg_tps_samples": native_tg,
            "pp_n_ctx": native_runs[0].pp_n_ctx,
            "tg_n_ctx": native_runs[0].tg_n_ctx,
            "command": native_runs[0].command,
            "records": [record for r in native_runs for record in r.raw],
        },
    }


def _expect(stats: dict[str, Any], key: str, wanted: int, what: str) -> None:
    if stats.get(key) != wanted:
        print(f"warning: {what}: {key} = {stats.get(key)}, expected {wanted}", file=sys.stderr)


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    flags = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu in ("unknown", "", platform.machine()):
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1].strip()
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    wanted = ("avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8")
    present = set(flags.split())
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu,
        "cpu_flags": [f for f in wanted if f in present],
        "physical_cores": physical_cores(),
        "logical_cpus": os.cpu_count(),
        "memory_bytes": memory,
        "python": sys.version.split()[0],
    }


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _load() -> list[float] | None:
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def default_models() -> list[Path]:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package
    from tests.model_files import GEMMA_270M, QWEN_05B, fetch

    return [fetch(GEMMA_270M), fetch(QWEN_05B)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine",
        description="Engine client vs native llama-bench: prompt and decode tokens/s.",
    )
    parser.add_argument(
        "--model", action="append", type=Path, metavar="PATH",
        help="a GGUF file (repeatable; default: the Gemma 3 270M and Qwen2.5 0.5B test models)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=None, help="default: physical cores")
    parser.add_argument("--repetitions", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument("--n-prompt", type=int, default=512)
    parser.add_argument("--n-gen", type=int, default=128)
    parser.add_argument("--batch", type=int, default=512, help="n_batch (llama-bench -b)")
    parser.add_argument("--ubatch", type=int, default=512, help="n_ubatch (llama-bench -ub)")
    parser.add_argument(
        "--flash-attn", action=argparse.BooleanOptionalAction, default=True,
        help="flash attention in both (default: on, the engine's LoadOptions default)",
    )  # fmt: skip
    parser.add_argument(
        "--swa-full", action=argparse.BooleanOptionalAction, default=False,
        help="sliding-window models keep every position (the chat default, for cutting the "
             "cache back to any turn); off by default here because llama-bench cannot set "
             "it, so the comparison stays like for like",
    )  # fmt: skip
    parser.add_argument(
        "--gpu-layers", type=int, default=0,
        help="layers on the GPU in both (llama-bench -ngl; default 0: CPU only). On a build "
             "with a GPU backend, 99 puts every layer there",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.gpu_layers < 0:
        parser.error("--gpu-layers must be at least 0")
    for name in ("threads", "repetitions", "n_prompt", "n_gen", "batch", "ubatch"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def _spread(samples: Sequence[float]) -> float:
    """(max - min) / median: how much the repetitions disagree."""
    middle = statistics.median(samples)
    return (max(samples) - min(samples)) / middle if middle > 0 else float("nan")


def _ratio(engine: float, native: float) -> float:
    return engine / native if native > 0 else float("nan")


def format_table(rows: list[dict[str, Any]]) -> str:
    header = (
        "model", "threads", "engine pp t/s", "native pp t/s", "ratio",
        "engine tg t/s", "native tg t/s", "ratio",
    )  # fmt: skip
    body = [
        (
            row["model"],
            str(row["threads"]),
            f"{row['engine']['pp_tps']:.1f}",
            f"{row['native']['pp_tps']:.1f}",
            f"{row['pp_ratio']:.3f}",
            f"{row['engine']['tg_tps']:.1f}",
            f"{row['native']['tg_tps']:.1f}",
            f"{row['tg_ratio']:.3f}",
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in (header, *body)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = zip(cells, widths, strict=True)
        return " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(padded))

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    threads: int = args.threads or physical_cores()
    models: list[Path] = [p.resolve() for p in args.model] if args.model else default_models()
    for model in models:
        if not model.is_file():
            print(f"error: no such model file: {model}", file=sys.stderr)
            return 2

    native_llama.llama_bench_path()  # build before timing anything (a one-time cost)
    load_before = _load()
    if load_before and load_before[0] > 0.5:
        print(
            f"warning: load average {load_before[0]:.2f} before starting; other work on this "
            "machine skews both sides",
            file=sys.stderr,
        )

    settings = Settings(
        threads=threads,
        n_prompt=args.n_prompt,
        n_gen=args.n_gen,
        n_batch=args.batch,
        n_ubatch=args.ubatch,
        flash_attn=args.flash_attn,
        repetitions=args.repetitions,
        swa_full=args.swa_full,
        gpu_layers=args.gpu_layers,
    )
    rows: list[dict[str, Any]] = []
    for model in models:
        print(f"{model.name}: {threads} threads", file=sys.stderr, flush=True)
        measured = bench_model(model, settings)
        engine, native = measured["engine"], measured["native"]
        rows.append(
            {
                "model": model.name,
                "model_path": str(model),
                "model_bytes": model.stat().st_size,
                "threads": threads,
                **measured,
                "pp_ratio": _ratio(engine["pp_tps"], native["pp_tps"]),
                "tg_ratio": _ratio(engine["tg_tps"], native["tg_tps"]),
                "spread": {
                    f"{side}_{kind}": _spread(measured[side][f"{kind}_tps_samples"])
                    for side in ("engine", "native")
                    for kind in ("pp", "tg")
                },
            }
        )

    table = format_table(rows)
    print(table)
    misses = [
        f"{r['model']} {kind}"
        for r in rows
        for kind in ("pp", "tg")
        if not r[f"{kind}_ratio"] >= TARGET_RATIO
    ]
    verdict = "all ratios >= " if not misses else "below target " + ", ".join(misses) + "; "
    print(f"{verdict}target {TARGET_RATIO}")
    noisy = [
        f"{r['model']} {name} {value:.0%}"
        for r in rows
        for name, value in r["spread"].items()
        if not value <= NOISY_SPREAD
    ]
    busy = [
        f"{r['model']} {r['foreign_cpu_share']:.0%}"
        for r in rows
        if r["foreign_cpu_share"] is not None and r["foreign_cpu_share"] > BUSY_SHARE
    ]
    if noisy:
        print("noisy (spread of repetitions above 10%): " + ", ".join(noisy))
    if busy:
        print("other processes used CPU during the runs: " + ", ".join(busy))
    if noisy or busy:
        print("rerun on an idle machine, or with more --repetitions")

    result = {
        "benchmark": "engine",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "target_ratio": TARGET_RATIO,
        "settings": {
            "threads": threads,
            "repetitions": args.repetitions,
            "n_prompt": args.n_prompt,
            "n_gen": args.n_gen,
            "n_batch": args.batch,
            "n_ubatch": args.ubatch,
            "flash_attn": args.flash_attn,
            "swa_full": args.swa_full,
            "statistic": "median",
            "interleaved": True,
        },
        "versions": {
            "fireside": _version("fireside"),
            "llama_cpp_python": native_llama.llama_cpp_python_version(),
            "native_build": native_llama.build_info(),
        },
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": _load()},
        "results": rows,
        "table": table,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
