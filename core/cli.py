"""fireside-cli: the product without a window.

``fireside-cli chat --model PATH`` talks to a model in a terminal (Ctrl-C stops the reply,
Ctrl-D quits) or, when stdin is not a terminal, answers one user turn per input line, which
makes the engine scriptable and testable end to end. Every failure a person can cause is one
line on stderr in their language and a non-zero exit; never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Final, NoReturn, TextIO, cast

from core.chat.cli import add_chats_parser, run_chats
from core.chat.errors import ChatError
from core.chat.session import ChatSession, Reply, TurnSources
from core.chat.store import ChatStore
from core.data_lock import DataFolderBusy, DataFolderLock, LockOwner
from core.diagnostics import Diagnostics
from core.doctor import add_doctor_parser, run_doctor
from core.engine.client import EngineClient
from core.engine.errors import EngineCrashed, EngineError, TemplateError
from core.engine.protocol import LoadOptions, ModelInfo, SamplingParams
from core.engine.template import ChatTemplate
from core.i18n import Translator, resolve_language
from core.knowledge.attribution import unsupported
from core.knowledge.cli import (
    ChatKnowledge,
    WholeKnowledge,
    add_chat_kb_arguments,
    add_kb_parser,
    citation_lines,
    open_chat_knowledge,
    open_whole_knowledge,
    run_kb,
    whole_json,
)
from core.knowledge.errors import KnowledgeError
from core.models.cli import add_models_parser, run_models
from core.paths import AppPaths
from core.server.cli import add_serve_parser, run_serve
from core.server.server import ServerError
from core.settings import Settings, SettingsStore
from core.sqlite_db import StorageError
from core.terminal import TerminalSafeStream

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
# What the system said about a file, in the person's words where there are some.
_OS_ERROR_CODES = {errno.EROFS: "storage_read_only", errno.ENOSPC: "storage_full"}


class UsageError(Exception):
    """A bad command line; the message is already in the person's language."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports one translated line instead of usage and exits 2."""

    translate: Translator = Translator("en")

    def error(self, message: str) -> NoReturn:
        tr = self.translate
        if tr.language == "zh_CN":
            message = (
                message.replace("the following arguments are required", "缺少必需的参数")
                .replace("unrecognized arguments", "无法识别的参数")
                .replace("invalid choice", "无效的选项")
                .replace("expected one argument", "需要一个值")
                .replace("argument ", "参数 ")
            )
        raise UsageError(message)


def _int_arg(tr: Translator, low: int = 1, high: int = 1 << 30) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: {tr('must_be_positive')}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r}: {tr('must_be_in_range', low=low, high=high)}"
            )
        return value

    return parse


def _float_arg(tr: Translator, low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r}: {tr('must_be_in_range', low=low, high=high)}"
            )
        return value

    return parse


def build_parser(tr: Translator, settings: Settings) -> argparse.ArgumentParser:
    _Parser.translate = tr
    zh = tr.language == "zh_CN"
    parser = _Parser(prog="fireside-cli", description="Fireside without a window.")
    parser.add_argument("--lang", choices=["en", "zh_CN"], help="language of messages")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    chat = sub.add_parser("chat", help="对话" if zh else "chat with a model")
    chat.add_argument("--model", help="path to a GGUF chat model (default: the chat's own)")
    chat.add_argument("--chat", type=_int_arg(tr), help="continue the stored chat with this id")
    chat.add_argument("--system", default=settings.system_prompt, help="system prompt")
    chat.add_argument("--ctx", type=_int_arg(tr, 16, 1_048_576), default=settings.engine.n_ctx)
    chat.add_argument(
        "--max-tokens", type=_int_arg(tr, 1, 1_048_576), default=settings.sampling.max_tokens
    )
    chat.add_argument(
        "--temperature", type=_float_arg(tr, 0.0, 5.0), default=settings.sampling.temperature
    )
    chat.add_argument("--threads", type=_int_arg(tr, 1, 1024), default=None)
    chat.add_argument("--seed", type=_int_arg(tr, 0, 2**32 - 1), default=None)
    chat.add_argument("--json", action="store_true", help="one JSON object per turn")
    chat.add_argument(
        "--plain-transcript", action="store_true",
        help="use a plain transcript instead of the model's own chat template "
        "(for a template Fireside refused)",
    )  # fmt: skip
    add_chat_kb_arguments(chat, _int_arg(tr))
    add_chats_parser(sub, tr, _int_arg(tr))
    add_models_parser(sub, tr)
    add_kb_parser(sub, tr, _int_arg(tr))
    add_serve_parser(sub, tr, _int_arg(tr))
    add_doctor_parser(sub, tr)
    return parser


