"""Retrieval by language: does search find the passage for Chinese questions as well as for
English ones, when the embedding model is English-only?

Run ``python -m bench.retrieval_languages`` from the repository root. The corpus is the
grounded question set's documents (``tests/grounded``: English and Chinese PDFs with pages,
a GBK Chinese text, Chinese and English Markdown) together with the short English and
Chinese documents of ``bench.knowledge``'s quality set, in one collection, ingested through
the engine with the real sentence-embedding model (all-MiniLM-L6-v2 from
``../shared/models``, English-only; ``--model`` for another). Every answerable question of
both sets is asked three ways:

* **model**: the vector side alone (Chroma's nearest chunks);
* **keyword**: the keyword side alone (FTS5 BM25 over words and Chinese bigrams);
* **hybrid**: what the app does (``Retriever.search_with_vector``: both sides fused).

A retrieved chunk is a hit when it comes from the question's file (and page, where the set
gives one) and, for the grounded set, holds the fact as the document words it. Reported per
language: hit@1, hit@5 and MRR (over the first 5). The target of issue 13: Chinese hit@5 of
the hybrid within 0.1 of English with the English-only model.

Prints a table and writes ``bench/results/retrieval_languages.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "retrieval_languages.json"
ENGINE_LOG = ROOT / "bench" / "results" / "engine-process.log"
MODES = ("model", "keyword", "hybrid")
K = 5
DISTRACTORS = 60  # generated notes per language


@dataclass(frozen=True)
class Probe:
    """One question and how to tell a chunk that answers it."""

    id: str
    lang: str
    text: str
    file: str
    page: int | None
    facts: tuple[tuple[str, ...], ...]  # empty: any chunk of the file (and page) counts


def probes() -> list[Probe]:
    from bench.knowledge import QUALITY_QUESTIONS
    from tests.grounded.questions import QUESTIONS

    found = [Probe(q.id, q.lang, q.text, q.file, q.page, q.facts)
             for q in QUESTIONS if q.answerable and q.file]  # fmt: skip
    for n, (text, file) in enumerate(QUALITY_QUESTIONS, start=1):
        lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"
        found.append(Probe(f"quality-{lang}-{n:02d}", lang, text, file, None, ()))
    return found


# Distractors: generated notes about the same organisations, people and topics as the
# question set, with other dates and numbers. They are hard negatives for both sides (the
# names match, the facts do not), the way a real folder holds many documents on one subject.
_ZH_ORGS = ("青岚湖生态观测站", "云栖镇茶叶专业合作社", "星槎号科考船", "临江县气象站",
            "白石村农业合作社", "东岭林场")  # fmt: skip
_ZH_PEOPLE = ("温若岚", "柏云舟", "邝明远", "冉秋白", "陆知行", "沈青禾", "顾望舒")
_ZH_TOPICS = ("水质监测", "水鸟调查", "茶园管理", "设备维护", "安全培训", "航行计划", "春茶采摘",
              "湖区巡护", "经费审计", "浮标维修")  # fmt: skip
_ZH_EVENTS = ("年度总结会", "开放日活动", "安全演练", "培训讲座", "志愿者招募会")
_ZH_ROLES = ("站长", "理事长", "轮机长", "会计", "安全员", "技术员")
_ZH_SENTENCES = (
    "{org}于{y}年{m}月{d}日举办了{event}，由{role}{person}主持。",
    "{person}表示，{org}今年的{topic}工作比去年增加了{n}项。",
    "根据{org}的记录，{topic}的费用约为{n}万元。",
    "{org}的{role}{person}负责{topic}，每周检查一次。",
    "{topic}期间，参加人员需要提前{n}分钟到达集合地点。",
    "{org}目前共有{n}名工作人员，其中{n2}名为长期人员。",
    "{y}年{topic}共记录到{n}条数据，比前一年多{n2}条。",
)
_EN_ORGS = ("the Veltmoor Orchard Cooperative", "the Kestrel-9 radio team", "the harbour "
            "authority", "the Quillan Ridge cold store", "the Harrowgate Fen council",
            "the river Quell trust")  # fmt: skip
_EN_PEOPLE = ("Ilse Brandvold", "Marcus Oyelaran-Pike", "Tomasz Haddley", "Nadia Frell",
              "Owen Castell", "Priya Hallam", "Jonas Weir")  # fmt: skip
_EN_TOPICS = ("the apple harvest", "ladder inspection", "battery testing", "channel planning",
              "pear pruning", "the sorting line", "frost protection", "juice sales",
              "picker training", "radio maintenance")  # fmt: skip
_EN_EVENTS = ("the annual meeting", "an open day", "a safety drill", "a training evening",
              "a members' vote")  # fmt: skip
_EN_ROLES = ("chair", "treasurer", "safety officer", "secretary", "field engineer", "manager")
_EN_SENTENCES = (
    "On {d} May {y} {org} held {event}, chaired by its {role} {person}.",
    "{person} said that {org} added {n} tasks to {topic} this year.",
    "According to the records of {org}, {topic} cost about {n} thousand euros.",
    "At {org} the {role}, {person}, is responsible for {topic} and checks it weekly.",
    "During {topic} everyone must arrive {n} minutes before the start.",
    "{org} now has {n} staff, of whom {n2} are permanent.",
    "In {y} {topic} produced {n} records, {n2} more than the year before.",
)


def _distractor(rng: random.Random, chinese: bool) -> str:
    orgs, people, topics, events, roles, sentences = (
        (_ZH_ORGS, _ZH_PEOPLE, _ZH_TOPICS, _ZH_EVENTS, _ZH_ROLES, _ZH_SENTENCES) if chinese
        else (_EN_ORGS, _EN_PEOPLE, _EN_TOPICS, _EN_EVENTS, _EN_ROLES, _EN_SENTENCES)
    )  # fmt: skip
    org = rng.choice(orgs)
    parts = []
    for template in rng.sample(sentences, 5):
        text = template.format(org=org, person=rng.choice(people), topic=rng.choice(topics),
                               event=rng.choice(events), role=rng.choice(roles),
                               y=rng.randint(2015, 2035), m=rng.randint(1, 12),
                               d=rng.randint(1, 28), n=rng.randint(3, 400),
                               n2=rng.randint(2, 90))  # fmt: skip
        parts.append(text[0].upper() + text[1:] if not chinese else text)
    return ("" if chinese else " ").join(parts)


def write_corpus(folder: Path, distractors: int = DISTRACTORS) -> list[Path]:
    from bench.knowledge import QUALITY_DOCS
    from tests.grounded.documents import write_documents

    paths = write_documents(folder)
    for name, text in QUALITY_DOCS:
        (folder / name).write_text(text + "\n", encoding="utf-8")
        paths.append(folder / name)
    rng = random.Random(13)
    for n in range(distractors):
        for lang in ("zh", "en"):
            path = folder / f"notes-{lang}-{n:03d}.txt"
            path.write_text(_distractor(rng, lang == "zh") + "\n", encoding="utf-8")
            paths.append(path)
    return paths


def is_hit(probe: Probe, file: str, page: int | None, text: str) -> bool:
    from tests.grounded.questions import holds_fact

    if Path(file).name != probe.file:
        return False
    if probe.page is not None and page != probe.page:
        return False
    return not probe.facts or holds_fact(text, probe.facts)


def scores(hits: Sequence[bool]) -> tuple[bool, bool, float]:
    """hit@1, hit@K, reciprocal rank of the first hit within K."""
    first = next((i for i, h in enumerate(hits[:K]) if h), None)
    return bool(hits[:1] and hits[0]), first is not None, 0.0 if first is None else 1 / (first + 1)


def measure(model: Path, threads: int | None, work: Path, weights: Sequence[float] = (),
            log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:  # fmt: skip
    """The three modes; ``weights`` adds a hybrid run per foreign-language vector weight
    (``hybrid@w``), to choose the weight by measurement."""
    from core.engine.client import EngineClient
    from core.knowledge.embedder import Embedder
    from core.knowledge.knowledge_base import KnowledgeBase
    from core.knowledge.retrieval import Retriever
    from core.paths import AppPaths

    folder = work / "documents"
    write_corpus(folder)
    paths = AppPaths.under(work / "home").ensure()
    rows: dict[str, dict[str, list[tuple[bool, bool, float]]]] = {m: {} for m in MODES}
    misses: dict[str, list[str]] = {m: [] for m in MODES}
    with EngineClient(log_path=ENGINE_LOG) as client, KnowledgeBase(paths) as kb:
        embedder = Embedder(client, model, n_ctx=512, n_threads=threads)
        report = kb.ingestion(embedder, "bench").run([folder])
        log(f"ingested {report.count('indexed')} documents, {report.chunks} chunks")
        collection = kb.store.collection("bench")
        retriever = kb.retriever(embedder)
        variants = {}
        for w in weights:
            variants[f"hybrid@{w:g}"] = Retriever(
                kb.index,
                embedder,
                model_languages=retriever.model_languages,
                foreign_vector_weight=w,
            )
            rows[f"hybrid@{w:g}"] = {}
            misses[f"hybrid@{w:g}"] = []
        for probe in probes():
            vector = embedder.embed_query(probe.text)
            ids = [i for i, _ in kb.index.query(collection, vector, K)]
            chunks = kb.store.chunks_by_id(ids)
            ranked = {
                "model": [(chunks[i].path, chunks[i].page, chunks[i].text)
                          for i in ids if i in chunks],
                "keyword": [(h.file, h.page, h.text) for h in
                            retriever.search_with_vector(probe.text, None, K, [collection])],
                "hybrid": [(h.file, h.page, h.text) for h in
                           retriever.search_with_vector(probe.text, vector, K, [collection])],
                **{name: [(h.file, h.page, h.text) for h in
                          variant.search_with_vector(probe.text, vector, K, [collection])]
                   for name, variant in variants.items()},
            }  # fmt: skip
            for mode, found in ranked.items():
                result = scores([is_hit(probe, *item) for item in found])
                rows[mode].setdefault(probe.lang, []).append(result)
                if not result[1]:
                    misses[mode].append(probe.id)
        summary = {mode: {lang: _summary(results) for lang, results in sorted(by_lang.items())}
                   for mode, by_lang in rows.items()}  # fmt: skip
        return {"documents": report.count("indexed"), "chunks": report.chunks,
                "questions": {lang: len(v) for lang, v in rows["hybrid"].items()},
                "scores": summary, "misses_at_5": misses}  # fmt: skip


def _summary(results: Sequence[tuple[bool, bool, float]]) -> dict[str, float]:
    n = len(results)
    return {
        "hit@1": round(sum(r[0] for r in results) / n, 3),
        "hit@5": round(sum(r[1] for r in results) / n, 3),
        "mrr": round(sum(r[2] for r in results) / n, 3),
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        f"retrieval by language ({result['documents']} documents, {result['chunks']} chunks, "
        f"questions {result['questions']}; model {Path(result['model']).name})",
        f"{'':<12} {'zh hit@1':>9} {'zh hit@5':>9} {'zh MRR':>7}   "
        f"{'en hit@1':>9} {'en hit@5':>9} {'en MRR':>7}",
    ]
    for mode in result["scores"]:
        s = result["scores"][mode]
        zh, en = s.get("zh", {}), s.get("en", {})
        lines.append(
            f"{mode:<12} {zh.get('hit@1', 0):>9.2f} {zh.get('hit@5', 0):>9.2f} "
            f"{zh.get('mrr', 0):>7.2f}   {en.get('hit@1', 0):>9.2f} {en.get('hit@5', 0):>9.2f} "
            f"{en.get('mrr', 0):>7.2f}"
        )
    gap = result["scores"]["hybrid"]["en"]["hit@5"] - result["scores"]["hybrid"]["zh"]["hit@5"]
    lines.append(f"hybrid hit@5 gap en - zh: {gap:+.2f} (target: at most 0.10)")
    return "\n".join(lines)


def _note(line: str) -> None:
    print(line, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    from bench.knowledge import MODEL_CANDIDATES

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="embedding model (default: ../shared/models)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--sweep", default="", help="comma-separated foreign-language vector weights to compare"
    )
    args = parser.parse_args(argv)
    weights = [float(w) for w in args.sweep.split(",") if w]
    model = args.model or next((p for p in MODEL_CANDIDATES if p.is_file()), None)
    if model is None or not model.is_file():
        print("no embedding model: pass --model PATH (all-MiniLM-L6-v2-f16.gguf)", file=sys.stderr)
        return 2
    ENGINE_LOG.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fireside-bench-lang-") as tmp:
        result: dict[str, Any] = {
            "benchmark": "retrieval_languages",
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "model": str(model),
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
            **measure(model, args.threads, Path(tmp), weights, _note),
        }
    result["table"] = table(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(result["table"])
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
