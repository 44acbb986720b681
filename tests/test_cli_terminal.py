"""fireside-cli chat in a real terminal (a pty): Ctrl-C stops the reply, not the program."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest


class Terminal:
    def __init__(self, args: list[str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: become the CLI
            os.execv(sys.executable, [sys.executable, "-m", "core.cli", *args])
        self.output = ""

    def read_until(self, needle: str, timeout: float = 120.0, start: int = 0) -> int:
        deadline = time.monotonic() + timeout
        while needle not in self.output[start:]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{needle!r} not seen; screen was:\n{self.output}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"terminal closed before {needle!r}:\n{self.output}")
                self.output += chunk.decode("utf-8", errors="replace")
        return self.output.index(needle, start) + len(needle)

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode("utf-8"))

    def wait(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:  # keep draining so the child never blocks on a full terminal
                if select.select([self.fd], [], [], 0.1)[0]:
                    self.output += os.read(self.fd, 4096).decode("utf-8", errors="replace")
            except OSError:
                time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the CLI did not exit")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")
def test_ctrl_c_stops_the_reply_and_the_chat_goes_on(gemma_path: Path) -> None:
    term = Terminal(["chat", "--model", str(gemma_path), "--max-tokens", "400",
                     "--temperature", "0.8", "--seed", "1"])  # fmt: skip
    pos = term.read_until("Ctrl-C")  # the greeting names the keys
    pos = term.read_until("> ", start=pos)
    term.type("Write a very long story about a dragon and a lighthouse keeper.\n")
    # Wait for the reply to start streaming, then press Ctrl-C.
    deadline = time.monotonic() + 120
    while len(term.output) < pos + 80 and time.monotonic() < deadline:
        if select.select([term.fd], [], [], 1)[0]:
            term.output += os.read(term.fd, 4096).decode("utf-8", errors="replace")
    term.type("\x03")
    pos = term.read_until("(stopped)", start=pos)
    pos = term.read_until("> ", start=pos)
    term.type("Thank you.\n")
    pos = term.read_until("> ", start=pos)  # answered, and asking again
    term.type("\x04")  # Ctrl-D quits
    assert term.wait() == 0
    assert "Traceback" not in term.output
