"""Knowledge benchmark: ingestion throughput, hybrid query latency, retrieval quality.

Run ``python -m bench.knowledge`` from the repository root. Three parts:

* **Ingestion.** A generated corpus of PDFs (English prose, several pages each) is ingested
  with the real sentence-embedding model (all-MiniLM-L6-v2 from ``../shared/models``) through
  the engine: chunks per second and pages per minute, next to the raw embedding throughput of
  the same model on the same chunk texts in the same batches (``client.embed`` alone), and the
  share of ingestion time spent outside embedding (reading, parsing, token counting, SQLite,
  Chroma). Target: under 15%.
* **Query latency.** Synthetic collections of 10k and 100k chunks (Zipf-distributed words,
  random unit vectors of the model's dimension) in real SQLite and real Chroma; p50/p95 of a
  hybrid search (BM25 + nearest neighbours + fusion + reading the hits), excluding the query's
  embedding. Target: p95 under 50 ms on a 2-core machine.
* **OCR.** Generated A4 scans (150 dpi images of full pages of English and of Chinese text,
  as image-only PDFs) read through the parser process with RapidOCR: pages per minute on
  this machine (after the recogniser's one-off load, reported apart) and the character
  accuracy of what was read (by edit distance).
* **Quality.** Hit rate at 5 on a small bilingual question set (paraphrased questions about
  short English and Chinese documents), for hybrid, vector-only and keyword-only retrieval.
  The model is English-only, so its Chinese vector results are reported as they are.

It prints a short table and writes every figure to ``bench/results/knowledge.json``. It
asserts nothing: a benchmark, never a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "knowledge.json"
ENGINE_LOG = ROOT / "bench" / "results" / "engine-process.log"
MODEL_CANDIDATES = (
    ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2-f16.gguf",
    Path("/work/shared/models/all-MiniLM-L6-v2-f16.gguf"),
)
TARGET_OUTSIDE_SHARE = 0.15
TARGET_P95_MS = 50.0

_WORD_TEXT = (
    "harbor lighthouse keeper signal lantern river stone bridge meadow valley forest copper "
    "engine ledger record season winter summer market garden orchard timber mill canal lock "
    "station railway schedule journey letter archive museum library council budget report "
    "survey measure weather storm tide coast island village town street square tower clock "
    "bell chapel school teacher student lesson history science method result sample energy "
    "water power light sound color paper glass metal wood cloth bread salt grain cattle sheep"
)
_WORDS = _WORD_TEXT.split()


# ---- corpus ----------------------------------------------------------------------------------


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(8, 18))
    return " ".join(words).capitalize() + "."


def write_pdf_corpus(folder: Path, documents: int, pages: int, seed: int = 7) -> int:
    """English prose PDFs; returns the number of pages written."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        pdf = canvas.Canvas(str(folder / f"report-{d:03d}.pdf"), pagesize=A4, invariant=True)
        for _ in range(pages):
            pdf.setFont("Helvetica", 10)
            y = 800.0
            text = " ".join(_sentence(rng) for _ in range(26))
            line = ""
            for word in text.split():
                if len(line) + len(word) + 1 > 95:
                    pdf.drawString(50, y, line)
                    y -= 14
                    line = word
                else:
                    line = f"{line} {word}".strip()
            pdf.drawString(50, y, line)
            pdf.showPage()
        pdf.save()
    return documents * pages


