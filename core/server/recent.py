"""The list of recent requests the person sees, and nothing more is kept.

Each entry says when, which endpoint and model, how many tokens and how long, and how it
ended; never a prompt or a reply. It lives in memory (the window's Settings → Local server
shows it) and is the only record the server keeps: uvicorn's access log is off and nothing
here is written to a file.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class RequestRecord:
    endpoint: str
    model: str
    started_at: float = field(default_factory=time.time)
    engine_started_at: float | None = None  # when its turn on the engine came
    finished_at: float | None = None
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    status: int = 200
    outcome: str = ""  # finish reason, "cancelled", or the error code

    @property
    def duration_s(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.started_at


class RecentRequests:
    """The last ``limit`` requests, newest last; safe from any thread."""

    def __init__(self, limit: int = 200) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def start(self, endpoint: str, model: str) -> RequestRecord:
        record = RequestRecord(endpoint, model)
        with self._lock:
            self._records.append(record)
        return record

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)