@dataclass
class TerminalChat:
    """One conversation at the terminal: sends each line, prints each reply or JSON turn."""

    session: ChatSession
    as_json: bool
    out: TextIO
    tr: Translator
    knowledge: ChatKnowledge | None = None  # chat --kb: each turn grounded, with citations
    whole: WholeKnowledge | None = None  # chat --kb --whole: each turn read from whole documents

    def __post_init__(self) -> None:
        self.turn = 0
        self.current: Reply | None = None

    def ask(self, text: str) -> bool:
        """Answer one user turn; False if it failed (the error has been printed)."""
        try:
            sources: TurnSources | None = None
            if self.whole is not None:
                store, chat_id = self.session.store, self.session.chat_id
                groundings = [m.grounding for m in store.branch(chat_id) if m.role == "user"]
                sources = self.whole.ground(text, groundings, show=not self.as_json)
            elif self.knowledge is not None:
                sources = self.knowledge.ground(text)
            self.current = self.session.send(text, sources)
            for piece in self.current:
                if not self.as_json:
                    self.out.write(piece)
                    self.out.flush()
            result = self.current.result
        except (EngineError, ChatError, KnowledgeError, StorageError) as exc:
            print(self.tr("cli_error", message=exc.message(self.tr)), file=sys.stderr)
            if isinstance(exc, TemplateError) and not self.session.stack.template.is_fallback:
                print(self.tr("template_transcript_hint"), file=sys.stderr)
            if isinstance(exc, EngineCrashed):
                # A fresh engine with the same model, so the next turn can be answered.
                try:
                    self.session.client.restart(reload=True)
                except EngineError as again:
                    print(self.tr("cli_error", message=again.message(self.tr)), file=sys.stderr)
            return False
        finally:
            self.current = None
        assert result is not None
        stats = result.stats
        self.turn += 1
        if self.as_json:
            record = {
                "turn": self.turn,
                "chat": self.session.chat_id,
                "reply": result.message.content.strip(),
                "prompt_tokens": stats.prompt_tokens,
                "cached_tokens": stats.cached_tokens,
                "evaluated_tokens": stats.evaluated_tokens,
                "ttft_s": round(stats.ttft_s, 4),
                "decode_tps": round(stats.decode_tps, 2),
                "stop_reason": stats.stop_reason,
                "full_reprefills": self.session.stack.stats.full_reprefills,
                "visible_turns": result.visible_turns,
            }
            if self.knowledge is not None or self.whole is not None:
                record["citations"] = result.message.citations or []
                # a grounded answer that cites none of its sources (the window's note)
                record["unsupported"] = unsupported(result.message.content,
                                                    result.message.citations or [])  # fmt: skip
            whole = (self.session.store.get_message(result.message.parent_id or 0).grounding
                     or {}).get("whole") if self.whole is not None else None  # fmt: skip
            if isinstance(whole, dict):
                record["whole"] = whole_json(whole, result.message.citations or [])
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            if stats.stop_reason == "cancelled":
                self.out.write(" " + self.tr("cli_interrupted"))
            self.out.write("\n")
            for line in citation_lines(result.message.citations or [], self.tr):
                self.out.write(line + "\n")
            if stats.stop_reason != "cancelled" and unsupported(
                result.message.content, result.message.citations or []
            ):
                self.out.write(self.tr("kb_unsupported") + "\n")
        self.out.flush()
        return True

    def stop(self) -> bool:
        """Stop the reading or the reply in progress; False when neither runs."""
        if self.whole is not None and self.whole.cancel():
            return True
        if self.current is not None:
            self.current.cancel()
            return True
        return False


