"""Does the embedding model understand the documents' language? And which model would?

An English-only embedding model (all-MiniLM-L6-v2, nomic-embed-text) maps Chinese text to
vectors that carry little meaning, so a Chinese question over Chinese documents is found
only by its keywords and nothing tells the person why answers are poor. This module
compares the languages a collection's documents are in (detected at ingestion, see
:mod:`core.knowledge.languages`) with the languages the catalogue lists for the model, and
when the model misses one, suggests a catalogue model that serves them all and fits this
computer's memory (:mod:`core.models.fit`). The same advisor makes the first-use suggestion
of an embedding model, from the documents' languages and the memory.

Plain objects with no I/O beyond the store, the catalogue and a memory reading: the CLI
prints the one-line message, and the window's knowledge panel can show the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Final

from core.i18n import Translator
from core.knowledge.collections import model_name
from core.knowledge.languages import main_languages
from core.knowledge.store import Collection, KnowledgeStore
from core.models.catalogue import Catalogue, CatalogueEntry, load_catalogue, serves_language
from core.models.fit import FitAdvisor, FitAnswer, FitOptions, SystemMemory, Verdict
from core.models.naming import SPLIT_RE, quantization_of
from core.models.units import human_size

EMBEDDING_CTX: Final = 512  # what the embedder loads (core.knowledge.embedder.DEFAULT_N_CTX)
_SEPARATORS = re.compile(r"[^a-z0-9]+")


def model_stem(filename: str) -> str:
    """A model file's name without folder, split suffix, quantization and punctuation:
    ``all-MiniLM-L6-v2-f16.gguf`` and ``all-MiniLM-L6-v2-Q8_0.gguf`` both give
    ``allminilml6v2``, so a file is recognised whichever quantization it is."""
    name = PurePath(filename).name
    split = SPLIT_RE.match(name)
    if split is not None:
        name = split["stem"] + ".gguf"
    name = re.sub(r"\.gguf$", "", name, flags=re.I)
    quant = quantization_of(name)
    if quant is not None:
        name = re.sub(re.escape(quant).replace("_", "[_.-]?"), "", name, flags=re.I)
    return _SEPARATORS.sub("", name.lower())


def model_languages(model: str, catalogue: Catalogue | None = None) -> tuple[str, ...] | None:
    """The languages the catalogue lists for a model file (any quantization of it), or None
    for a model it does not know."""
    stem = model_stem(model)
    for entry in (catalogue or load_catalogue()).of_kind("embedding"):
        if any(model_stem(f) == stem for f in entry.files.values()):
            return entry.languages
    return None


@dataclass(frozen=True)
class Suggestion:
    """A catalogue model to download instead: which file, and how it fits."""

    entry: CatalogueEntry
    quantization: str
    answer: FitAnswer

    @property
    def filename(self) -> str:
        return self.entry.files[self.quantization]

    @property
    def size(self) -> int:
        return self.entry.sizes[self.quantization]

    def command(self) -> str:
        return f"fireside-cli models download {self.entry.repo} {self.filename}"


@dataclass(frozen=True)
class LanguageMismatch:
    """The model of a collection does not understand some of its documents' languages."""

    collection: str
    model: str  # file name
    document_languages: tuple[str, ...]  # the collection's main languages, most first
    model_languages: tuple[str, ...]
    missing: tuple[str, ...]  # document languages the model does not serve
    suggestion: Suggestion | None

    def message(self, tr: Translator) -> str:
        """One line in the person's language."""
        params = {
            "collection": self.collection,
            "model": self.model,
            "languages": language_names(self.missing, tr),
        }
        if self.suggestion is None:
            return tr("kb_language_mismatch_no_fit", **params)
        return tr("kb_language_mismatch", **params, suggestion=self.suggestion.entry.name,
                  size=human_size(self.suggestion.size),
                  command=self.suggestion.command())  # fmt: skip


def languages_of_files(paths: Iterable[Path], limit: int = 20) -> dict[str, int]:
    """Documents per language among the first ``limit`` readable files under ``paths``
    (files, or folders walked as an ingestion walks them): what a first-use suggestion
    goes by before anything is indexed. Unreadable files are passed over."""
    from core.knowledge import readers
    from core.knowledge.errors import UnreadableDocument
    from core.knowledge.ingest import document_language, is_hidden

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not is_hidden(p, path))
            files.extend(p for p in found if readers.supported(p))
        elif path.is_file():
            files.append(path)
    counts: dict[str, int] = {}
    for path in files[:limit]:
        try:
            document = readers.parse(path, path.read_bytes(), readers.ReadLimits())
        except (UnreadableDocument, OSError):
            continue
        language = document_language(document)
        if language:
            counts[language] = counts.get(language, 0) + 1
    return counts


