"""The reranking stage: llama.cpp's rank pooling in the engine, and the retriever using it.

No cross-encoder's weights can be had here (see tests/reranker_files.py and bench/README.md
for what was searched), so the reranker is the shared MiniLM sentence model declared as a
rank model. Without a head its "score" is the first component of the CLS row's hidden
state, not a relevance: those tests prove the plumbing (the pair input llama.cpp's server
builds, one score per document in order, the score read from the rank-pooled output, the
retriever's reordering and the citations), checked against llama.cpp's own CLS pooling of
the same tokens. With the whole head a BERT cross-encoder carries (``minilm_cross_encoder``:
pooler and classifier, made-up values), the engine's scores are checked against a forward
pass computed in numpy from the file's weights (tests/bert_reference.py): every operation a
real cross-encoder runs, none of its relevance.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import llama_cpp
import numpy as np
import pytest

from core.engine.client import EngineClient
from core.engine.errors import ModelFileError, NoModelLoaded
from core.engine.gguf import read_header
from core.engine.protocol import LoadOptions
from core.engine.runtime import RerankRuntime
from core.engine.segments import pair_segments
from core.i18n import Translator
from core.knowledge.cli import open_chat_knowledge
from core.knowledge.collections import CollectionModels
from core.knowledge.grounding import ground
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.rerank import Reranker
from core.knowledge.retrieval import Retriever
from core.knowledge.store import Collection, DocumentFacts, NewChunk
from core.models.catalogue import load_catalogue
from core.models.registry import ModelRegistry
from core.paths import AppPaths
from core.settings import KnowledgeSettings, Settings, SettingsStore
from tests.bert_reference import BertReference
from tests.reranker_files import (
    minilm_as_reranker,
    minilm_cross_encoder,
    minilm_with_head,
    minilm_with_rerank_template,
)

QUERY = "what do giant pandas eat?"
DOCS = [
    "Giant pandas feed almost entirely on bamboo shoots and leaves.",
    "The stock market fell sharply today after the announcement.",
    "Pandas eat bamboo.",
]
CLS, SEP = 101, 102  # MiniLM's (BERT's) [CLS] and [SEP]


@pytest.fixture(scope="module")
def reranker_path() -> Path:
    return minilm_as_reranker()


@pytest.fixture(scope="module")
def runtime(reranker_path: Path) -> Iterator[RerankRuntime]:
    rt = RerankRuntime(read_header(reranker_path), LoadOptions(n_ctx=512, n_threads=1))
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def rerank_engine(reranker_path: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[EngineClient]:  # fmt: skip
    client = EngineClient(log_path=tmp_path_factory.mktemp("rerank") / "engine.log")
    client.load_reranker(reranker_path, LoadOptions(n_ctx=512, n_threads=1))
    yield client
    client.close()


@pytest.fixture(scope="module")
def cls_llm(minilm_path: Path) -> Iterator[llama_cpp.Llama]:
    """The unpatched MiniLM with llama.cpp's CLS pooling: the rows rank pooling reads."""
    llm = llama_cpp.Llama(model_path=str(minilm_path), embedding=True, n_ctx=512, n_batch=512,
                          n_ubatch=512, n_threads=1, verbose=False,
                          pooling_type=llama_cpp.LLAMA_POOLING_TYPE_CLS)  # fmt: skip
    yield llm
    llm.close()


def _first_pooled(ctx: object, tokens: list[int], rows: np.ndarray | None = None) -> float:
    """Decode one sequence on ``ctx`` as token ids, or as the given input rows, and read
    the first value of its pooled output (a CLS row, or a rank head's score)."""
    width = 0 if rows is None else rows.shape[1]
    batch = llama_cpp.llama_batch_init(len(tokens), width, 1)
    try:
        if rows is not None:
            data = np.ascontiguousarray(rows, dtype=np.float32)
            ctypes.memmove(batch.embd, data.ctypes.data, data.nbytes)
        for pos, token in enumerate(tokens):
            if rows is None:
                batch.token[pos] = token
            batch.pos[pos], batch.n_seq_id[pos], batch.seq_id[pos][0] = pos, 1, 0
            batch.logits[pos] = 1
        batch.n_tokens = len(tokens)
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
        assert llama_cpp.llama_decode(ctx, batch) == 0
        return float(llama_cpp.llama_get_embeddings_seq(ctx, 0)[0])
    finally:
        llama_cpp.llama_batch_free(batch)


