"""GUI benchmark: does the window stay responsive, and how fast does it open?

Run ``python -m bench.gui`` from the repository root (offscreen Qt; no display needed).
Three figures, each the real window over a temporary Fireside home:

* **GUI-thread stalls while streaming with an ingestion running.** The Gemma test model
  writes a long reply while the knowledge panel indexes a folder of generated documents with
  the real sentence-embedding model (all-MiniLM-L6-v2 from ``../shared/models``; the Gemma
  model stands in when it is missing). A 2 ms timer on the GUI thread records how late each
  tick fires: lateness is time the event loop could not serve the person. p50, p99 and the
  maximum. Target: p99 under 50 ms.
* **Opening a 500-message chat**: from ``open_chat`` until the event queue is idle, median
  of several runs. Target: under 1 s.
* **Launch to a usable window**: ``python -m desktop.window.app`` with ``FIRESIDE_EXIT_WHEN_READY``
  set prints the process age when the window is shown and the event loop runs; median of
  several launches. Target: under 2 s from source.

It prints a short table and writes ``bench/results/gui.json``. It asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "gui.json"
EMBEDDING_CANDIDATES = (
    ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2-f16.gguf",
    Path("/work/shared/models/all-MiniLM-L6-v2-f16.gguf"),
)
TICK_MS = 2
TARGET_P99_MS = 50.0
TARGET_OPEN_S = 1.0
TARGET_LAUNCH_S = 2.0

_PARAGRAPH = (
    "The harbour office keeps a ledger of every ship that enters the port, with the tide, the "
    "weather and the cargo. In winter the lighthouse keeper records the storms and the hours "
    "the lantern burned. 港口办公室记录每一艘进港的船只、潮汐、天气和货物。"
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def write_corpus(folder: Path, documents: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(documents):
        body = "\n\n".join(f"{_PARAGRAPH} (note {i}.{j})" for j in range(12))
        (folder / f"note-{i:03d}.md").write_text(f"# Note {i}\n\n{body}\n", encoding="utf-8")
    return folder


class StallProbe:
    """A fast timer on the GUI thread; how late it fires is how long the loop was blocked."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.lateness_ms: list[float] = []
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lateness_ms.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now


def wait_for(app: Any, predicate: Any, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.001)
    return False


def stalls_while_streaming(app: Any, chat_model: Path, embedding_model: Path,
                           threads: int | None, max_tokens: int) -> dict[str, Any]:  # fmt: skip
    from core.engine.client import EngineClient
    from core.paths import AppPaths
    from core.settings import EngineSettings, SamplingSettings, Settings
    from desktop.window.main_window import MainWindow
    from desktop.window.services import AppServices

    with tempfile.TemporaryDirectory(prefix="fireside-bench-gui-") as tmp:
        home = Path(tmp) / "home"
        paths = AppPaths.under(home)
        settings = Settings(
            language="en",
            engine=EngineSettings(n_ctx=2048, n_threads=threads or 0),
            sampling=SamplingSettings(temperature=0.0, max_tokens=max_tokens,
                                      repeat_penalty=1.1),
        )  # fmt: skip
        services = AppServices(
            paths, EngineClient(log_path=ROOT / "bench" / "results" / "engine-process.log"),
            settings=settings, hf_cache_dir=Path(tmp) / "hf",
        )  # fmt: skip
        chat = services.registry.import_file(chat_model)
        embedder = services.registry.import_file(embedding_model)
        services.update_settings(
            replace(services.settings, chat_model=chat.id, embedding_model=embedder.id)
        )
        window = MainWindow(services)
        window.show()
        loaded: list[object] = []
        window.model_ready.connect(loaded.append)
        window.start()
        if not wait_for(app, lambda: bool(loaded), 300):
            raise SystemExit("the chat model did not load")
        corpus = write_corpus(Path(tmp) / "corpus", 40)
        finished: list[object] = []
        window.reply_finished.connect(finished.append)
        pieces: list[str] = []
        window.conversation.piece.connect(pieces.append)
        probe = StallProbe()
        probe.start()
        window.knowledge.add_paths([corpus])
        wait_for(app, lambda: False, 1.0)  # let the ingestion get going
        began = time.perf_counter()
        window.send("Write a long story about a harbour, a lighthouse and a winter storm.")
        if not wait_for(app, lambda: bool(finished), 600):
            raise SystemExit("the reply did not finish")
        streamed_s = time.perf_counter() - began
        probe.stop()
        lateness = probe.lateness_ms
        window.close()
        services.close()
        return {
            "ticks": len(lateness),
            "stall_p50_ms": percentile(lateness, 0.50),
            "stall_p99_ms": percentile(lateness, 0.99),
            "stall_max_ms": max(lateness) if lateness else 0.0,
            "streamed_s": streamed_s,
            "pieces": len(pieces),
            "embedding_model": embedding_model.name,
        }


