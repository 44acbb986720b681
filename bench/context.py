"""The context stack's cost per turn: reuse against replaying every turn from a cold cache.

Run ``python -m bench.context``. For each model it drives a 30-turn chat through a real
``ChatSession`` (SQLite store, context stack, engine process) and records, per turn:

* ``ttft`` with reuse: from ``session.send()`` to the first text piece (template rendering,
  tokenization, storing the message, evaluating the new tokens, sampling one token);
* ``eval_new``: the engine's time evaluating just the tokens new to its cache;
* the share of the prompt's tokens served from the cache.

Then it replays the same prompts with the cache cleared before each (``cold``), and measures
one eviction at a small context with KV shift on and off. It prints a table and writes
``bench/results/context.json``. Targets (from the issue): from turn 5 on, >= 95% of prompt
tokens from cache, and ttft <= 1.2 x eval_new. A benchmark: it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.chat.session import ChatSession, Reply
from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.engine.protocol import LoadOptions, SamplingParams
from core.engine.threads import physical_cores

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "results" / "context.json"
MARK_TURNS = (1, 5, 10, 20, 30)
# A system prompt and questions of ordinary length: the share of the prompt served from the
# cache depends on how long the history is next to each new question.
SYSTEM = (
    "You are Fireside, a helpful assistant that runs privately on this computer. Answer "
    "clearly and accurately. When a question is about a document, say which part of it your "
    "answer comes from. Prefer short paragraphs and lists where they help. If you do not "
    "know something, say so instead of guessing. Answer in the language of the question."
)
TOPICS = ["rivers", "volcanoes", "bridges", "bees", "glaciers", "lighthouses", "comets",
          "forests", "deserts", "tides"]  # fmt: skip


def question(turn: int) -> str:
    return f"Question {turn}: explain how {TOPICS[turn % len(TOPICS)]} work, in some detail."


def timed_reply(session: ChatSession, text: str) -> tuple[Reply, float]:
    """Send and read the whole reply; the time from sending to its first piece."""
    started = time.perf_counter()
    reply = session.send(text)
    ttft = None
    for _ in reply:
        if ttft is None:
            ttft = time.perf_counter() - started
    return reply, ttft if ttft is not None else time.perf_counter() - started


def conversation(client: EngineClient, turns: int, max_tokens: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, ChatStore(Path(tmp) / "c.db") as store:
        chat = store.create_chat(system_prompt=SYSTEM)
        session = ChatSession(store, client, chat.id,
                              SamplingParams(temperature=0.0, max_tokens=max_tokens))  # fmt: skip
        client.reset_cache()
        for turn in range(1, turns + 1):
            reply, ttft = timed_reply(session, question(turn))
            assert reply.result is not None and session.last_prompt is not None
            stats = reply.result.stats
            rows.append({
                "turn": turn,
                "prompt_tokens": stats.prompt_tokens,
                "cached_tokens": stats.cached_tokens,
                "evaluated_tokens": stats.evaluated_tokens,
                "cached_share": stats.cached_tokens / stats.prompt_tokens,
                "ttft_s": ttft,
                "eval_new_s": stats.prompt_eval_s,
                "prompt_ids": list(session.last_prompt.tokens),
            })  # fmt: skip
    return rows


def cold_replay(client: EngineClient, rows: list[dict[str, Any]]) -> None:
    """The same prompts, each evaluated from an empty cache."""
    for row in rows:
        if row["turn"] not in MARK_TURNS:
            continue
        client.reset_cache()
        started = time.perf_counter()
        generation = client.generate_tokens(
            row["prompt_ids"], SamplingParams(temperature=0.0, max_tokens=1)
        )
        generation.result()
        row["cold_ttft_s"] = time.perf_counter() - started


def eviction_cost(model: Path, threads: int, kv_shift: bool) -> dict[str, Any]:
    """Chat at a 2048-token context until the first eviction; what that turn costs."""
    with EngineClient() as client, tempfile.TemporaryDirectory() as tmp, \
            ChatStore(Path(tmp) / "c.db") as store:  # fmt: skip
        client.load_chat(model, LoadOptions(n_ctx=2048, n_threads=threads, kv_shift=kv_shift))
        chat = store.create_chat(system_prompt=SYSTEM)
        session = ChatSession(store, client, chat.id,
                              SamplingParams(temperature=0.0, max_tokens=160))  # fmt: skip
        before: list[float] = []
        for turn in range(1, 200):
            reply, ttft = timed_reply(session, question(turn))
            assert reply.result is not None
            if reply.prompt.evicted:
                stats = reply.result.stats
                return {
                    "kv_shift": kv_shift, "turn": turn, "ttft_s": ttft,
                    "evaluated_tokens": stats.evaluated_tokens,
                    "shifted_tokens": stats.shifted_tokens,
                    "median_ttft_before_s": statistics.median(before[-5:]),
                }  # fmt: skip
            before.append(ttft)
    raise RuntimeError("no eviction happened")


def bench_model(model: Path, threads: int, turns: int, max_tokens: int) -> dict[str, Any]:
    with EngineClient() as client:
        info = client.load_chat(model, LoadOptions(n_ctx=8192, n_threads=threads))
        rows = conversation(client, turns, max_tokens)
        cold_replay(client, rows)
    for row in rows:
        del row["prompt_ids"]
    return {
        "model": model.name, "threads": threads, "n_ctx": info.n_ctx, "turns": rows,
        "eviction": [eviction_cost(model, threads, True), eviction_cost(model, threads, False)],
    }  # fmt: skip


def format_table(result: dict[str, Any]) -> str:
    lines = [f"{result['model']} (threads {result['threads']}, n_ctx {result['n_ctx']})",
             "turn | prompt | cached | from cache | ttft reuse | eval new | ttft/eval "
             "| ttft cold | speed-up"]  # fmt: skip
    for row in result["turns"]:
        if row["turn"] not in MARK_TURNS:
            continue
        ratio = row["ttft_s"] / row["eval_new_s"] if row["eval_new_s"] > 0 else float("nan")
        lines.append(
            f"{row['turn']:>4} | {row['prompt_tokens']:>6} | {row['cached_tokens']:>6} | "
            f"{row['cached_share']:>9.1%} | {row['ttft_s'] * 1000:>8.0f}ms | "
            f"{row['eval_new_s'] * 1000:>6.0f}ms | {ratio:>9.2f} | "
            f"{row['cold_ttft_s'] * 1000:>7.0f}ms | {row['cold_ttft_s'] / row['ttft_s']:>7.1f}x"
        )
    later = [r["cached_share"] for r in result["turns"] if r["turn"] >= 5]
    lines.append(f"from turn 5 on: min share from cache {min(later):.1%}")
    for ev in result["eviction"]:
        lines.append(
            f"eviction (kv_shift={'on' if ev['kv_shift'] else 'off'}) at turn {ev['turn']}: "
            f"ttft {ev['ttft_s'] * 1000:.0f}ms (turns before: "
            f"{ev['median_ttft_before_s'] * 1000:.0f}ms), evaluated {ev['evaluated_tokens']}, "
            f"shifted {ev['shifted_tokens']}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from tests.model_files import GEMMA_270M, QWEN_05B, fetch

    parser = argparse.ArgumentParser(prog="python -m bench.context")
    parser.add_argument("--model", action="append", type=Path, help="GGUF (repeatable)")
    parser.add_argument("--threads", type=int, default=physical_cores())
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    models = args.model or [fetch(GEMMA_270M), fetch(QWEN_05B)]
    results = []
    for model in models:
        result = bench_model(model, args.threads, args.turns, args.max_tokens)
        print(format_table(result), flush=True)
        print()
        results.append(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "benchmark": "context", "created": dt.datetime.now(dt.UTC).isoformat(),
        "results": results}, indent=1))  # fmt: skip
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
