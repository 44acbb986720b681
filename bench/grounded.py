"""Grounded answers benchmark: are the answers right, and do their citations hold the fact?

Run ``python -m bench.grounded`` from the repository root. It writes the question set's
documents (``tests/grounded``: English and Chinese PDFs with pages, a GBK Chinese text,
Markdown), ingests them with the real sentence-embedding model (all-MiniLM-L6-v2 from
``../shared/models``) through the engine, and asks each question through the path
``fireside-cli chat --kb`` takes: the hybrid ``Retriever`` for the sources, the grounded user
frame, and a ``ChatSession`` on the engine with the real chat models from
``tests/model_files.py`` (Qwen2.5-Coder 0.5B and Gemma 3 270M), each question in a new chat,
greedy, with a fixed ``max_tokens``.

The same retrieved sources go through several prompt layouts on the same model, side by
side, so the layout is chosen by measurement:

* ``fireside``: ``core.knowledge.grounding.ground`` as it is now (with the session's one
  stricter retry of a bare reply and the citations found by attribution: what a person
  sees), including its evidence check (the plain line when no source holds a key term of
  the question).
* ``numbered``: Fireside's layout from issue 13's first fix until replies were cited by
  attribution: numbered excerpts, the model asked to cite them as [n].
* ``before``: Fireside's layout before issue 13 (kept here verbatim for comparison).
* ``gpt4all``: GPT4All's LocalDocs layout, ``### Context:`` then one
  ``Collection:/Path:/Excerpt:`` block per source, then the question (nomic-ai/gpt4all,
  gpt4all-chat/src/chatllm.cpp, ``ChatLLM::promptInternal``:
  ``u"Collection: %1\\nPath: %2\\nExcerpt: %3"`` joined by blank lines into
  ``u"### Context:\\n%1\\n\\n"`` before the prompt). It numbers nothing, so its citation
  figures are n/a.
* ``plain``: the numbered excerpts and the question, no file names and no instruction
  beyond one line.

Figures, per model, layout and language: retrieval hit@1, hit@5 and MRR (a hit is a chunk of
the right file and page that holds the fact); ``fact``: the answer contains the fact (in an
accepted form); ``cite``: the reply cites a source that holds the fact; ``only``: every [n]
in the reply is one of the sources it was given; ``honest``: a question the documents cannot
answer is answered with "not in the documents"; ``bare``: the reply is only citation markers
or shorter than a sentence; ``copied``: the reply pastes 150 characters or more of one
excerpt (it holds the fact without answering); ``retry``: replies regenerated once by the
session. Rows ``held`` are the held-out questions alone (``tests.grounded.questions.held_out``:
used for no choice of wording or threshold). Prints a short table and writes everything,
replies included, to ``bench/results/grounded.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.chat.replies import is_bare  # noqa: E402
from core.knowledge.grounding import GroundedTurn, cited_numbers, ground  # noqa: E402
from core.knowledge.retrieval import Hit  # noqa: E402
from tests.grounded.documents import write_documents  # noqa: E402
from tests.grounded.questions import (  # noqa: E402
    QUESTIONS,
    Question,
    contains_fact,
    held_out,
    holds_fact,
    honest_refusal,
)

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "grounded.json"
ENGINE_LOG = ROOT / "bench" / "results" / "engine-process.log"
EMBEDDING_CANDIDATES = (
    ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2-f16.gguf",
    Path("/work/shared/models/all-MiniLM-L6-v2-f16.gguf"),
)
COLLECTION = "grounded"
LAYOUTS = ("fireside", "numbered", "before", "gpt4all", "plain")
TARGETS = {"fact": 0.6, "cite": 0.8, "honest": 0.8}  # issue 13, on Qwen 0.5B

# ---- the layouts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutTurn:
    """A grounded turn in another layout: same sources, no retry (only Fireside has one)."""

    model_text: str
    citations: list[dict[str, Any]]
    retry_text: str | None = None


def _before(question: str, hits: Sequence[Hit]) -> str:
    """Fireside's grounded frame before issue 13 (core/knowledge/grounding.py at 004718d)."""
    zh = bool(re.search(r"[\u4e00-\u9fff]", question))
    if zh:
        page, intro = "第 {page} 页", "以下是来自用户文档的资料："
        ask = (
            "请根据这些资料回答下面的问题。每引用一条资料中的内容，"
            "就在后面用方括号标注资料编号，例如 [1] 或 [2]。如果资料中没有答案，请直接说明。"
        )
        q = "问题：{question}"
    else:
        page, intro = "page {page}", "Sources from the person's documents:"
        ask = ("Answer the question below using these sources. After each fact you take from "
               "them, cite its source number in square brackets, like [1] or [2]. If the "
               "sources do not contain the answer, say so.")  # fmt: skip
        q = "Question: {question}"
    blocks = [intro, ""]
    for number, hit in enumerate(hits, start=1):
        where = [Path(hit.file).name]
        if hit.page is not None:
            where.append(page.format(page=hit.page))
        if hit.heading:
            where.append(hit.heading)
        blocks += [f"[{number}] " + ", ".join(where), hit.text.strip(), ""]
    blocks += [ask, "", q.format(question=question.strip())]
    return "\n".join(blocks)