def test_the_pair_is_built_as_llama_server_builds_it(runtime: RerankRuntime) -> None:
    """No rerank template in a BERT: [BOS=CLS] query [EOS=SEP] document [EOS=SEP]."""
    assert runtime.template is None
    query = runtime.tokenize(QUERY, add_special=False)
    document = runtime.tokenize(DOCS[0], add_special=False)
    assert runtime.pair_tokens(QUERY, DOCS[0]) == [CLS, *query, SEP, *document, SEP]


def test_a_long_pair_is_cut_to_one_batch_keeping_its_special_tokens(
    runtime: RerankRuntime,
) -> None:
    tokens = runtime.pair_tokens(QUERY, "bamboo " * 2000)
    assert len(tokens) == runtime.n_batch
    assert tokens[0] == CLS and tokens[-1] == SEP and tokens.count(SEP) == 2
    assert runtime.rerank(QUERY, ["bamboo " * 2000])[0] == pytest.approx(
        runtime.rerank(QUERY, ["bamboo " * 4000])[0]
    )


def test_a_rerank_template_in_the_file_is_used_as_the_server_uses_it(
    runtime: RerankRuntime, cls_llm: llama_cpp.Llama
) -> None:
    """Qwen3-Reranker's GGUF carries ``tokenizer.chat_template.rerank``: filled in, its
    special tokens parsed; a long document is shortened so that the template's end (where
    the model is asked for its judgement) stays. Its pair goes as token ids (no segments:
    where the document starts is the template's business), as the server sends it."""
    path = minilm_with_rerank_template("[CLS]question: {query}[SEP]passage: {document}[SEP]")
    templated = RerankRuntime(read_header(path), LoadOptions(n_ctx=128, n_threads=1))
    try:
        words = templated.tokenize
        tokens = templated.pair_tokens(QUERY, DOCS[2])
        assert tokens == [CLS, *words("question:", add_special=False),
                          *words(QUERY, add_special=False), SEP,
                          *words("passage:", add_special=False),
                          *words(DOCS[2], add_special=False), SEP]  # fmt: skip
        long = templated.pair_tokens(QUERY, "bamboo " * 500)
        assert templated.n_batch - 16 <= len(long) <= templated.n_batch and long[-1] == SEP
        assert long.count(SEP) == 2 and long[:3] == tokens[:3]
        # A query that holds a placeholder is taken as written.
        odd = templated.pair_tokens("what is {document}?", DOCS[2])
        assert words("{document}", add_special=False)[0] in odd and odd.count(SEP) == 2
        # The score of those token ids: llama.cpp's CLS row of them, first value.
        assert templated.segments is None and runtime.segments is not None
        expected = _first_pooled(cls_llm.ctx, tokens)
        assert templated.rerank(QUERY, [DOCS[2]])[0] == pytest.approx(expected, abs=1e-3)
    finally:
        templated.close()


def test_the_score_is_the_rank_pooled_cls_row_with_the_document_as_segment_b(
    runtime: RerankRuntime, cls_llm: llama_cpp.Llama
) -> None:
    """Checked against llama.cpp's CLS pooling on the unpatched model, of the same input
    rows: without a classifier head, rank pooling returns the CLS row, whose first value is
    read. The rows carry BERT's token types (the document as segment B), which token ids
    alone would not: the score differs from the ids' (llama.cpp's server's input)."""
    assert runtime.segments is not None
    moved = 0.0
    for document in DOCS:
        tokens = runtime.pair_tokens(QUERY, document)
        rows = runtime.segments.rows(tokens, pair_segments(tokens, SEP))
        expected = _first_pooled(cls_llm.ctx, tokens, rows)
        assert runtime.rerank(QUERY, [document])[0] == pytest.approx(expected, abs=1e-3)
        moved = max(moved, abs(expected - _first_pooled(cls_llm.ctx, tokens)))
    assert moved > 0.01


