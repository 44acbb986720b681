"""What rendering chat templates in the template process costs the context stack.

Run ``python -m bench.templates``. With Qwen2.5's own template (read from its GGUF header)
and chats of 10, 100 and 300 messages, it times laying out every frame of a chat as a chat
just opened does (``ChatSession.prepare``) and the frames of one new turn (a send), each:

* ``in-process``: the template rendered here, plain content only, one variant (what the
  context stack did before templates moved to their own process);
* ``template process``: ``TemplateProcess.marked_layout``, as the stack does now: the plain
  and the marked variant rendered in the child (the marked one is what is tokenized, the
  plain one proves the marks change nothing), one round trip over the pipe.

Tokenization is left out: it is the same on both sides. It also records how long the
template process takes to start (once per app run). Prints a table and writes
``bench/results/templates.json``. A benchmark: it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from core.engine.gguf import read_header
from core.engine.protocol import ChatMessage
from core.engine.template import ChatTemplate
from core.engine.template_layout import layout
from core.engine.template_marks import Marker
from core.engine.template_process import TemplateProcess

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "results" / "templates.json"
SIZES = (10, 100, 300)
FILLER = "The keeper wrote about the storm, the tide and the ships in the bay. " * 4
CONTROL = ("<|im_start|>", "<|im_end|>", "<|endoftext|>")


def chat(size: int) -> list[ChatMessage]:
    messages = [ChatMessage("system", "You are brief.")]
    for i in range(size // 2):
        messages += [ChatMessage("user", f"Question {i}: {FILLER}"),
                     ChatMessage("assistant", f"Answer {i}: {FILLER}")]  # fmt: skip
    return [*messages, ChatMessage("user", "And now?")]


def median_s(run: Callable[[], Any], repetitions: int) -> float:
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench(template: ChatTemplate, repetitions: int) -> dict[str, Any]:
    templates = TemplateProcess()
    marker = Marker(CONTROL)
    started = time.perf_counter()
    templates.render(template, [ChatMessage("user", "Hi")])
    start_s = time.perf_counter() - started
    rows = []
    try:
        for size in SIZES:
            messages = chat(size)
            every = list(range(len(messages)))
            newest = every[-2:]

            def local(wanted: list[int], messages: list[ChatMessage] = messages) -> Any:
                return layout(lambda m, g: template.render(m, g), messages, wanted)

            def remote(wanted: list[int], messages: list[ChatMessage] = messages) -> Any:
                return templates.marked_layout(template, marker, messages, wanted)

            row: dict[str, Any] = {"messages": len(messages)}
            for name, wanted in (("open", every), ("turn", newest)):
                row[f"{name}_in_process_s"] = median_s(partial(local, wanted), repetitions)
                row[f"{name}_template_process_s"] = median_s(partial(remote, wanted), repetitions)
            rows.append(row)
    finally:
        templates.close()
    return {"start_s": start_s, "rows": rows}


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"template process start: {result['start_s'] * 1000:.0f} ms",
        "messages | open: in-process | open: template process | turn: in-process | "
        "turn: template process",
        "---|---|---|---|---",
    ]
    for row in result["rows"]:
        lines.append(
            f"{row['messages']} | {row['open_in_process_s'] * 1000:.1f} ms | "
            f"{row['open_template_process_s'] * 1000:.1f} ms | "
            f"{row['turn_in_process_s'] * 1000:.2f} ms | "
            f"{row['turn_template_process_s'] * 1000:.2f} ms"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from tests.model_files import QWEN_05B, fetch

    parser = argparse.ArgumentParser(prog="python -m bench.templates")
    parser.add_argument("--model", type=Path, help="a GGUF with a chat template")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    header = read_header(args.model or fetch(QWEN_05B))
    if header.chat_template is None:
        print("that model has no chat template", file=sys.stderr)
        return 2
    result = bench(ChatTemplate(header.chat_template), args.repetitions)
    print(format_table(result))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "benchmark": "templates", "created": dt.datetime.now(dt.UTC).isoformat(),
        "model": str(header.path), "result": result}, indent=1))  # fmt: skip
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
