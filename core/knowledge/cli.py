"""``fireside-cli kb …`` and the knowledge side of ``fireside-cli chat --kb C``.

``kb add`` reports each finished document on stderr (with rate and, once it means
something, ETA), how far it got inside a long document, and a summary on stdout; Ctrl-C
stops it at once (the parser process is killed) or before the next embedding batch,
keeping every finished document, and running the same command again continues. ``kb
search --json`` prints a list of hits, each with at least ``file``, ``page`` (null without
pages), ``heading``, ``snippet`` and ``score``. Commands that need no vectors (``list``,
``collections``) never start Chroma or the engine; the engine starts only when something
must be embedded.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from core.engine.client import EngineClient
from core.i18n import Translator
from core.knowledge.embedder import DEFAULT_N_CTX, Embedder, resolve_model
from core.knowledge.errors import KnowledgeError, NoEmbeddingModel
from core.knowledge.grounding import GroundedTurn, ground
from core.knowledge.ingest import IngestReport, Outcome, Progress
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.language_check import LanguageAdvisor, language_names, languages_of_files
from core.knowledge.languages import main_languages
from core.knowledge.readers.base import ReadLimits
from core.knowledge.rerank import Reranker, resolve_reranker
from core.knowledge.store import DEFAULT_COLLECTION, Collection, Document, KnowledgeStore
from core.knowledge.whole import Progress as WholeProgress
from core.knowledge.whole import WholeTurn
from core.knowledge.whole_chat import WholeChat
from core.models.switching import device_choice
from core.models.units import human_size
from core.paths import AppPaths
from core.settings import EngineSettings, Settings, SettingsStore

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
CHAT_SOURCES = 4  # chunks put in front of each grounded question


def _engine_options(parser: argparse.ArgumentParser, positive: Callable[[str], int]) -> None:
    parser.add_argument(
        "--embedding-model",
        metavar="PATH_OR_ID",
        help="embedding model file or installed model id (default: settings)",
    )
    parser.add_argument(
        "--embedding-ctx",
        type=positive,
        default=DEFAULT_N_CTX,
        help="the embedding model's context size (tokens)",
    )
    parser.add_argument("--threads", type=positive, default=None, help="engine threads")


def add_kb_parser(sub: Any, tr: Translator, positive: Callable[[str], int]) -> None:
    """Register ``kb`` and its subcommands on fireside-cli's parser."""
    zh = tr.language == "zh_CN"
    kb = sub.add_parser("kb", help="个人知识库" if zh else "your documents, for grounded answers")
    actions = kb.add_subparsers(dest="kb_command", required=True, parser_class=type(kb))

    add = actions.add_parser("add", help="add files and folders to a collection")
    add.add_argument("paths", nargs="+", metavar="PATH")
    add.add_argument("--collection", default=DEFAULT_COLLECTION)
    add.add_argument("--json", action="store_true", help="one JSON object with every outcome")
    _engine_options(add, positive)

    resume = actions.add_parser(
        "resume", help="finish ingestions a stop (Ctrl-C) or a kill interrupted"
    )
    resume.add_argument("--json", action="store_true")
    _engine_options(resume, positive)

    listing = actions.add_parser("list", help="documents and why any were skipped")
    listing.add_argument("--collection")
    listing.add_argument("--json", action="store_true")

    remove = actions.add_parser("remove", help="remove a document (id or path)")
    remove.add_argument("document", metavar="DOC")
    remove.add_argument("--collection")

    search = actions.add_parser("search", help="hybrid search with citations")
    search.add_argument("text")
    search.add_argument("--k", type=positive, default=5)
    search.add_argument("--collection", action="append", help="search only these collections")
    search.add_argument("--json", action="store_true")
    search.add_argument("--reranker", metavar="PATH_OR_ID",
                        help="rerank the best candidates with this model")  # fmt: skip
    _engine_options(search, positive)

    reindex = actions.add_parser("reindex", help="rebuild the vector index (re-embed if needed)")
    reindex.add_argument("--collection", action="append")
    reindex.add_argument("--json", action="store_true")
    _engine_options(reindex, positive)

    collections = actions.add_parser("collections", help="collections and their models")
    collections.add_argument("--json", action="store_true")


