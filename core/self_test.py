"""``fireside --self-test``: proves that an installed (or frozen) Fireside works, headless.

A packaged app can look complete and still miss a shared library, a plugin or a data file
that only one code path loads. This runs each of those paths once, the way the window does,
with nothing but the command line: it starts the engine in its own process (inside a
PyInstaller bundle that process is the bundle's own executable, started again by
multiprocessing), loads the chat model given, answers one greedy turn through a real
``ChatSession``, indexes one small document (with a Chinese line) through the real knowledge
base (SQLite + Chroma) and finds it again with its citation; with ``--ocr`` it also reads an
image it draws through OCR in the parser process (RapidOCR's models, onnxruntime, OpenCV:
what a bundle is most likely to miss). All of it happens in a temporary
Fireside home, deleted afterwards unless ``--keep`` is given; the person's own data folder is
only checked for being writable, because the app could not start without that.

It prints one line per step (``ok  engine started 0.8 s``) and exits 0, or prints
``FAILED <step>: <reason>`` with the reason in the person's language and exits 1. Bad model
files are refused before anything is started. The CI smoke test runs exactly this against
the built bundle. This module never imports Qt, so it also runs where no display exists.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

from core.chat.session import ChatSession
from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.engine.errors import ModelFileError
from core.engine.gguf import read_header
from core.engine.protocol import LoadOptions, SamplingParams
from core.errors import FiresideError
from core.i18n import Translator, resolve_language
from core.knowledge.embedder import Embedder
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.parser_process import ParserProcess
from core.knowledge.readers import ReadLimits
from core.paths import HOME_ENV, AppPaths

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2

COLLECTION: Final = "self-test"
DOCUMENT_NAME: Final = "fireside-self-test.txt"
# A line no model would write by chance, found again by its Chinese words (keyword side)
# and by its vector (vector side), so retrieval proves both SQLite FTS5 and Chroma work.
DOCUMENT_TEXT: Final = (
    "Fireside self-test document.\n"
    "The lighthouse keeper counts seven blue herons every morning.\n"
    "灯塔看守人每天早上数七只蓝色的苍鹭。\n"
)
QUERY: Final = "灯塔看守人 蓝色的苍鹭"
OCR_IMAGE_NAME: Final = "fireside-self-test.png"
OCR_TEXT: Final = "FIRESIDE 2031"  # drawn in Pillow's own font: no system font needed
PROMPT: Final = "Say hello in one short sentence."
REPLY_TOKENS: Final = 16
CHAT_CONTEXT: Final = 1024

# What the self-test itself can say; the core's errors bring their own messages.
MESSAGES: Final[dict[str, dict[str, str]]] = {
    "self_test_folder_unwritable": {
        "en": "The data folder {path} cannot be written to: {reason}",
        "zh_CN": "无法写入数据文件夹 {path}：{reason}",
    },
    "self_test_temp_unwritable": {
        "en": "Cannot create a temporary folder in {path}: {reason}",
        "zh_CN": "无法在 {path} 中创建临时文件夹：{reason}",
    },
    "self_test_empty_reply": {
        "en": "The model gave an empty reply",
        "zh_CN": "模型的回复是空的",
    },
    "self_test_not_indexed": {
        "en": "The document was not indexed ({status})",
        "zh_CN": "文档没有被索引（{status}）",
    },
    "self_test_not_found": {
        "en": "Searching for the document's words did not find it",
        "zh_CN": "用文档中的词语搜索，没有找到该文档",
    },
    "self_test_not_recognised": {
        "en": "The image's text was not recognised (read: {text})",
        "zh_CN": "没有识别出图片中的文字（读到：{text}）",
    },
    "self_test_unexpected": {
        "en": "Unexpected error: {reason}",
        "zh_CN": "意外错误：{reason}",
    },
    "self_test_passed": {
        "en": "self-test passed in {seconds} s",
        "zh_CN": "自检通过，用时 {seconds} 秒",
    },
    "self_test_kept": {
        "en": "the temporary data folder was kept: {path}",
        "zh_CN": "已保留临时数据文件夹：{path}",
    },
}


class StepFailed(Exception):
    """A step did not do what it should; ``reason`` is already in the person's language."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


class SelfTestError(Exception):
    """A failure the self-test itself detected, carrying one of :data:`MESSAGES`."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Options:
    model: Path
    embedding_model: Path | None = None
    keep: bool = False
    threads: int | None = None
    timeout_s: float = 120.0
    ocr: bool = False  # also read an image through OCR (the packaged app's smoke test)


@dataclass
class Report:
    """What ran, for callers that want more than the exit code (the tests)."""

    steps: list[tuple[str, float]] = field(default_factory=list)
    reply: str = ""
    citation: str = ""
    home: Path | None = None


def say(translate: Translator, code: str, **params: object) -> str:
    """A self-test message in the person's language (English when the code is unknown)."""
    entry = MESSAGES.get(code)
    if entry is None:
        return translate(code, **params)
    template = entry.get(translate.language) or entry["en"]
    return template.format(**params)