# Fireside's grounded frame from issue 13's first fix until the answers were cited by
# attribution (core/knowledge/grounding.py at 3bcc6a9): numbered "Source [n]:" excerpts and
# the request to cite them; the English and Chinese wordings, without the evidence line.
_NUMBERED = {
    "en": (
        "Excerpts from the person's documents:", "Source [{n}]:", "Question: {question}",
        "Answer the question in one or two complete sentences, using only the excerpts "
        "above. End the sentence with the number of the source you used in square "
        'brackets, like [2]. If the excerpts do not contain the answer, reply only: "The '
        'documents do not say."',
    ),
    "zh": ("根据以下资料回答，并用 [n] 注明出处。", "[{n}] ", "{question}", ""),
}  # fmt: skip


def _numbered(question: str, hits: Sequence[Hit]) -> str:
    intro, label, ask_question, ask = _NUMBERED["zh" if re.search(r"[\u4e00-\u9fff]", question)
                                               else "en"]  # fmt: skip
    blocks = [intro, ""]
    for number, hit in enumerate(hits, start=1):
        head = label.format(n=number)
        blocks += (
            [head + hit.text.strip(), ""] if head.endswith(" ") else [head, hit.text.strip(), ""]
        )
    blocks.append(ask_question.format(question=question.strip()))
    return "\n".join([*blocks, "", ask] if ask else blocks)


def _gpt4all(question: str, hits: Sequence[Hit]) -> str:
    """GPT4All LocalDocs: see the module docstring for where this layout comes from."""
    results = [f"Collection: {hit.collection}\nPath: {hit.file}\nExcerpt: {hit.text.strip()}"
               for hit in hits]  # fmt: skip
    return "### Context:\n" + "\n\n".join(results) + "\n\n" + question.strip()


def _plain(question: str, hits: Sequence[Hit]) -> str:
    zh = bool(re.search(r"[\u4e00-\u9fff]", question))
    line = (
        "根据以下资料回答，并用 [n] 注明出处。"
        if zh
        else "Answer from these excerpts; cite them as [n]."
    )
    excerpts = [f"[{n}] {hit.text.strip()}" for n, hit in enumerate(hits, start=1)]
    return "\n\n".join([line, *excerpts, question.strip()])


def layout_turn(layout: str, question: str, hits: Sequence[Hit]) -> GroundedTurn | LayoutTurn:
    fireside = ground(question, hits)
    if layout == "fireside":
        return fireside
    layouts = {"before": _before, "numbered": _numbered, "gpt4all": _gpt4all, "plain": _plain}
    text = layouts[layout](question, hits)
    return LayoutTurn(text, fireside.citations)


FIRST = "fireside/1st"  # table row: Fireside's first reply, before the session's retry
NUMBERED = {"fireside": True, "numbered": True, "before": True, "gpt4all": False, "plain": True}


# ---- one run -------------------------------------------------------------------------------


@dataclass
class Retrieved:
    question: Question
    hits: list[Hit]  # the best 5 (the first k are the sources)
    rank: int | None  # 1-based rank of the first chunk that holds the fact


@dataclass
class Answer:
    question: str
    lang: str
    model: str
    layout: str
    reply: str
    first_reply: str
    retried: bool
    seconds: float
    generated_tokens: int
    scores: dict[str, bool | None] = field(default_factory=dict)
    unmentioned: tuple[str, ...] = ()  # key terms no source held (fireside's evidence check)


