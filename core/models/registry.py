"""The installed models: what is on disk, what it is, and how to get rid of it.

The registry is a small JSON file in the data folder, written atomically (a temporary file,
then one rename) under a file lock, so the window and the CLI can share it. The files are the
truth: on every read the registry drops entries whose files have gone and adds GGUF files it
finds in the models folder or in the Hugging Face cache that it does not know yet. So a
registry file that cannot be read is set aside (never deleted) and rebuilt by a scan; only
the list of imported files, which live elsewhere, must then be imported again.

Three sources: ``downloaded`` (in the models folder; removing deletes the files and reclaims
the space), ``imported`` (a GGUF file the person picked, used where it is; removing only
forgets it: Fireside never deletes a person's own file), ``hf_cache`` (found in the Hugging
Face cache, which other programs share; removing forgets it and does not list it again).
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final, Literal

import filelock

from core.engine.errors import ModelFileError
from core.engine.gguf import GGUFHeader, read_header
from core.i18n import Translator
from core.models.catalogue import KINDS, ModelKind
from core.models.errors import RegistryError
from core.models.naming import quantization_of, split_names, split_part
from core.paths import AppPaths

log = logging.getLogger(__name__)

Source = Literal["downloaded", "imported", "hf_cache"]
REGISTRY_SCHEMA: Final = 1


def default_hf_cache(environ: Mapping[str, str] | None = None) -> Path:
    """huggingface_hub's cache folder, by its own rules (HF_HUB_CACHE, HF_HOME, XDG)."""
    env = os.environ if environ is None else environ
    if env.get("HF_HUB_CACHE"):
        return Path(env["HF_HUB_CACHE"]).expanduser()
    if env.get("HF_HOME"):
        return Path(env["HF_HOME"]).expanduser() / "hub"
    xdg = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "huggingface" / "hub"


@dataclass(frozen=True)
class InstalledModel:
    id: str
    path: str  # the file to load (the first part of a split model)
    files: tuple[str, ...]
    source: Source
    kind: ModelKind
    name: str
    architecture: str
    quantization: str | None
    size: int
    parameter_count: int
    context_length: int | None
    repo: str | None = None
    checksum: str | None = None
    added_at: float = 0.0
    # A chat model without a chat template is a base model: it continues text rather than
    # answering as an assistant. None: not read yet (a list written before this was kept).
    has_chat_template: bool | None = None

    @property
    def is_base_model(self) -> bool:
        return self.kind == "chat" and self.has_chat_template is False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["files"] = list(self.files)
        return data

    @classmethod
    def from_json(cls, raw: Any) -> InstalledModel:
        if not isinstance(raw, dict):
            raise ValueError("entry is not an object")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        values["files"] = tuple(str(f) for f in values.get("files") or [values["path"]])
        model = cls(**values)
        if model.source not in ("downloaded", "imported", "hf_cache"):
            raise ValueError(f"unknown source {model.source!r}")
        if model.kind not in KINDS or not isinstance(model.id, str):
            raise ValueError("bad kind or id")
        return model

    def exists(self) -> bool:
        return all(Path(f).is_file() for f in self.files)


@dataclass(frozen=True)
class UnreadableModel:
    """A GGUF file found in the models folder or the Hugging Face cache that cannot be
    used (damaged, hostile, incomplete). It is listed with its reason so the person sees
    why, never hidden, never deleted, and it never stops the rest of a listing."""

    path: str
    source: Source
    repo: str | None
    error: ModelFileError

    def reason(self, translate: Translator) -> str:
        return self.error.message(translate)


@dataclass(frozen=True)
class ModelListing:
    models: list[InstalledModel]
    unreadable: list[UnreadableModel]


@dataclass(frozen=True)
class Removal:
    model: InstalledModel
    freed: int  # bytes reclaimed on disk
    deleted: bool  # False when the file was only forgotten (imported, Hugging Face cache)