# Questions are paraphrases, not copies, of the fact in their document; the other documents
# are on nearby topics, so both sides of retrieval have to earn the hit.
QUALITY_DOCS: list[tuple[str, str]] = [
    ("lamp.md", "The beacon lamp of the harbor lighthouse is cleaned every Tuesday with white "
                "vinegar and a linen cloth, and the lens is never touched by hand."),
    ("storm.md", "During a storm the keeper closes the iron shutters on the gallery and writes "
                 "down the barometer reading every thirty minutes."),
    ("bread.md", "Knead the dough for ten minutes until it is smooth and elastic, then let it "
                 "rise in a warm place for an hour."),
    ("tea.md", "Green tea should steep for two minutes in water at eighty degrees; boiling "
               "water makes it bitter."),
    ("roses.md", "Roses are pruned in late winter, just before the buds swell, cutting above an "
                 "outward-facing bud."),
    ("train.md", "The night train to the coast leaves platform four at eleven forty and arrives "
                 "shortly after dawn."),
    ("library.md", "Library books may be borrowed for three weeks and renewed twice unless "
                   "another reader has reserved them."),
    ("bees.md", "A healthy hive keeps its brood at about thirty-five degrees by clustering and "
                "fanning with their wings."),
    ("bike.md", "Bicycle chains should be cleaned and oiled every few hundred kilometres, more "
                "often after riding in rain."),
    ("moon.md", "The Moon takes about twenty-seven days to orbit the Earth, and the same side "
                "always faces us."),
    ("panda.txt", "大熊猫主要以竹子为食，每天要花十几个小时进食，成年大熊猫的体重通常在八十到"
                  "一百二十五公斤之间。"),
    ("contract.txt", "乙方逾期交货的，每日按合同总价的千分之五向甲方支付违约金；逾期超过三十日"
                     "的，甲方有权解除合同。"),
    ("tea-zh.txt", "绿茶适合用八十度左右的水冲泡，浸泡两分钟即可，水温太高会让茶汤发苦。"),
    ("metro.txt", "地铁首班车早上五点半从起点站发车，末班车晚上十一点结束运营。"),
    ("hospital.txt", "门诊挂号需要携带身份证和医保卡，周末只开放急诊。"),
    ("recycle.txt", "废旧电池属于有害垃圾，应投放到红色垃圾桶，不能和厨余垃圾混在一起。"),
    ("exam.txt", "期末考试安排在一月中旬，考生须提前三十分钟进入考场，迟到十五分钟不得入场。"),
    ("rice.txt", "种植水稻需要充足的水分，插秧一般在春末夏初进行，秋天收割。"),
    ("great-wall.txt", "长城全长两万多公里，修建历史可以追溯到春秋战国时期。"),
    ("heating.txt", "北方城市的集中供暖一般从十一月十五日开始，到第二年三月十五日结束。"),
]  # fmt: skip
QUALITY_QUESTIONS: list[tuple[str, str]] = [
    ("How often is the lighthouse lamp washed?", "lamp.md"),
    ("What does the keeper record when the weather turns violent?", "storm.md"),
    ("How long should I work the dough by hand?", "bread.md"),
    ("What water temperature suits green tea?", "tea.md"),
    ("When is the right season to cut back roses?", "roses.md"),
    ("What time does the overnight service to the seaside depart?", "train.md"),
    ("For how long can I keep a borrowed book?", "library.md"),
    ("How warm do bees keep their young?", "bees.md"),
    ("How often does a bike chain need lubrication?", "bike.md"),
    ("How long is one lunar orbit?", "moon.md"),
    ("大熊猫一般有多重？", "panda.txt"),
    ("供货延迟要赔多少钱？", "contract.txt"),
    ("泡绿茶用多少度的水？", "tea-zh.txt"),
    ("地铁几点开始运营？", "metro.txt"),
    ("去医院看门诊要带什么证件？", "hospital.txt"),
    ("旧电池应该扔到哪里？", "recycle.txt"),
    ("考试迟到多久就不能进考场？", "exam.txt"),
    ("水稻什么时候插秧？", "rice.txt"),
    ("长城有多长？", "great-wall.txt"),
    ("北方什么时候开始供暖？", "heating.txt"),
]