def _describe(info: ModelInfo) -> dict[str, str]:
    params = info.parameter_count
    size = f"{params / 1e9:.1f}B" if params >= 1e9 else f"{params / 1e6:.0f}M"
    return {"name": info.name, "arch": info.architecture, "params": size, "n_ctx": str(info.n_ctx)}


def run_chat(args: argparse.Namespace, paths: AppPaths, tr: Translator) -> int:
    options = LoadOptions(n_ctx=args.ctx, n_threads=args.threads)
    sampling = SamplingParams(
        temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed
    )
    interactive = sys.stdin.isatty() and not args.json
    if args.whole and not args.kb and not args.chat:  # said before anything is loaded
        raise UsageError(tr("kb_whole_needs_kb"))
    paths.ensure()
    with ChatStore(paths.chats_db) as store, EngineClient(paths) as client:
        if store.recovery is not None:
            print(store.recovery.message(tr), file=sys.stderr)
        try:
            chat = store.get_chat(args.chat, include_trashed=False) if args.chat else None
            model = args.model or (chat.model if chat else None)
            if not model:
                raise UsageError(tr("cli_model_required"))
            info = client.load_chat(model, options)
            if chat is None:
                chat = store.create_chat(model=str(model), system_prompt=args.system or "")
            elif chat.model != str(model):
                store.update_chat(chat.id, model=str(model))
            # The plain transcript replaces the model's template only when the person asks.
            template = ChatTemplate.plain_transcript() if args.plain_transcript else None
            session = ChatSession(store, client, chat.id, sampling, template=template)
            if args.kb:  # the chat remembers the collections it uses
                chat = store.update_chat(chat.id, collections=args.kb)
            whole = open_whole_knowledge(args, paths, client, chat.collections, tr)
            knowledge = (
                None if whole else open_chat_knowledge(args, paths, client, chat.collections)
            )
        except (EngineError, ChatError, KnowledgeError, StorageError) as exc:
            print(tr("cli_error", message=exc.message(tr)), file=sys.stderr)
            if isinstance(exc, TemplateError):
                print(tr("template_transcript_hint"), file=sys.stderr)
            return EXIT_FAILURE
        terminal = TerminalChat(session, args.json, sys.stdout, tr, knowledge, whole)
        failures = 0
        if interactive:
            print(tr("cli_loaded", **_describe(info)), file=sys.stderr)

            def on_sigint(signum: int, frame: FrameType | None) -> None:
                if not terminal.stop():
                    raise KeyboardInterrupt

            previous = signal.signal(signal.SIGINT, on_sigint)
            try:
                while True:
                    try:
                        line = input("> ")
                    except KeyboardInterrupt:
                        print()
                        continue
                    except EOFError:
                        print()
                        break
                    if line.strip():
                        terminal.ask(line)
            finally:
                signal.signal(signal.SIGINT, previous)
        else:
            for line in sys.stdin:
                text = line.rstrip("\r\n")
                if text.strip() and not terminal.ask(text):
                    failures += 1
        for opened in (knowledge, whole):
            if opened is not None:
                opened.close()
        return EXIT_FAILURE if failures else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """fireside-cli, with stdout and stderr made safe for a terminal (core/terminal.py):
    names from the Hub, the disk or an imported chat cannot steer it."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, TerminalSafeStream(out))
    sys.stderr = cast(TextIO, TerminalSafeStream(err))
    # Warnings of core modules go to the log file, not between a reply's lines; an error
    # nothing else caught is logged with its traceback and said in one line.
    diagnostics = Diagnostics(AppPaths.from_env().log_dir).install()
    try:
        return _main(argv)
    except Exception as exc:
        diagnostics.report(type(exc), exc, exc.__traceback__)
        try:
            preference = SettingsStore(AppPaths.from_env().settings_file).load().language
        except Exception:  # the settings are part of what may have failed
            preference = ""
        tr = Translator(resolve_language(preference))
        summary = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        print(tr("cli_unexpected", summary=summary, log=diagnostics.log_file), file=sys.stderr)
        return EXIT_FAILURE
    finally:
        diagnostics.uninstall()
        sys.stdout, sys.stderr = out, err


def _main(argv: Sequence[str] | None) -> int:
    paths = AppPaths.from_env()
    store = SettingsStore(paths.settings_file)
    settings = store.load()
    raw_args = list(sys.argv[1:] if argv is None else argv)
    language = resolve_language(settings.language)
    if "--lang" in raw_args:
        idx = raw_args.index("--lang")
        if idx + 1 < len(raw_args):
            language = resolve_language(raw_args[idx + 1])
    tr = Translator(language)
    notice = store.notice(tr)
    if notice is not None:
        print(notice, file=sys.stderr)
    parser = build_parser(tr, settings)
    try:
        args = parser.parse_args(raw_args)
    except UsageError as exc:
        print(f"fireside-cli: {tr('cli_error', message=str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    lock = None
    try:
        if _writes(args):
            lock = _take_data_lock(paths, tr, " ".join(raw_args)[:200])
        if args.command == "chat":
            return run_chat(args, paths, tr)
        if args.command == "chats":
            return run_chats(args, paths, tr)
        if args.command == "models":
            return run_models(args, paths, tr)
        if args.command == "kb":
            return run_kb(args, paths, tr)
        if args.command == "serve":
            return run_serve(args, paths, tr)
        if args.command == "doctor":
            return run_doctor(args, paths, tr, sys.stdout)
    except UsageError as exc:
        print(f"fireside-cli: {tr('cli_error', message=str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except (EngineError, ChatError, KnowledgeError, StorageError, ServerError) as exc:
        print(tr("cli_error", message=exc.message(tr)), file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except DataFolderBusy as busy:
        pid = busy.owner.pid if busy.owner is not None else "?"
        print(tr("cli_error", message=tr("data_busy_window", pid=pid)), file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:  # a folder that cannot be made or written (read-only, full)
        where = exc.filename if exc.filename is not None else paths.data_dir
        code = _OS_ERROR_CODES.get(exc.errno or 0, "storage_failed")
        message = tr(code, path=where, reason=exc.strerror or exc)
        print(tr("cli_error", message=message), file=sys.stderr)
        return EXIT_FAILURE
    finally:
        if lock is not None:
            lock.release()
    return EXIT_USAGE


# Commands that change the data folder take its lock (core/data_lock.py). Reading commands
# take none, so they work while the window is open. chat and kb search count as writers: a
# chat stores every turn, and opening the vector index may repair it.
_READ_ONLY: Final = {
    "chats": {"list", "show", "search", "export"},
    "kb": {"list", "collections"},
    "models": {"catalogue", "search", "files", "fit", "list"},
}


def _writes(args: argparse.Namespace) -> bool:
    if args.command == "doctor":
        return False  # it only reads
    if args.command == "serve":
        return False  # it stores nothing; it runs beside the window (its own server later)
    action = {"chats": "action", "kb": "kb_command", "models": "models_command"}.get(args.command)
    if action is None:
        return True
    return getattr(args, action, None) not in _READ_ONLY.get(args.command, set())


def _take_data_lock(paths: AppPaths, tr: Translator, command: str) -> DataFolderLock:
    """The data folder's lock: refused while the window owns it, waited for (with one line
    saying so) while another fireside-cli command holds it."""
    lock = DataFolderLock(paths.data_dir, "cli", command)

    def tell(owner: LockOwner | None) -> None:
        if owner is not None and owner.kind == "window":
            raise DataFolderBusy(owner)
        pid, command = (owner.pid, owner.command) if owner is not None else ("?", "")
        print(tr("data_busy_wait", pid=pid, command=command), file=sys.stderr)

    return lock.wait(tell)


if __name__ == "__main__":
    sys.exit(main())