def one_line(text: str) -> str:
    """Reasons are printed on one line, whatever the exception's text looked like."""
    return " ".join(text.split())


def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and write a file in it. Raises ``OSError`` when it cannot
    be used: permission bits, read-only media, a file in the way. ``os.access`` is not used:
    it says yes to root and knows nothing of ACLs or full disks."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".fireside-write-check-", dir=folder)
    try:
        os.write(fd, b"ok")
    finally:
        os.close(fd)
        os.unlink(probe)


def data_folder_problem(paths: AppPaths, translate: Translator) -> str | None:
    """Why Fireside cannot use its folders (one line, in the person's language), or None.
    The window calls this at start, before anything else touches the disk, so an
    unwritable FIRESIDE_HOME becomes a message instead of a traceback."""
    for folder in (paths.config_dir, paths.data_dir, paths.cache_dir, paths.log_dir):
        try:
            check_writable(folder)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return say(translate, "self_test_folder_unwritable", path=str(folder), reason=reason)
    return None


class SelfTest:
    """Runs the steps in order; the first one that fails ends the run."""

    def __init__(self, options: Options, translate: Translator, *,
                 out: TextIO | None = None, err: TextIO | None = None) -> None:  # fmt: skip
        self.options = options
        self.translate = translate
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.report = Report()

    # ---- running -----------------------------------------------------------------------

    def run(self) -> int:
        started = time.perf_counter()
        try:
            self._run()
        except StepFailed as failure:
            print(f"FAILED {failure.step}: {failure.reason}", file=self.err, flush=True)
            return EXIT_FAILED
        seconds = f"{time.perf_counter() - started:.1f}"
        self._print(say(self.translate, "self_test_passed", seconds=seconds))
        return EXIT_OK

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Time one step; turn whatever it raises into :class:`StepFailed`. The step may
        append a short detail to the list it is given, printed after the timing."""
        detail: list[str] = []
        began = time.perf_counter()
        try:
            yield detail
        except StepFailed:
            raise
        except SelfTestError as exc:
            raise StepFailed(name, say(self.translate, exc.code, **exc.params)) from exc
        except FiresideError as exc:
            raise StepFailed(name, one_line(exc.message(self.translate))) from exc
        except Exception as exc:  # a self-test reports every fault, never a traceback
            reason = one_line(f"{type(exc).__name__}: {exc}")
            raise StepFailed(name, say(self.translate, "self_test_unexpected", reason=reason)) \
                from exc  # fmt: skip
        seconds = time.perf_counter() - began
        self.report.steps.append((name, seconds))
        extra = f"  ({detail[0]})" if detail else ""
        self._print(f"ok  {name} {seconds:.1f} s{extra}")

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def _run(self) -> None:
        options = self.options
        with self.step("model file") as detail:
            chat_header = read_header(options.model)
            if chat_header.is_embedding_model:
                raise ModelFileError("model_is_embedding", path=str(options.model))
            if options.embedding_model is not None:
                read_header(options.embedding_model)
            detail.append(f"{chat_header.name}, {chat_header.architecture}")

        with self.step("data folder") as detail:
            person = AppPaths.from_env()
            problem = data_folder_problem(person, self.translate)
            if problem is not None:
                raise StepFailed("data folder", problem)
            detail.append(str(person.data_dir))

        with self.step("temporary home") as detail:
            base = Path(tempfile.gettempdir())
            try:
                home = Path(tempfile.mkdtemp(prefix="fireside-self-test-"))
            except OSError as exc:
                raise SelfTestError("self_test_temp_unwritable", path=str(base),
                                    reason=exc.strerror or str(exc)) from exc  # fmt: skip
            self.report.home = home
            detail.append(str(home))
        try:
            with _environment(HOME_ENV, str(home)):
                self._in_home(AppPaths.under(home).ensure())
        finally:
            if options.keep:
                self._print(say(self.translate, "self_test_kept", path=str(home)))
            else:
                shutil.rmtree(home, ignore_errors=True)

    def _in_home(self, paths: AppPaths) -> None:
        client = EngineClient(paths, start_timeout_s=self.options.timeout_s)
        try:
            with self.step("engine started") as detail:
                ready = client.start()
                kernels = f", CPU kernels {ready.cpu_variant}" if ready.cpu_variant else ""
                detail.append(
                    f"llama-cpp-python {ready.llama_cpp_version}, pid {ready.pid}{kernels}"
                )
            self._chat(client, paths)
            self._knowledge(client, paths)
            if self.options.ocr:
                self._recognise(paths)
            with self.step("engine stopped"):
                client.close()
        finally:
            client.close()

    def _chat(self, client: EngineClient, paths: AppPaths) -> None:
        with self.step("chat model loaded") as detail:
            info = client.load_chat(
                self.options.model,
                LoadOptions(n_ctx=CHAT_CONTEXT, n_threads=self.options.threads),
            )
            detail.append(f"{info.name}, {info.quantization or '?'}, threads={info.n_threads}")
        with self.step("one turn answered") as detail, ChatStore(paths.chats_db) as store:
            chat = store.create_chat("self-test")
            sampling = SamplingParams(temperature=0.0, max_tokens=REPLY_TOKENS, seed=0)
            session = ChatSession(store, client, chat.id, sampling)
            reply = session.send(PROMPT)
            text = "".join(reply).strip()
            if not text or reply.result is None:
                raise SelfTestError("self_test_empty_reply")
            stats = reply.result.stats
            self.report.reply = text
            detail.append(f"{stats.generated_tokens} tokens, {one_line(text)[:40]!r}")

    def _knowledge(self, client: EngineClient, paths: AppPaths) -> None:
        model = self.options.embedding_model or self.options.model
        document = paths.data_dir / DOCUMENT_NAME
        document.write_text(DOCUMENT_TEXT, encoding="utf-8")
        embedder = Embedder(client, model, n_threads=self.options.threads)
        with KnowledgeBase(paths) as kb:
            with self.step("document indexed") as detail:
                report = kb.ingestion(embedder, COLLECTION).run([document])
                outcome = report.outcomes[0] if report.outcomes else None
                if outcome is None or outcome.status != "indexed" or outcome.chunks < 1:
                    status: str = "none" if outcome is None else outcome.status
                    if outcome is not None and outcome.code:
                        status = self.translate(outcome.code, **outcome.params)
                    raise SelfTestError("self_test_not_indexed", status=status)
                detail.append(f"{outcome.chunks} chunk(s), embedded with {model.name}")
            with self.step("document retrieved") as detail:
                hits = kb.retriever(embedder).search(QUERY, k=3, collections=[COLLECTION])
                found = [h for h in hits if Path(h.file).name == DOCUMENT_NAME]
                if not found:
                    raise SelfTestError("self_test_not_found")
                hit = found[0]
                where = (
                    f"page {hit.page}" if hit.page is not None
                    else f"characters {hit.char_start}-{hit.char_end}"
                )  # fmt: skip
                self.report.citation = f"{DOCUMENT_NAME}, {where}"
                detail.append(self.report.citation)

    def _recognise(self, paths: AppPaths) -> None:
        from PIL import Image, ImageDraw, ImageFont

        with self.step("image recognised") as detail:
            image = Image.new("L", (480, 480), 255)
            ImageDraw.Draw(image).text((40, 200), OCR_TEXT, fill=0,
                                       font=ImageFont.load_default(size=48))  # fmt: skip
            path = paths.data_dir / OCR_IMAGE_NAME
            image.save(path)
            with ParserProcess() as parser:
                document = parser.parse(path, ReadLimits()).document
            text = " ".join(s.text for s in document.sections)
            if "".join(OCR_TEXT.split()) not in "".join(text.split()).upper():
                raise SelfTestError("self_test_not_recognised", text=one_line(text)[:60])
            detail.append(one_line(text)[:40])


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """Point FIRESIDE_HOME at the temporary home while the test runs, so nothing that asks
    :meth:`AppPaths.from_env` on its own can reach the person's data; restored after."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def parse_args(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="fireside --self-test",
        description="Check that Fireside works: engine, one chat turn, one document.",
    )
    parser.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, required=True, metavar="PATH",
                        help="a GGUF chat model file")  # fmt: skip
    parser.add_argument("--embedding-model", type=Path, metavar="PATH",
                        help="a GGUF embedding model file (default: the chat model)")  # fmt: skip
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary data folder and print where it is")  # fmt: skip
    parser.add_argument("--threads", type=int, metavar="N", help="engine threads")
    parser.add_argument("--ocr", action="store_true",
                        help="also read a drawn image through OCR")  # fmt: skip
    args = parser.parse_args(list(argv))
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    return Options(model=args.model.expanduser(), keep=args.keep, threads=args.threads,
                   ocr=args.ocr,
                   embedding_model=args.embedding_model.expanduser()
                   if args.embedding_model else None)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the self-test; ``argv`` is the arguments after the program's name (``--self-test``
    itself may be among them). Returns the exit code: 0 passed, 1 failed, 2 bad usage."""
    try:
        options = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return EXIT_OK if exc.code in (0, None) else EXIT_USAGE
    translate = Translator(resolve_language(""))
    return SelfTest(options, translate).run()


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