def retrieval_rank(question: Question, hits: Sequence[Hit]) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        right_place = Path(hit.file).name == question.file and (
            question.page is None or hit.page == question.page
        )
        if right_place and holds_fact(hit.text, question.facts):
            return rank
    return None


def score(question: Question, reply: str, sources: Sequence[Hit], numbered: bool,
          ) -> dict[str, bool | None]:  # fmt: skip
    cited = cited_numbers(reply)
    given = set(range(1, len(sources) + 1))
    scores: dict[str, bool | None] = {
        "only": (cited <= given) if numbered else None,
        "bare": is_bare(reply),
        "copied": copied(reply, sources),
    }
    if question.answerable:
        scores["fact"] = contains_fact(re.sub(r"\[\d{1,3}\]", " ", reply), question.facts)
        scores["cite"] = (
            any(holds_fact(sources[n - 1].text, question.facts) for n in cited & given)
            if numbered else None
        )  # fmt: skip
    else:
        scores["honest"] = honest_refusal(reply)
    return scores


COPY_CHARS = 150  # a quoted sentence is shorter; a pasted excerpt is not an answer


def copied(reply: str, sources: Sequence[Hit]) -> bool:
    """Does the reply paste a long stretch of one excerpt (the model continuing the
    context instead of answering)? Such replies contain the fact without answering."""
    text = re.sub(r"\[\d{1,3}\]", "", reply)
    for hit in sources:
        matcher = SequenceMatcher(None, text, hit.text, autojunk=False)
        if matcher.find_longest_match(0, len(text), 0, len(hit.text)).size >= COPY_CHARS:
            return True
    return False