def test_the_engine_scores_each_document_in_its_order(rerank_engine: EngineClient) -> None:
    """Several documents in one request score as each does alone (llama.cpp's batched rank
    output gave every pair after the first a neighbour's number)."""
    together = rerank_engine.rerank(QUERY, [*DOCS, DOCS[0]])
    alone = [rerank_engine.rerank(QUERY, [d])[0] for d in DOCS]
    assert together[:3] == pytest.approx(alone, abs=1e-4)
    assert together[3] == pytest.approx(together[0], abs=1e-4)
    assert len(set(np.round(alone, 4))) == 3  # three different pairs, three scores
    assert rerank_engine.rerank(QUERY, []) == []
    assert rerank_engine.models["reranker"].slot == "reranker"


def test_with_a_classifier_head_pairs_share_a_batch_and_keep_their_scores(
    runtime: RerankRuntime,
) -> None:
    """A real cross-encoder's scores are rows of its head: batched, each pair keeps its own.
    The stand-in's head picks the CLS row's first value, so one pair alone scores exactly as
    the head-less model; in a batch the sums run in another order (within 3e-3, measured up
    to 1.7e-3), while a neighbour's number would be off by more than 0.008 here."""
    headed = RerankRuntime(read_header(minilm_with_head()), LoadOptions(n_ctx=512, n_threads=1))
    try:
        assert headed.batched and not runtime.batched and headed.n_seq_max > 1
        alone = runtime.rerank(QUERY, DOCS)
        assert [headed.rerank(QUERY, [d])[0] for d in DOCS] == pytest.approx(alone, abs=1e-6)
        assert min(abs(a - b) for a in alone for b in alone if a != b) > 0.006
        together = headed.rerank(QUERY, [*DOCS, DOCS[1]])
        assert together == pytest.approx([*alone, alone[1]], abs=3e-3)
        # More pairs than one batch holds: several batches, still in order.
        many = [f"{DOCS[n % 3]} ({n})" + " bamboo" * 40 for n in range(12)]
        assert headed.rerank(QUERY, many) == pytest.approx(runtime.rerank(QUERY, many), abs=3e-3)
    finally:
        headed.close()


@pytest.fixture(scope="module")
def cross_encoder_engine(tmp_path_factory: pytest.TempPathFactory
                         ) -> Iterator[tuple[EngineClient, Path]]:  # fmt: skip
    path = minilm_cross_encoder()
    client = EngineClient(log_path=tmp_path_factory.mktemp("cross") / "engine.log")
    client.load_reranker(path, LoadOptions(n_ctx=512, n_threads=1))
    yield client, path
    client.close()


LONG_DOC = ("Red pandas are not bears; they live in the eastern Himalayas and south-western "
            "China and eat bamboo, fruit, eggs and insects.")  # fmt: skip


def test_a_whole_cross_encoder_head_scores_as_the_reference_forward_pass(
    cross_encoder_engine: tuple[EngineClient, Path], runtime: RerankRuntime
) -> None:
    """A BERT cross-encoder's head (pooler dense + tanh, then the classifier, with biases),
    batched through the engine, the document as segment B: each pair's score is the
    reference's, computed in numpy from the same file with BERT's token types (measured
    within 2.5e-3: llama.cpp's float16 products and its GELU approximation), while the
    documents' scores lie 0.05 or more apart, so a neighbour's score, a skipped pooler or a
    missing bias would not pass; and so would not token ids alone (llama.cpp's server's
    input, every token segment A), up to 0.10 off here. The tokens are the stand-in's
    (the same vocabulary and pair)."""
    client, path = cross_encoder_engine
    assert read_header(path).is_reranker and client.models["reranker"].slot == "reranker"
    reference = BertReference(path)
    documents = [*DOCS, LONG_DOC]
    scores = client.rerank(QUERY, documents)
    pairs = [runtime.pair_tokens(QUERY, d) for d in documents]
    expected = [reference.score(t, pair_segments(t, SEP)) for t in pairs]
    assert scores == pytest.approx(expected, abs=5e-3)
    assert min(abs(a - b) for i, a in enumerate(expected) for b in expected[i + 1 :]) > 0.04
    # One pair alone scores as in the batch, within the batch's float sums.
    assert client.rerank(QUERY, [documents[3]])[0] == pytest.approx(scores[3], abs=3e-3)
    segment_a = [reference.score(tokens) for tokens in pairs]
    assert max(abs(a - b) for a, b in zip(scores, segment_a, strict=True)) > 0.05


