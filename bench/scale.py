"""Indexing at scale (issue 16 §3): a 2,000-document corpus through ``fireside-cli kb add``.

Run ``python -m bench.scale`` from the repository root (``--documents 100`` for a quick run).

1. **Corpus.** ``--documents`` generated files (default 2,000), written deterministically
   into ``~/.cache/fireside-bench/scale-corpus-v1-<n>/`` (kept for the next run): English
   PDFs of 18-28 pages, English Markdown and DOCX with 18-28 headed sections, Chinese
   Markdown with headed sections, and Chinese plain-text files in UTF-8 and in GBK. Sections
   are short (one sentence of 6-14 words, or 8-16 Chinese characters), so the corpus makes
   about 20 chunks a document (about 40k at 2,000) without costing hours of embedding on a
   two-core machine (MiniLM costs about 1 ms per token on one core): short chunks are also
   the hard case for the ratio below, because what ingestion adds per chunk weighs most next
   to a cheap embedding.
2. **Ingestion, killed and resumed.** ``fireside-cli kb add FOLDER --json`` in a subprocess
   (real parser process, engine process, SQLite, Chroma, all-MiniLM-L6-v2 from
   ``/work/shared/models``), its data folder under a temporary ``FIRESIDE_HOME``. When half
   the documents are indexed the CLI gets SIGKILL (its children are watched to exit by
   themselves); ``fireside-cli kb resume --json`` then finishes the job. Every process of
   the CLI's tree is sampled every 0.2 s: RSS and the kernel's high-water mark (``VmHWM``) of
   the CLI, the engine and the parser, each at every quarter of the corpus (the resume is a
   fresh process: its marks hold the whole index, opened at the start).
3. **Checks.** After the resume every document is indexed; the chunks stored before the kill
   were neither embedded nor written again (their rows keep their ``indexed_at``; the resume
   embedded exactly the chunks of the documents it indexed); chunk ids are unique, SQLite's
   count equals the documents' chunk counts, and Chroma holds exactly SQLite's ids.
4. **Raw embedding.** The same model and threads in an engine of its own, ``client.embed``
   alone in batches of 8 on the stored chunk texts, measured in slices while the ingestion is
   stopped (SIGSTOP to its processes every ``--probe-every`` seconds, 48 of the chunks it
   stored last, SIGCONT; the pauses are taken out of the ingestion's time), so both sides
   see the same load; and once more after the job, on an evenly spread sample
   (``--raw-sample``). Ratio: ingestion chunks/s (both runs' wall time without the pauses,
   the processes' starts and the document lost to the kill included) over the interleaved
   raw chunks/s. Target: at least 0.85. The CPU seconds per chunk of every process are
   reported too (the CPU ratio: raw engine CPU over all ingestion processes' CPU), since
   they depend far less on what else the machine is doing.
5. **Queries.** ``--queries`` English and as many Chinese questions naming one document's
   made-up name and two words of one of its sections, through ``Retriever.search`` (query
   embedding, BM25, nearest neighbours, fusion, reading the hits): p50/p95, and how often the
   document is among the first five.

Prints a short table and writes ``bench/results/scale.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "scale.json"
ENGINE_LOG = ROOT / "bench" / "results" / "engine-process.log"
CACHE = Path(os.environ.get("FIRESIDE_BENCH_CACHE", "~/.cache/fireside-bench")).expanduser()
MODEL_CANDIDATES = (
    ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2-f16.gguf",
    Path("/work/shared/models/all-MiniLM-L6-v2-f16.gguf"),
)
CORPUS_VERSION = 1
TARGET_RATIO = 0.85
SAMPLE_S = 0.2
ROLES = ("cli", "engine", "parser")

_EN_TEXT = (
    "harbor lighthouse keeper signal lantern river stone bridge meadow valley forest copper "
    "engine ledger record season winter summer market garden orchard timber mill canal lock "
    "station railway schedule journey letter archive museum library council budget report "
    "survey measure weather storm tide coast island village town street square tower clock "
    "bell chapel school teacher student lesson history science method result sample energy "
    "water power light sound color paper glass metal wood cloth bread salt grain cattle sheep"
)
_EN_WORDS = _EN_TEXT.split()
_SYLLABLE_TEXT = "ka ve lo mar tin sor ba rel qu ith dan po wy fen gar hal ost rim zel nu tor lem"
_SYLLABLES = (_SYLLABLE_TEXT + " vis cad oru pel shan bri tev").split()
# Common characters (all in GBK), for made-up Chinese words and names.
_ZH_CHARS = (
    "天地人山水火木金土日月风云雨雪春夏秋冬东西南北中上下左右大小多少长短高低新旧早晚"
    "年时分前后里外开关出入来去走看听说读写学习工作生活家国城市村镇路桥河湖海岛田园花草"
    "树林鸟鱼马牛羊米面茶酒书报纸笔电话车船飞机医院学校商店银行图书馆公园博物馆市场广场"
)


# ---- corpus ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSpec:
    """One generated document: its file, its made-up name and a few of its sections' words
    (for questions that should find it)."""

    file: str
    kind: str
    language: str
    name: str
    sections: list[list[str]]


def _kind(index: int) -> tuple[str, str]:
    """(kind, language) by position: 30% PDF, 25% Markdown, 20% DOCX (English); 10%
    Chinese Markdown, 10% Chinese text in UTF-8, 5% in GBK."""
    slot = index % 20
    if slot < 6:
        return "pdf", "en"
    if slot < 11:
        return "md", "en"
    if slot < 15:
        return "docx", "en"
    if slot < 17:
        return "md", "zh"
    if slot < 19:
        return "txt-utf8", "zh"
    return "txt-gbk", "zh"


def _en_name(index: int) -> str:
    n = len(_SYLLABLES)
    a, b, c = index % n, (index // n) % n, (index // (n * n)) % n
    return (_SYLLABLES[a] + _SYLLABLES[b] + _SYLLABLES[c]).capitalize()


def _zh_name(index: int) -> str:
    n = len(_ZH_CHARS)
    return _ZH_CHARS[index % n] + _ZH_CHARS[(index // n) % n] + "社"


def _zh_words(rng: random.Random, count: int) -> list[str]:
    return ["".join(rng.choices(_ZH_CHARS, k=2)) for _ in range(count)]


def write_corpus(folder: Path, documents: int, seed: int = 16) -> list[DocumentSpec]:
    """Writes the corpus (unless a finished one is there) and returns what it holds."""
    manifest = folder / "manifest.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("version") == CORPUS_VERSION and data.get("documents") == documents:
            return [DocumentSpec(**d) for d in data["specs"]]
    if folder.exists():
        shutil.rmtree(folder)
    rng = random.Random(seed)
    specs = []
    for index in range(documents):
        kind, language = _kind(index)
        sub = folder / "docs" / f"{index // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        if language == "en":
            name = _en_name(index)
            count = rng.randint(18, 28)
            sections = [rng.choices(_EN_WORDS, k=rng.randint(6, 14)) for _ in range(count)]
        else:
            name = _zh_name(index)
            count = rng.randint(18, 28) if kind == "md" else rng.randint(6, 12)
            sections = [_zh_words(rng, rng.randint(4, 8)) for _ in range(count)]
        stem = f"d{index:04d}-{name.lower() if language == 'en' else index}"
        suffix = {"pdf": ".pdf", "md": ".md", "docx": ".docx"}.get(kind, ".txt")
        path = sub / (stem + suffix)
        _write(path, kind, name, sections)
        specs.append(DocumentSpec(str(path.relative_to(folder)), kind, language, name,
                                  [s[:4] for s in sections]))  # fmt: skip
    manifest.write_text(json.dumps({"version": CORPUS_VERSION, "documents": documents,
                                    "specs": [vars(s) for s in specs]},
                                   ensure_ascii=False) + "\n", encoding="utf-8")  # fmt: skip
    return specs


def _en_sentence(name: str, words: list[str]) -> str:
    return f"{name} {' '.join(words)}."


def _write(path: Path, kind: str, name: str, sections: list[list[str]]) -> None:
    if kind == "pdf":
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
        for words in sections:
            pdf.setFont("Helvetica", 11)
            pdf.drawString(50, 800, _en_sentence(name, words))
            pdf.showPage()
        pdf.save()
    elif kind == "docx":
        import docx

        document = docx.Document()
        for number, words in enumerate(sections, start=1):
            document.add_heading(f"{name} {number}", level=2)
            document.add_paragraph(_en_sentence(name, words))
        document.core_properties.created = dt.datetime(2026, 1, 1)
        document.save(str(path))
    elif kind == "md" and path.suffix == ".md" and all(w.isascii() for w in sections[0]):
        lines = [f"# {name}", ""]
        for number, words in enumerate(sections, start=1):
            lines += [f"## Part {number}", "", _en_sentence(name, words), ""]
        path.write_text("\n".join(lines), encoding="utf-8")
    elif kind == "md":
        lines = [f"# {name}", ""]
        for number, words in enumerate(sections, start=1):
            lines += [f"## 第{number}节", "", f"{name}{''.join(words)}。", ""]
        path.write_text("\n".join(lines), encoding="utf-8")
    else:
        text = "".join(f"{name}{''.join(words)}。" for words in sections) + "\n"
        path.write_bytes(text.encode("gbk" if kind == "txt-gbk" else "utf-8"))


# ---- watching the CLI's processes ----------------------------------------------------------


def _role(pid: int) -> str | None:
    """engine (llama.cpp loaded), parser (PDFium loaded), or None (resource tracker, a
    process not yet far enough to tell)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            if b"resource_tracker" in file.read():
                return "other"
        with open(f"/proc/{pid}/maps") as file:
            maps = file.read()
    except OSError:
        return None
    if "libllama" in maps:
        return "engine"
    if "pdfium" in maps:
        return "parser"
    return None