def add_chat_kb_arguments(chat: argparse.ArgumentParser, positive: Callable[[str], int]) -> None:
    """``chat --kb C``: ground the chat's answers in collection C (repeatable)."""
    chat.add_argument("--kb", action="append", metavar="COLLECTION",
                      help="answer from these collections, with citations")  # fmt: skip
    chat.add_argument("--embedding-model", metavar="PATH_OR_ID",
                      help="embedding model for --kb (default: settings)")  # fmt: skip
    chat.add_argument("--embedding-ctx", type=positive, default=DEFAULT_N_CTX)
    chat.add_argument("--reranker", metavar="PATH_OR_ID",
                      help="rerank --kb's best candidates with this model")  # fmt: skip
    chat.add_argument("--whole", action="store_true",
                      help="read whole documents of --kb for each question")  # fmt: skip
    chat.add_argument("--doc", action="append", metavar="DOCUMENT", default=[],
                      help="with --whole: only this document (id, path or title)")  # fmt: skip


def run_kb(args: argparse.Namespace, paths: AppPaths, tr: Translator) -> int:
    return KbCommand(args, paths, tr).run()


class KbCommand:
    """Runs one ``kb`` subcommand; output goes to the given streams."""

    def __init__(self, args: argparse.Namespace, paths: AppPaths, tr: Translator, *,
                 out: TextIO | None = None, err: TextIO | None = None) -> None:  # fmt: skip
        self.args = args
        self.paths = paths
        self.tr = tr
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.settings: Settings = SettingsStore(paths.settings_file).load()
        self._client: EngineClient | None = None
        self._advisor: LanguageAdvisor | None = None

    def run(self) -> int:
        self.paths.ensure()
        handler = getattr(self, "_" + self.args.kb_command)
        with KnowledgeBase(self.paths) as kb:
            if kb.store.recovery is not None:
                self._note(kb.store.recovery.message(self.tr))
            try:
                code: int = handler(kb)
            finally:
                if self._client is not None:
                    self._client.close()
        return code

    # ---- helpers -----------------------------------------------------------------------

    def _embedder(self, required: bool = True) -> Embedder | None:
        try:
            model = resolve_model(self.args.embedding_model, self.settings, self.paths)
        except KnowledgeError:
            if required or self.args.embedding_model:
                raise
            return None
        self._client = EngineClient(self.paths)
        return Embedder(self._client, model, n_ctx=self.args.embedding_ctx,
                        n_threads=self.args.threads,
                        device=device_choice(self.settings.engine, "embedding"))  # fmt: skip

    def _print(self, text: str) -> None:
        print(text, file=self.out)

    def _note(self, text: str) -> None:
        print(text, file=self.err)

    def _json(self, value: Any) -> None:
        self.out.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")

    def _reason(self, code: str | None, params: dict[str, Any] | None) -> str | None:
        return self.tr(code, **(params or {})) if code else None

    def _language_warning(self, kb: KnowledgeBase, collection: Collection) -> str | None:
        """One line when the collection's embedding model does not understand the language
        of its documents (see core.knowledge.language_check), else None."""
        if self._advisor is None:
            self._advisor = LanguageAdvisor()
        mismatch = self._advisor.check_collection(kb.store, collection)
        return mismatch.message(self.tr) if mismatch is not None else None

    def _warn_languages(self, kb: KnowledgeBase, names: Sequence[str]) -> None:
        for name in dict.fromkeys(names):
            warning = self._language_warning(kb, kb.store.collection(name))
            if warning:
                self._note(warning)

    def _first_use(self, missing: NoEmbeddingModel) -> NoEmbeddingModel:
        """No embedding model yet: the same message, with the catalogue model that suits
        the documents being added (their languages) and this computer's memory."""
        if missing.code != "kb_no_embedding_model":
            return missing
        counts = languages_of_files(Path(p).expanduser() for p in self.args.paths)
        suggestion = LanguageAdvisor().first_choice(counts or ["en"])
        if suggestion is None:
            return missing
        return NoEmbeddingModel("kb_no_embedding_model_suggest", name=suggestion.entry.name,
                                size=human_size(suggestion.size),
                                languages=language_names(main_languages(counts) or ["en"],
                                                         self.tr),
                                command=suggestion.command())  # fmt: skip

    def _note_repairs(self, kb: KnowledgeBase) -> None:
        if kb.repairs is not None and kb.repairs.repaired:
            self._note(self.tr("kb_vectors_repaired", added=kb.repairs.added))

    # ---- commands ----------------------------------------------------------------------

    def _add(self, kb: KnowledgeBase) -> int:
        try:
            embedder = self._embedder()
        except NoEmbeddingModel as exc:
            raise self._first_use(exc) from exc
        assert embedder is not None
        ingestion = kb.ingestion(embedder, self.args.collection, limits=self._limits(),
                                 on_progress=self._progress)  # fmt: skip
        with _CancelOnSigint(ingestion.cancel):
            report = ingestion.run([Path(p) for p in self.args.paths])
        code = self._report([report])
        self._warn_languages(kb, [self.args.collection])
        return code

    def _resume(self, kb: KnowledgeBase) -> int:
        """Finish what a kill interrupted (the same jobs), then run again what a stop left
        (one new job per collection; finished documents are skipped as unchanged)."""
        killed = kb.store.unfinished_jobs()
        stopped = kb.store.stopped_jobs()
        if not killed and not stopped:
            self._note(self.tr("kb_nothing_to_resume"))
            return EXIT_OK
        embedder = self._embedder()
        assert embedder is not None
        reports: list[IngestReport] = []
        for collection in dict.fromkeys(job.collection for job in [*killed, *stopped]):
            ingestion = kb.ingestion(embedder, collection, limits=self._limits(),
                                     on_progress=self._progress)  # fmt: skip
            paths = [p for job in stopped if job.collection == collection for p in job.paths]
            with _CancelOnSigint(ingestion.cancel):
                reports.extend(ingestion.resume())
                if paths and not ingestion.cancelled:
                    reports.append(ingestion.run([Path(p) for p in dict.fromkeys(paths)]))
            if ingestion.cancelled:
                break
        return self._report(reports)

    def _limits(self) -> ReadLimits:
        return ReadLimits.from_settings(self.settings.knowledge)

    def _progress(self, progress: Progress) -> None:
        outcome, reading = progress.outcome, progress.reading
        if outcome is None:
            if reading is not None and not self.args.json:
                self._note(self.tr(f"kb_reading_{reading.unit}", path=progress.current,
                                   done=reading.done, total=reading.total or "?"))  # fmt: skip
            return
        if outcome.status == "failed":
            self._note(self.tr("kb_skipped", reason=self.tr(outcome.code or "", **outcome.params)))
            return
        if outcome.code and outcome.status in ("indexed", "replaced"):  # indexed, with a note
            self._note(self.tr("kb_note", reason=self.tr(outcome.code, **outcome.params)))
        if self.args.json:
            return
        figures = {"done": progress.documents_done, "total": progress.documents_total,
                   "path": outcome.path, "chunks": outcome.chunks,
                   "rate": f"{progress.chunks_per_s:.1f}"}  # fmt: skip
        if progress.eta_s is None:
            self._note(self.tr("kb_progress_no_eta", **figures))
        else:
            self._note(self.tr("kb_progress", eta=f"{progress.eta_s:.0f}", **figures))

    def _report(self, reports: Sequence[IngestReport]) -> int:
        outcomes = [o for r in reports for o in r.outcomes]
        counts = {
            "indexed": sum(r.count("indexed", "replaced") for r in reports),
            "unchanged": sum(r.count("unchanged", "moved") for r in reports),
            "duplicates": sum(r.count("duplicate") for r in reports),
            "failed": sum(r.count("failed") for r in reports),
            "removed": sum(r.count("removed") for r in reports),
            "chunks": sum(r.chunks for r in reports),
        }
        seconds = sum(r.seconds for r in reports)
        cancelled = any(r.cancelled for r in reports)
        if self.args.json:
            self._json({**counts, "seconds": round(seconds, 3), "cancelled": cancelled,
                        "outcomes": [self._outcome_json(o) for o in outcomes]})  # fmt: skip
        else:
            self._print(self.tr("kb_summary", seconds=f"{seconds:.1f}", **counts))
        if cancelled:
            self._note(self.tr("kb_cancelled"))
            return EXIT_INTERRUPTED
        return EXIT_OK

    def _outcome_json(self, outcome: Outcome) -> dict[str, Any]:
        return {
            "path": outcome.path,
            "status": outcome.status,
            "chunks": outcome.chunks,
            "pages": outcome.pages,
            "code": outcome.code,
            "reason": self._reason(outcome.code, outcome.params),
            "document": outcome.document_id,
        }

    def _list(self, kb: KnowledgeBase) -> int:
        documents = kb.documents(self.args.collection)
        if self.args.json:
            self._json([self._document_json(d) for d in documents])
            return EXIT_OK
        if not documents:
            self._print(self.tr("kb_no_documents"))
        self._warn_languages(kb, [d.collection for d in documents])
        for d in documents:
            status = self.tr(f"kb_status_{d.status}")
            pages = f"{d.pages}p" if d.pages else "-"
            self._print(f"{d.id:>5}  {status:<10} {d.chunk_count:>5}  {pages:>5}  "
                        f"{d.collection}  {d.path}")  # fmt: skip
            reason = self._reason(d.error_code, d.error_params)
            if reason:
                self._print(f"       {reason}")
        return EXIT_OK

    def _document_json(self, d: Document) -> dict[str, Any]:
        return {
            "id": d.id,
            "collection": d.collection,
            "file": d.path,
            "title": d.title,
            "kind": d.kind,
            "status": d.status,
            "chunks": d.chunk_count,
            "pages": d.pages,
            "size": d.size,
            "content_hash": d.content_hash,
            "code": d.error_code,
            "reason": self._reason(d.error_code, d.error_params),
            "duplicate_of": d.duplicate_of,
            "indexed_at": d.indexed_at,
            "language": d.language or None,
        }

    def _remove(self, kb: KnowledgeBase) -> int:
        document = kb.find(self.args.document, self.args.collection)
        chunks = kb.remove(document)
        self._print(self.tr("kb_removed", document=document.path, chunks=chunks))
        return EXIT_OK

    def _search(self, kb: KnowledgeBase) -> int:
        for name in self.args.collection or []:
            kb.store.collection(name)  # an unknown name fails before Chroma or the engine
        embedder = self._embedder()
        reranker = None
        model = resolve_reranker(self.args.reranker, self.settings, self.paths)
        if model is not None and embedder is not None:
            reranker = Reranker(embedder.client, model, n_threads=self.args.threads,
                                candidates=self.settings.knowledge.rerank_candidates,
                                device=device_choice(self.settings.engine, "reranker"))  # fmt: skip
        retriever = kb.retriever(embedder, reranker)
        self._note_repairs(kb)
        hits = retriever.search(self.args.text, self.args.k, self.args.collection)
        if self.args.json:
            self._json([h.to_json() for h in hits])
            return EXIT_OK
        if not hits:
            self._print(self.tr("cli_no_results"))
        for number, hit in enumerate(hits, start=1):
            self._print(f"[{number}] {_where(hit.file, hit.page, hit.heading, self.tr)}"
                        f"  ({hit.score:.4f})")  # fmt: skip
            self._print(f"    {hit.snippet}")
        return EXIT_OK

    def _reindex(self, kb: KnowledgeBase) -> int:
        embedder = self._embedder(required=False)
        reports = kb.reindex(self.args.collection, embedder)
        if self.args.json:
            self._json([{"collection": r.collection, "chunks": r.chunks, "embedded": r.embedded,
                         "model": r.model} for r in reports])  # fmt: skip
            return EXIT_OK
        if not reports:
            self._print(self.tr("kb_no_collections"))
        for r in reports:
            self._print(self.tr("kb_reindexed", collection=r.collection, chunks=r.chunks,
                                embedded=r.embedded))  # fmt: skip
        return EXIT_OK

    def _collections(self, kb: KnowledgeBase) -> int:
        collections = kb.collections()
        if self.args.json:
            self._json([{"name": c.name, "documents": c.documents, "chunks": c.chunks,
                         "embedding_model": c.embedding_model,
                         "embedding_path": c.embedding_path,
                         "languages": kb.store.document_languages(c.id),
                         "language_warning": self._language_warning(kb, c)}
                        for c in collections])  # fmt: skip
            return EXIT_OK
        if not collections:
            self._print(self.tr("kb_no_collections"))
        for c in collections:
            model = (c.embedding_model or "-").rsplit(":", 1)[0]
            self._print(f"{c.name:<20} {c.documents:>5} docs {c.chunks:>7} chunks  {model}")
            warning = self._language_warning(kb, c)
            if warning:
                self._print(f"    {warning}")
        return EXIT_OK


