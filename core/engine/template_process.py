"""Chat templates rendered where a runaway can be stopped: a small process of their own.

A model's chat template is Jinja source from whoever made the file. The sandbox keeps it
from reaching the system, but not from dividing by zero, recursing, looping for hours or
building a string of gigabytes. So templates run in a child process (started with
``spawn``, like the engine, and only when a template is first rendered) under three
limits: a time limit per rendering (an alarm in the child; the parent kills the child if
even that does not answer), an address-space limit (a huge string fails inside the child,
not in the window's memory) and a size limit on the text a rendering may produce. A
template that fails or exceeds a limit is refused with a clear message
(:class:`~core.engine.errors.TemplateError`); one that exceeded a limit is refused at once
from then on, without running it again. The person may then choose Fireside's plain
transcript instead (``ChatTemplate.plain_transcript()``); nothing falls back on its own.

Fireside's own transcript needs none of this and renders in the caller.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from core.child_process import limit_address_space, stop_child
from core.engine.errors import TemplateError
from core.engine.protocol import ChatMessage
from core.engine.template import ChatTemplate
from core.engine.template_layout import Layout, layout
from core.engine.template_marks import Marker, MarkMode

RENDER_LIMIT_S = 2.0  # one rendering of a real template takes well under 10 ms
MEMORY_LIMIT_BYTES = 1 << 30  # beyond what the child needs to start
BASE_OUTPUT_CHARS = 1_000_000  # a rendering may add this much glue to its content (x4)
_START_TIMEOUT_S = 60.0
_GRACE_S = 5.0  # the parent waits this long past the child's own alarms


class _Exceeded(BaseException):  # a signal, not an error a template can catch
    """Raised inside the child when a rendering passes a limit."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


class TemplateProcess:
    """The calling process's handle on the template renderer. Thread-safe; one request at a
    time. Close it when done (the engine client that owns it does)."""

    def __init__(
        self, *, render_limit_s: float = RENDER_LIMIT_S,
        memory_limit_bytes: int = MEMORY_LIMIT_BYTES,
    ) -> None:  # fmt: skip
        self.render_limit_s = render_limit_s
        self.memory_limit_bytes = memory_limit_bytes
        self._mp = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._refused: dict[str, TemplateError] = {}
        self._closing = False  # close() is stopping the child: a failure then is not the template's

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def layouts(
        self, template: ChatTemplate, variants: Sequence[Sequence[ChatMessage]],
        wanted: Sequence[Sequence[int]],
    ) -> list[Layout]:  # fmt: skip
        """The layout (core/engine/template_layout.py) of each variant of one conversation,
        with the frames ``wanted`` for it."""
        if template.source is None:
            return [
                layout(_plain_render(template), v, w) for v, w in zip(variants, wanted, strict=True)
            ]
        renders = sum(2 * len(w) + 2 for w in wanted)
        request = ("layout", [tuple(v) for v in variants], [tuple(w) for w in wanted])
        result: list[Layout] = self._ask(template, request, renders)
        return result

    def marked_layout(
        self, template: ChatTemplate, marker: Marker, messages: Sequence[ChatMessage],
        wanted: Sequence[int],
    ) -> Layout:  # fmt: skip
        """The layout of a conversation with its content marked (core/engine/template_marks.py).

        Content is marked whole if the template keeps it so, else inside its outer
        whitespace (templates that ``| trim`` it), else only its control-token texts are
        marked (templates that take content apart). A way of marking is used only when the
        template makes the same text of marked content as of plain content, so the marks
        never change what the model reads."""
        plain = list(messages)
        # The plain variant is needed only whole (two renderings): the marked prompt stands
        # for exactly the plain one when its whole text, unmarked, is the plain prompt.
        try:
            exact, first = self.layouts(template, [_marked(marker, plain, "exact"), plain],
                                        [wanted, []])  # fmt: skip
        except TemplateError as exc:
            if exc.code != "template_error":
                raise
            # The template fails; perhaps only on marked content (it inspects it): the
            # plain rendering says which, and the other markings are tried one by one.
            first = self.layouts(template, [plain], [[]])[0]
            for mode in ("trimmed", "escaped"):
                try:
                    marked = self.layouts(template, [_marked(marker, plain, mode)], [wanted])[0]
                except TemplateError as again:
                    if again.code != "template_error":
                        raise
                    continue
                if mode == "escaped" or marker.unmark(marked.full) == first.full:
                    return marked
            raise
        if marker.unmark(exact.full) == first.full:
            return exact
        trimmed, escaped = self.layouts(
            template, [_marked(marker, plain, "trimmed"), _marked(marker, plain, "escaped")],
            [wanted, wanted],
        )  # fmt: skip
        return trimmed if marker.unmark(trimmed.full) == first.full else escaped

    def render(self, template: ChatTemplate, messages: Sequence[ChatMessage],
               add_generation_prompt: bool = True) -> str:  # fmt: skip
        if template.source is None:
            return template.render(messages, add_generation_prompt)
        text: str = self._ask(template, ("render", tuple(messages), add_generation_prompt), 1)
        return text

    def close(self) -> None:
        """Stop the child; at once (killed) if a rendering is still running (that rendering
        then fails, and its template is not held against it)."""
        self._closing = True
        if self._lock.acquire(timeout=0.5):
            try:
                self._stop()
            finally:
                self._lock.release()
        elif self._process is not None:
            self._process.kill()  # the waiting thread sees it gone and cleans up

    # ---- plumbing ----------------------------------------------------------------------

    def _ask(self, template: ChatTemplate, request: tuple[Any, ...], renders: int) -> Any:
        assert template.source is not None
        refused = self._refused.get(template.source)
        if refused is not None:
            raise TemplateError(refused.code, **refused.params)
        with self._lock:
            conn = self._start()
            limits = (self.render_limit_s, BASE_OUTPUT_CHARS)
            try:
                conn.send((template.source, template.bos_token, template.eos_token, limits,
                           request))  # fmt: skip
                deadline = time.monotonic() + self.render_limit_s * renders + _GRACE_S
                while not conn.poll(0.05):
                    if time.monotonic() > deadline or not self._alive():
                        break
                else:
                    reply = conn.recv()
                    return self._answer(template.source, reply)
            except (EOFError, OSError):
                pass
            # No answer: the template is stuck where the child's alarm cannot reach it, or
            # it took the child down.
            process = self._process
            exitcode = process.exitcode if process is not None else None
            self._stop()
            if self._closing:
                raise TemplateError("template_error", reason="the template process was closed")
            if exitcode is None:
                error = TemplateError("template_too_slow", seconds=_seconds(self.render_limit_s))
            else:
                reason = f"the template process stopped (exit status {exitcode})"
                error = TemplateError("template_error", reason=reason)
            self._refused[template.source] = error
            raise error

    def _answer(self, source: str, reply: tuple[Any, ...]) -> Any:
        if reply[0] == "ok":
            return reply[1]
        _, code, params = reply
        error = TemplateError(code, **params)
        if code != "template_error":  # a limit: refused from now on, and a fresh child
            self._refused[source] = error
            self._stop()
        raise error

    def _alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _start(self) -> Connection:
        if self._alive() and self._conn is not None:
            return self._conn
        self._closing = False
        self._stop()
        parent, child = self._mp.Pipe(duplex=True)
        process = self._mp.Process(
            target=serve, args=(child, self.memory_limit_bytes),
            name="fireside-templates", daemon=True,
        )  # fmt: skip
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(_START_TIMEOUT_S):
            self._stop()
            raise TemplateError("template_error", reason="the template renderer did not start")
        parent.recv()  # its greeting: imports done, limits set
        return parent

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        stop_child(process, conn)