def _mean(values: Sequence[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def summarize(answers: Sequence[Answer]) -> dict[str, float | int | None]:
    def figure(name: str) -> float | None:
        return _mean([a.scores.get(name) for a in answers if name in a.scores])

    return {
        "questions": len(answers),
        "fact": figure("fact"),
        "cite": figure("cite"),
        "only": figure("only"),
        "honest": figure("honest"),
        "bare": figure("bare"),
        "copied": figure("copied"),
        "retry": _mean([a.retried for a in answers]),
        "seconds": round(sum(a.seconds for a in answers), 1),
    }


def retrieval_summary(items: Sequence[Retrieved]) -> dict[str, float | int]:
    answerable = [r for r in items if r.question.answerable]
    n = max(1, len(answerable))
    return {
        "questions": len(answerable),
        "hit@1": sum(r.rank == 1 for r in answerable) / n,
        "hit@5": sum(r.rank is not None and r.rank <= 5 for r in answerable) / n,
        "mrr": sum(1 / r.rank for r in answerable if r.rank) / n,
    }


def _model_paths(names: Sequence[str]) -> list[Path]:
    from tests.model_files import GEMMA_270M, QWEN_05B, fetch

    known = {"qwen": QWEN_05B, "gemma": GEMMA_270M}
    return [fetch(known[n]) if n in known else Path(n) for n in names]


def _embedding_model(given: str | None) -> Path:
    if given:
        return Path(given)
    for path in EMBEDDING_CANDIDATES:
        if path.exists():
            return path
    sys.exit("bench.grounded: all-MiniLM-L6-v2-f16.gguf not found in ../shared/models")


def select(lang: str, limit: int | None, ids: Sequence[str]) -> list[Question]:
    chosen: list[Question] = []
    for code in ("en", "zh"):
        if lang not in ("all", code):
            continue
        pool = [q for q in QUESTIONS if q.lang == code and (not ids or q.id in ids)]
        if limit is not None:  # keep both kinds: answerable first, then unanswerable
            answerable = [q for q in pool if q.answerable]
            other = [q for q in pool if not q.answerable]
            share = max(1, round(limit * len(other) / max(1, len(pool))))
            pool = answerable[: max(0, limit - share)] + other[:share]
        chosen.extend(pool)
    return chosen


def run(args: argparse.Namespace) -> dict[str, Any]:
    from core.chat.session import ChatSession
    from core.chat.store import ChatStore
    from core.engine.client import EngineClient
    from core.engine.protocol import LoadOptions, SamplingParams
    from core.knowledge.embedder import Embedder
    from core.knowledge.knowledge_base import KnowledgeBase
    from core.knowledge.rerank import Reranker
    from core.paths import AppPaths

    questions = select(args.lang, args.limit, args.questions)
    layouts = [name.strip() for name in args.layouts.split(",") if name.strip()]
    unknown = set(layouts) - set(LAYOUTS)
    if unknown:
        sys.exit(f"bench.grounded: unknown layouts {sorted(unknown)}; known: {LAYOUTS}")
    models = _model_paths(args.model or ["qwen", "gemma"])
    embedding = _embedding_model(args.embedding_model)
    sampling = SamplingParams(temperature=0.0, seed=0, max_tokens=args.max_tokens)
    ENGINE_LOG.parent.mkdir(parents=True, exist_ok=True)
    answers: list[Answer] = []
    with tempfile.TemporaryDirectory(prefix="fireside-grounded-") as tmp:
        work = Path(tmp)
        files = write_documents(work / "documents")
        paths = AppPaths.under(work / "home").ensure()
        with EngineClient(log_path=ENGINE_LOG) as client, KnowledgeBase(paths) as kb, \
                ChatStore(paths.chats_db) as store:  # fmt: skip
            embedder = Embedder(client, embedding, n_ctx=512, n_threads=args.threads)
            started = time.perf_counter()
            kb.ingestion(embedder, COLLECTION).run(files)
            ingest_s = time.perf_counter() - started
            # The optional second stage (issue 13 §4): a cross-encoder reorders the fused
            # best `--rerank-candidates` before the k sources are taken.
            second = (None if args.reranker is None else
                      Reranker(client, Path(args.reranker), n_threads=args.threads,
                               candidates=args.rerank_candidates))  # fmt: skip
            retriever = kb.retriever(embedder, second)
            retrieved = []
            for q in questions:
                hits = retriever.search(q.text, max(5, args.k), [COLLECTION])
                retrieved.append(Retrieved(q, hits, retrieval_rank(q, hits)))
            for model in models:
                client.load_chat(model, LoadOptions(n_ctx=args.ctx, n_threads=args.threads))
                for layout in layouts:
                    if answers:  # what is done so far, in case a long run is stopped
                        partial = _report(args, questions, retrieved, answers, models, layouts,
                                          ingest_s)  # fmt: skip
                        _write(args.output, partial)
                    for item in retrieved:
                        sources = item.hits[: args.k]
                        turn = layout_turn(layout, item.question.text, sources)
                        chat = store.create_chat(collections=[COLLECTION])
                        session = ChatSession(store, client, chat.id, sampling)
                        begun = time.perf_counter()
                        reply = session.send(item.question.text, turn)
                        "".join(reply)
                        assert reply.result is not None
                        # what the person sees once the reply has ended: its citations
                        # found by attribution may sit inside the streamed text
                        text = reply.result.message.content
                        answer = Answer(
                            question=item.question.id, lang=item.question.lang,
                            model=model.name, layout=layout, reply=text,
                            first_reply=reply.first_text if reply.retried else text,
                            retried=reply.retried, seconds=time.perf_counter() - begun,
                            generated_tokens=reply.result.stats.generated_tokens,
                            scores=score(item.question, text, sources, NUMBERED[layout]),
                            unmentioned=getattr(turn, "unmentioned", ()),
                        )  # fmt: skip
                        answers.append(answer)
                        if layout == "fireside":  # the layout alone, before any retry
                            first = answer.first_reply
                            answers.append(replace(
                                answer, layout=FIRST, reply=first, retried=False,
                                scores=score(item.question, first, sources, True)))  # fmt: skip
                        if args.verbose:
                            print(f"{model.name[:12]} {layout:<8} {item.question.id} "
                                  f"{json.dumps(answer.scores)} {text!r}", flush=True)  # fmt: skip
    return _report(args, questions, retrieved, answers, models, layouts, ingest_s)


def _report(args: argparse.Namespace, questions: Sequence[Question], retrieved: list[Retrieved],
            answers: list[Answer], models: list[Path], layouts: list[str],
            ingest_s: float) -> dict[str, Any]:  # fmt: skip
    langs = sorted({q.lang for q in questions})
    table = []
    shown = [FIRST if name == "fireside" else name for name in layouts]
    if "fireside" in layouts:
        shown.insert(shown.index(FIRST), "fireside")
    held = {q.id for q in questions if held_out(q)}
    for model in models:
        for layout in shown:
            for lang in [*langs, "all", *(["held"] if held else [])]:
                chosen = [a for a in answers if a.model == model.name and a.layout == layout
                          and (lang in (a.lang, "all") or (lang == "held" and a.question in held))
                          ]  # fmt: skip
                table.append({"model": model.name, "layout": layout, "lang": lang,
                              **summarize(chosen)})  # fmt: skip
    retrieval = {lang: retrieval_summary([r for r in retrieved if lang in (r.question.lang, "all")])
                 for lang in [*langs, "all"]}  # fmt: skip
    retrieval["held"] = retrieval_summary([r for r in retrieved if held_out(r.question)])
    return {
        "benchmark": "grounded",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "settings": {
            "k": args.k,
            "max_tokens": args.max_tokens,
            "ctx": args.ctx,
            "threads": args.threads,
            "greedy": True,
            "layouts": layouts,
            "reranker": args.reranker and Path(args.reranker).name,
            "rerank_candidates": args.rerank_candidates if args.reranker else None,
            "lang": args.lang,
            "limit": args.limit,
        },
        "ingest_s": round(ingest_s, 1),
        "targets_qwen_fireside": TARGETS,
        "retrieval": retrieval,
        "retrieval_per_question": [
            {
                "question": r.question.id,
                "rank": r.rank,
                "hits": [f"{Path(h.file).name}:{h.page}" for h in r.hits],
            }
            for r in retrieved
        ],
        "answers_table": table,
        "answers": [a.__dict__ for a in answers],
    }


def _cell(value: float | int | None) -> str:
    if value is None:
        return "  n/a"
    return f"{value:5.2f}" if isinstance(value, float) else f"{value:5d}"


def print_tables(result: dict[str, Any]) -> None:
    reranker = result["settings"].get("reranker")
    stage = f", reranked by {reranker}" if reranker else ""
    print(f"retrieval (k={result['settings']['k']}, all-MiniLM-L6-v2, hybrid{stage})")
    print(f"  {'lang':<5} {'n':>3} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}")
    for lang, r in result["retrieval"].items():
        figures = f"{r['hit@1']:6.2f} {r['hit@5']:6.2f} {r['mrr']:6.2f}"
        print(f"  {lang:<5} {r['questions']:>3} {figures}")
    print()
    head = ["model", "layout", "lang", "n", "fact", "cite", "only", "honest", "bare", "copied",
            "retry", "s"]  # fmt: skip
    print(f"  {head[0]:<16} {head[1]:<12} {head[2]:<4} {head[3]:>3} " +
          " ".join(f"{h:>6}" for h in head[4:]))  # fmt: skip
    for row in result["answers_table"]:
        cells = " ".join(f"{_cell(row[h]):>6}" for h in head[4:11])
        print(f"  {row['model'][:16]:<16} {row['layout']:<12} {row['lang']:<4} "
              f"{row['questions']:>3} {cells} {row['seconds']:>6.0f}")  # fmt: skip


def _write(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.grounded",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        action="append",
        help="qwen, gemma or a GGUF path; repeatable (default: qwen and gemma)",
    )
    parser.add_argument("--lang", choices=["en", "zh", "all"], default="all")
    parser.add_argument(
        "--layouts", default=",".join(LAYOUTS), help=f"comma-separated, from {','.join(LAYOUTS)}"
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="at most this many questions per language (both kinds kept)",
    )
    parser.add_argument("--questions", nargs="*", default=[], help="only these question ids")
    parser.add_argument(
        "--k", type=int, default=None, help="sources per question (default: what chat --kb uses)"
    )
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--embedding-model", default=None)
    parser.add_argument(
        "--reranker",
        default=None,
        help="a reranker GGUF: the retrieval's second stage on (default: off)",
    )
    parser.add_argument("--rerank-candidates", type=int, default=20)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--verbose", "-v", action="store_true", help="print every reply")
    args = parser.parse_args(argv)  # fmt: skip
    if args.k is None:
        from core.knowledge.cli import CHAT_SOURCES

        args.k = CHAT_SOURCES
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    result = run(args)
    print_tables(result)
    _write(args.output, result)
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