class _CancelOnSigint:
    """Ctrl-C asks the job to stop at the next batch; a second Ctrl-C interrupts at once."""

    def __init__(self, cancel: Callable[[], None]) -> None:
        self.cancel = cancel
        self.previous: Any = None

    def __enter__(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            self.cancel()
            signal.signal(signal.SIGINT, self.previous)

        try:
            self.previous = signal.signal(signal.SIGINT, handler)
        except ValueError:  # not the main thread: the caller cancels some other way
            self.previous = None

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _where(file: str, page: int | None, heading: str | None, tr: Translator) -> str:
    parts = [Path(file).name]
    if page is not None:
        parts.append(tr("kb_page", page=page))
    text = ", ".join(parts)
    return f"{text} — {heading}" if heading else text


def citation_lines(citations: Sequence[dict[str, Any]], tr: Translator) -> list[str]:
    """The lines printed under a grounded reply: the sources, those it cited marked."""
    if not citations:
        return []
    lines = [tr("kb_sources")]
    for c in citations:
        mark = "*" if c.get("cited") else " "
        where = _where(str(c.get("file", "")), c.get("page"), c.get("heading"), tr)
        lines.append(f"{mark}[{c.get('n')}] {where}")
    return lines


class ChatKnowledge:
    """Grounds each turn of ``fireside-cli chat --kb C`` in the chosen collections."""

    def __init__(self, paths: AppPaths, client: EngineClient, model: Path,
                 collections: Sequence[str], *, n_ctx: int = DEFAULT_N_CTX,
                 n_threads: int | None = None, k: int = CHAT_SOURCES,
                 reranker: Path | None = None, rerank_candidates: int = 20,
                 engine: EngineSettings | None = None) -> None:  # fmt: skip
        """``engine``: the settings whose Device the embedding model and the reranker
        follow (None: the engine's first GPU, if any)."""
        self.kb = KnowledgeBase(paths)
        engine = engine or EngineSettings()
        try:
            self.collections = list(collections)
            self.k = k
            self.embedder = Embedder(client, model, n_ctx=n_ctx, n_threads=n_threads,
                                     device=device_choice(engine, "embedding"))  # fmt: skip
            second = (None if reranker is None else
                      Reranker(client, reranker, n_threads=n_threads,
                               candidates=rerank_candidates,
                               device=device_choice(engine, "reranker")))  # fmt: skip
            self.retriever = self.kb.retriever(self.embedder, second)
            self.retriever.collections(self.collections)  # unknown names fail now
        except BaseException:
            self.kb.close()
            raise

    def ground(self, text: str) -> GroundedTurn:
        hits = self.retriever.search(text, self.k, self.collections)
        return ground(text, hits)

    def close(self) -> None:
        self.kb.close()


def open_chat_knowledge(args: argparse.Namespace, paths: AppPaths, client: EngineClient,
                        chosen: Sequence[str]) -> ChatKnowledge | None:  # fmt: skip
    """The knowledge for a chat that uses ``chosen`` collections (None when it uses none)."""
    if not chosen:
        return None
    settings = SettingsStore(paths.settings_file).load()
    model = resolve_model(getattr(args, "embedding_model", None), settings, paths)
    n_ctx = getattr(args, "embedding_ctx", DEFAULT_N_CTX)
    threads = getattr(args, "threads", None)  # chat --threads applies to both models
    reranker = resolve_reranker(getattr(args, "reranker", None), settings, paths)
    return ChatKnowledge(paths, client, model, chosen, n_ctx=n_ctx, n_threads=threads,
                         reranker=reranker,
                         rerank_candidates=settings.knowledge.rerank_candidates,
                         engine=settings.engine)  # fmt: skip


class WholeKnowledge:
    """``chat --kb C --whole``: every question read from the whole documents of C (or the
    ``--doc`` ones), with progress on stderr; no embedding model is needed."""

    def __init__(self, paths: AppPaths, client: EngineClient, collections: Sequence[str],
                 names: Sequence[str], tr: Translator) -> None:  # fmt: skip
        self.tr = tr
        self.store = KnowledgeStore(paths.knowledge_db)
        try:
            self.chat = WholeChat(self.store, client, collections, names)
        except BaseException:
            self.store.close()
            raise

    def ground(self, text: str, groundings: Sequence[Any], show: bool) -> WholeTurn:
        """The turn for ``text``; with ``show``, the reading's progress on stderr."""

        def progress(step: WholeProgress) -> None:
            done = min(step.documents_read + 1, step.documents_total)
            line = self.tr("kb_whole_progress", done=done, total=step.documents_total)
            print("\r" + line, end="", file=sys.stderr, flush=True)

        turn = self.chat.ground(text, groundings, progress if show else None)
        if show:
            print(file=sys.stderr)
        if turn.whole.get("stopped"):
            read, total = len(turn.whole["read"]), len(turn.whole["documents"])
            print(self.tr("kb_whole_stopped", done=read, total=total), file=sys.stderr)
        return turn

    def cancel(self) -> bool:
        return self.chat.cancel()

    def close(self) -> None:
        self.store.close()


def whole_json(whole: dict[str, Any], citations: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``chat --whole --json``: the documents read and the extracts, each with its source
    number in the reply's citations and its page."""
    numbers = {c.get("chunk_id"): c.get("n") for c in citations}
    read = set(whole.get("read", []))
    return {
        "documents_read": [
            {"id": d["id"], "title": d["title"], "file": d["file"]}
            for d in whole.get("documents", []) if d.get("id") in read
        ],
        "documents_total": len(whole.get("documents", [])),
        "stopped": bool(whole.get("stopped")),
        "reused": list(whole.get("reused", [])),
        "extracts": [
            {"n": numbers.get(note.get("chunk_id")), "document_id": note.get("document_id"),
             "page": note.get("page"), "text": note.get("text")}
            for note in whole.get("notes", [])
        ],
        "passes": whole.get("passes", 0),
        "seconds": whole.get("seconds", 0.0),
    }  # fmt: skip


def open_whole_knowledge(
    args: argparse.Namespace, paths: AppPaths, client: EngineClient, chosen: Sequence[str],
    tr: Translator,
) -> WholeKnowledge | None:  # fmt: skip
    """``--whole``'s knowledge (None without ``--whole``); ``kb_whole_needs_kb`` when the
    chat has no collection."""
    if not getattr(args, "whole", False):
        return None
    if not chosen:
        raise KnowledgeError("kb_whole_needs_kb")
    return WholeKnowledge(paths, client, chosen, getattr(args, "doc", None) or [], tr)
