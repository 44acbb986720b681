"""The person first: a turn of their own chat goes before the server's queued requests.

The engine answers one request at a time. The server's requests queue on its lane
(core/server/lane.py) and the window's chat runs on a lane of the window's; without a rule,
whichever reaches the engine client first after a generation ends goes next, and a window
turn (several tokenize calls before it generates) usually loses that race to a short server
request. ``PersonFirst`` is the rule: the window says whether a turn of the person's is in
progress (from the moment they send until the reply has ended), and the server's lane starts
no new job while one is. A server request already running is not interrupted; the queued
ones then go in their order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

POLL_S = 0.05


class PersonFirst:
    """Holds the server's next job back while ``busy()`` says the person's turn is on."""

    def __init__(self, busy: Callable[[], bool]) -> None:
        """``busy`` is asked from the server's lane thread: it must only read a flag."""
        self.busy = busy

    def wait(self, stopping: threading.Event) -> None:
        """Return once no turn of the person's is in progress (or ``stopping`` is set)."""
        while self.busy() and not stopping.wait(POLL_S):
            pass
