"""fireside-cli doctor: what this Fireside can use, in one place.

A person asking "is my GPU used?" and a bug report both need the same facts: the llama.cpp
build (its version and CPU features), whether it offloads to a GPU and which devices it
sees with their memory, the threads it runs on, where the data lives, and where the
default chat model would run (device and layers, GPU and RAM parts). All of it comes from
a short-lived engine's greeting and the model's header; nothing is loaded or written.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from core.engine.errors import EngineError
from core.engine.gguf import read_header
from core.engine.probe import offload_device, probe_engine
from core.engine.protocol import Ready
from core.engine.threads import physical_cores
from core.i18n import Translator
from core.models.cli import split_json, split_text
from core.models.fit import FitAdvisor, FitAnswer, FitOptions
from core.models.registry import InstalledModel, ModelRegistry, default_hf_cache
from core.models.switching import ModelSwitcher
from core.models.units import human_size
from core.paths import AppPaths
from core.settings import SettingsStore

EXIT_OK = 0


@dataclass(frozen=True)
class ModelPlan:
    """The default chat model and where it would run; ``problem`` when it cannot be read."""

    model: InstalledModel
    answer: FitAnswer | None
    problem: str | None = None


@dataclass(frozen=True)
class DoctorReport:
    ready: Ready
    threads: int
    physical_cores: int
    logical_cpus: int
    folders: dict[str, str]
    n_ctx: int
    default_model: ModelPlan | None

    @classmethod
    def gather(cls, paths: AppPaths, tr: Translator) -> DoctorReport:
        settings = SettingsStore(paths.settings_file).load()
        ready = probe_engine(paths)
        registry = ModelRegistry(paths, hf_cache_dir=default_hf_cache())
        switcher = ModelSwitcher(registry, SettingsStore(paths.settings_file))
        n_ctx = settings.engine.n_ctx
        plan: ModelPlan | None = None
        model = switcher.default("chat")
        if model is not None:
            try:
                header = read_header(model.path)
                advisor = FitAdvisor(device=offload_device(ready))
                options = FitOptions(n_ctx=n_ctx, side_cache=True)  # whole documents too
                answer = advisor.check_header(header, options, model.size)
                plan = ModelPlan(model, answer)
            except EngineError as exc:
                plan = ModelPlan(model, None, exc.message(tr))
        return cls(
            ready=ready,
            threads=settings.engine.n_threads or physical_cores(),
            physical_cores=physical_cores(),
            logical_cpus=os.cpu_count() or 1,
            folders={
                "data": str(paths.data_dir),
                "settings": str(paths.config_dir),
                "logs": str(paths.log_dir),
                "cache": str(paths.cache_dir),
            },
            n_ctx=n_ctx,
            default_model=plan,
        )

    def lines(self, tr: Translator) -> list[str]:
        ready = self.ready
        lines = [
            tr("doctor_build", version=ready.llama_cpp_version, build=ready.llama_build or "?")
        ]
        lines.append(tr("doctor_system_info", info=ready.system_info))
        if ready.cpu_variant:
            lines.append(tr("doctor_cpu_variant", variant=ready.cpu_variant))
        else:
            lines.append(tr("doctor_cpu_native"))
        lines.append(tr("doctor_offload_yes" if ready.gpu_offload else "doctor_offload_no"))
        for index, device in enumerate(ready.devices):
            lines.append(
                tr("doctor_device", index=index, name=device.name, kind=device.kind.upper(),
                   description=device.description, free=human_size(device.free),
                   total=human_size(device.total))
            )  # fmt: skip
        lines.append(tr("doctor_threads", threads=self.threads, cores=self.physical_cores,
                        logical=self.logical_cpus))  # fmt: skip
        for key, path in self.folders.items():
            lines.append(tr(f"doctor_folder_{key}", path=path))
        plan = self.default_model
        if plan is None:
            lines.append(tr("doctor_model_none"))
            return lines
        lines.append(tr("doctor_model", name=plan.model.name, path=plan.model.path))
        if plan.answer is None:
            lines.append(tr("doctor_model_unusable", reason=plan.problem))
        else:
            verdict = tr("models_verdict_" + plan.answer.verdict.value)
            lines.append(tr("doctor_model_plan", n_ctx=self.n_ctx,
                            split=split_text(tr, plan.answer), verdict=verdict))  # fmt: skip
        return lines

    def as_json(self) -> dict[str, Any]:
        ready = self.ready
        plan = self.default_model
        model: dict[str, Any] | None = None
        if plan is not None:
            model = {"id": plan.model.id, "name": plan.model.name, "path": plan.model.path,
                     "n_ctx": self.n_ctx, "problem": plan.problem}  # fmt: skip
            if plan.answer is not None:
                model |= {"verdict": plan.answer.verdict.value} | split_json(plan.answer)
        return {
            "llama_cpp_python": ready.llama_cpp_version,
            "llama_build": ready.llama_build,
            "system_info": ready.system_info,
            "cpu_variant": ready.cpu_variant,
            "gpu_offload": ready.gpu_offload,
            "devices": [asdict(d) for d in ready.devices],
            "threads": {
                "used": self.threads,
                "physical_cores": self.physical_cores,
                "logical_cpus": self.logical_cpus,
            },
            "folders": self.folders,
            "default_chat_model": model,
        }


def add_doctor_parser(sub: Any, tr: Translator) -> None:
    zh = tr.language == "zh_CN"
    doctor = sub.add_parser(
        "doctor", help="检查 llama.cpp 构建、设备和数据文件夹" if zh
        else "what this Fireside can use: llama.cpp build, devices, threads, folders",
    )  # fmt: skip
    doctor.add_argument("--json", action="store_true", help="one JSON object")


def run_doctor(args: argparse.Namespace, paths: AppPaths, tr: Translator, out: TextIO) -> int:
    report = DoctorReport.gather(paths, tr)
    if args.json:
        out.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write("\n".join(report.lines(tr)) + "\n")
    out.flush()
    return EXIT_OK
