"""Screenshots of the main views, for a person to review: ``python -m tests.screenshots``.

It starts a virtual X server (Xvfb, from Debian's ``xvfb`` package) unless a display is
already there, runs the real window on the xcb platform over a temporary Fireside home with
the Gemma test model, drives it to each view and saves a PNG per view and language into
``--output`` (default ``bench/results/screenshots``):

* the welcome on an empty home,
* a chat with a streamed reply (Markdown with a table and highlighted code), two versions of
  a reply, and the knowledge panel with indexed documents,
* the model manager and the settings dialog,
* the layout cases (``--cases layout``): the chat of ``tests/nasty_chat.py`` (a long Chinese
  paragraph, a long URL, a wide table, a 400-character code line, eight citation chips, an
  unseen turn, a stopped reply) at 800 px and at full width, in the light and dark themes,
  scrolled to the reply with sources and to the end; no model needed,
* the look (``--cases look``): the sidebar grouped by date with the pointer on a chat, an
  empty new chat and the knowledge panel without documents, at 800 px and full width, light
  and dark; no model needed,
* the picks (``--cases picks``): documents dropped on a chat, shown as chips above the
  message box (one with a long name), and the line about a dropped file that is not in the
  chat's documents, at 800 px and full width, light and dark; no model needed,
* the citations (``--cases cited``): grounded replies with the markers attribution found and
  their chips, and a reply that cites nothing with its note, at 800 px and full width, light
  and dark; no model needed,

in English and in Simplified Chinese. Not a test: nothing is asserted, the pictures are.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "screenshots"
SIZE = (1280, 800)
ANSWER = """Here is a short comparison:

| quantization | size | quality |
|---|---|---|
| Q4_K_M | 253 MB | good |
| Q8_0 | 292 MB | best |

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"  # 你好
```
"""


@contextmanager
def virtual_display(width: int, height: int) -> Any:
    """An Xvfb display for the duration (or the one already set)."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is not installed (Debian: apt-get install xvfb)")
    display = ":97"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        server.terminate()
        server.wait(10)


def pump(app: Any, seconds: float, until: Any = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.01)


def shoot(widget: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    widget.grab().save(str(path))
    print(f"saved {path}")
    return path


@contextmanager
def window_services(app: Any, settings: Any) -> Iterator[tuple[Any, Path]]:
    """The window's services on a fresh home in a temporary folder (also given, for the
    case's own files), with the settings' language installed; all undone afterwards."""
    from core.engine.client import EngineClient
    from core.paths import AppPaths
    from desktop.window.services import AppServices
    from desktop.window.translations import install_translators

    with tempfile.TemporaryDirectory(prefix="fireside-shots-") as tmp:
        services = AppServices(AppPaths.under(Path(tmp) / "home"), EngineClient(),
                               settings=settings, hf_cache_dir=Path(tmp) / "hf")  # fmt: skip
        translators = install_translators(app, settings.language)
        try:
            yield services, Path(tmp)
        finally:
            services.close()
            for translator in translators:
                app.removeTranslator(translator)


def views(app: Any, language: str, folder: Path, model: Path) -> None:
    from core.settings import EngineSettings, SamplingSettings, Settings
    from desktop.window.main_window import MainWindow

    settings = Settings(
        language=language, engine=EngineSettings(n_ctx=2048),
        sampling=SamplingSettings(temperature=0.0, max_tokens=60),
    )  # fmt: skip
    with window_services(app, settings) as (services, tmp):
        window = MainWindow(services)
        window.resize(*SIZE)
        window.show()
        window.start()
        pump(app, 1.0)
        shoot(window, folder, f"{language}-welcome")

        services.update_settings(replace(services.settings, embedding_model=str(model)))
        installed = services.registry.import_file(model)
        ready: list[object] = []
        window.model_ready.connect(ready.append)
        window.use_model(installed.id)
        pump(app, 120, lambda: bool(ready))
        pump(app, 0.5)
        shoot(window, folder, f"{language}-empty-chat")  # a model, no message yet
        store = services.chats
        chat = store.create_chat("Quantization" if language == "en" else "量化方式")
        question = store.add_message(chat.id, None, "user", "Which quantization should I pick?")
        first = store.add_message(chat.id, question.id, "assistant", "Q4_K_M is a good start.")
        second = store.add_message(chat.id, question.id, "assistant", ANSWER)
        store.set_active_leaf(chat.id, second.id)
        del first
        window.sidebar.refresh()
        window.open_chat(chat.id)
        docs = tmp / "docs"
        docs.mkdir()
        (docs / "harbour.md").write_text("# Harbour\n\nThe lighthouse keeper logs storms.\n",
                                         encoding="utf-8")  # fmt: skip
        (docs / "长城.txt").write_text("长城是中国古代的防御工程。", encoding="gbk")
        window.knowledge.add_paths([docs])
        finished: list[object] = []
        window.reply_finished.connect(finished.append)
        window.send("Tell me about lighthouses." if language == "en" else "介绍一下灯塔。")
        pump(app, 180, lambda: bool(finished))
        pump(app, 60, lambda: not window.knowledge_lane.busy)
        pump(app, 0.5)
        shoot(window, folder, f"{language}-chat")

        manager = window.open_model_manager()
        pump(app, 1.0)
        shoot(manager, folder, f"{language}-model-manager")
        manager.close()
        dialog = window.open_settings()
        pump(app, 0.5)
        shoot(dialog, folder, f"{language}-settings")
        dialog.close()
        window.close()


LAYOUT_WIDTHS = (800, SIZE[0])


def layout_cases(app: Any, language: str, folder: Path) -> None:
    """The nasty chat at each width and theme (the window opens it straight from the store)."""
    from core.settings import Settings
    from desktop.window.main_window import MainWindow
    from desktop.window.theme import apply_theme
    from tests.nasty_chat import write_nasty_chat

    with window_services(app, Settings(language=language)) as (services, _tmp):
        window = MainWindow(services)
        chat_id, messages = write_nasty_chat(services.chats)
        window.show()
        window.sidebar.refresh()
        window.open_chat(chat_id)
        window.chat_view.set_visibility({messages[0].id: False, messages[1].id: False})
        window.status_line.context(717, 2048)
        for theme in ("light", "dark"):
            apply_theme(app, theme)
            for width in LAYOUT_WIDTHS:
                window.resize(width, SIZE[1])
                pump(app, 0.5)
                view = window.chat_view
                reply = view.widgets[3]
                view.scroll.verticalScrollBar().setValue(reply.y() + reply.height() - SIZE[1] // 2)
                pump(app, 0.3)
                shoot(window, folder, f"{language}-layout-{theme}-{width}-sources")
                view.scroll_to_bottom()
                pump(app, 0.3)
                shoot(window, folder, f"{language}-layout-{theme}-{width}-end")
        about = window.open_about()
        pump(app, 0.3)
        shoot(about, folder, f"{language}-about-dark")
        about.close()
        apply_theme(app, "system")
        window.close()


CITED_CHAT = {
    "en": [
        ("How much does the Kestrel-9 weigh, and how long does its battery last?",
         "The Kestrel-9 weighs 735 grams without its battery.[3] The KB-47 battery pack lasts "
         "19 hours of receive time.[2]", (2, 3)),
        ("When was the Kestrel-9's chief designer born?",
         "The chief designer of the Kestrel-9 was born in 1961.", ()),
    ],
    "zh_CN": [
        ("星槎号的轮机长是谁？紧急集合信号是什么？",
         "星槎号的轮机长是冉秋白。[1]紧急集合信号为七短一长。[2]", (1, 2)),
        ("星槎号的船长是哪一年出生的？", "船长聂秋帆的出生年份是1931年。", ()),
    ],
}  # fmt: skip


def cited_cases(app: Any, language: str, folder: Path) -> None:
    """Grounded replies with the citations attribution found (markers after the sentences,
    chips under them) and one that cites nothing, with its note, at each width and theme."""
    from core.settings import Settings
    from desktop.window.main_window import MainWindow
    from desktop.window.theme import apply_theme

    with window_services(app, Settings(language=language)) as (services, _tmp):
        chat = services.chats.create_chat("Kestrel-9" if language == "en" else "星槎号")
        parent = None
        for question, answer, cited in CITED_CHAT[language]:
            parent = services.chats.add_message(chat.id, parent, "user", question).id
            citations = [
                {
                    "n": n,
                    "file": "/docs/manual.pdf",
                    "page": n + 1,
                    "snippet": f"excerpt {n}",
                    "cited": n in cited,
                }
                for n in (1, 2, 3, 4)
            ]
            parent = services.chats.add_message(chat.id, parent, "assistant", answer,
                                                citations=citations).id  # fmt: skip
        window = MainWindow(services)
        window.show()
        window.sidebar.refresh()
        window.open_chat(chat.id)
        for theme in ("light", "dark"):
            apply_theme(app, theme)
            for width in LAYOUT_WIDTHS:
                window.resize(width, SIZE[1])
                pump(app, 0.5)
                window.chat_view.scroll_to_bottom()
                pump(app, 0.3)
                shoot(window, folder, f"{language}-cited-{theme}-{width}")
        apply_theme(app, "system")
        window.close()


def look_cases(app: Any, language: str, folder: Path) -> None:
    """The sidebar grouped by date (a chat in each group, the pointer on one), an empty new
    chat and the knowledge panel without documents, at each width and theme; no model."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    from core.settings import Settings
    from desktop.window.main_window import MainWindow
    from desktop.window.theme import apply_theme

    with window_services(app, Settings(language=language)) as (services, _tmp):
        store = services.chats
        english = ["Harbour logbook", "Storm warnings for the north coast and the islands",
                   "Lighthouse lenses", "Keeper rota", "Quantization"]  # fmt: skip
        chinese = ["港口日志", "北部海岸和岛屿的风暴预警", "灯塔透镜", "守塔人值班表", "量化方式"]
        titles = english if language == "en" else chinese
        now = time.time()
        for title, days in zip(titles, (100, 20, 3, 1, 0), strict=True):
            chat = store.create_chat(title)
            store.add_message(chat.id, None, "user", title)
            with sqlite3.connect(store.path) as db:  # a date set straight, for the picture
                db.execute("UPDATE chats SET updated_at = ? WHERE id = ?",
                           (now - days * 86_400, chat.id))  # fmt: skip
        window = MainWindow(services)
        window.show()
        window.start()  # opens the newest chat; then a new, empty one
        window.new_chat()
        for theme in ("light", "dark"):
            apply_theme(app, theme)
            for width in LAYOUT_WIDTHS:
                window.resize(width, SIZE[1])
                pump(app, 0.5)
                chats = window.sidebar.list
                item = window.sidebar.item_for(store.list_chats()[2].id)
                if item is not None:
                    where = QPointF(chats.visualItemRect(item).center())
                    none = Qt.MouseButton.NoButton
                    move = QMouseEvent(QEvent.Type.MouseMove, where, where, none, none,
                                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
                    app.sendEvent(chats.viewport(), move)
                pump(app, 0.3)
                shoot(window, folder, f"{language}-look-{theme}-{width}")
        apply_theme(app, "system")
        window.close()


def picks_cases(app: Any, language: str, folder: Path) -> None:
    """Documents picked by a drop (desktop/chat/document_picks.py): the chips and the notice
    about a file outside the chat's documents, at each width and theme; no model."""
    import hashlib

    from core.knowledge.store import DocumentFacts, NewChunk
    from core.settings import Settings
    from desktop.window.main_window import MainWindow
    from desktop.window.theme import apply_theme

    with window_services(app, Settings(language=language)) as (services, tmp):
        docs = tmp / "contracts"
        docs.mkdir()
        names = [
            "lease-harbour-office-2031.pdf",
            "租赁合同-港口办公室.docx",
            "maintenance-agreement-north-jetty-and-slipway-final-signed-copy.pdf",
        ]
        store = services.knowledge.store
        owner = store.ensure_collection("contracts").id
        for name in names:
            text = f"{name}: the rent is due on the fifth day of each month."
            (docs / name).write_text(text, encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()
            chunk = NewChunk(digest[:16], 0, text, 1, None, 0, len(text), digest, 12, [1.0])
            facts = DocumentFacts(str(docs / name), name, "text", digest, len(text), 0.0, 1)
            store.commit_document(owner, facts, [chunk], "screenshots")
        (docs / "minutes.md").write_text("Minutes.", encoding="utf-8")
        window = MainWindow(services)
        window.show()
        window.start()
        assert window.chat_id is not None
        services.chats.update_chat(window.chat_id, collections=["contracts"])
        window.open_chat(window.chat_id)
        window.center.setCurrentWidget(window.chat_page)  # the chat, not the welcome
        window.drops.dropped([docs / n for n in names] + [docs / "minutes.md"])
        for theme in ("light", "dark"):
            apply_theme(app, theme)
            for width in LAYOUT_WIDTHS:
                window.resize(width, SIZE[1])
                pump(app, 0.5)
                shoot(window, folder, f"{language}-picks-{theme}-{width}")
        apply_theme(app, "system")
        window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--language", action="append", choices=["en", "zh_CN"])
    parser.add_argument("--cases", action="append",
                        choices=["views", "layout", "look", "picks", "cited"],
                        help="which pictures (default: both)")  # fmt: skip
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    cases = args.cases or ["views", "layout", "look", "picks", "cited"]
    from tests.model_files import GEMMA_270M, fetch

    model = fetch(GEMMA_270M) if "views" in cases else None
    with virtual_display(*SIZE):
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(["fireside"])
        for language in args.language or ["en", "zh_CN"]:
            if model is not None:
                views(app, language, args.output, model)
            if "layout" in cases:
                layout_cases(app, language, args.output)
            if "look" in cases:
                look_cases(app, language, args.output)
            if "picks" in cases:
                picks_cases(app, language, args.output)
            if "cited" in cases:
                cited_cases(app, language, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