# llama.cpp's file types (llama_ftype) the segment rows are read from: F32, BF16 and Q8_0
# made here from the F16 stand-in, which is the fourth.
FILE_TYPES = {"F32": 0, "BF16": 32, "Q8_0": 7}


@pytest.mark.parametrize("stored", ["F16", *FILE_TYPES])
def test_segment_rows_are_the_token_rows_llama_cpp_reads(
    stored: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The input rows are read from the file as ggml reads its token embeddings, in each
    storage the rows are read from: fed as rows with every token in segment A, a pair
    scores exactly as its token ids do."""
    path = minilm_cross_encoder()
    if stored != "F16":
        target = tmp_path_factory.mktemp("stored") / f"cross-encoder-{stored}.gguf"
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = FILE_TYPES[stored]
        assert llama_cpp.llama_model_quantize(str(path).encode(), str(target).encode(),
                                              ctypes.byref(params)) == 0  # fmt: skip
        path = target
    header = read_header(path)
    stored_as = {t.name: t.ggml_type for t in header.tensors}["token_embd.weight"]
    assert stored_as == {"F32": 0, "F16": 1, "BF16": 30, "Q8_0": 8}[stored]
    ranker = RerankRuntime(header, LoadOptions(n_ctx=512, n_threads=1))
    try:
        assert ranker.segments is not None
        for document in (DOCS[0], LONG_DOC):
            tokens = ranker.pair_tokens(QUERY, document)
            rows = ranker.segments.rows(tokens, [0] * len(tokens))
            as_ids = _first_pooled(ranker.ctx, tokens)
            assert _first_pooled(ranker.ctx, tokens, rows) == pytest.approx(as_ids, abs=1e-5)
    finally:
        ranker.close()


def test_a_model_without_a_ranking_head_is_refused_as_reranker(
    minilm_path: Path, fresh_engine: EngineClient
) -> None:
    assert not read_header(minilm_path).is_reranker
    with pytest.raises(ModelFileError) as caught:
        fresh_engine.load_reranker(minilm_path)
    assert caught.value.code == "model_not_reranker"
    for language in ("en", "zh_CN"):
        text = caught.value.message(Translator(language))
        assert str(minilm_path) in text and "\n" not in text
    with pytest.raises(NoModelLoaded) as missing:
        fresh_engine.rerank(QUERY, DOCS)
    assert missing.value.code == "no_reranker_model"


# ---- the retriever's second stage -------------------------------------------------------

MODEL = "all-MiniLM-L6-v2-f16.gguf:46223616"
DIM = 8


@pytest.fixture
def collection_kb() -> Iterator[tuple[KnowledgeBase, Collection]]:
    kb = KnowledgeBase(AppPaths.from_env().ensure())
    rng = np.random.default_rng(7)
    collection = CollectionModels(kb.store).bind(kb.store.ensure_collection("notes"), MODEL,
                                                 "/models/minilm.gguf", DIM)  # fmt: skip
    texts = [f"Note {n}: giant pandas were seen eating bamboo near camp {n}." for n in range(12)]
    texts += [f"Note {n}: the market report for week {n} was published." for n in range(12, 20)]
    for n, text in enumerate(texts):
        digest = hashlib.sha256(text.encode()).hexdigest()
        vector = rng.normal(size=DIM).astype(np.float32)
        chunk = NewChunk(digest[:16], 0, text, None, None, 0, len(text), digest, 20,
                         vector / np.linalg.norm(vector))  # fmt: skip
        facts = DocumentFacts(f"/docs/{n:02d}.txt", str(n), "text", digest, 1, 0.0, None, "en")
        _, added, removed = kb.store.commit_document(collection.id, facts, [chunk], MODEL)
        kb.index.apply(kb.store.collection_by_id(collection.id), added, removed)
    yield kb, kb.store.collection_by_id(collection.id)
    kb.close()


def test_the_retriever_reorders_the_fused_best_by_the_reranker(
    collection_kb: tuple[KnowledgeBase, Collection],
    cross_encoder_engine: tuple[EngineClient, Path],
) -> None:
    """Through the engine with the whole-head stand-in: the path a real cross-encoder
    takes (its pairs scored in batches)."""
    rerank_engine, reranker_path = cross_encoder_engine
    kb, collection = collection_kb
    question = "giant pandas eating bamboo"
    fused = Retriever(kb.index).search_with_vector(question, None, 8, [collection])
    assert all(h.rerank_score is None for h in fused)
    assert "rerank_score" not in ground(question, fused[:3]).citations[0]

    reranker = Reranker(rerank_engine, reranker_path, candidates=8)
    hits = Retriever(kb.index, reranker=reranker).search_with_vector(question, None, 5,
                                                                      [collection])  # fmt: skip
    scores = [h.rerank_score for h in hits]
    assert None not in scores and scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    # The five are the best five of the fused eight by the reranker's score, each scored
    # as the engine scores that chunk's text.
    expected = rerank_engine.rerank(question, [h.text for h in fused])
    best = sorted(range(8), key=lambda i: -expected[i])[:5]
    assert [h.chunk_id for h in hits] == [fused[i].chunk_id for i in best]
    assert [h.rerank_score for h in hits] == pytest.approx([expected[i] for i in best], abs=1e-4)
    assert hits != fused[:5]  # the stand-in's order is not the fused one
    # The score goes on to the JSON and to the stored citations (the Sources panel's column).
    assert hits[0].to_json()["rerank_score"] == pytest.approx(expected[best[0]], abs=1e-4)
    citations = ground(question, hits).citations
    assert [c["rerank_score"] for c in citations] == pytest.approx(scores, abs=1e-4)


# ---- installable like an embedding model ------------------------------------------------


def test_a_reranker_file_is_listed_as_a_reranker(reranker_path: Path, minilm_path: Path,
                                                 tmp_path: Path) -> None:  # fmt: skip
    registry = ModelRegistry(AppPaths.from_env().ensure(), hf_cache_dir=tmp_path)
    assert registry.import_file(reranker_path).kind == "reranker"
    assert registry.import_file(minilm_path).kind == "embedding"
    again = ModelRegistry(AppPaths.from_env(), hf_cache_dir=tmp_path)  # read back from disk
    assert {m.kind for m in again.models()} == {"reranker", "embedding"}


def test_using_a_reranker_turns_the_stage_on_and_leaves_the_embedding_model(
    reranker_path: Path, minilm_path: Path, fireside_home: Path
) -> None:
    """`models use` a reranker: it becomes the reranking stage's model, never the embedding
    model (a rank-pooling model in the embedding slot would break every search)."""
    for path in (minilm_path, reranker_path):
        assert _cli("models", "import", str(path)).returncode == 0
    listing = json.loads(_cli("models", "list", "--json").stdout)
    models = listing["models"] if isinstance(listing, dict) else listing
    ids = {m["kind"]: m["id"] for m in models}
    assert _cli("models", "use", ids["embedding"]).returncode == 0
    used = _cli("models", "use", ids["reranker"])
    assert used.returncode == 0, used.stderr
    settings = SettingsStore(AppPaths.from_env().settings_file).load()
    assert settings.embedding_model == ids["embedding"]
    assert settings.knowledge.rerank and settings.knowledge.reranker_model == ids["reranker"]
    assert _cli("models", "remove", ids["reranker"]).returncode == 0
    settings = SettingsStore(AppPaths.from_env().settings_file).load()
    assert not settings.knowledge.rerank and settings.knowledge.reranker_model == ""


def test_importing_a_bert_reranker_without_its_pooler_says_so(
    fireside_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """llama.cpp's converter drops a BertForSequenceClassification's pooler: such a file
    (classifier, no pooler, as ``minilm_with_head``) is imported with one more line saying
    its scores are not the model's, in both languages; a whole head gets none."""
    stock = minilm_with_head()
    assert read_header(stock).lacks_classifier_pooler
    assert not read_header(minilm_cross_encoder()).lacks_classifier_pooler
    assert not read_header(minilm_as_reranker()).lacks_classifier_pooler
    for language, word in (("en", "pooler"), ("zh_CN", "池化层")):
        monkeypatch.setenv("FIRESIDE_LANG", language)
        shown = _cli("models", "import", str(stock))
        assert shown.returncode == 0, shown.stderr
        lines = shown.stdout.splitlines()
        assert len(lines) == 2 and word in lines[1] and "all-minilm" in lines[1].lower()
    monkeypatch.setenv("FIRESIDE_LANG", "en")
    listed = json.loads(_cli("models", "import", str(stock), "--json").stdout)
    assert listed["kind"] == "reranker" and len(listed["notes"]) == 1
    whole = _cli("models", "import", str(minilm_cross_encoder()))
    assert whole.returncode == 0 and len(whole.stdout.splitlines()) == 1


def test_the_catalogue_offers_the_two_rerankers() -> None:
    catalogue = load_catalogue()
    rerankers = {e.id: e for e in catalogue.of_kind("reranker")}
    assert set(rerankers) == {"bge-reranker-v2-m3", "qwen3-reranker-0.6b"}
    assert rerankers["bge-reranker-v2-m3"].repo == "gpustack/bge-reranker-v2-m3-GGUF"
    assert rerankers["qwen3-reranker-0.6b"].recommended_file == "qwen3-reranker-0.6b-q8_0.gguf"
    assert all(e.serves("zh") and e.sizes for e in rerankers.values())


# ---- the command line ---------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def test_kb_search_reranks_with_the_flag_or_the_settings(
    reranker_path: Path, minilm_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(6):
        (folder / f"note{n}.md").write_text(
            f"# Camp {n}\n\nGiant pandas were seen eating bamboo near camp {n}.\n"
        )
    engine = ["--embedding-model", str(minilm_path), "--embedding-ctx", "256", "--threads", "1"]
    assert _cli("kb", "add", str(folder), *engine).returncode == 0
    question = ["kb", "search", "pandas eating bamboo", "--k", "4", "--json", *engine]

    plain = json.loads(_cli(*question).stdout)
    assert all("rerank_score" not in h for h in plain)
    flagged = _cli(*question, "--reranker", str(reranker_path))
    assert flagged.returncode == 0, flagged.stderr
    hits = json.loads(flagged.stdout)
    scores = [h["rerank_score"] for h in hits]
    assert len(hits) == 4 and scores == sorted(scores, reverse=True)

    # The settings turn the stage on without the flag.
    paths = AppPaths.from_env()
    settings = replace(
        Settings(),
        knowledge=replace(KnowledgeSettings(), rerank=True, reranker_model=str(reranker_path)),
    )
    SettingsStore(paths.settings_file).save(settings)
    assert [h["rerank_score"] for h in json.loads(_cli(*question).stdout)] == scores
    # chat --kb grounds its turns through the same stage, and the citations keep the score.
    chat_args = argparse.Namespace(embedding_model=str(minilm_path), embedding_ctx=256,
                                   threads=1, reranker=None)  # fmt: skip
    with EngineClient(log_path=tmp_path / "engine.log") as client:
        knowledge = open_chat_knowledge(chat_args, paths, client, ["default"])
        assert knowledge is not None
        try:
            citations = knowledge.ground("pandas eating bamboo").citations
        finally:
            knowledge.close()
    cited = [c["rerank_score"] for c in citations]
    assert cited and cited == sorted(cited, reverse=True)

    # A file that is no reranker, or a name that is nothing, is one line.
    wrong = _cli(*question, "--reranker", str(minilm_path))
    assert wrong.returncode == 1 and wrong.stdout == ""
    assert wrong.stderr.count("\n") == 1 and "is not a reranker" in wrong.stderr
    unknown = _cli(*question, "--reranker", "no-such-reranker")
    assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1
    assert "neither a model file nor an installed model" in unknown.stderr
