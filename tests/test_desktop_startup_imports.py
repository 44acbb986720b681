"""The window's start-up path leaves the heavy modules alone (issue 12: launch to a usable
window under 2 s). Chroma, the Hub client, the keyring, numpy and PDFium take seconds together to
import on a busy computer; the window imports them when first needed (a search, an
ingestion, the model manager, a PDF shown), and opens the vector index only once the window
has been painted. This starts the real app over a home with a chat model installed and lists
what was imported at the moment it reports itself usable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.model_files import GEMMA_270M, fetch

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("chromadb", "huggingface_hub", "httpx2", "keyring", "numpy", "pypdfium2", "llama_cpp",
         "onnxruntime")  # fmt: skip

# Runs the app as `python -m desktop.window.app` does; at the moment it prints "ready" (the
# window shown and its event loop running) it also prints the heavy modules imported so far.
_PROBE = """
import json, sys
import desktop.window.app as app
heavy = %r
age = app._process_age_s
def at_ready():
    loaded = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))
    print('modules ' + json.dumps(loaded), flush=True)
    return age()
app._process_age_s = at_ready
sys.exit(app.main(['fireside']))
"""


def test_the_start_up_path_does_not_import_the_heavy_modules(tmp_path: Path) -> None:
    env = {**os.environ, "FIRESIDE_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen",
           "FIRESIDE_EXIT_WHEN_READY": "1"}  # fmt: skip
    # A home with a chat model installed, as after the first run: the welcome is not shown.
    subprocess.run([sys.executable, "-m", "core.cli", "models", "import", str(fetch(GEMMA_270M))],
                   env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)  # fmt: skip
    done = subprocess.run([sys.executable, "-c", _PROBE % (HEAVY,)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [x for x in done.stdout.splitlines() if x.startswith("modules ")]
    assert lines, done.stdout + done.stderr[-2000:]
    assert any(x.startswith("ready ") for x in done.stdout.splitlines())
    assert json.loads(lines[0].removeprefix("modules ")) == []
