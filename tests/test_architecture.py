"""The import rules hold: llama_cpp only in the engine process, Qt only in desktop."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE_PROCESS_MODULES = {"core.engine.worker", "core.engine.runtime"}


def _modules(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.add(".".join(parts))
    return found


def test_llama_contract_lists_every_module_outside_the_engine_process() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    llama = next(c for c in contracts if c["forbidden_modules"] == ["llama_cpp"])
    listed = set(llama["source_modules"])

    def covered(module: str) -> bool:
        return any(module == s or module.startswith(s + ".") for s in listed)

    missing = sorted(
        m for m in _modules("core") - ENGINE_PROCESS_MODULES - {"core", "core.engine"}
        if not covered(m)
    )  # fmt: skip
    assert not missing, f"add to the llama_cpp contract in pyproject.toml: {missing}"


def test_the_window_process_does_not_load_llama_cpp() -> None:
    code = (
        "import sys, core.cli, core.engine.client, desktop.window.main_window, desktop.window.app\n"
        "assert 'llama_cpp' not in sys.modules, 'llama_cpp loaded in the caller'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_core_alone_does_not_load_qt() -> None:
    code = "import sys, core.cli, core.engine.client\nassert 'PySide6' not in sys.modules\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT)  # fmt: skip
    assert result.returncode == 0, result.stderr


MAX_WINDOW_MODULE_LINES = 600


def test_the_window_is_in_subpackages_of_small_modules() -> None:
    """desktop/ mirrors the core (window, chat, knowledge, models, settings), a module per
    role: a module that grows past the limit is split along its roles, not let grow."""
    top = sorted(p.name for p in (ROOT / "desktop").glob("*.py"))
    assert top == ["__init__.py"], f"put these in a subpackage of desktop/: {top}"
    long = sorted(
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in (ROOT / "desktop").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_WINDOW_MODULE_LINES
    )
    assert not long, f"split along their roles: {long}"