def _status_kb(pid: int) -> dict[str, int]:
    values = {}
    try:
        with open(f"/proc/{pid}/status") as file:
            for line in file:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return values


def _cpu_s(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _children(pid: int) -> list[int]:
    """The process's children, whichever of its threads started them (the ingestion starts
    its parser process, and often the engine, on its read-ahead thread)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as file:
                found += [int(p) for p in file.read().split() if int(p) not in found]
        except OSError:
            continue
    return found


def _indexed(db: Path) -> tuple[int, int]:
    """(documents indexed, chunks) as the store says now."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2) as connection:
            row = connection.execute(
                "SELECT count(*), coalesce(sum(chunk_count), 0) FROM documents "
                "WHERE status = 'indexed'"
            ).fetchone()
            return int(row[0]), int(row[1])
    except sqlite3.Error:
        return 0, 0


class RawProbe:
    """The raw embedding throughput, measured in slices while the ingestion is stopped:
    every ``every_s`` seconds the CLI's processes get SIGSTOP, this engine (same model, same
    threads, batches of 8) embeds ``per_slice`` of the chunks the ingestion stored last,
    and the processes get SIGCONT. Both sides so see the same load, which on a shared
    machine moves by a factor of two within minutes."""

    def __init__(self, db: Path, model: Path, threads: int, *, every_s: float,
                 per_slice: int) -> None:  # fmt: skip
        from core.engine.client import EngineClient
        from core.knowledge.embedder import Embedder

        self.db = db
        self.every_s = every_s
        self.per_slice = per_slice
        self.client = EngineClient(log_path=ENGINE_LOG)
        self.embedder = Embedder(self.client, model, n_threads=threads)
        self.embedder.ensure_loaded()
        self.client.embed(["warm up the model"])
        self.chunks = 0
        self.seconds = 0.0
        self.engine_cpu_s = 0.0
        self.tokens: list[int] = []

    def slice(self) -> None:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5) as connection:
            rows = connection.execute(
                "SELECT text FROM chunks ORDER BY seq DESC LIMIT ?", (self.per_slice * 4,)
            )
            latest = [r[0] for r in rows]
        texts = latest[::4][: self.per_slice]
        pid = self.client.pid or 0
        cpu0 = _cpu_s(pid) or 0.0
        began = time.perf_counter()
        for start in range(0, len(texts), self.embedder.batch_size):
            self.client.embed(texts[start : start + self.embedder.batch_size])
        self.seconds += time.perf_counter() - began
        self.engine_cpu_s += (_cpu_s(pid) or 0.0) - cpu0
        self.chunks += len(texts)
        self.tokens += [self.embedder.count_tokens(t) for t in texts[:4]]

    def result(self) -> dict[str, Any]:
        return {
            "chunks": self.chunks,
            "seconds": round(self.seconds, 2),
            "chunks_per_s": round(self.chunks / max(self.seconds, 1e-9), 2),
            "engine_cpu_ms_per_chunk": round(self.engine_cpu_s / max(self.chunks, 1) * 1000, 3),
            "mean_chunk_tokens": round(statistics.fmean(self.tokens or [0]), 1),
        }

    def close(self) -> None:
        self.client.close()


