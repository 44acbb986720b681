"""How many threads llama.cpp should use by default.

llama.cpp decodes fastest with one thread per physical core; hyper-threads share the core's
arithmetic units and usually slow it down. ``os.cpu_count()`` counts logical CPUs.
"""

from __future__ import annotations

import os

import psutil


def physical_cores() -> int:
    """Physical cores of this computer (at least 1), falling back to logical CPUs."""
    count = psutil.cpu_count(logical=False)
    if not count:
        count = os.cpu_count() or 1
    return max(1, count)