def language_names(languages: Iterable[str], tr: Translator) -> str:
    separator = "、" if tr.language == "zh_CN" else ", "
    return separator.join(tr(f"kb_language_{lang}") for lang in languages)


class LanguageAdvisor:
    """Matches documents' languages with embedding models, within this computer's memory."""

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        memory: Callable[[], SystemMemory] = SystemMemory.current,
        n_ctx: int = EMBEDDING_CTX,
    ) -> None:
        self.catalogue = catalogue if catalogue is not None else load_catalogue()
        self.fit = FitAdvisor(memory)
        self.options = FitOptions(n_ctx=n_ctx)

    def entry_for(self, model: str) -> CatalogueEntry | None:
        """The catalogue's embedding entry for a model file (any of its quantizations)."""
        stem = model_stem(model)
        for entry in self.catalogue.of_kind("embedding"):
            if any(model_stem(f) == stem for f in entry.files.values()):
                return entry
        return None

    def model_languages(self, model: str) -> tuple[str, ...] | None:
        """The languages a model file serves, or None for a model the catalogue does not
        know (a chat model used for embeddings, a file imported from elsewhere)."""
        entry = self.entry_for(model)
        return entry.languages if entry is not None else None

    def check(self, collection: str, model: str | None,
              languages: Mapping[str, int]) -> LanguageMismatch | None:  # fmt: skip
        """A mismatch between a collection's documents (``languages``: documents per
        language) and its embedding model file, or None when they agree or either side
        is unknown."""
        if not model:
            return None
        served = self.model_languages(model)
        wanted = main_languages(languages)
        if served is None or not wanted:
            return None
        missing = tuple(lang for lang in wanted if not serves_language(served, lang))
        if not missing:
            return None
        return LanguageMismatch(collection, model_name(model) or model, tuple(wanted),
                                served, missing, self.suggest(wanted))  # fmt: skip

    def check_collection(self, store: KnowledgeStore,
                         collection: Collection) -> LanguageMismatch | None:  # fmt: skip
        """:meth:`check` for a stored collection and the model it was built with."""
        model = model_name(collection.embedding_model) or None
        return self.check(collection.name, model, store.document_languages(collection.id))

    def suggest(self, languages: Iterable[str]) -> Suggestion | None:
        """The catalogue embedding model that serves every one of ``languages`` and fits
        this computer: the catalogue's default when it fits, else the first that fits in
        catalogue order (its curated preference), else the smallest that is tight."""
        wanted = list(languages) or ["en"]
        entries = [e for e in self.catalogue.of_kind("embedding")
                   if e.sizes and all(e.serves(lang) for lang in wanted)]  # fmt: skip
        entries.sort(key=lambda e: not e.default)  # stable: the default first, then in order
        tight: list[Suggestion] = []
        for entry in entries:
            choice = self._quantization(entry)
            if choice is None:
                continue
            if choice.answer.verdict is Verdict.FITS:
                return choice
            tight.append(choice)
        return min(tight, key=lambda s: s.size) if tight else None

    def first_choice(self, languages: Mapping[str, int] | Iterable[str]) -> Suggestion | None:
        """The embedding model to suggest before any is installed: by the documents'
        languages (documents per language, or just the languages) and the memory."""
        if isinstance(languages, Mapping):
            return self.suggest(main_languages(languages))
        return self.suggest(languages)

    def _quantization(self, entry: CatalogueEntry) -> Suggestion | None:
        """The recommended quantization when it fits comfortably, else the largest that
        does, else the smallest that is tight; None when nothing of it fits."""
        answers = {q: self.fit.check_size(n, self.options) for q, n in entry.sizes.items()}
        recommended = answers.get(entry.recommended)
        if recommended is not None and recommended.verdict is Verdict.FITS:
            return Suggestion(entry, entry.recommended, recommended)
        by_size = sorted(answers, key=lambda q: entry.sizes[q])
        fits = [q for q in by_size if answers[q].verdict is Verdict.FITS]
        if fits:
            return Suggestion(entry, fits[-1], answers[fits[-1]])
        tight = [q for q in by_size if answers[q].verdict is Verdict.TIGHT]
        if tight:
            return Suggestion(entry, tight[0], answers[tight[0]])
        return None
