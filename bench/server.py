"""The local server (core/server/) against the engine client directly (issue 17).

    python -m bench.server [--threads 2] [--tokens 64] [--runs 3] [--turns 10]

On the Qwen test model: time to first token and decode tokens/s of the same greedy reply
asked of the engine client directly and through ``POST /v1/chat/completions`` (streamed,
read with httpx; the cache is reset before every run, so both evaluate the whole prompt);
a ``--turns``-turn conversation resent in full each turn, with the ``cached_tokens`` the
server reports; and requests per second for ``/v1/embeddings`` batches of 4 short texts on
all-MiniLM-L6-v2. Prints a table, writes ``bench/results/server.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from core.engine.client import EngineClient  # noqa: E402
from core.engine.protocol import ChatMessage, LoadOptions, SamplingParams  # noqa: E402
from core.i18n import Translator  # noqa: E402
from core.models.registry import ModelRegistry  # noqa: E402
from core.paths import AppPaths  # noqa: E402
from core.server.served_models import ServedModels  # noqa: E402
from core.server.server import LocalServer, ServerConfig  # noqa: E402
from tests.model_files import QWEN_05B, fetch, sentence_model  # noqa: E402

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "server.json"
ENGINE_LOG = ROOT / "bench" / "results" / "engine-process.log"
PROMPT = "Count from 1 to 100, one number per line."


def direct_run(client: EngineClient, tokens: int) -> dict[str, float]:
    client.reset_cache()
    sampling = SamplingParams(temperature=0.0, max_tokens=tokens)
    generation = client.generate([ChatMessage("user", PROMPT)], sampling)
    generation.result()
    stats = generation.stats
    assert stats is not None
    return {"ttft_s": stats.ttft_s, "tps": stats.decode_tps, "tokens": stats.generated_tokens}


def server_run(client: EngineClient, url: str, model: str, tokens: int) -> dict[str, float]:
    """Client-side figures: request sent to first text, then tokens after it over time."""
    client.reset_cache()
    body = {"model": model, "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": tokens, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}  # fmt: skip
    start = time.perf_counter()
    first = last = 0.0
    generated = 0
    with httpx.stream("POST", url + "/chat/completions", json=body, timeout=600) as response:
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                generated = chunk["usage"]["completion_tokens"]
            elif chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                last = time.perf_counter()
                first = first or last
    decode = last - first
    return {"ttft_s": first - start, "tps": (generated - 1) / decode if decode > 0 else 0.0,
            "tokens": generated}  # fmt: skip


def conversation(url: str, model: str, turns: int) -> list[dict[str, int]]:
    messages: list[dict[str, str]] = []
    rows = []
    with httpx.Client(timeout=600) as http:
        for turn in range(1, turns + 1):
            messages.append({"role": "user", "content": f"Give me fact number {turn} about owls."})
            reply = http.post(url + "/chat/completions", json={
                "model": model, "messages": messages, "max_tokens": 16, "temperature": 0,
            }).json()  # fmt: skip
            messages.append({"role": "assistant",
                             "content": reply["choices"][0]["message"]["content"]})  # fmt: skip
            usage = reply["usage"]
            rows.append(
                {
                    "turn": turn,
                    "prompt_tokens": usage["prompt_tokens"],
                    "cached_tokens": usage["prompt_tokens_details"]["cached_tokens"],
                }
            )
    return rows


def embedding_rate(url: str, model: str, requests: int) -> float:
    texts = ["The lamp is cleaned on Tuesdays.", "Roses are pruned in March.",
             "Owls hunt at night.", "Tea is grown on hills."]  # fmt: skip
    with httpx.Client(timeout=600) as http:
        http.post(url + "/embeddings", json={"model": model, "input": texts})  # loads it
        start = time.perf_counter()
        for _ in range(requests):
            http.post(url + "/embeddings", json={"model": model, "input": texts,
                                                 "encoding_format": "float"})  # fmt: skip
        return requests / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--embedding-requests", type=int, default=20)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["FIRESIDE_HOME"] = home
        paths = AppPaths.from_env()
        paths.ensure()
        registry = ModelRegistry(paths)
        qwen = registry.import_file(fetch(QWEN_05B)).id
        minilm = registry.import_file(sentence_model()).id
        options = LoadOptions(n_ctx=4096, n_threads=args.threads)
        ENGINE_LOG.parent.mkdir(parents=True, exist_ok=True)
        with EngineClient(log_path=ENGINE_LOG) as client:
            client.load_chat(registry.get(qwen).path, options)
            served = ServedModels(
                registry,
                client,
                chat_options=options,
                embedding_options=LoadOptions(n_ctx=512, n_threads=args.threads),
            )
            server = LocalServer(ServerConfig(port=0), client, served, SamplingParams(),
                                 Translator("en"))  # fmt: skip
            server.start()
            try:
                direct_run(client, 4)  # warm-up
                direct, through = [], []
                for _ in range(args.runs):
                    direct.append(direct_run(client, args.tokens))
                    through.append(server_run(client, server.base_url, qwen, args.tokens))
                turns = conversation(server.base_url, qwen, args.turns)
                rate = embedding_rate(server.base_url, minilm, args.embedding_requests)
            finally:
                server.stop()

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    ratio = median(through, "tps") / median(direct, "tps")
    print(f"{'path':<10} {'ttft s':>8} {'decode tok/s':>13} {'tokens':>7}")
    for name, rows in (("direct", direct), ("server", through)):
        print(f"{name:<10} {median(rows, 'ttft_s'):>8.3f} {median(rows, 'tps'):>13.1f} "
              f"{median(rows, 'tokens'):>7.0f}")  # fmt: skip
    print(f"server / direct decode speed: {ratio:.3f}")
    print(f"\n{'turn':>4} {'prompt':>7} {'cached':>7}")
    for row in turns:
        print(f"{row['turn']:>4} {row['prompt_tokens']:>7} {row['cached_tokens']:>7}")
    print(f"\nembeddings, batches of 4: {rate:.1f} requests/s")
    result: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(), "threads": args.threads, "tokens": args.tokens,
        "direct": direct, "server": through, "decode_ratio": ratio, "turns": turns,
        "embedding_requests_per_s": rate,
    }  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
