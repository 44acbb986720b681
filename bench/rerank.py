"""Retrieval with the reranking stage off and on, over the grounded question set.

    python -m bench.rerank [--reranker PATH] [--candidates 20]

Writes the documents of ``tests/grounded`` (PDFs with pages, Chinese text, Markdown),
ingests them with the real sentence-embedding model (all-MiniLM-L6-v2 from
``../shared/models``), then asks every answerable question of ``tests/grounded/questions.py``
twice through the real retriever: fused (keyword + vector) only, and with the reranker
reordering the fused best ``--candidates``. A hit is a chunk of the right document (and
page) that holds the fact, as in ``bench.grounded``. Figures per language: hit@1, hit@5,
MRR, and the reranker's time per question.

No cross-encoder's weights can be had on this machine (bench/README.md says what was
searched): without ``--reranker`` the stage runs the tests' stand-in with a whole
cross-encoder head (``tests.reranker_files.minilm_cross_encoder``: MiniLM-L6 with a made-up
pooler and classifier, batched as a real cross-encoder is). It has the architecture and size
of ms-marco-MiniLM-L-6-v2, so its time per question is what such a reranker costs here; its
scores are not a relevance, so its hit figures say nothing about what a real reranker gains.
Give a real one (bge-reranker-v2-m3, Qwen3-Reranker-0.6B) with ``--reranker``. Prints a
table, writes ``bench/results/rerank.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.knowledge.retrieval import Hit  # noqa: E402
from tests.grounded.documents import write_documents  # noqa: E402
from tests.grounded.questions import QUESTIONS, Question, holds_fact  # noqa: E402

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "rerank.json"
ENGINE_LOG = ROOT / "bench" / "results" / "engine-process.log"
COLLECTION = "grounded"


def rank_of(question: Question, hits: Sequence[Hit]) -> int | None:
    """1-based rank of the first chunk of the right place that holds the fact."""
    for rank, hit in enumerate(hits, start=1):
        right_place = Path(hit.file).name == question.file and (
            question.page is None or hit.page == question.page
        )
        if right_place and holds_fact(hit.text, question.facts):
            return rank
    return None


def summary(ranks: Sequence[int | None], seconds: float) -> dict[str, float | int]:
    n = max(1, len(ranks))
    return {
        "questions": len(ranks),
        "hit@1": round(sum(r == 1 for r in ranks) / n, 3),
        "hit@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 3),
        "ms_per_question": round(1000 * seconds / n, 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from core.engine.client import EngineClient
    from core.knowledge.embedder import Embedder
    from core.knowledge.knowledge_base import KnowledgeBase
    from core.knowledge.rerank import Reranker
    from core.paths import AppPaths
    from tests.model_files import sentence_model
    from tests.reranker_files import minilm_cross_encoder

    questions = [q for q in QUESTIONS if q.answerable]
    reranker_path = Path(args.reranker) if args.reranker else minilm_cross_encoder()
    ENGINE_LOG.parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="fireside-rerank-") as tmp:
        work = Path(tmp)
        files = write_documents(work / "documents")
        paths = AppPaths.under(work / "home").ensure()
        with EngineClient(log_path=ENGINE_LOG) as client, KnowledgeBase(paths) as kb:
            embedder = Embedder(client, sentence_model(), n_ctx=512, n_threads=args.threads)
            kb.ingestion(embedder, COLLECTION).run(files)
            reranker = Reranker(client, reranker_path, candidates=args.candidates,
                                n_threads=args.threads)  # fmt: skip
            reranker.ensure_loaded()
            for stage, second in (("off", None), ("on", reranker)):
                retriever = kb.retriever(embedder, second)
                for lang in ("en", "zh", "all"):
                    chosen = [q for q in questions if lang in ("all", q.lang)]
                    before = reranker.seconds
                    began = time.perf_counter()
                    ranks = [rank_of(q, retriever.search(q.text, 5, [COLLECTION]))
                             for q in chosen]  # fmt: skip
                    took = time.perf_counter() - began
                    row = summary(ranks, took)
                    row["rerank_ms_per_question"] = round(
                        1000 * (reranker.seconds - before) / max(1, len(chosen)), 1
                    )
                    rows[f"{stage}/{lang}"] = row
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "reranker": reranker_path.name,
        "stand_in": not args.reranker,
        "candidates": args.candidates,
        "rows": rows,
    }


def print_table(result: dict[str, Any]) -> None:
    stand_in = " (stand-in: MiniLM with a made-up cross-encoder head, not a relevance model)"
    note = stand_in if result["stand_in"] else ""
    print(f"reranker: {result['reranker']}{note}; candidates {result['candidates']}")
    print(f"  {'stage':<5} {'lang':<4} {'n':>3} {'hit@1':>6} {'hit@5':>6} {'MRR':>6} "
          f"{'ms/q':>7} {'rerank ms/q':>11}")  # fmt: skip
    for key, r in result["rows"].items():
        stage, lang = key.split("/")
        print(f"  {stage:<5} {lang:<4} {r['questions']:>3} {r['hit@1']:6.2f} {r['hit@5']:6.2f} "
              f"{r['mrr']:6.2f} {r['ms_per_question']:7.1f} "
              f"{r['rerank_ms_per_question']:11.1f}")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.rerank",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--reranker", default=None, help="a reranker GGUF (default: the tests' stand-in)"
    )
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)  # fmt: skip
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    result = run(args)
    print_table(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