# ---- parts ---------------------------------------------------------------------------------


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def bench_ingestion(model: Path, threads: int | None, documents: int, pages: int,
                    work: Path) -> dict[str, Any]:  # fmt: skip
    from core.engine.client import EngineClient
    from core.knowledge.embedder import Embedder
    from core.knowledge.knowledge_base import KnowledgeBase
    from core.paths import AppPaths

    corpus = work / "corpus"
    total_pages = write_pdf_corpus(corpus, documents, pages)
    paths = AppPaths.under(work / "home").ensure()
    with EngineClient(log_path=ENGINE_LOG) as client, KnowledgeBase(paths) as kb:
        embedder = Embedder(client, model, n_ctx=512, n_threads=threads)
        embedder.ensure_loaded()
        embedder.embed(["warm up the model"])
        embedder.embed_seconds = 0.0
        report = kb.ingestion(embedder, "bench").run([corpus])
        texts = [c.text for d in kb.documents() for c in kb.store.chunks_of(d.id)]
        began = time.perf_counter()
        for start in range(0, len(texts), embedder.batch_size):
            client.embed(texts[start : start + embedder.batch_size])
        raw_s = time.perf_counter() - began
        tokens = [embedder.count_tokens(t) for t in texts[:200]]
    chunks = report.chunks
    outside = (report.seconds - report.times.embed) / report.seconds
    return {
        "documents": documents,
        "pages": total_pages,
        "chunks": chunks,
        "mean_chunk_tokens": round(statistics.fmean(tokens), 1),
        "seconds": round(report.seconds, 3),
        "chunks_per_s": round(chunks / report.seconds, 2),
        "pages_per_min": round(total_pages / report.seconds * 60, 1),
        "raw_embed_seconds": round(raw_s, 3),
        "raw_embed_chunks_per_s": round(len(texts) / raw_s, 2),
        "share_outside_embedding": round(outside, 4),
        "phases_s": {k: round(v, 3) for k, v in vars(report.times).items()},
        "batch_size": embedder.batch_size,
        "threads": threads,
    }


def _chinese_vocabulary(rng: np.random.Generator, size: int = 5000) -> list[str]:
    """Made-up Chinese words of two or three characters from 400 common characters."""
    characters = [chr(0x4E00 + int(i)) for i in rng.choice(0x4FFF, size=400, replace=False)]
    words: dict[str, None] = {}
    while len(words) < size:
        length = int(rng.integers(2, 4))
        words["".join(characters[int(i)] for i in rng.integers(0, 400, size=length))] = None
    return list(words)