@dataclass
class Watch:
    """Samples a CLI process tree until it exits; optionally kills the CLI at a count."""

    pid: int
    db: Path
    checkpoints: Sequence[int]
    kill_at: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    roles: dict[int, str] = field(default_factory=dict)
    hwm_kb: dict[str, int] = field(default_factory=dict)  # per role, the largest seen
    at_checkpoint: dict[int, dict[str, int]] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)  # per role, the last seen
    killed_at: float | None = None
    child_pids: dict[str, list[int]] = field(default_factory=dict)
    probe: RawProbe | None = None
    paused_s: float = 0.0  # time the tree was stopped for the probe

    def run(self, process: subprocess.Popen[Any]) -> None:
        began = time.monotonic()
        last_count = 0.0
        last_probe = began
        documents = chunks = 0
        while process.poll() is None:
            now = time.monotonic()
            if self.probe is not None and documents and now - last_probe >= self.probe.every_s:
                self.paused_s += self._probe(self.probe)
                last_probe = now = time.monotonic()
            if now - last_count >= 1.0 or self.kill_at is not None:
                documents, chunks = _indexed(self.db)
                last_count = now
            sample: dict[str, Any] = {"t": round(now - began, 2), "documents": documents,
                                      "chunks": chunks}  # fmt: skip
            tree = [self.pid, *_children(self.pid)]
            for pid in tree:
                role = "cli" if pid == self.pid else self.roles.get(pid) or _role(pid)
                if role is None:
                    continue
                self.roles[pid] = role
                if role == "other":
                    continue
                if pid not in self.child_pids.setdefault(role, []):
                    self.child_pids[role].append(pid)
                status = _status_kb(pid)
                if "VmRSS" in status:
                    sample[role] = status["VmRSS"]
                    self.hwm_kb[role] = max(self.hwm_kb.get(role, 0), status["VmHWM"])
                cpu = _cpu_s(pid)
                if cpu is not None:
                    self.cpu_s[f"{role}:{pid}"] = cpu
            self.samples.append(sample)
            for checkpoint in self.checkpoints:
                if documents >= checkpoint and checkpoint not in self.at_checkpoint:
                    self.at_checkpoint[checkpoint] = dict(self.hwm_kb)
            if self.kill_at is not None and documents >= self.kill_at:
                os.kill(self.pid, signal.SIGKILL)
                self.killed_at = time.monotonic() - began
                process.wait()
                break
            time.sleep(SAMPLE_S)

    def _probe(self, probe: RawProbe) -> float:
        """Stop the CLI's whole tree, embed a slice of its latest chunks raw, go on."""
        tree = [self.pid, *_children(self.pid)]
        began = time.monotonic()
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        try:
            probe.slice()
        finally:
            for pid in reversed(tree):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        return time.monotonic() - began

    def role_cpu(self, role: str) -> float:
        return sum(v for k, v in self.cpu_s.items() if k.startswith(role + ":"))


