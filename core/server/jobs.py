"""A generation run on the engine lane, its pieces carried to the event loop.

The lane thread iterates the engine's :class:`Generation` and posts each piece to an asyncio
queue; the request's handler reads them there. Either side can end it: the client leaving
(the handler cancels the job, and the engine stops before its next token) or the engine
finishing, failing or dying (the handler reads ``done`` or ``error``). The job fills in the
request's record (tokens, cache reuse, how it ended) when the engine is done with it, so the
record counts what the engine really generated, also for a cancelled reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from core.engine.client import Generation
from core.engine.protocol import GenerationStats, TokenLogprob
from core.errors import FiresideError
from core.server.errors import ApiError, from_fireside_error
from core.server.recent import RequestRecord

EventKind = Literal["piece", "done", "error"]


@dataclass(frozen=True)
class Outcome:
    text: str
    stats: GenerationStats
    # One per token of the reply when the request asked for log-probabilities.
    logprobs: tuple[TokenLogprob, ...] = ()


class GenerationJob:
    """One request's generation: started on the lane, read on the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, record: RequestRecord) -> None:
        self.queue: asyncio.Queue[tuple[EventKind, Any]] = asyncio.Queue()
        self.record = record
        self._loop = loop
        self._cancelled = threading.Event()
        self._generation: Generation | None = None
        self.finished = threading.Event()

    def cancel(self) -> None:
        """From the event loop: the client left. Safe before, during and after the run."""
        self._cancelled.set()
        generation = self._generation
        if generation is not None:
            generation.cancel()

    def run(self, start: Callable[[], Generation]) -> None:
        """On the lane: start the generation (loading its model if needed) and stream it."""
        record = self.record
        try:
            if self._cancelled.is_set():
                record.outcome = "cancelled"
                return
            record.engine_started_at = time.time()
            generation = start()
            self._generation = generation
            if self._cancelled.is_set():
                generation.cancel()
            try:
                for piece in generation:
                    self._emit("piece", piece)
            finally:
                generation.close()
            stats = generation.stats
            assert stats is not None
            record.prompt_tokens = stats.prompt_tokens
            record.cached_tokens = stats.cached_tokens
            record.completion_tokens = stats.generated_tokens
            record.outcome = stats.stop_reason
            self._emit("done", Outcome(generation.text, stats, generation.logprobs))
        except FiresideError as exc:
            error = from_fireside_error(exc)
            record.status, record.outcome = error.status, error.code
            self._emit("error", error)
        except Exception as exc:  # a fault of ours: a 500 naming its kind, never the prompt
            error = ApiError(500, "server_internal", reason=type(exc).__name__)
            record.status, record.outcome = 500, error.code
            self._emit("error", error)
        finally:
            record.finished_at = time.time()
            self.finished.set()

    async def next(self) -> tuple[EventKind, Any]:
        return await self.queue.get()

    def _emit(self, kind: EventKind, value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is reading
            self._loop.call_soon_threadsafe(self.queue.put_nowait, (kind, value))