def bench_latency(scale: int, dim: int, queries: int, work: Path, seed: int = 11,
                  language: str = "en") -> dict[str, Any]:  # fmt: skip
    """Hybrid query latency; ``language`` "zh" makes the chunks and questions Chinese (the
    keyword side then reorders its candidates by coverage, core/knowledge/coverage.py)."""
    from core.knowledge.collections import CollectionModels
    from core.knowledge.knowledge_base import KnowledgeBase
    from core.knowledge.retrieval import Retriever
    from core.knowledge.store import DocumentFacts, NewChunk
    from core.paths import AppPaths

    rng = np.random.default_rng(seed)
    chinese = language == "zh"
    english = [f"{w}{i}" if i else w for i in range(60) for w in _WORDS][:5000]
    vocabulary = _chinese_vocabulary(rng) if chinese else english
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    paths = AppPaths.under(work / f"scale-{scale}-{language}").ensure()
    model = "bench-random:0"
    per_doc = 200
    build_began = time.perf_counter()
    with KnowledgeBase(paths) as kb:
        collection = kb.store.ensure_collection("bench")
        collection = CollectionModels(kb.store).bind(collection, model, "random", dim)
        for d in range(scale // per_doc):
            words = rng.choice(len(vocabulary), size=(per_doc, 80), p=weights)
            vectors = rng.normal(size=(per_doc, dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            chunks = []
            for i in range(per_doc):
                text = ("，" if chinese else " ").join(vocabulary[w] for w in words[i]) + "."
                digest = hashlib.sha256(f"{d}-{i}".encode()).hexdigest()
                chunks.append(NewChunk(digest[:32], i, text, i // 3 + 1, None, 0, len(text),
                                       digest, 100, vectors[i]))  # fmt: skip
            facts = DocumentFacts(f"/bench/doc-{d}.pdf", f"doc {d}", "pdf", f"h{d}", 1, 0.0, 70)
            _, added, removed = kb.store.commit_document(collection.id, facts, chunks, model)
            kb.index.apply(kb.store.collection_by_id(collection.id), added, removed)
    build_s = time.perf_counter() - build_began
    latencies: list[float] = []
    keyword_only: list[float] = []
    vector_only: list[float] = []
    with KnowledgeBase(paths) as kb:
        retriever = Retriever(kb.index)
        chosen = [kb.store.collection("bench")]
        for q in range(queries + 5):
            picked = rng.choice(len(vocabulary), size=rng.integers(3, 7), p=weights)
            if chinese:
                text = "".join(vocabulary[w] for w in picked) + "是什么？"
            else:
                text = "what about the " + " and ".join(vocabulary[w] for w in picked) + "?"
            vector = rng.normal(size=dim).astype(np.float32)
            vector /= np.linalg.norm(vector)
            began = time.perf_counter()
            hits = retriever.search_with_vector(text, vector, 5, chosen)
            elapsed = time.perf_counter() - began
            began = time.perf_counter()
            retriever.search_with_vector(text, None, 5, chosen)
            keyword = time.perf_counter() - began
            began = time.perf_counter()
            kb.index.query(chosen[0], vector, retriever.candidates)
            nearest = time.perf_counter() - began
            if q >= 5 and hits:  # the first few warm the caches
                latencies.append(elapsed * 1000)
                keyword_only.append(keyword * 1000)
                vector_only.append(nearest * 1000)
    return {
        "chunks": scale,
        "language": language,
        "dim": dim,
        "build_seconds": round(build_s, 1),
        "queries": len(latencies),
        "p50_ms": round(_percentile(latencies, 0.5), 2),
        "p95_ms": round(_percentile(latencies, 0.95), 2),
        "keyword_p95_ms": round(_percentile(keyword_only, 0.95), 2),
        "vector_p95_ms": round(_percentile(vector_only, 0.95), 2),
    }


def bench_quality(model: Path, threads: int | None, work: Path) -> dict[str, Any]:
    from core.engine.client import EngineClient
    from core.knowledge.embedder import Embedder
    from core.knowledge.knowledge_base import KnowledgeBase
    from core.knowledge.retrieval import Retriever
    from core.paths import AppPaths

    folder = work / "quality"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in QUALITY_DOCS:
        (folder / name).write_text(text + "\n", encoding="utf-8")
    paths = AppPaths.under(work / "quality-home").ensure()
    results: dict[str, dict[str, list[bool]]] = {}
    with EngineClient(log_path=ENGINE_LOG) as client, KnowledgeBase(paths) as kb:
        embedder = Embedder(client, model, n_ctx=512, n_threads=threads)
        kb.ingestion(embedder, "quality").run([folder])
        collections = [kb.store.collection("quality")]
        hybrid = kb.retriever(embedder)
        keyword_only = Retriever(kb.index, embedder)
        for question, expected in QUALITY_QUESTIONS:
            language = "zh" if any("\u4e00" <= c <= "\u9fff" for c in question) else "en"
            vector = embedder.embed_query(question)
            ranked = {
                "hybrid": _files(hybrid.search_with_vector(question, vector, 5, collections)),
                "vector": _vector_only(kb, collections[0], vector),
                "keyword": _files(keyword_only.search_with_vector(question, None, 5, collections)),
            }
            for mode, files in ranked.items():
                found = any(Path(f).name == expected for f in files)
                results.setdefault(mode, {}).setdefault(language, []).append(found)
    summary: dict[str, Any] = {}
    for mode, by_language in results.items():
        summary[mode] = {lang: round(sum(v) / len(v), 3) for lang, v in by_language.items()}
        summary[mode]["all"] = round(
            sum(sum(v) for v in by_language.values()) / sum(len(v) for v in by_language.values()),
            3,
        )
    return {"questions": len(QUALITY_QUESTIONS), "documents": len(QUALITY_DOCS),
            "hit_rate_at_5": summary}  # fmt: skip


def _vector_only(kb: Any, collection: Any, vector: np.ndarray) -> list[str]:
    ids = [i for i, _ in kb.index.query(collection, vector, 5)]
    chunks = kb.store.chunks_by_id(ids)
    return [chunks[i].path for i in ids if i in chunks]


def _files(hits: Sequence[Any]) -> list[str]:
    return [h.file for h in hits]


# ---- OCR -----------------------------------------------------------------------------------

_ZH_TEXT = (
    "港口灯塔观测站记录风速浪高时间合同租金每月支付逾期违约金熊猫竹子四川森林河流桥梁市场"
    "花园工厂铁路车站学校老师学生历史科学方法结果能源水电光声音纸张玻璃金属木材粮食天气"
)


def _scan_lines(rng: random.Random, chinese: bool, count: int = 26) -> list[str]:
    if chinese:
        return ["".join(rng.choices(_ZH_TEXT, k=24)) + "。" for _ in range(count)]
    lines: list[str] = []
    while len(lines) < count:
        words = rng.choices(_WORDS, k=9)
        lines.append(" ".join(words).capitalize() + ".")
    return lines


def bench_ocr(pages: int, work: Path, seed: int = 5) -> dict[str, Any]:
    """Scanned A4 pages through the parser process: pages per minute and accuracy."""
    from core.knowledge.ocr import OcrPage
    from core.knowledge.parser_process import ParserProcess
    from core.knowledge.readers import ReadLimits
    from tests.ocr_pages import character_accuracy, render_page, write_image_pdf

    rng = random.Random(seed)
    texts = [_scan_lines(rng, chinese=bool(i % 2)) for i in range(pages)]
    images = [render_page(lines, chinese=bool(i % 2), size=(1240, 1754), font_size=26,
                          angle=0.0) for i, lines in enumerate(texts)]  # fmt: skip
    scan = write_image_pdf(work / "scan.pdf", images)
    warm = write_image_pdf(work / "warm.pdf", [render_page(["Warm up."], size=(600, 300))])
    read: list[OcrPage] = []
    limits = ReadLimits(max_seconds=3600.0)
    # CPU time of the parser process (counted once it is joined, at the end of the block):
    # on a shared machine wall time says more about the neighbours than about OCR.
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ParserProcess() as parser:
        began = time.perf_counter()
        parser.parse(warm, limits)  # starts the process and loads RapidOCR
        load_s = time.perf_counter() - began
        began = time.perf_counter()
        parser.parse(scan, limits, on_page=lambda _hash, page: read.append(page))
        seconds = time.perf_counter() - began
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    accuracy: dict[str, list[float]] = {"en": [], "zh": []}
    spaced: dict[str, list[float]] = {"en": [], "zh": []}
    for page in read:
        language = "zh" if (page.page - 1) % 2 else "en"
        truth = "\n".join(texts[page.page - 1])
        accuracy[language].append(character_accuracy(truth, page.text))
        spaced[language].append(character_accuracy(truth, page.text, spaces=True))
    return {
        "pages": pages,
        "page": "A4 at 150 dpi (1240×1754), 26 lines",
        "seconds": round(seconds, 2),
        "pages_per_min": round(pages / seconds * 60, 2),
        "seconds_per_page": [round(p.seconds, 2) for p in read],
        "cpu_s_with_load": round(cpu_s, 1),  # the process's CPU, the warm-up page included
        "cpu_s_per_page": round(cpu_s / (pages + 1), 1),
        "first_load_s": round(load_s, 2),
        "accuracy": {k: round(statistics.mean(v), 4) for k, v in accuracy.items() if v},
        "accuracy_with_spaces": {k: round(statistics.mean(v), 4) for k, v in spaced.items() if v},
        "failed_pages": [p.page for p in read if p.error],
    }


# ---- output --------------------------------------------------------------------------------


def table(result: dict[str, Any]) -> str:
    lines = []
    ing = result.get("ingestion")
    if ing:
        lines += [
            "ingestion (PDF, all-MiniLM-L6-v2 through the engine)",
            f"  {ing['documents']} documents, {ing['pages']} pages, {ing['chunks']} chunks "
            f"(~{ing['mean_chunk_tokens']} tokens), {ing['seconds']} s, threads "
            f"{ing['threads'] or 'default'}",
            f"  ingestion      {ing['chunks_per_s']:>8} chunks/s  {ing['pages_per_min']:>8} "
            "pages/min",
            f"  raw embedding  {ing['raw_embed_chunks_per_s']:>8} chunks/s",
            f"  outside embedding: {ing['share_outside_embedding'] * 100:.1f}% "
            f"(target < {TARGET_OUTSIDE_SHARE * 100:.0f}%)  phases s: {ing['phases_s']}",
        ]
    for lat in result.get("latency", []):
        lines.append(
            f"query latency at {lat['chunks']:>6} chunks ({lat.get('language', 'en')}): p50 "
            f"{lat['p50_ms']:>6} ms, p95 "
            f"{lat['p95_ms']:>6} ms (target < {TARGET_P95_MS:.0f})  [keyword p95 "
            f"{lat['keyword_p95_ms']} ms, vector p95 {lat['vector_p95_ms']} ms]"
        )
    ocr = result.get("ocr")
    if ocr:
        lines.append(f"OCR ({ocr['pages']} scanned pages, {ocr['page']}): "
                     f"{ocr['pages_per_min']} pages/min, {ocr['seconds']} s, "
                     f"{ocr['cpu_s_per_page']} CPU s a page; first load "
                     f"{ocr['first_load_s']} s; accuracy {ocr['accuracy']}, with spaces "
                     f"{ocr['accuracy_with_spaces']}")  # fmt: skip
    quality = result.get("quality")
    if quality:
        lines.append(f"hit rate at 5 ({quality['questions']} questions, "
                     f"{quality['documents']} documents):")  # fmt: skip
        for mode, scores in quality["hit_rate_at_5"].items():
            lines.append(f"  {mode:<8} en {scores.get('en', 0):.2f}  zh {scores.get('zh', 0):.2f}"
                         f"  all {scores['all']:.2f}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="embedding model (default: ../shared/models)")
    parser.add_argument("--threads", type=int, default=1,
                        help="engine threads (default 1; see bench/README.md)")  # fmt: skip
    parser.add_argument("--documents", type=int, default=12)
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--scales", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--latency-languages",
        default="en,zh",
        help="question languages for the latency part (en, zh)",
    )
    parser.add_argument("--ocr-pages", type=int, default=4,
                        help="scanned A4 pages for OCR (half English, half Chinese)")  # fmt: skip
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--skip", action="append", default=[],
                        choices=["ingestion", "latency", "quality", "ocr"])  # fmt: skip
    args = parser.parse_args(argv)
    model = args.model or next((p for p in MODEL_CANDIDATES if p.is_file()), None)
    if model is None or not model.is_file():
        print("no embedding model: pass --model PATH (all-MiniLM-L6-v2-f16.gguf)", file=sys.stderr)
        return 2
    ENGINE_LOG.parent.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    if load_before[0] > 0.5:
        print(f"note: load average {load_before[0]:.2f}; timings will be noisy", file=sys.stderr)
    result: dict[str, Any] = {
        "benchmark": "knowledge",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "model": str(model),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "load_average": {"before": load_before},
    }
    with tempfile.TemporaryDirectory(prefix="fireside-bench-kb-") as tmp:
        work = Path(tmp)
        if "ingestion" not in args.skip:
            print("ingestion…", file=sys.stderr)
            result["ingestion"] = bench_ingestion(model, args.threads, args.documents,
                                                  args.pages, work)  # fmt: skip
        if "latency" not in args.skip:
            result["latency"] = []
            for scale in (int(s) for s in args.scales.split(",") if s):
                for language in (lang for lang in args.latency_languages.split(",") if lang):
                    print(f"query latency at {scale} chunks ({language})…", file=sys.stderr)
                    result["latency"].append(bench_latency(scale, 384, args.queries, work,
                                                           language=language))  # fmt: skip
        if "ocr" not in args.skip:
            print("OCR…", file=sys.stderr)
            result["ocr"] = bench_ocr(args.ocr_pages, work)
        if "quality" not in args.skip:
            print("retrieval quality…", file=sys.stderr)
            result["quality"] = bench_quality(model, args.threads, work)
    result["load_average"]["after"] = os.getloadavg()
    result["table"] = table(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(result["table"])
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
