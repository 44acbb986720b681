"""Running the real ``fireside-cli`` in its own process, as a person would.

Fault tests need the real thing: a process that starts, opens the data folder, meets the
damaged file and exits, with whatever it prints. ``python -m core.cli`` with the test's
interpreter is the installed ``fireside-cli`` without depending on where pip put the script.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, stdin: str = "", timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """``fireside-cli ARGS`` with the test's environment (its FIRESIDE_HOME, its language)
    plus ``env``; stdout and stderr captured as text."""
    environ = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command printed; fails the test on a traceback, on a zero
    exit or on more than one line."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode != 0, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]
