"""``fireside-cli models …``: the model manager without a window.

``catalogue | search TEXT | files REPO | fit REPO [FILE] [--ctx N] | download REPO [FILE] |
list | import PATH | remove ID | use ID | login | logout``, each with ``--json``. Downloads
draw a progress bar (bytes, rate, ETA) when stderr is a terminal; Ctrl-C pauses, keeping the
partial file, and the same command resumes it. Every failure is one translated line on
stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from core.engine.gguf import read_header
from core.engine.probe import offload_device, probe_engine
from core.errors import FiresideError
from core.i18n import Translator
from core.models.catalogue import KINDS, load_catalogue
from core.models.errors import BadRequest, ModelsError
from core.models.fit import FitAdvisor, FitAnswer, FitOptions, ModelFigures, reads_whole_documents
from core.models.naming import check_filename, check_repo_id
from core.models.offload import Speed
from core.models.registry import InstalledModel, ModelRegistry, default_hf_cache
from core.models.switching import ModelSwitcher
from core.models.tokens import TokenStore
from core.models.units import human_count, human_duration, human_rate, human_size
from core.paths import AppPaths
from core.settings import SettingsStore

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


def add_models_parser(subparsers: Any, tr: Translator) -> None:
    """Register ``models`` and its subcommands on fireside-cli's parser."""
    zh = tr.language == "zh_CN"
    models = subparsers.add_parser(
        "models", help="管理模型" if zh else "find, download, manage models"
    )
    sub = models.add_subparsers(dest="models_command", required=True)

    def command(name: str, help_en: str, help_zh: str, hub: bool = False) -> Any:
        parser = sub.add_parser(name, help=help_zh if zh else help_en)
        parser.add_argument("--json", action="store_true", help="JSON output")
        if hub:
            parser.add_argument("--endpoint", help="Hub address (default: settings, HF_ENDPOINT)")
            parser.add_argument(
                "--token-stdin", action="store_true",
                help="read a Hugging Face token from stdin for this command only",
            )  # fmt: skip
        return parser

    cat = command("catalogue", "recommended models", "推荐的模型")
    cat.add_argument("--kind", choices=list(KINDS))
    search = command("search", "search GGUF models on the Hub", "在 Hub 上搜索 GGUF 模型", hub=True)
    search.add_argument("text")
    search.add_argument("--sort", choices=["downloads", "likes"], default="downloads")
    search.add_argument("--limit", type=int, default=20)
    files = command("files", "a repository's GGUF files", "仓库中的 GGUF 文件", hub=True)
    files.add_argument("repo")
    fit = command("fit", "will it fit in memory?", "内存是否够用？", hub=True)
    fit.add_argument("repo", help="owner/name, an installed model id, or a local .gguf file")
    fit.add_argument("file", nargs="?")
    fit.add_argument("--ctx", type=int, default=None, help="context size (default: settings)")
    download = command("download", "download a model file", "下载模型文件", hub=True)
    download.add_argument("repo")
    download.add_argument("file", nargs="?", help="default: the catalogue's recommendation")
    command("list", "installed models", "已安装的模型")
    imp = command("import", "use a local GGUF file", "导入本地 GGUF 文件")
    imp.add_argument("path")
    rm = command("remove", "delete or forget an installed model", "删除已安装的模型")
    rm.add_argument("id")
    use = command("use", "make a model the default", "设为默认模型")
    use.add_argument("id")
    use.add_argument("--force", action="store_true", help="even if it may not fit in memory")
    command("login", "keep a Hugging Face token in the keyring (read from stdin)", "保存访问令牌")
    command("logout", "forget the Hugging Face token", "删除访问令牌")