def open_long_chat(app: Any, repetitions: int) -> dict[str, Any]:
    from core.engine.client import EngineClient
    from core.paths import AppPaths
    from desktop.window.main_window import MainWindow
    from desktop.window.services import AppServices

    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="fireside-bench-gui-") as tmp:
        services = AppServices(AppPaths.under(Path(tmp) / "home"), EngineClient(),
                               hf_cache_dir=Path(tmp) / "hf")  # fmt: skip
        store = services.chats
        chat = store.create_chat("500 messages")
        parent = None
        for i in range(250):
            parent = store.add_message(chat.id, parent, "user", f"Question {i}: {_PARAGRAPH}").id
            reply = f"## Answer {i}\n\n{_PARAGRAPH}\n\n- one\n- two\n\n```python\nprint({i})\n```\n"
            parent = store.add_message(chat.id, parent, "assistant", reply).id
        store.set_active_leaf(chat.id, parent)
        other = store.create_chat("empty")
        window = MainWindow(services)
        window.show()
        wait_for(app, lambda: False, 0.5)
        for _ in range(repetitions):
            window.open_chat(other.id)
            wait_for(app, lambda: False, 0.2)
            began = time.perf_counter()
            window.open_chat(chat.id)
            app.processEvents()
            app.processEvents()
            times.append(time.perf_counter() - began)
        window.close()
        services.close()
    return {"open_500_s": statistics.median(times), "open_500_runs_s": times}


def launch_times(chat_model: Path, repetitions: int) -> dict[str, Any]:
    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="fireside-bench-gui-") as tmp:
        env = {**os.environ, "FIRESIDE_HOME": str(Path(tmp) / "home"),
               "FIRESIDE_EXIT_WHEN_READY": "1", "QT_QPA_PLATFORM": "offscreen"}  # fmt: skip
        # A home with a model installed, as after the first run.
        subprocess.run(
            [sys.executable, "-m", "core.cli", "models", "import", str(chat_model)],
            env=env, check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        for _ in range(repetitions):
            done = subprocess.run([sys.executable, "-m", "desktop.window.app"], env=env, cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)  # fmt: skip
            line = next((x for x in done.stdout.splitlines() if x.startswith("ready ")), None)
            if line is None:
                raise SystemExit(f"the app did not report ready:\n{done.stderr[-2000:]}")
            times.append(float(line.split()[1]))
    return {"launch_s": statistics.median(times), "launch_runs_s": times}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="chat model (default: the Gemma test model)")
    parser.add_argument("--embedding-model", type=Path)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    from PySide6.QtWidgets import QApplication

    from tests.model_files import GEMMA_270M, fetch

    chat_model = args.model or fetch(GEMMA_270M)
    embedding = args.embedding_model or next(
        (p for p in EMBEDDING_CANDIDATES if p.is_file()), chat_model
    )
    app = QApplication.instance() or QApplication([])
    results: dict[str, Any] = {
        "benchmark": "gui",
        "created": dt.datetime.now(dt.UTC).isoformat(),
        "chat_model": chat_model.name,
    }
    results.update(stalls_while_streaming(app, chat_model, embedding, args.threads,
                                          args.max_tokens))  # fmt: skip
    results.update(open_long_chat(app, args.repetitions))
    results.update(launch_times(chat_model, args.repetitions))
    rows = [
        ("GUI stall p50 while streaming + ingesting", f"{results['stall_p50_ms']:.1f} ms", ""),
        ("GUI stall p99", f"{results['stall_p99_ms']:.1f} ms", f"< {TARGET_P99_MS:.0f} ms"),
        ("GUI stall max", f"{results['stall_max_ms']:.1f} ms", ""),
        ("open a 500-message chat", f"{results['open_500_s'] * 1000:.0f} ms",
         f"< {TARGET_OPEN_S * 1000:.0f} ms"),
        ("launch to usable window", f"{results['launch_s']:.2f} s", f"< {TARGET_LAUNCH_S:.0f} s"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}} | value     | target")
    for name, value, target in rows:
        print(f"{name:<{width}} | {value:<9} | {target}")
    print(f"({results['pieces']} pieces streamed in {results['streamed_s']:.1f} s, "
          f"{results['ticks']} ticks, embedding model {results['embedding_model']})")  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
