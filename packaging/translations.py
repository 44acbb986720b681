"""Keep the window's translations in step with its source: ``python packaging/translations.py``.

    update   extract every tr() string of desktop/**/*.py into resources/translations/
             fireside_zh_CN.ts and fireside_en.ts (PySide6's lupdate; existing translations
             are kept, strings no longer in the source are dropped)
    build    compile each .ts into the .qm next to it (lrelease; only finished translations)
    check    exit 1 listing every source string without a finished zh_CN translation
             (works on a temporary copy: the .ts files are not changed)

A script, not a module: packaging/ is not a package, so that nothing here can shadow the
PyPI ``packaging`` distribution. Translate with Qt Linguist (``pyside6-linguist``) or any
editor; a translation counts as finished once its ``type="unfinished"`` mark is gone.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
LANGUAGES: Final = ("zh_CN", "en")
CHECKED: Final = "zh_CN"  # English is the source language: nothing to translate


def qt_tool(name: str) -> str:
    """PySide6's ``lupdate`` or ``lrelease``: the pyside6-* script next to this Python, else
    the binary inside the PySide6 package."""
    scripts = Path(sys.executable).parent
    candidates = [scripts / f"pyside6-{name}", scripts / f"pyside6-{name}.exe"]
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        package = Path(next(iter(spec.submodule_search_locations)))
        candidates += [package / name, package / f"{name}.exe"]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(f"pyside6-{name}")
    if found:
        return found
    raise SystemExit(f"PySide6's {name} was not found (is PySide6 installed in this Python?)")


def source_files(sources: Sequence[Path]) -> list[Path]:
    """The Python files to scan: files as given, every *.py file under a folder (the window
    lives in subpackages: desktop/window, desktop/chat, ...)."""
    files: list[Path] = []
    for source in sources:
        files += sorted(source.rglob("*.py")) if source.is_dir() else [source]
    if not files:
        raise SystemExit("no source files to scan")
    return files


def ts_file(ts_dir: Path, language: str) -> Path:
    return ts_dir / f"fireside_{language}.ts"


def lupdate(sources: Sequence[Path], ts_files: Sequence[Path], *, quiet: bool = False) -> None:
    for ts in ts_files:
        ts.parent.mkdir(parents=True, exist_ok=True)
    command = [qt_tool("lupdate"), *map(str, source_files(sources))]
    command += ["-ts", *map(str, ts_files), "-no-obsolete", "-locations", "relative"]
    command += ["-source-language", "en"]
    if quiet:
        command.append("-silent")
    subprocess.run(command, check=True)


def lrelease(ts: Path, qm: Path) -> None:
    """Compile one catalogue; unfinished translations are left out (English shows)."""
    command = [qt_tool("lrelease"), str(ts), "-qm", str(qm), "-nounfinished", "-silent"]
    subprocess.run(command, check=True)


def missing_translations(ts: Path) -> list[tuple[str, str]]:
    """(context, source) of every message in ``ts`` whose translation is not finished."""
    missing: list[tuple[str, str]] = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            kind = translation.get("type", "") if translation is not None else "unfinished"
            if kind in ("vanished", "obsolete"):
                continue
            forms = [] if translation is None else list(translation.iter("numerusform"))
            texts = [f.text or "" for f in forms] if forms else [_text(translation)]
            if kind == "unfinished" or not all(t.strip() for t in texts):
                missing.append((name, message.findtext("source", "")))
    return missing


def _text(element: ET.Element | None) -> str:
    return "" if element is None else element.text or ""


def update(sources: Sequence[Path], ts_dir: Path) -> int:
    lupdate(sources, [ts_file(ts_dir, language) for language in LANGUAGES])
    return 0


def build(ts_dir: Path) -> int:
    for language in LANGUAGES:
        ts = ts_file(ts_dir, language)
        if not ts.is_file():
            raise SystemExit(f"{ts} is missing: run the update command first")
        lrelease(ts, ts.with_suffix(".qm"))
        print(f"built {ts.with_suffix('.qm')}")
    return 0


def check(sources: Sequence[Path], ts_dir: Path) -> int:
    """Compare the source with a refreshed copy of the zh_CN catalogue."""
    with tempfile.TemporaryDirectory(prefix="fireside-ts-") as tmp:
        copy = ts_file(Path(tmp), CHECKED)
        committed = ts_file(ts_dir, CHECKED)
        if committed.is_file():
            shutil.copyfile(committed, copy)
        lupdate(sources, [copy], quiet=True)
        missing = missing_translations(copy)
    if not missing:
        print(f"every source string has a {CHECKED} translation")
        return 0
    print(f"{len(missing)} source string(s) without a finished {CHECKED} translation:")
    for context, source in missing:
        print(f"  {context}: {source!r}")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=("update", "build", "check"))
    parser.add_argument(
        "--sources", nargs="+", type=Path, default=[ROOT / "desktop"],
        help="Python files, or folders whose *.py files are scanned, subfolders too "
        "(default: desktop/)",
    )  # fmt: skip
    parser.add_argument(
        "--ts-dir", type=Path, default=ROOT / "resources" / "translations",
        help="folder of the .ts and .qm files (default: resources/translations/)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.command == "update":
        return update(args.sources, args.ts_dir)
    if args.command == "build":
        return build(args.ts_dir)
    return check(args.sources, args.ts_dir)


if __name__ == "__main__":
    sys.exit(main())
