"""The packaged app: bundle size on disk, and time from launch to a usable window.

Run ``python -m bench.package`` from the repository root after ``packaging/build``. It

* measures the bundle (``dist/Fireside`` by default): bytes on disk, files, and the largest
  parts of ``_internal/`` (what to look at when the bundle grows);
* launches the frozen app ``--launches`` times (default 7) with ``FIRESIDE_EXIT_WHEN_READY=1``,
  under which ``desktop.window.app`` prints ``ready <seconds since its process started>`` once the
  main window has first been shown, then quits. Each launch gets a fresh temporary
  ``FIRESIDE_HOME`` (a first start, as a person's first double-click). Reported: the app's own
  figure and the wall time seen from here (spawn to the ``ready`` line), the first launch
  (coldest file cache) apart from the median of the rest;
* does the same for the release bundle (``dist/release/Fireside``, made by ``packaging/build
  --release``: llama.cpp's CPU code chosen at run time) when it is there, and from source
  (``python -m desktop.window.app``) unless ``--no-source``; the launches take turns, so a
  change in load falls on each alike.

The window runs on Qt's ``offscreen`` platform unless ``--platform`` says otherwise (``xcb``
under Xvfb or a desktop). Target: the frozen app's median under 2 s on this machine. It
prints a table and writes everything to ``bench/results/package.json``; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.engine import machine_info

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUNDLE = ROOT / "dist" / "Fireside"
DEFAULT_RELEASE_BUNDLE = ROOT / "dist" / "release" / "Fireside"
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "package.json"
READY_ENV = "FIRESIDE_EXIT_WHEN_READY"
TARGET_S = 2.0
TIMEOUT_S = 60.0


def bundle_size(bundle: Path, top: int = 12) -> dict[str, Any]:
    """Bytes of every file (symlinks counted as links, not as their targets), and the
    largest entries of the folder that holds the libraries."""
    total, files = 0, 0
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        total += path.stat().st_size
        files += 1
    inner = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    parts = []
    for entry in inner.iterdir():
        if entry.is_symlink():
            continue
        size = (
            sum(p.stat().st_size for p in entry.rglob("*") if p.is_file() and not p.is_symlink())
            if entry.is_dir() else entry.stat().st_size
        )  # fmt: skip
        parts.append((entry.name, size))
    parts.sort(key=lambda item: item[1], reverse=True)
    return {
        "path": str(bundle),
        "bytes": total,
        "mib": round(total / 2**20, 1),
        "files": files,
        "largest": [{"name": n, "bytes": s, "mib": round(s / 2**20, 1)} for n, s in parts[:top]],
    }


def _executable(bundle: Path) -> Path:
    return bundle / ("Fireside.exe" if os.name == "nt" else "Fireside")


def launch(command: Sequence[str], platform: str) -> dict[str, Any]:
    """Start the app once with a fresh home; wait for its ``ready`` line and its exit."""
    with tempfile.TemporaryDirectory(prefix="fireside-bench-") as home:
        env = {**os.environ, READY_ENV: "1", "FIRESIDE_HOME": home, "QT_QPA_PLATFORM": platform}
        began = time.perf_counter()
        process = subprocess.Popen(list(command), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, cwd=ROOT)  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        buffered, wall, reported = b"", None, None
        deadline = began + TIMEOUT_S
        while wall is None and time.perf_counter() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.perf_counter())):
                break
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break  # the app closed its output: it ended without saying ready
            buffered += chunk
            for line in buffered.decode(errors="replace").splitlines():
                if line.startswith("ready"):
                    wall = time.perf_counter() - began
                    fields = line.split()
                    reported = float(fields[1]) if len(fields) > 1 else None
        selector.close()
        try:
            code = process.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        errors = process.stderr.read().decode(errors="replace")
        process.stdout.close()
        process.stderr.close()
    return {"wall_s": wall, "reported_s": reported, "exit_code": code,
            "stderr_tail": errors.strip().splitlines()[-5:] if wall is None else []}  # fmt: skip


def measure_all(commands: dict[str, Sequence[str]], launches: int,
                platform: str) -> list[dict[str, Any]]:  # fmt: skip
    """Launch each app ``launches`` times, taking turns (one of each, then again), so a
    change in the machine's load falls on all of them alike."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    for index in range(launches):
        for name, command in commands.items():
            if runs[name] and runs[name][-1]["wall_s"] is None:
                continue  # it failed: no point launching it again
            run = launch(command, platform)
            runs[name].append(run)
            shown = "no ready line" if run["wall_s"] is None else f"{run['wall_s']:.2f} s"
            print(f"{name} launch {index + 1}/{launches}: {shown}", file=sys.stderr, flush=True)
            if run["wall_s"] is None:
                print("\n".join(run["stderr_tail"]), file=sys.stderr)
    return [summary(name, commands[name], runs[name], launches) for name in commands]