class ModelsCommand:
    """Runs one ``models`` subcommand; collaborators come in, output goes to the streams."""

    def __init__(
        self,
        args: argparse.Namespace,
        paths: AppPaths,
        tr: Translator,
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
        tokens: TokenStore | None = None,
    ) -> None:
        self.args = args
        self.paths = paths
        self.tr = tr
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.tokens = tokens or TokenStore()
        self.store = SettingsStore(paths.settings_file)
        self.settings = self.store.load()
        self.registry = ModelRegistry(paths, hf_cache_dir=default_hf_cache())
        self.switcher = ModelSwitcher(self.registry, self.store)

    # ---- plumbing ----------------------------------------------------------------------

    def run(self) -> int:
        handler: Callable[[], int] = getattr(self, "cmd_" + self.args.models_command)
        try:
            return handler()
        except FiresideError as exc:
            self.say_error(exc.message(self.tr))
            return EXIT_FAILURE

    def say_error(self, message: str) -> None:
        print(self.tr("cli_error", message=message), file=self.err)

    def emit(self, data: Any, lines: list[str]) -> int:
        if self.args.json:
            self.out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        else:
            for line in lines:
                self.out.write(line + "\n")
        self.out.flush()
        return EXIT_OK

    def hub(self) -> Any:
        from core.models.hub import HubClient, resolve_endpoint

        endpoint = resolve_endpoint(self.settings.hub_endpoint, self.args.endpoint)
        token = sys.stdin.readline().strip() if self.args.token_stdin else self.tokens.get()
        return HubClient(endpoint, token=token or None)

    # ---- catalogue, search, files ------------------------------------------------------

    def cmd_catalogue(self) -> int:
        catalogue = load_catalogue()
        entries = [e for e in catalogue.entries if self.args.kind in (None, e.kind)]
        lang = self.tr.language
        lines = [
            f"{e.id:32} {e.kind:9} {human_count(e.parameters):>6} {e.recommended:7} "
            f"{e.repo}  {e.describe(lang)}"
            for e in entries
        ]
        data = [
            {**asdict(e), "languages": list(e.languages), "recommended_file": e.recommended_file}
            for e in entries
        ]
        return self.emit(data, lines)

    def cmd_search(self) -> int:
        hits = self.hub().search(self.args.text, sort=self.args.sort, limit=self.args.limit)
        lines = [f"{h.repo:60} ↓{h.downloads:<10} ♥{h.likes}" for h in hits]
        if not hits:
            lines = [self.tr("models_search_none", text=self.args.text)]
        return self.emit([asdict(h) for h in hits], lines)

    def cmd_files(self) -> int:
        listing = self.hub().list_files(self.args.repo)
        lines = []
        for group in listing.groups:
            parts = f"  ({len(group.parts)} parts)" if group.is_split else ""
            lines.append(
                f"{group.quantization:10} {human_size(group.size):>10}  {group.filename}{parts}"
            )
        if not listing.groups:
            lines = [self.tr("models_no_gguf", repo=listing.repo)]
        data = {
            "repo": listing.repo,
            "gated": listing.gated,
            "groups": [
                {
                    "quantization": g.quantization,
                    "filename": g.filename,
                    "size": g.size,
                    "complete": g.complete,
                    "parts": [asdict(p) for p in g.parts],
                }
                for g in listing.groups
            ],
        }
        return self.emit(data, lines)

    # ---- fit -----------------------------------------------------------------------------

    def cmd_fit(self) -> int:
        n_ctx = self.args.ctx or self.settings.engine.n_ctx
        if n_ctx <= 0:
            raise BadRequest("models_bad_ctx", ctx=n_ctx)
        local = self._local_model(self.args.repo)
        if local is not None:
            header = read_header(local[0])
            options = FitOptions(n_ctx=n_ctx, side_cache=reads_whole_documents(header))
            # The split between GPU and RAM needs the engine build's devices.
            advisor = FitAdvisor(device=offload_device(probe_engine(self.paths)))
            answer = advisor.check_header(header, options, weights=local[1])
            lines = [self._fit_line(local[0].name, answer), "  " + split_text(self.tr, answer)]
            return self.emit(self._fit_json(local[0].name, answer), lines)
        advisor = FitAdvisor()
        repo = check_repo_id(self.args.repo)
        hub = self.hub()
        workdir = self.paths.cache_dir / "headers"
        listing = hub.list_files(repo)
        if self.args.file:
            group = listing.group_for(check_filename(self.args.file))
            if group is None:
                raise BadRequest("models_file_unlisted", repo=repo, filename=self.args.file)
            groups = [group]
        else:
            groups = list(listing.groups)
            if not groups:
                raise BadRequest("models_no_gguf", repo=repo)
        # All quantizations of one repository share the architecture: one header will do.
        header = hub.read_header(hub.file_metadata(repo, groups[0].filename), workdir)
        options = FitOptions(n_ctx=n_ctx, side_cache=reads_whole_documents(header))
        figures = ModelFigures.from_header(header)
        answers = advisor.assess(figures, groups, options)
        best = advisor.recommend(figures, groups, options) if not self.args.file else None
        lines = [self._fit_line(g.filename, a) for g, a in answers]
        if best is not None and len(groups) > 1:
            lines.append(self.tr("models_fit_recommend", quant=best.group.quantization,
                                 filename=best.group.filename))  # fmt: skip
        elif not self.args.file and best is None:
            lines.append(self.tr("models_fit_none", repo=repo))
        data = {
            "repo": repo,
            "n_ctx": n_ctx,
            "files": [
                self._fit_json(g.filename, a) | {"quantization": g.quantization} for g, a in answers
            ],
            "recommended": best.group.filename if best is not None else None,
        }
        return self.emit(data, lines)

    def _local_model(self, given: str) -> tuple[Path, int] | None:
        """An installed model id or a local file path: (file, size of all parts)."""
        try:
            model = self.registry.get(given)
            return Path(model.path), model.size
        except ModelsError:
            pass
        path = Path(given).expanduser()
        if path.is_file():
            return path, path.stat().st_size
        return None

    def _fit_line(self, filename: str, answer: FitAnswer) -> str:
        verdict = self.tr("models_verdict_" + answer.verdict.value)
        est = answer.estimate
        # A chat model's side cache (whole documents) is named on its own.
        side = {"side": human_size(est.side_cache)} if est.side_cache else {}
        return self.tr(
            "models_fit_line_side" if side else "models_fit_line", filename=filename,
            need=human_size(est.total), weights=human_size(est.weights),
            kv=human_size(est.kv_cache), compute=human_size(est.compute + est.overhead),
            n_ctx=est.n_ctx, free=human_size(answer.memory.available),
            total=human_size(answer.memory.total), verdict=verdict, **side,
        )  # fmt: skip

    @staticmethod
    def _fit_json(filename: str, answer: FitAnswer) -> dict[str, Any]:
        return {
            "filename": filename,
            "verdict": answer.verdict.value,
            "need_bytes": answer.estimate.total,
            **{f"{k}_bytes": v for k, v in asdict(answer.estimate).items() if k != "n_ctx"},
            "n_ctx": answer.estimate.n_ctx,
            "memory_total_bytes": answer.memory.total,
            "memory_available_bytes": answer.memory.available,
            **(split_json(answer) if answer.offload is not None else {}),
        }

    # ---- download ------------------------------------------------------------------------

    def cmd_download(self) -> int:
        from core.models.downloads import Downloader, DownloadProgress

        repo = check_repo_id(self.args.repo)
        filename = self.args.file
        if not filename:
            entry = load_catalogue().for_repo(repo)
            if entry is None:
                raise BadRequest("models_need_file", repo=repo)
            filename = entry.recommended_file
        check_filename(filename)
        downloader = Downloader(self.paths, self.hub())
        bar = _ProgressBar(self.err) if self.err.isatty() and not self.args.json else None

        def on_progress(progress: DownloadProgress) -> None:
            if bar is not None:
                bar.draw(progress, self.tr)

        # Ctrl-C pauses, as for `kb add`, even when this process was started with SIGINT
        # ignored (a job a shell put in the background): Python then never turns it into
        # KeyboardInterrupt, and the download would go on to the end.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            result = downloader.download(repo, filename, on_progress=on_progress)
        except KeyboardInterrupt:
            if bar is not None:
                bar.finish()
            done = downloader.partial_bytes(repo, filename)
            self.say_error(self.tr("models_download_interrupted", done=human_size(done)))
            return EXIT_INTERRUPTED
        finally:
            signal.signal(signal.SIGINT, previous)
            if bar is not None:
                bar.finish()
        model = self.registry.add_downloaded(repo, result.paths, result.checksums[0])
        data = {
            **self._model_json(model),
            "resumed_bytes": result.resumed_bytes,
            "fetched_bytes": result.fetched_bytes,
        }
        line = self.tr("models_downloaded", model_id=model.id, size=human_size(model.size),
                       path=model.path)  # fmt: skip
        return self.emit(data, [line])

    # ---- installed models ------------------------------------------------------------------

    def cmd_list(self) -> int:
        listing = self.registry.listing()
        models = listing.models
        self._say_recovered()
        defaults = {self.settings.chat_model, self.settings.embedding_model}
        lines = [
            f"{'*' if m.id in defaults else ' '} {m.id:40} {m.kind:9} {m.quantization or '?':8} "
            f"{human_size(m.size):>9}  {m.source:10} {m.path}"
            for m in models
        ]
        if not models:
            lines = [self.tr("models_none_installed")]
        # Files that are not usable models are listed with their reason, never hidden.
        lines += [
            "! " + self.tr("models_unreadable", reason=u.reason(self.tr))
            for u in listing.unreadable
        ]
        data = [self._model_json(m) | {"default": m.id in defaults} for m in models]
        data += [
            {"id": None, "path": u.path, "source": u.source, "repo": u.repo,
             "unreadable": u.reason(self.tr), "code": u.error.code}
            for u in listing.unreadable
        ]  # fmt: skip
        return self.emit(data, lines)

    def cmd_import(self) -> int:
        model = self.registry.import_file(Path(self.args.path))
        lines = [self.tr("models_imported", model_id=model.id, kind=model.kind,
                         size=human_size(model.size))]  # fmt: skip
        data = self._model_json(model)
        if model.kind == "reranker" and read_header(model.path).lacks_classifier_pooler:
            lines.append(self.tr("models_reranker_without_pooler", model_id=model.id))
            data["notes"] = lines[1:]
        return self.emit(data, lines)

    def cmd_remove(self) -> int:
        removal = self.registry.remove(self.args.id)
        self.switcher.forget(self.args.id)
        model = removal.model
        if removal.deleted:
            line = self.tr("models_removed", model_id=model.id, freed=human_size(removal.freed))
        else:
            line = self.tr("models_forgotten", model_id=model.id, path=model.path)
        data = {**self._model_json(model), "freed_bytes": removal.freed, "deleted": removal.deleted}
        return self.emit(data, [line])

    def cmd_use(self) -> int:
        model = self.registry.get(self.args.id)
        if not self.args.force:
            chat = model.kind == "chat"  # which may read whole documents on its side cache
            options = FitOptions(n_ctx=self.settings.engine.n_ctx if chat else 512, side_cache=chat)
            FitAdvisor().check_header(
                read_header(model.path), options, model.size
            ).raise_if_wont_fit()
        self.switcher.use(model.id)
        code = "models_default_chat" if model.kind == "chat" else "models_default_embedding"
        return self.emit(
            self._model_json(model) | {"default": True}, [self.tr(code, model_id=model.id)]
        )

    def cmd_login(self) -> int:
        token = sys.stdin.readline().strip()
        saved = self.tokens.set(token)
        code = "models_token_saved" if saved else "models_token_no_keyring"
        return self.emit({"saved_in_keyring": saved}, [self.tr(code)])

    def cmd_logout(self) -> int:
        self.tokens.clear()
        return self.emit({"removed": True}, [self.tr("models_token_removed")])

    def _say_recovered(self) -> None:
        if self.registry.recovered_from is not None:
            print(
                self.tr("models_registry_reset", backup=self.registry.recovered_from), file=self.err
            )

    @staticmethod
    def _model_json(model: InstalledModel) -> dict[str, Any]:
        return model.to_json()