def _system_busy_s() -> float:
    with open("/proc/stat") as file:
        fields = [int(v) for v in file.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _gone(pids: Sequence[int], within_s: float) -> list[int]:
    """The pids still alive after ``within_s`` (zombies count as gone)."""
    deadline = time.monotonic() + within_s
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _alive(p)]
        time.sleep(0.1)
    return alive


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ---- the parts -----------------------------------------------------------------------------


def _cli(home: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "FIRESIDE_HOME": str(home), "FIRESIDE_LANG": "en"}
    return [sys.executable, "-m", "core.cli", *args], env


def ingest_killed_and_resumed(corpus: Path, home: Path, model: Path, threads: int,
                              documents: int, kill_share: float,
                              probe_every_s: float) -> dict[str, Any]:  # fmt: skip
    db = home / "data" / "knowledge.sqlite3"
    checkpoints = sorted({max(1, documents * q // 4) for q in (1, 2, 3, 4)})
    kill_at = max(1, int(documents * kill_share)) if kill_share > 0 else None

    probe = RawProbe(db, model, threads, every_s=probe_every_s, per_slice=48)
    try:
        return _two_runs(corpus, home, model, threads, checkpoints, kill_at, probe)
    finally:
        probe.close()


def _two_runs(corpus: Path, home: Path, model: Path, threads: int, checkpoints: list[int],
              kill_at: int | None, probe: RawProbe) -> dict[str, Any]:  # fmt: skip
    db = home / "data" / "knowledge.sqlite3"
    engine = ["--embedding-model", str(model), "--threads", str(threads), "--json"]
    # Run 1: kb add, killed with SIGKILL when kill_at documents are indexed.
    command, env = _cli(home, "kb", "add", str(corpus / "docs"), *engine)
    busy0, began = _system_busy_s(), time.monotonic()
    with (home / "run1.err").open("wb") as err:
        first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
        watch1 = Watch(first.pid, db, checkpoints, kill_at, probe=probe)
        watch1.run(first)
    run1_s = time.monotonic() - began
    if watch1.killed_at is None:
        failure = (home / "run1.err").read_text()[-2000:]
        raise RuntimeError(f"kb add ended before the kill: {failure}")
    orphans = _gone([p for role in ("engine", "parser") for p in watch1.child_pids.get(role, [])],
                    10.0)  # fmt: skip
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        before = {
            row[0]: (row[1], row[2])
            for row in connection.execute(
                "SELECT path, indexed_at, chunk_count FROM documents WHERE status = 'indexed'"
            )
        }
        stored_ids = {row[0] for row in connection.execute("SELECT id FROM chunks")}
    stored_chunks = sum(c for _, c in before.values())

    # Run 2: kb resume finishes the job.
    command, env = _cli(home, "kb", "resume", *engine)
    began2 = time.monotonic()
    with (home / "run2.out").open("wb") as out, (home / "run2.err").open("wb") as err:
        second = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        watch2 = Watch(second.pid, db, checkpoints, probe=probe)
        watch2.run(second)
        second.wait()
    run2_s = time.monotonic() - began2
    busy = _system_busy_s() - busy0
    if second.returncode != 0:
        raise RuntimeError("kb resume failed: " + (home / "run2.err").read_text()[-2000:])
    resumed = json.loads((home / "run2.out").read_text())
    ours = sum(w.role_cpu(r) for w in (watch1, watch2) for r in ROLES) + probe.engine_cpu_s
    paused = watch1.paused_s + watch2.paused_s
    total_documents, total_chunks = _indexed(db)
    return {
        "checkpoints": checkpoints,
        "kill_at_documents": kill_at,
        "raw_interleaved": probe.result(),
        "paused_s": round(paused, 2),
        "run1": {"seconds": round(run1_s, 2), "killed_at_s": watch1.killed_at,
                 "paused_s": round(watch1.paused_s, 2),
                 "documents_stored": len(before), "chunks_stored": stored_chunks,
                 "children_left_after_kill": orphans,
                 "cpu_s": {r: round(watch1.role_cpu(r), 2) for r in ROLES}},
        "resume": {"seconds": round(run2_s, 2), "ingestion_seconds": resumed["seconds"],
                   "paused_s": round(watch2.paused_s, 2),
                   "indexed": resumed["indexed"], "unchanged": resumed["unchanged"],
                   "failed": resumed["failed"], "chunks_embedded": resumed["chunks"],
                   "cpu_s": {r: round(watch2.role_cpu(r), 2) for r in ROLES}},
        "documents_indexed": total_documents,
        "chunks": total_chunks,
        "before_kill": before,
        "stored_ids_before_kill": stored_ids,
        "peak_rss_mb": _peaks(watch1, watch2, checkpoints),
        "others_cpu_share": round(max(0.0, busy - ours) / ((run1_s + run2_s) * (os.cpu_count()
                                                                                or 1)), 3),
        "samples": _thin([*watch1.samples, *[{**s, "run": 2} for s in watch2.samples]]),
    }  # fmt: skip


def _peaks(first: Watch, second: Watch, checkpoints: Sequence[int]) -> dict[str, dict[str, Any]]:
    """Per role, the high-water mark of RSS up to each checkpoint (MB), from whichever run
    was indexing there; the resume's marks are its own (a fresh process). The run that
    finished the job gives its whole high-water mark for the last checkpoint (it exits
    before a sample sees the last document counted)."""
    finisher = second if first.killed_at is not None else first
    out: dict[str, dict[str, Any]] = {}
    for role in ROLES:
        row: dict[str, Any] = {}
        for checkpoint in checkpoints:
            seen = first.at_checkpoint.get(checkpoint) or second.at_checkpoint.get(checkpoint)
            if checkpoint == checkpoints[-1]:
                seen = finisher.hwm_kb
            row[str(checkpoint)] = round(seen[role] / 1024, 1) if seen and role in seen else None
        out[role] = row
    return out


def _thin(samples: list[dict[str, Any]], keep: int = 400) -> list[dict[str, Any]]:
    step = max(1, len(samples) // keep)
    return samples[::step]


def verify(home: Path, result: dict[str, Any], specs: Sequence[DocumentSpec]) -> dict[str, Any]:
    """Nothing lost, nothing twice, nothing redone."""
    from core.knowledge.knowledge_base import KnowledgeBase
    from core.paths import AppPaths

    paths = AppPaths.under(home)
    before: dict[str, tuple[float, int]] = result.pop("before_kill")
    stored_before: set[str] = result.pop("stored_ids_before_kill")
    with KnowledgeBase(paths) as kb:
        documents = kb.documents()
        collection = kb.store.collection("default")
        ids = kb.store.chunk_ids(collection.id)
        with sqlite3.connect(f"file:{paths.knowledge_db}?mode=ro", uri=True) as connection:
            rows = connection.execute("SELECT count(*), count(DISTINCT id) FROM chunks").fetchone()
        chroma_ids = kb.index._ids(kb.index._collection(collection))
    indexed = [d for d in documents if d.status == "indexed"]
    rewritten = [d.path for d in indexed if d.path in before
                 and (d.indexed_at, d.chunk_count) != tuple(before[d.path])]  # fmt: skip
    expected_embedded = sum(d.chunk_count for d in indexed if d.path not in before)
    return {
        "documents_expected": len(specs),
        "documents_indexed": len(indexed),
        "documents_not_indexed": [d.path for d in documents if d.status != "indexed"][:10],
        "chunk_rows": rows[0],
        "distinct_chunk_ids": rows[1],
        "sum_of_document_chunk_counts": sum(d.chunk_count for d in indexed),
        "chroma_ids": len(chroma_ids),
        "chroma_equals_sqlite": chroma_ids == ids,
        "ids_before_kill_kept": stored_before <= ids,
        "documents_rewritten_after_resume": rewritten[:10],
        "resume_embedded": result["resume"]["chunks_embedded"],
        "resume_should_embed": expected_embedded,
        "ok": (len(indexed) == len(specs) and rows[0] == rows[1] == len(ids)
               == sum(d.chunk_count for d in indexed) and chroma_ids == ids
               and stored_before <= ids and not rewritten
               and result["resume"]["chunks_embedded"] == expected_embedded),
    }  # fmt: skip


def _stored_texts(home: Path) -> list[str]:
    from core.paths import AppPaths

    db = AppPaths.under(home).knowledge_db
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return [r[0] for r in connection.execute(
            "SELECT c.text FROM chunks c JOIN documents d ON d.id = c.document_id "
            "ORDER BY d.path, c.ordinal")]  # fmt: skip


def raw_embedding(home: Path, model: Path, threads: int, sample: int) -> dict[str, Any]:
    """``client.embed`` alone, batches of 8, on an evenly spread sample of stored chunks."""
    from core.engine.client import EngineClient
    from core.knowledge.embedder import Embedder

    texts = _stored_texts(home)
    step = max(1, len(texts) // sample) if sample else 1
    chosen = texts[::step]
    with EngineClient(log_path=ENGINE_LOG) as client:
        embedder = Embedder(client, model, n_threads=threads)
        embedder.ensure_loaded()
        client.embed(["warm up the model"])
        assert client.pid is not None
        cpu0, busy0, own0 = _cpu_s(client.pid) or 0.0, _system_busy_s(), time.process_time()
        began = time.perf_counter()
        for start in range(0, len(chosen), embedder.batch_size):
            client.embed(chosen[start : start + embedder.batch_size])
        seconds = time.perf_counter() - began
        cpu = (_cpu_s(client.pid) or 0.0) - cpu0
        busy, own = _system_busy_s() - busy0, time.process_time() - own0
        tokens = [embedder.count_tokens(t) for t in chosen[:: max(1, len(chosen) // 500)]]
    return {
        "chunks": len(chosen),
        "of": len(texts),
        "seconds": round(seconds, 2),
        "chunks_per_s": round(len(chosen) / seconds, 2),
        "engine_cpu_ms_per_chunk": round(cpu / len(chosen) * 1000, 3),
        "mean_chunk_tokens": round(statistics.fmean(tokens), 1),
        "others_cpu_share": round(max(0.0, busy - cpu - own) / (seconds * (os.cpu_count() or 1)),
                                  3),
    }  # fmt: skip


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def queries(home: Path, corpus: Path, model: Path, threads: int,
            specs: Sequence[DocumentSpec], per_language: int) -> dict[str, Any]:  # fmt: skip
    """Questions naming a document and two words of one of its sections, through
    ``Retriever.search`` (the query's embedding included); then the same question's
    ``search_with_vector`` alone (BM25, nearest neighbours, fusion, reading the hits)."""
    from core.engine.client import EngineClient
    from core.knowledge.embedder import Embedder
    from core.knowledge.knowledge_base import KnowledgeBase
    from core.paths import AppPaths

    rng = random.Random(61)
    asked: list[tuple[str, str, str]] = []
    for language in ("en", "zh"):
        pool = [s for s in specs if s.language == language]
        for spec in rng.sample(pool, min(per_language, len(pool))):
            words = rng.choice(spec.sections)[:2]
            if language == "en":
                text = f"What does {spec.name} say about {words[0]} and {words[1]}?"
            else:
                text = f"{spec.name}的{''.join(words)}是什么？"
            asked.append((language, text, str(corpus / spec.file)))
    timings: dict[str, list[float]] = {"en": [], "zh": []}
    cpu: dict[str, list[float]] = {"en": [], "zh": []}  # this process's and the engine's
    hits: dict[str, list[bool]] = {"en": [], "zh": []}
    search_only: dict[str, list[float]] = {"en": [], "zh": []}
    with EngineClient(log_path=ENGINE_LOG) as client, KnowledgeBase(AppPaths.under(home)) as kb:
        embedder = Embedder(client, model, n_threads=threads)
        retriever = kb.retriever(embedder)
        engine = client.pid or 0
        chosen = retriever.collections(None)
        for _, text, _ in asked[:3]:  # warm the caches and the model
            retriever.search(text, 5)
        for language, text, expected in asked:
            engine0, own0 = _cpu_s(engine) or 0.0, time.process_time()
            began = time.perf_counter()
            found = retriever.search(text, 5)
            timings[language].append((time.perf_counter() - began) * 1000)
            used = (_cpu_s(engine) or 0.0) - engine0 + time.process_time() - own0
            cpu[language].append(used * 1000)
            hits[language].append(any(h.file == expected for h in found))
            vector = embedder.embed_query(text)  # the same search without the embedding
            began = time.perf_counter()
            retriever.search_with_vector(text, vector, 5, chosen)
            search_only[language].append((time.perf_counter() - began) * 1000)
    out: dict[str, Any] = {}
    for language in ("en", "zh"):
        values = timings[language]
        out[language] = {
            "queries": len(values),
            "p50_ms": round(_percentile(values, 0.5), 1),
            "p95_ms": round(_percentile(values, 0.95), 1),
            "hit_at_5": round(sum(hits[language]) / max(1, len(values)), 3),
            "cpu_p50_ms": round(_percentile(cpu[language], 0.5), 1),
            "cpu_p95_ms": round(_percentile(cpu[language], 0.95), 1),
            "search_only_p50_ms": round(_percentile(search_only[language], 0.5), 1),
            "search_only_p95_ms": round(_percentile(search_only[language], 0.95), 1),
        }
    both = timings["en"] + timings["zh"]
    out["all"] = {"queries": len(both), "p50_ms": round(_percentile(both, 0.5), 1),
                  "p95_ms": round(_percentile(both, 0.95), 1)}  # fmt: skip
    return out


# ---- output --------------------------------------------------------------------------------


def table(result: dict[str, Any]) -> str:
    ing, raw, check, q = result["ingestion"], result["raw"], result["checks"], result["queries"]
    inter = ing["raw_interleaved"]
    lines = [
        f"{result['documents']} documents, {ing['chunks']} chunks "
        f"(~{raw['mean_chunk_tokens']} tokens), threads {result['threads']}, load "
        f"{result['load_average']['before'][0]:.1f} -> {result['load_average']['after'][0]:.1f}",
        f"  ingestion        {result['ingestion_chunks_per_s']:>8} chunks/s  (kill at "
        f"{ing['kill_at_documents']} docs, resume; others' CPU {ing['others_cpu_share']:.0%})",
        f"  raw, interleaved {inter['chunks_per_s']:>8} chunks/s  ({inter['chunks']} chunks in "
        f"slices while the ingestion was stopped, {ing['paused_s']} s)",
        f"  raw, after       {raw['chunks_per_s']:>8} chunks/s  ({raw['chunks']} of "
        f"{raw['of']} chunks; others' CPU {raw['others_cpu_share']:.0%})",
        f"  ratio            {result['ratio']:>8}  (target >= {TARGET_RATIO}; against the raw "
        f"after: {result['ratio_raw_after']})",
        f"  engine CPU ms/chunk: ingestion {result['ingestion_engine_cpu_ms_per_chunk']}, raw "
        f"{inter['engine_cpu_ms_per_chunk']} / {raw['engine_cpu_ms_per_chunk']}",
        "  CPU ms/chunk     "
        + " + ".join(f"{k} {v}" for k, v in result["ingestion_cpu_ms_per_chunk"].items())
        + " -> CPU ratio "
        f"{result['cpu_ratio']} (raw engine CPU / all ingestion processes' CPU)",
        "  peak RSS MB (VmHWM) at " + " / ".join(str(c) for c in ing["checkpoints"]) + " docs:",
    ]
    for role, row in ing["peak_rss_mb"].items():
        lines.append(f"    {role:<7} " + " / ".join(str(v) for v in row.values()))
    lines += [
        f"  kill -9 at {ing['run1']['documents_stored']} docs stored "
        f"({ing['run1']['chunks_stored']} chunks); children left after the kill: "
        f"{ing['run1']['children_left_after_kill'] or 'none'}",
        f"  resume: {ing['resume']['indexed']} indexed, {ing['resume']['unchanged']} unchanged, "
        f"embedded {check['resume_embedded']} chunks (should: {check['resume_should_embed']})",
        f"  check: {check['documents_indexed']}/{check['documents_expected']} docs, "
        f"{check['chunk_rows']} rows, {check['distinct_chunk_ids']} distinct ids, Chroma "
        f"{check['chroma_ids']} (equal: {check['chroma_equals_sqlite']}) -> "
        f"{'OK' if check['ok'] else 'FAILED'}",
    ]
    for language in ("en", "zh", "all"):
        row = q[language]
        extra = (f", hit@5 {row['hit_at_5']}; CPU p50/p95 {row['cpu_p50_ms']}/"
                 f"{row['cpu_p95_ms']} ms; without the embedding p50/p95 "
                 f"{row['search_only_p50_ms']}/{row['search_only_p95_ms']} ms"
                 if "hit_at_5" in row else "")  # fmt: skip
        lines.append(f"  query {language:<3} {row['queries']:>4} q  p50 {row['p50_ms']:>7} ms"
                     f"  p95 {row['p95_ms']:>7} ms{extra}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="embedding model (default: ../shared/models)")
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1,
                        help="engine threads, both sides (default 1)")  # fmt: skip
    parser.add_argument("--kill-at", type=float, default=0.5,
                        help="share of the documents indexed when kb add is killed")  # fmt: skip
    parser.add_argument("--raw-sample", type=int, default=1000)
    parser.add_argument("--probe-every", type=float, default=60.0,
                        help="seconds of ingestion between two raw slices")  # fmt: skip
    parser.add_argument("--queries", type=int, default=60, help="per language")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args(argv)
    if not 0 < args.kill_at < 1:
        parser.error("--kill-at must be between 0 and 1")
    model = args.model or next((p for p in MODEL_CANDIDATES if p.is_file()), None)
    if model is None or not model.is_file():
        print("no embedding model: pass --model PATH (all-MiniLM-L6-v2-f16.gguf)", file=sys.stderr)
        return 2
    ENGINE_LOG.parent.mkdir(parents=True, exist_ok=True)
    corpus = CACHE / f"scale-corpus-v{CORPUS_VERSION}-{args.documents}"
    print(f"corpus in {corpus}…", file=sys.stderr)
    began = time.perf_counter()
    specs = write_corpus(corpus, args.documents)
    corpus_s = time.perf_counter() - began
    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        print(f"note: load average {load_before[0]:.2f}; timings will be noisy", file=sys.stderr)
    result: dict[str, Any] = {
        "benchmark": "scale",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "model": str(model),
        "documents": args.documents,
        "threads": args.threads,
        "kinds": {
            k: sum(1 for s in specs if f"{s.kind}/{s.language}" == k)
            for k in sorted({f"{s.kind}/{s.language}" for s in specs})
        },
        "corpus_seconds": round(corpus_s, 1),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "load_average": {"before": load_before},
    }
    home = Path(tempfile.mkdtemp(prefix="fireside-bench-scale-"))
    try:
        print("kb add, kill -9, kb resume…", file=sys.stderr)
        ingestion = ingest_killed_and_resumed(corpus, home, model, args.threads,
                                              args.documents, args.kill_at,
                                              args.probe_every)  # fmt: skip
        result["ingestion"] = ingestion
        result["checks"] = verify(home, ingestion, specs)
        print("raw embedding…", file=sys.stderr)
        result["raw"] = raw_embedding(home, model, args.threads, args.raw_sample)
        print("queries…", file=sys.stderr)
        result["queries"] = queries(home, corpus, model, args.threads, specs, args.queries)
    finally:
        if args.keep:
            print(f"data folder kept: {home}", file=sys.stderr)
        else:
            shutil.rmtree(home, ignore_errors=True)
    run1, resume = ingestion["run1"], ingestion["resume"]
    # Wall time of both processes (start, model load and the document lost to the kill
    # included), against every chunk stored.
    wall = (run1["killed_at_s"] or run1["seconds"]) + resume["seconds"] - ingestion["paused_s"]
    result["ingestion_chunks_per_s"] = round(ingestion["chunks"] / wall, 2)
    result["ingestion_resume_chunks_per_s"] = round(
        resume["chunks_embedded"] / max(resume["ingestion_seconds"], 1e-9), 2
    )
    engine_cpu = run1["cpu_s"]["engine"] + resume["cpu_s"]["engine"]
    result["ingestion_engine_cpu_ms_per_chunk"] = round(engine_cpu / ingestion["chunks"] * 1000, 3)
    interleaved = ingestion["raw_interleaved"]
    result["ratio"] = round(result["ingestion_chunks_per_s"] / interleaved["chunks_per_s"], 3)
    result["ratio_raw_after"] = round(
        result["ingestion_chunks_per_s"] / result["raw"]["chunks_per_s"], 3
    )
    # CPU of every process of both runs (their starts included) per chunk stored, against the
    # raw engine's: what the wall ratio comes to when nothing overlaps, whatever the load.
    cpu = sum(run1["cpu_s"].values()) + sum(resume["cpu_s"].values())
    result["ingestion_cpu_ms_per_chunk"] = {
        role: round((run1["cpu_s"][role] + resume["cpu_s"][role]) / ingestion["chunks"] * 1000, 3)
        for role in ROLES
    }
    result["cpu_ratio"] = round(
        interleaved["engine_cpu_ms_per_chunk"] / (cpu / ingestion["chunks"] * 1000), 3
    )
    result["load_average"]["after"] = os.getloadavg()
    result["table"] = table(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(result["table"])
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
