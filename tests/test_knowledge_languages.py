"""Languages: detecting a document's, recording a collection's, and telling the person when
the embedding model does not understand them (with a model that would, and fits)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from core.i18n import Translator
from core.knowledge.language_check import LanguageAdvisor, model_stem
from core.knowledge.languages import detect_language, main_languages
from core.knowledge.store import MIGRATIONS, DocumentFacts, KnowledgeStore, NewChunk
from core.models.catalogue import load_catalogue, serves_language
from core.models.fit import SystemMemory

GB = 1 << 30
MINILM = "all-MiniLM-L6-v2-f16.gguf"

ZH = ("大熊猫主要以竹子为食，每天要花十几个小时进食。成年大熊猫的体重通常在八十到一百二十五公斤"
      "之间，野外的大熊猫大多生活在四川、陕西和甘肃的山区。")  # fmt: skip
EN = ("The beacon lamp of the harbor lighthouse is cleaned every Tuesday with white vinegar "
      "and a linen cloth, and the lens is never touched by hand.")  # fmt: skip


def advisor(available: int, total: int | None = None) -> LanguageAdvisor:
    memory = SystemMemory(total=total or available * 2, available=available)
    return LanguageAdvisor(memory=lambda: memory)


def test_a_documents_language_comes_from_its_script() -> None:
    assert detect_language(ZH) == "zh"
    assert detect_language(EN) == "en"
    # Chinese with English names and numbers in it is still Chinese.
    assert detect_language("Kestrel-9 电台使用 KB-47 电池组，接收模式下可以工作十九个小时，"
                           "发射模式下只能工作六个小时。") == "zh"  # fmt: skip
    assert (
        detect_language(
            "Le phare du port est nettoyé chaque mardi avec du vinaigre "
            "blanc et un chiffon de lin, sans toucher la lentille."
        )
        == "other"
    )
    assert detect_language("港の灯台のランプは毎週火曜日に掃除されます。") == "other"
    assert detect_language("Маяк в гавани чистят каждый вторник белым уксусом и льняной "
                           "тканью.") == "other"  # fmt: skip
    assert detect_language("x = 1") is None  # too little to tell
    assert main_languages({"zh": 40, "en": 2}) == ["zh"]
    assert main_languages({"zh": 5, "en": 5}) == ["en", "zh"]
    assert main_languages({}) == []


def test_catalogue_embedding_models_say_which_languages_they_serve() -> None:
    catalogue = load_catalogue()
    embedding = {e.id: e for e in catalogue.of_kind("embedding")}
    assert not embedding["all-minilm-l6-v2"].serves("zh")
    assert embedding["all-minilm-l6-v2"].serves("en")
    for multilingual in ("bge-m3", "qwen3-embedding-0.6b", "multilingual-e5-small"):
        entry = embedding[multilingual]
        assert entry.serves("zh") and entry.serves("en") and entry.serves("other")
        assert entry.sizes[entry.recommended] > 0  # judged against memory before download
        assert set(entry.sizes) <= set(entry.files)
    assert serves_language(("en", "zh"), "zh") and not serves_language(("en", "zh"), "other")


@pytest.mark.parametrize(
    ("filename", "stem"),
    [
        (MINILM, "allminilml6v2"),
        ("all-MiniLM-L6-v2-Q8_0.gguf", "allminilml6v2"),
        ("bge-m3-Q4_K_M.gguf", "bgem3"),
        ("Qwen3-Embedding-0.6B-f16.gguf", "qwen3embedding06b"),
        ("/models/x/multilingual-e5-small-Q8_0.gguf", "multilinguale5small"),
        ("big-model-Q8_0-00001-of-00003.gguf", "bigmodel"),
    ],
)
def test_a_model_file_is_recognised_whatever_its_quantization(filename: str, stem: str) -> None:
    assert model_stem(filename) == stem


def test_english_only_model_over_chinese_documents_is_a_mismatch_with_a_suggestion() -> None:
    roomy = advisor(16 * GB)
    mismatch = roomy.check("notes", MINILM, {"zh": 12, "en": 3})
    assert mismatch is not None and mismatch.missing == ("zh",)
    assert mismatch.model == MINILM
    assert mismatch.suggestion is not None and mismatch.suggestion.entry.id == "bge-m3"
    assert mismatch.suggestion.quantization == "Q8_0"
    for language in ("en", "zh_CN"):
        line = mismatch.message(Translator(language))
        assert "\n" not in line and MINILM in line and "notes" in line
        assert "fireside-cli models download rbehzadan/bge-m3-gguf bge-m3-Q8_0.gguf" in line
    assert "Chinese" in mismatch.message(Translator("en"))
    assert "中文" in mismatch.message(Translator("zh_CN"))
    # Agreement, an unknown model (a chat model used for embeddings) or no documents: silence.
    assert roomy.check("notes", MINILM, {"en": 9}) is None
    assert roomy.check("notes", "bge-m3-Q8_0.gguf", {"zh": 12}) is None
    assert roomy.check("notes", "gemma-3-270m-q4_k_m.gguf", {"zh": 12}) is None
    assert roomy.check("notes", MINILM, {}) is None
    assert roomy.check("notes", None, {"zh": 1}) is None


def test_the_suggestion_fits_this_computers_memory() -> None:
    # bge-m3 Q8_0 does not fit comfortably in 1 GB: the largest of its files that does.
    small = advisor(1 * GB).suggest(["zh"])
    assert small is not None and (small.entry.id, small.quantization) == ("bge-m3", "Q6_K")
    # In 400 MB only the small multilingual model fits.
    tiny = advisor(400 << 20).suggest(["zh", "en"])
    assert tiny is not None and tiny.entry.id == "multilingual-e5-small"
    # In 100 MB nothing fits: the warning still comes, without a suggestion.
    none = advisor(100 << 20, total=120 << 20)
    assert none.suggest(["zh"]) is None
    mismatch = none.check("notes", MINILM, {"zh": 2})
    assert mismatch is not None and mismatch.suggestion is None
    for language in ("en", "zh_CN"):
        line = mismatch.message(Translator(language))
        assert "\n" not in line and MINILM in line and "download" not in line


def test_first_use_suggestion_goes_by_the_documents_language_and_memory() -> None:
    roomy = advisor(16 * GB)
    chinese = roomy.first_choice({"zh": 30})
    assert chinese is not None and chinese.entry.serves("zh")
    english = roomy.first_choice(["en"])
    assert english is not None and english.entry.id == "bge-m3"  # the catalogue's default
    cramped = advisor(400 << 20).first_choice({"zh": 3, "en": 3})
    assert cramped is not None and cramped.entry.id == "multilingual-e5-small"


def _facts(path: str, language: str | None) -> DocumentFacts:
    return DocumentFacts(path, Path(path).stem, "text", hashlib.sha256(path.encode()).hexdigest(),
                         10, 0.0, None, language)  # fmt: skip


def _chunk(text: str, n: int) -> NewChunk:
    return NewChunk(f"{hashlib.sha256(text.encode()).hexdigest()[:12]}-{n}", 0, text, None,
                    None, 0, len(text), hashlib.sha256(text.encode()).hexdigest(), 10,
                    np.ones(4, dtype=np.float32))  # fmt: skip


def test_a_collection_records_its_documents_languages(tmp_path: Path) -> None:
    with KnowledgeStore(tmp_path / "k.sqlite3") as store:
        collection = store.ensure_collection("notes")
        store.commit_document(collection.id, _facts("/d/zh.txt", "zh"), [_chunk(ZH, 1)], "m")
        store.commit_document(collection.id, _facts("/d/en.txt", "en"), [_chunk(EN, 2)], "m")
        store.commit_document(collection.id, _facts("/d/x.txt", ""), [_chunk("x = 1", 3)], "m")
        assert store.document_languages(collection.id) == {"zh": 1, "en": 1}
        assert {d.path: d.language for d in store.documents("notes")}["/d/zh.txt"] == "zh"


def test_a_store_from_before_languages_is_migrated_and_detects_them(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    old = sqlite3.connect(db)
    old.executescript(MIGRATIONS[0][1] + "\nPRAGMA user_version = 1;")
    old.execute("INSERT INTO collections(name, created_at) VALUES ('notes', 0)")
    for n, text in enumerate((ZH, EN), start=1):
        old.execute("INSERT INTO documents(collection_id, path, status, added_at, indexed_at,"
                    " chunk_count) VALUES (1, ?, 'indexed', 0, 0, 1)",
                    (f"/d/{n}.txt",))  # fmt: skip
        old.execute("INSERT INTO chunks(id, document_id, collection_id, ordinal, text,"
                    " char_start, char_end, content_hash, tokens) VALUES (?, ?, 1, 0, ?, 0, 1,"
                    " 'h', 1)", (f"c{n}", n, text))  # fmt: skip
    old.commit()
    old.close()
    with KnowledgeStore(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        collection = store.collection("notes")
        assert store.document_languages(collection.id) == {"zh": 1, "en": 1}
        mismatch = advisor(16 * GB).check("notes", MINILM, store.document_languages(collection.id))
        assert mismatch is not None and mismatch.missing == ("zh",)


def test_languages_of_an_older_store_are_counted_on_a_read_only_database(tmp_path: Path) -> None:
    """``kb list`` only reads: a store it cannot write still reports the languages."""
    with KnowledgeStore(tmp_path / "k.sqlite3") as store:
        collection = store.ensure_collection("notes")
        store.commit_document(collection.id, _facts("/d/zh.txt", None), [_chunk(ZH, 1)], "m")
        store.commit_document(collection.id, _facts("/d/en.txt", "en"), [_chunk(EN, 2)], "m")
        store._db.execute("PRAGMA query_only = ON")  # as a read-only disk would refuse writes
        assert store.document_languages(collection.id) == {"zh": 1, "en": 1}
        store._db.execute("PRAGMA query_only = OFF")
        assert store.document_languages(collection.id) == {"zh": 1, "en": 1}
        assert {d.path: d.language for d in store.documents("notes")}["/d/zh.txt"] == "zh"