class ModelRegistry:
    """What is installed; every path under ``paths.models_dir`` or recorded as imported."""

    FILE_NAME: Final = "models.json"

    def __init__(
        self,
        paths: AppPaths,
        *,
        hf_cache_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.paths = paths
        self.hf_cache_dir = hf_cache_dir
        self._clock = clock
        self.recovered_from: Path | None = None  # set when an unreadable file was set aside

    @property
    def file(self) -> Path:
        return self.paths.data_dir / self.FILE_NAME

    # ---- reading -----------------------------------------------------------------------

    def models(self) -> list[InstalledModel]:
        """Every installed model, after reconciling the list with the disk."""
        return self.listing().models

    def listing(self) -> ModelListing:
        """The installed models and the GGUF files found on disk that cannot be used."""
        with self._locked(reading=True) as state:
            models = sorted(state.models.values(), key=lambda m: (m.kind, m.name.lower(), m.id))
            return ModelListing(models, sorted(state.unreadable, key=lambda u: u.path))

    def get(self, model_id: str) -> InstalledModel:
        for model in self.models():
            if model.id == model_id:
                return model
        raise RegistryError("models_unknown_id", model_id=model_id)

    def find_path(self, path: Path) -> InstalledModel | None:
        resolved = str(path.expanduser().resolve())
        return next((m for m in self.models() if m.path == resolved), None)

    # ---- changing ----------------------------------------------------------------------

    def add_downloaded(
        self, repo: str, paths: Sequence[Path], checksum: str | None = None
    ) -> InstalledModel:
        """Record a verified download (``paths`` are all parts, the first one first)."""
        with self._locked() as state:
            resolved = [str(p.resolve()) for p in paths]
            existing = next((m for m in state.models.values() if m.path == resolved[0]), None)
            if existing is not None and existing.source == "downloaded":
                del state.models[existing.id]
            model = self._describe(resolved, "downloaded", repo, checksum, state.models)
            state.models[model.id] = model
            state.changed = True
            return model

    def import_file(self, path: Path) -> InstalledModel:
        """Use a GGUF file the person picked, where it is. Checked before it is recorded."""
        first = path.expanduser()
        if not first.exists():
            raise ModelFileError("model_missing", path=str(first))
        first = first.resolve()
        names = split_names(first.name)
        files = [first.with_name(name) for name in names]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise RegistryError("models_import_incomplete", path=str(first), missing=missing[0])
        with self._locked() as state:
            resolved = [str(f) for f in files]
            existing = next((m for m in state.models.values() if m.path == resolved[0]), None)
            if existing is not None:
                return existing
            model = self._describe(resolved, "imported", None, None, state.models)
            state.models[model.id] = model
            state.ignored.discard(model.path)
            state.changed = True
            return model

    def remove(self, model_id: str) -> Removal:
        """Delete a downloaded model's files (space reclaimed) or forget any other."""
        with self._locked() as state:
            model = state.models.get(model_id)
            if model is None:
                raise RegistryError("models_unknown_id", model_id=model_id)
            freed = 0
            deleted = False
            if model.source == "downloaded":
                root = self.paths.models_dir.resolve()
                for name in model.files:
                    target = Path(name).resolve()
                    if not target.is_relative_to(root):
                        continue  # never delete outside the models folder, whatever the file says
                    if target.is_file():
                        freed += target.stat().st_size
                        target.unlink()
                        deleted = True
                    _prune_empty(target.parent, root)
            elif model.source == "hf_cache":
                state.ignored.add(model.path)
            del state.models[model_id]
            state.changed = True
            return Removal(model, freed, deleted)

    # ---- the file ----------------------------------------------------------------------

    @contextmanager
    def _locked(self, *, reading: bool = False) -> Iterator[_State]:
        """The list, reconciled with the disk, under the file lock; saved if it changed.
        When only ``reading``, a save that fails (a full or read-only disk) is let go: the
        files are the truth and the next read finds them again. A change (an import, a
        download, a removal) that cannot be saved raises."""
        self.paths.data_dir.mkdir(parents=True, exist_ok=True)
        with filelock.FileLock(self.file.with_name(self.FILE_NAME + ".lock"), timeout=30):
            state = self._load()
            self._reconcile(state)
            yield state
            if state.changed:
                try:
                    self._save(state)
                except OSError:
                    if not reading:
                        raise
                    log.info("the model list could not be saved", exc_info=True)

    def _load(self) -> _State:
        if not self.file.exists():
            return _State({}, set(), changed=True)
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
            if not isinstance(raw, dict) or raw.get("schema_version") != REGISTRY_SCHEMA:
                raise ValueError("not a Fireside model list")
            models = [InstalledModel.from_json(item) for item in raw.get("models", [])]
            ignored = {str(p) for p in raw.get("ignored", [])}
            return _State({m.id: m for m in models}, ignored)
        except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError):
            backup = self.file.with_name(f"{self.FILE_NAME}.unreadable-{int(self._clock())}")
            os.replace(self.file, backup)
            self.recovered_from = backup
            return _State({}, set(), changed=True)

    def _save(self, state: _State) -> None:
        data = {
            "schema_version": REGISTRY_SCHEMA,
            "models": [m.to_json() for m in state.models.values()],
            "ignored": sorted(state.ignored),
        }
        fd, tmp = tempfile.mkstemp(prefix=".models-", dir=self.file.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # ---- keeping the list true to the disk ---------------------------------------------

    def _reconcile(self, state: _State) -> None:
        for model_id, model in list(state.models.items()):
            if not model.exists():
                del state.models[model_id]
                state.changed = True
            elif model.has_chat_template is None:  # kept before templates were recorded
                try:
                    template = read_header(model.path).chat_template is not None
                except ModelFileError:
                    continue
                state.models[model_id] = replace(model, has_chat_template=template)
                state.changed = True
        known = {m.path for m in state.models.values()}
        for files, source, repo in self._found_on_disk():
            if files[0] in known or files[0] in state.ignored:
                continue
            try:
                model = self._describe(files, source, repo, None, state.models)
            except ModelFileError as exc:  # not a model: listed with why, left alone
                state.unreadable.append(UnreadableModel(files[0], source, repo, exc))
                continue
            state.models[model.id] = model
            known.add(model.path)
            state.changed = True

    def _found_on_disk(self) -> Iterator[tuple[list[str], Source, str | None]]:
        root = self.paths.models_dir
        if root.is_dir():
            for path in sorted(root.rglob("*.gguf")):
                if path.name.startswith(".") or not path.is_file():
                    continue
                files = _all_parts(path)
                if files is None:
                    continue
                rel = path.relative_to(root).parts
                repo = f"{rel[0]}/{rel[1]}" if len(rel) >= 3 else None
                yield [str(f.resolve()) for f in files], "downloaded", repo
        cache = self.hf_cache_dir
        if cache is not None and cache.is_dir():
            seen: set[Path] = set()
            for repo_dir in sorted(cache.glob("models--*--*")):
                repo = repo_dir.name[len("models--") :].replace("--", "/", 1)
                for path in sorted((repo_dir / "snapshots").glob("*/**/*.gguf")):
                    files = _all_parts(path)
                    if files is None or path.resolve() in seen:
                        continue
                    seen.add(path.resolve())
                    # Keep the snapshot path (the blob's name is a hash, not a model name).
                    yield [str(f.absolute()) for f in files], "hf_cache", repo

    def _describe(
        self,
        files: list[str],
        source: Source,
        repo: str | None,
        checksum: str | None,
        taken: Mapping[str, InstalledModel],
    ) -> InstalledModel:
        headers = [read_header(f) for f in files]  # checks every part
        header = headers[0]
        first = Path(files[0])
        return InstalledModel(
            id=_unique_id(first.name, taken),
            path=files[0],
            files=tuple(files),
            source=source,
            kind=_kind(header),
            name=header.name,
            architecture=header.architecture,
            quantization=header.quantization or quantization_of(first.name),
            size=sum(h.file_size for h in headers),
            parameter_count=sum(h.parameter_count for h in headers),
            context_length=header.context_length,
            repo=repo,
            checksum=checksum,
            added_at=self._clock(),
            has_chat_template=header.chat_template is not None,
        )


@dataclass
class _State:
    models: dict[str, InstalledModel]
    ignored: set[str]
    changed: bool = False
    unreadable: list[UnreadableModel] = field(default_factory=list)  # found now, not stored


def _all_parts(path: Path) -> list[Path] | None:
    """The parts of the model ``path`` starts; None for a later part or an incomplete set."""
    part = split_part(path.name)
    if part is not None and part.index != 1:
        return None
    files = [path.with_name(name) for name in split_names(path.name)]
    return files if all(f.is_file() for f in files) else None


def _kind(header: GGUFHeader) -> ModelKind:
    """What a file is for: a reranker (rank pooling or a classifier head) is checked before
    the embedding models, which it also looks like (an encoder, a declared pooling)."""
    if header.is_reranker:
        return "reranker"
    return "embedding" if header.is_embedding_model else "chat"


def _unique_id(filename: str, taken: Mapping[str, InstalledModel]) -> str:
    """A short, typeable id from the file name: ``qwen2.5-1.5b-instruct-q4_k_m``."""
    part = split_part(filename)
    stem = part.stem if part is not None else filename[: -len(".gguf")]
    base = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-.") or "model"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _prune_empty(folder: Path, root: Path) -> None:
    """Remove empty folders left by a deletion, up to (not including) the models folder."""
    current = folder
    while current != root and current.is_relative_to(root):
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent
