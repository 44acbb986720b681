"""Names from strangers cannot steer the terminal (issue 14, smaller items).

A chat title from an imported file, a model file name on disk, a model's own name in its
header: printed by the real fireside-cli, none of them reaches the terminal as a control
sequence.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from core.paths import AppPaths
from core.terminal import TerminalSafeStream, terminal_safe
from tests.gguf_writer import write_gguf

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31mLease\u202egpj.exe\x9b1m"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIRESIDE_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _no_controls(text: str) -> None:
    assert not any(c in text for c in ("\x1b", "\x07", "\x9b", "\u202e")), repr(text)


def test_control_characters_are_shown_not_obeyed() -> None:
    assert terminal_safe(HOSTILE) == (
        "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mLease\\u202egpj.exe\\x9b1m"
    )
    assert terminal_safe("合同\tline\r\nnext") == "合同\tline\r\nnext"  # ours stay as they are
    out = io.StringIO()
    stream = TerminalSafeStream(out)
    print("title:", HOSTILE, file=stream)  # type: ignore[call-overload]
    _no_controls(out.getvalue())
    assert stream.getvalue() == out.getvalue()  # everything else is the wrapped stream's


def test_an_imported_chat_title_is_printed_escaped(fireside_home: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared.json"
    shared.write_text(json.dumps({
        "format": "fireside-chat", "version": 1,
        "chat": {"title": HOSTILE}, "active_leaf": 1, "messages": [
            {"id": 1, "parent_id": None, "role": "user", "content": "hello " + HOSTILE},
        ],
    }), encoding="utf-8")  # fmt: skip
    assert cli("chats", "import", str(shared)).returncode == 0
    listing = cli("chats", "list")
    assert listing.returncode == 0, listing.stderr
    _no_controls(listing.stdout)
    assert "\\x1b[31mLease" in listing.stdout
    shown = cli("chats", "show", "1")
    _no_controls(shown.stdout)
    assert "hello \\x1b]0;owned" in shown.stdout


def test_a_model_name_from_disk_or_header_is_printed_escaped(fireside_home: Path) -> None:
    models = AppPaths.from_env().ensure().models_dir / "someone" / "repo"
    models.mkdir(parents=True)
    write_gguf(
        models / "evil\x1b[2J.gguf",
        {"general.architecture": "llama", "general.name": HOSTILE, "llama.context_length": 512},
    )
    listing = cli("models", "list")
    _no_controls(listing.stdout + listing.stderr)
    assert "evil\\x1b[2J" in listing.stdout + listing.stderr