def _marked(marker: Marker, chat: Sequence[ChatMessage], mode: MarkMode) -> list[ChatMessage]:
    return [ChatMessage(m.role, marker.mark(k, m.content, mode)) for k, m in enumerate(chat)]


def _seconds(value: float) -> str:
    return f"{value:g}"


def _plain_render(template: ChatTemplate) -> Any:
    def render(messages: Sequence[ChatMessage], add_generation_prompt: bool) -> str:
        return template.render(messages, add_generation_prompt)

    return render


# ---- the child -------------------------------------------------------------------------


def _on_alarm(signum: int, frame: object) -> None:
    raise _Exceeded("template_too_slow")


def _guarded(template: ChatTemplate, limit_s: float, max_chars: int) -> Any:
    """The template's render, each call under the time limit and the size limit."""
    timer = getattr(signal, "setitimer", None)

    def render(messages: Sequence[ChatMessage], add_generation_prompt: bool) -> str:
        if timer is not None:
            timer(signal.ITIMER_REAL, limit_s)
        try:
            text = template.render(messages, add_generation_prompt)
        finally:
            if timer is not None:
                timer(signal.ITIMER_REAL, 0)
        content = sum(len(m.content) for m in messages)
        if len(text) > max_chars + 4 * content:
            raise _Exceeded("template_too_large")
        return text

    return render


def _handle(message: tuple[Any, ...]) -> Any:
    source, bos, eos, (limit_s, max_chars), request = message
    render = _guarded(ChatTemplate(source, bos, eos), limit_s, max_chars)
    if request[0] == "layout":
        _, variants, wanted = request
        return [layout(render, variant, w) for variant, w in zip(variants, wanted, strict=True)]
    _, messages, add_generation_prompt = request
    return render(messages, add_generation_prompt)


def serve(conn: Connection, memory_limit_bytes: int) -> None:
    """Entry point of the template process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the caller
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _on_alarm)
    sys.setrecursionlimit(1000)
    limit_address_space(memory_limit_bytes)
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[Any, ...] = ("ok", _handle(message))
        except TemplateError as exc:
            reply = ("error", exc.code, exc.params)
        except _Exceeded as exc:
            params = {"seconds": _seconds(message[3][0])} if exc.code == "template_too_slow" else {}
            reply = ("error", exc.code, params)
        except MemoryError:
            reply = ("error", "template_too_large", {})
        except Exception as exc:  # anything else a template can raise: it failed
            reply = ("error", "template_error", {"reason": f"{type(exc).__name__}: {exc}"})
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("error", "template_too_large", {}))
