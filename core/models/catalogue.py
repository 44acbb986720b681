"""The curated catalogue: models we recommend, as data in resources/catalogue.json.

The catalogue is data, not code, so it can be updated without touching the program; it is
checked entry by entry when loaded, and a bad entry is a clear error naming the entry and the
field rather than a crash later in a download. Found through importlib.resources, so it works
from a source checkout, an installed wheel and the frozen app alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

from core.models.errors import BadRequest, CatalogueError
from core.models.naming import check_filename, check_repo_id, quantization_of

ModelKind = Literal["chat", "embedding", "reranker"]
KINDS: Final = ("chat", "embedding", "reranker")
CATALOGUE_SCHEMA: Final = 1
_LANGS: Final = ("en", "zh_CN")


@dataclass(frozen=True)
class CatalogueEntry:
    """One recommended model: where it lives on the Hub and what a person needs to choose it."""

    id: str
    name: str
    kind: ModelKind
    repo: str
    files: dict[str, str]  # quantization -> file name (the first part of a split model)
    recommended: str
    parameters: int
    context_length: int
    languages: tuple[str, ...]
    license: str
    description: dict[str, str]  # language -> one line
    default: bool = False
    gated: bool = False
    # quantization -> bytes of the file (all parts), as the Hub lists it: lets a model be
    # judged against this computer's memory before anything is fetched. Optional.
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def recommended_file(self) -> str:
        return self.files[self.recommended]

    def serves(self, language: str) -> bool:
        """Does this model understand ``language`` (zh, en or other)?"""
        return serves_language(self.languages, language)

    def describe(self, language: str) -> str:
        return self.description.get(language) or self.description["en"]


def serves_language(model_languages: tuple[str, ...] | list[str], language: str) -> bool:
    """Does a model listing ``model_languages`` understand documents in ``language``?

    ``language`` is what core.knowledge.languages detects: zh, en or "other", which needs a
    model that knows more than Chinese and English ("multilingual", or several languages).
    """
    known = {lang.lower() for lang in model_languages}
    if "multilingual" in known:
        return True
    if language == "other":
        return len(known - {"zh", "en"}) >= 2
    return language in known


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[CatalogueEntry, ...]

    def get(self, entry_id: str) -> CatalogueEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def of_kind(self, kind: ModelKind) -> list[CatalogueEntry]:
        return [e for e in self.entries if e.kind == kind]

    def default(self, kind: ModelKind) -> CatalogueEntry | None:
        return next((e for e in self.entries if e.kind == kind and e.default), None)

    def for_repo(self, repo: str) -> CatalogueEntry | None:
        return next((e for e in self.entries if e.repo.lower() == repo.lower()), None)


def default_catalogue_text() -> tuple[str, str]:
    """The shipped catalogue's text and a name to show in errors."""
    resource = resources.files("resources").joinpath("catalogue.json")
    return resource.read_text(encoding="utf-8"), "resources/catalogue.json"


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load and check the catalogue (the shipped one unless ``path`` is given)."""
    try:
        if path is None:
            text, shown = default_catalogue_text()
        else:
            text, shown = path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError("models_catalogue_invalid", path=str(path), reason=str(exc)) from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError("models_catalogue_invalid", path=shown, reason=str(exc)) from exc
    return parse_catalogue(raw, shown)


def parse_catalogue(raw: Any, shown: str = "catalogue") -> Catalogue:
    def bad(reason: str) -> CatalogueError:
        return CatalogueError("models_catalogue_invalid", path=shown, reason=reason)

    if not isinstance(raw, dict) or raw.get("schema_version") != CATALOGUE_SCHEMA:
        raise bad(f"expected an object with schema_version {CATALOGUE_SCHEMA}")
    models = raw.get("models")
    if not isinstance(models, list) or not models:
        raise bad("'models' must be a non-empty list")
    entries: list[CatalogueEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(models):
        entry = _entry(item, index, bad)
        if entry.id in seen:
            raise bad(f"entry {entry.id!r}: the id is used twice")
        seen.add(entry.id)
        entries.append(entry)
    for kind in KINDS:
        defaults = [e.id for e in entries if e.kind == kind and e.default]
        if len(defaults) > 1:
            raise bad(f"more than one default {kind} model: {defaults}")
    return Catalogue(tuple(entries))


def _entry(item: Any, index: int, bad: Any) -> CatalogueEntry:
    if not isinstance(item, dict):
        raise bad(f"entry {index} is not an object")
    label = str(item.get("id", index))

    def field(name: str, kind: type | tuple[type, ...]) -> Any:
        value = item.get(name)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise bad(f"entry {label!r}: field {name!r} is missing or of the wrong type")
        return value

    entry_id = field("id", str)
    kind = field("kind", str)
    if kind not in KINDS:
        raise bad(f"entry {label!r}: kind must be one of {KINDS}")
    repo = field("repo", str)
    try:
        check_repo_id(repo)
    except BadRequest:
        raise bad(f"entry {label!r}: {repo!r} is not a repository id") from None
    files = field("files", dict)
    if not files:
        raise bad(f"entry {label!r}: 'files' is empty")
    for quant, filename in files.items():
        if not isinstance(filename, str):
            raise bad(f"entry {label!r}: file for {quant} is not a string")
        try:
            check_filename(filename)
        except BadRequest:
            raise bad(f"entry {label!r}: {filename!r} is not a safe GGUF file name") from None
        if quantization_of(filename) != quant:
            raise bad(f"entry {label!r}: {filename!r} is not a {quant} file")
    recommended = field("recommended", str)
    if recommended not in files:
        raise bad(f"entry {label!r}: recommended {recommended!r} is not one of its files")
    parameters = field("parameters", int)
    context = field("context_length", int)
    if parameters <= 0 or context <= 0:
        raise bad(f"entry {label!r}: parameters and context_length must be positive")
    languages = field("languages", list)
    if not languages or not all(isinstance(lang, str) for lang in languages):
        raise bad(f"entry {label!r}: 'languages' must list language codes")
    sizes = item.get("sizes", {})
    if not isinstance(sizes, dict) or any(
        q not in files or not isinstance(n, int) or isinstance(n, bool) or n <= 0
        for q, n in sizes.items()
    ):
        raise bad(f"entry {label!r}: 'sizes' must map its quantizations to positive byte counts")
    description = field("description", dict)
    for lang in _LANGS:
        text = description.get(lang)
        if not isinstance(text, str) or not text.strip() or "\n" in text:
            raise bad(f"entry {label!r}: description needs one line in {lang}")
    return CatalogueEntry(
        id=entry_id,
        name=field("name", str),
        kind=kind,
        repo=repo,
        files=dict(files),
        recommended=recommended,
        parameters=parameters,
        context_length=context,
        languages=tuple(languages),
        license=field("license", str),
        description={k: v for k, v in description.items() if isinstance(v, str)},
        default=bool(item.get("default", False)),
        gated=bool(item.get("gated", False)),
        sizes=dict(sizes),
    )
