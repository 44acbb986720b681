"""The installed Qt binding survives what the window does all day: emitting many signals.

PySide6 6.12.0 loses a reference to ``True`` on every ``Signal.emit()``; after a few hundred
emits Python aborts ("bool_dealloc"), which in Fireside means dying mid-reply. pyproject.toml
excludes that release; this test keeps the exclusion honest. It runs in a child process,
because the failure is an abort, not an exception.
"""

from __future__ import annotations

import os
import subprocess
import sys

EMITS = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Source(QObject):
    bare = Signal()
    carrying = Signal(object)
source, received = Source(), []
source.bare.connect(lambda: received.append(1))
source.carrying.connect(received.append)
before = sys.getrefcount(True)
for i in range(50_000):
    source.bare.emit()
    source.carrying.emit(i)
print(len(received), sys.getrefcount(True) - before)
"""


def test_emitting_signals_does_not_leak_or_abort() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", EMITS], capture_output=True, text=True,
                          timeout=120, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    received, leaked = map(int, done.stdout.split())
    assert received == 100_000
    assert abs(leaked) < 100
