"""What Fireside's helper processes share: a cap on their memory, and a firm stop.

The engine, the template process and the parser process each run work that may run away
(a model larger than memory, a hostile template, a crafted document) in a child started
with ``spawn``. A child caps its own address space once its imports are done, so a runaway
fails inside it with ``MemoryError`` instead of taking the machine's memory; the parent
stops a child by closing its pipe and killing it.
"""

from __future__ import annotations

import contextlib
import os
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess


def limit_address_space(extra_bytes: int) -> None:
    """Cap this process's address space at what it uses now plus ``extra_bytes`` (POSIX;
    on Windows nothing is capped and the caller's other limits still hold)."""
    try:
        import resource
    except ImportError:
        return
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        used = 1 << 30
    limit = used + extra_bytes
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def stop_child(process: BaseProcess | None, conn: Connection | None) -> None:
    """Close the pipe to a child and kill it if it still runs; waits for it to be gone."""
    if conn is not None:
        conn.close()
    if process is not None:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
