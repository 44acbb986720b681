"""Seeing what went wrong: a rotating log file, exception hooks and native crash traces.

Without this an exception in a Qt slot or a worker thread vanishes and a native crash (PDFium,
Qt, a C parser) leaves nothing behind, so a person can only say "it stopped". The log holds
what the program did, never what the person wrote: message text, document content and
prompts are not logged by any module (callers log ids, counts, sizes and error types).

``Diagnostics`` is made once by each entry point (the window, the CLI) and passed on; it is
not a global. Its ``on_error`` callback lets the window show an unexpected error once, with
the details to copy, and keep working.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import logging.handlers
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from core import __version__

LOG_NAME: Final = "fireside.log"
NATIVE_NAME: Final = "native-crash.log"
LOG_BYTES: Final = 1024 * 1024
LOG_BACKUPS: Final = 3
TAIL_LINES: Final = 40

ErrorCallback = Callable[[str, str], None]  # (one-line summary, details to copy)


class _QuietRotatingFile(logging.handlers.RotatingFileHandler):
    """A log write that fails (a full or read-only disk) is dropped: logging's default
    prints a traceback to stderr, between a command's one-line message and the person."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass

    def flush(self) -> None:
        with contextlib.suppress(OSError):
            super().flush()

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # the last buffered lines could not be written: drop them
            self.stream = None


class Diagnostics:
    """Logging and crash hooks for one process, writing into ``log_dir``."""

    def __init__(self, log_dir: Path, *, build: str = "") -> None:
        self.log_dir = log_dir
        self.build = build  # the llama.cpp build, once the engine has said it
        self.on_error: ErrorCallback | None = None
        self._handler: logging.Handler | None = None
        self._native: IO[str] | None = None
        self._previous_hooks: tuple[object, object] | None = None

    @property
    def log_file(self) -> Path:
        return self.log_dir / LOG_NAME

    @property
    def native_file(self) -> Path:
        return self.log_dir / NATIVE_NAME

    def install(self, level: int = logging.INFO) -> Diagnostics:
        """Start logging and catch what nothing else catches. Safe on a read-only folder:
        then nothing is written and the hooks still report to ``on_error``."""
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = _QuietRotatingFile(
                self.log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
            self._native = self.native_file.open("a", encoding="utf-8")
            faulthandler.enable(file=self._native, all_threads=True)
        except OSError:
            handler = logging.NullHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
        )
        root = logging.getLogger()
        root.addHandler(handler)
        if root.level > level or root.level == logging.NOTSET:
            root.setLevel(level)
        self._handler = handler
        self._previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        logging.getLogger(__name__).info(
            "Fireside %s started (Python %s, %s)", __version__, platform.python_version(),
            platform.platform(),
        )  # fmt: skip
        return self

    def uninstall(self) -> None:
        """Undo ``install`` (tests, and a clean exit)."""
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks  # type: ignore[assignment]
            self._previous_hooks = None
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler.close()
            self._handler = None
        if self._native is not None:
            faulthandler.disable()
            self._native.close()
            self._native = None

    def report(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: TracebackType | None,
        where: str = "",
    ) -> None:
        """Log an unexpected exception and tell ``on_error``; never raises itself."""
        text = "".join(traceback.format_exception(kind, error, trace))
        logging.getLogger(__name__).error("unexpected error%s:\n%s", where, text.rstrip())
        summary = f"{kind.__name__}: {error}".splitlines()[0][:300] if str(error) else kind.__name__
        if self.on_error is not None:
            try:
                self.on_error(summary, self.details(text))
            except Exception:  # the reporter must not fail the reporting
                logging.getLogger(__name__).exception("error callback failed")

    def details(self, trace_text: str = "") -> str:
        """What a bug report needs: versions, build, the error, the log's last lines."""
        lines = [
            f"Fireside {__version__}",
            f"Python {platform.python_version()} on {platform.platform()}",
        ]
        if self.build:
            lines.append(f"llama.cpp: {self.build}")
        if trace_text:
            lines += ["", trace_text.rstrip()]
        tail = self.log_tail()
        if tail:
            lines += ["", f"--- last lines of {self.log_file.name} ---", *tail]
        return "\n".join(lines)

    def log_tail(self, count: int = TAIL_LINES) -> list[str]:
        if self._handler is not None:
            self._handler.flush()
        try:
            with self.log_file.open(encoding="utf-8", errors="replace") as handle:
                return handle.read().splitlines()[-count:]
        except OSError:
            return []

    def native_crash_before(self) -> str | None:
        """The trace a native crash left last time, if any (then cleared), so the next start
        can say that the app closed unexpectedly and where."""
        try:
            text = self.native_file.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        if not text:
            return None
        try:
            if self._native is not None:
                self._native.truncate(0)
                self._native.seek(0)
            else:
                self.native_file.write_text("", encoding="utf-8")
        except OSError:
            pass
        return text

    def _excepthook(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        self.report(kind, error, trace)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, f" in thread {name}")