def summary(name: str, command: Sequence[str], runs: list[dict[str, Any]],
            launches: int) -> dict[str, Any]:  # fmt: skip
    good = [r for r in runs if r["wall_s"] is not None]
    warm = good[1:] or good

    def median(key: str, rows: list[dict[str, Any]]) -> float | None:
        values = [r[key] for r in rows if r[key] is not None]
        return statistics.median(values) if values else None

    return {
        "name": name,
        "command": list(command),
        "launches": runs,
        "first_wall_s": good[0]["wall_s"] if good else None,
        "median_wall_s": median("wall_s", warm),
        "median_reported_s": median("reported_s", warm),
        "min_wall_s": min((r["wall_s"] for r in warm), default=None),
        "max_wall_s": max((r["wall_s"] for r in warm), default=None),
        "failed": len(good) < launches,
    }


def format_table(sizes: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    header = ("launch", "first s", "median s", "app's own s", "min s", "max s")
    body = [
        (r["name"], seconds(r["first_wall_s"]), seconds(r["median_wall_s"]),
         seconds(r["median_reported_s"]), seconds(r["min_wall_s"]), seconds(r["max_wall_s"]))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                          for i, (c, w) in enumerate(zip(cells, widths, strict=True)))  # fmt: skip

    def described(size: dict[str, Any]) -> str:
        parts = ", ".join(f"{p['name']} {p['mib']}" for p in size["largest"][:6])
        return (f"{size['name']} bundle {size['path']}: {size['mib']} MiB in {size['files']} "
                f"files (largest, MiB: {parts})")  # fmt: skip

    return "\n".join([
        *(described(size) for size in sizes),
        "",
        line(header),
        "-+-".join("-" * w for w in widths),
        *(line(r) for r in body),
    ])  # fmt: skip


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.package",
        description="Bundle size, and time from launching the frozen app to its window.",
    )
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE,
                        help="the one-folder app (default: dist/Fireside)")  # fmt: skip
    parser.add_argument(
        "--release-bundle",
        type=Path,
        default=DEFAULT_RELEASE_BUNDLE,
        help="the release build's app (packaging/build --release), measured "
        "beside the other when it is there (default: dist/release/Fireside)",
    )
    parser.add_argument(
        "--no-release", action="store_true", help="skip the release bundle even when it is there"
    )
    parser.add_argument("--launches", type=int, default=7, help="launches each (default 7)")
    parser.add_argument("--platform", default="offscreen",
                        help="QT_QPA_PLATFORM for the window (default: offscreen)")  # fmt: skip
    parser.add_argument("--no-source", action="store_true",
                        help="skip the from-source launches")  # fmt: skip
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.launches < 1:
        parser.error("--launches must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    bundles = {"frozen": args.bundle.resolve()}
    release = args.release_bundle.resolve()
    if not args.no_release and _executable(release).is_file():
        bundles["release"] = release
    elif args.release_bundle != DEFAULT_RELEASE_BUNDLE and not args.no_release:
        print(f"error: no frozen app at {_executable(release)}; run packaging/build --release",
              file=sys.stderr)  # fmt: skip
        return 2
    if not _executable(bundles["frozen"]).is_file():
        print(f"error: no frozen app at {_executable(bundles['frozen'])}; run packaging/build "
              "first", file=sys.stderr)  # fmt: skip
        return 2
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    sizes = [{"name": name, **bundle_size(path)} for name, path in bundles.items()]
    commands: dict[str, Sequence[str]] = {
        name: [str(_executable(path))] for name, path in bundles.items()
    }
    if not args.no_source:
        commands["source"] = [sys.executable, "-m", "desktop.window.app"]
    rows = measure_all(commands, args.launches, args.platform)
    table = format_table(sizes, rows)
    print(table)
    unclean = [f"{r['name']} {run['exit_code']}" for r in rows for run in r["launches"]
               if run["exit_code"] != 0]  # fmt: skip
    if unclean:
        print(f"launches that did not exit cleanly (exit codes): {', '.join(unclean)}")
    for row in rows:
        if row["name"] not in bundles:
            continue
        frozen = row["median_wall_s"]
        if frozen is None:
            print(f"the {row['name']} app never printed 'ready' (is {READY_ENV} wired in "
                  "desktop.window.app?)")  # fmt: skip
        else:
            verdict = "within" if frozen < TARGET_S else "over"
            print(f"{row['name']} median {frozen:.2f} s: {verdict} the {TARGET_S:.0f} s target")
    settings = {
        "launches": args.launches,
        "platform": args.platform,
        "statistic": "median of launches after the first",
    }
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None
    result = {
        "benchmark": "package",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "target_s": TARGET_S,
        "settings": settings,
        "bundle": sizes[0],
        "bundles": sizes,
        "results": rows,
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": load_after},
        "table": table,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0 if all(not r["failed"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