class _ProgressBar:
    """One line on a terminal, redrawn in place: percent, bar, bytes, rate, ETA."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    def draw(self, progress: Any, tr: Translator) -> None:
        width = shutil.get_terminal_size((80, 20)).columns
        pct = 100.0 * progress.fraction
        if progress.phase == "verifying":
            tail = tr("models_progress_verifying")
        elif progress.phase == "retrying":
            tail = tr("models_progress_retrying")
        else:
            tail = f"{human_rate(progress.rate_bps)}  ETA {human_duration(progress.eta_s)}"
        sizes = f"{human_size(progress.done)}/{human_size(progress.total)}"
        text = f"{pct:5.1f}% {{bar}} {sizes}  {tail}"
        room = max(10, min(40, width - len(text) - 2))
        filled = int(room * progress.fraction)
        line = text.replace("{bar}", "[" + "#" * filled + "." * (room - filled) + "]")
        self.stream.write("\r" + line[: width - 1].ljust(width - 1))
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def run_models(args: argparse.Namespace, paths: AppPaths, tr: Translator) -> int:
    """Entry point from core.cli for ``fireside-cli models …``."""
    return ModelsCommand(args, paths, tr).run()


def split_text(tr: Translator, answer: FitAnswer) -> str:
    """Where the model would run: "CPU only: all 650 MB in RAM", or the GPU's part."""
    plan = answer.offload
    if plan is None or plan.speed is Speed.CPU:
        return tr("models_fit_split_cpu", speed=tr("fit_speed_cpu"),
                  need=human_size(answer.ram_bytes))  # fmt: skip
    code = "fit_speed_gpu" if plan.speed is Speed.GPU else "fit_speed_partial"
    speed = tr(code, device=plan.device, offloaded=plan.offloaded, layers=plan.n_layers)
    return tr("models_fit_split_gpu", speed=speed, gpu=human_size(answer.gpu_bytes),
              ram=human_size(answer.ram_bytes))  # fmt: skip


def split_json(answer: FitAnswer) -> dict[str, Any]:
    plan = answer.offload
    return {
        "speed": answer.speed.value,
        "device": plan.device if plan is not None else None,
        "gpu_layers": plan.offloaded if plan is not None else 0,
        "n_layers": plan.n_layers if plan is not None else None,
        "gpu_bytes": answer.gpu_bytes,
        "ram_bytes": answer.ram_bytes,
    }
